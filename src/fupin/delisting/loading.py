"""Loading the shipped criteria (data/*.json) into the database: only rows not there
yet, so an administrator's edits survive. Called by migration 0002 and by tests."""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def _read(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def load(apps=None) -> int:
    if apps is None:
        from django.apps import apps as django_apps

        apps = django_apps
    Region = apps.get_model("delisting", "Region")
    VillageCriteria = apps.get_model("delisting", "VillageCriteria")
    CountyCriteria = apps.get_model("delisting", "CountyCriteria")
    created = 0
    for r in _read("regions.json")["regions"]:
        if not Region.objects.filter(code=r["code"]).exists():
            Region.objects.create(code=r["code"], name=r["name"], name_en=r.get("name_en", ""),
                                  provinces=[p["code"] for p in r["provinces"]], source=r["source"])
            created += 1
    for model, name in ((VillageCriteria, "village_criteria.json"), (CountyCriteria, "county_criteria.json")):
        fields = {f.name for f in model._meta.concrete_fields}
        for row in _read(name)["criteria"]:
            if model.objects.filter(area_prefix=row["area_prefix"], from_year=row["from_year"]).exists():
                continue
            model.objects.create(**{k: v for k, v in row.items() if k in fields})
            created += 1
    return created
