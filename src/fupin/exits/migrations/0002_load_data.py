"""Load the shipped exit procedure types (data/procedure_types.json: exit_2016 and
return_2016), exit criteria (data/exit_criteria.json) and policy periods after exit
(data/policy_periods.json). Only rows not yet in the database are created, so an
administrator's edits are never overwritten."""

import datetime as dt
import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parents[1] / "data"


def load(apps, schema_editor):
    from fupin.exits.rules import check_items, check_period
    from fupin.procedures.loading import load_types

    load_types(apps, DATA / "procedure_types.json")
    ExitCriteria = apps.get_model("exits", "ExitCriteria")
    for row in json.loads((DATA / "exit_criteria.json").read_text(encoding="utf-8"))["criteria"]:
        if ExitCriteria.objects.filter(area_prefix=row["area_prefix"], from_year=row["from_year"]).exists():
            continue
        ExitCriteria.objects.create(name=row["name"], area_prefix=row["area_prefix"], from_year=row["from_year"],
                                    to_year=row.get("to_year"), items=check_items(row["items"]),
                                    source=row["source"], note=row.get("note", ""))
    PolicyPeriod = apps.get_model("exits", "PolicyPeriod")
    for row in json.loads((DATA / "policy_periods.json").read_text(encoding="utf-8"))["periods"]:
        if PolicyPeriod.objects.filter(area_prefix=row["area_prefix"], from_year=row["from_year"]).exists():
            continue
        row = check_period(row)
        PolicyPeriod.objects.create(name=row["name"], area_prefix=row["area_prefix"], from_year=row["from_year"],
                                    to_year=row.get("to_year"), kind=row["kind"], years=row.get("years"),
                                    until=dt.date.fromisoformat(row["until"]) if row.get("until") else None,
                                    source=row["source"], note=row.get("note", ""))


class Migration(migrations.Migration):
    dependencies = [("exits", "0001_initial"), ("procedures", "0002_load_types")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
