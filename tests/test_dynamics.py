"""动态管理 (dynamic management): the golden numbers of a small hand-built county over
two years, computed by hand below; child rows add up to the total; the 1 January and
31 December boundaries; the page, its exports and the API."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from fupin.areas import actions as area_actions
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.dynamics import queries
from fupin.registry import actions as registry_actions
from fupin.registry import stats
from fupin.registry.models import Household, StatusChange
from tests.conftest import COUNTY_A, SYSTEM, TOWNSHIP_A

Y1, Y2 = 2019, 2020
T1, T2 = TOWNSHIP_A, "360729101000"  # 城厢镇, 大吉山镇
V1, V2 = "360729100201", "360729100202"  # in T1 (V1 is the fixture's 石桥村)
V3, V4 = "360729101201", "360729101202"  # in T2
D = dt.date


pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(D(2021, 3, 1)):
        yield


# The hand-built county. Each household: (number suffix, village, size, [(status, date), …])
# in the order the changes were recorded. H12's removal is recorded after its exit but dated
# before it (a backdated correction entered as an import would): the history is read by date.
HOUSEHOLDS = [
    # T1 / V1
    ("01", V1, 4, [("registered", D(2016, 3, 1)), ("exited_policy", D(2019, 10, 15))]),
    ("02", V1, 3, [("registered", D(2016, 3, 1)), ("exited_policy", D(2019, 1, 1))]),  # exit on 1 Jan
    ("03", V1, 5, [("registered", D(2017, 5, 1)), ("exited_policy", D(2019, 12, 31)),  # exit on 31 Dec
                   ("returned", D(2020, 6, 1))]),
    # T1 / V2
    ("04", V2, 2, [("registered", D(2016, 3, 1))]),
    ("05", V2, 1, [("registered", D(2016, 3, 1)), ("removed", D(2020, 3, 10))]),
    ("06", V2, 6, [("identified", D(2019, 11, 1)), ("registered", D(2020, 1, 1))]),  # new on 1 Jan
    # T2 / V3
    ("07", V3, 3, [("registered", D(2018, 12, 31)), ("exited_policy", D(2020, 12, 31))]),
    ("08", V3, 4, [("registered", D(2019, 7, 1))]),
    ("09", V3, 2, [("registered", D(2016, 3, 1)), ("exited_policy", D(2018, 11, 1)), ("exited", D(2019, 12, 1)),
                   ("returned", D(2020, 2, 1))]),
    # T2 / V4
    ("10", V4, 5, [("registered", D(2016, 3, 1)), ("exited_policy", D(2019, 6, 30)),
                   ("registered", D(2020, 4, 1))]),  # the exit revoked: a correction
    ("11", V4, 3, [("registered", D(2020, 8, 8))]),
    ("12", V4, 2, [("registered", D(2016, 3, 1)), ("exited_policy", D(2019, 9, 1)),
                   ("removed", D(2019, 8, 1))]),  # backdated
]


def _household(suffix: str, village: str, size: int, history) -> Household:
    (status, date), *rest = history
    h = registry_actions.create_household(SYSTEM, number=f"{village}9{suffix}", area_code=village + "001",
                                          category="1", standard="1", main_cause="01",
                                          identified_year=date.year, status=status, status_date=date)
    for status, date in rest:
        if date < h.status_date:  # backdated: the history is never rewritten, the row is added as an import would
            StatusChange.objects.create(household=h, area_code=h.area_code, status=status, date=date,
                                        reason="backdated correction", source="import")
        else:
            registry_actions.set_status(SYSTEM, h, status, date)
    Household.objects.filter(pk=h.pk).update(size=size)  # the members themselves do not matter here
    return h


@pytest.fixture
def county(two_counties):
    rows = [{"code": code, "name": name} for code, name in
            ((V2, "测试二村"), (V3, "测试三村"), (V4, "测试四村"))]
    rows += [{"code": v + "001", "name": "第1村民小组"} for v in (V2, V3, V4)]
    area_actions._insert_levels(rows, source="test", valid_from=None)
    households = {s: _household(s, v, n, hist) for s, v, n, hist in HOUSEHOLDS}
    # a household of county B, never counted in county A
    _household("99", "360783100201", 7, [("registered", D(2019, 5, 1))])
    return households


def _numbers(cell: dict, kind: str = "households") -> dict:
    return {m: cell[f"{m}_{kind}"] for m in queries.MEASURES}


# --- the golden numbers -----------------------------------------------------------------------

# 2019 (start = the status at the start of 1 Jan 2019, i.e. on 31 Dec 2018):
#   start: H1 4, H2 3, H3 5, H4 2, H5 1, H7 3 (registered 31 Dec 2018), H10 5, H12 2   = 8 households, 25 people
#          (H6 only identified, H8 registered later, H9 exited in 2018, H11 not yet)
#   exits: H1 (15 Oct), H2 (1 Jan), H3 (31 Dec), H10 (30 Jun)                          = 4, 4+3+5+5 = 17
#          (H9 exited_policy → exited is no exit from poverty; H12's exit follows its removal)
#   returns: none                                                                       = 0, 0
#   new: H8 (1 Jul)                                                                     = 1, 4
#   removals: H12 (1 Aug, backdated)                                                    = 1, 2
#   end (31 Dec 2019): H4 2, H5 1, H7 3, H8 4                                           = 4, 10
#   check: 8 − 4 + 0 + 1 − 1 = 4 ✓   25 − 17 + 0 + 4 − 2 = 10 ✓
Y1_TOTAL = {"start": 8, "exits": 4, "returns": 0, "new": 1, "removals": 1, "corrections_in": 0,
            "corrections_out": 0, "end": 4}
Y1_TOTAL_PEOPLE = {"start": 25, "exits": 17, "returns": 0, "new": 4, "removals": 2, "corrections_in": 0,
                   "corrections_out": 0, "end": 10}
# 2020 (start = end of 2019 = 4, 10):
#   exits: H7 (31 Dec)                                                                  = 1, 3
#   returns: H3 (1 Jun, from exited_policy), H9 (1 Feb, from exited)                    = 2, 5+2 = 7
#   new: H6 (1 Jan, identified → registered), H11 (8 Aug)                               = 2, 6+3 = 9
#   removals: H5 (10 Mar)                                                               = 1, 1
#   corrections: H10 exited → registered (the exit revoked), not a return               = 1 in, 5
#   end (31 Dec 2020): H3 5, H4 2, H6 6, H8 4, H9 2, H10 5, H11 3                       = 7, 27
#   check: 4 − 1 + 2 + 2 − 1 = 6 ≠ 7: the difference 1 (5 people) is H10's correction → warning
Y2_TOTAL = {"start": 4, "exits": 1, "returns": 2, "new": 2, "removals": 1, "corrections_in": 1,
            "corrections_out": 0, "end": 7}
Y2_TOTAL_PEOPLE = {"start": 10, "exits": 3, "returns": 7, "new": 9, "removals": 1, "corrections_in": 5,
                   "corrections_out": 0, "end": 27}
# By township:
#   2019 T1 (H1–H6): start H1..H5 = 5, 15; exits H1 H2 H3 = 3, 12; end H4 H5 = 2, 3
#        T2 (H7–H12): start H7 H10 H12 = 3, 10; exits H10 = 1, 5; new H8 = 1, 4; removals H12 = 1, 2;
#                     end H7 H8 = 2, 7
#   2020 T1: start 2, 3; returns H3 = 1, 5; new H6 = 1, 6; removals H5 = 1, 1; end H3 H4 H6 = 3, 13
#        T2: start 2, 7; exits H7 = 1, 3; returns H9 = 1, 2; new H11 = 1, 3; correction H10 = 1, 5;
#            end H8 H9 H10 H11 = 4, 14
BY_TOWNSHIP = {
    (Y1, T1): {"start": 5, "exits": 3, "returns": 0, "new": 0, "removals": 0, "corrections_in": 0,
               "corrections_out": 0, "end": 2},
    (Y1, T2): {"start": 3, "exits": 1, "returns": 0, "new": 1, "removals": 1, "corrections_in": 0,
               "corrections_out": 0, "end": 2},
    (Y2, T1): {"start": 2, "exits": 0, "returns": 1, "new": 1, "removals": 1, "corrections_in": 0,
               "corrections_out": 0, "end": 3},
    (Y2, T2): {"start": 2, "exits": 1, "returns": 1, "new": 1, "removals": 0, "corrections_in": 1,
               "corrections_out": 0, "end": 4},
}
BY_TOWNSHIP_PEOPLE = {(Y1, T1): (15, 3), (Y1, T2): (10, 7), (Y2, T1): (3, 13), (Y2, T2): (7, 14)}


def test_golden_county_two_years(county):
    r1 = queries.year_report("360729", Y1)
    assert _numbers(r1["total"]) == Y1_TOTAL
    assert _numbers(r1["total"], "people") == Y1_TOTAL_PEOPLE
    assert r1["total"]["adds_up"] is True
    assert r1["total"]["expected_households"] == 4

    r2 = queries.year_report("360729", Y2)
    assert _numbers(r2["total"]) == Y2_TOTAL
    assert _numbers(r2["total"], "people") == Y2_TOTAL_PEOPLE
    assert r2["total"]["adds_up"] is False
    assert (r2["total"]["expected_households"], r2["total"]["difference_households"]) == (6, 1)
    assert (r2["total"]["expected_people"], r2["total"]["difference_people"]) == (22, 5)
    # the start of a year is the end of the year before
    assert r2["total"]["start_households"] == r1["total"]["end_households"]


def test_golden_by_township(county):
    for year in (Y1, Y2):
        rows = {r["code"]: r for r in queries.year_report("360729", year)["rows"]}
        for township in (T1, T2):
            assert _numbers(rows[township]) == BY_TOWNSHIP[(year, township)], (year, township)
            start, end = BY_TOWNSHIP_PEOPLE[(year, township)]
            assert (rows[township]["start_people"], rows[township]["end_people"]) == (start, end)
        assert rows[T1]["name"] == "城厢镇"
        # every other township of the county is listed, with nothing
        assert all(not any(r[f] for f in queries.FIELDS) for c, r in rows.items() if c not in (T1, T2))
        assert len(rows) > 2


def test_child_rows_add_up_to_the_total(county):
    for prefix in ("360729", T1[:9], T2[:9]):
        for year in (2018, Y1, Y2, 2021):
            report = queries.year_report(prefix, year)
            assert report["rows"], prefix
            for f in queries.FIELDS:
                assert sum(r[f] for r in report["rows"]) == report["total"][f], (prefix, year, f)
    # a township's villages
    rows = {r["code"]: r for r in queries.year_report(T2[:9], Y1)["rows"]}
    assert set(rows) == {V3, V4}
    assert _numbers(rows[V3]) == {"start": 1, "exits": 0, "returns": 0, "new": 1, "removals": 0,
                                  "corrections_in": 0, "corrections_out": 0, "end": 2}
    # a village has no child rows: its own numbers are the total
    village = queries.year_report(V4, Y2)
    assert village["rows"] == [] and village["child_level"] is None
    assert _numbers(village["total"]) == {"start": 0, "exits": 0, "returns": 0, "new": 1, "removals": 0,
                                          "corrections_in": 1, "corrections_out": 0, "end": 2}


def test_end_of_year_matches_the_registry_statistics(county):
    """The stock at the end of a year is what registry.stats counts on 31 December."""
    for year in (2018, Y1, Y2):
        on = stats.status_on("360729", "county", D(year, 12, 31))
        poor = sum(h for _p, s, h, _n in on if s in ("registered", "returned"))
        assert queries.year_report("360729", year)["total"]["end_households"] == poor


def test_boundaries_first_and_last_day(county):
    """A change dated 1 January or 31 December counts in that year."""
    # H2 exited on 1 Jan 2019, H3 on 31 Dec 2019; H6 registered on 1 Jan 2020; H7 registered
    # on 31 Dec 2018, exited on 31 Dec 2020
    v1_2019 = queries.counts(V1, [2018, Y1], 12)
    assert v1_2019[(Y1, V1)]["exits_households"] == 3  # H1, H2 (1 Jan) and H3 (31 Dec)
    assert v1_2019[(Y1, V1)]["start_households"] == 3  # H2 was poor at the start of its exit day
    assert v1_2019[(2018, V1)]["exits_households"] == 0
    v2 = queries.counts(V2, [Y1, Y2], 12)
    assert v2[(Y2, V2)]["new_households"] == 1 and v2[(Y1, V2)]["new_households"] == 0
    assert v2[(Y2, V2)]["start_households"] == 2  # H4, H5: not H6, registered on the first day
    v3 = queries.counts(V3, [2018, Y1, Y2], 12)
    assert v3[(2018, V3)]["new_households"] == 1  # H7 on 31 Dec 2018 …
    assert v3[(2018, V3)]["end_households"] == 1  # … in the stock at the end of 2018 …
    assert v3[(Y1, V3)]["start_households"] == 1  # … and at the start of 2019
    assert v3[(Y2, V3)]["exits_households"] == 1  # exit on 31 Dec 2020
    assert v3[(Y2, V3)]["end_households"] == 2  # H8, H9 (returned), not H7


def test_series_and_years(county):
    years = queries.years_available("360729", clock.today())
    assert years[0] == 2021 and years[-1] == 2016
    series = {r["year"]: r for r in queries.series("360729", [Y1, Y2, 2021])}
    assert _numbers(series[Y1]) == Y1_TOTAL
    assert _numbers(series[Y2]) == Y2_TOTAL
    assert series[2021]["start_households"] == series[2021]["end_households"] == 7
    # the series (running sums of the passages) equals the year table (the change in force)
    for year, row in zip(range(2015, 2022), queries.series("360729", range(2015, 2022)), strict=True):
        total = queries.year_report("360729", year)["total"]
        assert {f: row[f] for f in queries.FIELDS} == {f: total[f] for f in queries.FIELDS}, year


def test_other_county_and_empty_area(county):
    b = queries.year_report("360783", Y1)
    assert b["total"]["new_households"] == 1 and b["total"]["new_people"] == 7
    empty = queries.year_report("360729202", Y1)
    assert all(empty["total"][f] == 0 for f in queries.FIELDS)
    assert empty["total"]["adds_up"] is True


# --- the page, the exports and the API ------------------------------------------------------------

def test_page_shows_the_numbers_and_the_warning(county, make_user, login):
    c = login(make_user("county_office", COUNTY_A))
    r = c.get("/dynamics/", {"area": COUNTY_A, "year": Y1})
    assert r.status_code == 200
    text = r.content.decode()
    assert 'data-balance="ok"' in text and "城厢镇" in text and "大吉山镇" in text
    assert 'data-chart="chart-waterfall-data"' in text and 'data-chart="chart-years-data"' in text
    r = c.get("/dynamics/", {"area": COUNTY_A, "year": Y2})
    text = r.content.decode()
    assert 'data-balance="warning"' in text
    assert "does not add up by 1 households (5 people)" in text
    # the waterfall of 2020: 4 → −1 → +2 → +2 → −1 → +1 (correction) → 7
    chart = r.context["waterfall"]
    assert chart["base"] == [0, 3, 3, 5, 6, 6, 0]
    assert chart["up"] == [4, 0, 2, 2, 0, 1, 7] and chart["down"] == [0, 1, 0, 0, 1, 0, 0]
    # a township's page lists its villages
    r = c.get("/dynamics/", {"area": T2, "year": Y1})
    assert [row["code"] for row in r.context["report"]["rows"]] == [V3, V4]
    # a village cadre sees their village and no other
    cadre = login(make_user("village_cadre", V4))
    r = cadre.get("/dynamics/", {"year": Y2})
    assert r.status_code == 200 and r.context["report"]["total"]["end_households"] == 2
    assert cadre.get("/dynamics/", {"area": COUNTY_A}).status_code == 404


def test_export_of_the_table(county, make_user, login):
    c = login(make_user("helper", COUNTY_A))
    r = c.get("/dynamics/export/", {"area": COUNTY_A, "year": Y2})
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    headers = rows[0]
    total = next(row for row in rows if row[0] == COUNTY_A)
    value = dict(zip(headers, total, strict=False))
    assert value["Poor at the start of the year: households"] == 4
    assert value["Poor at the end of the year: people"] == 27
    assert value["Difference: households"] == 1
    by_code = {row[0]: row for row in rows[1:] if row and row[0]}
    assert by_code[T2][1] == "大吉山镇"


def test_api_numbers(county, make_user, api):
    client = api(make_user("county_office", COUNTY_A))
    data = client.get("/api/v1/dynamics/", {"area": COUNTY_A, "year": Y1}).json()
    assert data["area"]["code"] == COUNTY_A and data["year"] == Y1
    assert _numbers(data["total"]) == Y1_TOTAL and data["total"]["adds_up"] is True
    assert {r["code"] for r in data["rows"] if r["start_households"]} == {T1, T2}
    assert set(data["monitoring"]) == set(queries.MONITORING_KEYS)  # the monitoring app is there: numbers, not null
    assert client.get("/api/v1/dynamics/", {"area": COUNTY_A, "year": 12}).status_code == 422
    cadre = api(make_user("village_cadre", V1))
    assert cadre.get("/api/v1/dynamics/", {"area": COUNTY_A}).status_code == 404


def test_lists_and_their_exports(county, make_user, login):
    office = login(make_user("county_office", COUNTY_A))
    for name in ("observation", "at-risk"):
        r = office.get(f"/dynamics/{name}/", {"area": COUNTY_A, "year": Y2})
        assert r.status_code == 200
        r = office.get(f"/dynamics/{name}/export/", {"area": COUNTY_A, "year": Y2})
        assert r.status_code == 200
        assert load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.max_row >= 1
    events = AuditEvent.objects.filter(kind="export", action__startswith="dynamics.")
    assert {e.action for e in events} == {"dynamics.observation.xlsx", "dynamics.at_risk.xlsx"}
    helper = login(make_user("helper", COUNTY_A))
    assert helper.get("/dynamics/observation/", {"area": COUNTY_A}).status_code == 200
    assert helper.get("/dynamics/observation/export/", {"area": COUNTY_A}).status_code == 403


def test_lists_show_households_in_observation(county, make_user, login):
    """H1 exited in October 2019 and is in its observation period at the end of 2019 (when
    the exits app's in_observation); its phone is masked on the page."""
    assert queries.observation_function() is not None  # fupin.exits.queries.in_observation
    Household.objects.filter(pk=county["01"].pk).update(phone="13979830001", head_name="全南张一")
    office = login(make_user("county_office", COUNTY_A))
    r = office.get("/dynamics/observation/", {"area": COUNTY_A, "year": Y1})
    text = r.content.decode()
    assert county["01"].number in text
    assert "139****0001" in text and "13979830001" not in text
    r = office.get("/dynamics/observation/export/", {"area": COUNTY_A, "year": Y1})
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.iter_rows(values_only=True))
    assert any(row[0] == county["01"].number and row[7] == "13979830001" for row in rows[1:])


# --- the cards and the totals ------------------------------------------------------------------------

def test_cards_show_zero_without_a_sign(county, make_user, login):
    """A year without exits read “−0” (and “+0” without returns)."""
    c = login(make_user("county_office", COUNTY_A))
    text = c.get("/dynamics/", {"area": T1, "year": Y2}).content.decode()  # T1 2020: no exit
    assert "−0" not in text and "+0" not in text
    assert '<div class="fp-stat">0</div><div class="fp-stat-label">Exited' in text
    assert '<div class="fp-stat">+1</div><div class="fp-stat-label">Returned to poverty' in text
    text = c.get("/dynamics/", {"area": COUNTY_A, "year": Y1}).content.decode()  # 2019: no return
    assert '<div class="fp-stat">−4</div><div class="fp-stat-label">Exited' in text
    assert '<div class="fp-stat">0</div><div class="fp-stat-label">Returned to poverty' in text


def test_year_by_year_table_has_a_total_for_the_period(county, make_user, login):
    r = login(make_user("county_office", COUNTY_A)).get("/dynamics/", {"area": COUNTY_A, "year": Y2})
    period, series = r.context["period"], r.context["series"]
    assert (period["first_year"], period["last_year"]) == (series[0]["year"], series[-1]["year"]) == (2016, 2021)
    # the start of the first year and the end of the last; the passages added up:
    # exits H9 (2018), H1 H2 H3 H10 (2019), H7 (2020); the one difference is H10's correction (2020)
    assert _numbers(period) == {"start": 0, "exits": 6, "returns": 2, "new": 12, "removals": 2,
                                "corrections_in": 1, "corrections_out": 0, "end": 7}
    assert period["difference_households"] == 1 and period["difference_people"] == 5
    text = r.content.decode()
    footer = text[text.index('id="dynamics-years-total"'):]
    footer = footer[:footer.index("</tr>")]
    assert "Total" in footer and "2016–2021" in footer and footer.count('class="text-end"') == 9


def test_household_lists_have_a_total(county, make_user, login, settings):
    """The total is the whole list's, on every page: pages of 3 rows, so that a page's own
    sum differs from the total (2019's list: H1 4, H2 3, H3 5, H12 2 = 4 households, 14 people)."""
    settings.PAGE_SIZE = 3
    office = login(make_user("county_office", COUNTY_A))
    pages, page = [], 1
    while True:
        r = office.get("/dynamics/observation/", {"area": COUNTY_A, "year": Y1, "page": page})
        pages.append(r)
        if not r.context["page_obj"].has_next():
            break
        page += 1
    rows = [x["h"] for r in pages for x in r.context["rows"]]
    assert len(pages) == 2 and [len(r.context["rows"]) for r in pages] == [3, 1]
    assert sorted(h.number[-2:] for h in rows) == ["01", "02", "03", "12"] and len({h.pk for h in rows}) == 4
    whole = {"households": 4, "people": 14}
    assert whole == {"households": len(rows), "people": sum(h.size for h in rows)}
    for r in pages:  # each page shows the whole list's total, not its own rows' sum
        assert r.context["totals"] == whole
        assert r.context["totals"]["people"] != sum(x["h"].size for x in r.context["rows"])
        text = r.content.decode()
        footer = text[text.index('id="list-total"'):]
        footer = footer[:footer.index("</tr>")]
        assert "Total · 4 households" in footer and '<td class="text-end">14</td>' in footer
