"""Garbage in the query string of the exits and delisting pages and API gives the page
(the parameter falls back to its default) or a clear 4xx, never a server error; the
"which criteria row applies" rule shared by both apps."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from fupin.core import clock
from fupin.delisting import rules as delisting_rules
from fupin.exits import rules
from fupin.exits.models import ExitCriteria
from tests.conftest import COUNTY_A, VILLAGE_A

TODAY = dt.date(2024, 11, 20)
GARBAGE = {"year": "abc", "page": "x", "on": "2024-13-45", "area": "zz'; --", "result": "<b>", "status": "??",
           "q": "%", "page_size": "-1"}
PAGES = ["/exits/", "/exits/observation/", "/exits/returns/", "/exits/criteria/",
         "/delisting/", "/delisting/criteria/", "/delisting/rounds/", f"/delisting/villages/{VILLAGE_A}/"]
API = ["/api/v1/exits/check", "/api/v1/exits/observation", "/api/v1/delisting/villages",
       f"/api/v1/delisting/villages/{VILLAGE_A}", "/api/v1/delisting/rounds"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"), clock.frozen(TODAY):
        yield


@pytest.mark.parametrize("url", PAGES)
def test_pages_survive_garbage_parameters(url, two_counties, make_user, login):
    client = login(make_user("county_office", COUNTY_A))
    assert client.get(url).status_code == 200
    r = client.get(url, GARBAGE)
    assert r.status_code in (200, 302, 400, 404), r.status_code


@pytest.mark.parametrize("url", API)
def test_api_rejects_garbage_parameters_cleanly(url, two_counties, make_user, api):
    r = api(make_user("county_office", COUNTY_A)).get(url, GARBAGE)
    assert 400 <= r.status_code < 500, (r.status_code, r.content[:300])


def row(prefix, from_year, to_year=None):
    return {"area_prefix": prefix, "from_year": from_year, "to_year": to_year}


def test_most_specific_prefix_then_latest_year_for_dicts_and_models():
    rows = [row("", 2014), row("36", 2016, 2019), row("36", 2020), row("3607", 2018, 2018)]
    code = "360729000000"
    assert rules.most_specific(rows, code, 2018) is rows[3]
    assert rules.most_specific(rows, code, 2017) is rows[1]
    assert rules.most_specific(rows, code, 2021) is rows[2]
    assert rules.most_specific(rows, "110000000000", 2021) is rows[0]
    assert rules.most_specific(rows, code, 2013) is None
    models = [ExitCriteria(area_prefix=r["area_prefix"], from_year=r["from_year"], to_year=r["to_year"])
              for r in rows]
    assert delisting_rules.pick(models, code, 2018) is models[3]
    assert delisting_rules.pick(models, code, 2021) is models[2]
    assert delisting_rules.pick(models, code, 2013) is None


# --- bad input that used to reach a traceback --------------------------------------------------------

@pytest.mark.parametrize("year", ["10000", "99999", "-3"])
def test_api_check_refuses_a_year_no_date_can_hold(year, two_counties, make_user, api):
    """A year beyond dt.date's range (birth dates and lines are computed from it) is a 422, not a 500."""
    r = api(make_user("county_office", COUNTY_A)).get("/api/v1/exits/check", {"year": year})
    assert r.status_code == 422, (r.status_code, r.content[:300])
    assert r.json()["field"] == "year"


def test_criteria_form_with_a_tampered_version_is_refused_not_a_500(two_counties, make_user, login):
    client = login(make_user("county_office", COUNTY_A))
    items = '[{"code": "water", "params": {}, "source": "s"}]'
    form = {"name": "全南县退出标准", "area_prefix": "360729", "from_year": "2024", "source": "s", "items": items}
    assert client.post("/exits/criteria/new/", form).status_code == 302
    obj = ExitCriteria.objects.get(area_prefix="360729")
    r = client.post(f"/exits/criteria/{obj.pk}/", {**form, "name": "changed", "version": "abc"})
    assert r.status_code in (200, 409), r.status_code
    obj.refresh_from_db()
    assert obj.name == "全南县退出标准" and obj.version == 1


def test_school_item_refuses_29_february():
    """Ages counted on 02-29 would make the check fail with a traceback in three years of four."""
    school = {"code": "school", "source": "s", "params": {"min_age": 6, "max_age": 15, "statuses": ["00"]}}
    with pytest.raises(ValueError, match="MM-DD"):
        rules.check_items([{**school, "params": {**school["params"], "on": "02-29"}}])
    assert rules.check_items([{**school, "params": {**school["params"], "on": "2-28"}}])[2]["params"]["on"] == "02-28"
