"""Pure policy of assistance work (no ORM): measure details checked against their
type's field list, the income item a measure feeds, a post's pay in a month after
deductions, the six items of 六清."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fupin.core import dates
from fupin.core.errors import Invalid
from fupin.registry.rules import INCOME_ITEMS

from . import catalog

FEN = Decimal("0.01")


# --- measure details ---------------------------------------------------------------------

def _parse(field: dict, value):
    """One detail value as stored in the JSON (text, int, a decimal as text, bool, a
    choice code, an ISO date), or ValueError with the reason."""
    kind = field["kind"]
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        if field.get("required"):
            raise ValueError(_("required, but empty"))
        return False if kind == "bool" else None
    if kind == "text":
        text = str(value)
        if len(text) > 200:
            raise ValueError(_("at most 200 characters"))
        return text
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in {"1", "true", "yes", "on", "是", "y"}:
            return True
        if text in {"0", "false", "no", "off", "否", "n"}:
            return False
        raise ValueError(_("yes or no"))
    if kind == "choice":
        for code, zh, en in field["choices"]:
            if str(value) in (code, zh, en):
                return code
        raise ValueError(_("not one of the allowed values"))
    if kind == "date":
        try:
            return dates.parse_date(value).isoformat()
        except ValueError:
            raise ValueError(_("a date (YYYY-MM-DD)")) from None
    if kind in ("int", "decimal"):
        try:
            number = Decimal(str(value).replace(",", ""))
        except InvalidOperation:
            raise ValueError(_("not a number")) from None
        if not number.is_finite():
            raise ValueError(_("not a number"))
        if kind == "int":
            if number != number.to_integral_value():
                raise ValueError(_("a whole number"))
            number = int(number)
        if "min" in field and number < Decimal(str(field["min"])):
            raise ValueError(_("at least %(n)s") % {"n": field["min"]})
        if "max" in field and number > Decimal(str(field["max"])):
            raise ValueError(_("at most %(n)s") % {"n": field["max"]})
        if kind == "decimal":
            if abs(number) >= Decimal("1e10"):
                raise ValueError(_("too large"))
            return str(number.quantize(FEN, rounding=ROUND_HALF_UP))
        return number
    raise ValueError(_("unknown kind of field"))


def clean_details(type_code: str, raw: dict | None) -> dict:
    """The details of a measure of ``type_code``, validated against the type's field
    list (data/measures.json): unknown keys are refused, each value is parsed by its
    kind, required fields must be there, and the type's checks hold. Raises Invalid
    naming the field."""
    mtype = catalog.measure_type(type_code)
    if mtype is None:
        raise Invalid(_("Unknown measure type “%(t)s”.") % {"t": type_code}, field="type")
    raw = raw or {}
    if not isinstance(raw, dict):
        raise Invalid(_("The details must be an object of named fields."), field="details")
    known = {f["name"]: f for f in mtype["fields"]}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise Invalid(_("Unknown detail “%(f)s” for this measure type.") % {"f": unknown[0]}, field=unknown[0])
    out = {}
    for name, field in known.items():
        try:
            value = _parse(field, raw.get(name))
        except ValueError as exc:
            raise Invalid(f"{catalog.field_label(field)}: {exc}", field=name) from None
        if value is not None:
            out[name] = value
    for check in mtype.get("checks", []):
        _check(check, out, known)
    return out


def _check(check: dict, values: dict, fields: dict) -> None:
    if check["rule"] == "per_person_at_most":
        num, den = values.get(check["numerator"]), values.get(check["denominator"])
        if num is None or not den:
            return
        per_person = (Decimal(str(num)) / Decimal(str(den))).quantize(FEN, rounding=ROUND_HALF_UP)
        std = catalog.standard(check["standard"])
        limit = Decimal(str(std["value"]))
        if per_person > limit:
            raise Invalid(
                _("%(area)s per person is above the standard of %(limit)s %(unit)s per person (%(source)s).")
                % {"area": per_person, "limit": limit, "unit": std.get("unit", ""), "source": std["source"]},
                field=check["numerator"])


def per_person_area(details: dict) -> Decimal | None:
    area, persons = details.get("area_m2"), details.get("persons")
    if area is None or not persons:
        return None
    return (Decimal(str(area)) / Decimal(str(persons))).quantize(FEN, rounding=ROUND_HALF_UP)


def income_item(type_code: str, details: dict) -> str:
    """The registry income item (Income field) a measure of this type feeds, or ""."""
    mtype = catalog.measure_type(type_code) or {}
    item = mtype.get("income_item") or ""
    if mtype.get("income_item_from"):
        item = details.get(mtype["income_item_from"]) or ""
    return item if item in INCOME_ITEMS else ""


def detail_rows(type_code: str, details: dict) -> list[tuple[str, str]]:
    """(label, shown value) of a measure's details, in the type's order."""
    mtype = catalog.measure_type(type_code)
    if mtype is None:
        return [(k, str(v)) for k, v in (details or {}).items()]
    rows = []
    for field in mtype["fields"]:
        if field["name"] not in details:
            continue
        value = details[field["name"]]
        if field["kind"] == "choice":
            shown = catalog.choice_label(field, value)
        elif field["kind"] == "bool":
            shown = _("Yes") if value else _("No")
        else:
            shown = str(value)
        rows.append((catalog.field_label(field), shown))
    if type_code == "relocation" and (pp := per_person_area(details)) is not None:
        rows.append((_("Area per person (m²)"), str(pp)))
    return rows


# --- posts: pay by month ----------------------------------------------------------------

def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first days of every month from ``start``'s month to ``end``'s, inclusive."""
    out, m = [], month_start(start)
    while m <= end:
        out.append(m)
        m = next_month(m)
    return out


def step_for(rule: dict, absences: int) -> dict:
    """The rule's step for a number of absences: the largest ``min_absences`` ≤ absences."""
    steps = sorted(rule["steps"], key=lambda s: s["min_absences"])
    chosen = steps[0]
    for s in steps:
        if absences >= s["min_absences"]:
            chosen = s
    return chosen


def month_pay(rule: dict, absences: int, annual_pay: Decimal | None = None) -> dict:
    """What a post pays for one month with ``absences`` found by inspections:
    annual pay ÷ months, less the step's percentage, rounded to the fen once, at the end
    (10,000 a year: 833.33; one absence 791.67; two 750.00)."""
    annual = Decimal(str(annual_pay if annual_pay is not None else rule["annual_pay"]))
    months = int(rule["months_per_year"])
    step = step_for(rule, absences)
    pct = Decimal(str(step["deduct_percent"]))
    full = (annual / months).quantize(FEN, rounding=ROUND_HALF_UP)
    pay = (annual * (100 - pct) / 100 / months).quantize(FEN, rounding=ROUND_HALF_UP)
    return {"monthly": full, "absences": absences, "deduct_percent": pct, "deduction": full - pay, "pay": pay,
            "may_end": bool(step.get("may_end")), "note": step.get("note", "")}


# --- 六清 -----------------------------------------------------------------------------------

SIX_CLEAR = [
    ("situation", gettext_lazy("Village and household situation"), "村情户情清"),
    ("causes", gettext_lazy("Causes of poverty"), "致贫原因清"),
    ("plan", gettext_lazy("Plan"), "脱贫规划清"),
    ("measures", gettext_lazy("Measures"), "帮扶措施清"),
    ("worklog", gettext_lazy("Work log (visits)"), "工作动态清"),
    ("results", gettext_lazy("Results"), "扶贫效果清"),
]
SIX_CLEAR_KEYS = [k for k, _label, _zh in SIX_CLEAR]
