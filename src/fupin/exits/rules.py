"""Pure policy of exits: the exit criteria's items and their parameters, the sentence
each item says about a household, which criteria or policy period applies to an
area and year, and when an observation period ends. No ORM and no policy numbers
here: the numbers are data (data/exit_criteria.json, data/policy_periods.json)."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fupin.core.money import format_amount
from fupin.core.present import join

# One area-prefix model for every "which row applies" in the project (identification owns it).
# The registry's identification standard picks the kind of line (STANDARD_KIND), as there.
from fupin.identification.rules import (  # noqa: F401
    PREFIX_LENGTHS,
    STANDARD_KIND,
    ancestors,
    birth_bounds,
    check_housing_params,
)

# The items of the exit criteria, in the order of the page's columns.
ITEMS = {
    "income": gettext_lazy("Per-capita net income"),
    "housing": gettext_lazy("Safe housing"),
    "school": gettext_lazy("No child out of school"),
    "medical_insurance": gettext_lazy("Medical insurance"),
    "water": gettext_lazy("Safe drinking water"),
}
# The items besides income: 两不愁三保障 and safe water (also monitoring's risk clearance).
GUARANTEE_ITEMS = tuple(code for code in ITEMS if code != "income")
LINE_CHOICES = ("standard", "national", "provincial", "city")
PERIOD_KINDS = {"observation": gettext_lazy("Observation period"),
                "transition": gettext_lazy("Transition period (四个不摘)")}


def item_label(code: str) -> str:
    return str(ITEMS.get(code, code))


# --- validating the data ---------------------------------------------------------------

def _int(value, what: str, low: int, high: int) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ValueError(_("%(what)s must be a whole number.") % {"what": what}) from None
    if isinstance(value, bool) or not low <= n <= high:
        raise ValueError(_("%(what)s must be between %(low)s and %(high)s.") % {"what": what, "low": low,
                                                                                 "high": high})
    return n


def check_items(items) -> list[dict]:
    """Validate the items of a set of exit criteria; return them normalised. Every
    known item appears once (a missing one is added, switched off)."""
    if not isinstance(items, list):
        raise ValueError(_("The items are a list (JSON)."))
    out: dict[str, dict] = {}
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict) or item.get("code") not in ITEMS:
            raise ValueError(_("Item %(n)s: the code must be one of %(codes)s.") % {"n": n, "codes": ", ".join(ITEMS)})
        code = item["code"]
        if code in out:
            raise ValueError(_("Item %(n)s: “%(code)s” appears twice.") % {"n": n, "code": code})
        params = item.get("params") or {}
        if not isinstance(params, dict):
            raise ValueError(_("Item %(n)s: the parameters are an object.") % {"n": n})
        enabled = bool(item.get("enabled", True))
        source = str(item.get("source") or "").strip()
        if enabled and not source:
            raise ValueError(_("Item %(n)s (%(code)s): name its source.") % {"n": n, "code": code})
        params = dict(params)
        if code == "income":
            if params.get("line", "standard") not in LINE_CHOICES:
                raise ValueError(_("The income item's line is one of %(c)s.") % {"c": ", ".join(LINE_CHOICES)})
            params["line"] = params.get("line", "standard")
            params["consecutive_years"] = _int(params.get("consecutive_years", 1), _("consecutive_years"), 1, 5)
            params["year_offset"] = _int(params.get("year_offset", 0), _("year_offset"), -1, 0)
            params["inclusive"] = bool(params.get("inclusive", False))
        elif code == "housing":
            check_housing_params(params)
        elif code == "school":
            params["min_age"] = _int(params.get("min_age"), "min_age", 0, 25)
            params["max_age"] = _int(params.get("max_age"), "max_age", params["min_age"], 25)
            try:
                month, day = (int(x) for x in str(params.get("on", "09-01")).split("-"))
                dt.date(2001, month, day)  # a common year: 02-29 would break the check three years in four
            except (TypeError, ValueError):
                raise ValueError(_("'on' is the day ages are counted, as MM-DD.")) from None
            params["on"] = f"{month:02d}-{day:02d}"
            if not isinstance(params.get("statuses"), list) or not params["statuses"]:
                raise ValueError(_("Name the school statuses that mean out of school (statuses)."))
        out[code] = {"code": code, "enabled": enabled, "params": params, "source": source}
    for code in ITEMS:
        out.setdefault(code, {"code": code, "enabled": False, "params": {}, "source": ""})
    return [out[c] for c in ITEMS]


def income_years(params: dict, year: int) -> list[int]:
    """The income years an exit in ``year`` looks at, latest first."""
    last = year + params.get("year_offset", 0)
    return [last - k for k in range(params.get("consecutive_years", 1))]


# --- which row applies --------------------------------------------------------------------

def _get(row, name: str):
    """A field of a row given as a dict (``as_row``) or as a model instance."""
    return row.get(name) if isinstance(row, dict) else getattr(row, name)


def covers(row, year: int) -> bool:
    to_year = _get(row, "to_year")
    return _get(row, "from_year") <= year and (to_year is None or year <= to_year)


def applicable(rows: list[dict], area_prefix: str, year: int) -> list[dict]:
    """The rows (criteria or periods) that govern ``area_prefix`` in ``year``: the most
    specific one at or above the area, and every one inside it; per area the latest
    ``from_year`` covering the year. Most specific first (the order of a CASE)."""
    chosen: dict[str, dict] = {}
    for row in sorted((r for r in rows if covers(r, year)), key=lambda r: -r["from_year"]):
        chosen.setdefault(row["area_prefix"], row)
    above = [p for p in chosen if area_prefix.startswith(p)]
    inside = [p for p in chosen if p.startswith(area_prefix) and len(p) > len(area_prefix)]
    keep = inside + ([max(above, key=len)] if above else [])
    return sorted((chosen[p] for p in keep), key=lambda r: -len(r["area_prefix"]))


def most_specific(rows, area_code: str, year: int):
    """The row (dict or model instance with ``area_prefix``/``from_year``/``to_year``) that
    governs ``area_code`` in ``year``: the longest prefix the code starts with, then the
    latest ``from_year``; None when no row applies. Shared by exits and delisting."""
    best, best_key = None, None
    for row in rows:
        prefix = _get(row, "area_prefix")
        if covers(row, year) and area_code.startswith(prefix):
            key = (len(prefix), _get(row, "from_year"))
            if best is None or key > best_key:
                best, best_key = row, key
    return best


# --- observation periods ----------------------------------------------------------------------

def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; 29 February becomes 1 March in a common year."""
    target = day.year + years
    if day.month == 2 and day.day == 29 and not calendar.isleap(target):
        return dt.date(target, 3, 1)
    return day.replace(year=target)


def period_end(period: dict, exit_date: dt.date) -> dt.date | None:
    """The last day of the policy period of a household that exited on ``exit_date``:
    a fixed date, or the day before the anniversary (the exit day is day 1, so one year
    from 20 Dec 2019 runs to 19 Dec 2020)."""
    if period.get("until"):
        until = period["until"]
        return until if isinstance(until, dt.date) else dt.date.fromisoformat(str(until))
    if period.get("years"):
        return add_years(exit_date, int(period["years"])) - dt.timedelta(days=1)
    return None


def check_period(values: dict) -> dict:
    """Validate a policy period's data."""
    out = dict(values)
    if out.get("kind") not in PERIOD_KINDS:
        raise ValueError(_("The kind is one of %(k)s.") % {"k": ", ".join(PERIOD_KINDS)})
    has_years, has_until = bool(out.get("years")), bool(out.get("until"))
    if has_years == has_until:
        raise ValueError(_("A period either lasts a number of years or ends on a date (not both)."))
    if has_years:
        out["years"] = _int(out["years"], _("years"), 1, 20)
    if not str(out.get("source") or "").strip():
        raise ValueError(_("Name the source document."))
    return out


# --- the sentence of an item ---------------------------------------------------------------

def money(value) -> str:
    return format_amount(value) or "—"


def income_text(incomes: list[tuple[int, Decimal | None, Decimal | None]], inclusive: bool,
                kind_label: str = "") -> tuple[bool, str]:
    """(passed, text) for the income item; ``incomes`` = [(year, per capita, line)], latest first;
    ``kind_label`` names the kind of line (said when none is set)."""
    parts, ok = [], True
    for year, pc, line in incomes:
        if line is None:
            ok = False
            parts.append(_("%(year)s: no line set (%(kind)s)") % {"year": year, "kind": kind_label or "—"}
                         if kind_label else _("%(year)s: no line set") % {"year": year})
        elif pc is None:
            ok = False
            parts.append(_("%(year)s: no income recorded (line %(line)s yuan)") % {"year": year, "line": money(line)})
        else:
            passed = pc >= line if inclusive else pc > line
            ok = ok and passed
            op = ("≥" if inclusive else ">") if passed else ("=" if pc == line else "<")
            parts.append(_("%(year)s: per-capita net income %(pc)s yuan %(op)s line %(line)s yuan") % {
                "year": year, "pc": money(pc), "op": op, "line": money(line)})
    return ok, join(parts, clauses=True)
