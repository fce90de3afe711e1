"""Date-times in the API are the instant the pages show, in the server's local time with
its offset (settings.TIME_ZONE, Asia/Shanghai: ``+08:00``), never UTC or ``Z``: one rule
for every route, made by the API's renderer (fupin.api.renderers)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from fupin.accounts import actions as accounts
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.jobs.models import Job
from fupin.registry import actions as registry
from fupin.registry import stats
from tests.conftest import COUNTY_A, PASSWORD, SYSTEM, VILLAGE_A

# 00:15 UTC on 23 November 2026 is 08:15 in Beijing; 18:26:55.123 UTC on 2 March is 02:26:55.123 on the 3rd.
MOMENT = dt.datetime(2026, 11, 23, 0, 15, tzinfo=dt.UTC)


@pytest.fixture
def client(two_counties, make_user, api, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    return api(make_user("county_office", COUNTY_A))


@pytest.fixture
def inspector(two_counties, make_user, api, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    return api(make_user("inspector", COUNTY_A))


def test_an_audit_event_is_at_the_local_time_the_page_shows(inspector, make_user, login):
    office = make_user("county_office", COUNTY_A)
    with clock.frozen(MOMENT):
        accounts.create_user(Actor(user=office, channel="web"), username="new.cadre", role="village_cadre",
                             area_code=VILLAGE_A, full_name="钟秀英", password=PASSWORD)
    items = inspector.get("/api/v1/audit/events", {"action": "accounts.user.create", "user": office.username}).json()
    event = items["items"][0]
    assert event["at"] == "2026-11-23T08:15:00+08:00"
    assert dt.datetime.fromisoformat(event["at"]) == MOMENT  # the same instant
    # … as the event's page shows it
    page = login(make_user("inspector", COUNTY_A)).get(reverse("audit:detail", args=[event["id"]])).content.decode()
    assert "2026-11-23 08:15:00" in page


def test_a_job_keeps_its_milliseconds_and_crosses_midnight_in_local_time(client):
    job = Job.objects.create(kind="test", title="t", area_code=COUNTY_A)
    Job.objects.filter(pk=job.pk).update(created_at=dt.datetime(2026, 3, 2, 18, 26, 55, 123456, tzinfo=dt.UTC),
                                         finished_at=None)
    body = client.get(f"/api/v1/jobs/{job.pk}").json()
    assert body["created_at"] == "2026-03-03T02:26:55.123+08:00"
    assert body["finished_at"] is None
    listed = next(j for j in client.get("/api/v1/jobs").json()["items"] if j["id"] == str(job.pk))
    assert listed["created_at"] == body["created_at"]


def test_a_date_time_inside_a_dict_answer_too(client):
    """/api/v1/stats answers a ``dict``: its ``refreshed_at`` is written by the same rule."""
    registry.create_household(SYSTEM, number="3607291002010001", area_code=VILLAGE_A + "001", category="1",
                              standard="1", main_cause="01", identified_year=2016, status="registered",
                              status_date=dt.date(2016, 3, 1))
    with clock.frozen(MOMENT):
        stats.refresh(SYSTEM, COUNTY_A)
    body = client.get("/api/v1/stats", {"area": COUNTY_A, "source": "rollup"}).json()
    assert body["refreshed_at"] == "2026-11-23T08:15:00+08:00", body.get("refreshed_at")


def test_dates_stay_dates(client):
    assert client.get("/api/v1/exits/observation", {"on": "2017-01-05"}).json()["on"] == "2017-01-05"


@pytest.mark.parametrize(("value", "written"), [
    (dt.datetime(2026, 11, 23, 0, 15, tzinfo=dt.UTC), "2026-11-23T08:15:00+08:00"),
    (dt.datetime(2026, 11, 23, 8, 15, tzinfo=dt.timezone(dt.timedelta(hours=8))), "2026-11-23T08:15:00+08:00"),
    (dt.datetime(2026, 11, 23, 8, 15), "2026-11-23T08:15:00+08:00"),  # naive: local, as Django reads it
])
def test_the_rule(settings, value, written):
    from fupin.api.renderers import local_isoformat

    settings.TIME_ZONE = "Asia/Shanghai"
    assert local_isoformat(value) == written
    assert timezone.is_aware(dt.datetime.fromisoformat(written))
