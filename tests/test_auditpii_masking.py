"""Personal numbers in the audit log (ID numbers, phones, bank accounts) are masked on the
event's page and in the API — the value and its title alike, also inside lists and dicts —
as everywhere else: a role that may see them (``pii.reveal`` at the event's area, as on the
household card) reveals one with the eye button (page) or ``?reveal=1`` (API), and every
such reveal is logged as a sensitive read."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

from fupin.accounts import rules
from fupin.audit import actions as audit
from fupin.audit.models import AuditEvent, AuditItem
from fupin.core import masking
from fupin.registry import actions as registry
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A
from tests.test_registry_pages import id_number

pytestmark = pytest.mark.usefixtures("english")

HEAD_ID = id_number("19700315", "031")
WIFE_ID = id_number("19720708", "042")
PHONE, WIFE_PHONE = "13970012345", "13870054321"
BANK = "6217001234567890123"


@pytest.fixture
def logged(two_counties):
    """A member added (registry.member.create: the member's ID number and phone) and an event
    whose values hold personal numbers inside a list and a dict."""
    h = registry.create_household(SYSTEM, number="3607291002010001", area_code=VILLAGE_A + "001", category="1",
                                  standard="1", main_cause="01", identified_year=2016, status_date=dt.date(2016, 3, 1),
                                  phone="13600001111", bank_account=BANK)
    registry.add_member(SYSTEM, h, name="张三", id_number=HEAD_ID, phone=PHONE, relation="01", ethnicity="01",
                        school_status="00", health="1")
    member_event = AuditEvent.objects.filter(action="registry.member.create").latest("id")
    nested = audit.record(SYSTEM, "someapp.members.copy", object_type="registry.household", object_id=str(h.pk),
                          area_code=h.area_code, after={
                              "members": [{"name": "张三", "id_number": HEAD_ID, "phone": PHONE},
                                          {"name": "李四", "id_number": WIFE_ID, "phone": WIFE_PHONE}],
                              "contact": {"head_id_number": HEAD_ID, "note": "自愿"},
                              "count": 2})
    household_event = AuditEvent.objects.filter(action="registry.household.create").latest("id")
    return {"h": h, "member": member_event, "nested": nested, "household": household_event}


@pytest.fixture
def may_not_reveal(monkeypatch):
    """An inspector's role without ``pii.reveal`` (every role with ``audit.view`` holds it today:
    this is the reader the rule is about)."""
    monkeypatch.setitem(rules.PERMISSIONS, "inspector", rules.PERMISSIONS["inspector"] - {"pii.reveal"})


def page(client, event) -> str:
    response = client.get(reverse("audit:detail", args=[event.pk]))
    assert response.status_code == 200
    return response.content.decode()


def row(body: str, name: str) -> str:
    start = body.index(f'<tr data-field="{name}">')
    return html.unescape(body[start:body.index("</tr>", start)])


def reveal(client, event, name):
    return client.post(reverse("audit:detail", args=[event.pk]), {"reveal": name})


def reads() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind="read").order_by("id"))


NUMBERS = (HEAD_ID, WIFE_ID, PHONE, WIFE_PHONE, BANK, "13600001111")


def assert_masked(text: str) -> None:
    for number in NUMBERS:
        assert number not in text, number


# --- the event's page ---------------------------------------------------------------------------

@pytest.mark.usefixtures("may_not_reveal")
def test_the_page_masks_the_numbers_for_a_role_that_may_not_see_them(logged, make_user, login):
    client = login(make_user("inspector", COUNTY_A))
    body = page(client, logged["member"])
    assert_masked(html.unescape(body))  # nowhere: not in the values, not in their titles
    id_row, phone_row = row(body, "id_number"), row(body, "phone")
    assert f'title="{masking.mask_id_number(HEAD_ID)}">{masking.mask_id_number(HEAD_ID)}<' in id_row
    assert f'title="{masking.mask_phone(PHONE)}">{masking.mask_phone(PHONE)}<' in phone_row
    assert "hx-post" not in body  # no eye button
    assert ">张三<" in row(body, "name")  # the other values as they were
    # the household's phone and bank account too
    household = html.unescape(page(client, logged["household"]))
    assert_masked(household)
    assert masking.mask_bank_account(BANK) in row(household, "bank_account")
    # asking for a value anyway: refused (403, the row still masked), and nothing logged
    assert reveal(client, logged["member"], "id_number").status_code == 403
    assert reads() == []


@pytest.mark.usefixtures("may_not_reveal")
def test_nested_values_are_masked_for_a_role_that_may_not_see_them(logged, make_user, login):
    body = html.unescape(page(login(make_user("inspector", COUNTY_A)), logged["nested"]))
    assert_masked(body)
    members = row(body, "members")
    assert masking.mask_id_number(WIFE_ID) in members and masking.mask_phone(WIFE_PHONE) in members
    assert "李四" in members  # names are not masked
    assert masking.mask_id_number(HEAD_ID) in row(body, "contact") and "自愿" in row(body, "contact")


def test_a_role_that_may_see_them_gets_them_masked_with_the_eye_and_the_reveal_is_logged(logged, make_user, login):
    inspector = make_user("inspector", COUNTY_A)
    client = login(inspector)
    body = page(client, logged["member"])
    assert_masked(html.unescape(body))  # masked until asked, as on the household card
    id_row = row(body, "id_number")
    assert 'hx-post="' + reverse("audit:detail", args=[logged["member"].pk]) + '"' in id_row
    assert '{"reveal": "id_number"}' in id_row and "Show (this is logged)" in id_row
    assert "hx-post" not in row(body, "name")  # nothing to reveal there
    assert reads() == []  # showing the page masked logs nothing
    response = reveal(client, logged["member"], "id_number")
    assert response.status_code == 200
    shown = html.unescape(response.content.decode())
    assert f'title="{HEAD_ID}">{HEAD_ID}<' in shown and shown.startswith('<tr data-field="id_number">')
    assert PHONE not in shown  # one value at a time
    [read] = reads()
    assert (read.action, read.user, read.channel) == ("pii.reveal", inspector, "web")
    assert (read.object_type, read.object_id, read.area_code) == (
        "registry.member", logged["member"].object_id, logged["member"].area_code)
    assert read.note == "id_number" and read.after == {"event": logged["member"].pk, "field": "id_number"}
    # the read's own page names the event and the value
    read_page = html.unescape(page(client, read))
    assert f"#{logged['member'].pk}" in row(read_page, "event") and "ID number" in row(read_page, "field")


def test_a_nested_value_is_revealed_whole_and_logged(logged, make_user, login):
    client = login(make_user("inspector", COUNTY_A))
    body = html.unescape(page(client, logged["nested"]))
    assert_masked(body)
    assert '{"reveal": "members"}' in row(body, "members") and '{"reveal": "contact"}' in row(body, "contact")
    assert "hx-post" not in row(body, "count")
    shown = html.unescape(reveal(client, logged["nested"], "members").content.decode())
    assert HEAD_ID in shown and WIFE_ID in shown and WIFE_PHONE in shown
    assert re.search(r'title="[^"]*' + WIFE_ID, shown)  # the raw value in the title too
    assert [(r.action, r.note) for r in reads()] == [("pii.reveal", "members")]


def test_a_value_that_is_not_personal_is_not_revealed(logged, make_user, login):
    client = login(make_user("inspector", COUNTY_A))
    assert reveal(client, logged["member"], "name").status_code == 404
    assert reveal(client, logged["member"], "no_such_value").status_code == 404
    # a personal value the event did not change is not on the page: nothing to reveal either
    same = audit.record(SYSTEM, "registry.member.update", object_type="registry.member", object_id="1",
                        area_code=VILLAGE_A, before={"phone": PHONE, "name": "张三"},
                        after={"phone": PHONE, "name": "张叁"})
    assert reveal(client, same, "phone").status_code == 404
    assert reads() == []


def test_another_county_inspector_reveals_nothing(logged, make_user, login):
    client = login(make_user("inspector", "360783000000"))
    assert reveal(client, logged["member"], "id_number").status_code == 404
    assert reads() == []


# --- the API ------------------------------------------------------------------------------------

def _events(client, **query):
    response = client.get("/api/v1/audit/events", {"object_type": "", **query})
    assert response.status_code == 200, response.content
    return {item["id"]: item for item in response.json()["items"]}


@pytest.mark.usefixtures("may_not_reveal")
def test_the_api_masks_the_numbers_for_a_role_that_may_not_see_them(logged, make_user, api):
    client = api(make_user("inspector", COUNTY_A))
    for query in ({}, {"reveal": "1"}):
        response = client.get("/api/v1/audit/events", query)
        assert_masked(response.content.decode())
        items = {i["id"]: i for i in response.json()["items"]}
        member = items[logged["member"].pk]
        assert member["after"]["id_number"] == masking.mask_id_number(HEAD_ID)
        assert member["after"]["phone"] == masking.mask_phone(PHONE)
        assert member["after"]["name"] == "张三" and member["revealed"] is False
        nested = items[logged["nested"].pk]["after"]
        assert nested["members"][1] == {"name": "李四", "id_number": masking.mask_id_number(WIFE_ID),
                                        "phone": masking.mask_phone(WIFE_PHONE)}
        assert nested["contact"] == {"head_id_number": masking.mask_id_number(HEAD_ID), "note": "自愿"}
        assert nested["count"] == 2
    assert reads() == []


def test_the_api_reveals_on_request_to_a_role_that_may_and_logs_it(logged, make_user, api):
    inspector = make_user("inspector", COUNTY_A)
    client = api(inspector)
    masked = client.get("/api/v1/audit/events")
    assert_masked(masked.content.decode())  # without ?reveal=1: masked, nothing logged
    assert reads() == []
    items = _events(client, reveal="1")
    member, nested = items[logged["member"].pk], items[logged["nested"].pk]
    assert member["after"]["id_number"] == HEAD_ID and member["after"]["phone"] == PHONE
    assert member["revealed"] is True
    assert nested["after"]["members"][1]["id_number"] == WIFE_ID and nested["revealed"] is True
    assert items[logged["household"].pk]["after"]["bank_account"] == BANK
    revealed = {pk for pk, item in items.items() if item["revealed"]}
    assert revealed == {logged["member"].pk, logged["nested"].pk, logged["household"].pk}
    # one sensitive read, naming the events shown in full as its rows
    [read] = reads()
    assert (read.action, read.user, read.channel, read.object_type) == (
        "pii.reveal.api", inspector, "api", "audit.auditevent")
    assert read.count == 3 and read.area_code.startswith("360729")
    assert set(read.note.split(",")) >= {"id_number", "phone", "members", "bank_account"}
    assert {int(i.object_id) for i in AuditItem.objects.filter(event=read)} == revealed
    assert {i.change for i in AuditItem.objects.filter(event=read)} == {"read"}
    # the log itself is unchanged
    assert AuditEvent.objects.get(pk=logged["member"].pk).after["id_number"] == HEAD_ID
