"""Monitoring pages: the public application form (anonymous, shows nothing of any area,
reads nothing, anti-abuse), the lists and the record page, the logged export, the API."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from fupin.areas.models import Area
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.monitoring import actions, rules
from fupin.monitoring.forms import new_stamp
from fupin.monitoring.models import Application
from fupin.monitoring.models import MonitoredHousehold as M
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A, VILLAGE_B
from tests.test_monitoring import household

MARKERS = ("全南", "龙南", "石桥", "龙岗", "360729", "360783")


pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals


def _apply(client, **data):
    """Send the public form as a person would: served a minute ago (a stamp from its signer)."""
    base = {"village": VILLAGE_B, "name": "龙南申请人", "phone": "13800138000", "what": "家里遭灾", "website": "",
            "stamp": new_stamp(clock.now() - dt.timedelta(minutes=1))}
    return client.post(reverse("monitoring:apply"), {**base, **data}, REMOTE_ADDR="10.1.2.3")


def test_public_form_shows_nothing_of_any_area(two_counties):
    rec_h = household(1)
    actions.open_episode(SYSTEM, rec_h, kind=M.EDGE, channel="visit", date=dt.date(2024, 1, 1), who="x", what="y")
    Application.objects.create(area_code=VILLAGE_A, channel="public", name="石桥申请人", what="全南 因病",
                               received_at=clock.now())
    client = Client()
    page = client.get(reverse("monitoring:apply"))
    assert page.status_code == 200
    text = page.content.decode()
    assert not [m for m in MARKERS if m in text]
    assert "石桥申请人" not in text and rec_h.number not in text
    # A valid application: a pending application for the village, and a thank-you that names nothing.
    done = _apply(client)
    assert done.status_code == 200 and 'id="applied"' in done.content.decode()
    assert not [m for m in ("龙岗", "石桥", "全南") if m in done.content.decode()]
    app = Application.objects.get(name="龙南申请人")
    assert app.state == "pending" and app.area_code == VILLAGE_B and app.channel == "public"
    # Nothing else was created.
    assert M.objects.count() == 1


def test_public_form_anti_abuse(two_counties):
    client = Client()
    _apply(client, website="http://spam.example")  # the hidden field: looks accepted, nothing stored
    assert not Application.objects.exists()
    bad = _apply(client, village="360783999999")
    assert bad.status_code == 200 and not Application.objects.exists()
    for _i in range(3):
        _apply(client)
    too_many = _apply(client)
    assert "Too many" in too_many.content.decode()
    assert Application.objects.count() == 3


def test_pages_and_logged_export(two_counties, make_user, login):
    cadre = make_user("village_cadre", VILLAGE_A)
    h = household(2)
    rec = actions.open_episode(SYSTEM, h, kind=M.SUDDEN, channel="visit", date=dt.date(2024, 1, 1), who="李明",
                               what="洪灾", risks=["disaster.flood"])
    c = login(cadre)
    for name in ("monitoring:index", "monitoring:worklist", "monitoring:applications", "monitoring:new",
                 "monitoring:application_new"):
        assert c.get(reverse(name)).status_code == 200, name
    page = c.get(reverse("monitoring:record", args=[rec.pk]))
    assert page.status_code == 200 and h.number in page.content.decode()
    r = c.post(reverse("monitoring:record_action", args=[rec.pk]),
               {"action": "help", "date": "2024-01-02", "what": "救助金", "amount": "1000", "given_by": "民政所"})
    assert r.status_code == 302
    rec.refresh_from_db()
    assert rec.helped_first
    assert 'id="helped-first"' in c.get(reverse("monitoring:record", args=[rec.pk])).content.decode()
    export = c.get(reverse("monitoring:export"))
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Household number", "Head of household", "Area code")  # headers translated
    row = next(r for r in rows[1:] if r[0] == h.number)
    assert row[5] == rules.risk_label("disaster.flood") and row[8] == "Yes" and not row[9]
    assert AuditEvent.objects.filter(action="monitoring.export", kind="export", count=len(rows) - 1).exists()
    # Department warnings page needs monitoring.warn (a village cadre has not).
    assert c.get(reverse("monitoring:warnings")).status_code == 403


def test_api(two_counties, make_user, api):
    user = make_user("county_office", COUNTY_A)
    h = household(3)
    actions.open_episode(SYSTEM, h, kind=M.EDGE, channel="visit", date=dt.date(2024, 1, 1), who="x", what="y",
                         risks=["illness"])
    c = api(user)
    data = c.get("/api/v1/monitoring/households").json()
    assert data["count"] == 1 and data["items"][0]["risks"] == ["illness"]
    assert c.get("/api/v1/monitoring/hits").json()["count"] == 0
    r = c.post("/api/v1/monitoring/applications", json.dumps({"village": VILLAGE_A, "name": "来电人", "what": "失业",
                                                              "phone": "13800138001"}),
               content_type="application/json")
    assert r.status_code == 201 and "*" in r.json()["phone"]
    assert Application.objects.get(name="来电人").recorded_by == user
    # Refusals in the caller's language, naming the field.
    fax = json.dumps({"village": VILLAGE_A, "name": "来电人", "what": "失业", "channel": "fax"})
    r = c.post("/api/v1/monitoring/applications", fax, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422 and (r.json()["field"], r.json()["message"]) == (
        "channel", "The channel is “phone” or “cadre”.")
    r = c.post("/api/v1/monitoring/applications", fax, content_type="application/json",
               HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 422 and "渠道" in r.json()["message"]
    r = c.get("/api/v1/monitoring/households?area=36072a", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 422 and r.json()["field"] == "area" and "区划" in r.json()["message"]


def test_pages_show_risk_and_procedure_labels_not_codes(two_counties, make_user, login):
    c = login(make_user("village_cadre", VILLAGE_A))
    rec = actions.open_episode(SYSTEM, household(4), kind=M.SUDDEN, channel="visit", date=dt.date(2024, 1, 1),
                               who="李明", what="洪灾", risks=["disaster.flood"])
    label = rules.risk_label("disaster.flood")
    assert label != "disaster.flood"
    actions.record_visit(SYSTEM, rec, date=dt.date(2024, 1, 2), visitors="李明、王芳", findings="房屋倒塌",
                         consent_signed=True, consent_signed_by="户主")
    actions.start_identification(SYSTEM, Area.objects.get(code=VILLAGE_A), [rec])
    for url, state in ((reverse("monitoring:index"), "identification: Active<"), (
            reverse("monitoring:record", args=[rec.pk]), ", Active)")):
        text = c.get(url).content.decode()
        assert f">{label}<" in text and ">disaster.flood<" not in text, url
        assert state in text and state.replace("Active", "active") not in text, url


def test_help_with_a_bad_amount_is_a_message_not_a_server_error(two_counties, make_user, login):
    c = login(make_user("village_cadre", VILLAGE_A))
    rec = actions.open_episode(SYSTEM, household(5), kind=M.SUDDEN, channel="visit", date=dt.date(2024, 1, 1),
                               who="李明", what="洪灾")
    for amount, message in (("NaN", "Not a number."), ("1e12", "The amount is too large.")):
        r = c.post(reverse("monitoring:record_action", args=[rec.pk]),
                   {"action": "help", "date": "2024-01-02", "what": "救助金", "amount": amount, "given_by": "民政所"},
                   follow=True)
        text = r.content.decode()
        assert r.status_code == 200 and message in text and 'id="helped-first"' not in text, amount
    assert not rec.help.exists()


def test_export_has_nothing_of_another_county(two_counties, make_user, login):
    """The scoping case of the export cannot look inside the workbook: read it here."""
    mine = household(6)
    theirs = household(7, village=VILLAGE_B)
    for h in (mine, theirs):
        actions.open_episode(SYSTEM, h, kind=M.EDGE, channel="visit", date=dt.date(2024, 1, 1), who="x", what="y")
    c = login(make_user("county_office", COUNTY_A))
    export = c.get(reverse("monitoring:export"))
    numbers = [r[0] for r in load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(
        min_row=2, values_only=True)]
    assert numbers == [mine.number]
