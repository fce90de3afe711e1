"""The REST API's foundation: the OpenAPI document, bearer tokens, /me, scoped users,
errors as JSON with a stable code and a Chinese message, permission checks, and a
schemathesis run over the whole schema."""

import os

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fupin.accounts import actions as accounts
from fupin.accounts.models import User
from fupin.audit.models import AuditEvent
from fupin.wsgi import application
from tests.conftest import COUNTY_A, COUNTY_B, SYSTEM, TOWNSHIP_A, VILLAGE_A, VILLAGE_B

BASE = "/api/v1"


def test_openapi_document_is_served(db):
    response = Client().get(f"{BASE}/openapi.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    doc = response.json()
    assert doc["openapi"].startswith("3.") and doc["info"]["title"] == "fupin API"
    assert "/api/v1/users/{user_id}" in doc["paths"] and "/api/v1/me" in doc["paths"]
    assert doc["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op.get("security") == [{"TokenAuth": []}], f"{method.upper()} {path} is not behind the token"


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer fp_wrong"}, {"Authorization": "Bearer "}, {"Authorization": "Token abc"}])
def test_401_json_without_a_valid_token(db, headers):
    response = Client(headers=headers).get(f"{BASE}/me")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "unauthorized" and body["message"]


def test_session_login_does_not_open_the_api(two_counties, make_user):
    client = Client()
    client.force_login(make_user("county_office", COUNTY_A))
    assert client.get(f"{BASE}/me").status_code == 401


def test_me(two_counties, make_user, api):
    user = make_user("county_office", COUNTY_A, full_name="黄国平")
    body = api(user).get(f"{BASE}/me").json()
    assert body["username"] == user.username and body["full_name"] == "黄国平"
    assert body["roles"] == [{"role": "county_office", "area_code": COUNTY_A, "area_name": "全南县"}]
    assert body["unit"] == "全南县乡村振兴局"


def test_users_list_is_scoped(two_counties, make_user, api):
    office = make_user("county_office", COUNTY_A)
    cadre = make_user("village_cadre", VILLAGE_A)
    b_cadre = make_user("village_cadre", VILLAGE_B)
    body = api(office).get(f"{BASE}/users").json()
    names = {u["username"] for u in body["items"]}
    assert {office.username, cadre.username} <= names and b_cadre.username not in names
    assert body["count"] == len(names) and body["page"] == 1
    assert api(office).get(f"{BASE}/users/{cadre.pk}").status_code == 200
    assert api(office).get(f"{BASE}/users/{b_cadre.pk}").status_code == 404
    # Paging: past the end is an empty page; absurd pages do not fail.
    assert api(office).get(f"{BASE}/users", {"page": 99}).json()["items"] == []
    assert api(office).get(f"{BASE}/users", {"page": 10**15, "page_size": 10**6}).status_code == 200
    one = api(office).get(f"{BASE}/users", {"page_size": 1}).json()
    assert len(one["items"]) == 1 and one["count"] == body["count"]
    # A role without users.view.
    response = api(cadre).get(f"{BASE}/users")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert api(cadre).get(f"{BASE}/users/{office.pk}").status_code == 404


def test_errors_have_stable_codes(two_counties, make_user, api):
    client = api(make_user("county_office", COUNTY_A))
    response = client.get(f"{BASE}/users/999999")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = client.get(f"{BASE}/users/not-a-number")
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    response = client.post(f"{BASE}/users", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    response = client.post(f"{BASE}/users", {"username": "x"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["code"] == "invalid"


def test_a_bug_is_a_json_500_and_is_logged(two_counties, make_user, api, monkeypatch, caplog):
    client = api(make_user("county_office", COUNTY_A))

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("fupin.accounts.api.visible_users", broken)
    response = client.get(f"{BASE}/me")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error" and "boom" not in response.content.decode()
    assert any(r.exc_info and r.exc_info[1].args == ("boom",) for r in caplog.records)


@pytest.mark.parametrize("where", ["api", "web"])
def test_a_value_the_database_refuses_is_invalid_not_a_crash(two_counties, make_user, api, where):
    """PostgreSQL refuses NUL bytes in text (SQLite takes them): a client error, never a 500."""
    user = make_user("county_office", COUNTY_A)
    if where == "api":
        response = api(user).get(f"{BASE}/users", {"q": "a\x00b"})
        assert response.status_code in (200, 422)
        if response.status_code == 422:
            assert response.json()["code"] == "invalid"
    else:
        client = Client()
        client.force_login(user)
        response = client.get("/accounts/users/", {"q": "a\x00b"})
        assert response.status_code in (200, 400)
    from django.db import connection

    assert response.status_code == (200 if connection.vendor == "sqlite" else 422 if where == "api" else 400)


def test_schema_documents_the_common_errors(db):
    doc = Client().get(f"{BASE}/openapi.json").json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert {"401", "403", "404", "422"} <= set(op["responses"]), f"{method.upper()} {path}"
            if "requestBody" in op:
                assert {"400", "409"} <= set(op["responses"])
    assert set(doc["components"]["schemas"]["Error"]["required"]) == {"code", "message"}


def test_messages_are_chinese_by_default_english_on_request(two_counties, make_user, api):
    client = api(make_user("county_office", COUNTY_A))
    zh = client.get(f"{BASE}/users/999999").json()["message"]
    en = client.get(f"{BASE}/users/999999", headers={"Accept-Language": "en"}).json()["message"]
    assert en == "Not found, or not in your area."
    assert zh != en and any("\u4e00" <= ch <= "\u9fff" for ch in zh)
    anon_zh = Client().get(f"{BASE}/me").json()["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in anon_zh)
    forbidden = client.post(f"{BASE}/users", {"username": "x.y", "role": "inspector", "area_code": COUNTY_A},
                            content_type="application/json").json()
    assert forbidden["code"] == "forbidden" and any("\u4e00" <= ch <= "\u9fff" for ch in forbidden["message"])


def test_english_messages(two_counties, make_user, api):
    client = api(make_user("county_office", COUNTY_A))
    en = {"Accept-Language": "en-US,en;q=0.9"}
    assert client.get(f"{BASE}/users/999999", headers=en).json() == {
        "code": "not_found", "message": "Not found, or not in your area."}
    body = Client(headers=en).get(f"{BASE}/me").json()
    assert body["code"] == "unauthorized" and "token" in body["message"]
    body = client.post(f"{BASE}/users", {"username": "x.y", "role": "helper", "area_code": VILLAGE_B},
                       content_type="application/json", headers=en).json()
    assert body["code"] == "forbidden" and body["message"].isascii()


@pytest.mark.parametrize(("role", "area", "payload", "status", "code"), [
    ("county_office", COUNTY_A, {"role": "village_cadre", "area_code": VILLAGE_A}, 201, None),
    ("county_office", COUNTY_A, {"role": "village_cadre", "area_code": VILLAGE_B}, 403, "forbidden"),
    ("county_office", COUNTY_A, {"role": "inspector", "area_code": COUNTY_A}, 403, "forbidden"),
    ("county_office", COUNTY_A, {"role": "admin", "area_code": None}, 403, "forbidden"),
    ("county_office", COUNTY_A, {"role": "leader", "area_code": "360700000000"}, 403, "forbidden"),
    ("township_officer", TOWNSHIP_A, {"role": "village_cadre", "area_code": VILLAGE_A}, 403, "forbidden"),
    ("county_office", COUNTY_A, {"role": "mayor", "area_code": VILLAGE_A}, 422, "invalid"),
    ("county_office", COUNTY_A, {"role": "helper", "area_code": "360729999999"}, 422, "invalid"),
    ("county_office", COUNTY_A, {"role": "helper", "area_code": VILLAGE_A, "password": "123"}, 422, "invalid"),
    ("admin", None, {"role": "inspector", "area_code": COUNTY_B}, 201, None),
])
def test_post_users_permissions(two_counties, make_user, api, role, area, payload, status, code):
    client = api(make_user(role, area))
    response = client.post(f"{BASE}/users", {"username": "api.new", **payload}, content_type="application/json")
    assert response.status_code == status, response.content
    body = response.json()
    if status == 201:
        assert body["user"]["username"] == "api.new" and body["user"]["roles"][0]["role"] == payload["role"]
        assert len(body["password"]) >= 10
        assert User.objects.get(username="api.new").check_password(body["password"])
        event = AuditEvent.objects.get(action="accounts.user.create", object_id=str(body["user"]["id"]))
        assert event.channel == "api"
    else:
        assert body["code"] == code and body["message"]
        assert not User.objects.filter(username="api.new").exists()
    if status == 422 and payload.get("password"):
        assert body["field"] == "password"


def test_post_users_duplicate_username(two_counties, make_user, api):
    office = make_user("county_office", COUNTY_A)
    response = api(office).post(f"{BASE}/users", {"username": office.username, "role": "helper",
                                                  "area_code": VILLAGE_A}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["field"] == "username"


def test_areas_api(two_counties, make_user, api):
    client = api(make_user("county_office", COUNTY_A))
    body = client.get(f"{BASE}/areas", {"level": "township"}).json()
    assert body["count"] > 5 and all(a["code"].startswith("360729") for a in body["items"])
    assert client.get(f"{BASE}/areas/{VILLAGE_A}").json()["parent_code"] == TOWNSHIP_A
    assert client.get(f"{BASE}/areas", {"parent": TOWNSHIP_A}).json()["items"][0]["code"] == VILLAGE_A
    units = client.get(f"{BASE}/areas/units").json()
    assert [u["name"] for u in units["items"]] == ["全南县乡村振兴局"]


@pytest.fixture
def wsgi_keeps_the_test_transaction():
    """Schemathesis calls the WSGI application, which closes the database connection at
    the end of each request (Django's test client does not); on PostgreSQL that would end
    the test's transaction. Do as the test client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# --- schemathesis over the whole schema ---------------------------------------------

# Fast by default: a few random examples per operation, positive and negative. Set
# FUPIN_API_FUZZ=deep for schemathesis's coverage phase too (boundary values, missing
# parameters, unexpected methods: it finds more, at many times the cost, most of it at
# collection) and more examples.
DEEP = os.environ.get("FUPIN_API_FUZZ") == "deep"
schema = schemathesis.openapi.from_wsgi(f"{BASE}/openapi.json", application)
schema.config.phases.coverage.enabled = DEEP


@pytest.fixture
def token(two_counties, make_user, wsgi_keeps_the_test_transaction):
    user = make_user("county_office", COUNTY_A)
    make_user("village_cadre", VILLAGE_A)
    make_user("village_cadre", VILLAGE_B)
    return accounts.create_token(SYSTEM, user)


@schema.parametrize()
@settings(max_examples=50 if DEEP else 5, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_conforms_to_its_schema(case, token):
    """No 5xx; status codes, content types and bodies as the schema says. Schemathesis
    also sends invalid data: it must be answered with a documented error, never a crash.
    (Requests without the token: test_scoping_routes checks every operation.)"""
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[schemathesis.checks.not_a_server_error, status_code_conformance, content_type_conformance,
                response_schema_conformance],
    )

