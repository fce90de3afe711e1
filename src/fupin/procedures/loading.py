"""Loading shipped procedure types from a JSON file ({"types": [definition, …]}).

The engine's own types are in procedures/data/procedure_types.json; an app that adds
types (exit, return, monitoring …) ships its own file and calls ``load_types`` from a
data migration that depends on ``procedures.0002_load_types``. Only codes not yet in
the database are created, so an administrator's edits are never overwritten."""

from __future__ import annotations

import json
from pathlib import Path


def load_types(apps, path: Path) -> int:
    from fupin.procedures.rules import validate_definition

    ProcedureType = apps.get_model("procedures", "ProcedureType")
    created = 0
    for definition in json.loads(Path(path).read_text(encoding="utf-8"))["types"]:
        errors = validate_definition(definition)
        if errors:
            raise ValueError(f"{Path(path).name}: type {definition.get('code')}: {errors}")
        if ProcedureType.objects.filter(code=definition["code"]).exists():
            continue
        ProcedureType.objects.create(code=definition["code"], name=definition["name"], name_en=definition["name_en"],
                                     purpose=definition["purpose"], source=definition["source"],
                                     definition=definition, active=True)
        created += 1
    return created
