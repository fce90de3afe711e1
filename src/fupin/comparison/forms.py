"""Forms of the data comparison pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.accounts.scoping import scope_for
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.core.forms import DateInput, Form, UploadForm, must_choose

from . import rules

AREA_CHOICES_LIMIT = 3000


def import_areas(user) -> list[tuple[str, str]]:
    """The areas a user may import a data set for: their areas down to townships."""
    scope = scope_for(user, rules.IMPORT)
    if scope.is_empty:
        return []
    levels = [area_rules.PROVINCE, area_rules.CITY, area_rules.COUNTY, area_rules.TOWNSHIP]
    qs = Area.objects.filter(valid_to__isnull=True, level__in=levels).order_by("code")
    choices = [(a.code, f"{a.code} {a.name}") for a in scope.filter(qs, "code")[:AREA_CHOICES_LIMIT]]
    if scope.is_everything:
        choices.insert(0, ("", _("The whole country")))
    return choices


class ImportForm(UploadForm):
    kind = forms.ChoiceField(label=_("Kind of data"))
    source = forms.CharField(label=_("Source (department, document)"), max_length=300,
                             help_text=_("E.g. 县公安局交警大队 车辆登记信息 (2016-06-30 extract)."))
    as_of = forms.DateField(label=_("As of"), widget=DateInput(),
                            help_text=_("The day the department's data describes."))
    area = forms.ChoiceField(label=_("Area covered"), required=False,
                             help_text=_("Members of this area are matched against the data set."))
    name = forms.CharField(label=_("Name (optional)"), max_length=200, required=False)
    dry_run = forms.BooleanField(label=_("Only check the file (write nothing)"), required=False)

    field_order = ["kind", "file", "source", "as_of", "area", "name", "dry_run"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = must_choose(rules.kind_choices())
        self.fields["area"].choices = import_areas(user) if user is not None else []


class DecisionForm(Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=list(rules.DECISIONS.items()),
                                 widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Required when the household is kept despite the hit (e.g. the family is "
                                         "truly in hardship) and for a data error."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReviewForm(Form):
    action = forms.ChoiceField(label=_("Review"), choices=[("approve", _("Approve")),
                                                           ("send_back", _("Send back to the village"))],
                               widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Required when sending back."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CutoffForm(Form):
    area_prefix = forms.CharField(label=_("Area (code prefix)"), max_length=12, required=False,
                                  help_text=_("2 digits a province, 4 a city, 6 a county; empty for the whole "
                                              "country."))
    date = forms.DateField(label=_("Identification cut-off date"), widget=DateInput())
    source = forms.CharField(label=_("Source document"), max_length=300)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
