"""Risk clearance (风险消除) judges 两不愁三保障 and safe water by the exit criteria
(exits.queries.guarantee_checks): the same answer as the exit check on a renovated C/D
house and on a child at the compulsory-school-age boundary, one set of parameters
(exit_criteria.json / ExitCriteria), and a start check of a fixed number of queries
whatever the batch size."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fupin.areas.models import Area
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Invalid
from fupin.exits import queries as exit_queries
from fupin.exits.models import ExitCriteria
from fupin.identification import actions as id_actions
from fupin.monitoring import actions, hooks
from fupin.monitoring.models import MonitoredHousehold as M
from fupin.monitoring.models import Risk
from fupin.registry import actions as registry
from fupin.registry.models import Household
from tests.conftest import SYSTEM, VILLAGE_A
from tests.test_procedures import id_number

pytestmark = pytest.mark.usefixtures("english")

D = dt.date
CLEAR_DAY = D(2025, 3, 1)  # the exit check of 2025: ages counted on 1 September 2025
GUARANTEES = "Basic guarantees (两不愁三保障) sustained"


@pytest.fixture
def lines(two_counties):
    for year in (2023, 2024):
        id_actions.save_line(SYSTEM, None, kind="monitoring", area_prefix="36", year=year, value=Decimal("6900"),
                             name="江西省防返贫监测范围", source="test")


def monitored(n: int, **household) -> M:
    """A monitored household passing every clearance criterion unless ``household`` says
    otherwise (income 9,000 in 2023 and 2024, one insured working member)."""
    h = registry.create_household(SYSTEM, number=f"{VILLAGE_A}7{n:03d}", area_code=VILLAGE_A + "001",
                                  status="exited_policy", status_date=D(2020, 1, 2), category="1", standard="1",
                                  identified_year=2016)
    registry.add_member(SYSTEM, h, name=f"户主{n}", id_number=id_number(VILLAGE_A[:6], "19700101", n), relation="01",
                        labour="1", medical_insurance=True)
    for year in (2023, 2024):
        registry.save_income(SYSTEM, h, year, wages=Decimal(9000))
    if household:
        Household.objects.filter(pk=h.pk).update(**household)
    h.refresh_from_db()
    return M.objects.create(household=h, area_code=h.area_code, kind=M.UNSTABLE, state=M.MONITORED,
                            since=D(2023, 5, 1))


def child(rec: M, n: int, born: str, **extra) -> None:
    registry.add_member(SYSTEM, rec.household, name=f"子女{n}", id_number=id_number(VILLAGE_A[:6], born, n),
                        relation="03", **{"medical_insurance": True, **extra})


def clearance(rec: M) -> dict:
    with clock.frozen(CLEAR_DAY):
        return {i.code: i for i in actions.clearance_items(rec)}


def exit_row(rec: M):
    return exit_queries.household_check(rec.household, CLEAR_DAY.year)


@pytest.mark.parametrize(("grade", "renovated", "safe"), [
    ("C", 2022, True),   # renovated since: the exit check counts the house as safe (renovated_passes)
    ("D", 2022, True),
    ("C", None, False),
    ("D", None, False),
    ("B", None, True),
])
def test_dangerous_house_judged_as_the_exit_check(lines, grade, renovated, safe):
    rec = monitored(1, danger_grade=grade, renovated_year=renovated)
    item = clearance(rec)["guarantees"]
    assert exit_row(rec).ok_housing is safe
    assert item.met is safe, item.detail
    if not safe:
        assert item.detail == f"Safe housing: dangerous-house grade {grade}, not renovated"


@pytest.mark.parametrize(("born", "of_school_age"), [
    ("20090901", False),  # 16 on 1 September 2025: past the compulsory-school age (15 on the clearance day)
    ("20090902", True),   # 15 on 1 September 2025
    ("20190901", True),   # 6 on 1 September 2025 (5 on the clearance day)
    ("20190902", False),  # 5 on 1 September 2025
])
def test_child_at_the_school_age_boundary_judged_as_the_exit_check(lines, born, of_school_age):
    rec = monitored(2)
    child(rec, 21, born, school_status="00")
    item = clearance(rec)["guarantees"]
    assert exit_row(rec).ok_school is (not of_school_age)
    assert item.met is (not of_school_age), item.detail
    if of_school_age:
        assert item.detail == "No child out of school: out of school: 子女21"


def test_water_judged_as_the_exit_check(lines):
    dry = monitored(3, water_safe=False)
    difficult = monitored(4, water_safe=True, water_difficult=True)  # the exit check looks at water_safe
    for rec, ok in ((dry, False), (difficult, True)):
        assert exit_row(rec).ok_water is ok
        assert clearance(rec)["water"].met is ok
    assert clearance(dry)["water"].detail == "no safe drinking water"


def test_only_medical_insurance_missing_is_refused_with_that_reason(lines):
    rec = monitored(5)
    child(rec, 51, "20000101", medical_insurance=False)
    area = Area.objects.get(code=VILLAGE_A)
    with clock.frozen(CLEAR_DAY):
        got = hooks.clearance(Actor.system(), None, area, [rec.household_id])
        assert got == {rec.household_id: f"{GUARANTEES}：Medical insurance: 1 member(s) without basic medical "
                                         "insurance"}
        assert [i.code for i in actions.clearance_items(rec) if not i.met] == ["guarantees"]
        with pytest.raises(Invalid, match="without basic medical insurance"):
            actions.start_clearance(Actor.system(), area, [rec])


def test_no_exit_criteria_is_said_once(lines):
    rec = monitored(7)
    ExitCriteria.objects.all().delete()
    item = clearance(rec)["guarantees"]
    assert not item.met and item.detail == "No exit criteria apply to this area and year."


def _batch(first: int, count: int) -> list[M]:
    """Households each failing several criteria (an open risk, a child out of school, an
    uninsured member, an unsafe house), so every part of the check runs."""
    out = []
    for n in range(first, first + count):
        rec = monitored(n, danger_grade="D")
        child(rec, 500 + n, "20120101", school_status="00", medical_insurance=False)
        Risk.objects.create(record=rec, area_code=rec.area_code, code="illness", noted_on=D(2024, 1, 1))
        out.append(rec)
    return out


def test_start_check_queries_do_not_grow_with_the_batch(lines):
    one, twenty = _batch(100, 1), _batch(200, 20)
    area = Area.objects.get(code=VILLAGE_A)
    counts, results = [], []
    for batch in (one, twenty):
        with clock.frozen(CLEAR_DAY), CaptureQueriesContext(connection) as ctx:
            results.append(hooks.clearance(Actor.system(), None, area, [r.household_id for r in batch]))
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 9, counts
    assert len(results[1]) == 20
    expected = (f"{GUARANTEES}：Safe housing: dangerous-house grade D, not renovated; No child out of school: "
                "out of school: {child}; Medical insurance: 1 member(s) without basic medical insurance; "
                "Every risk is gone：still open: Illness")
    for n, rec in enumerate(one + twenty):
        child_name = rec.household.members.get(relation="03").name
        got = (results[0] if n == 0 else results[1])[rec.household_id]
        assert got == expected.format(child=child_name)
