"""一年一核: a household registered while a re-check round is open over its area (of any year)
gets a record in that round, whichever way it is created (the action, the page, the API), and
the round counts it; a closed round, a round elsewhere and a household off the register get
nothing. actions.add_to_open_rounds does it set-based: the same statements for one household
or many, and nothing twice."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fupin.areas.models import Area
from fupin.registry import actions
from fupin.registry.models import Household, HouseholdSnapshot, RecheckRecord, RecheckRound
from tests.conftest import COUNTY_A, SYSTEM, TOWNSHIP_A, VILLAGE_A, VILLAGE_B

YEAR = 2025


def _area(code):
    return Area.objects.get(code=code, valid_to__isnull=True)


def _create(number, area_code=VILLAGE_A + "001", **extra):
    return actions.create_household(SYSTEM, number=number, area_code=area_code, main_cause="01",
                                    identified_year=2016, status_date=dt.date(2016, 6, 1), **extra)


@pytest.fixture
def rounds(two_counties):
    _create("OLD1")
    closed = actions.open_recheck(SYSTEM, _area(VILLAGE_A), YEAR - 1)
    actions.close_recheck(SYSTEM, closed, force=True)
    return {"county": actions.open_recheck(SYSTEM, _area(COUNTY_A), YEAR),
            "township": actions.open_recheck(SYSTEM, _area(TOWNSHIP_A), YEAR + 1),
            "b": actions.open_recheck(SYSTEM, _area(VILLAGE_B), YEAR),
            "closed": closed}


def _rounds_of(h) -> set[int]:
    return set(RecheckRecord.objects.filter(household=h).values_list("round_id", flat=True))


def test_a_household_created_gets_a_record_in_each_open_round_around_it(rounds):
    before = {k: r.household_count for k, r in rounds.items()}
    h = _create("NEW1")
    assert _rounds_of(h) == {rounds["county"].pk, rounds["township"].pk}
    record = RecheckRecord.objects.get(household=h, round=rounds["county"])
    assert record.area_code == h.area_code and not record.checked and record.checked_by is None
    for key, rnd in rounds.items():
        rnd.refresh_from_db()
        assert rnd.household_count == before[key] + (1 if key in ("county", "township") else 0), key
        assert rnd.household_count == rnd.records.count()
    # closing the round freezes it with the others
    actions.close_recheck(SYSTEM, rounds["county"], force=True)
    assert HouseholdSnapshot.objects.filter(round=rounds["county"], household=h).exists()


def test_a_household_off_the_register_gets_none(rounds):
    for number, status in (("GONE", "removed"), ("RURAL", "rural")):
        assert not _rounds_of(_create(number, status=status))
    assert _rounds_of(_create("BACK", status="returned")) == {rounds["county"].pk, rounds["township"].pk}


def test_a_household_elsewhere_gets_only_its_own_areas_rounds(rounds):
    h = _create("NEWB", area_code=VILLAGE_B + "001")
    assert _rounds_of(h) == {rounds["b"].pk}


def test_through_the_page_and_the_api(rounds, make_user, login, api):
    office = make_user("county_office", COUNTY_A)
    response = login(office).post(reverse("registry:household_create"), {
        "number": "PAGE1", "area_code": VILLAGE_A, "category": "1", "standard": "1", "main_cause": "02",
        "identified_year": "2017", "status": "identified", "status_date": "2017-03-01"})
    assert response.status_code == 302
    assert _rounds_of(Household.objects.get(number="PAGE1")) == {rounds["county"].pk, rounds["township"].pk}
    body = {"number": "API1", "area_code": VILLAGE_A + "002", "main_cause": "01", "identified_year": 2020,
            "status_date": "2020-05-01", "members": []}
    response = api(office).post("/api/v1/households", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.json()
    assert _rounds_of(Household.objects.get(number="API1")) == {rounds["county"].pk, rounds["township"].pk}
    rounds["county"].refresh_from_db()
    assert rounds["county"].household_count == rounds["county"].records.count() == 3


def test_add_to_open_rounds_is_set_based_and_adds_nothing_twice(rounds):
    """Households written without the action (as the import writes them): the same statements
    for one household as for thirty, and a second call adds nothing."""
    village, group = _area(VILLAGE_A), _area(VILLAGE_A + "001")

    def write(numbers):
        Household.objects.bulk_create(Household(number=n, area_code=group.code, county_code=COUNTY_A[:6],
                                                 village=village, group=group, status="registered",
                                                 status_date=dt.date(2020, 1, 1)) for n in numbers)
        return Household.objects.filter(number__in=numbers)

    from django.db import connection

    written = write(["S1"])
    with CaptureQueriesContext(connection) as one:
        assert actions.add_to_open_rounds(written) == 2
    many = [f"M{i}" for i in range(30)]
    written = write(many)
    with CaptureQueriesContext(connection) as thirty:
        assert actions.add_to_open_rounds(written) == 60
    assert len(one.captured_queries) == len(thirty.captured_queries)
    assert actions.add_to_open_rounds(Household.objects.filter(number__in=[*many, "S1"])) == 0
    for key in ("county", "township"):
        rounds[key].refresh_from_db()
        assert rounds[key].household_count == rounds[key].records.count() == 32
    assert RecheckRecord.objects.filter(household__number__in=many, round=rounds["b"]).count() == 0
    assert RecheckRecord.objects.filter(round=rounds["closed"]).count() == 1  # OLD1 only


def test_no_open_round_one_query(two_counties):
    from django.db import connection

    h = _create("LONE")
    with CaptureQueriesContext(connection) as ctx:
        assert actions.add_to_open_rounds(Household.objects.filter(pk=h.pk)) == 0
    statements = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1 and statements[0].startswith("SELECT r.id, COUNT(*)")
    assert not RecheckRound.objects.exists()
