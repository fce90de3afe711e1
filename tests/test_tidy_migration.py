"""procedures 0004 (the shipped wording) rewrites the old texts set-based — not one query per
batch — with the result the row-by-row version gave: every string value equal to an old text
replaced wherever it is (types' sources, definitions of types and batches, nested in objects
and lists), keys and longer strings left alone; and back again."""

from __future__ import annotations

import copy
import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fupin.areas.models import Area
from fupin.procedures.models import ProcedureBatch, ProcedureType
from tests.conftest import VILLAGE_A

migration = importlib.import_module("fupin.procedures.migrations.0004_shipped_wording")
OLD = list(migration.TEXTS)


def reference(value, texts: dict):
    """What the migration did row by row (its data step as shipped): each string value found
    in ``texts`` replaced, dicts and lists walked, keys kept."""
    if isinstance(value, dict):
        return {k: reference(v, texts) for k, v in value.items()}
    if isinstance(value, list):
        return [reference(v, texts) for v in value]
    if isinstance(value, str):
        return texts.get(value, value)
    return value


def odd_definitions(base: dict) -> list:
    """Definitions holding the old texts in every kind of place."""
    a, b, c = OLD[0], OLD[3], OLD[9]
    return [
        copy.deepcopy(base),
        {"steps": [{"days_source": a}, {"days_source": a}, {"x": [[b, {"y": c}], a]}], "source": b},
        {a: "a key is not replaced", "k": [a + " (longer)", "前" + a, 'x"' + a, a + '"'], "n": [1, None, True]},
        {"中文键": {"键 with space.and dot": [c, c, c]}, "[0]": b, "$": a, "": c},
        {"q\"uote": a, "back\\slash": b},  # (a key SQLite's paths cannot name: done row by row)
        {"steps": [], "untouched": "本县文件"},
        {"same": migration.TEXTS[a]},  # already new
    ]


@pytest.fixture
def world(two_counties):
    migration.backwards(apps, None)  # the database as 0002 left it before the change
    village = Area.objects.get(code=VILLAGE_A, valid_to__isnull=True)
    shipped = ProcedureType.objects.get(code="identification_2014")
    edited = ProcedureType.objects.get(code="identification_5day")
    edited.source = "本县文件"
    edited.save()
    ProcedureType.objects.create(code="local_copy", name="本地", purpose="identification", source=OLD[4],
                                 definition={"steps": [{"days_source": OLD[2]}], "odd": {"k": OLD[4]}})
    odd = odd_definitions(shipped.definition)
    quoted = [d for d in odd if 'q"uote' in d]
    definitions = [d for d in odd if d not in quoted] * 20 + quoted  # 121 batches
    now = timezone.now()
    ProcedureBatch.objects.bulk_create(
        ProcedureBatch(type=shipped, definition=d, title=f"批次{n}", area=village, area_code=village.code,
                       county_code=village.code[:6], created_at=now) for n, d in enumerate(definitions))
    return definitions


def _rows() -> dict:
    return {("type", t.pk): (t.source, t.definition) for t in ProcedureType.objects.all()} | {
        ("batch", b.pk): (None, b.definition) for b in ProcedureBatch.objects.all()}


def test_the_wording_is_rewritten_set_based_as_row_by_row(world):
    before = _rows()
    assert sum(1 for key in before if key[0] == "batch") == len(world) > 120
    expected = {key: (reference(source, migration.TEXTS) if source is not None else None,
                      reference(definition, migration.TEXTS)) for key, (source, definition) in before.items()}
    assert expected != before
    with CaptureQueriesContext(connection) as queries:
        migration.forwards(apps, None)
    after = _rows()
    assert after == expected
    assert len(queries) < 30, len(queries)  # not one per batch (121 of them)
    assert ProcedureType.objects.get(code="identification_5day").source == "本县文件"
    back = {new: old for old, new in migration.TEXTS.items()}
    migration.backwards(apps, None)
    assert _rows() == {key: (reference(source, back) if source is not None else None, reference(definition, back))
                       for key, (source, definition) in after.items()}  # reversible, as it was
    assert {k: v for k, v in _rows().items() if "same" not in v[1]} == {
        k: v for k, v in before.items() if "same" not in v[1]}  # (a row already new goes back too)


def test_a_database_already_rewritten_is_left_as_it_is(world):
    migration.forwards(apps, None)
    done = _rows()
    with CaptureQueriesContext(connection) as queries:
        migration.forwards(apps, None)
    assert _rows() == done and len(queries) < 10
