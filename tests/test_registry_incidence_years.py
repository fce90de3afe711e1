"""The incidence rate over the years of the statistics page: the poor people of the villages
it leaves out (no profile) come for every year of the table from ONE statement when counted
live, equal to the old per-year count, and the rollup gives the page the same figures;
abolished villages that households still name are left out and named like the others; the
refresh message is one whole sentence."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fupin.areas import actions as areas
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.core import clock
from fupin.registry import actions, codes, incidence, stats
from fupin.registry.demo import id_check_digit
from tests.conftest import COUNTY_A, SYSTEM, TOWNSHIP_A, VILLAGE_A

D = dt.date
TOWNSHIP = TOWNSHIP_A[:9]
V1, V2, V3, VR = VILLAGE_A, "360729100202", "360729100203", "360729100209"  # VR: abolished in 2020
_seq = {"n": 100}


def _id(birth: str) -> str:
    _seq["n"] += 2
    first = f"360729{birth}{_seq['n'] % 1000:03d}"
    return first + id_check_digit(first)


def _household(number, area_code, history, births):
    """history: [(status, date), …]; births: the members' birth dates 'YYYYMMDD' (the first is the head)."""
    status, date = history[0]
    h = actions.create_household(SYSTEM, number=number, area_code=area_code, category="1", standard="1",
                                 main_cause="01", identified_year=date.year, status=status, status_date=date)
    for status, date in history[1:]:
        actions.set_status(SYSTEM, h, status, date)
    members = [actions.add_member(SYSTEM, h, name=f"{number}成员{i}", id_number=_id(b),
                                  relation="01" if i == 0 else "03") for i, b in enumerate(births)]
    h.refresh_from_db()
    return h, members


@pytest.fixture
def villages(two_counties):
    """Township A (360729100) with four villages, by hand:

    - V1: P1, 3 people, registered 2019-03-01. Profiles 2019 (1,000) and 2021 (1,500).
    - V2: P2, 2 people, registered 2019-03-01, exited 2020-06-01, returned 2021-06-01.
      Profile 2020 (800): no profile in 2019.
    - V3: P3, 4 people, registered 2019-03-01; one member leaves on 2021-03-01. Never profiled.
    - VR (旧村): P4, 5 people, registered 2019-05-01; the village is abolished on 2020-01-01
      (its code retired, its row kept) and P4 still names it. Never profiled.

    Poor people at each year end: 2019: 3 + 2 + 4 + 5 = 14; 2020: 3 + 4 + 5 = 12 (P2
    exited); 2021: 3 + 2 + 3 + 5 = 13; now as 2021."""
    areas._insert_levels([{"code": V2, "name": "二村"}, {"code": V3, "name": "三村"}, {"code": VR, "name": "旧村"}],
                         source="test", valid_from=None)
    _household("P1", V1, [("registered", D(2019, 3, 1))], ["19700102", "19710102", "19990102"])
    _household("P2", V2, [("registered", D(2019, 3, 1)), ("exited_policy", D(2020, 6, 1)),
                          ("returned", D(2021, 6, 1))], ["19600203", "19610203"])
    _h3, m3 = _household("P3", V3, [("registered", D(2019, 3, 1))], ["19500304", "19510304", "19800304", "19820304"])
    actions.member_leaves(SYSTEM, m3[1], "1", D(2021, 3, 1))
    _household("P4", VR, [("registered", D(2019, 5, 1))],
               ["19550405", "19560405", "19800405", "19820405", "20100405"])
    Area.objects.filter(code=VR).update(valid_to=D(2020, 1, 1))
    for code, year, rural in ((V1, 2019, 1000), (V1, 2021, 1500), (V2, 2020, 800)):
        actions.save_village_profile(SYSTEM, Area.objects.get(code=code, valid_to__isnull=True), year,
                                     rural_population=rural)


def _report(prefix=TOWNSHIP, source="live"):
    area = Area.objects.get(code=stats.code_of(prefix), valid_to__isnull=True)
    facts = stats.rollup_facts(prefix) if source == "rollup" else stats.live_facts(prefix)
    return stats.report(area, prefix, facts, source=source)


# --- golden numbers by hand --------------------------------------------------------------------

@pytest.mark.parametrize("source", ["live", "rollup"])
def test_every_year_leaves_out_the_villages_without_a_profile_abolished_ones_too(villages, source):
    """2019: V1 alone is profiled: (14 − (2 + 4 + 5)) ÷ 1,000 = 0.30 %.
    2020: V1 (1,000) + V2 (800): (12 − (4 + 5)) ÷ 1,800 = 0.1667 % → 0.17 %.
    2021: V1 (1,500) + V2 (800): (13 − (3 + 5)) ÷ 2,300 = 0.2174 % → 0.22 %; now the same.
    (Before, the abolished VR was in the numerator without a denominator and was not named:
    0.80 %, 0.44 %, 0.43 %.)"""
    if source == "rollup":
        stats.refresh(SYSTEM, COUNTY_A)
    data = _report(source=source)
    assert data["source"] == source
    years = {y["year"]: y for y in data["years"]}
    assert sorted(years) == [2019, 2020, 2021]
    got = {y: (r["poor_people"], r["rural_population"], r["missing_villages"], r["missing_poor"], r["incidence"])
           for y, r in years.items()}
    assert got == {2019: (14, 1000, 3, 11, Decimal("0.30")),
                   2020: (12, 1800, 2, 9, Decimal("0.17")),
                   2021: (13, 2300, 2, 8, Decimal("0.22"))}
    s = data["summary"]
    assert (s["poor_people"], s["rural_population"], s["profiled_villages"]) == (13, 2300, 2)
    assert (s["missing_villages"], s["missing_poor"], s["incidence_poor"], s["incidence"]) == (2, 8, 5, Decimal("0.22"))
    # named: the abolished village too, marked so, most poor people first
    assert [(v["code"], v["name"], v["abolished"], v["poor_people"]) for v in s["left_out"]] == [
        (VR, "旧村", True, 5), (V3, "三村", False, 3)]
    assert s["left_out_more"] == 0
    # the village table: the abolished village is a row left out ("—"), its township's rate leaves it out
    rows = {r["code"]: r for r in data["areas"][0]["rows"]}
    assert rows[VR]["incidence"] is None and rows[VR]["missing_villages"] == 1 and rows[VR]["missing_poor"] == 5


def test_a_retired_village_nobody_names_is_not_left_out(villages):
    """An abolished village whose households all moved is no village of the rate: no row of
    the registry names it, so it is neither counted nor listed."""
    areas._insert_levels([{"code": "360729100208", "name": "空村"}], source="test", valid_from=None)
    Area.objects.filter(code="360729100208").update(valid_to=D(2018, 1, 1))
    profiles = incidence.Profiles(TOWNSHIP)
    assert profiles.retired == {VR}
    assert "360729100208" not in profiles.villages
    assert profiles.missing(2021) == {V3, VR}


# --- one statement, whatever the number of years --------------------------------------------------

def test_the_left_out_count_is_one_query_whatever_the_number_of_years(villages):
    profiles = incidence.Profiles(TOWNSHIP)
    counts = []
    for years in ([2019], [2019, 2020, 2021], list(range(2019, 2031))):
        with CaptureQueriesContext(connection) as ctx:
            incidence.left_out_poor(profiles, years, now_year=2026)
        counts.append(len(ctx.captured_queries))
    assert counts == [1, 1, 1]
    # no year that leaves somebody out (no profile at all in 2018): no query
    with CaptureQueriesContext(connection) as ctx:
        assert incidence.left_out_poor(profiles, [2017, 2018], now_year=None) == {}
    assert len(ctx.captured_queries) == 0


@pytest.mark.parametrize("source", ["live", "rollup"])
def test_the_pages_query_count_does_not_grow_with_the_years_of_its_table(villages, source):
    """A later profile lengthens the year-by-year table from 3 years to 3 + (this year − 2021),
    each leaving villages out: the report makes the same number of queries (it made one
    more per year before)."""
    if source == "rollup":
        stats.refresh(SYSTEM, COUNTY_A)
    with CaptureQueriesContext(connection) as ctx:
        short = _report(source=source)
    this_year = clock.today().year
    assert this_year > 2022
    actions.save_village_profile(SYSTEM, Area.objects.get(code=V1, valid_to__isnull=True), this_year,
                                 rural_population=1600)
    if source == "rollup":  # (the rollup holds the denominator as it was at its refresh)
        stats.refresh(SYSTEM, COUNTY_A)
    with CaptureQueriesContext(connection) as ctx_long:
        long = _report(source=source)
    assert long["source"] == source
    assert len(short["years"]) == 3 and len(long["years"]) == 3 + this_year - 2021
    assert all(y["missing_villages"] and y["incidence"] is not None for y in long["years"])  # each leaves out
    assert len(ctx_long.captured_queries) == len(ctx.captured_queries)


# --- equal to the old per-year computation --------------------------------------------------------

def _old_left_out(prefix, profiles, year, on_date):
    """What incidence.poor_people_by_village did, once per year: the live status of every
    village on the day (or now), the poor people of the villages missing in that year."""
    missing = profiles.missing(year)
    rows = (stats.status_on(prefix, area_rules.VILLAGE, on_date) if on_date else
            stats.status_now(prefix, area_rules.VILLAGE))
    out = defaultdict(int)
    for p, status, _h, n in rows:
        if status in codes.POOR_STATUSES and p in missing and n:
            out[p] += n
    return dict(out)


def _random_registry(rng):
    """Households in the four villages of the fixture and two more, with random histories
    (several changes, two on one day, exits and returns), members born late or leaving, and
    random profiles starting in different years (one village never profiled)."""
    extra = ["360729100204", "360729100205"]
    areas._insert_levels([{"code": c, "name": f"村{c[-1]}"} for c in extra], source="test", valid_from=None)
    statuses = ["registered", "exited_policy", "returned", "registered", "removed"]
    for i in range(16):
        village = rng.choice([V1, V2, V3, *extra])
        start = D(rng.randint(2015, 2019), rng.randint(1, 12), rng.randint(1, 28))
        history = [("identified", start)]
        date = start
        for _ in range(rng.randint(0, 4)):
            date = date + dt.timedelta(days=rng.choice([0, 0, 90, 200, 400]))
            history.append((rng.choice(statuses), date))
        births = ["19600101", *[f"{rng.randint(1970, 2021)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}"
                                 for _ in range(rng.randint(0, 3))]]
        _h, members = _household(f"R{i}", village, history, births)
        if len(members) > 1 and rng.random() < 0.5:
            actions.member_leaves(SYSTEM, members[-1], "1", D(rng.randint(2019, 2022), 6, 1))
    for code in [V1, *extra]:
        for year in sorted(rng.sample(range(2016, 2024), rng.randint(1, 3))):
            actions.save_village_profile(SYSTEM, Area.objects.get(code=code, valid_to__isnull=True), year,
                                         rural_population=rng.randint(300, 3000))
    # the abolished VR (2020) profiled before and after it went: only the profiles before count
    from fupin.registry.models import VillageProfile

    for year in sorted(rng.sample(range(2016, 2024), 2)):
        VillageProfile.objects.create(village=Area.objects.get(code=VR), year=year, area_code=VR,
                                      rural_population=rng.randint(300, 3000))


@pytest.mark.parametrize("seed", [1, 2])
def test_the_one_statement_equals_the_old_count_year_by_year_from_both_sources(villages, seed):
    _random_registry(random.Random(seed))
    stats.refresh(SYSTEM, COUNTY_A)
    for prefix in (TOWNSHIP, COUNTY_A[:6]):
        profiles = incidence.Profiles(prefix)
        years = list(range(2014, 2025))
        live = incidence.left_out_poor(profiles, years, now_year=2026)
        asked = [y for y in years if profiles.leaves_out(y)]
        assert len(asked) >= 4, asked
        for year in asked:
            assert live[year] == _old_left_out(prefix, profiles, year, stats.year_end(year)), (prefix, year)
        assert live[incidence.NOW] == _old_left_out(prefix, profiles, 2026, None)
        assert any(live[y] for y in asked)
        # the page reads the same figures from either source (the rollup's own denominator rows)
        stats_live, stats_rollup = _report(prefix, "live"), _report(prefix, "rollup")
        for key in ("years", "summary", "areas"):
            assert stats_live[key] == stats_rollup[key], key


# --- the page names them ------------------------------------------------------------------------

@pytest.mark.usefixtures("english")
def test_the_page_names_the_villages_it_leaves_out(villages, make_user, login):
    client = login(make_user("county_office", COUNTY_A))
    html = client.get(reverse("registry:stats"), {"area": TOWNSHIP_A}).content.decode()
    assert "2 villages without a profile are left out, with their 8 poor people." in html
    assert '<li data-left-out-village="360729100209">旧村 <span class="text-body-secondary">360729100209</span> ' \
           '<span class="badge text-bg-secondary">abolished</span>: 5 poor people</li>' in html
    assert '<li data-left-out-village="360729100203">三村 <span class="text-body-secondary">360729100203</span>: ' \
           '3 poor people</li>' in html
    assert html.index('data-left-out-village="360729100209"') < html.index('data-left-out-village="360729100203"')


@pytest.mark.usefixtures("english")
def test_the_page_says_how_many_more_villages_it_leaves_out_than_it_names(villages, monkeypatch):
    monkeypatch.setattr(stats, "MAX_TABLE_ROWS", 1)
    s = _report()["summary"]
    assert [v["code"] for v in s["left_out"]] == [VR] and s["left_out_more"] == 1


def test_without_any_profile_nothing_is_named_and_nothing_counted(villages):
    """No profile at all: the rate has no denominator (—), leaves every village out and
    names none of them; no year asks for the poor people left out."""
    from fupin.registry.models import VillageProfile

    VillageProfile.objects.all().delete()
    with CaptureQueriesContext(connection) as ctx:
        data = _report()
    s = data["summary"]
    assert s["incidence"] is None and s["missing_villages"] == 4
    assert (s["left_out"], s["left_out_more"], s["missing_poor"]) == ([], 0, 0)
    assert all(y["incidence"] is None and y["missing_poor"] == 0 for y in data["years"])
    assert not any("json_each" in q["sql"] or "unnest" in q["sql"] for q in ctx.captured_queries)


# --- the refresh message --------------------------------------------------------------------------

@pytest.mark.usefixtures("english")
def test_the_refresh_message_is_one_whole_sentence():
    assert stats.refreshed_message({"counties": 1, "rows": 1, "seconds": 0.5}) == (
        "Done for 1 county, in 0.5 s; statistics rows written: 1.")
    assert stats.refreshed_message({"counties": 3, "rows": 1200, "seconds": 2.25}) == (
        "Done for 3 counties, in 2.25 s; statistics rows written: 1200.")
