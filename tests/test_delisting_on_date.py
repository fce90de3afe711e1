"""The delisting pages' "status as of" day is read by core.views_util.date_param, the one
reader of a day typed in a query string (its twin in delisting/views.py is gone); the
pages keep their behaviour on bad input: the year's default day, with the message said
once — on the page, and on the page the export sends back to."""

from __future__ import annotations

import datetime as dt

import pytest

from fupin.core import views_util
from fupin.delisting import queries
from fupin.delisting import views as delisting_views
from tests.conftest import COUNTY_A, VILLAGE_A
from tests.test_delisting import TODAY, YEAR
from tests.test_delisting_dates import frozen, office, village  # noqa: F401 (fixtures)

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals

PAGES = ["/delisting/", f"/delisting/villages/{VILLAGE_A}/"]


@pytest.fixture
def calls(monkeypatch):
    """Every call of date_param by the delisting views, passed on to the real one."""
    seen = []

    def spy(request, value, default=None):
        seen.append((value, default))
        return views_util.date_param(request, value, default)

    monkeypatch.setattr(delisting_views, "date_param", spy)
    return seen


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("typed", ["2018/10/31", "2018-02-30", ""])
def test_the_pages_read_the_day_with_date_param_and_the_years_default(office, calls, url, typed):
    r = office.get(url, {"area": COUNTY_A, "year": YEAR, "on": typed})
    assert r.status_code == 200
    assert calls == [(typed, queries.default_on(YEAR))]
    assert r.context["on"] == (dt.date(2018, 10, 31) if typed == "2018/10/31" else queries.default_on(YEAR))


@pytest.mark.parametrize("url", PAGES)
def test_a_day_not_understood_is_the_default_with_the_message_once(office, url):
    r = office.get(url, {"area": COUNTY_A, "year": YEAR, "on": "2018-02-30"})
    assert r.status_code == 200 and r.context["on"] == TODAY == queries.default_on(YEAR)
    body = r.content.decode()
    assert body.count("was not understood") == 1
    assert "The date “2018-02-30” was not understood: not a real date. Showing 2018-11-20 instead." in body


def test_the_export_of_a_day_not_understood_is_the_page_with_the_message_once(office, calls):
    r = office.get("/delisting/villages.xlsx", {"area": COUNTY_A, "year": YEAR, "on": "31/10/2018"})
    assert r.status_code == 302 and r["Location"].startswith("/delisting/?")
    assert calls == [("31/10/2018", queries.default_on(YEAR))]
    r = office.get(r["Location"])
    assert r.status_code == 200 and r.context["on"] == queries.default_on(YEAR)
    body = r.content.decode()
    assert body.count("was not understood") == 1
    assert "The date “31/10/2018” was not understood" in body and "Showing 2018-11-20 instead." in body
