"""The registry's REST API: lists with filters and pages, scoping, masking and logged
reveals, writes through the actions (all or nothing), members, villages, statistics."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fupin.areas import actions as areas
from fupin.areas.models import Area
from fupin.audit.models import AuditEvent, AuditItem
from fupin.registry import actions
from fupin.registry.demo import id_check_digit
from fupin.registry.models import Household, Member, StatusChange
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A, VILLAGE_B

VILLAGE_2 = "360729101201"


def _id(area6: str, birth: str, seq: str = "101") -> str:
    first = f"{area6}{birth}{seq}"
    return first + id_check_digit(first)


def _household(number, area_code, birth, *, status="registered", date=dt.date(2016, 6, 1), cause="01"):
    h = actions.create_household(SYSTEM, number=number, area_code=area_code, main_cause=cause, identified_year=2016,
                                 status="identified", status_date=dt.date(2016, 3, 1), phone="13912345678",
                                 bank_account="6217001234567890123")
    actions.set_status(SYSTEM, h, "registered", dt.date(2016, 6, 1))
    if status != "registered":
        actions.set_status(SYSTEM, h, status, date)
    actions.add_member(SYSTEM, h, name=f"户主{number}", id_number=_id(area_code[:6], birth), relation="01",
                       phone="13700001111")
    h.refresh_from_db()
    return h


@pytest.fixture
def data(two_counties):
    areas._insert_levels([{"code": VILLAGE_2, "name": "溪口村"}], source="test", valid_from=None)
    out = {
        "a1": _household("A1", VILLAGE_A + "001", "19700101"),
        "a2": _household("A2", VILLAGE_A + "002", "19700102", status="exited_policy", date=dt.date(2017, 12, 1)),
        "a3": _household("A3", VILLAGE_2, "19700103", cause="09"),
        "b1": _household("B1", VILLAGE_B + "001", "19700104"),
    }
    for code, year, rural in ((VILLAGE_A, 2019, 900), (VILLAGE_A, 2020, 1000), (VILLAGE_2, 2020, 500)):
        actions.save_village_profile(SYSTEM, Area.objects.get(code=code), year, rural_population=rural,
                                     status="poor" if code == VILLAGE_A else "none")
    return out


@pytest.fixture
def office(data, make_user, api):
    return api(make_user("county_office", COUNTY_A))


def _numbers(body):
    return [h["number"] for h in body["items"]]


def test_list_filters_and_pages(office, data):
    body = office.get("/api/v1/households").json()
    assert body["count"] == 3 and _numbers(body) == ["A1", "A2", "A3"]  # county B's household is not there
    assert _numbers(office.get("/api/v1/households", {"page_size": 2, "page": 2}).json()) == ["A3"]
    assert _numbers(office.get("/api/v1/households", {"area": "360729101000"}).json()) == ["A3"]
    assert _numbers(office.get("/api/v1/households", {"village": VILLAGE_A}).json()) == ["A1", "A2"]
    assert _numbers(office.get("/api/v1/households", {"status": "exited_policy"}).json()) == ["A2"]
    assert _numbers(office.get("/api/v1/households", {"cause": "缺资金"}).json()) == ["A3"]
    assert _numbers(office.get("/api/v1/households", {"q": "户主A1"}).json()) == ["A1"]
    # With a year, the status on 31 December of that year, from the history.
    assert _numbers(office.get("/api/v1/households", {"year": 2016, "status": "registered"}).json()) == [
        "A1", "A2", "A3"]
    assert _numbers(office.get("/api/v1/households", {"year": 2017, "status": "registered"}).json()) == ["A1", "A3"]
    assert office.get("/api/v1/households", {"year": 2015}).json()["count"] == 0
    assert office.get("/api/v1/households", {"area": "36"}).status_code == 422
    assert office.get("/api/v1/households", {"area": "360783000000"}).json()["count"] == 0


def test_personal_fields_are_masked_unless_revealed_and_logged(data, office, make_user, api):
    h = office.get(f"/api/v1/households/{data['a1'].pk}").json()
    assert h["phone"] == "139****5678" and h["bank_account"].endswith("0123") and "*" in h["bank_account"]
    assert not h["revealed"] and not AuditEvent.objects.filter(kind="read").exists()
    h = office.get(f"/api/v1/households/{data['a1'].pk}", {"reveal": 1}).json()
    assert h["phone"] == "13912345678" and h["bank_account"] == "6217001234567890123" and h["revealed"]
    event = AuditEvent.objects.get(kind="read", action="pii.reveal.api")
    assert event.object_id == str(data["a1"].pk) and event.area_code == data["a1"].area_code
    body = office.get("/api/v1/households", {"reveal": 1}).json()
    assert all(item["revealed"] for item in body["items"])
    listed = AuditEvent.objects.filter(kind="read").latest("id")
    assert listed.count == 3 and AuditItem.objects.filter(event=listed).count() == 3
    # A helper may see the household but not reveal: masked, nothing logged.
    helper = api(make_user("helper", VILLAGE_A))
    before = AuditEvent.objects.filter(kind="read").count()
    h = helper.get(f"/api/v1/households/{data['a1'].pk}", {"reveal": 1}).json()
    assert h["phone"] == "139****5678" and not h["revealed"]
    assert AuditEvent.objects.filter(kind="read").count() == before
    members = office.get(f"/api/v1/households/{data['a1'].pk}/members").json()
    assert members[0]["id_number"].startswith("360729") and "*" in members[0]["id_number"]
    assert members[0]["phone"] == "137****1111"
    members = office.get(f"/api/v1/households/{data['a1'].pk}/members", {"reveal": "1"}).json()
    assert members[0]["id_number"] == _id("360729", "19700101")


def test_objects_outside_the_area_are_404(office, data):
    for path in (f"/api/v1/households/{data['b1'].pk}", f"/api/v1/households/{data['b1'].pk}/members",
                 "/api/v1/households/999999"):
        response = office.get(path)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = office.patch(f"/api/v1/households/{data['b1'].pk}", json.dumps({"address": "x"}),
                            content_type="application/json")
    assert response.status_code == 404
    assert office.get("/api/v1/stats", {"area": "360783000000"}).status_code == 404


def test_create_with_members_all_or_nothing(office, data, make_user, api):
    body = {"number": "A9", "area_code": VILLAGE_A + "001", "main_cause": "因病", "cause2": "09",
            "identified_year": 2020, "status_date": "2020-05-01", "housing_area": 85.5, "relocated": False,
            "members": [{"name": "新户主", "id_number": _id("360729", "19850101"), "relation": "01"},
                        {"name": "新配偶", "id_number": _id("360729", "19860101", "102"), "relation": "02"}]}
    response = office.post("/api/v1/households", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["number"] == "A9" and created["size"] == 2 and created["main_cause"] == "01"
    assert created["head_name"] == "新户主" and created["housing_area"] == "85.5"
    assert StatusChange.objects.filter(household_id=created["id"], status="identified",
                                       date=dt.date(2020, 5, 1)).exists()
    # A bad member: nothing is written, and the answer names the member and the field.
    bad = {**body, "number": "A10", "members": [{"name": "甲", "id_number": "360729198501011230", "relation": "01"}]}
    response = office.post("/api/v1/households", json.dumps(bad), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["field"] == "id_number" and response.json()["details"]["member"] == 1
    assert not Household.objects.filter(number="A10").exists()
    no_id = {**body, "number": "A10", "members": [{"name": "甲", "no_id_reason": "3", "relation": "01"}]}
    response = office.post("/api/v1/households", json.dumps(no_id), content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "sex"
    assert not Household.objects.filter(number="A10").exists()
    # A duplicate number, an impossible year, a cause twice.
    for change in ({"number": "A1"}, {"number": "A11", "identified_year": 1900},
                   {"number": "A12", "cause2": "01"}):
        response = office.post("/api/v1/households", json.dumps({**body, "members": [], **change}),
                               content_type="application/json")
        assert response.status_code == 422, change
    # A helper may not register households.
    helper = api(make_user("helper", VILLAGE_A))
    response = helper.post("/api/v1/households", json.dumps({**body, "number": "A13", "members": []}),
                           content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_patch_fields_version_and_status(office, data):
    url = f"/api/v1/households/{data['a1'].pk}"
    version = office.get(url).json()["version"]
    response = office.patch(url, json.dumps({"address": "石桥村 8 号", "water_safe": False, "version": version}),
                            content_type="application/json")
    assert response.status_code == 200 and response.json()["address"] == "石桥村 8 号"
    assert response.json()["water_safe"] is False
    stale = office.patch(url, json.dumps({"address": "晚了", "version": version}), content_type="application/json")
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert office.patch(url, json.dumps({"renovated_year": 3000}), content_type="application/json").status_code == 422
    assert office.patch(url, json.dumps({"status": "exited_policy"}),
                        content_type="application/json").status_code == 422  # the date is required
    response = office.patch(url, json.dumps({"status": "exited_policy", "status_date": "2019-12-10",
                                             "status_reason": "达到脱贫标准"}), content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "exited_policy"
    assert response.json()["exit_year"] == 2019
    assert StatusChange.objects.filter(household=data["a1"], status="exited_policy", source="api").exists()
    assert AuditEvent.objects.filter(action="registry.household.update", object_id=str(data["a1"].pk)).exists()


def test_members_by_id_number(office, data):
    full = _id("360729", "19700103")
    body = office.get("/api/v1/members", {"id_number": full}).json()
    assert body["count"] == 1 and body["items"][0]["household_number"] == "A3"
    assert office.get("/api/v1/members", {"id_number": full[-6:]}).json()["count"] == 1
    assert office.get("/api/v1/members", {"id_number": _id("360783", "19700104")}).json()["count"] == 0
    assert office.get("/api/v1/members", {"id_number": "12"}).status_code == 422
    assert office.get("/api/v1/members", {"name": "户主A2"}).json()["count"] == 1


def test_villages(office, data):
    body = office.get("/api/v1/villages").json()
    by_code = {v["code"]: v for v in body["items"]}
    assert set(by_code) == {VILLAGE_A, VILLAGE_2}
    assert by_code[VILLAGE_A]["households"] == 2 and by_code[VILLAGE_A]["poor_households"] == 1
    assert by_code[VILLAGE_A]["profile_year"] == 2020 and by_code[VILLAGE_A]["profile"]["rural_population"] == 1000
    assert by_code[VILLAGE_A]["township_name"] == "城厢镇"
    body = office.get("/api/v1/villages", {"year": 2019}).json()
    assert {v["code"]: v["profile_year"] for v in body["items"]} == {VILLAGE_A: 2019, VILLAGE_2: None}
    assert [v["code"] for v in office.get("/api/v1/villages", {"status": "poor"}).json()["items"]] == [VILLAGE_A]


def test_stats(office, data):
    body = office.get("/api/v1/stats").json()
    assert body["area"]["code"] == COUNTY_A and body["summary"]["poor_households"] == 2
    assert body["summary"]["incidence"] == pytest.approx(round(2 * 100 / 1500, 2))
    body = office.get("/api/v1/stats", {"area": "360729100000", "date": "2016-12-31"}).json()
    assert {r["code"]: r["households"] for r in body["on_date"]["by_status"]}["registered"] == 2
    assert body["area"]["level"] == "township"


def test_member_rows_keep_their_area(data):
    """Members carry their household's area code (the API filters members by it)."""
    assert set(Member.objects.filter(household=data["a1"]).values_list("area_code", flat=True)) == {
        data["a1"].area_code}
