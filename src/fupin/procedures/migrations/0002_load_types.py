"""Load the procedure types shipped in data/procedure_types.json: only types whose
code is not in the database yet, so an administrator's edits are never overwritten.
Other apps load their own types with ``fupin.procedures.loading.load_types``."""

from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parents[1] / "data" / "procedure_types.json"


def load(apps, schema_editor):
    from fupin.procedures.loading import load_types

    load_types(apps, DATA)


class Migration(migrations.Migration):
    dependencies = [("procedures", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
