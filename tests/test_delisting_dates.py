"""Dates typed into the delisting app are read by core.dates.parse_date (2018/11/5 and
2018年11月5日 as well as 2018-11-05): the pages' "status as of" day, the procedure's and
the round's forms, the survey form and the survey import. A date that is not one gets a
message naming it (a page: the default day, saying so; the import: row, column, value and
reason), never a server error and never silently another day."""

from __future__ import annotations

import datetime as dt

import pytest

from fupin.core import clock
from fupin.core.tabular import write_csv
from fupin.delisting import importers
from fupin.delisting.models import CountyRound, SampleHousehold, VillageAssessment
from tests import test_delisting_pages as pages
from tests.conftest import COUNTY_A, SYSTEM, TOWNSHIP_A, VILLAGE_A
from tests.test_delisting import TODAY, YEAR, survey_rows

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals

GARBAGE_DATES = ["2018-13-45", "2018-02-30", "abc", "1850-01-01", "99999-01-01", "%", "0000-00-00"]


# The pages' fixtures: the day, a village at 2 %, a round of its three households.
frozen, village, rnd = pages.frozen, pages.village, pages.rnd


@pytest.fixture
def office(village, make_user, login):
    return login(make_user("county_office", COUNTY_A))


def _answers(s: SampleHousehold, surveyed_on: str) -> dict:
    data = {"surveyed_on": surveyed_on, "approves": "yes"}
    if s.stratum == SampleHousehold.EXITED:
        data["exit_correct"] = "yes"
    if s.stratum == SampleHousehold.NON_REGISTERED:
        data["should_register"] = "no"
    return data


# --- the pages' "status as of" day ----------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/delisting/", f"/delisting/villages/{VILLAGE_A}/"])
def test_pages_read_the_day_as_people_write_it(office, url):
    r = office.get(url, {"area": COUNTY_A, "year": YEAR, "on": "2018年10月31日"})
    assert r.status_code == 200 and r.context["on"] == dt.date(2018, 10, 31)
    assert "was not understood" not in r.content.decode()


@pytest.mark.parametrize("url", ["/delisting/", f"/delisting/villages/{VILLAGE_A}/"])
def test_pages_show_the_default_day_with_a_message_for_a_date_not_understood(office, url):
    """They used to fall back to the default day without a word."""
    r = office.get(url, {"area": COUNTY_A, "year": YEAR, "on": "2018-02-30"})
    assert r.status_code == 200 and r.context["on"] == TODAY
    assert ("The date “2018-02-30” was not understood: not a real date. Showing 2018-11-20 instead."
            in r.content.decode())


def test_villages_export_of_a_date_not_understood_is_the_page_with_the_message(office):
    query = {"area": COUNTY_A, "year": YEAR, "on": "31/10/2018"}
    r = office.get("/delisting/villages.xlsx", query)
    assert r.status_code == 302 and r["Location"].startswith("/delisting/?")
    r = office.get(r["Location"])
    assert r.status_code == 200 and "The date “31/10/2018” was not understood" in r.content.decode()
    r = office.get("/delisting/villages.xlsx", {**query, "on": "2018/10/31"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")


@pytest.mark.parametrize("on", GARBAGE_DATES)
def test_a_garbage_date_in_a_query_string_is_a_page_with_a_message_never_a_500(office, on):
    query = {"area": COUNTY_A, "year": YEAR, "on": on}
    for url in ("/delisting/", f"/delisting/villages/{VILLAGE_A}/", "/delisting/villages.xlsx"):
        r = office.get(url, query, follow=True)
        assert r.status_code == 200, (url, r.status_code)
        assert "was not understood" in r.content.decode(), url


# --- the forms ---------------------------------------------------------------------------------------------

def test_procedure_forms_read_dates_as_people_write_them(office, make_user, login):
    township = login(make_user("township_officer", TOWNSHIP_A))
    with clock.frozen(TODAY):
        r = office.post(f"/delisting/villages/{VILLAGE_A}/assess/", {"year": YEAR, "on": "2018/10/31"})
        assert r.status_code == 302
        a = VillageAssessment.objects.get(area_code=VILLAGE_A)
        assert a.assessed_on == dt.date(2018, 10, 31)
        r = township.post(f"/delisting/assessments/{a.pk}/", {"do": "publish", "date": "2018年11月1日"})
        assert r.status_code == 302
    a.refresh_from_db()
    assert a.state == VillageAssessment.NOTICE
    assert a.steps.get(code="township_notice").started_on == dt.date(2018, 11, 1)


def test_procedure_forms_refuse_a_date_that_is_not_one_with_the_message(office, make_user, login):
    with clock.frozen(TODAY):
        r = office.post(f"/delisting/villages/{VILLAGE_A}/assess/", {"year": YEAR, "on": "2018-02-30"},
                        follow=True)
    assert r.status_code == 200
    assert "The date “2018-02-30” was not understood: not a real date." in r.content.decode()
    assert not VillageAssessment.objects.filter(area_code=VILLAGE_A).exists()


def test_round_form_refuses_a_date_that_is_not_one_with_the_message(office):
    with clock.frozen(TODAY):
        r = office.post("/delisting/rounds/new/", {"county": COUNTY_A, "year": YEAR, "seed": "11", "on": "1850-1-1"},
                        follow=True)
    assert r.status_code == 200
    assert "The date “1850-1-1” was not understood: a date before 1880 is impossible here." in r.content.decode()
    assert not CountyRound.objects.exists()


def test_survey_form_reads_the_date_as_people_write_it_and_refuses_one_that_is_not(rnd, make_user, login):
    inspector = login(make_user("inspector", COUNTY_A))
    s = rnd.households.order_by("order").first()
    url = f"/delisting/rounds/{rnd.pk}/survey/{s.pk}/"
    with clock.frozen(TODAY):
        r = inspector.post(url, _answers(s, "2018-02-30"))
        assert r.status_code == 200
        assert "The date “2018-02-30” was not understood: not a real date." in r.content.decode()
        s.refresh_from_db()
        assert s.surveyed_on is None
        assert inspector.post(url, _answers(s, "2018/11/5")).status_code == 302
    s.refresh_from_db()
    assert s.surveyed_on == dt.date(2018, 11, 5)


# --- the survey import --------------------------------------------------------------------------------------

def _survey_file(rnd, tmp_path, dates: list[str]):
    path = tmp_path / "survey.csv"
    write_csv(path, importers.HEADERS, survey_rows(rnd, dates))
    return path


def _import(rnd, tmp_path, dates: list[str]):
    path = _survey_file(rnd, tmp_path, dates)
    with clock.frozen(TODAY):
        return importers.import_survey(SYSTEM, rnd, path)


def test_survey_import_reads_dates_as_people_write_them(rnd, tmp_path):
    count, report = _import(rnd, tmp_path, ["2018/11/5", "2018年11月6日", "2018-11-07 08:30:00"])
    assert not report and count == 3
    assert sorted(rnd.households.values_list("surveyed_on", flat=True)) == [
        dt.date(2018, 11, 5), dt.date(2018, 11, 6), dt.date(2018, 11, 7)]


def test_survey_import_names_row_column_value_and_reason_of_a_bad_date(rnd, tmp_path):
    count, report = _import(rnd, tmp_path, ["2018/11/5", "2018-02-30", "1850年1月1日"])
    assert count == 0
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (3, importers.DATE, "2018-02-30", "not a real date"),
        (4, importers.DATE, "1850年1月1日", "a date before 1880 is impossible here")]
    assert not rnd.households.filter(surveyed_on__isnull=False).exists()


def test_survey_import_page_shows_the_bad_date_row_and_column(rnd, tmp_path, make_user, login):
    inspector = login(make_user("inspector", COUNTY_A))
    path = _survey_file(rnd, tmp_path, ["2018/11/5", "2018-11-06", "2018.02.30"])
    with clock.frozen(TODAY), path.open("rb") as fh:
        r = inspector.post(f"/delisting/rounds/{rnd.pk}/import/", {"file": fh})
    body = r.content.decode()
    assert r.status_code == 422
    assert "<td>4</td><td>调查日期</td><td>2018.02.30</td><td>not a real date</td>" in body
    assert not rnd.households.filter(surveyed_on__isnull=False).exists()
