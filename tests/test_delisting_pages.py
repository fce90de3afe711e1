"""The delisting pages and API: the villages' checks, a village's procedure through the
forms, a round's sample, survey entry and import, the steps, the exports."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from fupin.areas.models import Area
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.core.tabular import write_xlsx
from fupin.delisting import importers
from fupin.delisting.models import CountyRound, SampleHousehold, VillageAssessment
from tests.conftest import COUNTY_A, TOWNSHIP_A, VILLAGE_A
from tests.test_delisting import TODAY, YEAR, village_with_incidence

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals


@pytest.fixture
def frozen():
    with clock.frozen(TODAY):
        yield TODAY


@pytest.fixture
def village(two_counties, frozen):
    village_with_incidence(VILLAGE_A, 20, 1000)
    return Area.objects.get(code=VILLAGE_A)


def test_villages_page_and_export(village, make_user, login):
    c = login(make_user("county_office", COUNTY_A))
    r = c.get("/delisting/", {"area": COUNTY_A, "year": YEAR})
    assert r.status_code == 200
    body = r.content.decode()
    assert "石桥村" in body and "2.00%" in body and "meets the criteria" in body
    r = c.get("/delisting/villages.xlsx", {"area": COUNTY_A, "year": YEAR})
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][0] == VILLAGE_A and rows[1][6] == "2.00%"


def test_village_procedure_through_the_pages(village, make_user, login):
    office = login(make_user("county_office", COUNTY_A))
    township = login(make_user("township_officer", TOWNSHIP_A))
    r = office.get(f"/delisting/villages/{VILLAGE_A}/", {"year": YEAR})
    assert r.status_code == 200 and "Poverty incidence" in r.content.decode()
    office.post(f"/delisting/villages/{VILLAGE_A}/assess/", {"year": YEAR, "on": "2018-10-31"})
    a = VillageAssessment.objects.get(area_code=VILLAGE_A)
    assert a.state == VillageAssessment.ASSESSED
    url = f"/delisting/assessments/{a.pk}/"
    assert township.post(url, {"do": "approve"}).status_code == 403  # the county's step
    assert office.post(url, {"do": "close"}).status_code == 302  # out of order: refused with a message
    a.refresh_from_db()
    assert a.state == VillageAssessment.ASSESSED
    township.post(url, {"do": "publish", "date": "2018-11-01"})
    township.post(url, {"do": "objection", "date": "2018-11-02", "content": "异议内容", "objector": "村民"})
    a.refresh_from_db()
    assert a.state == VillageAssessment.NOTICE and a.objections.count() == 1
    township.post(url, {"do": "decide", "objection": a.objections.get().pk, "upheld": "no", "answer": "已核实"})
    township.post(url, {"do": "close"})
    office.post(url, {"do": "approve"})
    office.post(url, {"do": "announce"})
    a.refresh_from_db()
    assert a.state == VillageAssessment.ANNOUNCED
    r = office.get(f"/delisting/villages/{VILLAGE_A}/", {"year": YEAR})
    assert "Delisted and announced" in r.content.decode()


@pytest.fixture
def rnd(village, make_user, login):
    from tests.test_delisting import household

    household("3607291002017001", VILLAGE_A, status="removed", people=3)
    office = login(make_user("county_office", COUNTY_A))
    r = office.post("/delisting/rounds/new/", {"county": COUNTY_A, "year": YEAR, "seed": "11"})
    assert r.status_code == 302
    return CountyRound.objects.get(area_code=COUNTY_A)


def test_round_pages_survey_and_steps(rnd, make_user, login, api):
    office_user = make_user("county_office", COUNTY_A)
    office, inspector = login(office_user), login(make_user("inspector", COUNTY_A))
    r = office.get(f"/delisting/rounds/{rnd.pk}/")
    assert r.status_code == 200 and "Wrongful-exit rate" in r.content.decode()
    assert rnd.households.count() == 3  # the village's three households
    for s in rnd.households.all():
        data = {"surveyed_on": str(TODAY), "approves": "yes"}
        if s.stratum == SampleHousehold.EXITED:
            data["exit_correct"] = "yes"
        if s.stratum == SampleHousehold.NON_REGISTERED:
            data["should_register"] = "no"
        assert office.post(f"/delisting/rounds/{rnd.pk}/survey/{s.pk}/", data).status_code == 403
        assert inspector.post(f"/delisting/rounds/{rnd.pk}/survey/{s.pk}/", data).status_code == 302
    assert rnd.households.filter(surveyed_on=TODAY).count() == 3
    office.post(f"/delisting/rounds/{rnd.pk}/step/", {"code": "submission"})
    rnd.refresh_from_db()
    assert rnd.state == CountyRound.SUBMITTED
    r = office.post(f"/delisting/rounds/{rnd.pk}/step/", {"code": "city_review"})
    assert r.status_code == 403  # not the office's step
    rnd.refresh_from_db()
    assert rnd.state == CountyRound.SUBMITTED
    r = office.get(f"/delisting/rounds/{rnd.pk}/export.xlsx")
    assert r.status_code == 200
    assert AuditEvent.objects.filter(action="delisting.round.export").exists()
    data = api(office_user).get(f"/api/v1/delisting/rounds/{rnd.pk}").json()
    assert data["state"] == "submitted" and data["surveyed"] == 3
    assert {i["code"] for i in data["items"]} == {"incidence", "wrong_exit", "missed", "approval"}
    checks = api(office_user).get("/api/v1/delisting/villages", {"area": COUNTY_A, "year": YEAR}).json()["items"]
    assert checks[0]["code"] == VILLAGE_A and checks[0]["passed"] is True


def test_round_export_needs_registry_export(rnd, make_user, login):
    """The sample export holds households' numbers and names: a user who may only view the
    round (a leader at the county) is refused like the other exports of personal data, and
    nothing is logged; an exporter gets the file and one export row in the audit log."""
    viewer = login(make_user("leader", COUNTY_A))
    r = viewer.get(f"/delisting/rounds/{rnd.pk}/")
    assert r.status_code == 200 and r.context["can_export"] is False  # the round itself is visible
    r = viewer.get(f"/delisting/rounds/{rnd.pk}/export.xlsx")
    assert r.status_code == 403
    assert not AuditEvent.objects.filter(action="delisting.round.export").exists()
    office = login(make_user("county_office", COUNTY_A))
    assert office.get(f"/delisting/rounds/{rnd.pk}/").context["can_export"] is True
    r = office.get(f"/delisting/rounds/{rnd.pk}/export.xlsx")
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][:2] == (importers.NUMBER, importers.HEAD)
    assert sorted(row[0] for row in rows[1:]) == sorted(rnd.households.values_list("household__number", flat=True))
    events = AuditEvent.objects.filter(action="delisting.round.export")
    assert events.count() == 1 and events.get().area_code == COUNTY_A


def test_survey_import_page_reports_errors(rnd, make_user, login):
    inspector = login(make_user("inspector", COUNTY_A))
    buffer = io.BytesIO()
    write_xlsx(buffer, importers.HEADERS, [["0000", "", "", str(TODAY), "", 1, "", "", "是", ""]])
    r = inspector.post(f"/delisting/rounds/{rnd.pk}/import/",
                       {"file": SimpleUploadedFile("s.xlsx", buffer.getvalue())})
    assert r.status_code == 422 and "not a household of this round" in r.content.decode()
    buffer.seek(0)
    r = inspector.post(f"/delisting/rounds/{rnd.pk}/import/",
                       {"file": SimpleUploadedFile("s.xlsx", buffer.getvalue()), "report": "xlsx"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    assert not rnd.households.filter(surveyed_on__isnull=False).exists()


def test_dates_are_not_in_the_future(rnd):
    from fupin.core.errors import Invalid
    from fupin.delisting import actions
    from tests.conftest import SYSTEM

    s = rnd.households.first()
    with pytest.raises(Invalid):
        actions.save_survey(SYSTEM, s, surveyed_on=TODAY + dt.timedelta(days=1), approves=True,
                            exit_correct=True, should_register=False)



@pytest.mark.parametrize("year", ["10000", "-3", "0", "99999999999"])
def test_api_refuses_a_year_it_cannot_read(village, make_user, api, year):
    """A year outside 1900–9999 is a clear 422, not a 500 from building its 31 December."""
    client = api(make_user("county_office", COUNTY_A))
    for url, query in (("/api/v1/delisting/villages", {"area": COUNTY_A, "year": year}),
                       (f"/api/v1/delisting/villages/{VILLAGE_A}", {"year": year})):
        r = client.get(url, query)
        assert r.status_code == 422, (url, r.content[:300])
        assert r.json()["field"] == "year"


def test_village_statuses_are_shown_by_their_labels(rnd, make_user, login):
    """The village status and a sampled household's registry status read as words, not codes."""
    office = login(make_user("county_office", COUNTY_A))
    body = office.get("/delisting/", {"area": COUNTY_A, "year": YEAR}).content.decode()
    assert "Poor village" in body and ">poor (" not in body
    r = office.get("/delisting/villages.xlsx", {"area": COUNTY_A, "year": YEAR})
    ws = load_workbook(io.BytesIO(r.content)).active
    assert list(ws.iter_rows(values_only=True))[1][10] == "Poor village"
    s = rnd.households.get(status="removed")
    body = office.get(f"/delisting/rounds/{rnd.pk}/survey/{s.pk}/").content.decode()
    assert "Removed" in body.split("registry status on the round")[1][:200]
