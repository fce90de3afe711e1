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
