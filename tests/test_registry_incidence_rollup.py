"""The incidence rate's denominator in the statistics rollup: each village's profiles kept as
yearly changes (``rural`` rows) and the villages left out with their poor people (``left``
rows), summed upwards like the counts, so that a city's, a province's or the country's page
reads a few rows per area instead of every village's profiles — and shows exactly what the
live count shows, at every level, in every year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fupin.areas import actions as areas
from fupin.areas.models import Area
from fupin.registry import actions, stats
from fupin.registry.models import VillageProfile
from fupin.registry.models_stats import StatsRollup
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_B
from tests.test_registry_incidence_years import V1, VR, _household, villages  # noqa: F401  (fixture)

D = dt.date
CITY = "3607"
V_C = "360730101201"  # a village of 宁都县 with a profile and no household
V_D = "360730101202"  # …and one with neither


def _profile(code, year, rural):
    actions.save_village_profile(SYSTEM, Area.objects.get(code=code, valid_to__isnull=True), year,
                                 rural_population=rural)


@pytest.fixture
def city(villages):
    """The township of ``villages`` (county A), plus county B's village (a household, a
    profile from 2020) and two villages of a third county (宁都县) without households, one
    profiled in 2018."""
    areas._insert_levels([{"code": V_C, "name": "丙村"}, {"code": V_D, "name": "丁村"}], source="test",
                         valid_from=None)
    _household("B1", VILLAGE_B, [("registered", D(2018, 4, 1))], ["19700506", "19720506"])
    _profile(VILLAGE_B, 2020, 600)
    _profile(V_C, 2018, 900)


def _report(prefix, source):
    area = Area.objects.get(code=stats.code_of(prefix), valid_to__isnull=True)
    facts = stats.rollup_facts(prefix) if source == "rollup" else stats.live_facts(prefix)
    return stats.report(area, prefix, facts, source=source)


def test_a_villages_profiles_are_kept_as_yearly_changes(villages):
    """V1: profiles 2019 (1,000) and 2021 (1,500). It starts unprofiled (year 0), leaves
    "none" in 2019 for its 2019 profile, and in 2021 moves from the 2019 profile to the 2021
    one; VR (abolished, never profiled) only starts unprofiled."""
    stats.refresh(SYSTEM, COUNTY_A)

    def rows(code):
        return sorted(StatsRollup.objects.filter(level="village", area_code=code, dim="rural")
                      .values_list("year", "status", "households", "people"))

    assert rows(V1) == [(0, "none", 1, 0), (2019, "2019", 1, 1000), (2019, "none", -1, 0),
                        (2021, "2019", -1, -1000), (2021, "2021", 1, 1500)]
    assert rows(VR) == [(0, "none", 1, 0)]
    # the township sums its four villages: four unprofiled at first, V1 in 2019, V2 in 2020
    township = dict(((y, s), (h, n)) for y, s, h, n in StatsRollup.objects.filter(
        level="township", area_code="360729100000", dim="rural").values_list("year", "status", "households", "people"))
    assert township == {(0, "none"): (4, 0), (2019, "none"): (-1, 0), (2019, "2019"): (1, 1000),
                        (2020, "none"): (-1, 0), (2020, "2020"): (1, 800),
                        (2021, "2019"): (-1, -1000), (2021, "2021"): (1, 1500)}
    # the villages left out now (both named, with their poor people) and at each year end
    # (the county's series runs to this year: after 2021 nothing changes)
    left = sorted(StatsRollup.objects.filter(level="village", dim="left", year__lte=2021)
                  .values_list("area_code", "year", "people"))
    later = set(StatsRollup.objects.filter(level="village", dim="left", year__gt=2021)
                .values_list("area_code", "people"))
    assert later == {("360729100203", 3), (VR, 5)}
    assert left == [("360729100202", 2019, 2),  # V2: profiled only from 2020
                    ("360729100203", 0, 3), ("360729100203", 2019, 4), ("360729100203", 2020, 4),
                    ("360729100203", 2021, 3),
                    (VR, 0, 5), (VR, 2019, 5), (VR, 2020, 5), (VR, 2021, 5)]


@pytest.mark.parametrize("prefix", [CITY, "360729", "360729100"])
def test_the_rollup_page_equals_the_live_page_at_every_level(city, prefix):
    """Summary (rate now, villages left out, named), the year-by-year table and the tables of
    the areas below: the same from the rollup as counted live — the city's denominator
    includes county B's village and the third county's villages without any household."""
    stats.refresh(SYSTEM, "")
    live, rollup = _report(prefix, "live"), _report(prefix, "rollup")
    assert rollup["source"] == "rollup"
    for key in ("summary", "years", "areas"):
        assert rollup[key] == live[key], key
    if prefix == CITY:
        s = rollup["summary"]
        # now: V1 1,500 + V2 800 + B 600 + 丙村 900; left out: 三村, 旧村, 丁村
        assert (s["rural_population"], s["profiled_villages"], s["missing_villages"]) == (3800, 4, 3)
        assert (s["rural_first_year"], s["rural_year"]) == (2018, 2021)
        assert [v["code"] for v in s["left_out"]] == [VR, "360729100203", V_D]
        counties = {r["code"]: r for r in rollup["areas"][0]["rows"]}
        assert counties["360730000000"]["rural_population"] == 900
        assert counties["360730000000"]["missing_villages"] == 1
        assert counties["360783000000"]["rural_population"] == 600
        years = {y["year"]: y for y in rollup["years"]}
        assert (years[2018]["rural_population"], years[2019]["rural_population"]) == (900, 1900)


def test_the_rollup_page_reads_no_profile_and_as_many_rows_whatever_the_villages(city):
    """From the rollup the page reads neither the profiles nor the villages: thirty more
    villages with five profiles each make the same queries."""
    stats.refresh(SYSTEM, "")
    with CaptureQueriesContext(connection) as before:
        first = _report(CITY, "rollup")
    extra = [f"360730101{n:03d}" for n in range(300, 330)]
    areas._insert_levels([{"code": c, "name": f"新村{i}"} for i, c in enumerate(extra)], source="test",
                         valid_from=None)
    for c in extra:
        for year in range(2017, 2022):
            _profile(c, year, 100 + year - 2017)
    stats.refresh(SYSTEM, "")
    with CaptureQueriesContext(connection) as after:
        second = _report(CITY, "rollup")
    assert second["summary"]["rural_population"] == first["summary"]["rural_population"] + 30 * 104
    assert len(after.captured_queries) == len(before.captured_queries)
    table = VillageProfile._meta.db_table
    assert not any(table in q["sql"] for q in after.captured_queries)


@pytest.mark.usefixtures("english")
def test_the_rollup_names_the_most_poor_first_and_says_how_many_more(city, monkeypatch):
    stats.refresh(SYSTEM, "")
    monkeypatch.setattr(stats, "MAX_TABLE_ROWS", 2)
    s = _report(CITY, "rollup")["summary"]
    assert [(v["code"], v["abolished"], v["poor_people"]) for v in s["left_out"]] == [
        (VR, True, 5), ("360729100203", False, 3)]
    assert s["left_out_more"] == 1


def test_a_profile_saved_after_the_refresh_counts_from_the_next_refresh(city):
    """The rollup is a snapshot like its counts: the page tells it is not current (the live
    count is chosen for a small area), and the refresh brings the profile in."""
    stats.refresh(SYSTEM, "")
    _profile(V_D, 2021, 400)
    assert stats.rollup_state(CITY)["current"] is False
    assert _report(CITY, "rollup")["summary"]["rural_population"] == 3800
    assert _report(CITY, "live")["summary"]["rural_population"] == 4200
    stats.refresh_changed(SYSTEM, "")
    assert _report(CITY, "rollup")["summary"] == _report(CITY, "live")["summary"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ANALYZE is PostgreSQL's planner statistics")
def test_a_full_refresh_analyses_the_rollup(city):
    """The planner sees a freshly rewritten rollup at once (autovacuum may be off or late)."""
    table = StatsRollup._meta.db_table

    def analysed():
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            return cursor.fetchone()[0]

    # (ANALYZE writes pg_class in place: a rolled-back earlier test's figure may stay, so the
    # statement itself is looked for, and its figure after it)
    with CaptureQueriesContext(connection) as ctx:
        stats.refresh(SYSTEM, "")
    assert [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("ANALYZE")] == [f"ANALYZE {table}"]
    assert analysed() == StatsRollup.objects.count()
    with CaptureQueriesContext(connection) as ctx:  # a refresh of what changed does not
        _profile(V_D, 2021, 400)
        stats.refresh_changed(SYSTEM, "")
    assert not any(q["sql"].startswith("ANALYZE") for q in ctx.captured_queries)


# --- found in review: the year turning, an area import, a tie, the abolished mark, the country ---

def test_a_rollup_of_last_year_leaves_out_only_who_still_has_no_profile(city):
    """Refreshed on 30 December with 三村's first profile dated next year: on 2 January 三村
    has a denominator, so it is neither left out nor named (it was, from the rows of now)."""
    from fupin.core import clock

    with clock.frozen(dt.datetime(2026, 12, 30, 10, tzinfo=dt.UTC)):
        _profile("360729100203", 2027, 700)
        stats.refresh(SYSTEM, "")
    with clock.frozen(dt.datetime(2027, 1, 2, 10, tzinfo=dt.UTC)):
        for prefix in (CITY, "360729", "360729100"):
            live, rollup = _report(prefix, "live"), _report(prefix, "rollup")
            for key in ("summary", "areas"):
                assert rollup[key] == live[key], (prefix, key)
        s = _report(CITY, "rollup")["summary"]
        assert "360729100203" not in [v["code"] for v in s["left_out"]]
        assert s["left_out_more"] == 0


def test_an_area_import_makes_the_rollup_not_current(city, tmp_path):
    """New villages change the denominator (they are left out until profiled)."""
    stats.refresh(SYSTEM, "")
    assert stats.rollup_state(CITY)["current"]
    areas._insert_levels([{"code": "360729100205", "name": "五村"}], source="test", valid_from=None)
    from fupin.audit import actions as audit

    audit.record(SYSTEM, "areas.import", kind="bulk", object_type="areas.area", area_code="360729100000", count=1)
    assert not stats.rollup_state(CITY)["current"]
    assert stats.counties_changed("") == ["360729"]


def test_a_group_and_its_village_profiled_the_same_year_the_village_wins_everywhere(city):
    group = VILLAGE_B + "001"
    # (a group's profile, as data from before the profile form refused groups)
    VillageProfile.objects.create(village=Area.objects.get(code=group, valid_to__isnull=True), year=2022,
                                  area_code=group, rural_population=111)
    _profile(VILLAGE_B, 2022, 222)
    stats.refresh(SYSTEM, "")
    for prefix in (CITY, "360783", ""):
        area = Area.objects.get(code=stats.code_of(prefix), valid_to__isnull=True) if prefix else None
        live = stats.report(area, prefix, stats.live_facts(prefix), source="live")
        rollup = stats.report(area, prefix, stats.rollup_facts(prefix), source="rollup")
        assert rollup["summary"] == live["summary"], prefix
    county = stats.report(Area.objects.get(code="360783000000"), "360783", stats.live_facts("360783"))
    assert county["summary"]["rural_population"] == 222


def test_an_abolished_village_is_marked_so_from_either_source_even_with_a_later_profile(city):
    VillageProfile.objects.create(village=Area.objects.get(code=VR), year=2030, area_code=VR, rural_population=50)
    stats.refresh(SYSTEM, "")
    for source in ("live", "rollup"):
        named = {v["code"]: v["abolished"] for v in _report(CITY, source)["summary"]["left_out"]}
        assert named[VR] is True, source


def test_the_country_counted_live_works_on_both_databases(city):
    """(PostgreSQL refused the year-end statement's GROUP BY of a constant for the country.)"""
    stats.refresh(SYSTEM, "")
    live = stats.report(None, "", stats.live_facts(""), source="live")
    rollup = stats.report(None, "", stats.rollup_facts(""), source="rollup")
    for key in ("summary", "years", "areas"):
        assert rollup[key] == live[key], key


@pytest.mark.parametrize("source", ["live", "rollup"])
def test_an_abolished_village_counts_in_the_denominator_only_while_it_exists(villages, source):
    """VR (旧村), abolished on 2020-01-01, had a 2019 profile of 500. Its people went into
    another village, whose profile counts them from then on, so VR's 500 count in 2019 only:
    2019: (14 − V2 2 − V3 4) ÷ (V1 1,000 + VR 500) = 8 ÷ 1,500 = 0.53 %;
    2020: (12 − V3 4 − VR 5) ÷ (1,000 + V2 800) = 3 ÷ 1,800 = 0.17 %;
    2021: (13 − V3 3 − VR 5) ÷ (1,500 + 800) = 5 ÷ 2,300 = 0.22 %.
    (Carried forward, it gave 2020: 8 ÷ 2,300 = 0.35 % and 2021: 10 ÷ 2,800 = 0.36 %.)"""
    VillageProfile.objects.create(village=Area.objects.get(code=VR), year=2019, area_code=VR, rural_population=500)
    if source == "rollup":
        stats.refresh(SYSTEM, COUNTY_A)
    data = _report("360729100", source)
    got = {y["year"]: (y["rural_population"], y["missing_villages"], y["missing_poor"], y["incidence"])
           for y in data["years"]}
    assert got == {2019: (1500, 2, 6, Decimal("0.53")), 2020: (1800, 2, 9, Decimal("0.17")),
                   2021: (2300, 2, 8, Decimal("0.22"))}
    s = data["summary"]
    assert (s["rural_population"], s["profiled_villages"], s["missing_villages"]) == (2300, 2, 2)
    assert [(v["code"], v["abolished"], v["poor_people"]) for v in s["left_out"]] == [
        (VR, True, 5), ("360729100203", False, 3)]
