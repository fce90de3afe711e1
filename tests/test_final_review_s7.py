"""Found in the final reading of session 7: the quality run's income year has the bounds of
every other year of the work; the statistics tables name an area retired since by its last
name; the users template's explanation sheet is Chinese like its columns."""

from __future__ import annotations

import pytest
from django.utils import translation

from fupin.accounts import importers as user_importers
from fupin.registry import exchange, stats
from fupin.registry.views_quality import RunForm
from tests.conftest import COUNTY_A, SYSTEM
from tests.test_registry_incidence_years import VR, _report, villages  # noqa: F401  (fixture)


@pytest.mark.usefixtures("english")
def test_the_quality_run_year_has_the_bounds_of_the_work():
    form = RunForm(data={"area_code": COUNTY_A, "on": "2020-01-01", "income_year": exchange.last_year() + 1})
    assert not form.is_valid()
    assert "is not a year of the poverty-alleviation work" in form.errors["income_year"][0]
    ok = RunForm(data={"area_code": COUNTY_A, "on": "2020-01-01", "income_year": exchange.PROGRAMME_FIRST_YEAR})
    assert ok.is_valid(), ok.errors


@pytest.mark.parametrize("source", ["live", "rollup"])
def test_a_retired_village_in_the_area_table_has_its_last_name(villages, source):
    if source == "rollup":
        stats.refresh(SYSTEM, COUNTY_A)
    rows = {r["code"]: r for r in _report(source=source)["areas"][0]["rows"]}
    assert rows[VR]["name"] == "旧村"  # (was its code: only current areas were named)


def test_the_users_template_explains_in_chinese_whatever_the_language():
    with translation.override("en"):
        rows = user_importers.explanation_rows()
    role_note = next(r[2] for r in rows if r[0] == "角色")
    assert "村干部（village_cadre）" in role_note and "Village cadre" not in role_note
