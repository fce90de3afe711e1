"""Dates and amounts a client sends to the API are read as the pages read them
(fupin.api.base.Day and Amount: core.dates.parse_date, core.money.parse_amount): 2017/1/5
is 5 January 2017; a Unix timestamp, a date-time, 2017-02-30 and a year before 1880 are
refused; so are NaN, infinite, negative and too large amounts. A refusal is a 422 naming
the field, with the project's message in the language of the answer; the OpenAPI
document still says ``format: date``."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from stdnum.cn import ric

from fupin.areas.models import Area, Unit
from fupin.assistance import actions as assistance
from fupin.assistance.models import Measure, Pairing, Visit
from fupin.registry import actions as registry
from fupin.registry.models import Household
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A

pytestmark = pytest.mark.usefixtures("english")

EN = {"Accept-Language": "en"}
JAN5 = "2017-01-05"


def _id_number(birth: str, seq: str) -> str:
    base = f"360729{birth}{seq}"
    return base + ric.calc_check_digit(base + "0")


@pytest.fixture
def world(two_counties, make_user, api):
    village = Area.objects.get(code=VILLAGE_A)
    household = registry.create_household(SYSTEM, number="3607291002010001", area_code=VILLAGE_A + "001",
                                          category="1", standard="1", main_cause="01", identified_year=2016,
                                          status="registered", status_date=dt.date(2016, 3, 1))
    registry.add_member(SYSTEM, household, name="张三", id_number=_id_number("19700315", "031"), relation="01",
                        ethnicity="01", school_status="00", health="1")
    household.refresh_from_db()
    helper = assistance.save_helper(SYSTEM, None, name="王帮扶", area=village, unit=Unit.objects.get(area_code=COUNTY_A),
                                    post="干部", phone="13970010001")
    for day in (dt.date(2017, 1, 4), dt.date(2017, 1, 5)):
        assistance.log_visit(SYSTEM, household=household, helper=helper, date=day, findings="家中无人")
    return {"client": api(make_user("county_office", COUNTY_A)), "household": household, "helper": helper}


# --- query parameters ------------------------------------------------------------------------

# (route, parameter, what the answer shows of the date read): one per app that takes a date.
QUERY = {
    "exits": ("/api/v1/exits/observation", "on", lambda body: body["on"]),
    "delisting": (f"/api/v1/delisting/villages/{VILLAGE_A}", "on", lambda body: body["on"]),
    "registry": ("/api/v1/stats", "date", lambda body: body["on_date"]["date"]),
    "assistance": ("/api/v1/assistance/visits", "since",  # the visits of 4 and 5 January: since the 5th
                   lambda body: ",".join(v["date"] for v in body["items"])),
}
AUDIT = ("/api/v1/audit/events", "until", None)

REFUSED = {  # value: the message, in English
    "1700000000": "The date “1700000000” was not understood: not a date (write it as YYYY-MM-DD).",
    "2017-02-30": "The date “2017-02-30” was not understood: not a real date.",
    "1879-12-31": "The date “1879-12-31” was not understood: a date before 1880 is impossible here.",
    "2017-01-05T00:00:00": "The date “2017-01-05T00:00:00” was not understood: not a date (write it as YYYY-MM-DD).",
}


@pytest.mark.parametrize("app", QUERY)
@pytest.mark.parametrize("value", ["2017/1/5", "2017年1月5日", "20170105", " 2017-01-05 "])
def test_a_query_date_is_read_like_the_pages(world, app, value):
    path, param, shown = QUERY[app]
    response = world["client"].get(path, {param: value})
    assert response.status_code == 200, response.content
    assert shown(response.json()) == JAN5


@pytest.mark.parametrize("app", [*QUERY, "audit"])
@pytest.mark.parametrize("value", REFUSED)
def test_a_query_date_the_pages_refuse_is_refused_naming_the_parameter(world, app, value):
    path, param, _shown = QUERY.get(app, AUDIT)
    response = world["client"].get(path, {param: value}, headers=EN)
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"], body["message"]) == ("invalid", param, REFUSED[value])
    assert [(e["field"], e["type"], e["msg"]) for e in body["errors"]] == [(param, "invalid_date", REFUSED[value])]


def test_the_message_is_in_the_language_of_the_answer(world):
    """Chinese unless English is asked for: the message is made when the answer is (the
    ``english`` fixture makes English the language active while the request is read)."""
    path, param, _shown = QUERY["exits"]
    zh = world["client"].get(path, {param: "2017-02-30"}).json()
    en = world["client"].get(path, {param: "2017-02-30"}, headers=EN).json()
    assert en["message"] == REFUSED["2017-02-30"]
    assert zh["message"] != en["message"] and "2017-02-30" in zh["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh["message"]) and zh["errors"][0]["msg"] == zh["message"]


# --- bodies --------------------------------------------------------------------------------------

def _pairing(world, day):
    return "/api/v1/assistance/pairings", {"household_id": world["household"].pk, "helper_id": world["helper"].pk,
                                           "start": day}


def _visit(world, day):
    return "/api/v1/assistance/visits", {"household_id": world["household"].pk, "helper_id": world["helper"].pk,
                                         "date": day, "findings": "收入稳定"}


def _household(world, day):
    return "/api/v1/households", {"number": "3607291002010009", "area_code": VILLAGE_A + "001", "main_cause": "01",
                                  "identified_year": 2016, "status_date": day}


BODY = {  # (request, field, the rows it writes, the field in the answer)
    "assistance pairing": (_pairing, "start", lambda: Pairing.objects.count(), "start"),
    "assistance visit": (_visit, "date", lambda: Visit.objects.count(), "date"),
    "registry household": (_household, "status_date", lambda: Household.objects.count(), "status_date"),
}


@pytest.mark.parametrize("route", BODY)
def test_a_body_date_is_read_like_the_pages(world, route):
    request, _field, _rows, shown = BODY[route]
    path, body = request(world, "2017/1/5")
    response = world["client"].post(path, json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()[shown] == JAN5


@pytest.mark.parametrize("route", BODY)
@pytest.mark.parametrize("value", [*REFUSED, 1700000000])
def test_a_body_date_the_pages_refuse_is_refused_naming_the_field(world, route, value):
    request, field, rows, _shown = BODY[route]
    before = rows()
    path, body = request(world, value)
    response = world["client"].post(path, json.dumps(body), content_type="application/json", headers=EN)
    assert response.status_code == 422, response.content
    out = response.json()
    assert (out["code"], out["field"], out["message"]) == ("invalid", field, REFUSED[str(value)])
    assert rows() == before


@pytest.mark.parametrize("route", ["assistance pairing", "assistance visit"])
def test_a_date_that_must_be_given_cannot_be_null(world, route):
    request, field, _rows, _shown = BODY[route]
    path, body = request(world, None)
    response = world["client"].post(path, json.dumps(body), content_type="application/json", headers=EN)
    assert response.status_code == 422
    assert (response.json()["field"], response.json()["message"]) == (field, "not a date (write it as YYYY-MM-DD)")


def test_a_member_birth_date_names_its_place_in_the_body(world):
    _path, body = _household(world, JAN5)
    body["members"] = [{"name": "李四", "id_number": _id_number("19800101", "041"), "relation": "01",
                        "birth_date": "1980-02-30"}]
    response = world["client"].post("/api/v1/households", json.dumps(body), content_type="application/json",
                                    headers=EN)
    assert response.status_code == 422
    out = response.json()
    assert out["field"] == "members.0.birth_date"
    assert out["message"] == "The date “1980-02-30” was not understood: not a real date."


def test_a_patch_status_date_is_read_like_the_pages(world):
    url = f"/api/v1/households/{world['household'].pk}"
    patch = {"status": "exited_policy", "status_date": "2019/12/10", "status_reason": "更正"}  # (a correction)
    response = world["client"].patch(url, json.dumps(patch), content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["status_date"] == "2019-12-10"
    response = world["client"].patch(url, json.dumps({**patch, "status": "returned", "status_date": 1700000000}),
                                     content_type="application/json", headers=EN)
    assert response.status_code == 422 and response.json()["field"] == "status_date"


def test_other_validation_errors_name_their_field(world):
    """Not a date nor an amount: the general message, the field named all the same."""
    path, body = _visit(world, JAN5)
    response = world["client"].post(path, json.dumps({**body, "household_id": "abc"}),
                                    content_type="application/json", headers=EN)
    assert response.status_code == 422
    out = response.json()
    assert (out["field"], out["message"]) == ("household_id", "The request is not valid.")


# --- the OpenAPI document ---------------------------------------------------------------------

def _schema_of(schema: dict) -> dict:
    """The non-null member of an optional parameter's or field's schema."""
    return next((s for s in schema.get("anyOf", []) if s.get("type") != "null"), schema)


def test_openapi_still_says_format_date(db):
    doc = Client().get("/api/v1/openapi.json").json()
    for path, param, _shown in [*QUERY.values(), AUDIT]:
        op = doc["paths"][path.replace(VILLAGE_A, "{code}")]["get"]
        schema = next(p["schema"] for p in op["parameters"] if p["name"] == param)
        assert _schema_of(schema) == {"type": "string", "format": "date"}, (path, param)
    schemas = doc["components"]["schemas"]
    for model, field in (("PairingIn", "start"), ("VisitIn", "date"), ("VisitEdit", "date"), ("MeasureIn", "date"),
                         ("MeasureEdit", "date"), ("HouseholdIn", "status_date"), ("HouseholdPatch", "status_date"),
                         ("MemberIn", "birth_date")):
        prop = schemas[model]["properties"][field]
        assert _schema_of(prop)["format"] == "date" and _schema_of(prop)["type"] == "string", (model, field)
    amount = schemas["MeasureIn"]["properties"]["amount_spent"]
    assert amount["anyOf"] == [{"type": "number"}, {"type": "string"}]
    assert {"field", "errors"} <= set(schemas["Error"]["properties"])


# --- amounts ------------------------------------------------------------------------------------

def _measure(world, **amounts) -> str:
    return json.dumps({"household_id": world["household"].pk, "type": "employment", "date": JAN5,
                       "details": {"job": "保洁"}, **amounts})


@pytest.mark.parametrize("field", ["amount_to_household", "amount_spent"])
@pytest.mark.parametrize(("raw", "message"), [
    ('"NaN"', "Not a number."), ("NaN", "Not a number."), ('"Infinity"', "Not a number."),
    ("Infinity", "Not a number."), ("1e400", "Not a number."), ('"-Infinity"', "Not a number."),
    ('"abc"', "Not a number."), ("true", "Not a number."), ("-1", "Amounts cannot be negative."),
    ('"1e10"', "The amount is too large."),
])
def test_an_amount_is_read_with_the_project_reader(world, field, raw, message):
    body = _measure(world)[:-1] + f', "{field}": {raw}}}'  # raw JSON: NaN and Infinity as Python's json reads them
    response = world["client"].post("/api/v1/assistance/measures", body, content_type="application/json",
                                    headers=EN)
    assert response.status_code == 422, response.content
    out = response.json()
    assert (out["field"], out["message"]) == (field, message)
    assert out["errors"][0]["type"] == "invalid_amount"
    assert not Measure.all_objects.exists()


def test_an_amount_as_the_pages_take_it(world):
    response = world["client"].post("/api/v1/assistance/measures",
                                    _measure(world, amount_to_household="1,200.505", amount_spent=0.004),
                                    content_type="application/json")
    assert response.status_code == 201, response.content
    assert (response.json()["amount_to_household"], response.json()["amount_spent"]) == ("1200.51", "0.00")
