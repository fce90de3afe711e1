import datetime as dt

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from fupin.core import clock
from fupin.core.forms import DateInput, Form, UploadForm, must_choose
from fupin.registry.forms import code_field

from . import rules
from .models import MonitoredHousehold


class _Stamp(signing.TimestampSigner):
    """The time the public form was served, signed (its hidden field ``stamp``). The time is
    fupin's clock, so that tests can serve a form in the past."""

    def __init__(self, at: dt.datetime | None = None):
        super().__init__(salt="fupin.monitoring.apply")
        self.at = at

    def timestamp(self):
        return signing.b62_encode(int((self.at or clock.now()).timestamp()))

    def age(self, value: str) -> float:
        """Seconds since ``value`` was signed here; BadSignature if it was not (or was changed)."""
        _kept, stamp = signing.Signer.unsign(self, value).rsplit(self.sep, 1)
        return clock.now().timestamp() - signing.b62_decode(stamp)


def new_stamp(at: dt.datetime | None = None) -> str:
    """A stamp for a public form served now (or at ``at``)."""
    return _Stamp(at).sign("apply")


class PublicApplicationForm(Form):
    """The public form: nothing about any area is shown; the village code comes from the
    village's notice board (or its QR code link). Anti-abuse: a hidden field bots fill in
    (``website``), and the signed time the form was served (``stamp``): a form sent sooner
    than ``min_seconds_to_fill`` after it was served, later than ``max_seconds_to_fill``,
    or with a missing or changed stamp is refused (data/applications.json)."""

    village = forms.CharField(label=_("Village code (12 digits, on the village notice board)"), max_length=12,
                              min_length=12)
    name = forms.CharField(label=_("Your name"), max_length=60)
    id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    what = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
    # Anti-abuse: a field people do not see (bots fill it in).
    website = forms.CharField(required=False, label=_("Leave this empty"),
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))
    stamp = forms.CharField(required=False, label="", widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        limits = rules.application_data()
        try:
            age = _Stamp().age(data.get("stamp") or "")
        except (signing.BadSignature, ValueError):
            age = None
        if age is None or age > float(limits["max_seconds_to_fill"]):
            raise forms.ValidationError(_("This form is out of date or was changed. It has been renewed: please "
                                          "check what you wrote and send it again."), code="stamp")
        if age < float(limits["min_seconds_to_fill"]):
            raise forms.ValidationError(_("The form was sent too quickly after it was opened. Please check what you "
                                          "wrote and send it again."), code="too_fast")
        return data


class CallForm(Form):
    village = forms.CharField(label=_("Village code"), max_length=12, min_length=12)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("phone", _("Phone call")),
                                                             ("cadre", _("Recorded by a cadre"))])
    name = forms.CharField(label=_("Name"), max_length=60)
    id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    what = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}))


def _kinds():
    return MonitoredHousehold.KIND_CHOICES


class OpenForm(Form):
    household = forms.CharField(label=_("Household number"), max_length=32)
    kind = forms.ChoiceField(label=_("Kind"), choices=must_choose(_kinds))
    channel = forms.ChoiceField(label=_("How it was found"),
                                choices=must_choose([("visit", _("A cadre's visit")),
                                                     ("phone", _("The household called")),
                                                     ("application", _("The household applied")),
                                                     ("department", _("A department's warning"))]))
    date = forms.DateField(label=_("Date"), widget=DateInput())
    who = forms.CharField(label=_("Who (found or reported it)"), max_length=120)
    what = forms.CharField(label=_("What"), widget=forms.Textarea(attrs={"rows": 3}))
    risks = forms.MultipleChoiceField(label=_("Risks"), required=False, choices=rules.risk_choices,
                                      widget=forms.SelectMultiple(attrs={"size": 8}))


class AcceptForm(Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=must_choose(_kinds))
    household = forms.CharField(label=_("Household number (empty: found by ID number, or a new rural household)"),
                                max_length=32, required=False)
    risks = forms.MultipleChoiceField(label=_("Risks"), required=False, choices=rules.risk_choices,
                                      widget=forms.SelectMultiple(attrs={"size": 8}))
    sex = code_field("sex", label=_("Sex"))
    sex.help_text = _("Needed when a new household is made for an applicant without an ID number.")


class ReasonForm(Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class HitStartForm(Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=must_choose(_kinds))
    risks = forms.MultipleChoiceField(label=_("Risks"), required=False, choices=rules.risk_choices,
                                      widget=forms.SelectMultiple(attrs={"size": 6}))


class RunForm(Form):
    year = forms.IntegerField(label=_("Income year"), min_value=2000, max_value=2100)


class WarningUploadForm(UploadForm):
    department = forms.CharField(label=_("Department"), max_length=120)
