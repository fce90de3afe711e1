"""Applications (农户自主申报): accepting one whose applicant's ID number is active outside
the application's village tells a cadre nothing of that household, and tells an officer
whose area covers it which household it is; the public form's signed serve time
(min_seconds_to_fill in data/applications.json)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from fupin.areas import actions as areas
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Invalid
from fupin.monitoring import actions, rules
from fupin.monitoring.forms import new_stamp
from fupin.monitoring.models import Application
from fupin.monitoring.models import MonitoredHousehold as M
from fupin.registry.models import Household, Member
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A, VILLAGE_B
from tests.test_monitoring import household

# A village of county A in another township (大吉山镇) than VILLAGE_A's (城厢镇).
FAR = "360729101201"
FAR_MARKERS = ("远山", "大吉山", "360729101", "龙岗", "龙南", "360783")
# The registry's own refusal (registry.actions._check_member), not a second copy of it here.
GENERIC = ("This ID number belongs to an active member of a household outside your area. Please contact the county "
           "poverty office.")


pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals


@pytest.fixture
def far(two_counties):
    areas._insert_levels([{"code": FAR, "name": "远山村"}, {"code": FAR + "001", "name": "第1村民小组"}],
                         source="test", valid_from=None)
    return household(60, village=FAR)


def _application(id_number: str) -> Application:
    return actions.record_application(SYSTEM, village=VILLAGE_A, name="申请人", what="因病", id_number=id_number,
                                      phone="13800138000")


def _written() -> tuple:
    return (Household.objects.count(), Member.objects.count(), M.objects.count(), AuditEvent.objects.count())


def test_a_cadre_learns_nothing_of_a_household_outside_the_area(far, make_user):
    """A village cadre, and a county officer whose county does not hold the household:
    refused by the registry (the ID number stays unique among active members), nothing
    named, nothing written (the household made for the applicant is rolled back)."""
    theirs = household(61, village=VILLAGE_B)
    cases = [(Actor(make_user("village_cadre", VILLAGE_A)), far),
             (Actor(make_user("county_office", COUNTY_A)), theirs)]
    for actor, h in cases:
        app = _application(h.members.get().id_number)
        before = _written()
        with pytest.raises(Invalid) as exc:
            actions.accept_application(actor, app, kind=M.EDGE)
        message = str(exc.value.message)
        assert message == GENERIC
        assert not [m for m in (*FAR_MARKERS, h.number, h.head_name) if m in message]
        assert _written() == before
        app.refresh_from_db()
        assert app.state == Application.PENDING and app.record is None


def test_the_application_page_names_nothing_of_the_household(far, make_user, login):
    cadre = make_user("village_cadre", VILLAGE_A)
    app = _application(far.members.get().id_number)
    r = login(cadre).post(reverse("monitoring:application", args=[app.pk]), {"action": "accept", "a-kind": M.EDGE})
    text = r.content.decode()
    assert r.status_code == 200 and GENERIC in text
    assert not [m for m in (*FAR_MARKERS, far.number, far.head_name) if m in text]
    assert M.objects.count() == 0 and Household.objects.count() == 1


def test_an_officer_over_both_is_told_the_household_and_may_choose_it(far, make_user):
    officer = Actor(make_user("county_office", COUNTY_A))
    app = _application(far.members.get().id_number)
    before = _written()
    with pytest.raises(Invalid) as exc:
        actions.accept_application(officer, app, kind=M.EDGE)
    message = str(exc.value.message)
    assert far.number in message and "远山村" in message and message != GENERIC
    assert _written() == before
    # Chosen by its number, the application is accepted for that household.
    rec = actions.accept_application(officer, app, kind=M.EDGE, household=far)
    assert rec.household == far and Household.objects.count() == 1


def test_an_id_number_in_the_application_village_finds_its_household(two_counties, make_user):
    mine = household(62)
    app = _application(mine.members.get().id_number)
    rec = actions.accept_application(Actor(make_user("village_cadre", VILLAGE_A)), app, kind=M.EDGE)
    assert rec.household == mine and Household.objects.count() == 1 and Member.objects.count() == 1


# --- the public form's serve time -----------------------------------------------------------

def _post(client, **data):
    base = {"village": VILLAGE_A, "name": "申请人", "phone": "13800138000", "what": "家里遭灾", "website": ""}
    return client.post(reverse("monitoring:apply"), {**base, **data}, REMOTE_ADDR="10.1.2.4")


def _stamp_in(text: str) -> str:
    return re.search(r'name="stamp" value="([^"]+)"', text).group(1)


def test_the_served_form_carries_a_stamp_and_too_fast_is_refused(two_counties):
    client = Client()
    stamp = _stamp_in(client.get(reverse("monitoring:apply")).content.decode())
    r = _post(client, stamp=stamp)  # at once: a program, not a person
    text = r.content.decode()
    assert r.status_code == 200 and "too quickly" in text and 'id="applied"' not in text
    assert not Application.objects.exists()
    with clock.frozen(clock.now() + dt.timedelta(seconds=5)):
        r = _post(client, stamp=stamp)
    assert 'id="applied"' in r.content.decode() and Application.objects.count() == 1


def test_a_missing_changed_or_old_stamp_is_refused(two_counties):
    good = new_stamp(clock.now() - dt.timedelta(minutes=1))
    value, ts, sig = good.split(":")
    older = signing.b62_encode(signing.b62_decode(ts) - 3600)
    bad = {
        "missing": None,
        "garbage": "x",
        "signature changed": f"{value}:{ts}:{sig[:-1]}{'A' if sig[-1] != 'A' else 'B'}",
        "time changed": f"{value}:{older}:{sig}",
        "another signer": signing.TimestampSigner(salt="other").sign("apply"),
        "expired": new_stamp(clock.now() - dt.timedelta(days=2)),
    }
    client = Client()
    for label, stamp in bad.items():
        r = _post(client, **({"stamp": stamp} if stamp is not None else {}))
        text = r.content.decode()
        assert r.status_code == 200 and "out of date or was changed" in text, label
        assert 'id="applied"' not in text, label
        assert _stamp_in(text) != stamp, label  # the form is served again, with a stamp of now
    assert not Application.objects.exists()
    with clock.frozen(clock.now() + dt.timedelta(seconds=5)):  # sent again, as served again
        r = _post(client, stamp=_stamp_in(text))
    assert 'id="applied"' in r.content.decode() and Application.objects.count() == 1


def test_the_minimum_time_is_data(two_counties, monkeypatch):
    data = rules.application_data()
    monkeypatch.setattr(rules, "application_data", lambda: {**data, "min_seconds_to_fill": 120})
    client = Client()
    r = _post(client, stamp=new_stamp(clock.now() - dt.timedelta(seconds=60)))
    assert "too quickly" in r.content.decode() and not Application.objects.exists()
    r = _post(client, stamp=new_stamp(clock.now() - dt.timedelta(seconds=121)))
    assert 'id="applied"' in r.content.decode() and Application.objects.count() == 1
