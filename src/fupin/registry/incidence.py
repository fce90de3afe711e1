"""The poverty incidence rate of the statistics page: poor people ÷ rural registered
population, both over the same villages.

The denominator is each village's rural registered population from its latest profile
at or before the year (a profile is carried forward until the village has a newer one):
a year in which only some villages were profiled does not drop the others. A village
with no profile at or before the year has no denominator: it is left out of the rate,
and so are its poor people (the numerator), and the page names the villages and says how
many poor people were left out. Nothing is mixed silently: the villages are the area's
current villages, those with a profile, and abolished villages (a retired code keeps its
``Area`` row) whose code households still carry.

Two sources, as for the numerator (stats.py), give the same figures (a test proves it):

- ``Live`` reads the area's profiles (one row per village and year), its villages, and —
  only when, in some year of the page, some village has a profile and some has none — the
  poor people of the villages left out, for every year of the page in ONE set-based
  statement (``left_out_poor``) from the registry (the status now, and each year-end status
  from the status history). A county's page: some hundreds of villages.
- ``FromRollup`` reads the rollup's ``rural`` and ``left`` rows of the area and of the areas
  below it (models_stats), written by the refresh county by county (stats._incidence_facts,
  with ``Profiles`` of the county): a province's or the country's page then reads a few
  rows per area instead of every village's profiles.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Concat

from fupin.accounts.scoping import Scope
from fupin.areas import rules as area_rules
from fupin.areas.models import Area

from . import codes
from .models import Household, Member, StatusChange, VillageProfile
from .models_stats import StatsRollup

VILLAGE_LENGTH = area_rules.PREFIX_LENGTH[area_rules.VILLAGE]
_AFTER_ANY_POPULATION = sys.maxsize  # (year, this) sorts after every (year, population) of that year
NOW = 0  # the key of the current state (as in stats and the rollup: year 0)


def pct(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _retired_villages(prefix: str) -> list[tuple[str, dt.date, bool]]:
    """(village prefix, valid_to, named) of the abolished villages of an area: a retired code
    (``valid_to``: the day it stopped being valid) with no current row; ``named`` when
    households still name it. Those are among the villages of the rate (their poor people are
    in the numerator; with no profile they are left out and named); and a village's profile
    counts only while it exists: after a merger the village it went into counts its people
    (it would otherwise be counted twice). One query."""
    current = Area.objects.filter(level=area_rules.VILLAGE, valid_to__isnull=True, code=OuterRef("code"))
    # a household names the village by its code or by one of its groups' (the code + 3 digits)
    households = Household.objects.filter(area_code__gte=OuterRef("code"),
                                          area_code__lte=Concat(OuterRef("code"), Value("999")))
    rows = (Area.objects.filter(level=area_rules.VILLAGE, valid_to__isnull=False)
            .filter(~Exists(current)).annotate(named=Exists(households)).order_by())
    if prefix:
        rows = Scope([prefix]).filter(rows, "code")
    return [(c[:VILLAGE_LENGTH], valid_to, named) for c, valid_to, named in rows.values_list("code", "valid_to", "named")]


class Profiles:
    """The profiles and villages of an area, for the rate of any year and any level below.

    A village abolished (``gone``: the first year at whose end it no longer exists) has no
    denominator from that year on, whatever its profiles: its households that still name it
    are left out of the rate and named, like those of a village never profiled."""

    gone: dict[str, int] = {}  # (built by hand without it: bench/stats_incidence.py, a test)

    def __init__(self, prefix: str):
        self.prefix = prefix
        rows = VillageProfile.objects.order_by()
        villages = Area.objects.filter(level=area_rules.VILLAGE, valid_to__isnull=True).order_by()
        if prefix:
            rows = Scope([prefix]).filter(rows, "area_code")
            villages = Scope([prefix]).filter(villages, "code")
        # (year, village prefix, rural population) by year, and
        # {village prefix: [(year, rural population), …] by year}
        ordered = [(year, code[:VILLAGE_LENGTH], rural or 0) for code, year, rural in
                   rows.values_list("area_code", "year", "rural_population")
                   .order_by("year", "-area_code", "id")]  # (a tie: the village's own profile last, so it wins)
        retired = _retired_villages(prefix)
        profiled = {v for _y, v, _r in ordered}
        # village -> the first year at whose end it no longer exists
        self.gone: dict[str, int] = {}
        for v, valid_to, _named in retired:
            if v in profiled:
                self.gone[v] = max(self.gone.get(v, 0), valid_to.year)
        # (a profile dated after the village was abolished never counts)
        self._ordered = [r for r in ordered if r[0] < self.gone.get(r[1], _NEVER + 1)]
        self.by_village: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for year, village, rural in self._ordered:
            self.by_village[village].append((year, rural))
        current = {c[:VILLAGE_LENGTH] for c in villages.values_list("code", flat=True)}
        self.current = current
        self.retired = {v for v, _t, named in retired if named} - current - set(self.by_village)
        self.villages = current | set(self.by_village) | self.retired
        self.years = sorted({y for y, _v, _r in self._ordered})

    def profile_at(self, village: str, year: int) -> tuple[int, int] | None:
        """(profile year, rural population) of the village's latest profile at or before ``year``
        (a binary search: the page asks this for every village and every year of its table)."""
        rows = self.by_village.get(village)
        if not rows or year >= self.gone.get(village, _NEVER + 1):
            return None
        i = bisect.bisect_right(rows, (year, _AFTER_ANY_POPULATION))
        return rows[i - 1] if i else None

    def missing(self, year: int) -> set[str]:
        """The villages (prefixes) with no profile at or before ``year``."""
        return {v for v in self.villages if self.profile_at(v, year) is None}

    def first_after(self, year: int) -> list[tuple[int, str]]:
        """(year of the first profile, village) of the villages with no profile at or before
        ``year`` (never profiled: ``sys.maxsize``), by first profile year. (Not the abolished
        ones left out because they are gone: ``missing_at``.)"""
        self._prepare()
        return self._by_first[bisect.bisect_right(self._first_years, year):]

    def missing_at(self, year: int) -> list[tuple[int, str, bool]]:
        """(year of the first profile, village, abolished by then) of the villages the rate
        of ``year`` leaves out: no profile at or before it, or gone by then."""
        later = [(first, v, False) for first, v in self.first_after(year)]
        return later + sorted((self.by_village[v][0][0], v, True) for v, g in self.gone.items()
                              if g <= year and self.by_village.get(v) and self.by_village[v][0][0] <= year)

    def leaves_out(self, year: int) -> bool:
        """Whether the rate of ``year`` has a denominator and leaves some village out: only
        then are the poor people of the villages left out needed."""
        profiled = self._sums_at(year)[1]
        return 0 < profiled < len(self.villages)

    def coverage(self, year: int, length: int) -> dict[str, dict]:
        """{area prefix at ``length``: rural population, villages profiled, villages
        missing, profile years used (first, last)} for ``year``."""
        if length <= len(self.prefix):  # the area as one cell (the whole country too)
            return {self.prefix[:length]: self._whole(year)}
        return self._by_prefix(year, length)

    def _prepare(self) -> None:
        """The area's sums year by year: they change only in a year with profiles, so they
        are kept for each such year from one pass over the profiles sorted by year
        (profiles + years, not villages × years: bench/stats_incidence.py)."""
        if hasattr(self, "_sums"):
            return
        self._sums: dict[int, tuple[int, int, int | None, int | None]] = {}
        ordered = getattr(self, "_ordered", None)
        if ordered is None:  # (built by hand: bench/stats_incidence.py, a test)
            ordered = sorted((y, v, r) for v, rows in self.by_village.items() for y, r in rows)
        if self.gone:  # an abolished village leaves the sums in the year it is gone (after that year's profiles)
            ordered = sorted([(y, 0, v, r) for y, v, r in ordered] + [(g, 1, v, None) for v, g in self.gone.items()],
                             key=lambda e: (e[0], e[1]))
        else:
            ordered = [(y, 0, v, r) for y, v, r in ordered]
        current: dict[str, tuple[int, int]] = {}
        used: dict[int, int] = defaultdict(int)  # profile year -> villages whose latest it is
        total = 0

        def keep(year: int) -> None:
            years = [k for k, n in used.items() if n]
            self._sums[year] = (total, len(current), min(years, default=None), max(years, default=None))

        for i, (y, kind, village, rural) in enumerate(ordered):
            if i and y != ordered[i - 1][0]:
                keep(ordered[i - 1][0])
            old = current.pop(village, None)
            if old is not None:
                total -= old[1]
                used[old[0]] -= 1
            if kind == 0:  # a profile (else: the village is gone)
                current[village] = (y, rural)
                total += rural
                used[y] += 1
        if ordered:
            keep(ordered[-1][0])
        self._sum_years = sorted(self._sums)
        # villages by the year of their first profile (never profiled: last), for "missing"
        self._by_first = sorted((rows[0][0] if (rows := self.by_village.get(v)) else sys.maxsize, v)
                                for v in self.villages)
        self._first_years = [y for y, _v in self._by_first]

    def _sums_at(self, year: int) -> tuple[int, int, int | None, int | None]:
        self._prepare()
        i = bisect.bisect_right(self._sum_years, year)
        return self._sums[self._sum_years[i - 1]] if i else (0, 0, None, None)

    def _whole(self, year: int) -> dict:
        """``coverage`` of the area as one cell — the year-by-year table asks it for every year."""
        rural, profiled, first, last = self._sums_at(year)
        # the villages whose first profile is after the year (or who have none: a slice), and those gone
        missing = [] if profiled == len(self.villages) else sorted(v for _y, v, _g in self.missing_at(year))
        return {"rural": rural, "villages": profiled, "missing": missing, "first": first, "last": last}

    def _by_prefix(self, year: int, length: int) -> dict[str, dict]:
        out: dict[str, dict] = defaultdict(lambda: {"rural": 0, "villages": 0, "missing": [], "first": None,
                                                     "last": None})
        if getattr(self, "_latest_year", None) != year:  # the page asks two levels of one year
            self._latest_year = year
            self._latest = [(v, self.profile_at(v, year)) for v in sorted(self.villages)]
        for v, found in self._latest:
            cell = out[v[:length]]
            if found is None:
                cell["missing"].append(v)
                continue
            y, rural = found
            cell["rural"] += rural
            cell["villages"] += 1
            cell["first"] = y if cell["first"] is None else min(cell["first"], y)
            cell["last"] = y if cell["last"] is None else max(cell["last"], y)
        return out


# --- the poor people of the villages left out: one statement for every year of the page ---------

_NEVER = 9999  # the "first profile year" of a village never profiled: after every year asked


def _candidates(profiles: Profiles, first: int, last: int) -> tuple[str, list]:
    """The body of the CTE ``cand (v, first_year, gone_year)``: the villages that can be left
    out in a year from ``first`` to ``last`` — no profile at or before ``first``, or abolished
    by ``last`` — each with the year of its first profile and of its abolition (``_NEVER``:
    none), from ``profiles`` (already read: no query), as ONE parameter whatever their number —
    arrays on PostgreSQL, a JSON list on SQLite — so that a statement never meets the drivers'
    limit on parameters. The statement tells the years apart: a village is left out in Y when
    ``first_year > Y OR gone_year <= Y``."""
    rows = {v: (min(f, _NEVER), _NEVER) for f, v in profiles.first_after(first)}
    for f, v, _gone in profiles.missing_at(last):
        rows[v] = (min(f, _NEVER), profiles.gone.get(v, _NEVER))
    for v, g in profiles.gone.items():
        if v in rows:
            rows[v] = (rows[v][0], g)
    rows = [(v, f, g) for v, (f, g) in sorted(rows.items())]
    if connection.vendor == "postgresql":
        return ("SELECT c.v, c.first_year, c.gone_year "
                "FROM unnest(%s::text[], %s::int[], %s::int[]) AS c (v, first_year, gone_year)",
                [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]])
    return ("SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]') "
            "FROM json_each(%s) AS j", [json.dumps(rows)])


def left_out_poor(profiles: Profiles, years: Iterable[int], *, now_year: int | None) -> dict[int, dict[str, int]]:
    """{key: {village prefix: poor people}} of the villages with no profile at or before
    the key's year — key ``NOW`` (0) for now (``now_year``: the year whose profiles count now),
    key Y for the end of year Y (31 December) — in ONE SQL statement for all the keys, whatever
    their number (SQLite ≥ 3.38 and PostgreSQL), from the registry live: the households' status
    now, and each year end's from the status history (as ``stats.status_at``: a household's
    latest change dated on or before the day, its members then). Only the keys whose year
    ``profiles.leaves_out`` are asked; none: no query. (The rollup keeps the same counts in
    its ``left`` rows: ``stats._incidence_facts``.)

    The statement starts from the villages left out (``_candidates``), reads the area's
    households once (joined to those villages by the village part of their area code), then
    the status history and members of theirs only."""
    wanted = {y: y for y in years if profiles.leaves_out(y)}
    if now_year is not None and profiles.leaves_out(now_year):
        wanted[NOW] = now_year
    out: dict[int, dict[str, int]] = {k: {} for k in wanted}
    if not wanted:
        return out
    cand_sql, cand_params = _candidates(profiles, min(wanted.values()), max(wanted.values()))
    poor = list(codes.POOR_STATUSES)
    marks = ", ".join(["%s"] * len(poor))
    from .stats import _range_sql  # (stats imports this module)

    range_h, params_h = _range_sql("h", profiles.prefix)
    hv = (f"SELECT h.id, h.status, h.size, cand.v, cand.first_year, cand.gone_year "  # noqa: S608
          f"FROM {Household._meta.db_table} h "
          f"JOIN cand ON cand.v = SUBSTR(h.area_code, 1, {VILLAGE_LENGTH}) WHERE {range_h}")
    ctes, params_cte, parts, params = [], [], [], []
    ends = {k: py for k, py in wanted.items() if k != NOW}
    if ends:
        # each year end: the village's households in a poor status that day, their members then
        adapt = connection.ops.adapt_datefield_value
        ctes.append(f"y (k, d, py) AS (VALUES {', '.join(['(%s, %s, %s)'] * len(ends))})")
        params_cte += [x for k, py in sorted(ends.items()) for x in (k, adapt(dt.date(k, 12, 31)), py)]
        parts.append(f"""
            SELECT st.k, st.v, COUNT(m.id)
            FROM (
                SELECT y.k, y.d, sc.household_id, sc.v
                FROM (
                    SELECT s.household_id, hv.v, hv.first_year, hv.gone_year, s.status, s.date,
                           LEAD(s.date) OVER (PARTITION BY s.household_id ORDER BY s.date, s.id) AS next_date
                    FROM hv JOIN {StatusChange._meta.db_table} s ON s.household_id = hv.id
                ) sc
                JOIN y ON sc.date <= y.d AND (sc.next_date IS NULL OR sc.next_date > y.d)
                WHERE sc.status IN ({marks}) AND (sc.first_year > y.py OR sc.gone_year <= y.py)
            ) st
            LEFT JOIN {Member._meta.db_table} m
              ON m.household_id = st.household_id
             AND (m.birth_date IS NULL OR m.birth_date <= st.d)
             AND (m.active = %s OR m.left_date > st.d)
            GROUP BY st.k, st.v""")  # noqa: S608
        params += [*poor, True]
    if NOW in wanted:
        # now: the households' current status and size (as stats.status_now)
        parts.append(f"""
            SELECT {NOW}, hv.v, SUM(hv.size) FROM hv
            WHERE hv.status IN ({marks}) AND (hv.first_year > %s OR hv.gone_year <= %s)
            GROUP BY hv.v""")  # noqa: S608
        params += [*poor, wanted[NOW], wanted[NOW]]
    ctes += [f"cand (v, first_year, gone_year) AS ({cand_sql})", f"hv AS ({hv})"]
    sql = f"WITH {', '.join(ctes)}\n" + "\nUNION ALL\n".join(parts)
    params = [*params_cte, *cand_params, *params_h, *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for k, v, n in cursor.fetchall():
            if n:
                out[int(k)][v] = out[int(k)].get(v, 0) + int(n)
    return out


def _cell(c: dict, poor_people: int, missing_poor: int) -> dict:
    """One area's incidence from its coverage ``c`` (rural, villages, missing, missing_villages,
    first, last) and its poor people, less those of the villages left out."""
    poor = max(poor_people - missing_poor, 0)
    return {"rural": c["rural"], "villages": c["villages"], "missing": c["missing"],
            "missing_villages": c.get("missing_villages", []), "missing_poor": missing_poor, "first": c["first"],
            "last": c["last"], "poor": poor, "incidence": pct(poor, c["rural"]) if c["villages"] else None}


def rate(profiles: Profiles, year: int, length: int, poor_people: dict[str, int],
         left_out: dict[str, int]) -> dict[str, dict]:
    """The incidence of every area at prefix ``length`` in ``year``: {prefix: {rural,
    villages, missing (count), missing_villages (their prefixes), missing_poor (poor people
    left out), first, last, poor (the numerator), incidence}}. ``poor_people`` is {prefix:
    poor people of the area}; ``left_out`` the poor people of the villages without a profile
    in that year (``left_out_poor``, for the same year)."""
    cov = profiles.coverage(year, length)
    out = {}
    for p in set(cov) | set(poor_people):
        c = cov.get(p) or {"rural": 0, "villages": 0, "missing": [], "first": None, "last": None}
        out[p] = _cell({**c, "missing": len(c["missing"]), "missing_villages": c["missing"]},
                       poor_people.get(p, 0), sum(left_out.get(v, 0) for v in c["missing"]))
    return out


EMPTY = {"rural": 0, "villages": 0, "missing": 0, "missing_villages": [], "missing_poor": 0, "first": None,
         "last": None, "poor": 0, "incidence": None}


# --- the two sources of the statistics page --------------------------------------------------------

class Live:
    """The page's incidence counted from the registry: the area's profiles (``Profiles``)
    and, for the years that leave villages out, their poor people (``left_out_poor``). Used
    with the live facts (a county, a township)."""

    def __init__(self, prefix: str, now_year: int):
        self.profiles = Profiles(prefix)
        self.now_year = now_year
        self.years = self.profiles.years
        self._left: dict[int, dict[str, int]] = {}

    def prepare(self, years: Iterable[int]) -> None:
        """Count the poor people left out in ``years`` and now (one statement)."""
        self._left = left_out_poor(self.profiles, years, now_year=self.now_year)

    def rate(self, key: int, length: int, poor_people: dict[str, int]) -> dict[str, dict]:
        """``rate`` for the end of year ``key`` (``NOW``: now, this year's profiles)."""
        return rate(self.profiles, self.now_year if key == NOW else key, length, poor_people,
                    self._left.get(key, {}))

    def named(self, cell: dict, limit: int) -> list[tuple[str, int, bool]]:
        """(village prefix, poor people, abolished) of the villages ``cell`` (of now) leaves
        out, most poor people first, at most ``limit``."""
        poor = self._left.get(NOW, {})
        chosen = sorted(cell["missing_villages"], key=lambda v: (-poor.get(v, 0), v))[:limit]
        return [(v, poor.get(v, 0), v not in self.profiles.current) for v in chosen]  # abolished: no current row


class FromRollup:
    """The same figures as ``Live``, from the statistics rollup's ``rural`` and ``left`` rows
    (models_stats: the denominator kept as yearly changes, summed upwards like the counts)
    among ``facts`` (stats.rollup_facts: the area's own rows, and those of now of the two
    levels below): a few dozen rows per area, whatever its number of villages and profiles.

    ``lengths`` maps each level of the facts to its prefix length. The poor people left out
    count only in a year in which the area has a denominator (as ``left_out_poor`` asks only
    those years)."""

    def __init__(self, facts: dict[tuple, list[int]], prefix: str, lengths: dict[str, int], now_year: int):
        self.prefix = prefix
        self.now_year = now_year
        self._changes: dict[tuple[int, str], list[tuple[int, str, int, int]]] = defaultdict(list)
        self._left: dict[tuple[int, str, int], int] = {}
        for (level, code, year, dim, status, _category, _cause), (h, n) in facts.items():
            length = lengths[level]
            key = (length, code[:length])
            if dim == StatsRollup.RURAL:
                self._changes[key].append((year, status, h, n))
            elif dim == StatsRollup.LEFT and (year != NOW or self._left_now(status)):
                self._left[(*key, year)] = self._left.get((*key, year), 0) + n
        for rows in self._changes.values():
            rows.sort()
        own = self._changes.get((len(prefix), prefix), [])
        self.years = sorted({year for year, status, h, _n in own if year and status != StatsRollup.NO_PROFILE})

    def _left_now(self, first: str) -> bool:
        """Whether a village left out at the refresh (its first profile in ``first``, "none":
        never) is still left out in this year (the refresh may be of an earlier year)."""
        return first == StatsRollup.NO_PROFILE or first > str(self.now_year)

    def prepare(self, years: Iterable[int]) -> None:
        pass  # (the rollup holds them)

    def _coverage(self, length: int, p: str, year: int) -> dict:
        """The sums of one area's changes up to ``year``."""
        used: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for y, status, h, n in self._changes.get((length, p), ()):
            if y > year:
                break
            used[status][0] += h
            used[status][1] += n
        profile_years = [int(s) for s, (h, _n) in used.items() if s != StatsRollup.NO_PROFILE and h > 0]
        return {"rural": sum(n for s, (_h, n) in used.items() if s != StatsRollup.NO_PROFILE),
                "villages": sum(h for s, (h, _n) in used.items() if s != StatsRollup.NO_PROFILE),
                "missing": used[StatsRollup.NO_PROFILE][0] if StatsRollup.NO_PROFILE in used else 0,
                "first": min(profile_years, default=None), "last": max(profile_years, default=None)}

    def rate(self, key: int, length: int, poor_people: dict[str, int]) -> dict[str, dict]:
        year = self.now_year if key == NOW else key
        counted = self._coverage(len(self.prefix), self.prefix, year)["villages"] > 0
        out = {}
        for p in {q for (n, q) in self._changes if n == length} | set(poor_people):
            c = self._coverage(length, p, year)
            out[p] = _cell(c, poor_people.get(p, 0), self._left.get((length, p, key), 0) if counted else 0)
        return out

    def named(self, cell: dict, limit: int) -> list[tuple[str, int, bool]]:
        """As ``Live.named``, from the village rows of now (one query, and one for which of
        them are abolished)."""
        rows = (StatsRollup.objects.filter(level=area_rules.VILLAGE, dim=StatsRollup.LEFT, year=NOW)
                .filter(Q(status=StatsRollup.NO_PROFILE) | Q(status__gt=str(self.now_year)))
                .order_by("-people", "area_code"))
        if self.prefix:
            rows = Scope([self.prefix]).filter(rows, "area_code")
        chosen = [(code[:VILLAGE_LENGTH], people) for code, people in rows.values_list("area_code", "people")[:limit]]
        current = set(Area.objects.filter(code__in=[v for v, _n in chosen], valid_to__isnull=True)
                      .values_list("code", flat=True))
        return [(v, people, v not in current) for v, people in chosen]
