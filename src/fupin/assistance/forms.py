"""The assistance forms. They check the shape of what was typed; the actions check
the rest (permission, policy, the record's area)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.areas.models import Area
from fupin.core import clock
from fupin.core.forms import DateInput, Form, must_choose
from fupin.registry import codes as registry_codes

from . import catalog


def _today():
    return clock.today()


class HelperForm(Form):
    name = forms.CharField(label=_("Full name"), max_length=60)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None, required=False)
    post = forms.CharField(label=_("Post"), max_length=60, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    level = forms.ChoiceField(label=_("Level of the unit"), required=False)
    area_code = forms.CharField(label=_("Area where the person helps (village or township code)"), max_length=15)
    username = forms.CharField(label=_("User name in this system (when the person has an account)"),
                               max_length=150, required=False,
                               help_text=_("Linked, the person logs their own visits and measures on a phone."))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["level"].choices = [("", _("From the unit"))] + [
            (code, label) for code, label in Area.LEVEL_CHOICES if code in catalog.helper_levels()]
        self.fields["area_code"].widget.attrs.update(list="village-codes", inputmode="numeric")


class PairForm(Form):
    helper = forms.ModelChoiceField(label=_("Helper"), queryset=None)
    start = forms.DateField(label=_("From"), widget=DateInput(), initial=_today)
    replace = forms.BooleanField(label=_("This is a change of helper: the current pairing ends the day before"),
                                 required=False, initial=True)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, helpers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["helper"].queryset = helpers
        self.fields["helper"].label_from_instance = lambda h: f"{h.name} · {h.unit or ''} {h.post}".strip()


class EndForm(Form):
    end = forms.DateField(label=_("Until"), widget=DateInput(), initial=_today)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class LinkForm(Form):
    kind = forms.ChoiceField(label=_("Kind"))
    role = forms.ChoiceField(label=_("Role on the village's platform (包村)"), required=False)
    area_code = forms.CharField(label=_("Area code"), max_length=15)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None, required=False)
    person = forms.ModelChoiceField(label=_("Person"), queryset=None, required=False)
    start = forms.DateField(label=_("From"), widget=DateInput(), initial=_today)
    replace = forms.BooleanField(label=_("Replace the current holder of this role"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, units=None, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = must_choose([(k["code"], catalog.pick(k)) for k in catalog.link_kinds()])
        self.fields["role"].choices = [("", "—")] + [(r["code"], catalog.pick(r)) for r in catalog.platform_roles()]
        self.fields["unit"].queryset = units
        self.fields["person"].queryset = people
        self.fields["area_code"].widget.attrs.update(list="village-codes", inputmode="numeric")


class TeamForm(Form):
    village = forms.CharField(label=_("Village code"), max_length=12)
    unit = forms.ModelChoiceField(label=_("Dispatching unit"), queryset=None)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    start = forms.DateField(label=_("In the village from"), widget=DateInput(), initial=_today)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["village"].widget.attrs.update(list="village-codes", inputmode="numeric")


class TeamMemberForm(Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=None)
    role = forms.ChoiceField(label=_("Role"))
    start = forms.DateField(label=_("In the village from"), widget=DateInput(), initial=_today)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["role"].choices = must_choose([(r["code"], catalog.pick(r)) for r in catalog.team_roles()])


class AttendanceForm(Form):
    member = forms.IntegerField(widget=forms.HiddenInput)
    month = forms.CharField(label=_("Month (YYYY-MM)"), max_length=7)
    days = forms.IntegerField(label=_("Days in the village"), min_value=0, max_value=31)


class HouseholdPlanForm(Form):
    goals = forms.CharField(label=_("Goals"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    causes = forms.MultipleChoiceField(label=_("Causes addressed"), required=False,
                                       widget=forms.CheckboxSelectMultiple)
    measure_types = forms.MultipleChoiceField(label=_("Planned measures"), required=False,
                                              widget=forms.CheckboxSelectMultiple)
    expected_income = forms.DecimalField(label=_("Expected net income of the household (yuan)"), min_value=0,
                                         max_digits=12, decimal_places=2, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["causes"].choices = registry_codes.choices("cause")
        self.fields["measure_types"].choices = catalog.measure_choices()
        for name in ("causes", "measure_types"):
            self.fields[name].widget.attrs["class"] = "form-check-input"


class VillagePlanForm(Form):
    industries = forms.CharField(label=_("Industries"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    infrastructure = forms.MultipleChoiceField(label=_("Infrastructure and services to build"), required=False,
                                               widget=forms.CheckboxSelectMultiple)
    infrastructure_note = forms.CharField(label=_("Infrastructure, other"), required=False,
                                          widget=forms.Textarea(attrs={"rows": 2}))
    collective_income_target = forms.DecimalField(label=_("Collective income target (yuan)"), min_value=0,
                                                  max_digits=12, decimal_places=2, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["infrastructure"].choices = [(i.code, i.name) for i in items]
        self.fields["infrastructure"].widget.attrs["class"] = "form-check-input"


class MeasureForm(Form):
    """The common fields of a measure; the type's own fields are built from the data."""

    type = forms.ChoiceField(label=_("Type"))
    date = forms.DateField(label=_("Date"), widget=DateInput(), initial=_today)
    amount_to_household = forms.DecimalField(label=_("Money to the household (yuan)"), min_value=0, max_digits=12,
                                             decimal_places=2, required=False)
    amount_spent = forms.DecimalField(label=_("Money spent for it (yuan)"), min_value=0, max_digits=12,
                                      decimal_places=2, required=False)
    fund_source = forms.ChoiceField(label=_("Source of funds"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, mtype: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = must_choose(catalog.measure_choices())
        self.fields["fund_source"].choices = [("", "—"), *catalog.fund_choices()]
        for name in ("amount_to_household", "amount_spent"):
            self.fields[name].widget.attrs["inputmode"] = "decimal"
        self.detail_fields = []
        spec = catalog.measure_type(mtype) if mtype else None
        for f in (spec or {}).get("fields", []):
            name = "d_" + f["name"]
            label = catalog.field_label(f)
            if f["kind"] == "bool":
                field = forms.BooleanField(label=label, required=False)
                field.widget.attrs["class"] = "form-check-input"
            elif f["kind"] == "choice":
                field = forms.ChoiceField(label=label, required=False, choices=[("", "—")] + [
                    (code, catalog.pick({"zh": zh, "en": en})) for code, zh, en in f["choices"]])
                field.widget.attrs["class"] = "form-select"
            elif f["kind"] == "date":
                field = forms.DateField(label=label, required=False, widget=DateInput())
                field.widget.attrs["class"] = "form-control"
            else:
                field = forms.CharField(label=label, required=False, max_length=200)
                field.widget.attrs["class"] = "form-control"
                if f["kind"] in ("int", "decimal"):
                    field.widget.attrs["inputmode"] = "numeric" if f["kind"] == "int" else "decimal"
            if f.get("required"):
                field.label = f"{label} *"
            self.fields[name] = field
            self.detail_fields.append(name)

    def details(self) -> dict:
        out = {}
        for name in self.detail_fields:
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            out[name[2:]] = value.isoformat() if hasattr(value, "isoformat") else value
        return out

    def detail_bound_fields(self):
        return [self[name] for name in self.detail_fields]


class VisitForm(Form):
    household = forms.TypedChoiceField(label=_("Household"), coerce=int)
    helper = forms.TypedChoiceField(label=_("Helper"), coerce=int, required=False)
    date = forms.DateField(label=_("Date of the visit"), widget=DateInput(), initial=_today)
    findings = forms.CharField(label=_("What was found"), required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))
    agreements = forms.CharField(label=_("What was agreed"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, households=(), helpers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].choices = [("", "—")] + [(h.pk, f"{h.head_name} · {h.number}") for h in households]
        self.fields["helper"].choices = [("", "—")] + [(h.pk, f"{h.name} · {h.unit or ''}") for h in helpers]


class VisitEditForm(Form):
    date = forms.DateField(label=_("Date of the visit"), widget=DateInput())
    findings = forms.CharField(label=_("What was found"), required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))
    agreements = forms.CharField(label=_("What was agreed"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))


class WithdrawForm(Form):
    reason = forms.CharField(label=_("Reason for withdrawing"), max_length=200)


class PostForm(Form):
    kind = forms.ChoiceField(label=_("Kind"))
    name = forms.CharField(label=_("Name"), max_length=100)
    area_code = forms.CharField(label=_("Area (village or township code)"), max_length=12)
    employer = forms.ModelChoiceField(label=_("Employer (甲方)"), queryset=None, required=False)
    mu = forms.DecimalField(label=_("Area under care (mu)"), min_value=0, max_digits=10, decimal_places=2,
                            required=False)
    east = forms.CharField(label=_("East boundary"), max_length=100, required=False)
    south = forms.CharField(label=_("South boundary"), max_length=100, required=False)
    west = forms.CharField(label=_("West boundary"), max_length=100, required=False)
    north = forms.CharField(label=_("North boundary"), max_length=100, required=False)
    start = forms.DateField(label=_("Period from"), widget=DateInput())
    end = forms.DateField(label=_("Period until"), widget=DateInput())
    rule = forms.ChoiceField(label=_("Pay rule"))
    annual_pay = forms.DecimalField(label=_("Annual pay (yuan; empty: the rule's)"), min_value=0, max_digits=10,
                                    decimal_places=2, required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = must_choose([(k["code"], catalog.pick(k)) for k in catalog.post_kinds()])
        self.fields["rule"].choices = [(r["code"], catalog.pick(r)) for r in catalog.pay_rules()]
        self.fields["employer"].queryset = units
        self.fields["area_code"].widget.attrs.update(list="village-codes", inputmode="numeric")


class AgreementForm(Form):
    member_id_number = forms.CharField(label=_("ID number of the member (乙方)"), max_length=18)
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("Until"), widget=DateInput())


class InspectionForm(Form):
    date = forms.DateField(label=_("Date"), widget=DateInput(), initial=_today)
    present = forms.TypedChoiceField(label=_("Found at work"), coerce=lambda v: v == "1",
                                     choices=must_choose([("1", _("Yes")), ("0", _("No, absent"))]))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class DecisionForm(Form):
    month = forms.CharField(label=_("Month (YYYY-MM)"), max_length=7)
    decision = forms.ChoiceField(label=_("Decision"), choices=must_choose([("end", _("End the agreement")),
                                                                            ("keep", _("Keep the agreement"))]))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    end_on = forms.DateField(label=_("Ends on (when ending)"), widget=DateInput(), required=False)


class ImportForm(Form):
    kind = forms.ChoiceField(label=_("What the file holds"))
    file = forms.FileField(label=_("File (.xlsx or .csv)"))

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = must_choose(list(kinds))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".xlsx", ".xls", ".csv")):
            raise forms.ValidationError(_("Use an .xlsx or .csv file."))
        return f
