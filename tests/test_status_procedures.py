"""A status that a procedure sets when it completes (identification: registered; exit:
exited_policy — read from the procedure types' data) is set by that procedure, not by hand:
the status page and the API PATCH refuse it to a user without ``registry.correct``, naming the
procedure; a county office may set it as a correction, with a reason, logged as a correction.
Other statuses stay a plain ``registry.edit``; the system, imports and procedures are not
affected."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from fupin.accounts import rules as account_rules
from fupin.audit.models import AuditEvent
from fupin.core.actor import Actor
from fupin.core.errors import Forbidden, Invalid
from fupin.procedures.models import ProcedureType
from fupin.registry import actions
from fupin.registry.models import Household, StatusChange
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A

pytestmark = pytest.mark.usefixtures("english")

EXIT = "Exit of poor households (two notices and one announcement)"  # exit_2016 (exits/data/procedure_types.json)
DAY = dt.date(2020, 6, 1)


@pytest.fixture
def h(two_counties):
    household = actions.create_household(SYSTEM, number="3607291002010001", area_code=VILLAGE_A + "001",
                                         category="1", standard="1", main_cause="01", identified_year=2016,
                                         status="identified", status_date=dt.date(2016, 3, 1))
    actions.add_member(SYSTEM, household, name="张三", relation="01", ethnicity="01", school_status="00",
                       health="1", sex="1", no_id_reason="3")
    household.refresh_from_db()
    return household


@pytest.fixture
def cadre(make_user):
    return make_user("village_cadre", VILLAGE_A)


@pytest.fixture
def office(make_user):
    return make_user("county_office", COUNTY_A)


def _changes(household) -> list[str]:
    return list(StatusChange.objects.filter(household=household).values_list("status", flat=True))


def _event(household) -> AuditEvent:
    return AuditEvent.objects.filter(action="registry.household.status", object_id=str(household.pk)).latest("pk")


# --- the statuses come from the procedure types' data ------------------------------------------

def test_the_statuses_a_procedure_sets_are_read_from_the_types(db):
    by_status = actions.procedure_statuses()
    assert set(by_status) == {"registered", "exited_policy"}
    assert [t["code"] for t in by_status["exited_policy"]] == ["exit_2016"]
    assert {t["code"] for t in by_status["registered"]} == {"identification_2014", "identification_5day"}
    assert EXIT in [t["label"] for t in by_status["exited_policy"]]


def test_a_type_that_sets_another_status_guards_it_and_one_out_of_use_does_not(h, cadre):
    """Data, not a list in code: a type completing into "removed" makes "removed" the procedure's;
    the exit type taken out of use gives "exited_policy" back to the registry."""
    exit_type = ProcedureType.objects.get(code="exit_2016")
    definition = {**exit_type.definition, "code": "removal", "name": "清退程序", "name_en": "Removal procedure",
                  "on_complete": {"hook": "registry.set_status", "params": {"status": "removed"}}}
    ProcedureType.objects.create(code="removal", name="清退程序", name_en="Removal procedure", purpose="exit",
                                 source="test", definition=definition)
    ProcedureType.objects.filter(code="exit_2016").update(active=False)
    with pytest.raises(Forbidden, match="Removal procedure"):
        actions.set_status(Actor(user=cadre), h, "removed", DAY)
    actions.set_status(Actor(user=cadre), h, "exited_policy", DAY)
    assert _changes(h) == ["identified", "exited_policy"]


def test_the_correction_permission_is_the_county_office_s_and_the_administrator_s():
    holders = {role for role in account_rules.ROLES if account_rules.role_permits(role, "registry.correct")}
    assert holders == {"county_office", "admin"}
    assert "registry.correct" in account_rules.PERMISSION_LABELS


# --- refused without the permission ---------------------------------------------------------------

def test_a_village_cadre_cannot_exit_a_household_by_hand(h, cadre):
    with pytest.raises(Forbidden) as caught:
        actions.set_status(Actor(user=cadre), h, "exited_policy", DAY, reason="达到标准")
    message = str(caught.value.message)
    assert EXIT in message and "Exited, still receiving policies" in message
    assert caught.value.field == "status"
    h.refresh_from_db()
    assert h.status == "identified" and _changes(h) == ["identified"]


def test_the_status_page_does_not_offer_it_and_points_to_the_procedure(h, cadre, login):
    client = login(cadre)
    url = reverse("registry:household_status", args=[h.pk])
    response = client.get(url)
    offered = [value for value, _label in response.context["form"].fields["status"].choices]
    assert "exited_policy" not in offered and "registered" not in offered
    assert {"identified", "exited", "returned", "removed", "rural"} <= set(offered)
    body = response.content.decode()
    card = body[body.index('id="set-by-procedures"'):]
    start = reverse("procedures:start")
    assert f'{start}?type=exit_2016&amp;area={VILLAGE_A}&amp;q={h.number}">{EXIT}</a>' in card
    assert "start the procedure for this household" in card
    # a crafted post is refused all the same, and nothing is written
    response = client.post(url, {"status": "exited_policy", "date": DAY.isoformat(), "reason": "x"})
    assert response.status_code == 200 and response.context["form"].errors.get("status")
    h.refresh_from_db()
    assert h.status == "identified" and _changes(h) == ["identified"]


def test_the_api_refuses_a_village_cadre_with_the_procedure_named(h, cadre, api):
    response = api(cadre).patch(f"/api/v1/households/{h.pk}",
                                json.dumps({"status": "已脱贫（享受政策）", "status_date": "2020-06-01",
                                            "status_reason": "达到标准"}),
                                content_type="application/json", headers={"Accept-Language": "en"})
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["code"] == "forbidden" and EXIT in body["message"]
    assert _changes(h) == ["identified"]


# --- a correction: the permission and a reason ----------------------------------------------------

def test_a_county_office_needs_a_reason(h, office, login, api):
    with pytest.raises(Invalid) as caught:
        actions.set_status(Actor(user=office), h, "exited_policy", DAY, reason="  ")
    assert caught.value.field == "reason" and EXIT in str(caught.value.message)
    client = login(office)
    url = reverse("registry:household_status", args=[h.pk])
    form = client.get(url).context["form"]
    assert "exited_policy" in [value for value, _label in form.fields["status"].choices]
    assert "correction" in str(form.fields["reason"].help_text)
    response = client.post(url, {"status": "exited_policy", "date": DAY.isoformat(), "reason": ""})
    assert response.status_code == 200 and response.context["form"].errors.get("reason")
    response = api(office).patch(f"/api/v1/households/{h.pk}",
                                 json.dumps({"status": "exited_policy", "status_date": "2020-06-01"}),
                                 content_type="application/json", headers={"Accept-Language": "en"})
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "status_reason" and EXIT in response.json()["message"]
    assert _changes(h) == ["identified"]


def test_a_correction_with_a_reason_is_recorded_and_audited_as_one(h, office, login):
    response = login(office).post(reverse("registry:household_status", args=[h.pk]),
                                  {"status": "exited_policy", "date": DAY.isoformat(), "reason": "补录：2020 年已退出"})
    assert response.status_code == 302
    h.refresh_from_db()
    assert h.status == "exited_policy" and h.exit_year == 2020
    assert _changes(h) == ["identified", "exited_policy"]
    event = _event(h)
    assert event.after["correction"] is True and event.after["source"] == "manual"
    assert event.after["reason"] == "补录：2020 年已退出"


def test_a_correction_through_the_api(h, office, api):
    response = api(office).patch(f"/api/v1/households/{h.pk}",
                                 json.dumps({"status": "registered", "status_date": "2020-06-01",
                                             "status_reason": "识别程序已在纸上完成"}),
                                 content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "registered"
    event = _event(h)
    assert event.after["correction"] is True and event.after["source"] == "api"


def test_the_api_names_its_own_date_field(h, office, api):
    actions.set_status(SYSTEM, h, "removed", DAY)
    response = api(office).patch(f"/api/v1/households/{h.pk}",
                                 json.dumps({"status": "rural", "status_date": "2020-01-01"}),
                                 content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "status_date"


# --- what is not affected -------------------------------------------------------------------------

def test_a_status_no_procedure_sets_is_still_a_plain_edit(h, cadre, login, api):
    response = login(cadre).post(reverse("registry:household_status", args=[h.pk]),
                                 {"status": "removed", "date": DAY.isoformat(), "reason": ""})
    assert response.status_code == 302
    assert "correction" not in _event(h).after
    response = api(cadre).patch(f"/api/v1/households/{h.pk}",
                                json.dumps({"status": "rural", "status_date": "2020-07-01"}),
                                content_type="application/json")
    assert response.status_code == 200, response.content
    assert _changes(h) == ["identified", "removed", "rural"]
    assert "correction" not in _event(h).after


def test_procedures_imports_and_the_system_are_not_affected(h, cadre):
    actions.set_status(Actor(user=cadre), h, "registered", DAY, source="procedure:7")
    actions.set_status(Actor(user=cadre), h, "exited_policy", DAY + dt.timedelta(days=1), source="import")
    actions.set_status(SYSTEM, h, "registered", DAY + dt.timedelta(days=2))
    actions.set_status_many(Actor(user=cadre), Household.objects.filter(pk=h.pk), "exited_policy",
                            DAY + dt.timedelta(days=3), reason="退出程序", source="procedure:8")
    assert _changes(h) == ["identified", "registered", "exited_policy", "registered", "exited_policy"]
    assert not AuditEvent.objects.filter(action="registry.household.status", after__correction=True).exists()
