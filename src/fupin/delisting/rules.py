"""Pure policy of delisting (no ORM): choosing the criteria that apply, comparing rates
exactly (fractions, never floats), evaluating a village and a county item by item,
drawing the reproducible sample, and the order of the steps.

Percentages in the criteria are Decimals ("2.00" = 2 %). A rate ``num / den`` is
compared in exact integer arithmetic: num × 100 ≤ threshold × den."""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fupin.areas import rules as area_rules
from fupin.exits import rules as exits_rules
from fupin.procedures import rules as procedure_rules
from fupin.registry import codes as registry_codes

LE, LT, GE = "le", "lt", "ge"
OPS = {LE: "≤", LT: "<", GE: "≥"}

# The order of the county steps; each needs the one before.
COUNTY_STEPS = ("submission", "city_review", "province_approval", "announcement")
# The state a round is in after each step, and before it.
COUNTY_STATE_BEFORE = {"submission": "survey", "city_review": "submitted", "province_approval": "city_ok",
                       "announcement": "province_ok"}
COUNTY_STATE_AFTER = {"submission": "submitted", "city_review": "city_ok", "province_approval": "province_ok",
                      "announcement": "announced"}
# The level of the role that acts on each step (its area is the county's, city's or province's code).
COUNTY_STEP_LEVEL = {"submission": "county", "city_review": "city", "province_approval": "province",
                     "announcement": "province"}
COUNTY_STEP_PERMISSION = {"submission": "delisting.assess", "city_review": "delisting.approve",
                          "province_approval": "delisting.approve", "announcement": "delisting.approve"}


def level_code(county_code: str, level: str) -> str:
    """The 12-digit code of the county's own area at ``level`` (county, city, province)."""
    return area_rules.prefix_of(county_code, level).ljust(12, "0")


# --- choosing criteria -----------------------------------------------------------------

def pick(rows, code: str, year: int):
    """The criteria row for an area code and year: the longest matching prefix, then the
    latest ``from_year``; None when no row applies (the exits app's rule, shared)."""
    return exits_rules.most_specific(rows, code, year)


def is_west(code: str, regions: dict[str, list[str]]) -> bool:
    return code[:2] in set(regions.get("west", []))


def incidence_max(criteria, code: str, regions: dict[str, list[str]]) -> Decimal:
    if is_west(code, regions) and criteria.incidence_max_west is not None:
        return criteria.incidence_max_west
    return criteria.incidence_max


# --- exact comparisons --------------------------------------------------------------------

def rate(num: int, den: int) -> Fraction | None:
    """num / den as an exact percentage (None when nothing was counted)."""
    if not den:
        return None
    return Fraction(num * 100, den)


def shown(value: Fraction | None, places: int = 2) -> str:
    if value is None:
        return "—"
    d = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(1).scaleb(-places),
                                                                         rounding=ROUND_HALF_UP)
    return f"{d}%"


def compare(value: Fraction | None, op: str, threshold: Decimal) -> bool:
    """Whether the percentage ``value`` satisfies ``op threshold``; an unknown value never does."""
    if value is None:
        return False
    t = Fraction(threshold)
    return {LE: value <= t, LT: value < t, GE: value >= t}[op]


def item(code: str, label: str, value: str, required: str, ok: bool | None, source: str, **extra) -> dict:
    """One line of a check: what was measured, what is required, whether it is met.
    ``ok`` None = not required here (shown, not counted)."""
    return {"code": code, "label": label, "value": value, "required": required, "ok": ok, "source": source,
            **extra}


def passed(items: list[dict]) -> bool:
    return all(i["ok"] is not False for i in items) and any(i["ok"] for i in items)


# --- the village check -----------------------------------------------------------------------

def village_check(*, criteria, code: str, regions: dict[str, list[str]], poor_people: int,
                  rural_population: int | None, collective_income: Decimal | None, status: str | None,
                  checklist: dict[str, bool], checklist_names: dict[str, str]) -> list[dict]:
    """The items of a village's exit check: incidence, collective income, each required
    checklist item, and whether the village is one that may exit (its profile status)."""
    items = []
    limit = incidence_max(criteria, code, regions)
    west = is_west(code, regions)
    r = rate(poor_people, rural_population or 0)
    items.append(item(
        "incidence", _("Poverty incidence"),
        (_("%(rate)s (%(poor)s poor people ÷ %(rural)s rural registered population)")
         % {"rate": shown(r), "poor": poor_people, "rural": rural_population}) if r is not None
        else _("no rural population in the village profile of the year"),
        f"≤ {limit}%" + (" (" + _("western region") + ")" if west and criteria.incidence_max_west is not None else ""),
        compare(r, LE, limit), criteria.incidence_source,
        numerator=poor_people, denominator=rural_population or 0, rate=shown(r)))
    if criteria.collective_income_min is not None:
        ok = collective_income is not None and collective_income >= criteria.collective_income_min
        items.append(item("collective_income", _("Collective economy income"),
                          _("%(v)s yuan") % {"v": collective_income} if collective_income is not None
                          else _("no village profile"),
                          _("≥ %(v)s yuan") % {"v": criteria.collective_income_min}, ok,
                          criteria.collective_income_source))
    else:
        items.append(item("collective_income", _("Collective economy income"),
                          _("%(v)s yuan") % {"v": collective_income} if collective_income is not None else "—",
                          _("no threshold for this area"), None, criteria.collective_income_source))
    for n, c in enumerate(criteria.checklist_items):
        met = checklist.get(c)
        items.append(item(f"checklist:{c}", checklist_names.get(c, c),
                          _("met") if met else (_("not met") if met is False else _("not recorded")),
                          _("met"), bool(met), criteria.checklist_source if n == 0 else _("(as above)")))
    eligible = _eligible(criteria)
    if eligible:
        items.append(item("status", _("Village status in the year"),
                          registry_codes.label("village_status", status) or _("no village profile"),
                          " / ".join(registry_codes.label("village_status", c) for c in eligible),
                          status_may_exit(criteria, status) is True,
                          _("Only a poor (or key-assistance) village exits.")))
    return items


def _eligible(criteria) -> list[str]:
    return list(getattr(criteria, "eligible_statuses", None) or [])


def status_may_exit(criteria, status: str | None) -> bool | None:
    """Whether a village whose profile of the year has ``status`` is one the criteria let exit
    (``eligible_statuses``, e.g. a poor or key-assistance village): True or False; None when
    the status is unknown (no profile of the year: ``status`` None or empty). Criteria that
    name no status (or none at all) let any village exit. The one decision behind the check's
    status item (met only when True) and village_applies (not for the village when False)."""
    eligible = _eligible(criteria)
    if not eligible:
        return True
    if not status:
        return None
    return status in eligible


def village_applies(criteria, status: str | None) -> bool:
    """Whether the village exit check is for this village at all: a village whose status
    of the year is not one the criteria let exit (a village that is not a poor village, or
    one already delisted) is no candidate — its check is "not applicable", not "not met".
    Without the year's profile (status unknown) the check applies and says what is missing
    (its status item is not met); without criteria the check applies and says so."""
    return status_may_exit(criteria, status) is not False


# --- the county check --------------------------------------------------------------------------

def county_check(*, criteria, code: str, regions: dict[str, list[str]], poor_people: int, rural_population: int,
                 wrong: tuple[int, int], missed: tuple[int, int], approval: tuple[int, int],
                 missing_profiles: int = 0) -> list[dict]:
    """The four items of a county's exit check, each with numerator and denominator:
    incidence ≤, wrongful-exit rate <, missed-registration rate <, approval ≥. With
    villages lacking the year's profile the incidence has no complete denominator: not met."""
    limit = incidence_max(criteria, code, regions)
    rows = []
    r = rate(poor_people, rural_population)
    value = (ngettext("%(rate)s (%(n)s poor person ÷ %(d)s rural registered population)",
                      "%(rate)s (%(n)s poor people ÷ %(d)s rural registered population)", poor_people)
             % {"rate": shown(r), "n": poor_people, "d": rural_population})
    if missing_profiles:
        value += " — " + ngettext("%(n)s village has no profile of the year",
                                  "%(n)s villages have no profile of the year", missing_profiles) % {
            "n": missing_profiles}
    rows.append(item("incidence", _("Poverty incidence"), value, f"≤ {limit}%",
                     compare(r, LE, limit) and not missing_profiles, criteria.incidence_source,
                     numerator=poor_people, denominator=rural_population, rate=shown(r)))
    for code_, label, (n, d), op, threshold, source, what in (
        ("wrong_exit", _("Wrongful-exit rate (错退率)"), wrong, LT, criteria.wrong_exit_max, criteria.wrong_exit_source,
         _("people in sampled exited households whose exit was wrong ÷ people in surveyed exited households")),
        ("missed", _("Missed-registration rate (漏评率)"), missed, LT, criteria.missed_max, criteria.missed_source,
         _("people in surveyed non-registered households that should have been registered ÷ people in surveyed "
           "non-registered households")),
        ("approval", _("Public approval (群众认可度)"), approval, GE, criteria.approval_min, criteria.approval_source,
         _("respondents who approve ÷ respondents surveyed")),
    ):
        value = rate(n, d)
        rows.append(item(code_, label, f"{shown(value)} ({n} ÷ {d})" if value is not None else _("nothing surveyed"),
                         f"{OPS[op]} {threshold}%", compare(value, op, threshold), source,
                         numerator=n, denominator=d, rate=shown(value), what=what))
    return rows


# --- the sample --------------------------------------------------------------------------------

def draw(seed: int, ids: list[int], k: int, rng: random.Random | None = None) -> list[int]:
    """k ids drawn from the sorted ids with random.Random(seed): the same seed and ids
    give the same sample, in the same order."""
    rng = rng or random.Random(seed)  # noqa: S311 — a reproducible sample, not a secret
    pool = sorted(ids)
    return rng.sample(pool, min(k, len(pool)))


def draw_round(seed: int, village_ids: list[int], households_of, n_villages: int, n_registered: int,
               n_non_registered: int) -> tuple[list[int], dict[int, dict[str, list[int]]]]:
    """The whole sample of a round from one random stream ``random.Random(seed)``:
    villages first (from their sorted ids), then in each sampled village, in the order
    drawn, the registered or exited households and then the non-registered ones (each
    from sorted ids). ``households_of(village ids)`` returns
    {village id: {"registry": ids, "non_registered": ids}} (read once, for the sampled
    villages only)."""
    rng = random.Random(seed)  # noqa: S311 — a reproducible sample, not a secret
    villages = draw(seed, village_ids, n_villages, rng)
    strata_of = households_of(villages) if villages else {}
    out = {}
    for v in villages:
        strata = strata_of.get(v, {})
        out[v] = {"registry": draw(seed, strata.get("registry", []), n_registered, rng),
                  "non_registered": draw(seed, strata.get("non_registered", []), n_non_registered, rng)}
    return villages, out


# --- village notice ------------------------------------------------------------------------------

def notice_last_day(start: dt.date, days: int) -> dt.date:
    return procedure_rules.notice_last_day(start, days)


def notice_may_close(start: dt.date, days: int, today: dt.date) -> bool:
    return procedure_rules.notice_may_close(start, days, today)


def notice_earliest_close(start: dt.date, days: int) -> dt.date:
    return procedure_rules.notice_earliest_close(start, days)
