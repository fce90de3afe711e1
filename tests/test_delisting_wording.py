"""The village exit list and the criteria page as a county office reads them (zh-hans UI):
the list opens on the user's own area, lists the poor villages (a village that is not a
poor village is no candidate: "不适用", not "未达标"), amounts carry 元, the criteria show
the checklist items' names and the area's name."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from fupin.areas import actions as area_actions
from fupin.core import clock
from fupin.delisting import queries
from fupin.registry.models import ChecklistItem
from tests.conftest import COUNTY_A, VILLAGE_A
from tests.test_delisting import TODAY, YEAR, profile, village_with_incidence

OTHER = "360729100202"  # a second village of county A, not a poor village


@pytest.fixture
def villages(two_counties):
    with clock.frozen(TODAY):
        area_actions._insert_levels([{"code": OTHER, "name": "新村"}], source="test", valid_from=None)
        village_with_incidence(VILLAGE_A, 20, 1000)
        profile(OTHER, 800, status="none", income="120000")
        yield


def test_list_opens_on_the_users_area(villages, make_user, login):
    c = login(make_user("county_office", COUNTY_A))
    with clock.frozen(TODAY):
        body = c.get("/delisting/").content.decode()
    assert 'id="village-checks"' in body and "石桥村" in body
    assert "请选择县、乡镇或行政村" not in body


@pytest.mark.usefixtures("english")
def test_non_poor_villages_are_not_candidates(villages, make_user, login):
    c = login(make_user("county_office", COUNTY_A))
    with clock.frozen(TODAY):
        default = c.get("/delisting/", {"year": YEAR}).content.decode()
        everything = c.get("/delisting/", {"area": COUNTY_A, "year": YEAR, "show": "all"}).content.decode()
        export = c.get("/delisting/villages.xlsx", {"area": COUNTY_A, "year": YEAR, "show": "all"})
    table = default.split('id="village-checks"', 1)[1]
    assert "石桥村" in table and "新村" not in table  # poor villages only by default
    counts = default.split('id="village-counts"', 1)[1].split("</p>", 1)[0]
    assert "1 of 1 poor villages meet" in counts and "1 village is not a poor village in 2018" in counts
    assert "show=all" in counts
    row = everything.split("新村", 1)[1].split("</tr>", 1)[0]
    assert "not met" not in row and "meets the criteria" not in row and "not applicable" in row
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    other = next(r for r in rows if r[0] == OTHER)
    assert other[8] == "not applicable"


def test_collective_income_has_its_unit(villages, make_user, login):
    c = login(make_user("county_office", COUNTY_A))
    with clock.frozen(TODAY):
        body = c.get("/delisting/", {"area": COUNTY_A, "year": YEAR}).content.decode()
    assert "80,000.00 元" in body


def test_village_applies_rule(villages):
    from fupin.areas.models import Area

    with clock.frozen(TODAY):
        rows = queries.village_checks(list(Area.objects.filter(code__in=[VILLAGE_A, OTHER]).order_by("code")),
                                      "360729", YEAR, TODAY)
    applies = {r["village"].code: r["applies"] for r in rows}
    assert applies == {VILLAGE_A: True, OTHER: False}


def test_criteria_page_reads_as_words(villages, make_user, login):
    for i, (code, name) in enumerate((("road", "通村硬化路"), ("tap_water", "安全饮水"))):
        ChecklistItem.objects.update_or_create(code=code, area_prefix="", defaults={"name": name, "order": i})
    c = login(make_user("county_office", COUNTY_A))
    body = c.get("/delisting/criteria/").content.decode()
    table = body.split('id="village-criteria"', 1)[1].split("</table>", 1)[0]
    assert "通村硬化路、安全饮水" in table and "tap_water" not in table
    # the area column itself is checked in test_delisting_criteria (the names contain 全南县 and 全国)
    assert "50,000.00 元" in table and "50000.00<" not in table


# --- the shipped wording ------------------------------------------------------------------------

def test_an_existing_database_gets_the_new_wording(db):
    """The criteria are loaded once (0002): the wording migration rewrites the old shipped
    texts and leaves a text an administrator changed alone."""
    import importlib

    from django.apps import apps

    from fupin.delisting.models import CountyCriteria, Region, VillageCriteria

    migration = importlib.import_module("fupin.delisting.migrations.0005_shipped_wording")
    migration.backwards(apps, None)  # the database as 0002 left it before this change
    assert "issue 6" in VillageCriteria.objects.get(area_prefix="").incidence_source
    assert "seed 001" in VillageCriteria.objects.get(area_prefix="360729").collective_income_source
    CountyCriteria.objects.filter(area_prefix="").update(sample_source="本省规定")
    migration.forwards(apps, None)
    for row in [*VillageCriteria.objects.all(), *CountyCriteria.objects.all(), *Region.objects.all()]:
        texts = " ".join(str(getattr(row, f.name)) for f in row._meta.concrete_fields
                         if f.name.endswith("source") or f.name == "note")
        assert "seed" not in texts.lower() and "issue" not in texts.lower()
    assert "《全南县2017年精准脱贫攻坚工作要点》" in VillageCriteria.objects.get(
        area_prefix="360729").collective_income_source
    assert CountyCriteria.objects.get(area_prefix="").sample_source == "本省规定"
