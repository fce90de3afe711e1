"""Statistics of the registry: households and people by status, category, cause and
area; the poverty incidence rate (poor population ÷ rural registered population);
the year-end series and the flows of each year; and "how many were in each status on
a given date", from the dated status history.

Two sources give the same figures (a test proves it):

- **live**: set-based GROUP BY queries over the registry, restricted to the area's
  code range (used for areas up to ``LIVE_LIMIT`` households: a county, a township);
- **rollup**: the ``StatsRollup`` table, refreshed county by county by ``refresh``
  (the job behind ``fupin refresh_stats`` and the page's refresh button), used for
  larger areas (a city, a province, the country) when it exists.

Both produce *facts*: ``{(level, area_code, year, dim, status, category, cause):
(households, people)}``, the shape of a rollup row, and ``report`` turns facts into
what the page and the API show. The incidence rate (incidence.py: each village's latest
profile at or before the year, over the same villages as the poor people, and the poor people
of the villages it leaves out) comes from the same source as the facts: live, from
VillageProfile and, for every year of the page in one statement, the registry
(incidence.Live); from the rollup, from its ``rural`` and ``left`` rows, kept as changes that
sum upwards like the counts (incidence.FromRollup, models_stats).
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, IntegerField, Max, Min, Q, Sum, Value
from django.db.models.functions import Cast, ExtractYear, Substr
from django.tasks import task
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fupin.accounts.scoping import Scope, require, scope_for
from fupin.areas import queries as area_queries
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import NotFound

from . import codes, incidence
from .models import Household, Member, StatusChange, VillageProfile
from .models_stats import StatsRollup

COUNTRY = "country"
LEVELS = (COUNTRY, area_rules.PROVINCE, area_rules.CITY, area_rules.COUNTY, area_rules.TOWNSHIP,
          area_rules.VILLAGE)
LENGTH = {COUNTRY: 0, **{lv: area_rules.PREFIX_LENGTH[lv] for lv in LEVELS[1:]}}
CHILD = dict(zip(LEVELS, [*LEVELS[1:], None], strict=True))
STATUS, MAIN, ANY, FLOW = StatsRollup.STATUS, StatsRollup.MAIN, StatsRollup.ANY, StatsRollup.FLOW
RURAL, LEFT = StatsRollup.RURAL, StatsRollup.LEFT
NOW = 0  # the "year" of the current state

# Areas with at most this many households are counted live (exact to the second);
# larger ones are read from the rollup when it exists. Not policy: a performance knob.
LIVE_LIMIT = getattr(settings, "FUPIN_STATS_LIVE_LIMIT", 20000)
# A rollup older than this is shown with a warning and a refresh button.
MAX_AGE = dt.timedelta(minutes=getattr(settings, "FUPIN_STATS_MAX_AGE_MINUTES", 24 * 60))
# Area tables longer than this (a province's villages) are left out of the page.
MAX_TABLE_ROWS = 400


# --- areas ---------------------------------------------------------------------------

def level_of(prefix: str) -> str:
    return COUNTRY if not prefix else area_rules.level_of(prefix.ljust(12, "0"))


def code_of(prefix: str) -> str:
    """The 12-digit code of the area whose prefix this is ("" for the whole country)."""
    return prefix.ljust(12, "0") if prefix else ""


def prefix_of(code: str) -> str:
    return area_rules.prefix_of(code) if code else ""


def resolve_area(user, code: str | None, perm: str = "stats.view") -> tuple[Area | None, str]:
    """The area a user asked for (or their own top area), as (Area or None for the whole
    country, prefix). Outside the user's scope: NotFound."""
    scope = scope_for(user, perm)
    if scope.is_empty:
        raise NotFound()
    code = (code or "").strip()
    if not code:
        prefix = scope.prefixes[0]
        if prefix == "":
            return None, ""
        code = code_of(prefix)
    if code in ("0", "000000000000") and scope.is_everything:
        return None, ""
    if not area_rules.is_valid_code(code) or len(code) != 12 or not scope.contains(code):
        raise NotFound()
    area = Area.objects.filter(code=code, valid_to__isnull=True).select_related("parent").first()
    if area is None or area.level == area_rules.GROUP:
        raise NotFound()
    return area, area.prefix


def top_areas(user, perm: str = "stats.view") -> list[Area]:
    """The areas at the top of the user's scope (where the page starts)."""
    scope = scope_for(user, perm)
    return list(Area.objects.filter(code__in=[code_of(p) for p in scope.prefixes if p],
                                    valid_to__isnull=True).order_by("code"))


# --- SQL helpers ------------------------------------------------------------------------

def _range_q(prefix: str, field: str = "area_code") -> Q:
    return Scope([prefix]).q(field) if prefix else Q()


def _range_sql(alias: str, prefix: str) -> tuple[str, list]:
    if not prefix:
        return "1 = 1", []
    upper = area_rules.prefix_upper_bound(prefix)
    if upper is None:
        return f"{alias}.area_code >= %s", [prefix]
    return f"{alias}.area_code >= %s AND {alias}.area_code < %s", [prefix, upper]


def _cut(length: int):
    """The area prefix of a row at a level (Substr of area_code; the country has none)."""
    return Substr("area_code", 1, length) if length else Value("")


# --- live facts ---------------------------------------------------------------------------

Facts = dict[tuple, list[int]]


def _add(facts: Facts, key: tuple, households: int, people: int) -> None:
    cell = facts.setdefault(key, [0, 0])
    cell[0] += households or 0
    cell[1] += people or 0


def _households(prefix: str):
    return Household.objects.filter(_range_q(prefix)).order_by()


def status_now(prefix: str, level: str) -> Iterable[tuple]:
    """(area prefix at ``level``, status, households, people) now."""
    rows = (_households(prefix).annotate(p=_cut(LENGTH[level])).values("p", "status")
            .annotate(h=Count("id"), n=Sum("size")))
    return ((r["p"], r["status"], r["h"], r["n"] or 0) for r in rows)


def main_now(prefix: str, level: str) -> Iterable[tuple]:
    rows = (_households(prefix).annotate(p=_cut(LENGTH[level]))
            .values("p", "status", "category", "main_cause").annotate(h=Count("id"), n=Sum("size")))
    return ((r["p"], r["status"], r["category"], r["main_cause"], r["h"], r["n"] or 0) for r in rows)


def any_cause_now(prefix: str, level: str) -> Iterable[tuple]:
    """(prefix, status, cause, households, people): households naming the cause as
    their main or one of their other causes (three GROUP BYs, one per cause column)."""
    for column in ("main_cause", "cause2", "cause3"):
        rows = (_households(prefix).exclude(**{column: ""}).annotate(p=_cut(LENGTH[level]))
                .values("p", "status", column).annotate(h=Count("id"), n=Sum("size")))
        for r in rows:
            yield r["p"], r["status"], r[column], r["h"], r["n"] or 0


def _tables():
    return (StatusChange._meta.db_table, Member._meta.db_table)


def status_at(prefix: str, level: str, dates: dict[int, dt.date]) -> list[tuple]:
    """(key, area prefix at ``level``, status, households, people) on each of ``dates``
    ({key: date}), from the status history, in one SQL statement (SQLite ≥ 3.25 and
    PostgreSQL): a change is a household's status from its date until its next change
    (LEAD over the household's changes by date, then id), so on a date each household has
    the status of its latest change dated on or before it; its people are the members it
    had then (born by then, and not left before then).

    A household counts in the area it belongs to now, as in the lists: its status history
    carries its current area code (a move takes the history along: actions.update_household,
    the import), so the area range and the LEAD over its changes see all of them. The figures
    as they stood at a year's close are the re-check round's snapshots (HouseholdSnapshot)."""
    if not dates:
        return []
    sc, mem = _tables()
    length = LENGTH[level]
    cut = f"SUBSTR(st.area_code, 1, {int(length)})" if length else "''"
    group_cut = f"{cut}, " if length else ""  # (PostgreSQL refuses a constant in GROUP BY: the country)
    where_sc, params_sc = _range_sql("s", prefix)
    adapt = connection.ops.adapt_datefield_value
    values = ", ".join(["(%s, %s)"] * len(dates))
    params_y = [x for key, d in sorted(dates.items()) for x in (key, adapt(d))]
    sql = f"""
        WITH y (k, d) AS (VALUES {values}),
        sc AS (
            SELECT s.household_id, s.area_code, s.status, s.date,
                   LEAD(s.date) OVER (PARTITION BY s.household_id ORDER BY s.date, s.id) AS next_date
            FROM {sc} s
            WHERE {where_sc}
        ),
        st AS (
            SELECT y.k, y.d, sc.household_id, sc.area_code, sc.status
            FROM sc JOIN y ON sc.date <= y.d AND (sc.next_date IS NULL OR sc.next_date > y.d)
        )
        SELECT st.k, {cut} AS p, st.status, COUNT(DISTINCT st.household_id) AS households, COUNT(m.id) AS people
        FROM st LEFT JOIN {mem} m
          ON m.household_id = st.household_id
         AND (m.birth_date IS NULL OR m.birth_date <= st.d)
         AND (m.active = %s OR m.left_date > st.d)
        GROUP BY st.k, {group_cut}st.status
    """  # noqa: S608  (table names from the models, values as parameters)
    params = [*params_y, *params_sc, True]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(k), p, s, int(h), int(n)) for k, p, s, h, n in cursor.fetchall()]


def status_on(prefix: str, level: str, date: dt.date) -> list[tuple]:
    """(area prefix at ``level``, status, households, people) on ``date``."""
    return [(p, s, h, n) for _k, p, s, h, n in status_at(prefix, level, {0: date})]


def flows(prefix: str, level: str) -> Iterable[tuple]:
    """(prefix, year, status, households): households that passed into a status in a year."""
    # SQLite keeps dates as ISO text: the year is its first four characters (ExtractYear
    # would call a Python function per row there).
    year = Cast(Substr("date", 1, 4), IntegerField()) if connection.vendor == "sqlite" else ExtractYear("date")
    rows = (StatusChange.objects.filter(_range_q(prefix)).order_by()
            .annotate(p=_cut(LENGTH[level]), y=year).values("p", "y", "status")
            .annotate(h=Count("household_id", distinct=True)))
    return ((r["p"], r["y"], r["status"], r["h"]) for r in rows)


def history_years(prefix: str) -> list[int]:
    """The years of the year-end series: from the first recorded change to this year."""
    first = StatusChange.objects.filter(_range_q(prefix)).aggregate(d=Min("date"))["d"]
    this_year = clock.today().year
    if first is None:
        return []
    return list(range(first.year, this_year + 1))


def year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def live_facts(prefix: str, *, depth: int = 2, years: bool = True) -> Facts:
    """The facts of one area computed from the registry: every dimension at the area's
    level, the current status of its children and grandchildren (``depth``), the
    year-end series and the flows."""
    level = level_of(prefix)
    facts: Facts = {}
    pad = code_of
    for p, status, category, cause, h, n in main_now(prefix, level):
        _add(facts, (level, pad(p), NOW, MAIN, status, category, cause), h, n)
    for p, status, cause, h, n in any_cause_now(prefix, level):
        _add(facts, (level, pad(p), NOW, ANY, status, "", cause), h, n)
    lv = level
    for _i in range(depth + 1):
        if lv is None:
            break
        for p, status, h, n in status_now(prefix, lv):
            _add(facts, (lv, pad(p), NOW, STATUS, status, "", ""), h, n)
        lv = CHILD[lv]
    if years:
        ends = {y: year_end(y) for y in history_years(prefix)}
        for y, p, status, h, n in status_at(prefix, level, ends):
            _add(facts, (level, pad(p), y, STATUS, status, "", ""), h, n)
        for p, y, status, h in flows(prefix, level):
            _add(facts, (level, pad(p), y, FLOW, status, "", ""), h, 0)
    return facts


# --- the rollup: refresh --------------------------------------------------------------------

def _county_facts(county: str) -> Facts:
    """Every rollup row of one county (village, township and county levels)."""
    facts: Facts = {}
    fine = {area_rules.VILLAGE: (area_rules.TOWNSHIP, area_rules.COUNTY),
            area_rules.TOWNSHIP: (area_rules.COUNTY,)}

    def up(level, p, rest, h, n):
        _add(facts, (level, code_of(p), *rest), h, n)
        for coarser in fine.get(level, ()):
            _add(facts, (coarser, code_of(p[:LENGTH[coarser]]), *rest), h, n)

    for p, status, category, cause, h, n in main_now(county, area_rules.TOWNSHIP):
        up(area_rules.TOWNSHIP, p, (NOW, MAIN, status, category, cause), h, n)
    for p, status, cause, h, n in any_cause_now(county, area_rules.TOWNSHIP):
        up(area_rules.TOWNSHIP, p, (NOW, ANY, status, "", cause), h, n)
    for p, status, h, n in status_now(county, area_rules.VILLAGE):
        up(area_rules.VILLAGE, p, (NOW, STATUS, status, "", ""), h, n)
    ends = {y: year_end(y) for y in history_years(county)}
    for y, p, status, h, n in status_at(county, area_rules.VILLAGE, ends):
        up(area_rules.VILLAGE, p, (y, STATUS, status, "", ""), h, n)
    for p, y, status, h in flows(county, area_rules.VILLAGE):
        up(area_rules.VILLAGE, p, (y, FLOW, status, "", ""), h, 0)
    _incidence_facts(county, facts, up)
    return facts


def _incidence_facts(county: str, facts: Facts, up) -> None:
    """The rollup rows of the incidence rate's denominator of one county (models_stats: the
    ``rural`` changes and the ``left`` counts), village by village, added upwards by ``up``:
    the county's villages as the live rate sees them (incidence.Profiles: its current
    villages, those with a profile, and abolished ones its households still name), each
    village's profiles in order, and the poor people (from ``facts``, the county's village
    rows just counted) of the villages with no profile at or before each year end of the
    county's series, and now (this year's profiles)."""
    profiles = incidence.Profiles(county)
    village = area_rules.VILLAGE
    for v in profiles.villages:
        up(village, v, (0, RURAL, StatsRollup.NO_PROFILE, "", ""), 1, 0)  # not profiled, to begin with
        before = None
        for year, rural in profiles.by_village.get(v, ()):
            if before is None:
                up(village, v, (year, RURAL, StatsRollup.NO_PROFILE, "", ""), -1, 0)
            else:
                up(village, v, (year, RURAL, str(before[0]), "", ""), -1, -before[1])
            up(village, v, (year, RURAL, str(year), "", ""), 1, rural)
            before = (year, rural)
        if before is not None and v in profiles.gone:  # abolished: no denominator from then on
            up(village, v, (profiles.gone[v], RURAL, str(before[0]), "", ""), -1, -before[1])
            up(village, v, (profiles.gone[v], RURAL, StatsRollup.NO_PROFILE, "", ""), 1, 0)
    poor = set(codes.POOR_STATUSES)
    keys = {key for (lv, _c, key, dim, _s, _ca, _cs) in facts if lv == village and dim == STATUS}
    people: dict[tuple[int, str], int] = defaultdict(int)
    for (lv, code, key, dim, status, _ca, _cs), (_h, n) in facts.items():
        if lv == village and dim == STATUS and status in poor:
            people[(key, code[:LENGTH[village]])] += n
    for key in keys | {NOW}:
        for first, v, gone in profiles.missing_at(clock.today().year if key == NOW else key):
            n = people.get((key, v), 0)
            if key == NOW:
                # every village left out, to be named, with the year of its first profile (a later
                # year: the page of a later year leaves it out only until then; abolished: for good)
                never = gone or first == sys.maxsize
                up(village, v, (key, LEFT, StatsRollup.NO_PROFILE if never else str(first), "", ""), 1, n)
            elif n:
                up(village, v, (key, LEFT, "", "", ""), 1, n)


def _rows(facts: Facts, county_code: str, at) -> list[StatsRollup]:
    return [StatsRollup(county_code=county_code, level=level, area_code=code, year=year, dim=dim, status=status,
                        category=category, cause=cause, households=h, people=n, refreshed_at=at)
            for (level, code, year, dim, status, category, cause), (h, n) in facts.items()]


def _sum_from_children(level: str, prefix: str, at) -> int:
    """Replace the rows of one city, province or the country by the sums of its children's rows."""
    child = CHILD[level]
    code = code_of(prefix)
    StatsRollup.objects.filter(level=level, area_code=code).delete()
    rows = (StatsRollup.objects.filter(_range_q(prefix), level=child).order_by()
            .values("year", "dim", "status", "category", "cause")
            .annotate(h=Sum("households"), n=Sum("people"), oldest=Min("refreshed_at")))
    objs = [StatsRollup(county_code=prefix.ljust(6, "0")[:6] if prefix else "", level=level, area_code=code,
                        year=r["year"], dim=r["dim"], status=r["status"], category=r["category"], cause=r["cause"],
                        households=r["h"] or 0, people=r["n"] or 0, refreshed_at=r["oldest"] or at) for r in rows]
    StatsRollup.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


def counties_under(prefix: str) -> list[str]:
    """The 6-digit codes of the counties to refresh for an area: those with households,
    those with villages or village profiles (the incidence rate's denominator counts every
    village of the area, as the live rate does), and those that still have rollup rows
    (their households may have gone)."""
    if len(prefix) >= 6:
        return [prefix[:6]]
    return [county for county, _at in _county_walk(prefix, ages=False)]


# Above every code (at most 15 digits: a village group) of the county it follows.
_PAST_COUNTY = "9" * (area_rules.PREFIX_LENGTH[area_rules.GROUP] - LENGTH[area_rules.COUNTY])


def _county_walk(prefix: str, *, ages: bool = True) -> list[tuple[str, object]]:
    """(county, the oldest ``refreshed_at`` of its current status and rural county rows, or
    None; always None without ``ages``) for every county of ``counties_under`` (an area
    above the county), in code order, in one statement.

    A DISTINCT over the households' county codes reads the whole (county_code, status)
    index — 30 million entries nationally (PostgreSQL 15 has no skip scan) — and the ones
    over the villages, their profiles and the county rollup rows read every row of those.
    Instead each source is walked county by county (a "loose index scan", a recursive CTE
    in SQLite and PostgreSQL alike): its first code in the area, then its first code past
    that code's county, and so on — one index probe per county and source. Every county the
    sources name is found, whether or not it has an Area row. (The county rows of the rollup
    are walked by area code: a county row's area code is its county code's 12-digit code.)"""
    qn = connection.ops.quote_name
    upper = area_rules.prefix_upper_bound(prefix) if prefix else None
    county = LENGTH[area_rules.COUNTY]
    walks, params = [], []
    # (name, table, code column, condition and its parameters, whether the code is the county's own)
    sources = [
        ("hh", Household._meta.db_table, "county_code", [], [], True),
        ("vil", Area._meta.db_table, "code", ["t.level = %s", "t.valid_to IS NULL"], [area_rules.VILLAGE], False),
        ("pro", VillageProfile._meta.db_table, "area_code", [], [], False),
        ("sr", StatsRollup._meta.db_table, "area_code", ["t.level = %s"], [area_rules.COUNTY], False),
    ]
    for name, table, column, where, where_params, own in sources:
        col = f"t.{qn(column)}"
        bounds = [(f"{col} >= %s", prefix)] if prefix else []
        if upper is not None:
            bounds.append((f"{col} < %s", upper))
        first = " AND ".join([*where, *(b for b, _v in bounds)]) or "1 = 1"
        # the next code past the county of the one before: above it (a county code), or above
        # every code that starts with its first six digits
        past = f"{name}.c" if own else f"SUBSTR({name}.c, 1, {county}) || %s"
        then = " AND ".join([*where, f"{col} > {past}", *(b for b, _v in bounds)])
        walks.append(f"""
            {name} (c) AS (
                SELECT (SELECT {col} FROM {qn(table)} t WHERE {first} ORDER BY {col} LIMIT 1)
                UNION ALL
                SELECT (SELECT {col} FROM {qn(table)} t WHERE {then} ORDER BY {col} LIMIT 1)
                FROM {name} WHERE {name}.c IS NOT NULL
            )""")  # noqa: S608  (table and column names from the models, values as parameters)
        bound_params = [v for _b, v in bounds]
        params += [*where_params, *bound_params, *where_params, *([] if own else [_PAST_COUNTY]), *bound_params]
    age = "NULL"
    if ages:  # two probes of the rollup's lookup index (level, area_code, dim, year) a county, each
        # on all four columns (with dim IN (…) PostgreSQL reads every county row of the county)
        probe = (f"SELECT r.refreshed_at AS at FROM {qn(StatsRollup._meta.db_table)} r "  # noqa: S608
                 "WHERE r.level = %s AND r.area_code = counties.c || %s AND r.dim = %s AND r.year = %s")
        age = f"(SELECT MIN(x.at) FROM ({probe} UNION ALL {probe}) x)"  # noqa: S608
    sql = f"""
        WITH RECURSIVE {",".join(walks)},
        counties (c) AS (
            SELECT c FROM hh WHERE c IS NOT NULL
            UNION SELECT SUBSTR(c, 1, {county}) FROM vil WHERE c IS NOT NULL
            UNION SELECT SUBSTR(c, 1, {county}) FROM pro WHERE c IS NOT NULL
            UNION SELECT SUBSTR(c, 1, {county}) FROM sr WHERE c IS NOT NULL
        )
        SELECT counties.c, {age} FROM counties ORDER BY counties.c
    """  # noqa: S608  (table and column names from the models, values as parameters)
    if ages:  # (counties.c || "000000": a county's 12-digit code)
        params += [x for dim in (STATUS, RURAL) for x in (area_rules.COUNTY, "0" * (12 - county), dim, NOW)]
    convert = getattr(connection.ops, "convert_datetimefield_value", None)  # SQLite gives text
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(c, convert(at, None, connection) if convert and at is not None else at)
                for c, at in cursor.fetchall()]


def refresh(actor: Actor, code: str = "", *, on_county: Callable[[int, int, str], None] | None = None) -> dict:
    """Rebuild the rollup for an area: each county in it from the registry (one
    transaction per county), then its city, province and the country from the county
    rows. Returns counts and the time taken."""
    prefix = prefix_of(code) if code else ""
    require(actor, "stats.view", code_of(prefix) if prefix else None)
    return _rebuild(actor, prefix, counties_under(prefix), on_county)


def _rebuild(actor: Actor, prefix: str, counties: list[str],
             on_county: Callable[[int, int, str], None] | None, *, changed_only: bool = False) -> dict:
    """Rebuild the rollup rows of ``counties`` (one transaction per county), then the sums
    above them, and audit it. With ``changed_only`` and no county, nothing is written."""
    started = time.monotonic()
    at = clock.now()
    rows = 0
    for i, county in enumerate(counties, start=1):
        with transaction.atomic():
            StatsRollup.objects.filter(county_code=county, level__in=(
                area_rules.COUNTY, area_rules.TOWNSHIP, area_rules.VILLAGE)).delete()
            objs = _rows(_county_facts(county), county, at)
            StatsRollup.objects.bulk_create(objs, batch_size=2000)
            rows += len(objs)
        if on_county:
            on_county(i, len(counties), county)
    result = {"counties": len(counties), "rows": rows, "seconds": 0.0}
    if changed_only and not counties:
        return result
    with transaction.atomic():
        for city in sorted({c[:4] for c in counties}):
            rows += _sum_from_children(area_rules.CITY, city, at)
        for province in sorted({c[:2] for c in counties}):
            rows += _sum_from_children(area_rules.PROVINCE, province, at)
        if counties:
            rows += _sum_from_children(COUNTRY, "", at)
        if not changed_only and connection.vendor == "postgresql":
            # a full refresh rewrote the table: let the planner see it at once (autovacuum may be
            # off or late; a misjudged plan on an unanalysed rollup took a minute once)
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {StatsRollup._meta.db_table}")
        result = {"counties": len(counties), "rows": rows, "seconds": round(time.monotonic() - started, 3)}
        audit.record(actor, "registry.stats.refresh", kind="bulk", object_type="registry.statsrollup",
                     area_code=code_of(prefix), count=rows,
                     after={**result, "changed_only": True} if changed_only else result)
    return result


# Audited area writes that change what the statistics count: the villages of the incidence
# rate's denominator (a new village is left out until it has a profile).
AREA_EVENTS = ("areas.import", "areas.divisions.load")

# Audited actions that do not change what the statistics count.
NOT_COUNTED = ("registry.stats.", "registry.quality.", "registry.duplicate.", "registry.recheck.",
               "registry.export")


def _counted_events(prefix: str, since):
    """The audited registry writes in the area (or over an area containing it) after
    ``since``: every write is audited, so they are the rollup's freshness test. The time
    index of the audit log keeps it cheap: only the events since then are looked at."""
    from fupin.audit.models import AuditEvent

    ancestors = [""] + [code_of(prefix[:n]) for n in (2, 4, 6, 9) if n < len(prefix)]
    where = _range_q(prefix) | Q(area_code__in=ancestors) if prefix else Q()
    qs = AuditEvent.objects.filter(where, Q(action__startswith="registry.") | Q(action__in=AREA_EVENTS),
                                   at__gt=since, kind__in=("change", "bulk"))
    for name in NOT_COUNTED:
        qs = qs.exclude(action__startswith=name)
    return qs


def changed_since(prefix: str, at) -> bool:
    """Whether a registry write in the area (or over an area containing it) was audited
    after ``at``."""
    return _counted_events(prefix, at).exists()


def rollup_state(prefix: str) -> dict | None:
    """When the area's rollup was refreshed, how many households it counts, whether the
    registry changed since (``current``) and whether it is old (``stale``); None when
    there is no rollup for the area."""
    level = level_of(prefix)
    row = (StatsRollup.objects.filter(level=level, area_code=code_of(prefix), dim=STATUS, year=NOW)
           .aggregate(at=Min("refreshed_at"), households=Sum("households"), n=Count("id")))
    if not row["n"]:
        return None
    return {"refreshed_at": row["at"], "households": row["households"] or 0,
            "current": not changed_since(prefix, row["at"]), "stale": clock.now() - row["at"] > MAX_AGE}


def rollup_facts(prefix: str, *, depth: int = 2) -> Facts:
    """The same facts as ``live_facts``, read from the rollup."""
    level = level_of(prefix)
    facts: Facts = {}
    keys = ("level", "area_code", "year", "dim", "status", "category", "cause", "households", "people")
    queries = [StatsRollup.objects.filter(level=level, area_code=code_of(prefix))]
    lv = CHILD[level]
    for _i in range(depth):
        if lv is None:
            break
        # now, and the incidence rate's denominator (its changes of every year, a few per area)
        queries.append(StatsRollup.objects.filter(_range_q(prefix), level=lv).filter(
            Q(year=NOW, dim__in=(STATUS, LEFT)) | Q(dim=RURAL)))
        lv = CHILD[lv]
    for qs in queries:
        for r in qs.order_by().values_list(*keys):
            facts[tuple(r[:7])] = [r[7], r[8]]
    return facts


# --- from facts to the report -------------------------------------------------------------------

_pct = incidence.pct


def _choose_source(prefix: str, requested: str) -> tuple[str, dict | None]:
    """The rollup when it is current (nothing changed since its refresh); otherwise a
    live count for a small area, and the (older) rollup for a large one."""
    if level_of(prefix) == area_rules.VILLAGE:  # a village is always small; its rollup has no breakdowns
        return "live", None
    state = rollup_state(prefix)
    if state is None or requested == "live":
        return "live", state
    if requested == "rollup" or state["current"]:
        return "rollup", state
    small = _households(prefix)[: LIVE_LIMIT + 1].count() <= LIVE_LIMIT
    return ("live" if small else "rollup"), state


def facts_for(prefix: str, requested: str = "") -> tuple[Facts, str, dict | None]:
    source, state = _choose_source(prefix, requested)
    if source == "rollup":
        return rollup_facts(prefix), source, state
    return live_facts(prefix), source, state


def _left_out_villages(chosen: list[tuple[str, int, bool]]) -> list[dict]:
    """The villages the rate leaves out (no profile), named — abolished ones too, marked so —
    with their poor people, as the incidence source chose them (``named``: most poor people
    first, at most ``MAX_TABLE_ROWS``; the page says how many there are in all)."""
    names = area_queries.names(code_of(v) for v, _n, _a in chosen)  # a retired village by its last name
    return [{"code": code_of(v), "name": names.get(code_of(v), code_of(v)), "abolished": abolished,
             "poor_people": poor} for v, poor, abolished in chosen]


def _status_rows(cells: dict[str, list[int]]) -> list[dict]:
    return [{"code": s, "label": codes.label("status", s), "households": cells.get(s, [0, 0])[0],
             "people": cells.get(s, [0, 0])[1]} for s in codes.codes("status")]


def _summary(cells: dict[str, list[int]]) -> dict:
    def total(statuses):
        return [sum(cells.get(s, [0, 0])[i] for s in statuses) for i in (0, 1)]

    registered = [s for s in codes.codes("status") if s not in codes.OFF_REGISTER_STATUSES]
    all_h, all_p = total(registered)
    poor_h, poor_p = total(codes.POOR_STATUSES)
    ex_h, ex_p = total(codes.EXITED_STATUSES)
    return {"households": all_h, "people": all_p, "poor_households": poor_h, "poor_people": poor_p,
            "exited_households": ex_h, "exited_people": ex_p,
            "returned_households": cells.get("returned", [0, 0])[0],
            "removed_households": cells.get("removed", [0, 0])[0]}


def report(area: Area | None, prefix: str, facts: Facts, *, source: str = "live", state: dict | None = None,
           on_date: dt.date | None = None) -> dict:
    """What the statistics page and the API show for an area."""
    level = level_of(prefix)
    code = code_of(prefix)
    today = clock.today()

    now_status: dict[str, list[int]] = {}
    by_category: dict[str, dict[str, list[int]]] = defaultdict(dict)
    by_cause: dict[str, dict[str, list[int]]] = defaultdict(dict)
    mentions: dict[str, dict[str, list[int]]] = defaultdict(dict)
    year_status: dict[int, dict[str, list[int]]] = defaultdict(dict)
    year_flow: dict[int, dict[str, int]] = defaultdict(dict)
    child_status: dict[str, dict[str, dict[str, list[int]]]] = defaultdict(lambda: defaultdict(dict))

    for (lv, c, year, dim, status, category, cause), (h, n) in facts.items():
        if lv == level and c == code:
            if dim == STATUS and year == NOW:
                now_status[status] = [h, n]
            elif dim == STATUS:
                year_status[year][status] = [h, n]
            elif dim == FLOW:
                year_flow[year][status] = h
            elif dim == MAIN:
                for target, key in ((by_category, category), (by_cause, cause)):
                    cell = target[key].setdefault(status, [0, 0])
                    cell[0] += h
                    cell[1] += n
            elif dim == ANY:
                mentions[cause][status] = [h, n]
        elif dim == STATUS and year == NOW:
            child_status[lv][c][status] = [h, n]

    summary = _summary(now_status)

    def group(cells: dict[str, list[int]]) -> dict:
        s = _summary(cells)
        return {"households": s["households"], "people": s["people"], "poor_households": s["poor_households"],
                "poor_people": s["poor_people"]}

    categories = [{"code": c, "label": codes.label("category", c), **group(by_category.get(c, {}))}
                  for c in codes.codes("category")]
    causes = []
    for c in codes.codes("cause"):
        row = {"code": c, "label": codes.label("cause", c), **group(by_cause.get(c, {}))}
        m = group(mentions.get(c, {}))
        row["mentions"] = m["households"]
        row["poor_mentions"] = m["poor_households"]
        row["mention_share"] = _pct(m["households"], summary["households"])
        causes.append(row)

    # Incidence: poor people ÷ rural registered population over the same villages, each
    # village's latest profile at or before the year (see incidence.py), and the poor people of
    # the villages it leaves out, now and at every year end of the table — from the rollup's
    # denominator rows with the rollup's facts (a few rows per area), else counted live.
    if source == "rollup":
        inc = incidence.FromRollup(facts, prefix, {lv: LENGTH[lv] for lv in LEVELS}, today.year)
    else:
        inc = incidence.Live(prefix, today.year)
    # The year-end series and each year's flows, up to the last year with a recorded
    # change or a village profile (later years would repeat the last one).
    last = max([*year_flow, *inc.years], default=0)
    table_years = sorted(y for y in set(year_status) | set(year_flow) if y <= last)
    inc.prepare(table_years)
    own = inc.rate(incidence.NOW, LENGTH[level], {prefix: summary["poor_people"]})
    rate_now = own.get(prefix, incidence.EMPTY)
    summary["rural_population"] = rate_now["rural"]
    summary["rural_year"] = rate_now["last"]  # the latest profile year used (None: no profile)
    summary["rural_first_year"] = rate_now["first"]
    summary["profiled_villages"] = rate_now["villages"]
    summary["missing_villages"] = rate_now["missing"]
    summary["missing_poor"] = rate_now["missing_poor"]
    summary["incidence_poor"] = rate_now["poor"]
    summary["incidence"] = rate_now["incidence"]
    # the villages it leaves out, named (when it has a denominator: else it leaves out every village)
    summary["left_out"] = _left_out_villages(inc.named(rate_now, MAX_TABLE_ROWS)) if rate_now["villages"] else []
    summary["left_out_more"] = max(rate_now["missing"] - len(summary["left_out"]), 0) if summary["left_out"] else 0

    # Children and grandchildren: one row per area, every current area listed.
    tables = []
    lv = CHILD[level]
    while lv is not None and len(tables) < 2:
        areas = Area.objects.filter(level=lv, valid_to__isnull=True).select_related("parent")
        if prefix:
            areas = Scope([prefix]).filter(areas, "code")
        known = {a.code: a for a in areas.order_by("code")[:MAX_TABLE_ROWS + 1]}
        cells = child_status.get(lv, {})
        if len(known) > MAX_TABLE_ROWS or len(cells) > MAX_TABLE_ROWS:
            break
        others = area_queries.names(set(cells) - set(known))  # (an area retired since: its last name)
        summaries = {c: _summary(cells.get(c, {})) for c in sorted(set(known) | set(cells))}
        rates = inc.rate(incidence.NOW, LENGTH[lv], {prefix_of(c): s["poor_people"] for c, s in summaries.items()})
        rows = []
        for c, s in summaries.items():
            r = rates.get(prefix_of(c), incidence.EMPTY)
            a = known.get(c)
            parent = a.parent.name if a is not None and a.parent is not None and len(tables) == 1 else ""
            rows.append({"code": c, "name": a.name if a else others.get(c, c), "parent_name": parent, **s,
                         "rural_population": r["rural"], "incidence": r["incidence"],
                         "profiled_villages": r["villages"], "missing_villages": r["missing"],
                         "missing_poor": r["missing_poor"]})
        tables.append({"level": lv, "label": str(area_rules.LEVEL_LABELS[lv]), "rows": rows})
        lv = CHILD[lv]

    years = []
    previous = None
    for y in table_years:
        s = _summary(year_status.get(y, {}))
        r = inc.rate(y, LENGTH[level], {prefix: s["poor_people"]}).get(prefix, incidence.EMPTY)
        f = year_flow.get(y, {})
        row = {"year": y, "poor_households": s["poor_households"], "poor_people": s["poor_people"],
               "exited_households": s["exited_households"], "households": s["households"],
               "registered": f.get("registered", 0), "exited": f.get("exited_policy", 0),
               "returned": f.get("returned", 0), "removed": f.get("removed", 0),
               "rural_population": r["rural"], "incidence": r["incidence"],
               "rural_first_year": r["first"], "rural_year": r["last"], "missing_villages": r["missing"],
               "missing_poor": r["missing_poor"]}
        if previous is not None:
            row["change_poor_households"] = row["poor_households"] - previous["poor_households"]
            row["change_poor_people"] = row["poor_people"] - previous["poor_people"]
            row["change_incidence"] = (row["incidence"] - previous["incidence"]
                                       if row["incidence"] is not None and previous["incidence"] is not None
                                       else None)
        else:
            row["change_poor_households"] = row["change_poor_people"] = row["change_incidence"] = None
        years.append(row)
        previous = row

    result = {
        "area": {"code": code, "name": area.name if area else _("Whole country"), "level": level,
                 "level_label": str(area_rules.LEVEL_LABELS.get(level, _("Country")))},
        "source": source,
        "refreshed_at": state["refreshed_at"] if state and source == "rollup" else None,
        "stale": bool(state and source == "rollup" and (state["stale"] or not state["current"])),
        "summary": summary,
        "by_status": _status_rows(now_status),
        "by_category": categories,
        "by_cause": causes,
        "areas": tables,
        "years": years,
    }
    if on_date is not None:
        result["on_date"] = as_of(prefix, on_date)
    return result


def as_of(prefix: str, on_date: dt.date) -> dict:
    """Households and people in each status on a date, in total and by child area."""
    level = level_of(prefix)
    child = CHILD[level]
    totals: dict[str, list[int]] = {}
    by_child: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for p, status, h, n in status_on(prefix, child or level, on_date):
        cell = totals.setdefault(status, [0, 0])
        cell[0] += h
        cell[1] += n
        if child:
            by_child[code_of(p)][status] = [h, n]
    names = area_queries.names(by_child)
    rows = [{"code": c, "name": names.get(c, c), **_summary(by_child[c])}
            for c in sorted(by_child)]
    return {"date": on_date, "by_status": _status_rows(totals), "summary": _summary(totals), "areas": rows}


def area_report(user, code: str | None = None, *, source: str = "", on_date: dt.date | None = None) -> dict:
    """The statistics of an area in the user's scope (NotFound outside it)."""
    area, prefix = resolve_area(user, code)
    facts, used, state = facts_for(prefix, source)
    result = report(area, prefix, facts, source=used, state=state, on_date=on_date)
    result["rollup"] = state
    return result


# --- the refresh job ------------------------------------------------------------------------------

def refreshed_message(result: dict) -> str:
    """What a refresh did (the job's message and the command's output): one whole sentence,
    its plural chosen by the number of counties (the rows are a figure after a label, so
    they need no plural of their own), never fragments joined."""
    return ngettext("Done for %(counties)s county, in %(seconds)s s; statistics rows written: %(rows)s.",
                    "Done for %(counties)s counties, in %(seconds)s s; statistics rows written: %(rows)s.",
                    result["counties"]) % result


def _run_refresh(job_id: str, refresh_fn) -> None:
    """A refresh job's body: ``refresh_fn`` over ``params["area"]`` with a county-by-county bar."""
    from fupin.jobs.actions import run

    def body(progress):
        def on_county(i, total, county):
            progress.set_total(total)
            progress.update(i, message=county)

        result = refresh_fn(progress.actor, progress.params.get("area", ""), on_county=on_county)
        progress.succeed(result, message=refreshed_message(result))

    run(job_id, body)


@task()
def refresh_stats_task(job_id: str) -> None:
    """Refresh the rollup of ``params["area"]`` (a 12-digit code, "" for everything in scope)."""
    _run_refresh(job_id, refresh)


# --- the rollup kept current: after an import, after edits ------------------------------------------

def counties_changed(prefix: str = "") -> list[str]:
    """The counties (6-digit codes) of an area whose rollup is missing or older than a
    registry write audited in them: what ``refresh_changed`` refreshes. One query over the
    events since the oldest county rollup, grouped by county (an event recorded at a city,
    a province or the country counts for every county under it), not one per county."""
    # (a county with villages and no household has only the rate's denominator rows)
    if len(prefix) >= 6:
        rows = dict(StatsRollup.objects.filter(_range_q(prefix), level=area_rules.COUNTY, year=NOW,
                                               dim__in=(STATUS, RURAL))
                    .order_by().values_list("county_code").annotate(at=Min("refreshed_at")))
        counties = counties_under(prefix)
    else:  # every county of the area with the age of its rollup, in one statement (_county_walk)
        walk = _county_walk(prefix)
        rows = {county: at for county, at in walk if at is not None}
        counties = [county for county, _at in walk]
    if not rows:
        return counties
    last = dict(_counted_events(prefix, min(rows.values())).annotate(county=Substr("area_code", 1, 6))
                .order_by().values_list("county").annotate(at=Max("at")))
    above = []  # events recorded above the counties: (the prefix of their area, when)
    for code, at in last.items():
        if len(code) < 6 or code.endswith("00"):  # (a county's code never ends in 00)
            while code.endswith("00"):
                code = code[:-2]
            above.append((code, at))
    changed = []
    for county in counties:
        at = rows.get(county)
        if at is None or last.get(county, at) > at or any(county.startswith(p) and t > at for p, t in above):
            changed.append(county)
    return changed


def refresh_changed(actor: Actor, code: str = "", *,
                    on_county: Callable[[int, int, str], None] | None = None) -> dict:
    """The cheap refresh after edits: only the counties written to since their rollup was
    refreshed, then the sums above them (city, province, country). One county takes a
    second or two; an edit touches one county."""
    prefix = prefix_of(code) if code else ""
    require(actor, "stats.view", code_of(prefix) if prefix else None)
    return _rebuild(actor, prefix, counties_changed(prefix), on_county, changed_only=True)


@task()
def refresh_changed_task(job_id: str) -> None:
    """Refresh the rollup of the counties of ``params["area"]`` that changed (after an import)."""
    _run_refresh(job_id, refresh_changed)


# Imports of at least this many households create the rollup of their area if it has none
# (smaller ones keep an existing rollup current). A performance knob, like LIVE_LIMIT.
IMPORT_CREATES_ROLLUP = LIVE_LIMIT


def after_import(area_code: str, households: int) -> None:
    """Called when an import has committed: queue the job that refreshes the rollup of the
    counties it changed, when the area has a rollup (or the import is large enough to make
    one worth having)."""
    from fupin.jobs import actions as jobs

    prefix = prefix_of(area_code) if area_code else ""
    has_rollup = StatsRollup.objects.filter(_range_q(prefix), level=area_rules.COUNTY).exists()
    if not has_rollup and households < IMPORT_CREATES_ROLLUP:
        return
    jobs.start(Actor.system("job"), refresh_changed_task, kind="registry.stats_refresh",
               title=_("Refresh the statistics after an import"), area_code=code_of(prefix),
               params={"area": code_of(prefix)})


# --- totals of the household list and the registers, from the rollup ---------------------------------

# The levels whose unfiltered household list and register read their totals from the rollup
# (a county has at most some tens of thousands of households: counted live, exact).
ROLLUP_TOTALS_LEVELS = (COUNTRY, area_rules.PROVINCE, area_rules.CITY)
TOTAL_KEYS = ("households", "people", "poor_households", "poor_people", "exited_households", "exited_people",
              "returned_households", "dibao_households", "tekun_households")


def rollup_totals(prefix: str, *, child_length: int | None = None,
                  exclude: tuple[str, ...] = ()) -> tuple[dict, dict[str, dict]] | None:
    """The totals the household list and the registers show (queries.household_totals and
    queries.rollup_by_prefix: households and people, poor, exited, returned, 低保 and
    特困 households), for the area and, with ``child_length``, for each area below it by
    code prefix; households in the ``exclude`` statuses left out. From the rollup when the
    statistics page would use it (current, or a large area); None when it must be counted
    live."""
    if level_of(prefix) not in ROLLUP_TOTALS_LEVELS:
        return None  # a county or smaller area is counted live
    source, _state = _choose_source(prefix, "")
    if source != "rollup":
        return None
    poor, exited = set(codes.POOR_STATUSES), set(codes.EXITED_STATUSES)

    def fold(rows) -> dict[str, dict]:
        out: dict[str, dict] = defaultdict(lambda: dict.fromkeys(TOTAL_KEYS, 0))
        for code, dim, status, category, h, n in rows:
            if status in exclude:
                continue
            t = out[code]
            if dim == STATUS:
                t["households"] += h
                t["people"] += n
                if status in poor:
                    t["poor_households"] += h
                    t["poor_people"] += n
                if status in exited:
                    t["exited_households"] += h
                    t["exited_people"] += n
                if status == "returned":
                    t["returned_households"] += h
            elif category == "2":
                t["dibao_households"] += h
            elif category == "3":
                t["tekun_households"] += h
        return out

    keys = ("area_code", "dim", "status", "category", "households", "people")
    own = fold(StatsRollup.objects.filter(level=level_of(prefix), area_code=code_of(prefix), year=NOW,
                                          dim__in=(STATUS, MAIN)).order_by().values_list(*keys))
    total = own.get(code_of(prefix)) or dict.fromkeys(TOTAL_KEYS, 0)
    children: dict[str, dict] = {}
    if child_length:
        child_level = next(lv for lv in LEVELS if LENGTH[lv] == child_length)
        rows = fold(StatsRollup.objects.filter(_range_q(prefix), level=child_level, year=NOW, dim__in=(STATUS, MAIN))
                    .order_by().values_list(*keys))
        children = {code[:child_length]: t for code, t in rows.items()}
    return total, children
