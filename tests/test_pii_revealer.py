"""One revealer for the API (core.pii.Revealer): the registry's API and the audit log's API log
their ``?reveal=1`` answers the same way — one ``pii.reveal.api`` read per answer that revealed
anything, naming the record and its area when one was revealed, the smallest area holding
them all otherwise, with the count, the personal fields in the note and the records as its
items. And the audit event's page refuses a reveal to a role that may not (403, a message in
the row the eye button swaps, nothing logged), a value that is not personal staying a 404."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.urls import reverse

from fupin.accounts import rules
from fupin.audit.models import AuditEvent, AuditItem
from fupin.core import masking
from fupin.registry import actions as registry
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A
from tests.test_registry_pages import id_number

pytestmark = pytest.mark.usefixtures("english")

HEAD_ID = id_number("19700315", "031")
PHONE = "13970012345"


def _household(number: str, group: str):
    return registry.create_household(SYSTEM, number=number, area_code=VILLAGE_A + group, category="1",
                                     standard="1", main_cause="01", identified_year=2016,
                                     status_date=dt.date(2016, 3, 1), phone="13600001111",
                                     bank_account="6217001234567890123")


@pytest.fixture
def records(two_counties):
    """Two households of village A, in its two groups (areas of 15 digits), the first with
    a member (ID number and phone)."""
    h1, h2 = _household("3607291002010001", "001"), _household("3607291002010002", "002")
    registry.add_member(SYSTEM, h1, name="张三", id_number=HEAD_ID, phone=PHONE, relation="01", ethnicity="01",
                        school_status="00", health="1")
    return {"h1": h1, "h2": h2, "member_event": AuditEvent.objects.get(action="registry.member.create")}


@pytest.fixture
def inspector(make_user):
    return make_user("inspector", COUNTY_A)


def _last_reveal() -> AuditEvent:
    return AuditEvent.objects.filter(kind="read", action="pii.reveal.api").latest("id")


def _shape(read: AuditEvent) -> tuple:
    items = AuditItem.objects.filter(event=read)
    return (read.object_type, read.object_id, read.object_repr, read.area_code, read.count, read.note,
            {i.object_id for i in items}, {i.change for i in items})


def _reveals() -> int:
    return AuditEvent.objects.filter(kind="read", action="pii.reveal.api").count()


# --- Task A: the two APIs log their reveals the same way ----------------------------------------

def test_one_record_revealed_is_named_with_its_own_area_by_both_apis(records, inspector, api):
    client = api(inspector)
    h1 = records["h1"]
    assert client.get(f"/api/v1/households/{h1.pk}", {"reveal": 1}).json()["revealed"] is True
    assert _shape(_last_reveal()) == ("registry.household", str(h1.pk), str(h1), h1.area_code, 1,
                                      "phone,bank_account", {str(h1.pk)}, {"read"})

    event = records["member_event"]
    assert len(event.area_code) == 15  # a village group's: the area is the event's own, not its village's
    body = client.get("/api/v1/audit/events", {"object_type": "registry.member", "reveal": 1}).json()
    assert [(i["id"], i["revealed"]) for i in body["items"]] == [(event.pk, True)]
    assert body["items"][0]["after"]["id_number"] == HEAD_ID
    read = _last_reveal()
    assert (read.user, read.channel) == (inspector, "api")
    assert _shape(read) == ("audit.auditevent", str(event.pk), str(event), event.area_code, 1,
                            "id_number,phone", {str(event.pk)}, {"read"})


def test_several_records_revealed_are_logged_with_the_smallest_area_holding_them_by_both_apis(records, inspector,
                                                                                              api):
    client = api(inspector)
    body = client.get("/api/v1/households", {"reveal": 1}).json()
    shown = {str(i["id"]) for i in body["items"] if i["revealed"]}
    assert shown == {str(records["h1"].pk), str(records["h2"].pk)}
    assert _shape(_last_reveal()) == ("registry.household", "", "", VILLAGE_A, 2, "phone,bank_account", shown,
                                      {"read"})

    body = client.get("/api/v1/audit/events", {"reveal": 1}).json()
    shown = {str(i["id"]) for i in body["items"] if i["revealed"]}
    assert len(shown) >= 3  # both households' creation and the member's
    read = _last_reveal()
    assert _shape(read)[:5] == ("audit.auditevent", "", "", VILLAGE_A, len(shown))
    assert _shape(read)[6:] == (shown, {"read"})
    assert read.note.split(",") == sorted(read.note.split(","))
    assert {"id_number", "phone", "bank_account"} <= set(read.note.split(","))


def test_nothing_revealed_nothing_logged(records, inspector, make_user, api):
    client = api(inspector)
    client.get("/api/v1/households")
    client.get("/api/v1/audit/events")
    assert _reveals() == 0
    # a role that may see the households but not reveal: masked, nothing logged
    helper = api(make_user("helper", VILLAGE_A))
    assert helper.get("/api/v1/households", {"reveal": 1}).json()["items"][0]["revealed"] is False
    assert _reveals() == 0


# --- Task B: the audit event's page refuses a reveal to a role that may not ----------------------

@pytest.fixture
def may_not_reveal(monkeypatch):
    monkeypatch.setitem(rules.PERMISSIONS, "inspector", rules.PERMISSIONS["inspector"] - {"pii.reveal"})


def _reveal(client, event, name):
    return client.post(reverse("audit:detail", args=[event.pk]), {"reveal": name})


@pytest.mark.usefixtures("may_not_reveal")
def test_a_role_that_may_not_reveal_gets_a_403_with_a_message_in_the_row(records, inspector, login):
    client = login(inspector)
    event = records["member_event"]
    response = _reveal(client, event, "id_number")
    assert response.status_code == 403
    row = html.unescape(response.content.decode()).strip()
    assert row.startswith('<tr data-field="id_number">') and row.endswith("</tr>")  # the row the eye swaps
    assert "Your role may not show ID numbers, phones and bank accounts in full here." in row
    assert HEAD_ID not in row and masking.mask_id_number(HEAD_ID) in row  # still masked
    assert "hx-post" not in row  # no eye button
    assert not AuditEvent.objects.filter(kind="read").exists()  # nothing logged


@pytest.mark.usefixtures("may_not_reveal")
def test_a_value_that_is_not_personal_stays_a_404_for_a_role_that_may_not_reveal(records, inspector, login):
    client = login(inspector)
    event = records["member_event"]
    assert _reveal(client, event, "name").status_code == 404
    assert _reveal(client, event, "no_such_value").status_code == 404
    assert not AuditEvent.objects.filter(kind="read").exists()


def test_a_role_that_may_reveal_still_gets_the_row_in_full(records, inspector, login):
    response = _reveal(login(inspector), records["member_event"], "id_number")
    assert response.status_code == 200
    row = html.unescape(response.content.decode())
    assert HEAD_ID in row and "may not show" not in row
    assert AuditEvent.objects.filter(kind="read", action="pii.reveal").count() == 1
