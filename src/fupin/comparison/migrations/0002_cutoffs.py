"""Load the identification cut-off dates that ship with the system (data/cutoffs.json).
Administrators add and change them in the UI afterwards (audited)."""

import json
from pathlib import Path

from django.db import migrations

# The file moved with the model to identification (migration identification 0003).
DATA = Path(__file__).resolve().parents[2] / "identification" / "data" / "cutoffs.json"


def load(apps, schema_editor):
    CutoffDate = apps.get_model("comparison", "CutoffDate")
    for row in json.loads(DATA.read_text(encoding="utf-8"))["cutoffs"]:
        CutoffDate.objects.update_or_create(area_prefix=row["area_prefix"], defaults={
            "date": row["date"], "source": row["source"], "note": row.get("note", "")})


def unload(apps, schema_editor):
    CutoffDate = apps.get_model("comparison", "CutoffDate")
    for row in json.loads(DATA.read_text(encoding="utf-8"))["cutoffs"]:
        CutoffDate.objects.filter(area_prefix=row["area_prefix"]).delete()


class Migration(migrations.Migration):
    dependencies = [("comparison", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
