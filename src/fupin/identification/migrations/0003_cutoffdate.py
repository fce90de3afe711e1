"""One identification cut-off date (识别时间节点) in the system, owned by identification.

Before: the comparison app had its own ``CutoffDate`` table (used by matching), and each
identification rule set had a ``cutoff_date`` field (used by the rule run's vetoes).
This migration creates ``identification.CutoffDate``, copies every comparison row into it
(same area, date, source, note, version, editor), turns each rule set's cut-off into the
cut-off of the rule set's area when that area has none yet (the latest rule set of an area
wins; a comparison row for the same area is kept, since it is the one matching used), and
drops the rule-set field. Comparison's table is dropped by comparison 0003 afterwards."""

import json
from pathlib import Path

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DATA = Path(__file__).resolve().parents[1] / "data" / "cutoffs.json"


def copy(apps, schema_editor):
    Cutoff = apps.get_model("identification", "CutoffDate")
    RuleSet = apps.get_model("identification", "RuleSet")
    Old = apps.get_model("comparison", "CutoffDate")
    for old in Old.objects.all():
        Cutoff.objects.update_or_create(area_prefix=old.area_prefix, defaults={
            "date": old.date, "source": old.source, "note": old.note, "version": old.version,
            "updated_by_id": old.updated_by_id})
    for rs in RuleSet.objects.exclude(cutoff_date=None).order_by("area_prefix", "-from_year"):
        if Cutoff.objects.filter(area_prefix=rs.area_prefix).exists():
            continue
        Cutoff.objects.create(area_prefix=rs.area_prefix, date=rs.cutoff_date, source=rs.source[:300],
                              note=f"From rule set “{rs.name}” (from {rs.from_year}).", updated_by_id=rs.updated_by_id)
    for row in json.loads(DATA.read_text(encoding="utf-8"))["cutoffs"]:  # a new database: the shipped dates
        Cutoff.objects.get_or_create(area_prefix=row["area_prefix"], defaults={
            "date": row["date"], "source": row["source"], "note": row.get("note", "")})


def copy_back(apps, schema_editor):
    Cutoff = apps.get_model("identification", "CutoffDate")
    RuleSet = apps.get_model("identification", "RuleSet")
    Old = apps.get_model("comparison", "CutoffDate")
    for c in Cutoff.objects.all():
        Old.objects.update_or_create(area_prefix=c.area_prefix, defaults={
            "date": c.date, "source": c.source, "note": c.note, "version": c.version, "updated_by_id": c.updated_by_id})
        RuleSet.objects.filter(area_prefix=c.area_prefix).update(cutoff_date=c.date)


class Migration(migrations.Migration):
    dependencies = [
        ("identification", "0002_standards"),
        ("comparison", "0002_cutoffs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CutoffDate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("area_prefix", models.CharField(blank=True, help_text="Empty for the whole country; 2 digits a province, 4 a city, 6 a county.", max_length=12, unique=True, verbose_name="area (code prefix)")),
                ("date", models.DateField(verbose_name="identification cut-off date")),
                ("source", models.CharField(max_length=300, verbose_name="source document")),
                ("note", models.TextField(blank=True, verbose_name="note")),
                ("version", models.PositiveIntegerField(default=1, editable=False)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("updated_by", models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={"verbose_name": "identification cut-off date", "ordering": ["area_prefix"]},
        ),
        migrations.RunPython(copy, copy_back),
        migrations.RemoveField(model_name="ruleset", name="cutoff_date"),
    ]
