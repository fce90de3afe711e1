"""The statistics refresh's list of counties (``stats.counties_under``) and of changed
counties (``stats.counties_changed``): walked county by county through the indexes instead
of a DISTINCT over every household, village, profile and rollup row — and still exactly the
counties the DISTINCTs found, on random small registries (live and retired villages,
profiles, rollup rows of every level, households, counties without an Area row)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection
from django.db.models import Max, Min
from django.db.models.functions import Substr
from django.test.utils import CaptureQueriesContext

from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.registry import stats
from fupin.registry.models import Household, VillageProfile
from fupin.registry.models_stats import StatsRollup
from tests.conftest import SYSTEM

# --- the functions as they were (the reference) -------------------------------------------------


def old_counties_under(prefix: str) -> list[str]:
    if len(prefix) >= 6:
        return [prefix[:6]]
    county = Substr("code", 1, 6)
    with_households = set(Household.objects.filter(stats._range_q(prefix, "county_code")).order_by()
                          .values_list("county_code", flat=True).distinct())
    with_villages = set(Area.objects.filter(stats._range_q(prefix, "code"), level=area_rules.VILLAGE,
                                            valid_to__isnull=True).order_by()
                        .annotate(c=county).values_list("c", flat=True).distinct())
    with_profiles = set(VillageProfile.objects.filter(stats._range_q(prefix)).order_by()
                        .annotate(c=Substr("area_code", 1, 6)).values_list("c", flat=True).distinct())
    with_rows = set(StatsRollup.objects.filter(stats._range_q(prefix), level=area_rules.COUNTY).order_by()
                    .values_list("county_code", flat=True).distinct())
    return sorted(with_households | with_villages | with_profiles | with_rows)


def old_counties_changed(prefix: str = "") -> list[str]:
    rows = dict(StatsRollup.objects.filter(stats._range_q(prefix), level=area_rules.COUNTY, year=stats.NOW,
                                           dim__in=(stats.STATUS, stats.RURAL))
                .order_by().values_list("county_code").annotate(at=Min("refreshed_at")))
    counties = old_counties_under(prefix)
    if not rows:
        return counties
    last = dict(stats._counted_events(prefix, min(rows.values())).annotate(county=Substr("area_code", 1, 6))
                .order_by().values_list("county").annotate(at=Max("at")))
    above = []
    for code, at in last.items():
        if len(code) < 6 or code.endswith("00"):
            while code.endswith("00"):
                code = code[:-2]
            above.append((code, at))
    changed = []
    for county in counties:
        at = rows.get(county)
        if at is None or last.get(county, at) > at or any(county.startswith(p) and t > at for p, t in above):
            changed.append(county)
    return changed


# --- random small registries ------------------------------------------------------------------

PROVINCES = ["11", "36", "65", "99"]  # (99: a prefix without an upper bound)
_numbers = iter(range(1, 10**9))


def _area(code: str, level: str, retired: bool = False) -> Area:
    return Area.objects.create(code=code, name=code, level=level,
                               valid_to=dt.date(2019, 12, 31) if retired else None)


def _households(village: Area, n: int, *, group: bool = False) -> None:
    for _ in range(n):
        area_code = village.code + "001" if group else village.code
        Household.objects.create(number=f"H{next(_numbers)}", area_code=area_code, village=village)


def _profile(village: Area, year: int) -> None:
    VillageProfile.objects.create(village=village, area_code=village.code, year=year, rural_population=500)


def _rollup(level: str, county_code: str, area_code: str, *, dim: str = "status", year: int = 0,
            at: dt.datetime | None = None) -> None:
    StatsRollup.objects.create(county_code=county_code, level=level, area_code=area_code, year=year, dim=dim,
                               status="registered", households=1, people=2, refreshed_at=at or clock.now())


def random_registry(seed: int) -> list[str]:
    """Counties under a few provinces and cities, each with a random mix of: its own Area
    row or none, live and retired villages (with households, some in a village group,
    profiles), county rollup rows of several ages, and rollup rows of other levels (a
    village's, a city's: not counties). Returns the prefixes worth asking about."""
    rng = random.Random(seed)
    now = clock.now()
    prefixes = {""}
    for province in rng.sample(PROVINCES, 3):
        prefixes.add(province)
        for c in rng.sample(range(1, 6), 2):
            city = f"{province}{c:02d}"
            prefixes.add(city)
            if rng.random() < 0.3:  # a city row of the rollup (its county_code is not a county)
                _rollup(area_rules.CITY, city + "00", city.ljust(12, "0"))
            for k in rng.sample(range(1, 30), rng.randint(1, 4)):
                county = f"{city}{k:02d}"
                if rng.random() < 0.7:
                    _area(county.ljust(12, "0"), area_rules.COUNTY)
                for v in range(rng.randint(0, 3)):
                    village = _area(f"{county}{rng.randint(100, 102):03d}{200 + v:03d}", area_rules.VILLAGE,
                                    retired=rng.random() < 0.3)
                    if rng.random() < 0.5:
                        _households(village, rng.randint(1, 3), group=rng.random() < 0.3)
                    if rng.random() < 0.4:
                        _profile(village, rng.choice([2016, 2018, 2020]))
                    if rng.random() < 0.2:  # a village row of the rollup only: not a county row
                        _rollup(area_rules.VILLAGE, county, village.code)
                if rng.random() < 0.5:  # county rows, refreshed a few hours ago (or now)
                    at = now - dt.timedelta(hours=rng.randint(0, 5))
                    _rollup(area_rules.COUNTY, county, county.ljust(12, "0"), at=at)
                    _rollup(area_rules.COUNTY, county, county.ljust(12, "0"), dim=stats.RURAL, at=at)
                    if rng.random() < 0.5:  # an older row of another dimension or year: not its age
                        _rollup(area_rules.COUNTY, county, county.ljust(12, "0"), dim=stats.FLOW, year=2018,
                                at=at - dt.timedelta(days=3))
                elif rng.random() < 0.3:  # only rows that are not the current status (a flow)
                    _rollup(area_rules.COUNTY, county, county.ljust(12, "0"), dim=stats.FLOW, year=2019,
                            at=now - dt.timedelta(hours=1))
                if rng.random() < 0.3:  # an audited write in the county since
                    audit.record(SYSTEM, "registry.household.update", area_code=f"{county}100201")
            if rng.random() < 0.2:  # one at the city: every county under it
                audit.record(SYSTEM, "registry.village.change", area_code=city.ljust(12, "0"))
    return [*sorted(prefixes), "50", "3699"]  # and areas with nothing


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(8))
def test_the_counties_are_those_the_distincts_found(seed):
    prefixes = random_registry(seed)
    assert Household.objects.exists()
    for prefix in prefixes:
        assert stats.counties_under(prefix) == old_counties_under(prefix), prefix
        assert stats.counties_changed(prefix) == old_counties_changed(prefix), prefix
    assert stats.counties_under("") != []


@pytest.mark.django_db
def test_counties_each_source_alone_names():
    """A county with only village profiles (its one village retired, no household), one
    with households only in a retired village, one with households and no Area row at all
    (neither the county nor its township: the village's parent is missing), one with only a
    live village, one with only county rollup rows — and a county with an Area row and
    nothing else, which is not refreshed (nothing to count), nor is one with only a
    village's rollup row."""
    only_profiles = _area("360101100201", area_rules.VILLAGE, retired=True)
    _profile(only_profiles, 2018)
    retired_with_households = _area("360102100201", area_rules.VILLAGE, retired=True)
    _households(retired_with_households, 2)
    no_area_row = _area("360103100201", area_rules.VILLAGE)
    _households(no_area_row, 1, group=True)
    Area.objects.filter(pk=no_area_row.pk).update(valid_to=dt.date(2020, 1, 1))  # (and the village retired)
    _area("360104100201", area_rules.VILLAGE)
    _rollup(area_rules.COUNTY, "360105", "360105000000")
    _area("360106000000", area_rules.COUNTY)
    _rollup(area_rules.VILLAGE, "360107", "360107100201")
    _rollup(area_rules.CITY, "360100", "360100000000")
    expected = ["360101", "360102", "360103", "360104", "360105"]
    assert not Area.objects.filter(level=area_rules.COUNTY, code__startswith="360103").exists()
    for prefix in ("", "36", "3601"):
        assert stats.counties_under(prefix) == expected == old_counties_under(prefix)
    assert stats.counties_under("37") == [] == old_counties_under("37")
    # no county rollup now: every county is changed; 360105 has one, so it is not, until an edit
    assert stats.counties_changed("36") == ["360101", "360102", "360103", "360104"] == old_counties_changed("36")
    audit.record(SYSTEM, "registry.household.update", area_code="360105100201")
    assert stats.counties_changed("36") == expected == old_counties_changed("36")


@pytest.mark.django_db
def test_one_statement_whatever_the_number_of_counties():
    for k in range(1, 4):
        village = _area(f"3601{k:02d}100201", area_rules.VILLAGE)
        _households(village, 2)
        _rollup(area_rules.COUNTY, f"3601{k:02d}", f"3601{k:02d}000000")
    with CaptureQueriesContext(connection) as three:
        assert stats.counties_under("") == ["360101", "360102", "360103"]
    for k in range(4, 12):
        _households(_area(f"3601{k:02d}100201", area_rules.VILLAGE), 1)
    with CaptureQueriesContext(connection) as eleven:
        assert len(stats.counties_under("36")) == 11
    assert len(three) == len(eleven) == 1
    with CaptureQueriesContext(connection) as changed:
        assert len(stats.counties_changed("")) == 8  # the eight without county rows
    assert len(changed) == 2  # the counties with the age of their rollup, and the audited events


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="counts SQLite's virtual machine steps")
def test_the_work_does_not_grow_with_the_households():
    """Two counties with 20 households, then with 2,000: the DISTINCT read every one (its
    work grew a hundredfold); the walk probes each county once."""
    villages = [_area(f"3601{k:02d}100201", area_rules.VILLAGE) for k in (1, 2)]

    def fill(n):
        Household.objects.bulk_create([Household(number=f"H{next(_numbers)}", area_code=v.code, county_code=v.code[:6],
                                                 village=v) for v in villages for _ in range(n)])

    def steps(fn):
        count = [0]

        def tick():
            count[0] += 1
            return 0

        raw = connection.connection
        raw.set_progress_handler(tick, 10)
        try:
            assert fn("") == ["360101", "360102"]
        finally:
            raw.set_progress_handler(None, 10)
        return count[0]

    connection.ensure_connection()
    fill(10)
    few, old_few = steps(stats.counties_under), steps(old_counties_under)
    fill(990)
    many, old_many = steps(stats.counties_under), steps(old_counties_under)
    assert many < few * 1.5 + 50, (few, many)
    assert old_many > 10 * old_few  # (the reference's work grows: what this test catches)
