"""The audit trail: every action writes an event with the values before and after;
the log is append-only in the database itself; the search page and the API are
scoped; sensitive reads are logged."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fupin.accounts import actions as accounts
from fupin.accounts.models import ApiToken
from fupin.areas import actions as areas
from fupin.areas.models import Area, Unit
from fupin.audit import actions as audit
from fupin.audit.models import AuditEvent, AuditItem
from fupin.core import clock
from fupin.core.actor import Actor
from tests.conftest import COUNTY_A, COUNTY_B, PASSWORD, SYSTEM, VILLAGE_A, VILLAGE_B


def as_user(user, ip="198.51.100.20", channel="web") -> Actor:
    return Actor(user=user, ip=ip, channel=channel)


def latest(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-id").first()


# --- every action writes an event ---------------------------------------------------

def test_create_user_event(two_counties, make_user):
    office = make_user("county_office", COUNTY_A)
    moment = timezone.make_aware(dt.datetime(2026, 5, 4, 9, 30))
    with clock.frozen(moment):
        user, _ = accounts.create_user(as_user(office), username="new.cadre", role="village_cadre",
                                       area_code=VILLAGE_A, full_name="钟秀英", password=PASSWORD)
    event = latest("accounts.user.create")
    assert (event.user, event.username, event.ip, event.channel) == (office, office.username, "198.51.100.20", "web")
    assert event.at == moment
    assert (event.object_type, event.object_id, event.area_code) == ("accounts.user", str(user.pk), VILLAGE_A)
    assert event.before is None
    assert event.after["username"] == "new.cadre" and event.after["full_name"] == "钟秀英"
    assert event.after["role"] == "village_cadre" and event.after["area"] == VILLAGE_A
    assert "password" not in event.after


@pytest.mark.parametrize(
    ("do", "action", "before_keys", "after_keys"),
    [
        (lambda a, u: accounts.set_active(a, u, False), "accounts.user.deactivate", {"is_active"}, {"is_active"}),
        (lambda a, u: accounts.grant_role(a, u, "helper", VILLAGE_A), "accounts.role.grant", None, {"role", "area"}),
        (lambda a, u: accounts.set_password(a, u, "Another-pass-2026!"), "accounts.user.set_password", None, None),
        (lambda a, u: accounts.unlock(a, u), "accounts.user.unlock", None, None),
        (lambda a, u: accounts.create_token(a, u, "etl"), "accounts.token.create", None, {"token", "label"}),
    ],
)
def test_account_actions_are_logged(two_counties, make_user, do, action, before_keys, after_keys):
    office = make_user("county_office", COUNTY_A)
    target = make_user("village_cadre", VILLAGE_A)
    count = AuditEvent.objects.count()
    do(as_user(office), target)
    assert AuditEvent.objects.count() == count + 1
    event = latest(action)
    assert event.user == office and event.object_id == str(target.pk)
    assert event.area_code == VILLAGE_A, "an event about a user carries the user's area (else no auditor sees it)"
    assert (set(event.before) if event.before else None) == before_keys
    assert (set(event.after) if event.after else None) == after_keys
    if action == "accounts.user.deactivate":
        assert event.before == {"is_active": True} and event.after == {"is_active": False}
        assert event.changed_fields() == [("is_active", True, False)]


def test_revoke_role_and_token_are_logged(two_counties, make_user):
    office = make_user("county_office", COUNTY_A)
    target = make_user("village_cadre", VILLAGE_A)
    assignment = accounts.grant_role(as_user(office), target, "helper", VILLAGE_A)
    accounts.revoke_role(as_user(office), assignment)
    event = latest("accounts.role.revoke")
    assert event.before == {"role": "helper", "area": VILLAGE_A} and event.after is None
    accounts.create_token(as_user(office), target)
    accounts.revoke_token(as_user(office), ApiToken.objects.get(user=target))
    assert latest("accounts.token.revoke").area_code == VILLAGE_A


def test_unit_changes_are_logged_with_before_and_after(two_counties, make_user):
    office = make_user("county_office", COUNTY_A)
    area = Area.objects.get(code=COUNTY_A)
    unit = areas.save_unit(as_user(office), None, name="全南县民政局", kind="government", area=area)
    created = latest("areas.unit.create")
    assert created.before is None and created.after["name"] == "全南县民政局" and created.area_code == COUNTY_A
    areas.save_unit(as_user(office), unit, name="全南县民政局（改）", short_name="民政")
    updated = latest("areas.unit.update")
    assert updated.before["name"] == "全南县民政局" and updated.after["name"] == "全南县民政局（改）"
    assert dict((k, (b, a)) for k, b, a in updated.changed_fields()) == {
        "name": ("全南县民政局", "全南县民政局（改）"), "short_name": ("", "民政")}


def test_bulk_import_is_one_event_listing_its_rows(two_counties, make_user, tmp_path):
    office = make_user("county_office", COUNTY_A)
    path = tmp_path / "villages.csv"
    path.write_text("统计用区划代码,名称\n360729100202,新屋村\n360729100203,大坪村\n360729100201,石桥村（新名）\n",
                    encoding="utf-8")
    count = AuditEvent.objects.count()
    created, renamed, report = areas.import_areas(as_user(office), path)
    assert (created, renamed, bool(report)) == (2, 1, False)
    assert AuditEvent.objects.count() == count + 1
    event = latest("areas.import")
    assert event.kind == "bulk" and event.count == 3 and event.after["created"] == 2
    assert event.area_code == "360729100000"
    items = {(i.object_id, i.change) for i in AuditItem.objects.filter(event=event)}
    assert items == {("360729100202", "created"), ("360729100203", "created"), ("360729100201", "renamed")}


def test_sign_in_events(two_counties, make_user):
    user = make_user("village_cadre", VILLAGE_A)
    Client().post("/accounts/login/", {"username": user.username, "password": "Wrong-pass-2026!"})
    Client().post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    failed, ok = latest("accounts.login.failed"), latest("accounts.login")
    assert failed.kind == ok.kind == "auth"
    assert failed.area_code == ok.area_code == VILLAGE_A
    assert ok.user == user and ok.ip == "127.0.0.1"


def test_api_channel_is_recorded(two_counties, make_user, api):
    office = make_user("county_office", COUNTY_A)
    response = api(office).post("/api/v1/users", {"username": "api.made", "role": "helper", "area_code": VILLAGE_A,
                                                  "password": PASSWORD}, content_type="application/json")
    assert response.status_code == 201
    event = latest("accounts.user.create")
    assert event.channel == "api" and event.user == office


# --- append-only, in the database ------------------------------------------------------

def _refused(sql_or_fn):
    with pytest.raises(DatabaseError) as exc, transaction.atomic():
        if callable(sql_or_fn):
            sql_or_fn()
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql_or_fn)
    assert "append-only" in str(exc.value)


def test_append_only_triggers(two_counties):
    event = audit.record(SYSTEM, "test.event", object_type="x", object_id="1", area_code=COUNTY_A)
    audit.record_items(event, [("1", "created"), ("2", "created")])
    with connection.cursor() as cursor:
        # The suite lets Django empty the tables (conftest); take that away for this test only.
        cursor.execute("DELETE FROM audit_maintenance")

    _refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(note="rewritten"))
    _refused(lambda: AuditEvent.objects.filter(pk=event.pk).delete())
    _refused(lambda: AuditItem.objects.filter(event=event).update(change="deleted"))
    _refused(lambda: AuditItem.objects.filter(event=event).delete())
    _refused(f"UPDATE audit_auditevent SET username = 'x' WHERE id = {int(event.pk)}")  # noqa: S608
    _refused("DELETE FROM audit_auditevent")
    _refused("DELETE FROM audit_audititem")
    if connection.vendor == "postgresql":
        _refused("TRUNCATE audit_auditevent")
        _refused("TRUNCATE audit_audititem")

    event.refresh_from_db()
    assert event.note == "" and AuditItem.objects.filter(event=event).count() == 2
    # Appending still works.
    audit.record(SYSTEM, "test.after", object_type="x")
    assert AuditEvent.objects.filter(action="test.after").exists()


def test_model_instance_save_cannot_rewrite_an_event(two_counties):
    event = audit.record(SYSTEM, "test.event", object_type="x", area_code=COUNTY_A)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_maintenance")
    event.action = "test.forged"
    _refused(event.save)
    _refused(event.delete)


# --- the search page and the API are scoped -----------------------------------------

@pytest.fixture
def events(two_counties, make_user):
    office_a = make_user("county_office", COUNTY_A, username="office_a")
    office_b = make_user("county_office", COUNTY_B, username="office_b")
    with clock.frozen(timezone.make_aware(dt.datetime(2026, 1, 10, 9))):
        a_user, _ = accounts.create_user(as_user(office_a), username="quannan.cadre", role="village_cadre",
                                         area_code=VILLAGE_A, full_name="全南 村干部", password=PASSWORD)
    with clock.frozen(timezone.make_aware(dt.datetime(2026, 2, 10, 9))):
        b_user, _ = accounts.create_user(as_user(office_b), username="longnan.cadre", role="village_cadre",
                                         area_code=VILLAGE_B, full_name="龙南 村干部", password=PASSWORD)
        accounts.set_active(as_user(office_b), b_user, False)
    return {"a_user": a_user, "b_user": b_user}


def _page_events(client, **query):
    response = client.get(reverse("audit:list"), query)
    assert response.status_code == 200
    return list(response.context["page_obj"])


def test_inspector_searches_only_their_county(events, make_user):
    inspector = make_user("inspector", COUNTY_A)
    client = Client()
    client.force_login(inspector)
    seen = _page_events(client)
    assert seen and all(e.area_code.startswith("360729") for e in seen)
    assert {"quannan.cadre"} <= {e.object_repr for e in seen} | {e.after.get("username") for e in seen if e.after}
    assert not [e for e in seen if e.object_id == str(events["b_user"].pk)]
    # Asking for county B's area, user or object gives nothing.
    assert _page_events(client, area="360783") == []
    assert _page_events(client, user="office_b") == []
    assert _page_events(client, object_type="accounts.user", object_id=str(events["b_user"].pk)) == []
    # Filters inside the county.
    assert {e.object_id for e in _page_events(client, object_type="accounts.user",
                                              object_id=str(events["a_user"].pk))} == {str(events["a_user"].pk)}
    assert [e.action for e in _page_events(client, user="office_a", action="accounts.user.create")] == [
        "accounts.user.create"]
    assert _page_events(client, since="2026-01-11", until="2026-01-31") == []
    assert len(_page_events(client, since="2026-01-10", until="2026-01-10")) == 1
    assert _page_events(client, since="not-a-date") == seen  # a bad date is not applied (and the page says so)
    # The detail page: own county's event shown with its values, county B's is a 404.
    a_event = AuditEvent.objects.get(action="accounts.user.create", object_id=str(events["a_user"].pk))
    b_event = AuditEvent.objects.get(action="accounts.user.create", object_id=str(events["b_user"].pk))
    detail = client.get(reverse("audit:detail", args=[a_event.pk]))
    assert detail.status_code == 200 and "quannan.cadre" in detail.content.decode()
    assert client.get(reverse("audit:detail", args=[b_event.pk])).status_code == 404


def test_date_filters_read_as_people_write_them(events, make_user):
    client = Client()
    client.force_login(make_user("inspector", COUNTY_A))
    assert _page_events(client, since="2026/1/11", until="2026年1月31日") == []
    response = client.get(reverse("audit:list"), {"since": "2026/1/10", "until": "2026年1月10日"})
    assert len(response.context["page_obj"]) == 1
    # The inputs (type="date") show the dates applied, as the browser reads them.
    assert 'value="2026-01-10"' in response.content.decode()


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize("typed", ["2026-02-30", "not-a-date", "1850-01-01", "99999-01-01", "%"])
def test_a_date_filter_not_understood_is_said_not_silently_dropped(events, make_user, typed):
    """It used to be dropped without a word: the user read the whole log as if filtered."""
    client = Client()
    client.force_login(make_user("inspector", COUNTY_A))
    for key in ("since", "until"):
        response = client.get(reverse("audit:list"), {key: typed})
        assert response.status_code == 200
        body = response.content.decode()
        assert f"The date “{typed}” was not understood: " in body and "That filter was not applied." in body


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize("typed", ["36072a", "３６０７２９", "360 729"])
def test_an_area_filter_that_is_not_digits_is_said_not_a_500(events, make_user, api, typed):
    """The area filter is compared as a range of codes: one that is not digits was a 500
    (int() of it) on the page and in the API."""
    client = Client()
    client.force_login(make_user("inspector", COUNTY_A))
    response = client.get(reverse("audit:list"), {"area": typed})
    assert response.status_code == 200
    assert "An area prefix has digits only. That filter was not applied." in response.content.decode()
    assert list(response.context["page_obj"]) == _page_events(client)  # (the other filters still apply)
    answer = api(make_user("inspector", COUNTY_A)).get("/api/v1/audit/events", {"area": typed},
                                                        HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 422, answer.content
    assert answer.json() == {"code": "invalid", "message": "An area prefix has digits only.", "field": "area"}


def test_township_inspector_sees_less_than_the_county(events, make_user):
    inspector = make_user("inspector", "360729101000")  # another township of county A
    client = Client()
    client.force_login(inspector)
    seen = _page_events(client)
    assert seen and all(e.area_code.startswith("360729101") for e in seen)  # its own creation only


def test_audit_api_is_scoped(events, make_user, api):
    client = api(make_user("inspector", COUNTY_A))
    response = client.get("/api/v1/audit/events")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["items"]) > 0
    assert all(item["area_code"].startswith("360729") for item in body["items"])
    assert client.get("/api/v1/audit/events", {"area": "360783"}).json()["count"] == 0
    assert client.get("/api/v1/audit/events", {"user": "office_b"}).json()["count"] == 0
    b_pk = str(events["b_user"].pk)
    b_object = {"object_type": "accounts.user", "object_id": b_pk}
    assert client.get("/api/v1/audit/events", b_object).json()["count"] == 0
    # The witness: county B's inspector sees exactly those (creation and deactivation).
    other = api(make_user("inspector", COUNTY_B))
    assert other.get("/api/v1/audit/events", b_object).json()["count"] == 2
    # Roles without audit.view get 403.
    assert api(make_user("county_office", COUNTY_A)).get("/api/v1/audit/events").status_code == 403


def test_audit_page_needs_audit_view(events, make_user):
    client = Client()
    client.force_login(make_user("county_office", COUNTY_A))
    assert client.get(reverse("audit:list")).status_code == 403


def test_no_write_path_in_the_app():
    """The audit app offers no route that changes the log: GET pages, a GET API, and the event
    page's POST that reveals one masked value (it only records a sensitive read, as core:reveal)."""
    from django.urls import get_resolver

    from fupin.api.urls import api as ninja_api

    audit_patterns = get_resolver().url_patterns
    names = [p for p in audit_patterns if getattr(p, "namespace", None) == "audit"]
    assert names, "the audit URLconf is included"
    for path, ops in ninja_api.get_openapi_schema()["paths"].items():
        if path.startswith("/api/v1/audit"):
            assert set(ops) == {"get"}
    assert not hasattr(audit, "update") and not hasattr(audit, "delete")


# --- sensitive reads ---------------------------------------------------------------------

def test_reveal_is_logged(two_counties, make_user):
    target = make_user("village_cadre", VILLAGE_A, phone="13970012345")
    office = make_user("county_office", COUNTY_A)
    client = Client()
    client.force_login(office)
    response = client.post(reverse("core:reveal", args=["accounts.user", target.pk, "phone"]),
                           REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert response.status_code == 200 and "13970012345" in response.content.decode()
    event = latest("pii.reveal")
    assert event.kind == "read" and event.user == office and event.ip == "203.0.113.5"
    assert (event.object_type, event.object_id, event.note) == ("accounts.user", str(target.pk), "phone")
    assert event.area_code.startswith(VILLAGE_A)
    # Visible to the county's inspector.
    inspector = Client()
    inspector.force_login(make_user("inspector", COUNTY_A))
    assert any(e.pk == event.pk for e in _page_events(inspector, kind="read"))


def test_failed_reveal_logs_nothing(two_counties, make_user):
    target = make_user("village_cadre", VILLAGE_B, phone="13979812345")
    client = Client()
    client.force_login(make_user("county_office", COUNTY_A))
    response = client.post(reverse("core:reveal", args=["accounts.user", target.pk, "phone"]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="pii.reveal").exists()


def test_unit_api_listing_writes_nothing(two_counties, make_user, api):
    """Reads that are not sensitive do not fill the log."""
    client = api(make_user("county_office", COUNTY_A))
    count = AuditEvent.objects.count()
    assert client.get("/api/v1/areas/units").status_code == 200
    assert AuditEvent.objects.count() == count
    assert Unit.objects.exists()


def test_text_the_database_refuses_is_kept_readable(two_counties):
    """PostgreSQL refuses NUL characters: the log keeps the event with a replacement character."""
    event = audit.record(SYSTEM, "test.nul", object_type="x", object_repr="a\x00b", note="q=\x00",
                         after={"name\x00": "x\x00y", "list": ["\x00"]}, area_code=COUNTY_A)
    event.refresh_from_db()
    assert event.object_repr == "a\ufffdb" and event.note == "q=\ufffd"
    assert event.after == {"name\ufffd": "x\ufffdy", "list": ["\ufffd"]}


def test_record_many_cleans_text_like_record(two_counties):
    """A bulk path's events (record_many) are cleaned as record() cleans one: NUL
    characters replaced (PostgreSQL refuses them), values cut to their columns."""
    written = audit.record_many(SYSTEM, "test.nul_many", [
        {"object_type": "x", "object_id": "9" * 70, "object_repr": "a\x00b", "note": "q=\x00",
         "area_code": COUNTY_A + "999", "after": {"k": "v\x00"}}])
    assert written == 1
    event = latest("test.nul_many")
    assert event.object_repr == "a\ufffdb" and event.note == "q=\ufffd" and event.after == {"k": "v\ufffd"}
    assert event.object_id == "9" * 64 and event.area_code == (COUNTY_A + "999")[:15]


def test_sign_in_with_a_nul_in_the_name_is_not_a_crash(two_counties):
    response = Client().post("/accounts/login/", {"username": "ad\x00min", "password": "x"})
    assert response.status_code in (200, 400)
