"""The shipped policy periods after exit cite the documents by name, in Chinese; an existing
database gets the new wording (migration exits 0003) and keeps an administrator's own text."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fupin.exits.models import PolicyPeriod

DATA = Path(__file__).resolve().parents[1] / "src" / "fupin" / "exits" / "data" / "policy_periods.json"
MIGRATION = "fupin.exits.migrations.0003_shipped_wording"


def _shipped() -> dict:
    return {p["name"]: p for p in json.loads(DATA.read_text(encoding="utf-8"))["periods"]}


def test_an_existing_database_gets_the_new_wording_and_keeps_an_edit(db):
    migration = importlib.import_module(MIGRATION)
    apps = MigrationExecutor(connection).loader.project_state(("exits", "0003_shipped_wording")).apps
    assert len(set(migration.TEXTS.values())) == len(migration.TEXTS)  # it can go back
    migration.backwards(apps, None)  # a database made before: the old shipped wording
    shipped = _shipped()
    rows = {p.name: p for p in PolicyPeriod.objects.filter(name__in=shipped)}
    assert len(rows) == 2 and all("seed" in p.source for p in rows.values())
    zhejiang = rows["浙江省低收入农户退出观察期"]
    zhejiang.note = "本省自定的说明"
    zhejiang.save(update_fields=["note"])
    migration.forwards(apps, None)
    for name, period in shipped.items():
        row = PolicyPeriod.objects.get(pk=rows[name].pk)
        assert row.source == period["source"]
        assert row.note == ("本省自定的说明" if name == zhejiang.name else period["note"])
