"""The household list's code filters (status, category, cause) take a code or its label, and
refuse anything else with a 422 naming the filter, rather than answering an empty list."""

from __future__ import annotations

import datetime as dt

import pytest

from fupin.registry import actions
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def client(two_counties, make_user, api):
    actions.create_household(SYSTEM, number="F1", area_code=VILLAGE_A, main_cause="01", identified_year=2016,
                             status="registered", status_date=dt.date(2016, 6, 1), category="1")
    # another household differing in each (a filter left unapplied would list it too)
    actions.create_household(SYSTEM, number="F2", area_code=VILLAGE_A, main_cause="02", identified_year=2016,
                             status="identified", status_date=dt.date(2016, 6, 1), category="2")
    return api(make_user("county_office", COUNTY_A))


@pytest.mark.parametrize(("name", "value"), [("status", "registered"), ("status", "贫困户（未脱贫）"),
                                             ("category", "1"), ("category", "一般贫困户"),
                                             ("cause", "01"), ("cause", "因病")])
def test_a_code_or_its_label_filters(client, name, value):
    answer = client.get("/api/v1/households", {name: value})
    assert answer.status_code == 200 and [h["number"] for h in answer.json()["items"]] == ["F1"]


@pytest.mark.parametrize("name", ["status", "category", "cause"])
def test_an_unknown_value_is_a_422_naming_the_filter(client, name):
    answer = client.get("/api/v1/households", {name: "bogus"})
    assert answer.status_code == 422
    assert answer.json()["field"] == name and "bogus" in answer.json()["message"]
