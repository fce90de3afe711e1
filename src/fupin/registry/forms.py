"""Forms of the registry pages. They only shape and check what a person typed; every
write goes through registry.actions, whose ActionError (with its field) is shown next to
that field (``add_action_error``)."""

from __future__ import annotations

from functools import partial

from django import forms
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from fupin.core import clock
from fupin.core.errors import Invalid
from fupin.core.forms import CHOOSE, DateInput, Form

from . import actions, codes, exchange, rules
from .exchange import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS, PROGRAMME_FIRST_YEAR
from .models import Household, Income, Member, VillageProfile


def _code_choices(name: str, required: bool = False):
    return [("", CHOOSE if required else "—"), *codes.choices(name)]


def code_field(name: str, *, label, required: bool = False) -> forms.ChoiceField:
    """A choice of a code list, labelled in the language of the request (evaluated late). Its
    first option is empty, a required field's too ("- Select an option -", as core.forms.must_choose):
    a select shows its first option as chosen, so without the empty one a sex, a relation or a
    main cause would be taken for the person's choice without their making it (the form refuses
    a required field left empty, naming it)."""
    return forms.ChoiceField(label=label, required=required, choices=partial(_code_choices, name, required))


DATE = DateInput()  # the one date widget of every form (fupin.core.forms.DateInput)


def work_year_field(label, *, required: bool = True) -> forms.IntegerField:
    """The year of an income or of a village profile (and the profile's status year). It is a year
    of the poverty-alleviation work, like the exchange file's year columns, so it has their bounds:
    the field runs the action's own check (actions.check_work_year: exchange.PROGRAMME_FIRST_YEAR, the
    work's beginning, to exchange.last_year(), a few years ahead) and says the same; the bounds are
    also the input's min and max. The last year depends on today, so the field is made when the
    form is."""
    def check(value):
        try:
            actions.check_work_year(value, label=label)
        except Invalid as exc:
            raise forms.ValidationError(str(exc.message), code="year") from None

    field = forms.IntegerField(label=label, required=required, validators=[check])
    field.widget.attrs.update({"min": exchange.PROGRAMME_FIRST_YEAR, "max": exchange.last_year()})
    return field


class _WorkYearMixin:
    """A form whose ``year`` (and ``status_year``, if it has one) is a year of the work
    (work_year_field), bounded when it is made."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("year", "status_year"):
            declared = self.fields.get(name)
            if declared is None:
                continue
            field = self.fields[name] = work_year_field(declared.label, required=declared.required)  # (same place)
            field.widget.attrs.update({k: v for k, v in declared.widget.attrs.items() if k not in ("min", "max")})


def _not_in_the_browser(initial) -> bool:
    return False


def _required_but(col):
    """The help of a field some statuses need not fill (exchange.required_wording), in the
    language of the request (made when it is shown)."""
    return lazy(lambda: capfirst(exchange.required_wording(col, sheet=False)), str)()


def _fields_from_columns(model, columns, skip=()) -> dict[str, forms.Field]:
    """Form fields for exchange columns: the model gives label and size, the column kind
    the widget (code lists as choices, yes/no as checkboxes)."""
    out: dict[str, forms.Field] = {}
    for col in columns:
        if col.field in skip:
            continue
        mf = model._meta.get_field(col.field)
        label = mf.verbose_name
        kind = col.kind
        if kind.startswith("code:"):
            field = code_field(kind[5:], label=label, required=col.required)
        elif kind == "bool":
            field = forms.BooleanField(label=label, required=False)
        elif kind == "decimal":
            field = forms.DecimalField(label=label, required=False, min_value=0, max_digits=mf.max_digits,
                                       decimal_places=mf.decimal_places)
        elif kind == "year":
            # (the last year depends on today: the action checks it, with parse_cell's bounds)
            field = forms.IntegerField(label=label, required=col.required, min_value=PROGRAMME_FIRST_YEAR)
        elif kind == "int":
            field = forms.IntegerField(label=label, required=col.required, min_value=0, max_value=32767)
        elif kind == "date":
            field = forms.DateField(label=label, required=col.required, widget=DATE)
        elif kind == "id":
            field = forms.CharField(label=label, required=False, max_length=18)
        elif kind == "area":
            field = forms.CharField(label=label, required=True, max_length=15)
        else:
            field = forms.CharField(label=label, required=col.required, max_length=col.max_length)
        if col.unless_status:
            # required of every status but some (rules.FIELDS_NOT_NEEDED): its help says which, the
            # browser does not insist (the status may be chosen on the same page), and the form that
            # holds it lets it go empty for those (HouseholdForm.clean)
            field.help_text = _required_but(col)
            field.widget.use_required_attribute = _not_in_the_browser
        out[col.field] = field
    return out


class FieldsetMixin:
    """``form.fieldsets``: (title, [bound fields]) in the order of FIELDSETS."""

    FIELDSETS: list[tuple[str, list[str]]] = []

    def fieldsets(self):
        seen, out = set(), []
        for title, names in self.FIELDSETS:
            bound = [self[n] for n in names if n in self.fields]
            seen.update(names)
            if bound:
                out.append((title, bound))
        rest = [self[n] for n in self.fields if n not in seen and not self.fields[n].widget.is_hidden]
        if rest:
            out.append((_("Other"), rest))
        return out


def add_action_error(form: forms.Form, exc) -> None:
    """An ActionError next to its field when the form has it, above the form otherwise."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


# --- households ------------------------------------------------------------------------

class HouseholdForm(FieldsetMixin, Form):
    FIELDSETS = [
        (_("Household"), ["number", "area_code", "address", "phone", "bank_name", "bank_account", "category",
                          "standard", "identified_year", "planned_exit_year", "exit_year", "return_year",
                          "return_reason", "status", "status_date", "status_reason"]),
        (_("Causes of poverty"), ["main_cause", "cause2", "cause3"]),
        (_("Housing and living conditions"), ["housing_area", "housing_structure", "danger_grade",
                                              "renovated_year", "water_difficult", "water_safe", "power",
                                              "sanitary_toilet", "road_distance_km", "relocated",
                                              "relocation_mode", "relocation_place"]),
        (_("Land and production"), ["arable_mu", "irrigated_mu", "forest_mu", "returned_forest_mu",
                                    "cooperative"]),
    ]

    def __init__(self, *args, creating: bool = False, villages=(), by_procedure: dict | None = None,
                 may_correct: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:  # the fields some statuses need not fill: clean() checks them with the status
            for col in HOUSEHOLD_COLUMNS:
                if col.unless_status and col.field in self.fields:
                    self.fields[col.field].required = False
        self.fields["area_code"].help_text = _(
            "The 12-digit code of the village, or the 15-digit code of the village group.")
        self.fields["area_code"].widget.attrs["list"] = "fp-villages"
        self.villages = villages
        if not creating:
            del self.fields["status"]
            del self.fields["status_date"]
            del self.fields["status_reason"]
            return
        # A new household's first status: the statuses a procedure sets (identification, exit) as the
        # status form offers them — only to a user who may correct statuses, with a reason.
        by_procedure = actions.procedure_statuses() if by_procedure is None else by_procedure
        if not may_correct or not by_procedure:
            self.fields["status"].choices = [c for c in self.fields["status"].choices if c[0] not in by_procedure]
            del self.fields["status_reason"]
        else:
            from fupin.core import present

            self.fields["status_reason"].help_text = _(
                "Required for %(statuses)s: a procedure sets these, so entering a household with one of them "
                "is a correction, logged as such.") % {
                    "statuses": present.join(f"“{codes.label('status', s)}”" for s in by_procedure)}

    def clean(self):
        """贫困户属性, 识别标准, 主要致贫原因, 识别年度 (rules.IDENTIFICATION_FIELDS) are required but of
        a household whose status does not need them (rules.FIELDS_NOT_NEEDED): the status chosen
        for a new household, the household's own (its initial, household_initial) for a change."""
        data = super().clean()
        if "status" in self.fields:
            status = data.get("status")
            if not status:
                return data  # (its own error already)
        else:
            status = self.initial.get("status")
        for col, problem in exchange.empty_fields_problems(status, data):
            self.add_error(col.field, capfirst(problem))
        return data

    def clean_number(self):
        return self.cleaned_data["number"].strip()

    def clean_area_code(self):
        return self.cleaned_data["area_code"].strip()

    def values(self) -> dict:
        """The household values for actions.create_household / update_household."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data.pop("status", None)
        data.pop("status_date", None)
        data.pop("status_reason", None)
        return data


HouseholdForm.base_fields.update(_fields_from_columns(Household, HOUSEHOLD_COLUMNS, skip=("status", "status_date")))
HouseholdForm.base_fields["status"] = code_field("status", label=_("status"), required=True)
HouseholdForm.base_fields["status_date"] = forms.DateField(label=_("status since"), required=False, widget=DATE)
HouseholdForm.base_fields["status_reason"] = forms.CharField(label=_("Reason for the status"), max_length=200,
                                                           required=False)
HouseholdForm.base_fields["version"] = forms.IntegerField(widget=forms.HiddenInput, required=False)


def household_initial(h: Household) -> dict:
    data = {col.field: getattr(h, col.field) for col in HOUSEHOLD_COLUMNS}
    data["version"] = h.version
    return data


class StatusForm(Form):
    """A dated change of status. A status that a procedure sets (``by_procedure``:
    actions.procedure_statuses) is offered only to a user who may correct statuses
    (``may_correct``: registry.correct at the household), and then needs a reason
    (actions.set_status refuses it otherwise, next to the reason)."""

    status = code_field("status", label=_("New status"), required=True)
    date = forms.DateField(label=_("Date"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, by_procedure: dict | None = None, may_correct: bool = False, **kwargs):
        from fupin.core import present

        super().__init__(*args, **kwargs)
        self.fields["date"].initial = clock.today()
        by_procedure = actions.procedure_statuses() if by_procedure is None else by_procedure
        if not may_correct:
            self.fields["status"].choices = [c for c in self.fields["status"].choices if c[0] not in by_procedure]
        elif by_procedure:
            self.fields["reason"].help_text = _(
                "Required for %(statuses)s: a procedure sets these, so setting one here is a correction, logged "
                "as such.") % {"statuses": present.join(f"“{codes.label('status', s)}”" for s in by_procedure)}


# --- members ---------------------------------------------------------------------------

class MemberForm(FieldsetMixin, Form):
    FIELDSETS = [
        (_("Person"), ["name", "id_number", "no_id_reason", "sex", "birth_date", "relation", "ethnicity",
                       "phone"]),
        (_("Education and health"), ["education", "school_status", "health", "disability_grade"]),
        (_("Work"), ["labour", "work_status", "work_place", "work_months"]),
        (_("Insurance and support"), ["medical_insurance", "serious_illness_insurance", "pension_insurance",
                                      "dibao", "tekun"]),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["id_number"].help_text = _(
            "18 characters. Birth date and sex are taken from it: leave them empty.")
        self.fields["sex"].required = False
        self.fields["sex"].help_text = _("Needed only for a person without an ID number.")

    def clean_id_number(self):
        value = (self.cleaned_data.get("id_number") or "").strip().upper().replace(" ", "")
        if not value:
            return ""
        try:
            return rules.parse_id_number(value).number
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self):
        data = super().clean()
        number = data.get("id_number")
        if number:
            info = rules.parse_id_number(number)
            if not data.get("sex"):
                data["sex"] = info.sex
            elif data["sex"] != info.sex:
                self.add_error("sex", _("The sex differs from the one in the ID number."))
            if not data.get("birth_date"):
                data["birth_date"] = info.birth_date
            elif data["birth_date"] != info.birth_date:
                self.add_error("birth_date", _("The birth date differs from the one in the ID number (%(d)s).")
                               % {"d": info.birth_date})
        elif "id_number" in data:
            if not data.get("no_id_reason"):
                self.add_error("no_id_reason", _("Without an ID number, give the reason."))
            if not data.get("sex"):
                self.add_error("sex", _("Without an ID number, give the sex."))
        return data

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["id_number"] = data.get("id_number") or None
        return data


MemberForm.base_fields.update(_fields_from_columns(Member, MEMBER_COLUMNS))


def member_initial(m: Member) -> dict:
    return {col.field: getattr(m, col.field) for col in MEMBER_COLUMNS}


class LeaveForm(Form):
    reason = code_field("leave_reason", label=_("Reason for leaving"), required=True)
    date = forms.DateField(label=_("Date left"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = clock.today()


# --- income ----------------------------------------------------------------------------

class IncomeForm(_WorkYearMixin, Form):
    year = forms.IntegerField(label=_("Year"))  # (bounded by _WorkYearMixin)

    def groups(self):
        """(group label, [bound fields]) in the order of rules.INCOME_GROUPS, then costs."""
        out = []
        for group, label in rules.INCOME_GROUPS.items():
            out.append((label, [self[f] for f, (g, _l) in rules.INCOME_ITEMS.items() if g == group]))
        out.append((_("Costs"), [self["production_costs"]]))
        return out

    def amounts(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("year", "note")}


for _field in [*rules.INCOME_ITEMS, "production_costs"]:
    IncomeForm.base_fields[_field] = forms.DecimalField(label=Income._meta.get_field(_field).verbose_name,
                                                        required=False, min_value=0,
                                                        max_digits=12, decimal_places=2, initial=0)
IncomeForm.base_fields["note"] = forms.CharField(label=_("Note"), max_length=200, required=False)


# --- villages --------------------------------------------------------------------------

PROFILE_FIELDS = ["households", "population", "rural_population", "collective_income", "arable_mu", "forest_mu",
                  "main_industries", "special_industries", "status", "status_year", "note"]


class VillageProfileForm(_WorkYearMixin, Form):
    year = forms.IntegerField(label=_("Year"))  # (bounded by _WorkYearMixin)

    def values(self) -> dict:
        """The profile values for actions.save_village_profile (empty numbers are 0)."""
        data = {k: v for k, v in self.cleaned_data.items() if k in PROFILE_FIELDS}
        for name in ("households", "population", "rural_population", "collective_income", "arable_mu",
                     "forest_mu"):
            if data.get(name) is None:
                data[name] = 0
        return data


VillageProfileForm.base_fields.update(forms.fields_for_model(VillageProfile, fields=PROFILE_FIELDS))
VillageProfileForm.base_fields["status"] = code_field("village_status", label=_("village status"), required=True)
for _name in ("households", "population", "rural_population", "collective_income", "arable_mu", "forest_mu"):
    VillageProfileForm.base_fields[_name].required = False
