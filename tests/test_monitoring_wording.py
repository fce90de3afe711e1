"""Shipped monitoring policy data and exit criteria in the words officers read: policy
documents cited by name (no internal "seed N" / "issue N"), sources and notes in Chinese;
an existing database gets the new wording (migration monitoring 0003) while an
administrator's own text is kept; the statuses the warning rules look at are data only."""

from __future__ import annotations

import importlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from fupin.areas.models import Area
from fupin.core.actor import Actor
from fupin.core.errors import Invalid
from fupin.exits.models import ExitCriteria
from fupin.identification import actions as id_actions
from fupin.jobs.models import Job
from fupin.monitoring import actions, engine, rules
from fupin.monitoring.models import WarningHit, WarningRun
from fupin.procedures.models import ProcedureType
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A
from tests.test_monitoring import LINE_2023, household, income

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def world(two_counties, make_user):
    """The monitoring line of 2023 for the province, a county office and a village cadre of county A."""
    id_actions.save_line(SYSTEM, None, kind="monitoring", area_prefix="36", year=2023, value=LINE_2023,
                         name="江西省防返贫监测范围", source="test")
    county, cadre = make_user("county_office", COUNTY_A), make_user("village_cadre", VILLAGE_A)
    return {"county": Actor(county), "cadre": Actor(cadre), "county_user": county, "cadre_user": cadre}

SRC = Path(__file__).resolve().parents[1] / "src" / "fupin"
MIGRATION = "fupin.monitoring.migrations.0003_shipped_wording"
def _historical_apps():
    return MigrationExecutor(connection).loader.project_state(("monitoring", "0003_shipped_wording")).apps


def _shipped_types() -> dict:
    data = json.loads((SRC / "monitoring" / "data" / "procedure_types.json").read_text(encoding="utf-8"))
    return {t["code"]: t for t in data["types"]}


def _shipped_criteria() -> dict:
    data = json.loads((SRC / "exits" / "data" / "exit_criteria.json").read_text(encoding="utf-8"))
    return {(c["area_prefix"], c["from_year"]): c for c in data["criteria"]}


def test_a_database_loaded_before_gets_the_new_wording_and_keeps_an_edit(two_counties, make_user, login):
    migration = importlib.import_module(MIGRATION)
    apps = _historical_apps()
    # The old texts and the new ones pair one to one (the migration can go back).
    for texts in (migration.PROCEDURE_TEXTS, migration.EXIT_TEXTS):
        assert len(set(texts.values())) == len(texts)
    # A database made before: the rows hold the old shipped wording (going back puts it there).
    migration.backwards(apps, None)
    assert "seed 003" in ProcedureType.objects.get(code="monitoring_identify").source
    national = ExitCriteria.objects.get(area_prefix="", from_year=2014)
    assert "seed 003" in national.source and any("seed" in i["source"] for i in national.items)
    # An administrator's own wording of one text.
    shandong = ExitCriteria.objects.get(area_prefix="37", from_year=2016)
    shandong.note = "本省自定的说明"
    shandong.save(update_fields=["note"])
    migration.forwards(apps, None)
    shipped = _shipped_types()
    for code in ("monitoring_identify", "monitoring_clear"):
        row = ProcedureType.objects.get(code=code)
        assert row.source == shipped[code]["source"]
        assert row.definition == shipped[code], code  # every source inside the definition too
    for key, c in _shipped_criteria().items():
        row = ExitCriteria.objects.get(area_prefix=key[0], from_year=key[1])
        assert row.source == c["source"]
        assert {i["code"]: i["source"] for i in row.items} == {i["code"]: i["source"] for i in c["items"]}
        assert row.note == ("本省自定的说明" if key[0] == "37" else c["note"])
    # The pages show it: the exit criteria and the monitoring procedure type.
    client = login(make_user("county_office", COUNTY_A))
    for url, cited in ((reverse("exits:criteria"), "《泗水县建档立卡贫困人口和省定重点村退出工作方案》"),
                       (reverse("procedures:type", args=["monitoring_identify"]), "《乡村振兴重点帮扶村工作方案》")):
        page = client.get(url)
        assert page.status_code == 200, url
        text = page.content.decode()
        assert cited in text and "seed" not in text, url


def _without_statuses(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "statuses"}


def test_warning_statuses_come_only_from_the_data(world, monkeypatch):
    returned = household(50, status="returned")
    exited = household(51)
    for h in (returned, exited):
        income(h, 2023, LINE_2023 - Decimal(100))
    run = engine.run_rules(world["county"], COUNTY_A, 2023)
    # The shipped data looks at exited and rural households, not at returned ones.
    assert set(WarningHit.objects.filter(run=run).values_list("household_id", flat=True)) == {exited.pk}
    data = rules.warning_data()
    # A rule may name its own statuses; the others keep the file's.
    own = {**data, "rules": [{**r, "statuses": ["returned"]} if r["code"] == "income_below_line" else r
                             for r in data["rules"]]}
    monkeypatch.setattr(rules, "warning_data", lambda: own)
    run = engine.run_rules(world["county"], COUNTY_A, 2023)
    assert set(WarningHit.objects.filter(run=run).values_list("household_id", flat=True)) == {returned.pk}
    # No statuses for a rule, nor a default in the file: refused, naming the rule; nothing runs.
    monkeypatch.setattr(rules, "warning_data", lambda: _without_statuses(data))
    def recorded():  # runs, jobs and hits: a refused rule records none of them
        return WarningRun.objects.count(), Job.objects.count(), WarningHit.objects.count()

    before = recorded()
    assert before[0] == 2  # the two runs above
    with pytest.raises(Invalid, match=r"Per-capita net income below the year's monitoring line.*statuses"):
        actions.start_warning_run(world["county"], Area.objects.get(code=COUNTY_A), 2023)
    assert recorded() == before  # no job started
    with pytest.raises(Invalid, match="statuses"):
        engine.run_rules(world["county"], COUNTY_A, 2023)
    assert recorded() == before  # no run recorded (an empty one would read "no hits")
    # A status the registry does not know is refused too (a typo would match nothing).
    monkeypatch.setattr(rules, "warning_data", lambda: {**data, "statuses": ["exitted"]})
    with pytest.raises(Invalid, match="exitted"):
        rules.check_warning_rules()
