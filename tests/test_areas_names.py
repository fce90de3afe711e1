"""One way to name areas on pages (areas.queries.names): its contract — prefixes and full
codes, a retired area by its last name, unknown keys absent, "" the whole country, one
query per NAME_BATCH codes — and the pages that use it (monitoring, identification,
comparison, delisting) showing the same names, now also for a retired area."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fupin.areas import actions as areas
from fupin.areas import queries as area_queries
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.comparison import reports
from fupin.comparison.models import Hit
from fupin.delisting import queries as delisting_queries
from fupin.delisting.models import VillageCriteria
from fupin.identification import actions as id_actions
from fupin.identification import present
from fupin.monitoring import engine
from fupin.monitoring import queries as monitoring_queries
from tests.conftest import COUNTY_A, COUNTY_B, SYSTEM, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A
from tests.test_comparison import vehicles, world  # noqa: F401 (fixtures)

pytestmark = pytest.mark.usefixtures("english")

GROUP_A = VILLAGE_A + "001"
RETIRED_ON = dt.date(2020, 12, 31)


def _name(code: str) -> str:
    return Area.objects.get(code=code, valid_to__isnull=True).name


def _retire(code: str, on: dt.date = RETIRED_ON) -> None:
    """The code is no longer current: its row stays, with valid_to set (as a code change leaves it)."""
    assert Area.objects.filter(code=code, valid_to__isnull=True).update(valid_to=on) == 1


def _retired_row(code: str, name: str, on: dt.date) -> None:
    Area.objects.create(code=code, name=name, level=area_rules.level_of(code), valid_to=on, source="test")


# --- the contract ----------------------------------------------------------------------------------

def test_prefixes_and_full_codes_are_named_keyed_as_given(two_counties):
    keys = ["36", "3607", "360729", TOWNSHIP_A[:9], COUNTY_A, VILLAGE_A, GROUP_A]
    got = area_queries.names(iter(keys))  # any iterable, read once
    assert got["360729"] == got[COUNTY_A] == "全南县"
    assert got["36"] == _name("360000000000") and got["3607"] == _name("360700000000")
    assert got[TOWNSHIP_A[:9]] == _name(TOWNSHIP_A)
    assert (got[VILLAGE_A], got[GROUP_A]) == ("石桥村", "第1村民小组")
    assert set(got) == set(keys)


def test_path_names_villages_and_groups_by_their_township(two_counties):
    township = _name(TOWNSHIP_A)
    got = area_queries.names([GROUP_A, VILLAGE_A, TOWNSHIP_A, "360729"], path=True)
    assert got == {GROUP_A: f"{township} 石桥村 第1村民小组", VILLAGE_A: f"{township} 石桥村",
                   TOWNSHIP_A: township, "360729": "全南县"}


def test_a_retired_area_keeps_its_last_name_and_a_current_one_wins(two_counties):
    gone = VILLAGE_A[:-3] + "299"
    _retired_row(gone, "老屋村", dt.date(2015, 6, 30))
    _retired_row(gone, "新屋村", dt.date(2019, 6, 30))  # renamed, then retired: the last name
    _retired_row(gone, "更早村", dt.date(2010, 6, 30))
    _retired_row(VILLAGE_A, "旧石桥村", dt.date(2016, 1, 1))  # an earlier row of a current code
    _retire(COUNTY_B)
    got = area_queries.names([gone, VILLAGE_A, "360783"])
    assert got == {gone: "新屋村", VILLAGE_A: "石桥村", "360783": "龙南市"}
    assert area_queries.names([gone + "001"], path=True) == {gone + "001": f"{_name(TOWNSHIP_A)} 新屋村"}


def test_unknown_keys_are_absent_and_the_empty_key_is_the_whole_country(two_counties):
    unknown = [VILLAGE_A[:-3] + "998", "999999", "3607291", "360", "abc", "000000000000", "3607291002010019"]
    assert area_queries.names([*unknown, None]) == {}
    assert area_queries.names(["", *unknown]) == {"": "whole country"}
    with CaptureQueriesContext(connection) as queries:
        assert area_queries.names([]) == {}
        assert area_queries.names([""]) == {"": "whole country"}
    assert len(queries) == 0


@pytest.mark.parametrize("path", [False, True])
def test_one_query_per_batch_of_codes(two_counties, path):
    batch = area_queries.NAME_BATCH
    new = [TOWNSHIP_A[:9] + f"{n:03d}" for n in range(301, 301 + batch - 99)]
    new += [TOWNSHIP_B[:9] + f"{n:03d}" for n in range(301, 401)]
    areas._insert_levels([{"code": c, "name": f"测试{c[-6:]}村"} for c in new], source="test", valid_from=None)
    villages = list(Area.objects.filter(level=area_rules.VILLAGE, valid_to__isnull=True)
                    .order_by("code").values_list("code", "name"))
    assert len(villages) > batch
    codes = [c for c, _n in villages]
    with CaptureQueriesContext(connection) as queries:
        got = area_queries.names(codes, path=path)
    townships = {c[:9] + "000" for c in codes}
    expected_queries = -(-(len(codes) + (len(townships) if path else 0)) // batch)
    assert len(queries) == expected_queries >= 2
    towns = dict(Area.objects.filter(code__in=townships, valid_to__isnull=True).values_list("code", "name"))
    assert got == {c: (f"{towns[c[:9] + '000']} {n}" if path else n) for c, n in villages}


# --- the pages that use it -------------------------------------------------------------------------

def test_monitoring_names_the_whole_country_and_a_retired_group(two_counties, make_user, login):
    """A run over the whole country showed an empty area ("Area: ·"): now "whole country"."""
    id_actions.save_line(SYSTEM, None, kind="monitoring", area_prefix="36", year=2023, value=Decimal("6000"),
                         name="江西省防返贫监测范围", source="test")
    run = engine.run_rules(SYSTEM, "", 2023)
    assert run.area_code == ""
    _retire(GROUP_A)
    got = monitoring_queries.place_names(["", GROUP_A, "360729999999"])
    assert got == {"": "whole country", GROUP_A: f"{_name(TOWNSHIP_A)} 石桥村 第1村民小组",
                   "360729999999": "360729999999"}
    html = login(make_user("admin", None)).get(reverse("monitoring:worklist")).content.decode()
    runs = html[html.index('id="run-list"'):]
    assert '<span title="">whole country</span>' in runs[:runs.index("</ul>")]


def test_identification_pages_name_a_retired_area_by_its_last_name(two_counties, make_user, login):
    """A line of a county whose code was retired showed the bare code."""
    id_actions.save_line(SYSTEM, None, kind="dibao", area_prefix="360783", year=2016, value=Decimal("3600"),
                         source="龙南市民政局")
    id_actions.save_line(SYSTEM, None, kind="dibao", area_prefix="360729", year=2016, value=Decimal("3600"),
                         source="全南县民政局")
    _retire(COUNTY_B)
    assert present.area_names(["", "360729", "360783", "360799"]) == {
        "": "whole country", "360729": "全南县", "360783": "龙南市"}
    html = login(make_user("admin", None)).get(reverse("identification:standards"), {"year": "2016"}).content.decode()
    cells = html[html.index("<tbody"):]
    assert "<td>龙南市</td>" in cells and "<td>全南县</td>" in cells and "<td>360783</td>" not in cells


def test_comparison_forms_name_a_retired_village_by_its_last_name(vehicles):
    """The check form left a retired village's cell empty and the statistics showed its code."""
    _retire(VILLAGE_A)
    qs = Hit.objects.all()
    check = list(reports.check_rows(qs))
    assert check and {(r[1], r[2]) for r in check} == {(_name(TOWNSHIP_A), "石桥村")}
    rows = reports.summary(qs)
    assert [r.village for r in rows if r.level in ("kind", "village")] == ["石桥村", "石桥村"]
    assert [r.township for r in rows if r.level == "township"] == [_name(TOWNSHIP_A)]
    assert reports.area_names(["", VILLAGE_A, "360729100299"]) == {VILLAGE_A: "石桥村"}  # "" is the caller's


def test_delisting_criteria_page_names_areas_and_the_whole_country(two_counties, make_user, login):
    """A criteria row of a retired county showed its code twice; the national row is the whole country."""
    rows = delisting_queries.with_labels(list(VillageCriteria.objects.filter(area_prefix__in=["", "360729"])))
    assert {r.area_prefix: r.area_name for r in rows} == {"": "whole country", "360729": "全南县"}
    _retire(COUNTY_A)
    html = login(make_user("admin", None)).get("/delisting/criteria/").content.decode()
    assert '全南县 <span class="small text-body-secondary font-monospace">360729</span>' in html
    assert "<td>whole country</td>" in html
