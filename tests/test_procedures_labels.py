"""The procedure type pages and a batch's current step in the user's language: purposes,
step kinds, who acts, documents, start checks and the completion hook by their names,
never the codes of the type's data."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.urls import reverse

from fupin.core.actor import Actor
from fupin.procedures import labels
from tests.conftest import COUNTY_A, VILLAGE_A
from tests.test_procedures import make_households, start


@pytest.fixture
def officer(two_counties, make_user):
    return make_user("county_office", COUNTY_A)


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_type_list_shows_purposes_by_name(officer, login):
    body = login(officer).get(reverse("procedures:types")).content.decode()
    rows = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cells = re.findall(r"<td>([^<]*)</td>", rows)
    assert "识别" in cells
    assert not {"exit", "identification", "return", "monitoring"} & set(cells)


def test_type_page_shows_labels_not_codes(officer, login):
    page = login(officer).get(reverse("procedures:type", args=["identification_2014"])).content.decode()
    steps = _text(page.split("<tbody>", 1)[1].split("</tbody>", 1)[0])
    assert "民主评议" in steps and "公示" in steps and "公告" in steps
    for raw in ("procedures.village", "procedures.county", "exit_application", "appraisal_minutes"):
        assert raw not in steps
    rows = re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>", 1)[1].split("</tbody>", 1)[0], re.S)
    kinds = [_text(re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[2]).split("·")[0].strip() for row in rows]
    assert kinds[3:6] == ["民主评议", "公示", "审核"] and kinds[-1] == "公告"  # ("task" waits for its translation)
    assert "村民代表大会民主评议会议记录" in steps  # the step's documents by their titles
    done = _text(page.split('id="on-complete"', 1)[1].split("</p>", 1)[0])
    assert "registry.set_status" not in done and "{" not in done and "贫困户（未脱贫）" in done


def test_exit_type_page_describes_its_start_check(officer, login):
    page = login(officer).get(reverse("procedures:type", args=["exit_2016"])).content.decode()
    checks = _text(page.split('id="start-checks"', 1)[1].split("</p>", 1)[0])
    assert "exits.criteria" not in checks and checks.strip()
    assert "procedures.village" not in _text(page.split("<tbody>", 1)[1].split("</tbody>", 1)[0])


@pytest.mark.usefixtures("english")
def test_labels_in_english():
    assert labels.purpose_label("exit") == "Household exit"
    assert labels.kind_label({"kind": "task"}) == "task"
    assert labels.kind_label({"kind": "notice", "announcement": True}) == "announcement"
    assert "exit criteria" in labels.check_label("exits.criteria")
    assert labels.check_label("app.unknown") == "app.unknown"
    done = labels.hook_label({"hook": "registry.set_status", "params": {"status": "registered"}})
    from fupin.registry import codes

    assert done.startswith("Each household's status becomes")
    assert f"“{codes.label('status', 'registered')}”" in done and "“registered”" not in done  # the label, not the code


def test_current_step_is_named_in_the_users_language(officer, login):
    households = make_households(VILLAGE_A, 2)
    batch = start(Actor(officer), households)
    client = login(officer)
    zh = client.get(reverse("procedures:batch", args=[batch.pk])).content.decode()
    current = zh.split("当前环节", 1)[1].split("</h2>", 1)[0]
    assert "农户申请或村民小组提名" in current and "Application" not in current
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    en = client.get(reverse("procedures:batch", args=[batch.pk])).content.decode()
    current = en.split("Current step", 1)[1].split("</h2>", 1)[0]
    assert "Application by the household" in current and "农户申请" not in current


# --- the shipped wording (procedures/data and exits/data procedure types) -----------------------

def test_an_existing_database_gets_the_new_wording(officer):
    """The types are loaded once (0002): the wording migration rewrites the old shipped
    texts in the types and in the batches' copies, and leaves an edited text alone."""
    import importlib

    from django.apps import apps

    from fupin.procedures.models import ProcedureBatch, ProcedureType

    migration = importlib.import_module("fupin.procedures.migrations.0004_shipped_wording")
    batch = start(Actor(officer), make_households(VILLAGE_A, 1))
    migration.backwards(apps, None)  # the database as 0002 left it before this change
    old = ProcedureType.objects.get(code="identification_2014")
    assert "seed 003" in old.definition["steps"][4]["days_source"]
    assert "seed 003" in ProcedureBatch.objects.get(pk=batch.pk).definition["steps"][4]["days_source"]
    edited = ProcedureType.objects.get(code="identification_5day")
    edited.source = "本县文件"
    edited.save()
    migration.forwards(apps, None)
    for t in ProcedureType.objects.filter(code__in=["identification_2014", "exit_2016", "return_2016"]):
        dumped = json.dumps([t.source, t.definition], ensure_ascii=False)
        assert "seed" not in dumped.lower() and "issue" not in dumped
    assert "泗水县" in ProcedureType.objects.get(code="identification_2014").definition["steps"][4]["days_source"]
    assert "seed" not in json.dumps(ProcedureBatch.objects.get(pk=batch.pk).definition, ensure_ascii=False)
    assert ProcedureType.objects.get(code="identification_5day").source == "本县文件"
