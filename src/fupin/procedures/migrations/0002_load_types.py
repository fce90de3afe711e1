"""Load the procedure types shipped in data/procedure_types.json: only types whose
code is not in the database yet, so an administrator's edits are never overwritten.
A later data file with new types gets its own migration calling ``load``."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parents[1] / "data" / "procedure_types.json"


def load(apps, schema_editor):
    from fupin.procedures.rules import validate_definition

    ProcedureType = apps.get_model("procedures", "ProcedureType")
    for definition in json.loads(DATA.read_text(encoding="utf-8"))["types"]:
        errors = validate_definition(definition)
        if errors:
            raise ValueError(f"{DATA.name}: type {definition.get('code')}: {errors}")
        if ProcedureType.objects.filter(code=definition["code"]).exists():
            continue
        ProcedureType.objects.create(code=definition["code"], name=definition["name"], name_en=definition["name_en"],
                                     purpose=definition["purpose"], source=definition["source"],
                                     definition=definition, active=True)


class Migration(migrations.Migration):
    dependencies = [("procedures", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
