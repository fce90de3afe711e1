"""The audit log's pages read two more codes in words: the kind of a started job
(``jobs.start``: ``comparison.import`` → "Import of a data set for comparison", from the
one list of job kinds, jobs/kinds.py) and where a change of status came from
(``registry.household.status_many``: ``procedure:7`` → "Procedure batch 7", as the
household's history says it). The log keeps the codes (the raw value stays in a title)."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.tasks import task

from fupin.audit.models import AuditEvent
from fupin.core.actor import Actor
from fupin.jobs import actions as jobs
from fupin.jobs.kinds import KINDS, kind_label
from fupin.registry import actions as registry_actions
from fupin.registry.models import Household
from tests.conftest import COUNTY_A, SYSTEM
from tests.test_present_audit_fields import inspector, rows  # noqa: F401 (fixture)
from tests.test_registry_amounts import household  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("english")

SRC = Path(__file__).resolve().parent.parent / "src" / "fupin"


@task()
def nothing_task(job_id: str) -> None:
    jobs.run(job_id, lambda progress: None)


def test_a_started_job_is_shown_by_its_kind(inspector, make_user):
    user = make_user("county_office", COUNTY_A)
    job = jobs.start(Actor(user=user), nothing_task, kind="comparison.import", title="导入 低保名单.xlsx",
                     area_code=COUNTY_A, params={"kind": "dibao", "source": "民政局"})
    event = AuditEvent.objects.get(action="jobs.start", object_id=str(job.pk))
    shown = rows(inspector, event)
    assert shown["kind"][2] == "Import of a data set for comparison"
    assert "dibao" in shown["params"][2]  # the importer's own kind, no job kind: as logged
    assert event.after["kind"] == "comparison.import"  # the log keeps the code


@pytest.mark.parametrize(("source", "words"), [
    ("procedure:7", "Procedure batch 7"),
    ("exits:observation", "End of the observation period"),
    ("import", "Import"),
    ("manual", "Entered by hand"),
    ("api", "API"),
])
def test_a_change_of_status_is_shown_by_where_it_came_from(inspector, household, source, words):
    registry_actions.set_status_many(SYSTEM, Household.objects.filter(pk=household.pk), "exited",
                                     dt.date(2019, 12, 31), reason="脱贫", source=source)
    event = AuditEvent.objects.get(action="registry.household.status_many")
    shown = rows(inspector, event)
    assert shown["source"][2] == words
    assert event.after["source"] == source


def test_one_change_of_status_logs_where_it_came_from_and_shows_it_in_words(inspector, household):
    registry_actions.set_status(SYSTEM, household, "exited", dt.date(2019, 12, 31), reason="脱贫", source="api")
    event = AuditEvent.objects.get(action="registry.household.status")
    assert event.after["source"] == "api"
    assert rows(inspector, event)["source"][2] == "API"


def test_an_unknown_kind_is_shown_as_its_code():
    assert kind_label("somewhere.else") == "somewhere.else"
    assert kind_label("assistance.import.pairings") == "Import of assistance data"


def _started_kinds() -> set[str]:
    """The kinds the code starts jobs of (``jobs.start(…, kind=…)``): a literal, a module
    constant, or an f-string's fixed beginning and "{}" ("assistance.import.{}")."""
    found = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant | ast.Tuple):
                targets = node.targets[0].elts if isinstance(node.targets[0], ast.Tuple) else node.targets
                values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                for t, v in zip(targets, values, strict=False):
                    if isinstance(t, ast.Name) and isinstance(v, ast.Constant) and isinstance(v.value, str):
                        constants[t.id] = v.value
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "start"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "jobs"):
                continue
            kind = next((k.value for k in node.keywords if k.arg == "kind"), None)
            if isinstance(kind, ast.Constant):
                found.add(kind.value)
            elif isinstance(kind, ast.Name):
                found.add(constants[kind.id])
            elif isinstance(kind, ast.JoinedStr):
                found.add(kind.values[0].value + "{}")
    return found


def test_every_kind_of_job_started_has_a_name():
    started = _started_kinds()
    assert len(started) >= 14, started
    assert not {k for k in started if kind_label(k) == k}
    # and none is listed that is never started
    assert all(any(k == s or (k.endswith(".") and s.startswith(k)) for s in started) for k in KINDS)
