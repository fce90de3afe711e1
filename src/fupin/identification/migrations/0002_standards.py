"""Load the standards that ship with the system (data/standards.json): the national
poverty lines with their sources, and the national and 广西 rule sets with their
criteria. Administrators change them in the UI afterwards (audited)."""

import json
from decimal import Decimal
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parents[1] / "data" / "standards.json"


def load(apps, schema_editor):
    Line = apps.get_model("identification", "Line")
    RuleSet = apps.get_model("identification", "RuleSet")
    Criterion = apps.get_model("identification", "Criterion")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    for row in data["lines"]:
        value = Decimal(row["value"])
        Line.objects.update_or_create(
            kind=row["kind"], area_prefix=row["area_prefix"], year=row["year"],
            defaults={"name": row.get("name", ""), "method": "fixed", "value": value, "per": row["per"],
                      "annual_value": value * 12 if row["per"] == "month" else value,
                      "source": row["source"], "note": row.get("note", "")})
    for rs_row in data["rulesets"]:
        rs, _created = RuleSet.objects.update_or_create(
            area_prefix=rs_row["area_prefix"], from_year=rs_row["from_year"],
            defaults={"name": rs_row["name"], "to_year": rs_row["to_year"], "combine": rs_row["combine"],
                      "statuses": rs_row["statuses"], "cutoff_date": rs_row.get("cutoff_date"),
                      "source": rs_row["source"], "note": rs_row.get("note", "")})
        for order, c in enumerate(rs_row["criteria"], start=1):
            Criterion.objects.update_or_create(
                ruleset=rs, code=c["code"],
                defaults={"group": c["group"], "enabled": c["enabled"], "params": c["params"],
                          "source": c["source"], "order": order})


def unload(apps, schema_editor):
    data = json.loads(DATA.read_text(encoding="utf-8"))
    Line = apps.get_model("identification", "Line")
    RuleSet = apps.get_model("identification", "RuleSet")
    for row in data["lines"]:
        Line.objects.filter(kind=row["kind"], area_prefix=row["area_prefix"], year=row["year"]).delete()
    for rs_row in data["rulesets"]:
        RuleSet.objects.filter(area_prefix=rs_row["area_prefix"], from_year=rs_row["from_year"]).delete()


class Migration(migrations.Migration):
    dependencies = [("identification", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
