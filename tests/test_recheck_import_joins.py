"""A household the registry import creates while a re-check round is open over its area gets
its record in the round (一年一核: every household of the round), as one created on the page
does (registry.actions.add_to_open_rounds); a household the import only updates gets no second
record."""

from __future__ import annotations

import pytest

from fupin.areas.models import Area
from fupin.core import clock
from fupin.registry import actions
from fupin.registry.importers import import_registry
from fupin.registry.models import Household, RecheckRecord
from tests.conftest import COUNTY_A, SYSTEM
from tests.test_registry_exchange import good_rows, write_csv

pytestmark = pytest.mark.usefixtures("english")


def test_households_the_import_creates_join_the_open_round(two_counties, tmp_path):
    rows = good_rows()
    first = write_csv(tmp_path / "first.csv", [r for r in rows if r["户编号"] == "QN001"])
    assert import_registry(SYSTEM, first).ok
    rnd = actions.open_recheck(SYSTEM, Area.objects.get(code=COUNTY_A, valid_to__isnull=True), clock.today().year)
    assert rnd.household_count == 1
    both = write_csv(tmp_path / "both.csv", rows)  # QN001 again (updated), QN002 new
    result = import_registry(SYSTEM, both)
    assert result.ok and result.households_created == 1, result.report.summary()
    assert sorted(RecheckRecord.objects.filter(round=rnd).values_list("household__number", flat=True)) == [
        "QN001", "QN002"]
    rnd.refresh_from_db()
    assert rnd.household_count == 2
    assert RecheckRecord.objects.get(round=rnd, household=Household.objects.get(number="QN002")).checked is False
