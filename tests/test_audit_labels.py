"""The audit log shows what an action means (a label in the reader's language), not its
code: in the list, as an event's title, in other apps' change histories; an unknown code
is shown as it is; the action filter takes a label; every code the source records has a
label; the date filters have room for a whole date. The API keeps the codes."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fupin.accounts import actions as accounts
from fupin.audit import actions as audit
from fupin.audit import labels
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.core.actor import Actor
from tests.conftest import COUNTY_A, PASSWORD, SYSTEM, VILLAGE_A

SRC = Path(__file__).resolve().parents[1] / "src" / "fupin"

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def log(two_counties, make_user):
    office = make_user("county_office", COUNTY_A, username="office_a")
    with clock.frozen(timezone.make_aware(dt.datetime(2026, 1, 10, 9))):
        cadre, _ = accounts.create_user(Actor(user=office, ip="198.51.100.20", channel="web"), username="cadre_a",
                                        role="village_cadre", area_code=VILLAGE_A, password=PASSWORD)
        odd = audit.record(SYSTEM, "someapp.thing.happened", object_type="x", object_id="1", area_code=COUNTY_A)
    inspector = make_user("inspector", COUNTY_A)
    client = Client()
    client.force_login(inspector)
    return {"client": client, "cadre": cadre, "odd": odd, "inspector": inspector}


def test_list_shows_labels_not_codes(log):
    body = log["client"].get(reverse("audit:list")).content.decode()
    assert "User created" in body
    assert '<span title="accounts.user.create">User created</span>' in body
    assert ">accounts.user.create<" not in body  # the code only as the tooltip
    assert ">someapp.thing.happened<" in body  # unknown: the code itself


def test_detail_title_is_the_label_and_the_code_is_shown_apart(log):
    event = AuditEvent.objects.get(action="accounts.user.create", object_id=str(log["cadre"].pk))
    body = log["client"].get(reverse("audit:detail", args=[event.pk])).content.decode()
    assert '<h1 class="h4 mb-3">User created <small' in body
    assert "Action code" in body and "accounts.user.create" in body
    odd = log["client"].get(reverse("audit:detail", args=[log["odd"].pk])).content.decode()
    assert '<h1 class="h4 mb-3">someapp.thing.happened <small' in odd


def test_the_action_filter_takes_a_label_or_a_code(log):
    def actions(**query):
        return {e.action for e in log["client"].get(reverse("audit:list"), query).context["page_obj"]}

    assert actions(action="user created") == {"accounts.user.create"}
    assert actions(action="accounts.user") == {"accounts.user.create"}
    assert actions(action="someapp") == {"someapp.thing.happened"}
    assert actions(action="no such words") == set()


def test_the_api_keeps_the_codes(log, api):
    items = api(log["inspector"]).get("/api/v1/audit/events").json()["items"]
    assert "accounts.user.create" in {i["action"] for i in items}


def test_labels_follow_the_language():
    from django.utils import translation

    with translation.override("en"):
        assert labels.label("accounts.login") == "Signed in"
        assert labels.label("not.a.code") == "not.a.code"
        assert ("accounts.login", "Signed in") in labels.choices()


def test_every_recorded_action_code_has_a_label():
    """The codes written as literals in the source (audit.record*, and the comparison's
    _save) are all in audit/labels.py: a new action adds its label there."""
    names = {"record", "record_read", "record_export", "record_many"}

    def literals(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return literals(node.body) + literals(node.orelse)
        return []

    found: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            position = 1 if name in names else 2 if name == "_save" else None
            if position is not None and len(node.args) > position:
                for code in literals(node.args[position]):
                    found.setdefault(code, str(path.relative_to(SRC)))
    assert len(found) > 100
    missing = {code: where for code, where in found.items() if code not in labels.ACTIONS}
    assert not missing, f"actions without a label in audit/labels.py: {missing}"


def test_other_pages_histories_show_labels(two_counties, make_user, login):
    from fupin.identification import actions as identification
    from fupin.identification.models import RuleSet

    rs = RuleSet.objects.get(area_prefix="")
    criterion = rs.criteria.get(code="car")
    admin = make_user("admin", None)
    identification.save_criterion(Actor(user=admin, ip=None, channel="web"), rs, criterion, enabled=True)
    body = login(admin).get(reverse("identification:ruleset", args=[rs.pk])).content.decode()
    assert "<td>Criterion changed</td>" in body and "identification.criterion.change" not in body


def test_date_filters_have_room_for_a_whole_date(log):
    """The From/To inputs sat in one-twelfth columns and cut the date (layout)."""
    body = log["client"].get(reverse("audit:list"), {"since": "2026-01-10"}).content.decode()
    for name in ("since", "until"):
        field = re.search(rf'<div class="([^"]*)"><label[^>]*>[^<]*</label><input type="date"[^>]*name="{name}"'
                          rf'[^>]*>', body)
        assert field, name
        assert "col-md-1" not in field.group(1).split() and "col-xl-2" in field.group(1).split()
        assert "min-width: 9.5rem" in field.group(0)
