"""A date-time in a ``dict`` answer of the API is written by the API's renderer, in local time
with its offset, as everywhere else: the dynamics API made its report ready with a helper of
its own whose ``dt.date`` test matched date-times too and wrote them in UTC. The registry's
statistics and the dynamics report now share one helper (``api.renderers.jsonable``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fupin.api import renderers
from tests.conftest import COUNTY_A

MOMENT = dt.datetime(2026, 11, 23, 0, 15, tzinfo=dt.UTC)  # 08:15 in Shanghai


@pytest.fixture
def client(two_counties, make_user, api, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    return api(make_user("county_office", COUNTY_A))


def test_a_date_time_in_the_dynamics_report_is_in_local_time(client, monkeypatch):
    from fupin.dynamics import queries

    real = queries.year_report

    def with_moments(prefix, year, **kw):
        report = real(prefix, year, **kw)
        return {**report, "refreshed_at": MOMENT, "rows": [*report["rows"], {"code": "x", "at": MOMENT}]}

    monkeypatch.setattr(queries, "year_report", with_moments)
    body = client.get("/api/v1/dynamics", {"area": COUNTY_A, "year": 2026}).json()
    assert body["refreshed_at"] == "2026-11-23T08:15:00+08:00"
    assert body["rows"][-1]["at"] == "2026-11-23T08:15:00+08:00"
    assert body["start_date"] == "2026-01-01"  # dates as they were


def test_one_helper_leaves_date_times_to_the_renderer():
    value = {"on": dt.date(2026, 1, 5), "at": MOMENT, "n": Decimal("1.50"), "list": [(dt.date(2026, 2, 1),)]}
    assert renderers.jsonable(value) == {"on": "2026-01-05", "at": MOMENT, "n": 1.5, "list": [["2026-02-01"]]}
    from fupin.dynamics import api as dynamics_api
    from fupin.registry import api as registry_api

    assert dynamics_api.jsonable is renderers.jsonable is registry_api.jsonable
    assert not hasattr(dynamics_api, "_jsonable") and not hasattr(registry_api, "_jsonable")
