"""The numbers of 动态管理 (dynamic management) for an area and a year, from the dated
status history (registry.StatusChange): the poor stock at the start of the year, the
passages during it (exits, returns, newly identified, removals, corrections) and the
stock at the end, with the balance 进出平衡:

    start − exits + returns + new − removals = end

Everything is counted by ONE SQL statement over the status changes of the area (an
indexed range on ``area_code``), on SQLite and PostgreSQL alike:

- a window over each household's changes ordered by (date, id) gives every change its
  previous status (LAG), the date of the next change (LEAD) and whether the household
  was ever poor before (a running SUM of its poor changes, less the current one) —
  all over one window definition, so one sort and one pass;
- a household's status on a date is the status of its latest change dated on or before
  it (``date <= d AND (next_date IS NULL OR next_date > d)``): no per-household lookups;
- the rows are joined to the years asked for and to the household (for its size), and
  summed with CASE expressions, grouped by year and by the first digits of the area
  code (the child area: township, village …).

Readings (docs/dynamics.md explains them):

- *start* is the status at the very beginning of 1 January, before any change dated
  that day: the start of a year is the end of the year before. A change dated 1 January
  and one dated 31 December both count in that year's passages.
- passages are counted, not households: a household that exits and returns in the same
  year counts once in each column (so the balance holds).
- *exits*: a poor status (registered, returned) → an exited status; *returns*: a
  non-poor status → returned; *new*: → registered for a household never poor before;
  *removals*: a poor status → removed. Any other passage into or out of the poor stock
  (an exit revoked: exited → registered; a removed household taken back; registered →
  identified) is a *correction*, counted apart, and the page warns when the balance
  does not add up.
- a household counts in the area it belongs to now (a move carries its status history:
  docs/decisions.md), as in the registry's statistics (registry.stats.status_at).
- *people* are the household's size now (its active members, Household.size), not the
  members it had on the date: every passage then moves the same number of people as
  the household carries, so the people balance adds up exactly like the households',
  and no join with the members is needed at a province's scale.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterable

from django.db import connection
from django.db.models import Count, Sum

from fupin.accounts.scoping import Scope
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.registry import codes
from fupin.registry.models import Household, StatusChange
from fupin.registry.stats import LENGTH, _range_q, _range_sql, code_of, level_of

# the numbers counted for every (year, area) cell, households and people for each
MEASURES = ("start", "exits", "returns", "new", "removals", "corrections_in", "corrections_out", "end")
FIELDS = tuple(f"{m}_{k}" for m in MEASURES for k in ("households", "people"))
MONITORING_KEYS = ("monitored_start", "newly_monitored", "risk_cleared", "monitored_end")
# The child level of each level (the rows of the table).
CHILD = {"country": area_rules.PROVINCE, area_rules.PROVINCE: area_rules.CITY, area_rules.CITY: area_rules.COUNTY,
         area_rules.COUNTY: area_rules.TOWNSHIP, area_rules.TOWNSHIP: area_rules.VILLAGE, area_rules.VILLAGE: None}


def _in(values: Iterable[str]) -> str:
    """A literal IN list of status codes (fixed code values from codes.py, never user input)."""
    out = []
    for v in values:
        if not v.replace("_", "").isalnum():
            raise ValueError(v)
        out.append(f"'{v}'")
    return "(" + ", ".join(out) + ")"


def _history(prefix: str, last_day: dt.date) -> tuple[str, list]:
    """The CTE ``c``: the area's status changes up to ``last_day``, each with the household's
    previous status, the date of its next change and whether it was ever poor before (the
    running count of its poor changes up to this one, less this one) — three functions
    over one window (partitioned by household, ordered by date then id), so one sort and
    one window pass."""
    sc = connection.ops.quote_name(StatusChange._meta.db_table)
    poor = _in(codes.POOR_STATUSES)
    where, params = _range_sql("s", prefix)
    order = "ORDER BY s.date, s.id"
    sql = f"""c AS (
            SELECT s.household_id, s.area_code, s.status, s.date,
                   LAG(s.status) OVER (PARTITION BY s.household_id {order}) AS prev_status,
                   LEAD(s.date) OVER (PARTITION BY s.household_id {order}) AS next_date,
                   CASE WHEN SUM(CASE WHEN s.status IN {poor} THEN 1 ELSE 0 END)
                                 OVER (PARTITION BY s.household_id {order})
                             > (CASE WHEN s.status IN {poor} THEN 1 ELSE 0 END) THEN 1 ELSE 0 END AS ever_poor
            FROM {sc} s
            WHERE {where} AND s.date <= %s
        )"""  # noqa: S608  (table name from the model, status codes from codes.py)
    return sql, [*params, connection.ops.adapt_datefield_value(last_day)]


def _passages() -> dict[str, str]:
    """The passages of a change ``c`` (whatever its year), as SQL conditions."""
    poor, exited = _in(codes.POOR_STATUSES), _in(codes.EXITED_STATUSES)
    was_poor = f"c.prev_status IN {poor}"
    not_poor = f"(c.prev_status IS NULL OR c.prev_status NOT IN {poor})"
    return {
        "exits": f"{was_poor} AND c.status IN {exited}",
        "returns": f"{not_poor} AND c.status = 'returned'",
        "new": f"{not_poor} AND c.status = 'registered' AND c.ever_poor = 0",
        "removals": f"{was_poor} AND c.status = 'removed'",
        "corrections_in": f"{not_poor} AND c.status = 'registered' AND c.ever_poor = 1",
        "corrections_out": f"{was_poor} AND c.status NOT IN {poor} AND c.status NOT IN {exited} "
                           f"AND c.status <> 'removed'",
        # into and out of the poor stock, whatever the passage (for the year series)
        "into": f"{not_poor} AND c.status IN {poor}",
        "out_of": f"{was_poor} AND c.status NOT IN {poor}",
    }


def _sums(conditions: dict[str, str]) -> str:
    parts = []
    for name, cond in conditions.items():
        parts.append(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {name}_households")
        parts.append(f"SUM(CASE WHEN {cond} THEN h.size ELSE 0 END) AS {name}_people")
    return ", ".join(parts)


def counts(prefix: str, years: Iterable[int], length: int) -> dict[tuple[int, str], dict[str, int]]:
    """{(year, area prefix of ``length`` digits): {field: count}} for the status changes
    whose area code starts with ``prefix``, in one SQL statement (see the module's
    docstring). Cells with nothing to count are left out."""
    years = sorted(set(years))
    if not years:
        return {}
    hh = connection.ops.quote_name(Household._meta.db_table)
    adapt = connection.ops.adapt_datefield_value
    poor = _in(codes.POOR_STATUSES)
    history, params_c = _history(prefix, dt.date(years[-1], 12, 31))
    cut = f"SUBSTR(c.area_code, 1, {int(length)})" if length else "''"
    values = ", ".join(["(%s, %s, %s)"] * len(years))
    params_y = [x for y in years for x in (y, adapt(dt.date(y, 1, 1)), adapt(dt.date(y, 12, 31)))]
    in_year = "c.date >= y.d0 AND c.date <= y.d1"
    passages = _passages()
    conditions = {
        # the change in force at the start of 1 January (dated before it, next one on or after it)
        "start": f"c.date < y.d0 AND (c.next_date IS NULL OR c.next_date >= y.d0) AND c.status IN {poor}",
        **{m: f"{in_year} AND {passages[m]}" for m in MEASURES[1:-1]},
        # the change in force at the end of 31 December
        "end": f"c.date <= y.d1 AND (c.next_date IS NULL OR c.next_date > y.d1) AND c.status IN {poor}",
    }
    sql = f"""
        WITH y (k, d0, d1) AS (VALUES {values}), {history}
        SELECT y.k, {cut} AS p, {_sums(conditions)}
        FROM c
        JOIN y ON c.date <= y.d1 AND (c.next_date IS NULL OR c.next_date >= y.d0)
        JOIN {hh} h ON h.id = c.household_id
        GROUP BY y.k, {cut}
    """  # noqa: S608  (table names from the models, status codes from codes.py, values as parameters)
    out: dict[tuple[int, str], dict[str, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params_y, *params_c])
        for row in cursor.fetchall():
            cell = {f: int(v or 0) for f, v in zip(FIELDS, row[2:], strict=True)}
            if any(cell.values()):
                out[(int(row[0]), row[1] or "")] = cell
    return out


def _blank() -> dict[str, int]:
    return dict.fromkeys(FIELDS, 0)


def balance(cell: dict[str, int]) -> dict:
    """The check 进出平衡 of one cell: start − exits + returns + new − removals, compared
    with the end; ``difference`` = end − that (corrections, or households whose history
    moved between areas)."""
    out = {}
    for k in ("households", "people"):
        expected = (cell[f"start_{k}"] - cell[f"exits_{k}"] + cell[f"returns_{k}"] + cell[f"new_{k}"]
                    - cell[f"removals_{k}"])
        out[f"expected_{k}"] = expected
        out[f"difference_{k}"] = cell[f"end_{k}"] - expected
    out["adds_up"] = out["difference_households"] == 0 and out["difference_people"] == 0
    return out


def period_total(series: list[dict]) -> dict | None:
    """The 合计 row of the year-by-year table: the poor at the start of the first year
    shown and at the end of the last, the passages summed over the years. Each year starts
    where the one before ended, so the balance of the period is the sum of the years'."""
    if not series:
        return None
    first, last = series[0], series[-1]
    cell = _blank()
    for k in ("households", "people"):
        cell[f"start_{k}"] = first[f"start_{k}"]
        cell[f"end_{k}"] = last[f"end_{k}"]
        for m in MEASURES[1:-1]:
            cell[f"{m}_{k}"] = sum(r[f"{m}_{k}"] for r in series)
    return {"first_year": first["year"], "last_year": last["year"], **cell, **balance(cell)}


def list_totals(qs) -> dict:
    """How many households a list holds and their people (one aggregate, the whole list)."""
    return qs.order_by().aggregate(households=Count("pk"), people=Sum("size"))


def _function(module: str, name: str):
    """A function of another issue-6 app (contracts.md), or None while it is not written:
    imported when asked for, so this app works before and after it exists."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None
    return getattr(mod, name, None)


def observation_function():
    """fupin.exits.queries.in_observation(user, area_prefix, on) or None."""
    return _function("fupin.exits.queries", "in_observation")


def at_risk_function():
    """fupin.monitoring.queries.at_risk(user, area_prefix) or None."""
    return _function("fupin.monitoring.queries", "at_risk")


def monitoring_labels():
    from django.utils.translation import gettext as _

    return [("monitored_start", _("Monitored at the start of the year")),
            ("newly_monitored", _("Newly monitored in the year")),
            ("risk_cleared", _("Risk cleared in the year")),
            ("monitored_end", _("Monitored at the end of the year"))]


def monitoring_counts(prefix: str, year: int) -> dict | None:
    """The monitoring numbers of the year (fupin.monitoring.queries.year_counts), or None
    while that function does not exist (the page shows "—": numbers are never made up)."""
    fn = _function("fupin.monitoring.queries", "year_counts")
    if fn is None:
        return None
    data = fn(prefix, year)
    return {k: int(data.get(k) or 0) for k in MONITORING_KEYS}


def child_level(prefix: str) -> str | None:
    return CHILD[level_of(prefix)]


def child_areas(scope: Scope, prefix: str) -> list[Area]:
    """The current areas directly below the area of ``prefix``, inside the scope (the rows
    of the table: a user sees only the children they may see)."""
    child = child_level(prefix)
    if child is None:
        return []
    qs = Area.objects.filter(level=child, valid_to__isnull=True)
    qs = scope.narrow(prefix).filter(qs, "code") if prefix else scope.filter(qs, "code")
    return list(qs.order_by("code"))


def year_report(prefix: str, year: int, *, areas: Iterable[Area] | None = None) -> dict:
    """The table of one area and year: a row per child area (every current child listed,
    those with nothing too; a child code no longer current is listed by its code), the
    total, the balance of each, and the monitoring numbers of the area.

    ``areas``: the child areas to list (the caller scopes them); by default the current
    children of the area."""
    level = level_of(prefix)
    child = CHILD[level]
    length = LENGTH[child] if child else LENGTH[level]
    cells = {p: cell for (_y, p), cell in counts(prefix, [year], length).items()}
    if areas is None:
        qs = Area.objects.filter(level=child, valid_to__isnull=True) if child else Area.objects.none()
        qs = qs.filter(_range_q(prefix, "code"))
        areas = qs.order_by("code")
    known = {a.code[:length]: a for a in areas} if child else {}
    extra = sorted(set(cells) - set(known))
    if extra:
        for a in Area.objects.filter(code__in=[code_of(p) for p in extra], valid_to__isnull=True):
            known[a.code[:length]] = a
    rows = []
    total = _blank()
    for p in sorted(set(known) | set(cells)) if child else []:
        cell = cells.get(p, _blank())
        a = known.get(p)
        rows.append({"code": code_of(p), "name": a.name if a else code_of(p), **cell, **balance(cell)})
        for f in FIELDS:
            total[f] += cell[f]
    if not child:
        total = cells.get(prefix, _blank())
    return {
        "year": year,
        "start_date": dt.date(year, 1, 1),
        "end_date": dt.date(year, 12, 31),
        "child_level": child,
        "rows": rows,
        "total": {**total, **balance(total)},
        "monitoring": monitoring_counts(prefix, year),
    }


def years_available(prefix: str, today: dt.date) -> list[int]:
    """From the year of the first recorded change in the area to this year (newest first)."""
    from django.db.models import Min

    first = StatusChange.objects.filter(_range_q(prefix)).aggregate(d=Min("date"))["d"]
    start = first.year if first else today.year
    return list(range(today.year, min(start, today.year) - 1, -1))


def series(prefix: str, years: Iterable[int]) -> list[dict]:
    """The whole area's numbers for each year (the chart and the year-by-year table), in
    one statement without the join to the years: the passages grouped by the year of
    their date, and the stock at the end of each year as the running sum of the passages
    into and out of the poor stock up to it. For the area's total this is exactly the
    stock that ``counts`` reads from the change in force (each household's passages
    telescope to the poor-or-not of its latest change), at a fraction of the cost."""
    years = sorted(set(years))
    if not years:
        return []
    hh = connection.ops.quote_name(Household._meta.db_table)
    history, params = _history(prefix, dt.date(years[-1], 12, 31))
    year = "CAST(SUBSTR(c.date, 1, 4) AS INTEGER)" if connection.vendor == "sqlite" else "EXTRACT(YEAR FROM c.date)"
    passages = _passages()
    flows = {m: passages[m] for m in ("exits", "returns", "new", "removals", "into", "out_of")}
    sql = f"""
        WITH {history}
        SELECT {year} AS yr, {_sums(flows)}
        FROM c JOIN {hh} h ON h.id = c.household_id
        GROUP BY {year}
    """  # noqa: S608  (table names from the models, status codes from codes.py, values as parameters)
    names = [f"{m}_{k}" for m in flows for k in ("households", "people")]
    by_year: dict[int, dict[str, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            by_year[int(row[0])] = {n: int(v or 0) for n, v in zip(names, row[1:], strict=True)}
    stock = {"households": 0, "people": 0}
    out = []
    for y in range(min([*by_year, years[0]]), years[-1] + 1):
        f = by_year.get(y, dict.fromkeys(names, 0))
        cell = _blank()
        for k in ("households", "people"):
            cell[f"start_{k}"] = stock[k]
            for m in ("exits", "returns", "new", "removals"):
                cell[f"{m}_{k}"] = f[f"{m}_{k}"]
            cell[f"corrections_in_{k}"] = f[f"into_{k}"] - f[f"returns_{k}"] - f[f"new_{k}"]
            cell[f"corrections_out_{k}"] = f[f"out_of_{k}"] - f[f"exits_{k}"] - f[f"removals_{k}"]
            stock[k] += f[f"into_{k}"] - f[f"out_of_{k}"]
            cell[f"end_{k}"] = stock[k]
        if y in years:
            out.append({"year": y, **cell, **balance(cell)})
    return out
