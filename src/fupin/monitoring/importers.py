"""A department's warning file (hospital bills, disaster areas, lost jobs …): Excel or
CSV, keyed on the ID number, imported all or nothing with an error report naming the
row, the column, the value and the reason. Rows are matched to active registry members
in one query per chunk; the file is written with bulk_create in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from fupin.accounts.scoping import require, scope_for
from fupin.audit import actions as audit
from fupin.core import dates, money
from fupin.core.actor import Actor
from fupin.core.errors import ActionError
from fupin.core.tabular import ErrorReport, read_table, require_headers, write_xlsx
from fupin.core.uploads import sent_name
from fupin.identification import rules as id_rules
from fupin.jobs.actions import NoProgress
from fupin.registry import rules as registry_rules
from fupin.registry.models import Member

from . import rules
from .models import DepartmentWarning, WarningImport

WARN = "monitoring.warn"
CHUNK = 2000


@dataclass(frozen=True)
class Column:
    header: str
    required: bool
    help: str


COLUMNS = [
    Column("身份证号", True, "18 位公民身份号码；须为系统中在册成员（按身份证号匹配）。"),
    Column("姓名", True, "与身份证号对应的姓名（核对用）。"),
    Column("类别", True, "医疗费用、受灾、意外事故、教育支出、失业、其他（或代码 medical, disaster, accident, schooling, "
                       "unemployment, other）。"),
    Column("日期", True, "发生日期 YYYY-MM-DD。"),
    Column("金额", False, "元；医疗费用为个人自付部分。"),
    Column("说明", False, "选填：医院、灾害名称等。"),
]


def template(target) -> None:
    write_xlsx(target, [c.header for c in COLUMNS], [], sheet_name=_("Department warnings"),
               extra_sheets={"说明": (["列", "必填", "说明"], [(c.header, "是" if c.required else "否", c.help)
                                                        for c in COLUMNS])})


def _parse(row: dict, n: int, report: ErrorReport) -> dict | None:
    ok = True
    out = {}
    raw_id = (row.get("身份证号") or "").strip().upper()
    try:
        registry_rules.parse_id_number(raw_id)
        out["id_number"] = raw_id
    except (ValueError, ActionError):
        report.add(n, "身份证号", raw_id, _("not a valid ID number"))
        ok = False
    name = (row.get("姓名") or "").strip()
    if not name:
        report.add(n, "姓名", "", _("empty"))
        ok = False
    out["name"] = name[:60]
    kind = rules.warning_kind_by_text(row.get("类别") or "")
    if kind is None:
        report.add(n, "类别", row.get("类别") or "", _("not one of the kinds: %(k)s") % {
            "k": ", ".join(rules.warning_kind_codes())})
        ok = False
    out["kind"] = kind
    try:
        out["date"] = dates.parse_date(dates.cell_date(row.get("日期")) or "")
    except ValueError as exc:
        report.add(n, "日期", row.get("日期") or "", str(exc))
        ok = False
    try:
        out["amount"] = money.parse_amount(row.get("金额"))
    except ValueError as exc:
        report.add(n, "金额", row.get("金额") or "", str(exc))
        ok = False
    out["detail"] = (row.get("说明") or "").strip()[:300]
    out["row"] = n
    return out if ok else None


def import_file(actor: Actor, path: str | Path, *, department: str, area_code: str, file_name: str = "",
                progress=None) -> tuple[int, ErrorReport]:
    """Import the file or nothing. Every ID number must belong to an active member of a
    household inside the importer's area (``monitoring.warn``). ``progress`` (a job's
    Progress) counts the rows read, chunk by chunk, and at the end all of them, refused
    or not. ``file_name`` is the name the file was sent with, kept with the import for the
    list of imported files (the page stores the upload under a name of its own); without
    it, the stored file's name."""
    require(actor, WARN, area_code)
    progress = progress or NoProgress()
    report = ErrorReport()
    table = read_table(path)
    require_headers(table, [c.header for c in COLUMNS if c.required])
    scope = None if actor.is_system else scope_for(actor.user, WARN)
    prefix = id_rules.prefix_of_code(area_code)
    rows: list[dict] = []
    chunk: list[dict] = []

    def flush():
        ids = {r["id_number"] for r in chunk}
        found = {m["id_number"]: m for m in Member.objects.filter(id_number__in=ids, active=True)
                 .values("id", "id_number", "name", "household_id", "area_code")}
        for r in chunk:
            m = found.get(r["id_number"])
            if m is None:
                report.add(r["row"], "身份证号", r["id_number"], _("no active member of the registry has this ID number"))
            elif not m["area_code"].startswith(prefix) or (scope is not None and not scope.contains(m["area_code"])):
                report.add(r["row"], "身份证号", r["id_number"], _("the person lives outside your area"))
            elif m["name"] != r["name"]:
                report.add(r["row"], "姓名", r["name"], _("the registry has another name for this ID number"))
            else:
                rows.append({**r, "member_id": m["id"], "household_id": m["household_id"],
                             "area_code": m["area_code"]})
        chunk.clear()

    read = 0
    for n, row in table.rows:
        read += 1
        parsed = _parse(row, n, report)
        if parsed:
            chunk.append(parsed)
        if len(chunk) >= CHUNK:
            flush()
            progress.update(read)
    flush()
    progress.set_total(read)
    progress.update(read)
    if report:
        return 0, report
    if not rows:
        report.add(0, "", "", _("The file has no rows."))
        return 0, report
    with transaction.atomic():
        name = sent_name(file_name or path, WarningImport._meta.get_field("file_name").max_length)
        source = WarningImport.objects.create(department=department[:120], area_code=area_code, file_name=name,
                                              rows=len(rows),
                                              imported_by=actor.user)
        DepartmentWarning.objects.bulk_create(
            (DepartmentWarning(source=source, household_id=r["household_id"], member_id=r["member_id"],
                               area_code=r["area_code"], id_number=r["id_number"], name=r["name"], kind=r["kind"],
                               date=r["date"], amount=r["amount"], detail=r["detail"]) for r in rows),
            batch_size=CHUNK)
        audit.record(actor, "monitoring.warnings.import", obj=source, kind="bulk", count=len(rows),
                     after={"department": source.department, "rows": len(rows)})
    return len(rows), report
