"""一年一核: opening a round (one record per household, set-based), recording checks,
progress by village, who sees what, and closing (which freezes the year's snapshot)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from fupin.areas import actions as areas
from fupin.areas.models import Area
from fupin.audit.models import AuditEvent
from fupin.core.errors import Invalid
from fupin.registry import actions
from fupin.registry.demo import id_check_digit
from fupin.registry.models import HouseholdSnapshot, RecheckRecord, RecheckRound
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A

VILLAGE_2 = "360729101201"
YEAR = 2025


def _household(number, area_code, birth, status="registered"):
    h = actions.create_household(SYSTEM, number=number, area_code=area_code, main_cause="01", identified_year=2016,
                                 status=status, status_date=dt.date(2016, 6, 1))
    first = f"360729{birth}101"
    actions.add_member(SYSTEM, h, name=f"户主{number}", id_number=first + id_check_digit(first), relation="01")
    h.refresh_from_db()
    return h


@pytest.fixture
def households(two_counties):
    areas._insert_levels([{"code": VILLAGE_2, "name": "溪口村"}], source="test", valid_from=None)
    hs = [_household(f"A{i}", VILLAGE_A + "001", f"1970010{i}") for i in range(1, 4)]
    hs += [_household(f"B{i}", VILLAGE_2, f"1980010{i}") for i in range(1, 3)]
    _household("R1", VILLAGE_2, "19900101", status="removed")
    actions.save_income(SYSTEM, hs[0], YEAR, wages=Decimal("6000"), production_costs=Decimal("0"))
    return hs


def test_open_is_one_statement_whatever_the_size(households, django_assert_max_num_queries):
    county = Area.objects.get(code=COUNTY_A)
    with django_assert_max_num_queries(8):
        rnd = actions.open_recheck(SYSTEM, county, YEAR)
    assert rnd.household_count == 5  # the removed household is not re-checked
    assert set(rnd.records.values_list("household__number", flat=True)) == {"A1", "A2", "A3", "B1", "B2"}
    assert not rnd.records.filter(checked=True).exists()
    with pytest.raises(Invalid):
        actions.open_recheck(SYSTEM, county, YEAR)


def test_open_record_and_close_through_the_pages(households, make_user, login):
    office = login(make_user("county_office", COUNTY_A))
    assert office.get(reverse("registry:rechecks")).status_code == 200
    response = office.post(reverse("registry:recheck_open"), {"area": COUNTY_A, "year": YEAR})
    rnd = RecheckRound.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("registry:recheck", args=[rnd.pk])
    office.post(reverse("registry:recheck_open"), {"area": COUNTY_A, "year": YEAR})
    assert RecheckRound.objects.count() == 1  # refused the second time, with a message
    assert office.post(reverse("registry:recheck_open"), {"area": VILLAGE_A, "year": 1990}).status_code == 302
    assert RecheckRound.objects.count() == 1  # a year before the registry existed

    # A village cadre sees the county's round with their village's households only.
    cadre = login(make_user("village_cadre", VILLAGE_A))
    page = cadre.get(reverse("registry:recheck", args=[rnd.pk]))
    assert page.context["progress"] == {"total": 3, "checked": 0, "unchecked": 3, "percent": 0}
    assert [v["code"] for v in page.context["villages"]] == [VILLAGE_A]
    record = RecheckRecord.objects.get(round=rnd, household__number="A1")
    url = reverse("registry:recheck_record", args=[rnd.pk, record.pk])
    response = cadre.post(url, {})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    response = cadre.post(url, {"nothing": "on", "items": ["income"]})
    assert response.context["form"].non_field_errors()
    response = cadre.post(url, {"items": ["members", "income"], "note": "新生儿一名", "next": "1"})
    following = RecheckRecord.objects.get(round=rnd, household__number="A2")
    assert response["Location"] == reverse("registry:recheck_record", args=[rnd.pk, following.pk])
    record.refresh_from_db()
    assert record.checked and record.checked_by.username.startswith("village_cadre")
    assert "新生儿一名" in record.changes and record.changes.count(";") == 1
    assert AuditEvent.objects.filter(action="registry.recheck.record", object_id=str(record.household_id)).exists()
    cadre.post(reverse("registry:recheck_record", args=[rnd.pk, following.pk]), {"nothing": "on"})
    page = cadre.get(reverse("registry:recheck", args=[rnd.pk]))
    assert page.context["progress"]["checked"] == 2 and not page.context["can_close"]
    checked = cadre.get(reverse("registry:recheck", args=[rnd.pk]), {"show": "checked"})
    assert {r.household.number for r in checked.context["page_obj"]} == {"A1", "A2"}
    # Not the cadre's to close; a household of another village is not theirs to check.
    assert cadre.post(reverse("registry:recheck_close", args=[rnd.pk]), {"force": "1"}).status_code == 403
    other = RecheckRecord.objects.get(round=rnd, household__number="B1")
    assert cadre.get(reverse("registry:recheck_record", args=[rnd.pk, other.pk])).status_code == 404

    # Closing: refused while households are unchecked, unless forced; then the snapshot is kept.
    office.post(reverse("registry:recheck_close", args=[rnd.pk]))
    rnd.refresh_from_db()
    assert rnd.status == RecheckRound.OPEN and not HouseholdSnapshot.objects.exists()
    office.post(reverse("registry:recheck_close", args=[rnd.pk]), {"force": "1"})
    rnd.refresh_from_db()
    assert rnd.status == RecheckRound.CLOSED and rnd.closed_at is not None
    snaps = {s.household.number: s for s in HouseholdSnapshot.objects.filter(round=rnd)}
    assert set(snaps) == {"A1", "A2", "A3", "B1", "B2"}
    assert snaps["A1"].per_capita == Decimal("6000.00") and snaps["A2"].per_capita is None
    assert snaps["A1"].status == "registered" and snaps["A1"].size == 1 and snaps["A1"].year == YEAR
    # The snapshot stays as it was when the household changes afterwards.
    actions.set_status(SYSTEM, households[0], "exited_policy", dt.date(2025, 12, 1))
    assert HouseholdSnapshot.objects.get(round=rnd, household=households[0]).status == "registered"
    # A closed round takes no more checks.
    last = RecheckRecord.objects.get(round=rnd, household__number="A3")
    response = cadre.post(reverse("registry:recheck_record", args=[rnd.pk, last.pk]), {"nothing": "on"})
    assert response.status_code == 200 and not response.context["can_edit"]
    last.refresh_from_db()
    assert not last.checked
    with pytest.raises(Invalid):
        actions.record_recheck(SYSTEM, last, "late")


def test_a_closed_round_cannot_be_closed_twice(households):
    rnd = actions.open_recheck(SYSTEM, Area.objects.get(code=VILLAGE_A), YEAR)
    for record in rnd.records.all():
        actions.record_recheck(SYSTEM, record, "ok")
    actions.close_recheck(SYSTEM, rnd)
    assert HouseholdSnapshot.objects.filter(round=rnd).count() == 3
    from fupin.core.errors import Conflict

    with pytest.raises(Conflict):
        actions.close_recheck(SYSTEM, rnd)


def test_the_list_shows_rounds_over_the_users_area_and_above(households, make_user, login):
    county_round = actions.open_recheck(SYSTEM, Area.objects.get(code=COUNTY_A), YEAR)
    other_village = actions.open_recheck(SYSTEM, Area.objects.get(code=VILLAGE_2), YEAR - 1)
    cadre = login(make_user("village_cadre", VILLAGE_A))
    rows = cadre.get(reverse("registry:rechecks")).context["rows"]
    assert [r["round"].pk for r in rows] == [county_round.pk]
    assert rows[0]["total"] == 3  # the cadre's part of the county round
    assert cadre.get(reverse("registry:recheck", args=[other_village.pk])).status_code == 404
    office = login(make_user("county_office", COUNTY_A))
    assert len(office.get(reverse("registry:rechecks")).context["rows"]) == 2
