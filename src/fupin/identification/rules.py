"""Pure policy functions of identification: line kinds, the formula of a derived line,
which line applies where, the catalogue of criteria and the one-sentence reason.
No ORM and no policy numbers here: the numbers are data (lines, criterion parameters)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fupin.core import dates
from fupin.core.money import format_amount

LINE_KINDS = {
    "national": gettext_lazy("National poverty line"),
    "provincial": gettext_lazy("Provincial line (low-income line)"),
    "city": gettext_lazy("City line"),
    "dibao": gettext_lazy("Local 低保 standard"),
    "rural_income": gettext_lazy("Local rural per-capita disposable income"),
    "monitoring": gettext_lazy("Monitoring line (防返贫监测范围)"),
}
# The registry's identification standard (code list "standard": 国家/省定/市定) picks
# the kind of line a household is measured against.
STANDARD_KIND = {"1": "national", "2": "provincial", "3": "city"}
POVERTY_KINDS = tuple(STANDARD_KIND.values())

# A line's area is a whole area: the whole country, a province, city, county,
# township or village (the significant digits of its code).
PREFIX_LENGTHS = (0, 2, 4, 6, 9, 12)

COMBINE = {
    "or": gettext_lazy("income below the line, or a basic guarantee not met"),
    "and": gettext_lazy("income below the line and a basic guarantee not met"),
    "income": gettext_lazy("income below the line"),
    "guarantees": gettext_lazy("a basic guarantee not met"),
}

# Household statuses whose rule outcome is expected to be "eligible": a household in
# one of these found not eligible (or one outside them found eligible) is flagged.
EXPECTED_ELIGIBLE = ("identified", "registered", "returned")

FACT_KINDS = {
    "public_employee": gettext_lazy("on the public payroll (财政供养)"),
    "village_cadre": gettext_lazy("village cadre"),
    "car": gettext_lazy("owns a car"),
    "urban_housing": gettext_lazy("owns urban commercial housing or a shop"),
    "business": gettext_lazy("registered and operating business"),
    "large_farming": gettext_lazy("large-scale farming or hiring labour"),
    "household_split": gettext_lazy("deliberate household splitting"),
    "empty_registration": gettext_lazy("registered, nobody living there"),
    "deceased": gettext_lazy("deceased"),
    "imprisoned": gettext_lazy("imprisoned"),
    "missing": gettext_lazy("missing"),
    "pension": gettext_lazy("receives a pension"),
    "land": gettext_lazy("land beyond the household's contract"),
    "other": gettext_lazy("other"),
}


@dataclass(frozen=True)
class CriterionDef:
    group: str  # guarantee | veto
    label: object
    params: dict = field(default_factory=dict)  # defaults; the shipped values are in the data files


# The criteria the engine knows. A guarantee needs its own SQL (engine.py); a veto is
# generic: "a fact of one of these kinds (value above min_value) in the household".
CRITERIA: dict[str, CriterionDef] = {
    "housing_unsafe": CriterionDef("guarantee", gettext_lazy("housing not safe"), {"grades": []}),
    "water_unsafe": CriterionDef("guarantee", gettext_lazy("no safe drinking water")),
    "school_dropout": CriterionDef("guarantee", gettext_lazy("a child of compulsory-school age out of school"),
                                   {"min_age": None, "max_age": None, "on": "09-01", "statuses": []}),
    "no_medical_insurance": CriterionDef("guarantee", gettext_lazy("a member without basic medical insurance")),
    "public_employee": CriterionDef("veto", gettext_lazy("a public employee in the family"),
                                    {"fact_kinds": ["public_employee"], "relatives": True}),
    "village_cadre": CriterionDef("veto", gettext_lazy("a village cadre in the household"),
                                  {"fact_kinds": ["village_cadre"]}),
    "car": CriterionDef("veto", gettext_lazy("a car worth more than the stated amount"),
                        {"fact_kinds": ["car"], "min_value": None}),
    "urban_housing": CriterionDef("veto", gettext_lazy("urban commercial housing or a shop"),
                                  {"fact_kinds": ["urban_housing"]}),
    "business": CriterionDef("veto", gettext_lazy("a registered and operating business"),
                             {"fact_kinds": ["business"]}),
    "large_farming": CriterionDef("veto", gettext_lazy("large-scale farming or hiring labour"),
                                  {"fact_kinds": ["large_farming"]}),
    "household_split": CriterionDef("veto", gettext_lazy("deliberate household splitting"),
                                    {"fact_kinds": ["household_split"]}),
    "empty_registration": CriterionDef("veto", gettext_lazy("a registration with nobody living there"),
                                       {"fact_kinds": ["empty_registration"]}),
    "deceased": CriterionDef("veto", gettext_lazy("a deceased member"), {"fact_kinds": ["deceased"]}),
    "imprisoned": CriterionDef("veto", gettext_lazy("an imprisoned member"), {"fact_kinds": ["imprisoned"]}),
    "missing": CriterionDef("veto", gettext_lazy("a missing member"), {"fact_kinds": ["missing"]}),
}
GUARANTEE_CODES = tuple(c for c, d in CRITERIA.items() if d.group == "guarantee")


def criterion_label(code: str):
    d = CRITERIA.get(code)
    return d.label if d else code


# --- areas ------------------------------------------------------------------------

def check_prefix(prefix: str) -> str | None:
    """An error message when ``prefix`` is not a whole area's prefix, else None."""
    if prefix and not (prefix.isascii() and prefix.isdigit()):  # not ３６ nor ²: they match no area code
        return _("An area prefix has digits only.")
    if len(prefix) not in PREFIX_LENGTHS:
        return _("An area prefix has 0 (whole country), 2, 4, 6, 9 or 12 digits.")
    return None


def prefix_of_code(code: str) -> str:
    """The significant digits of a 12-digit area code ('' for an empty code)."""
    code = (code or "").strip()
    if not code:
        return ""
    for n in PREFIX_LENGTHS[1:]:
        if code[n:12].strip("0") == "":
            return code[:n]
    return code[:12]


def ancestors(prefix: str) -> list[str]:
    """The prefixes that contain ``prefix`` (itself included), widest first."""
    return [prefix[:n] for n in PREFIX_LENGTHS if n <= len(prefix)]


def most_specific(candidates: dict[str, object], area_code: str):
    """The value whose prefix is the longest one ``area_code`` starts with (or None)."""
    best = None
    for prefix, value in candidates.items():
        if area_code.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, value)
    return best[1] if best else None


# --- values and formulas ----------------------------------------------------------

def annual(value: Decimal | None, per: str) -> Decimal | None:
    if value is None:
        return None
    return value * 12 if per == "month" else value


def _dec(value, what: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValueError(_("%(what)s is not a number: %(value)s") % {"what": what, "value": value}) from None
    if not d.is_finite():
        raise ValueError(_("%(what)s is not a number: %(value)s") % {"what": what, "value": value})
    return d


def check_formula(formula) -> dict:
    """Validate a derived line's formula; return it normalised. Shape::

        {"combine": "max" | "min" | "sum",
         "terms": [{"kind": "dibao", "factor": "1.5", "year_offset": -1}, …],
         "round": "0.01", "rounding": "half_up" | "up"}
    """
    if not isinstance(formula, dict):
        raise ValueError(_("A formula is an object with 'combine' and 'terms'."))
    combine = formula.get("combine", "max")
    if combine not in ("max", "min", "sum"):
        raise ValueError(_("A formula combines its terms with max, min or sum."))
    terms = formula.get("terms")
    if not isinstance(terms, list) or not terms:
        raise ValueError(_("A formula needs at least one term."))
    out_terms = []
    for i, t in enumerate(terms, start=1):
        if not isinstance(t, dict) or t.get("kind") not in LINE_KINDS:
            raise ValueError(_("Term %(n)s: the input kind must be one of %(kinds)s.")
                             % {"n": i, "kinds": ", ".join(LINE_KINDS)})
        factor = _dec(t.get("factor"), _("Term %(n)s's factor") % {"n": i})
        if factor <= 0:
            raise ValueError(_("Term %(n)s: the factor must be above zero.") % {"n": i})
        try:
            offset = int(t.get("year_offset", 0))
        except (TypeError, ValueError):
            raise ValueError(_("Term %(n)s: the year offset is a whole number (-1 = last year).")
                             % {"n": i}) from None
        if not -10 <= offset <= 0:
            raise ValueError(_("Term %(n)s: the year offset is between -10 and 0.") % {"n": i})
        out_terms.append({"kind": t["kind"], "factor": str(factor), "year_offset": offset})
    step = _dec(formula.get("round", "0.01"), _("The rounding step"))
    if step <= 0:
        raise ValueError(_("The rounding step must be above zero."))
    rounding = formula.get("rounding", "half_up")
    if rounding not in ("half_up", "up"):
        raise ValueError(_("Rounding is half_up or up."))
    return {"combine": combine, "terms": out_terms, "round": str(step), "rounding": rounding}


def evaluate(formula: dict, inputs: list[dict | None], year: int) -> dict:
    """Compute a derived line. ``inputs[i]`` is the line found for term i
    ({"value": Decimal (yearly), "area_prefix", "year", "id"}) or None when missing.
    Returns the computation: every term with its input and product, and the value
    (None when an input is missing)."""
    formula = check_formula(formula)
    steps, products, missing = [], [], []
    for term, found in zip(formula["terms"], inputs, strict=True):
        factor = Decimal(term["factor"])
        input_year = year + term["year_offset"]
        step = {"kind": term["kind"], "year": input_year, "factor": term["factor"]}
        if found is None or found.get("value") is None:
            missing.append(step)
            step["input"] = None
            step["product"] = None
        else:
            product = Decimal(found["value"]) * factor
            step.update(input=str(found["value"]), input_area=found.get("area_prefix", ""),
                        input_line=found.get("id"), product=f"{product:.2f}")
            products.append(product)
        steps.append(step)
    value = None
    if not missing:
        raw = {"max": max, "min": min, "sum": sum}[formula["combine"]](products)
        q = Decimal(formula["round"])
        mode = ROUND_CEILING if formula["rounding"] == "up" else ROUND_HALF_UP
        value = (raw / q).quantize(Decimal(1), rounding=mode) * q
        value = value.quantize(Decimal("0.01"))
    return {"combine": formula["combine"], "terms": steps, "value": None if value is None else str(value),
            "missing": bool(missing)}


def describe_computation(comp: dict | None) -> str:
    """'max(1.5 × 8,000.00 (低保 2017) = 12,000.00, 0.40 × 27,000.00 (…) = 10,800.00) = 12,000.00'."""
    if not comp:
        return ""
    parts = []
    for t in comp["terms"]:
        label = f"{LINE_KINDS.get(t['kind'], t['kind'])} {t['year']}"
        if t.get("input") is None:
            parts.append(_("%(factor)s × [%(label)s: missing]") % {"factor": t["factor"], "label": label})
        else:
            parts.append(f"{t['factor']} × {money(t['input'])} ({label}) = {money(t['product'])}")
    inner = "; ".join(parts)
    result = money(comp["value"]) if comp.get("value") is not None else _("not computable")
    return f"{comp['combine']}({inner}) = {result}"


def money(value) -> str:
    return format_amount(value) or "—"


# --- criteria ---------------------------------------------------------------------

def check_params(code: str, group: str, params) -> dict:
    """Validate a criterion's parameters; return them normalised."""
    if not isinstance(params, dict):
        raise ValueError(_("Parameters are an object (JSON)."))
    out = dict(params)
    if group == "veto":
        kinds = out.get("fact_kinds") or CRITERIA.get(code, CriterionDef("veto", "", {})).params.get("fact_kinds")
        if not kinds or not isinstance(kinds, list) or any(k not in FACT_KINDS for k in kinds):
            raise ValueError(_("A veto names the fact kinds it reads (fact_kinds), from: %(kinds)s")
                             % {"kinds": ", ".join(FACT_KINDS)})
        out["fact_kinds"] = kinds
        if out.get("min_value") not in (None, ""):
            out["min_value"] = str(_dec(out["min_value"], _("The amount")))
        else:
            out["min_value"] = None
        out["relatives"] = bool(out.get("relatives", False))
    else:
        if code not in CRITERIA or CRITERIA[code].group != "guarantee":
            raise ValueError(_("Unknown basic guarantee: %(code)s") % {"code": code})
        if code == "school_dropout":
            for key in ("min_age", "max_age"):
                try:
                    out[key] = int(out.get(key))
                except (TypeError, ValueError):
                    raise ValueError(_("The compulsory-school ages (min_age, max_age) are whole numbers.")) from None
            if not 0 <= out["min_age"] <= out["max_age"] <= 25:
                raise ValueError(_("The compulsory-school ages are 0 ≤ min_age ≤ max_age ≤ 25."))
            try:
                month, day = (int(x) for x in str(out.get("on", "09-01")).split("-"))
                dt.date(2001, month, day)  # a common year: ages counted on 02-29 would move to 1 March 3 years in 4
            except (TypeError, ValueError):
                raise ValueError(_("'on' is the day ages are counted, as MM-DD.")) from None
            out["on"] = f"{month:02d}-{day:02d}"
            if not out.get("statuses"):
                raise ValueError(_("Name the school statuses that mean out of school (statuses)."))
        if code == "housing_unsafe":
            check_housing_params(out)
    return out


def check_housing_params(params: dict) -> None:
    """The housing criterion's parameters, read the same way by identification and the exit
    check: ``grades`` the dangerous-house grades (A–D) that mean not safe, ``renovated_passes``
    (a JSON boolean; without it, no) whether a house renovated by the year counts as safe
    (read by renovated_passes)."""
    grades = params.get("grades")
    if not isinstance(grades, list) or not grades or any(g not in ("A", "B", "C", "D") for g in grades):
        raise ValueError(_("Name the dangerous-house grades (A–D) that mean not safe (grades)."))
    if not isinstance(params.get("renovated_passes", False), bool):
        raise ValueError(_("renovated_passes is true or false (whether a renovated house counts as safe)."))


def renovated_passes(params: dict | None) -> bool:
    """Whether the housing criterion (identification's housing_unsafe, the exit check's housing)
    counts a house of one of its grades as safe once renovated by the year (its registered
    renovated_year not after it): its ``renovated_passes``, read here only, by identification's
    engine and by the exit check (exits.queries) alike.

    Without the key it does not — the grade alone decides. The documents make renovation the
    remedy for a dangerous house (seed 004 (1): 优先完成贫困户危房改造; seed 002: 改造一户、销档一户),
    and the shipped criteria adopt that reading in their data with this source
    (``renovated_passes: true`` in identification/data/standards.json and exits/data/
    exit_criteria.json); counting a registered year of renovation as safe housing is a reading
    a criterion states, not one the code supplies. A criterion without the key was written
    without it: a county's own rule, which identification migration 0005 leaves as written."""
    return (params or {}).get("renovated_passes") is True


def birth_bounds(year: int, min_age: int, max_age: int, on: str = "09-01") -> tuple[dt.date, dt.date]:
    """(born after, born on or before): the birth dates of children aged min_age to
    max_age on the day ``on`` (MM-DD) of ``year``, ages counted as core.dates.age_on
    counts them (born on 29 February: a year older on 1 March of a common year; a
    stored 'on' of 02-29 is 1 March in a common year)."""
    ref = dates.day_in(year, on)
    return dates.latest_birth(ref, max_age + 1), dates.latest_birth(ref, min_age)


def eligible(combine: str, income_below: bool | None, guarantees_failed: bool, vetoed: bool) -> bool:
    """The decision, as the SQL of the engine computes it (kept here to be tested)."""
    income = bool(income_below)
    ok = {"or": income or guarantees_failed, "and": income and guarantees_failed,
          "income": income, "guarantees": guarantees_failed}[combine]
    return ok and not vetoed


def parse_vetoes(text: str) -> list[tuple[str, int | None]]:
    """'car:12,business:40,' -> [('car', 12), ('business', 40)]."""
    out = []
    for part in (text or "").split(","):
        if not part:
            continue
        code, _sep, fact = part.partition(":")
        out.append((code, int(fact) if fact.isdigit() else None))
    return out


def parse_codes(text: str) -> list[str]:
    return [p for p in (text or "").split(",") if p]


# --- the one sentence -------------------------------------------------------------

def fact_phrase(fact: dict | None) -> str:
    """'owns a car, 150,000.00 yuan, as of 2016-05-01, not verified'."""
    if not fact:
        return ""
    bits = [str(FACT_KINDS.get(fact.get("kind"), fact.get("kind", "")))]
    if fact.get("person"):
        bits[0] = f"{fact['person']}: {bits[0]}"
    if fact.get("value") is not None:
        bits.append(_("%(amount)s yuan") % {"amount": money(fact["value"])})
    if fact.get("as_of"):
        bits.append(_("as of %(date)s") % {"date": fact["as_of"]})
    if fact.get("status") == "pending":
        bits.append(_("not verified yet"))
    return ", ".join(bits)


def explain(o: dict) -> str:
    """The one sentence telling a cadre why a household came out as it did.

    ``o``: eligible, combine, year, income_below, per_capita, line_kind, line_value,
    line_area, line_simulated, guarantees (codes), vetoes ([(label, fact dict)]),
    labels ({code: label} for guarantees)."""
    year = o["year"]
    kind_label = LINE_KINDS.get(o.get("line_kind") or "", _("line"))
    if o.get("line_value") is None:
        income = _("no %(line)s is set for %(year)s in this area") % {"line": kind_label, "year": year}
    elif o.get("per_capita") is None:
        income = _("no income is recorded for %(year)s") % {"year": year}
    else:
        values = {"income": money(o["per_capita"]), "year": year, "line": kind_label,
                  "value": money(o["line_value"])}
        if o.get("line_simulated"):
            values["value"] = _("%(value)s (simulated)") % {"value": values["value"]}
        if o.get("income_below"):
            income = _("per-capita net income of %(income)s yuan in %(year)s is below the %(line)s of "
                       "%(value)s yuan") % values
        else:
            income = _("per-capita net income of %(income)s yuan in %(year)s is not below the %(line)s of "
                       "%(value)s yuan") % values
    labels = o.get("labels") or {}
    failed = [str(labels.get(c) or criterion_label(c)) for c in o.get("guarantees") or []]
    guarantees = get_text_list(failed, _("and")) if failed else _("the basic guarantees are met")
    vetoes = o.get("vetoes") or []
    if vetoes:
        fired = [f"{label} ({fact_phrase(fact)})" if fact else str(label) for label, fact in vetoes]
        return _("Not eligible: vetoed because of %(vetoes)s.") % {"vetoes": get_text_list(fired, _("and"))}
    combine = o.get("combine", "or")
    if o["eligible"]:
        reasons = []
        if o.get("income_below") and combine != "guarantees":
            reasons.append(income)
        if failed and combine != "income":
            reasons.append(guarantees)
        return _("Eligible: %(reasons)s.") % {"reasons": get_text_list(reasons, _("and"))}
    if combine == "income":
        return _("Not eligible: %(income)s.") % {"income": income}
    if combine == "guarantees":
        return _("Not eligible: %(guarantees)s.") % {"guarantees": guarantees}
    if combine == "and":
        return _("Not eligible: %(income)s, and %(guarantees)s.") % {"income": income, "guarantees": guarantees}
    return _("Not eligible: %(income)s, and %(guarantees)s.") % {"income": income, "guarantees": guarantees}


def applicable_line_sentence(household_standard_label: str, kind: str, line: dict | None, area_name: str,
                             year: int) -> str:
    """Why a line applies to a household, in one sentence."""
    if line is None:
        return _("The household is identified by the %(standard)s, but no %(kind)s is set for %(year)s in "
                 "%(area)s or any area above it.") % {"standard": household_standard_label,
                                                      "kind": LINE_KINDS[kind], "year": year, "area": area_name}
    return _("The household is identified by the %(standard)s, so the %(kind)s applies; the most specific one "
             "for %(year)s covering its village is set for %(where)s: %(value)s yuan per person per year.") % {
        "standard": household_standard_label, "kind": LINE_KINDS[kind], "year": year,
        "where": line["area_name"], "value": money(line["value"])}


# --- which line: the book of lines ------------------------------------------------

class LineBook:
    """Lines in memory (a few hundred at most for an area and its years), to find the
    line that applies to an area and compute derived lines from their inputs.

    ``entries``: dicts with kind, year, area_prefix, method, value (yearly, for a
    fixed line), formula, id; ``overrides`` may replace or add fixed values (a
    what-if)."""

    MAX_DEPTH = 5

    def __init__(self, entries):
        self._by_key: dict[tuple[str, int, str], dict] = {}
        for e in entries:
            self._by_key[(e["kind"], e["year"], e["area_prefix"])] = dict(e)
        self._memo: dict[tuple[str, int, str], dict] = {}

    def override(self, kind: str, year: int, area_prefix: str, value: Decimal) -> None:
        key = (kind, year, area_prefix)
        old = self._by_key.get(key, {})
        self._by_key[key] = {"kind": kind, "year": year, "area_prefix": area_prefix, "method": "fixed",
                             "value": Decimal(value), "formula": None, "id": old.get("id"), "simulated": True}
        self._memo.clear()

    def entries(self, year: int | None = None) -> list[dict]:
        return [e for (k, y, p), e in self._by_key.items() if year is None or y == year]

    def find(self, kind: str, year: int, area: str) -> dict | None:
        """The most specific line of ``kind`` and ``year`` whose area contains ``area``
        (an area prefix or a full code)."""
        best = None
        for n in PREFIX_LENGTHS:
            if n > len(area):
                break
            e = self._by_key.get((kind, year, area[:n]))
            if e is not None:
                best = e
        return best

    def value(self, entry: dict, _depth: int = 0) -> tuple[Decimal | None, dict | None]:
        """(yearly value, computation) of a line; a derived line is computed from the
        lines its formula names, found for the line's own area."""
        key = (entry["kind"], entry["year"], entry["area_prefix"])
        if key in self._memo:
            m = self._memo[key]
            return m["value"], m["computation"]
        if entry.get("method") != "derived":
            result = (entry.get("value"), None)
        elif _depth >= self.MAX_DEPTH:
            result = (None, None)
        else:
            formula = check_formula(entry["formula"])
            inputs = []
            for term in formula["terms"]:
                found = self.find(term["kind"], entry["year"] + term["year_offset"], entry["area_prefix"])
                if found is None or found is entry:
                    inputs.append(None)
                    continue
                v, _c = self.value(found, _depth + 1)
                inputs.append({"value": v, "area_prefix": found["area_prefix"], "year": found["year"],
                               "id": found.get("id")} if v is not None else None)
            comp = evaluate(formula, inputs, entry["year"])
            result = (Decimal(comp["value"]) if comp["value"] is not None else None, comp)
        self._memo[key] = {"value": result[0], "computation": result[1]}
        return result
