"""Load the monitoring procedure types (data/procedure_types.json): identification of
households to monitor and risk clearance. Only codes not yet in the database."""

from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parents[1] / "data" / "procedure_types.json"


def load(apps, schema_editor):
    from fupin.procedures.loading import load_types

    load_types(apps, DATA)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial"), ("procedures", "0002_load_types")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
