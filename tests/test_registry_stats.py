"""Statistics: counts "as of a date" from the status history, the live and rollup sources
agreeing, the incidence rate, the year-by-year series, the rollup's freshness, the
refresh command and job, and the page."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fupin.areas import actions as areas
from fupin.areas.models import Area
from fupin.jobs.models import Job
from fupin.registry import actions, stats
from fupin.registry.demo import id_check_digit
from fupin.registry.models import Household, Member
from fupin.registry.models_stats import StatsRollup
from tests.conftest import COUNTY_A, SYSTEM, TOWNSHIP_A, VILLAGE_A, VILLAGE_B

VILLAGE_2 = "360729101201"  # a village of 大吉山镇, county A
D = dt.date


def _id(birth: str, seq: str) -> str:
    first = f"360729{birth}{seq}"
    return first + id_check_digit(first)


def _household(number, area_code, history, members):
    """history: [(status, date), …]; members: [(name, birth 'YYYYMMDD' or None, relation), …]."""
    status, date = history[0]
    h = actions.create_household(SYSTEM, number=number, area_code=area_code, category="1", standard="1",
                                 main_cause="01", cause2="09", identified_year=date.year, status=status,
                                 status_date=date)
    for status, date in history[1:]:
        actions.set_status(SYSTEM, h, status, date)
    out = []
    for i, (name, birth, relation) in enumerate(members):
        if birth:
            out.append(actions.add_member(SYSTEM, h, name=name, id_number=_id(birth, f"{100 + i * 2 + 1:03d}"),
                                          relation=relation))
        else:
            out.append(actions.add_member(SYSTEM, h, name=name, relation=relation, sex="2", no_id_reason="2",
                                          birth_date="2017-05-01"))
    h.refresh_from_db()
    return h, out


@pytest.fixture
def registry_a(two_counties):
    areas._insert_levels([{"code": VILLAGE_2, "name": "溪口村"}, {"code": VILLAGE_2 + "001", "name": "第1村民小组"}],
                         source="test", valid_from=None)
    h1, _ = _household("H1", VILLAGE_A + "001",
                       [("identified", D(2014, 5, 1)), ("registered", D(2014, 7, 1)), ("exited_policy", D(2016, 12, 1))],
                       [("甲一", "19700101", "01"), ("甲二", "19720101", "02"), ("甲三", "20000101", "03")])
    h2, m2 = _household("H2", VILLAGE_A + "002",
                        [("identified", D(2015, 5, 1)), ("registered", D(2015, 7, 1)),
                         ("exited_policy", D(2017, 12, 1)), ("returned", D(2018, 6, 1))],
                        [("乙一", "19600101", "01"), ("乙父", "19350101", "11")])
    actions.member_leaves(SYSTEM, m2[1], "1", D(2019, 3, 1))
    h3, _ = _household("H3", VILLAGE_2 + "001",
                       [("identified", D(2014, 5, 1)), ("registered", D(2014, 6, 1)), ("removed", D(2015, 9, 1))],
                       [("丙一", "19500101", "01")])
    h4, _ = _household("H4", VILLAGE_2,
                       [("identified", D(2016, 1, 10)), ("registered", D(2016, 3, 1))],
                       [("丁一", "19900101", "01"), ("丁女", None, "04")])
    # Two changes on one day: the later one (by id) is the status of that day.
    h5, _ = _household("H5", VILLAGE_2, [("identified", D(2016, 2, 1)), ("registered", D(2016, 2, 1))],
                       [("戊一", "19800101", "01"), ("戊二", "19820101", "02")])
    for code, rural in ((VILLAGE_A, 1000), (VILLAGE_2, 500)):
        village = Area.objects.get(code=code)
        for year in (2014, 2016, 2018, 2020):
            actions.save_village_profile(SYSTEM, village, year, rural_population=rural + year - 2014)
    return {"h1": h1, "h2": h2, "h3": h3, "h4": h4, "h5": h5}


def _by_status(rows):
    out = {}
    for _p, status, h, n in rows:
        cell = out.setdefault(status, [0, 0])
        cell[0] += h
        cell[1] += n
    return {k: tuple(v) for k, v in out.items()}


def test_status_on_a_date_comes_from_the_history(registry_a):
    on = lambda d: _by_status(stats.status_on("360729", "county", d))  # noqa: E731
    assert on(D(2014, 6, 30)) == {"identified": (1, 3), "registered": (1, 1)}
    assert on(D(2014, 12, 31)) == {"registered": (2, 4)}
    assert on(D(2015, 12, 31)) == {"registered": (2, 5), "removed": (1, 1)}
    # The baby born in 2017 is not counted at the end of 2016; two changes on one day: the later wins.
    assert on(D(2016, 2, 1)) == {"registered": (3, 7), "identified": (1, 1), "removed": (1, 1)}
    assert on(D(2016, 12, 31)) == {"exited_policy": (1, 3), "registered": (3, 5), "removed": (1, 1)}
    assert on(D(2018, 12, 31)) == {"exited_policy": (1, 3), "returned": (1, 2), "registered": (2, 4),
                                   "removed": (1, 1)}
    # The father who died in March 2019 is no longer counted at the end of 2019.
    assert on(D(2019, 12, 31))["returned"] == (1, 1)
    assert on(D(2013, 12, 31)) == {}
    # By village: the area each household belongs to.
    by_village = {(p, s): (h, n) for p, s, h, n in stats.status_on("360729", "village", D(2018, 12, 31))}
    assert by_village[(VILLAGE_A, "returned")] == (1, 2)
    assert by_village[(VILLAGE_2, "registered")] == (2, 4)


def test_a_household_that_moves_counts_where_it_belongs_now_on_every_date(registry_a):
    """Decision (docs/decisions.md): a count "on a date" counts a household in the area it
    belongs to now, as the lists do — a move takes its status history along. H2 (county A,
    poor since 2015, returned in June 2018) moves to county B, then exits there: on a date
    before the move and on one after it, county A counts it on neither, county B on both,
    and the county it left sees that its statistics are no longer current."""
    from fupin.core import clock
    from fupin.dynamics import queries as dynamics

    stats.refresh(SYSTEM, "")
    before, after = D(2018, 12, 31), D(2099, 12, 31)
    on = lambda prefix, d: _by_status(stats.status_on(prefix, "county", d))  # noqa: E731
    county_a_without_h2 = {"exited_policy": (1, 3), "registered": (2, 4), "removed": (1, 1)}
    assert on("360729", before) == {**county_a_without_h2, "returned": (1, 2)} and on("360783", before) == {}
    h2 = Household.objects.get(number="H2")
    actions.update_household(SYSTEM, h2, area_code=VILLAGE_B)
    h2.refresh_from_db()
    actions.set_status(SYSTEM, h2, "exited_policy", clock.today())
    assert on("360729", before) == county_a_without_h2 and on("360729", after) == county_a_without_h2
    assert on("360783", before) == {"returned": (1, 2)}
    assert on("360783", after) == {"exited_policy": (1, 1)}  # (its father left in 2019)
    # the lists agree: the household is county B's
    assert list(Household.objects.filter(area_code__startswith="360783").values_list("number", flat=True)) == ["H2"]
    # the year-end series and the passages of the dynamics page move with it
    assert {(y, s) for y, _p, s, _h, _n in stats.status_at("360783", "county", {2016: D(2016, 12, 31)})} == {
        (2016, "registered")}
    assert dynamics.counts("360783", [2018], 6)[(2018, "360783")]["returns_households"] == 1
    assert dynamics.counts("360729", [2018], 6).get((2018, "360729"), {}).get("returns_households", 0) == 0
    # both counties' rollups are out of date now (the one it left is told by an event of its own)
    assert stats.counties_changed("") == ["360729", "360783"]


def test_one_query_for_many_dates_equals_one_per_date(registry_a, django_assert_num_queries):
    dates = {y: D(y, 12, 31) for y in range(2014, 2021)}
    with django_assert_num_queries(1):
        many = stats.status_at("360729", "township", dates)
    for y, d in dates.items():
        assert sorted((p, s, h, n) for k, p, s, h, n in many if k == y) == sorted(
            stats.status_on("360729", "township", d))


def test_live_report_numbers(registry_a):
    data = stats.report(Area.objects.get(code=COUNTY_A), "360729", stats.live_facts("360729"))
    s = data["summary"]
    assert (s["households"], s["people"]) == (4, 8)  # the removed household is not counted
    assert (s["poor_households"], s["poor_people"]) == (3, 5)  # registered and returned
    assert s["rural_year"] == 2020 and s["rural_population"] == 1006 + 506
    assert s["incidence"] == (Decimal(5) * 100 / Decimal(1512)).quantize(Decimal("0.01"))
    causes = {r["code"]: r for r in data["by_cause"]}
    assert causes["01"]["households"] == 4 and causes["09"]["mentions"] == 4 and causes["09"]["households"] == 0
    assert {r["code"]: r["households"] for r in data["by_category"]}["1"] == 4
    townships = data["areas"][0]
    assert townships["level"] == "township"
    rows = {r["code"]: r for r in townships["rows"]}
    assert len(rows) == 9  # every township of the county, even without households
    assert rows[TOWNSHIP_A]["poor_households"] == 1 and rows["360729101000"]["poor_households"] == 2
    assert rows["360729102000"]["households"] == 0
    villages = {r["code"]: r for r in data["areas"][1]["rows"]}
    assert villages[VILLAGE_A]["rural_population"] == 1006
    years = {y["year"]: y for y in data["years"]}
    assert min(years) == 2014 and max(years) == 2020  # up to the last change or profile
    assert years[2014]["poor_households"] == 2 and years[2014]["registered"] == 2
    # No profile of 2015: each village's 2014 profile is carried forward.
    assert years[2015]["removed"] == 1 and years[2015]["rural_population"] == 1000 + 500
    assert years[2016]["exited"] == 1 and years[2016]["change_poor_households"] == 1
    assert years[2018]["returned"] == 1
    assert years[2018]["incidence"] == (Decimal(2 + 4) * 100 / Decimal(1004 + 504)).quantize(Decimal("0.01"))


@pytest.mark.parametrize("code", [COUNTY_A, TOWNSHIP_A, "360729101000"])
def test_live_and_rollup_give_the_same_report(registry_a, code):
    stats.refresh(SYSTEM, COUNTY_A)
    area = Area.objects.get(code=code)
    live = stats.report(area, area.prefix, stats.live_facts(area.prefix), source="x")
    rolled = stats.report(area, area.prefix, stats.rollup_facts(area.prefix), source="x")
    assert json.dumps(live, default=str, sort_keys=True) == json.dumps(rolled, default=str, sort_keys=True)
    assert live["summary"]["households"] > 0
    # A village's rollup holds its status counts only (for the tables of larger areas): a
    # village is always counted live.
    assert stats.facts_for(VILLAGE_2, "rollup")[1] == "live"


def test_rollup_sums_up_to_city_province_and_country(registry_a):
    result = stats.refresh(SYSTEM, COUNTY_A)
    assert result["counties"] == 1 and result["rows"] > 0
    for level, code in (("city", "360700000000"), ("province", "360000000000"), ("country", "")):
        rows = StatsRollup.objects.filter(level=level, area_code=code, dim="status", year=0)
        assert sum(r.households for r in rows if r.status != "removed") == 4
    # A second refresh replaces the rows instead of adding to them.
    n = StatsRollup.objects.count()
    stats.refresh(SYSTEM, COUNTY_A)
    assert StatsRollup.objects.count() == n


def test_the_rollup_is_read_while_nothing_changed(registry_a, monkeypatch):
    assert stats.facts_for("360729")[1] == "live"  # no rollup yet
    stats.refresh(SYSTEM, COUNTY_A)
    facts, source, state = stats.facts_for("360729")
    assert source == "rollup" and state["current"]
    actions.set_status(SYSTEM, registry_a["h4"], "exited_policy", D(2020, 12, 1))
    facts, source, state = stats.facts_for("360729")
    assert source == "live" and not state["current"]  # a small area is counted live once it changed
    assert facts[("county", COUNTY_A, 0, "status", "exited_policy", "", "")][0] == 2
    monkeypatch.setattr(stats, "LIVE_LIMIT", 1)  # a large area keeps its (older) rollup, flagged
    _facts, source, _state = stats.facts_for("360729")
    assert source == "rollup"
    data = stats.area_report(_county_user(), COUNTY_A)
    assert data["source"] == "rollup" and data["stale"]
    # A change in another county does not make county A's rollup old.
    stats.refresh(SYSTEM, COUNTY_A)
    actions.create_household(SYSTEM, number="B1", area_code="360783100201001", main_cause="01",
                             identified_year=2020, status_date=D(2020, 1, 1))
    assert stats.rollup_state("360729")["current"]


def _county_user():
    from fupin.accounts import actions as accounts

    user, _pw = accounts.create_user(SYSTEM, username="stats_county", role="county_office", area_code=COUNTY_A,
                                     password="Test-pass-2026!")
    return user


@pytest.mark.usefixtures("english")
def test_refresh_command(registry_a, capsys):
    call_command("refresh_stats", "--area", COUNTY_A)
    assert "for 1 county, in" in capsys.readouterr().out
    assert StatsRollup.objects.filter(level="village", area_code=VILLAGE_2).exists()
    with pytest.raises(Exception, match="12-digit"):
        call_command("refresh_stats", "--area", "3607")


@pytest.mark.usefixtures("english")
def test_refresh_command_changed_refreshes_only_what_changed(registry_a, capsys):
    call_command("refresh_stats", "--area", COUNTY_A)
    capsys.readouterr()
    call_command("refresh_stats", "--changed")
    # county B has a village (no household): the rate's denominator counts it, so it has no rollup yet
    assert "for 1 county, in" in capsys.readouterr().out
    call_command("refresh_stats", "--changed")
    assert "0 counties" in capsys.readouterr().out  # nothing written since
    actions.create_household(SYSTEM, number="A-new", area_code=VILLAGE_2 + "001", main_cause="01",
                             identified_year=2020, status_date=D(2020, 1, 1))
    call_command("refresh_stats", "--changed")
    assert "for 1 county, in" in capsys.readouterr().out
    assert stats.rollup_state("360729")["current"]


def test_counties_changed_is_one_query_whatever_the_number_of_counties(registry_a):
    """County B gets a household; only B is then changed. An event recorded at the city
    (赣州市) counts for every county under it, one at another province's for none."""
    from fupin.audit import actions as audit

    actions.create_household(SYSTEM, number="B-1", area_code=VILLAGE_B, main_cause="01", identified_year=2020,
                             status_date=D(2020, 1, 1))
    stats.refresh(SYSTEM, "")
    assert stats.counties_changed("") == []
    actions.create_household(SYSTEM, number="B-2", area_code=VILLAGE_B, main_cause="01", identified_year=2020,
                             status_date=D(2020, 1, 1))
    with CaptureQueriesContext(connection) as two:
        assert stats.counties_changed("") == ["360783"]
    village_c = "360730100201"  # a village of 宁都县, a third county
    areas._insert_levels([{"code": village_c, "name": "丙村"}], source="test", valid_from=None)
    actions.create_household(SYSTEM, number="C-1", area_code=village_c, main_cause="01", identified_year=2020,
                             status_date=D(2020, 1, 1))
    with CaptureQueriesContext(connection) as three:
        assert stats.counties_changed("") == ["360730", "360783"]
    assert len(three) == len(two) <= 6
    stats.refresh(SYSTEM, "")
    audit.record(SYSTEM, "registry.village.change", area_code="440100000000")  # 广州市: not here
    assert stats.counties_changed("") == []
    audit.record(SYSTEM, "registry.village.change", area_code="360700000000")  # 赣州市: both counties
    assert stats.counties_changed("") == ["360729", "360730", "360783"]
    assert stats.counties_changed("360783000000") == ["360783"]


def test_page(registry_a, make_user, login):
    client = login(make_user("county_office", COUNTY_A))
    response = client.get(reverse("registry:stats"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "全南县" in html and "溪口村" in html
    # Charts: data in json_script tags, drawn by a static file; no inline script.
    assert 'id="chart-status-data" type="application/json"' in html
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'type="application/json"' in tag or ("src=" in tag and "nonce=" in tag), tag
    assert "fupin/charts.js" in html and "vendor/echarts/echarts.min.js" in html
    # As of a date.
    html = client.get(reverse("registry:stats"), {"date": "2018-12-31", "area": TOWNSHIP_A}).content.decode()
    assert 'data-as-of="2018-12-31"' in html
    assert client.get(reverse("registry:stats"), {"date": "2018-13-45"}).status_code == 200
    # A village cadre sees their village; another village is not theirs.
    cadre = login(make_user("village_cadre", VILLAGE_A))
    assert "石桥村" in cadre.get(reverse("registry:stats")).content.decode()
    assert cadre.get(reverse("registry:stats"), {"area": VILLAGE_2}).status_code == 404
    assert cadre.get(reverse("registry:stats"), {"area": COUNTY_A}).status_code == 404


@pytest.mark.usefixtures("english")
def test_the_as_of_date_is_read_as_people_write_it(registry_a, make_user, login):
    """The page reads its date with core.dates like every other date filter: 2018/12/31 and
    2018年12月31日 are that day; a week date, a day the calendar lacks or year 1 is said, not
    applied (it used to refuse 2018/12/31 and take 2018-W01-1 and 0001-01-01 silently)."""
    client = login(make_user("county_office", COUNTY_A))
    for typed in ("2018/12/31", "2018年12月31日", " 2018-12-31 "):
        response = client.get(reverse("registry:stats"), {"date": typed, "area": TOWNSHIP_A})
        assert 'data-as-of="2018-12-31"' in response.content.decode(), typed
        assert not list(response.context["messages"])
    for typed in ("2018-W01-1", "2018-02-30", "0001-01-01"):
        response = client.get(reverse("registry:stats"), {"date": typed, "area": TOWNSHIP_A})
        html = response.content.decode()
        assert response.status_code == 200 and "data-as-of=" not in html, typed
        assert f"The date “{typed}” was not understood: " in html and "That filter was not applied." in html


def test_refresh_button_starts_the_job(registry_a, make_user, login):
    client = login(make_user("township_officer", TOWNSHIP_A))
    response = client.post(reverse("registry:stats_refresh"), {"area": TOWNSHIP_A})
    job = Job.objects.get(kind="registry.stats_refresh")
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.status == Job.SUCCEEDED, job.message
    assert StatsRollup.objects.filter(level="township", area_code=TOWNSHIP_A).exists()
    assert client.post(reverse("registry:stats_refresh"), {"area": "360729101000"}).status_code == 404


def test_members_count_as_people(registry_a):
    """The current state counts a household's size; Household.size is its active members."""
    assert Household.objects.get(number="H2").size == Member.objects.filter(household__number="H2",
                                                                            active=True).count() == 1


def test_household_list_and_register_count_a_large_area_from_the_rollup(registry_a, make_user, login,
                                                                        monkeypatch):
    """The unfiltered list and register of a city, a province or the country read their
    totals from the rollup while it is current; once the area changed, they count live
    again. (Counties are counted live; here they are let in to keep the test small.)"""
    monkeypatch.setattr(stats, "ROLLUP_TOTALS_LEVELS", (*stats.ROLLUP_TOTALS_LEVELS, "county"))
    client = login(make_user("county_office", COUNTY_A))
    live_list = client.get(reverse("registry:households"), {"area": COUNTY_A}).context["totals"]
    live_register = client.get(reverse("registry:register", args=[COUNTY_A])).context
    assert stats.rollup_totals("360729") is None  # no rollup yet
    stats.refresh(SYSTEM, COUNTY_A)
    listed = client.get(reverse("registry:households"), {"area": COUNTY_A}).context["totals"]
    assert listed["source"] == "rollup"
    assert (listed["households"], listed["people"]) == (live_list["households"], live_list["people"]) == (5, 9)
    register = client.get(reverse("registry:register", args=[COUNTY_A])).context
    assert register["totals"]["source"] == "rollup"
    assert register["totals"]["households"] == live_register["totals"]["households"] == 4  # H3 was removed
    assert register["child_total"] == live_register["child_total"]
    assert [(r["area"].code, r["households"], r["people"], r["poor_households"], r["exited_households"])
            for r in register["child_rows"]] == [
        (r["area"].code, r["households"], r["people"], r["poor_households"], r["exited_households"])
        for r in live_register["child_rows"]]
    # filtered: live
    filtered = client.get(reverse("registry:households"), {"area": COUNTY_A, "status": "registered"}).context
    assert "source" not in filtered["totals"] and filtered["totals"]["households"] == 2
    # the rollup is what is read: a tampered rollup shows
    StatsRollup.objects.filter(level="county", area_code=COUNTY_A, dim="status", status="registered").update(
        households=99)
    assert client.get(reverse("registry:households"), {"area": COUNTY_A}).context["totals"]["households"] == 102
    # an edit makes the (small) county's rollup old: counted live again, until the cheap refresh
    actions.set_status(SYSTEM, registry_a["h4"], "exited_policy", D(2020, 12, 1))
    again = client.get(reverse("registry:households"), {"area": COUNTY_A}).context["totals"]
    assert "source" not in again and again["households"] == 5
    assert stats.counties_changed("360729") == ["360729"]
    stats.refresh_changed(SYSTEM, COUNTY_A)
    fresh = client.get(reverse("registry:households"), {"area": COUNTY_A}).context["totals"]
    assert fresh["source"] == "rollup" and fresh["households"] == 5


def test_households_off_the_register_are_not_counted_as_registered():
    """Removed households and rural households that are only monitored (status ``rural``,
    added by the monitoring app) are not on the 建档立卡 register."""
    from fupin.registry import stats as registry_stats

    summary = registry_stats._summary({"registered": [2, 5], "exited": [1, 2], "rural": [1, 3], "removed": [1, 1]})
    assert (summary["households"], summary["people"]) == (3, 7)
    assert summary["removed_households"] == 1


# --- the incidence rate: the same villages above and below the line ------------------------------

V1, V2, V3 = VILLAGE_A, "360729100202", "360729100203"  # three villages of township A


@pytest.fixture
def three_villages(two_counties):
    """V1 profiled in 2019 (1000) and 2021 (1500), V2 in 2019 only (800), V3 never.
    Households: V1 3 poor people; V2 a returned household of 2 (exited during 2021) and an
    exited one of 4; V3 5 poor people."""
    areas._insert_levels([{"code": V2, "name": "二村"}, {"code": V3, "name": "三村"}], source="test",
                         valid_from=None)
    _household("P1", V1, [("registered", D(2020, 3, 1))],
               [("甲", "19700102", "01"), ("乙", "19710102", "02"), ("丙", "19990102", "03")])
    _household("P2", V2, [("registered", D(2020, 3, 1)), ("exited_policy", D(2021, 6, 1)), ("returned", D(2022, 6, 1))],
               [("丁", "19600203", "01"), ("戊", "19610203", "02")])
    _household("P3", V2, [("registered", D(2020, 3, 1)), ("exited_policy", D(2020, 12, 1))],
               [("己", "19800304", "01"), ("庚", "19810304", "02"), ("辛", "20050304", "03"), ("壬", "20070304", "03")])
    _household("P4", V3, [("registered", D(2020, 3, 1))],
               [("子", "19500405", "01"), ("丑", "19510405", "02"), ("寅", "19800405", "03"), ("卯", "19820405", "03"),
                ("辰", "20100405", "04")])
    for code, year, rural in ((V1, 2019, 1000), (V1, 2021, 1500), (V2, 2019, 800)):
        actions.save_village_profile(SYSTEM, Area.objects.get(code=code), year, rural_population=rural)


def test_incidence_carries_each_village_profile_forward_and_leaves_out_unprofiled_villages(three_villages):
    """Golden numbers by hand. Now: poor people 3 + 2 + 5 = 10; V3 has no profile, so it
    and its 5 poor people are left out: 5 ÷ (1500 (V1, 2021) + 800 (V2, 2019 carried
    forward)) = 0.2174 % → 0.22 %. (It was 10 ÷ 1500 = 0.67 %: V1's 2021 profile alone.)"""
    data = stats.report(Area.objects.get(code=TOWNSHIP_A), TOWNSHIP_A[:9], stats.live_facts(TOWNSHIP_A[:9]))
    s = data["summary"]
    assert s["poor_people"] == 10
    assert (s["rural_population"], s["rural_first_year"], s["rural_year"]) == (2300, 2019, 2021)
    assert (s["profiled_villages"], s["missing_villages"], s["missing_poor"]) == (2, 1, 5)
    assert s["incidence"] == Decimal("0.22")
    villages = {r["code"]: r for r in data["areas"][0]["rows"]}
    assert (villages[V1]["rural_population"], villages[V1]["incidence"]) == (1500, Decimal("0.20"))
    assert (villages[V2]["rural_population"], villages[V2]["incidence"]) == (800, Decimal("0.25"))
    assert villages[V3]["incidence"] is None and villages[V3]["missing_villages"] == 1
    years = {y["year"]: y for y in data["years"]}
    # 2020: (3 + 2 + 5 − 5) ÷ (1000 + 800) = 0.2778 %; 2021: P2 exited, (3 + 5 − 5) ÷ (1500 + 800)
    # = 0.1304 %; 2022: P2 returned, 5 ÷ 2300.
    assert (years[2020]["rural_population"], years[2020]["incidence"]) == (1800, Decimal("0.28"))
    assert (years[2021]["rural_population"], years[2021]["incidence"]) == (2300, Decimal("0.13"))
    assert (years[2022]["rural_population"], years[2022]["incidence"]) == (2300, Decimal("0.22"))
    assert years[2020]["missing_villages"] == 1 and years[2020]["missing_poor"] == 5


@pytest.mark.usefixtures("english")
def test_the_page_says_which_profiles_and_which_villages_the_rate_uses(three_villages, make_user, login):
    client = login(make_user("county_office", COUNTY_A))
    html = client.get(reverse("registry:stats"), {"area": TOWNSHIP_A}).content.decode()
    assert "0.22%" in html
    assert "Rural population 2,300: each village’s latest profile (2019–2021)." in html
    assert "1 village without a profile is left out, with its 5 poor people." in html
    # The village without a profile: "—", explained.
    assert 'title="No village profile: the rural population is unknown."' in html


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize("url", ["/", "/registry/stats/"])
def test_the_poor_card_says_it_counts_returned_households(registry_a, make_user, login, url):
    """One definition (codes.POOR_STATUSES: registered and returned), and a label that says
    so: the card no longer shares its label with the status row of registered households
    only (贫困户（未脱贫）, 2 here) while showing 3 (2 registered + 1 returned)."""
    client = login(make_user("county_office", COUNTY_A))
    html = client.get(url).content.decode()
    card = re.search(r'<div class="fp-stat">(\d+)</div><div class="fp-stat-label">'
                     r"Poor households \(incl\. returned to poverty\)</div>", html)
    assert card and card.group(1) == "3"
    assert "Poor households (not yet exited)" not in html


def test_the_areas_own_incidence_sums_equal_the_village_by_village_count():
    """incidence.Profiles keeps the area's sums year by year in one pass (the year-by-year
    table); they equal the village-by-village computation for every year, profiles starting
    late, gaps, a village never profiled."""
    import random
    from collections import defaultdict

    from fupin.registry import incidence

    rng = random.Random(7)
    for _ in range(30):
        p = incidence.Profiles.__new__(incidence.Profiles)
        p.prefix = "360729"
        p.by_village = defaultdict(list)
        villages = [f"360729{t:03d}{v:03d}" for t in range(1, 4) for v in range(1, rng.randint(2, 6))]
        for v in villages[1:]:  # the first village has no profile at all
            for y in sorted(rng.sample(range(2014, 2024), rng.randint(1, 5))):
                p.by_village[v].append((y, rng.randint(100, 3000)))
        p.villages = set(villages)
        for year in range(2012, 2026):
            assert p.coverage(year, 6) == p._by_prefix(year, 6), year
            assert p.coverage(year, 4) == {"3607": p._by_prefix(year, 6)["360729"]}
