"""The poverty incidence rate of the statistics page: poor people ÷ rural registered
population, both over the same villages.

The denominator is each village's rural registered population from its latest profile
at or before the year (a profile is carried forward until the village has a newer one):
a year in which only some villages were profiled does not drop the others. A village
with no profile at or before the year has no denominator: it is left out of the rate,
and so are its poor people (the numerator), and the page says how many villages and
poor people were left out. Nothing is mixed silently.

One read of the area's profiles (a small table: one row per village and year) and of its
current villages; the poor people of the villages left out are read per village only when
some village with a profile and some without exist (live from the registry: the status
now, or the year-end status from the history).
"""

from __future__ import annotations

import bisect
import datetime as dt
import sys
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from fupin.accounts.scoping import Scope
from fupin.areas import rules as area_rules
from fupin.areas.models import Area

from . import codes
from .models import VillageProfile

VILLAGE_LENGTH = area_rules.PREFIX_LENGTH[area_rules.VILLAGE]
_AFTER_ANY_POPULATION = sys.maxsize  # (year, this) sorts after every (year, population) of that year


def pct(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Profiles:
    """The profiles and villages of an area, for the rate of any year and any level below."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        rows = VillageProfile.objects.order_by()
        villages = Area.objects.filter(level=area_rules.VILLAGE, valid_to__isnull=True).order_by()
        if prefix:
            rows = Scope([prefix]).filter(rows, "area_code")
            villages = Scope([prefix]).filter(villages, "code")
        # {village prefix: [(year, rural population), …] by year}
        self.by_village: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for code, year, rural in rows.values_list("area_code", "year", "rural_population").order_by("year"):
            self.by_village[code[:VILLAGE_LENGTH]].append((year, rural or 0))
        self.villages = {c[:VILLAGE_LENGTH] for c in villages.values_list("code", flat=True)} | set(self.by_village)
        self.years = sorted({y for rows_ in self.by_village.values() for y, _r in rows_})

    def profile_at(self, village: str, year: int) -> tuple[int, int] | None:
        """(profile year, rural population) of the village's latest profile at or before ``year``
        (a binary search: the page asks this for every village and every year of its table)."""
        rows = self.by_village.get(village)
        if not rows:
            return None
        i = bisect.bisect_right(rows, (year, _AFTER_ANY_POPULATION))
        return rows[i - 1] if i else None

    def missing(self, year: int) -> set[str]:
        """The villages (prefixes) with no profile at or before ``year``."""
        return {v for v in self.villages if self.profile_at(v, year) is None}

    def coverage(self, year: int, length: int) -> dict[str, dict]:
        """{area prefix at ``length``: rural population, villages profiled, villages
        missing, profile years used (first, last)} for ``year``."""
        if self.prefix and length <= len(self.prefix):
            return {self.prefix[:length]: self._whole(year)}
        return self._by_prefix(year, length)

    def _whole(self, year: int) -> dict:
        """``coverage`` of the area as one cell — the year-by-year table asks it for every
        year: the sums change only in a year with profiles, so they are kept for each such
        year from one pass over the profiles sorted by year (profiles + years, not villages
        × years: bench/stats_incidence.py)."""
        if not hasattr(self, "_sums"):
            self._sums: dict[int, tuple[int, int, int | None, int | None]] = {}
            by_year: dict[int, list[tuple[str, int]]] = defaultdict(list)
            for village, rows in self.by_village.items():
                for y, rural in rows:
                    by_year[y].append((village, rural))
            current: dict[str, tuple[int, int]] = {}
            used: dict[int, int] = defaultdict(int)  # profile year -> villages whose latest it is
            total = 0
            for y in sorted(by_year):
                for village, rural in by_year[y]:
                    old = current.get(village)
                    if old is not None:
                        total -= old[1]
                        used[old[0]] -= 1
                    current[village] = (y, rural)
                    total += rural
                    used[y] += 1
                years = [k for k, n in used.items() if n]
                self._sums[y] = (total, len(current), min(years, default=None), max(years, default=None))
            self._sum_years = sorted(self._sums)
            # villages by the year of their first profile (never profiled: last), for "missing"
            self._by_first = sorted((rows[0][0] if (rows := self.by_village.get(v)) else sys.maxsize, v)
                                    for v in self.villages)
            self._first_years = [y for y, _v in self._by_first]
        i = bisect.bisect_right(self._sum_years, year)
        rural, profiled, first, last = self._sums[self._sum_years[i - 1]] if i else (0, 0, None, None)
        # the villages whose first profile is after the year (or who have none): a slice
        missing = ([] if profiled == len(self.villages) else
                   sorted(v for _y, v in self._by_first[bisect.bisect_right(self._first_years, year):]))
        return {"rural": rural, "villages": profiled, "missing": missing, "first": first, "last": last}

    def _by_prefix(self, year: int, length: int) -> dict[str, dict]:
        out: dict[str, dict] = defaultdict(lambda: {"rural": 0, "villages": 0, "missing": [], "first": None,
                                                     "last": None})
        for v in sorted(self.villages):
            cell = out[v[:length]]
            found = self.profile_at(v, year)
            if found is None:
                cell["missing"].append(v)
                continue
            y, rural = found
            cell["rural"] += rural
            cell["villages"] += 1
            cell["first"] = y if cell["first"] is None else min(cell["first"], y)
            cell["last"] = y if cell["last"] is None else max(cell["last"], y)
        return out


def poor_people_by_village(prefix: str, villages: set[str], on_date: dt.date | None) -> dict[str, int]:
    """{village prefix: poor people} of ``villages`` now (``on_date`` None) or at the end of a
    day, from the registry."""
    from . import stats

    if not villages:
        return {}
    if on_date is None:
        rows = ((p, s, n) for p, s, _h, n in stats.status_now(prefix, area_rules.VILLAGE))
    else:
        rows = ((p, s, n) for p, s, _h, n in stats.status_on(prefix, area_rules.VILLAGE, on_date))
    out: dict[str, int] = defaultdict(int)
    poor = set(codes.POOR_STATUSES)
    for p, status, n in rows:
        if status in poor and p in villages:
            out[p] += n
    return dict(out)


def rate(profiles: Profiles, year: int, length: int, poor_people: dict[str, int],
         on_date: dt.date | None) -> dict[str, dict]:
    """The incidence of every area at prefix ``length`` in ``year``: {prefix: {rural,
    villages, missing (count), missing_poor (poor people left out), first, last, poor
    (the numerator), incidence}}. ``poor_people`` is {prefix: poor people of the area}."""
    cov = profiles.coverage(year, length)
    any_profile = any(c["villages"] for c in cov.values())
    left_out: dict[str, int] = {}
    missing = {v for c in cov.values() for v in c["missing"]}
    if any_profile and missing:
        left_out = poor_people_by_village(profiles.prefix, missing, on_date)
    out = {}
    for p in set(cov) | set(poor_people):
        c = cov.get(p) or {"rural": 0, "villages": 0, "missing": [], "first": None, "last": None}
        missing_poor = sum(left_out.get(v, 0) for v in c["missing"])
        poor = max(poor_people.get(p, 0) - missing_poor, 0)
        out[p] = {"rural": c["rural"], "villages": c["villages"], "missing": len(c["missing"]),
                  "missing_villages": c["missing"], "missing_poor": missing_poor, "first": c["first"],
                  "last": c["last"], "poor": poor,
                  "incidence": pct(poor, c["rural"]) if c["villages"] else None}
    return out


EMPTY = {"rural": 0, "villages": 0, "missing": 0, "missing_villages": [], "missing_poor": 0, "first": None,
         "last": None, "poor": 0, "incidence": None}
