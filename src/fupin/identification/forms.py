import json
from functools import cache
from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.core.forms import DateInput, Form, must_choose
from fupin.registry import codes as registry_codes

from . import rules
from .models import Line, MemberFact

DATA = Path(__file__).parent / "data" / "standards.json"


@cache
def formula_presets() -> dict[str, dict]:
    """The formulas shipped as data (浙江's low-income line …), by key."""
    return {f["key"]: f for f in json.loads(DATA.read_text(encoding="utf-8"))["formulas"]}


def area_prefix_from(value: str) -> str:
    """An area code (12 digits) or a prefix as typed -> the area's prefix."""
    value = (value or "").strip()
    if len(value) >= 12:
        return rules.prefix_of_code(value[:12])
    return value


YEAR = {"min_value": 1978, "max_value": 2100}
KIND_CHOICES = list(rules.LINE_KINDS.items())
OFFSET_CHOICES = [(0, _("same year")), (-1, _("last year")), (-2, _("two years before"))]


class LineForm(Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=must_choose(KIND_CHOICES))
    area = forms.CharField(label=_("Area code"), required=False, max_length=15,
                           help_text=_("Empty for the whole country; otherwise the area's 12-digit code "
                                       "(or its prefix: 2 digits a province, 4 a city, 6 a county)."))
    year = forms.IntegerField(label=_("Year"), **YEAR)
    name = forms.CharField(label=_("Name"), required=False, max_length=120)
    method = forms.ChoiceField(label=_("Method"), choices=Line.METHOD_CHOICES, initial=Line.FIXED)
    value = forms.DecimalField(label=_("Value (yuan)"), required=False, max_digits=12, decimal_places=2,
                               help_text=_("For a typed value."))
    per = forms.ChoiceField(label=_("Per"), choices=Line.PER_CHOICES, initial="year")
    preset = forms.ChoiceField(label=_("Formula from a document"), required=False,
                               help_text=_("For a formula: choose one, or give the terms below."))
    combine = forms.ChoiceField(label=_("Combine the terms with"), required=False, initial="max",
                                choices=[("max", _("the larger (max)")), ("min", _("the smaller (min)")),
                                         ("sum", _("the sum"))])
    term1_kind = forms.ChoiceField(label=_("Term 1: input line"), required=False,
                                   choices=[("", "—"), *KIND_CHOICES])
    term1_factor = forms.DecimalField(label=_("Term 1: factor"), required=False, max_digits=8, decimal_places=4)
    term1_offset = forms.TypedChoiceField(label=_("Term 1: year of the input"), required=False, coerce=int,
                                          choices=OFFSET_CHOICES, initial=-1)
    term2_kind = forms.ChoiceField(label=_("Term 2: input line"), required=False,
                                   choices=[("", "—"), *KIND_CHOICES])
    term2_factor = forms.DecimalField(label=_("Term 2: factor"), required=False, max_digits=8, decimal_places=4)
    term2_offset = forms.TypedChoiceField(label=_("Term 2: year of the input"), required=False, coerce=int,
                                          choices=OFFSET_CHOICES, initial=-1)
    source = forms.CharField(label=_("Source document"), required=False, max_length=300,
                             widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    is_example = forms.BooleanField(label=_("Example only (demo data, not a real standard)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preset"].choices = [("", "—")] + [(k, f["name"]) for k, f in formula_presets().items()]

    @classmethod
    def initial_for(cls, line: Line) -> dict:
        data = {"kind": line.kind, "area": line.area_prefix, "year": line.year, "name": line.name,
                "method": line.method, "value": line.value, "per": line.per, "source": line.source,
                "note": line.note, "is_example": line.is_example}
        if line.formula:
            data["combine"] = line.formula.get("combine", "max")
            for i, t in enumerate(line.formula.get("terms", [])[:2], start=1):
                data.update({f"term{i}_kind": t["kind"], f"term{i}_factor": t["factor"],
                             f"term{i}_offset": t["year_offset"]})
        return data

    def values(self) -> dict:
        d = self.cleaned_data
        out = {"kind": d["kind"], "area_prefix": area_prefix_from(d["area"]), "year": d["year"], "name": d["name"],
               "method": d["method"], "value": d["value"], "per": d["per"], "source": d["source"],
               "note": d["note"], "is_example": d["is_example"]}
        if d["method"] == Line.DERIVED:
            preset = formula_presets().get(d.get("preset") or "")
            if preset:
                out["formula"] = preset["formula"]
                out["source"] = out["source"] or preset["source"]
                out["name"] = out["name"] or preset["name"]
            else:
                terms = [{"kind": d[f"term{i}_kind"], "factor": str(d[f"term{i}_factor"] or ""),
                          "year_offset": d[f"term{i}_offset"] if d[f"term{i}_offset"] not in (None, "") else -1}
                         for i in (1, 2) if d.get(f"term{i}_kind")]
                out["formula"] = {"combine": d["combine"] or "max", "terms": terms}
        return out


class RuleSetForm(Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    area = forms.CharField(label=_("Area code"), required=False, max_length=15,
                           help_text=_("Empty for the whole country; otherwise the area's 12-digit code."))
    from_year = forms.IntegerField(label=_("From year"), **YEAR)
    to_year = forms.IntegerField(label=_("To year"), required=False, **YEAR)
    combine = forms.ChoiceField(label=_("Eligible when"), choices=list(rules.COMBINE.items()))
    statuses = forms.MultipleChoiceField(label=_("Household statuses checked"), widget=forms.CheckboxSelectMultiple)
    source = forms.CharField(label=_("Source document"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["statuses"].choices = registry_codes.choices("status")
        self.fields["statuses"].widget.attrs["class"] = ""

    def values(self) -> dict:
        d = self.cleaned_data
        return {"name": d["name"], "area_prefix": area_prefix_from(d["area"]), "from_year": d["from_year"],
                "to_year": d["to_year"], "combine": d["combine"], "statuses": d["statuses"],
                "source": d["source"], "note": d["note"]}


class JSONText(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return {}
        try:
            return json.loads(value)
        except ValueError:
            raise forms.ValidationError(_("This is not valid JSON.")) from None

    def prepare_value(self, value):
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        return value


class CriterionForm(Form):
    code = forms.ChoiceField(label=_("Criterion"), required=False)
    enabled = forms.BooleanField(label=_("Switched on"), required=False, initial=True)
    label = forms.CharField(label=_("Label"), required=False, max_length=120,
                            help_text=_("Leave empty to use the standard label."))
    params = JSONText(label=_("Parameters (JSON)"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                      help_text=_('For a veto: {"fact_kinds": ["car"], "min_value": 100000, "relatives": false}. '
                                  'For school: {"min_age": 6, "max_age": 15, "on": "09-01", "statuses": ["00"]}.'))
    source = forms.CharField(label=_("Source document"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, creating=False, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            self.fields["code"].required = True
            self.fields["code"].choices = must_choose([(c, str(d.label)) for c, d in rules.CRITERIA.items()])
        else:
            del self.fields["code"]


class RunForm(Form):
    area = forms.CharField(label=_("Area code"), max_length=15,
                           help_text=_("The 12-digit code of the county, township or village to check."))
    year = forms.IntegerField(label=_("Year"), **YEAR)


class SimulateForm(RunForm):
    line_kind = forms.ChoiceField(label=_("Change the line"), required=False, choices=[("", "—"), *KIND_CHOICES])
    line_area = forms.CharField(label=_("of the area (code)"), required=False, max_length=15,
                                help_text=_("Empty for the whole country."))
    line_value = forms.DecimalField(label=_("to (yuan per person per year)"), required=False, max_digits=12,
                                    decimal_places=2)
    switch_off = forms.MultipleChoiceField(label=_("Switch off"), required=False,
                                           widget=forms.SelectMultiple(attrs={"size": 6}))
    switch_on = forms.MultipleChoiceField(label=_("Switch on"), required=False,
                                          widget=forms.SelectMultiple(attrs={"size": 6}))
    param_code = forms.ChoiceField(label=_("Change the parameters of"), required=False)
    params = JSONText(label=_("to (JSON)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(c, str(d.label)) for c, d in rules.CRITERIA.items()]
        self.fields["switch_off"].choices = choices
        self.fields["switch_on"].choices = choices
        self.fields["param_code"].choices = [("", "—"), *choices]

    def clean(self):
        d = super().clean()
        if d.get("line_kind") and d.get("line_value") is None:
            self.add_error("line_value", _("Give the new value of the line."))
        if set(d.get("switch_off") or []) & set(d.get("switch_on") or []):
            self.add_error("switch_on", _("A criterion cannot be switched both off and on."))
        return d

    def changes(self) -> dict:
        d = self.cleaned_data
        out = {"lines": [], "criteria": []}
        if d.get("line_kind"):
            out["lines"].append({"kind": d["line_kind"], "area_prefix": area_prefix_from(d["line_area"]),
                                 "value": str(d["line_value"])})
        for code in d.get("switch_off") or []:
            out["criteria"].append({"code": code, "enabled": False})
        for code in d.get("switch_on") or []:
            out["criteria"].append({"code": code, "enabled": True})
        if d.get("param_code"):
            out["criteria"].append({"code": d["param_code"], "params": d.get("params") or {}})
        return out


class FactForm(Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=must_choose(list(rules.FACT_KINDS.items())))
    member = forms.ChoiceField(label=_("Member"), required=False)
    relation = forms.ChoiceField(label=_("Whose"), required=False, choices=MemberFact.RELATION_CHOICES)
    person_name = forms.CharField(label=_("Name of the relative"), required=False, max_length=60)
    value = forms.DecimalField(label=_("Value (yuan)"), required=False, max_digits=12, decimal_places=2,
                               help_text=_("E.g. the price of the car."))
    as_of = forms.DateField(label=_("As of"), required=False, widget=DateInput())
    detail = forms.CharField(label=_("Detail"), required=False, max_length=200)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", _("the household / a relative"))] + [(m.pk, m.name) for m in members]


class FactDecisionForm(Form):
    status = forms.ChoiceField(label=_("Decision"), choices=MemberFact.STATUS_CHOICES)
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
