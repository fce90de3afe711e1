"""A new household's first status, and a change of status of many households at once, follow
set_status's rule for a status a procedure sets (registered: identification; exited_policy:
exit — read from the procedure types): a user without ``registry.correct`` cannot create a
household directly as registered or exited (page, API, action), a county office can with a
reason, logged as a correction. A new household starts as being identified (识别中).

A household that comes onto the register while a re-check round is open over it — moved into the
round's area, or from 一般农户 to being identified — gets its record in the round."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from fupin.areas.models import Area
from fupin.audit.models import AuditEvent
from fupin.core.actor import Actor
from fupin.core.errors import Forbidden, Invalid
from fupin.registry import actions
from fupin.registry.models import Household, RecheckRecord, StatusChange
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A, VILLAGE_B

pytestmark = pytest.mark.usefixtures("english")

DAY = dt.date(2020, 6, 1)
VALUES = {"area_code": VILLAGE_A + "001", "category": "1", "standard": "1", "main_cause": "01",
          "identified_year": 2020, "status_date": DAY}


@pytest.fixture
def cadre(two_counties, make_user):
    return make_user("village_cadre", VILLAGE_A)


@pytest.fixture
def office(two_counties, make_user):
    return make_user("county_office", COUNTY_A)


def _create(user, number, status, **extra):
    return actions.create_household(Actor(user=user), number=number, status=status, **VALUES, **extra)


# --- the action --------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["registered", "exited_policy"])
def test_a_cadre_cannot_create_a_household_with_a_procedures_status(cadre, status):
    with pytest.raises(Forbidden, match="start the procedure") as refused:
        _create(cadre, "N1", status)
    assert refused.value.field == "status"
    assert not Household.objects.filter(number="N1").exists()
    assert not StatusChange.objects.filter(household__number="N1").exists()


@pytest.mark.parametrize("status", ["identified", "rural"])
def test_a_cadre_creates_a_household_being_identified_or_monitored(cadre, status):
    h = _create(cadre, "N2", status)
    assert h.status == status
    assert StatusChange.objects.get(household=h).reason == "created"


def test_a_county_office_enters_a_registered_household_as_a_correction_with_its_reason(office):
    with pytest.raises(Invalid, match="needs its reason") as refused:
        _create(office, "N3", "registered")
    assert refused.value.field == "reason"
    assert not Household.objects.filter(number="N3").exists()
    h = _create(office, "N3", "registered", status_reason="  filed on paper in 2016  ")
    change = StatusChange.objects.get(household=h)
    assert (change.status, change.reason) == ("registered", "filed on paper in 2016")
    event = AuditEvent.objects.get(action="registry.household.create", object_id=str(h.pk))
    assert event.after["correction"] is True and event.after["reason"] == "filed on paper in 2016"


def test_the_system_and_the_office_outside_its_county_are_as_before(office):
    assert actions.create_household(SYSTEM, number="N4", status="registered", **VALUES).status == "registered"
    outside = {**VALUES, "area_code": VILLAGE_B + "001"}
    with pytest.raises(Forbidden):
        actions.create_household(Actor(user=office), number="N5", status="registered", status_reason="x", **outside)


# --- many at once ------------------------------------------------------------------------------

def test_set_status_many_guards_a_procedures_status_too(cadre, office):
    households = [actions.create_household(SYSTEM, number=f"M{i}", status="identified", **VALUES) for i in range(3)]
    qs = Household.objects.filter(pk__in=[h.pk for h in households])
    with pytest.raises(Forbidden, match="start the procedure"):
        actions.set_status_many(Actor(user=cadre), qs, "registered", DAY)
    with pytest.raises(Invalid, match="needs its reason"):
        actions.set_status_many(Actor(user=office), qs, "registered", DAY)
    assert set(qs.values_list("status", flat=True)) == {"identified"}
    assert actions.set_status_many(Actor(user=office), qs, "registered", DAY, reason="county decision 12") == 3
    event = AuditEvent.objects.filter(action="registry.household.status_many").latest("pk")
    assert event.after["correction"] is True
    # a procedure's own batch and another status are not corrections
    assert actions.set_status_many(Actor(user=cadre), qs, "returned", DAY) == 3
    assert "correction" not in AuditEvent.objects.filter(action="registry.household.status_many").latest("pk").after
    assert actions.set_status_many(Actor(user=cadre), qs, "registered", DAY, source="procedure:7") == 3
    assert "correction" not in AuditEvent.objects.filter(action="registry.household.status_many").latest("pk").after


# --- the page and the API ----------------------------------------------------------------------

def _post(user, login, **changes):
    data = {"number": "P1", "area_code": VILLAGE_A, "category": "1", "standard": "1", "main_cause": "01",
            "identified_year": "2020", "status": "registered", "status_date": "2020-06-01", **changes}
    return login(user).post(reverse("registry:household_create"), data)


def test_the_page_offers_a_cadre_no_procedure_status_and_starts_as_being_identified(cadre, login):
    page = login(cadre).get(reverse("registry:household_create")).content.decode()
    assert 'value="identified" selected' in page
    assert 'value="registered"' not in page and 'value="exited_policy"' not in page
    assert 'name="status_reason"' not in page
    response = _post(cadre, login)
    assert response.status_code == 200 and not Household.objects.filter(number="P1").exists()
    assert _post(cadre, login, status="identified").status_code == 302


def test_the_page_lets_a_county_office_enter_a_registered_household_with_a_reason(office, login):
    page = login(office).get(reverse("registry:household_create")).content.decode()
    assert 'value="registered"' in page and 'name="status_reason"' in page
    html = _post(office, login).content.decode()
    assert "needs its reason" in html and not Household.objects.filter(number="P1").exists()
    assert _post(office, login, status_reason="paper file").status_code == 302
    assert Household.objects.get(number="P1").status == "registered"


def test_the_api_defaults_to_being_identified_and_refuses_a_procedures_status(cadre, office, api):
    body = {"number": "A1", "area_code": VILLAGE_A, "main_cause": "01", "identified_year": 2020, "members": []}
    response = api(cadre).post("/api/v1/households", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.json()
    assert Household.objects.get(number="A1").status == "identified"
    body = {**body, "number": "A2", "status": "贫困户（未脱贫）"}
    response = api(cadre).post("/api/v1/households", json.dumps(body), content_type="application/json")
    assert response.status_code == 403 and not Household.objects.filter(number="A2").exists()
    response = api(office).post("/api/v1/households", json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    body["status_reason"] = "paper file"
    response = api(office).post("/api/v1/households", json.dumps(body), content_type="application/json")
    assert response.status_code == 201 and Household.objects.get(number="A2").status == "registered"


# --- coming onto the register while a round is open ----------------------------------------------

def _village(code):
    return Area.objects.get(code=code, valid_to__isnull=True)


def test_a_household_moved_into_an_open_rounds_area_joins_it(office):
    h = actions.create_household(SYSTEM, number="R1", status="registered", **{**VALUES, "area_code": VILLAGE_B})
    rnd = actions.open_recheck(SYSTEM, _village(VILLAGE_A), 2025)
    assert not RecheckRecord.objects.filter(household=h).exists()
    actions.update_household(SYSTEM, h, area_code=VILLAGE_A + "001")
    assert list(RecheckRecord.objects.filter(household=h).values_list("round_id", flat=True)) == [rnd.pk]
    rnd.refresh_from_db()
    assert rnd.household_count == rnd.records.count() == 1


def test_a_monitored_household_identified_while_a_round_is_open_joins_it(cadre):
    one = actions.create_household(SYSTEM, number="R2", status="rural", **VALUES)
    for i in range(2):
        actions.create_household(SYSTEM, number=f"R3{i}", status="rural", **VALUES)
    rnd = actions.open_recheck(SYSTEM, _village(VILLAGE_A), 2025)
    assert not rnd.records.exists()
    actions.set_status(Actor(user=cadre), one, "identified", DAY)
    actions.set_status_many(Actor(user=cadre), Household.objects.filter(number__startswith="R3"), "identified", DAY)
    assert set(rnd.records.values_list("household__number", flat=True)) == {"R2", "R30", "R31"}
    rnd.refresh_from_db()
    assert rnd.household_count == 3


# --- the fields of identification, in the action -----------------------------------------------

def test_the_action_refuses_emptying_what_the_status_needs_and_defaults_nothing_off_the_register(cadre):
    with pytest.raises(Invalid, match="required for a household whose status is") as refused:
        actions.create_household(SYSTEM, number="F1", status="identified", **{**VALUES, "category": ""})
    assert refused.value.field == "category"
    monitored = actions.create_household(SYSTEM, number="F2", status="rural", area_code=VILLAGE_A)
    assert (monitored.category, monitored.standard) == ("", "")
    poor = actions.create_household(SYSTEM, number="F3", status="identified", area_code=VILLAGE_A)
    assert (poor.category, poor.standard) == ("1", "1")  # (the model's defaults, as before)
    with pytest.raises(Invalid, match="required for a household whose status is") as refused:
        actions.update_household(Actor(user=cadre), poor, standard=" ")
    assert refused.value.field == "standard"
    assert actions.update_household(Actor(user=cadre), monitored, standard="").standard == ""


def test_a_household_moved_between_two_rounds_of_a_year_is_re_checked_once(two_counties):
    """一年一核: the round it left keeps its record; the round of the same year where it arrives
    does not take it again (a round of another year does)."""
    h = actions.create_household(SYSTEM, number="R4", status="registered", **{**VALUES, "area_code": VILLAGE_B})
    left = actions.open_recheck(SYSTEM, _village(VILLAGE_B), 2025)
    same_year = actions.open_recheck(SYSTEM, _village(VILLAGE_A), 2025)
    next_year = actions.open_recheck(SYSTEM, _village(VILLAGE_A), 2026)
    actions.update_household(SYSTEM, h, area_code=VILLAGE_A + "001")
    assert set(RecheckRecord.objects.filter(household=h).values_list("round_id", flat=True)) == {left.pk, next_year.pk}
    same_year.refresh_from_db()
    assert same_year.household_count == same_year.records.count() == 0
