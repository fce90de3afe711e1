"""Brief L: the delisting and dynamics API as the rest of the API — list routes paginated
(``{count, page, page_size, items}``, docs/api.md), written summaries in the OpenAPI
document, no trailing slash (``/api/v1/dynamics``; the old path still answers, docs/dynamics.md
promised it) — and the assistance measures page reading through its queries module."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fupin.api.urls import api as ninja_api
from fupin.areas import actions as area_actions
from fupin.areas.models import Area
from fupin.core import clock
from fupin.delisting import actions as delisting
from tests.conftest import COUNTY_A, COUNTY_B, SYSTEM, TOWNSHIP_A, VILLAGE_A, VILLAGE_B
from tests.test_delisting import village_with_incidence

YEAR = 2018
TODAY = dt.date(2018, 11, 20)
SECOND_VILLAGE = TOWNSHIP_A[:9] + "299"


@pytest.fixture
def world(two_counties, make_user, api):
    with clock.frozen(TODAY):
        area_actions._insert_levels([{"code": SECOND_VILLAGE, "name": "第二村"}], source="test", valid_from=None)
        village_with_incidence(VILLAGE_A, 20, 1000)
        village_with_incidence(SECOND_VILLAGE, 10, 1000, prefix="8")
        for year in (YEAR - 2, YEAR - 1, YEAR):
            delisting.start_round(SYSTEM, Area.objects.get(code=COUNTY_A), year, seed=1)
        delisting.start_round(SYSTEM, Area.objects.get(code=COUNTY_B), YEAR, seed=1)
        yield {"client": api(make_user("county_office", COUNTY_A))}


def _schema() -> dict:
    return json.loads(json.dumps(ninja_api.get_openapi_schema()))  # as served: keys are text


def _operations(prefix: str) -> dict[str, dict]:
    schema = _schema()
    return {f"{method.upper()} {path}": op for path, ops in schema["paths"].items() if path.startswith(prefix)
            for method, op in ops.items()}


# --- delisting ---------------------------------------------------------------------------------------------

def test_rounds_are_paginated_like_every_list(world):
    client = world["client"]
    with clock.frozen(TODAY):
        data = client.get("/api/v1/delisting/rounds", {"page_size": 2}).json()
        assert set(data) == {"count", "page", "page_size", "items"}
        assert data["count"] == 3 and data["page"] == 1 and data["page_size"] == 2  # county B's round not counted
        assert [r["year"] for r in data["items"]] == [YEAR, YEAR - 1]
        second = client.get("/api/v1/delisting/rounds", {"page_size": 2, "page": 2}).json()
        assert [r["year"] for r in second["items"]] == [YEAR - 2] and second["count"] == 3
        assert {r["county_code"] for r in data["items"] + second["items"]} == {COUNTY_A}
        one_year = client.get("/api/v1/delisting/rounds", {"year": YEAR - 1}).json()
        assert one_year["count"] == 1 and one_year["page_size"] == 50 and one_year["items"][0]["year"] == YEAR - 1


def test_village_checks_are_paginated_like_every_list(world):
    client = world["client"]
    with clock.frozen(TODAY):
        data = client.get("/api/v1/delisting/villages", {"area": COUNTY_A, "year": YEAR, "page_size": 1}).json()
        assert set(data) == {"count", "page", "page_size", "year", "on", "items"}
        assert data["count"] == 2 and data["page_size"] == 1 and data["year"] == YEAR and data["on"] == "2018-11-20"
        assert [v["code"] for v in data["items"]] == [VILLAGE_A]
        assert data["items"][0]["items"] and data["items"][0]["passed"] is True
        second = client.get("/api/v1/delisting/villages",
                            {"area": COUNTY_A, "year": YEAR, "page_size": 1, "page": 2}).json()
        assert [v["code"] for v in second["items"]] == [SECOND_VILLAGE]
        every = client.get("/api/v1/delisting/villages", {"area": COUNTY_A, "year": YEAR}).json()
        assert [v["code"] for v in every["items"]] == [VILLAGE_A, SECOND_VILLAGE] and every["page_size"] == 50


def test_the_openapi_document_names_the_list_shapes():
    ops = _operations("/api/v1/delisting")
    for key in ("GET /api/v1/delisting/rounds", "GET /api/v1/delisting/villages"):
        params = {p["name"] for p in ops[key]["parameters"]}
        assert {"page", "page_size"} <= params, key
        ref = ops[key]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        props = _schema()["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
        assert {"count", "page", "page_size", "items"} <= set(props), key


def test_every_delisting_and_dynamics_route_has_a_written_summary():
    """Not the summary django-ninja makes of the function's name ("Village Checks")."""
    ops = {**_operations("/api/v1/delisting"), **_operations("/api/v1/dynamics")}
    assert len(ops) == 5
    for key, op in ops.items():
        generated = " ".join(w.capitalize() for w in op["operationId"].rsplit("_api_", 1)[1].split("_"))
        assert op["summary"] != generated, key
        assert len(op["summary"].split()) >= 5, key


# --- dynamics --------------------------------------------------------------------------------------------

def test_dynamics_has_no_trailing_slash_and_the_old_path_answers_the_same(world):
    assert "/api/v1/dynamics" in ninja_api.get_openapi_schema()["paths"]
    assert "/api/v1/dynamics/" not in ninja_api.get_openapi_schema()["paths"]
    client = world["client"]
    with clock.frozen(TODAY):
        new = client.get("/api/v1/dynamics", {"area": COUNTY_A, "year": YEAR})
        old = client.get("/api/v1/dynamics/", {"area": COUNTY_A, "year": YEAR})
        assert new.status_code == 200 and old.status_code == 200
        assert new.json() == old.json() and new.json()["area"]["code"] == COUNTY_A
        # scoped on both paths: county B is not found
        for path in ("/api/v1/dynamics", "/api/v1/dynamics/"):
            r = client.get(path, {"area": COUNTY_B, "year": YEAR})
            assert r.status_code == 404 and r.json()["code"] == "not_found", path


# --- assistance: the measures page reads through queries ------------------------------------------------

def test_the_measures_page_reads_its_list_through_queries(two_counties, make_user, login, monkeypatch):
    from fupin.assistance import queries

    calls = []
    real = queries.measure_list

    def spy(sc, **kwargs):
        calls.append((sc, kwargs))
        return real(sc, **kwargs)

    monkeypatch.setattr(queries, "measure_list", spy)
    c = login(make_user("county_office", COUNTY_A))
    assert c.get("/assistance/measures/", {"withdrawn": "1", "year": "2020", "type": "x"}).status_code == 200
    (sc, kwargs), = calls
    assert list(sc.prefixes) == ["360729"]
    assert kwargs == {"withdrawn": True, "year": 2020, "measure_type": ""}  # an unknown type is no filter


def test_measure_list_keeps_to_the_scope_and_filters(two_counties, make_user):
    from fupin.accounts.scoping import scope_for
    from fupin.assistance import actions, queries
    from tests.test_assistance import make_household

    with clock.frozen(dt.date(2024, 6, 15)):
        mine = make_household("3607291002010001")
        other = make_household("3607831002010001", area_code=VILLAGE_B + "001", seq="041")

        def measure(h, mtype, date, details):
            return actions.record_measure(SYSTEM, household=h, type=mtype, date=date, details=details)

        gift = measure(mine, "other", dt.date(2024, 1, 5), {"description": "送米"})
        old = measure(mine, "other", dt.date(2023, 5, 1), {"description": "送油"})
        job = measure(mine, "employment", dt.date(2024, 4, 1), {"job": "护林"})
        measure(other, "other", dt.date(2024, 1, 5), {"description": "龙南送米"})
        actions.withdraw_measure(SYSTEM, job, "录错")
        sc = scope_for(make_user("county_office", COUNTY_A), "registry.view")

        def ids(**kw):
            return sorted(m.pk for m in queries.measure_list(sc, **kw))

        assert ids() == sorted([gift.pk, old.pk])  # not county B's, not the withdrawn one
        assert ids(withdrawn=True) == sorted([gift.pk, old.pk, job.pk])
        assert ids(year=2024) == [gift.pk]
        assert ids(withdrawn=True, measure_type="employment") == [job.pk]
