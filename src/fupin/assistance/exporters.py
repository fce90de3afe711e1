"""Excel out for pairings, work teams, measures and visits: the import's template (with
its explanations) and the exports, in the import's columns — so an exported file
imports again (importers.py). Measures and visits carry their record number (记录编号,
reimport.COLUMN) in the last column: importing the file again recognises each record by
it and never doubles one (reimport.py)."""

from __future__ import annotations

import io

from fupin.accounts.scoping import Scope
from fupin.core.tabular import write_xlsx

from . import catalog
from .importers import KINDS, LEVEL_ZH, format_details, headers
from .models import Measure, Pairing, TeamMember, Visit


def explain_sheets(kind: str) -> dict:
    sheets = {"说明": (["列", "必填", "说明"], [[c.header, "是" if c.required else "", c.help]
                                               for c in KINDS[kind]["columns"]])}
    if kind == "measures":
        rows = []
        for t in catalog.measure_types():
            for f in t["fields"]:
                allowed = "、".join(zh for _c, zh, _en in f.get("choices", [])) or {
                    "text": "文字", "int": "整数", "decimal": "数字", "bool": "是/否", "date": "日期"}[f["kind"]]
                rows.append([t["zh"], f["zh"], "是" if f.get("required") else "", allowed])
        sheets["措施明细"] = (["措施类型", "明细项目", "必填", "取值"], rows)
        std = catalog.standard("relocation_area_per_person")
        sheets["标准"] = (["标准", "值", "来源"], [[std["zh"], f"{std['value']} {std['unit']}", std["source"]]])
    return sheets


def template_bytes(kind: str) -> bytes:
    out = io.BytesIO()
    write_xlsx(out, headers(kind), [], sheet_name=KINDS[kind]["zh"], extra_sheets=explain_sheets(kind))
    return out.getvalue()


def export_rows(kind: str, scope: Scope):
    """The rows of an export in the import's columns, streamed (iterator, chunked)."""
    if kind == "pairings":
        qs = scope.filter(Pairing.objects.all()).select_related("household", "helper", "helper__unit").order_by(
            "area_code", "household_id", "start", "pk")
        for p in qs.iterator(chunk_size=2000):
            h = p.helper
            yield [p.household.number, h.name, h.phone, h.unit.name if h.unit else "", h.post,
                   LEVEL_ZH.get(h.level, ""), p.start.isoformat(), p.end.isoformat() if p.end else "", p.end_reason]
    elif kind == "teams":
        qs = scope.filter(TeamMember.objects.all()).select_related("team", "team__unit", "person").order_by(
            "area_code", "team_id", "pk")
        roles = {r["code"]: r["zh"] for r in catalog.team_roles()}
        for m in qs.iterator(chunk_size=2000):
            t = m.team
            yield [t.area_code, t.unit.name, t.name, t.start.isoformat(), t.end.isoformat() if t.end else "",
                   m.person.name, m.person.phone, m.person.post, roles.get(m.role, m.role), m.start.isoformat(),
                   m.end.isoformat() if m.end else ""]
    elif kind == "measures":
        qs = scope.filter(Measure.objects.all()).select_related("household").order_by("area_code", "date", "pk")
        funds = {f["code"]: f["zh"] for f in catalog.fund_sources()}
        types = {t["code"]: t["zh"] for t in catalog.measure_types()}
        for m in qs.iterator(chunk_size=2000):
            yield [m.household.number if m.household_id else "", "" if m.household_id else m.area_code,
                   types.get(m.type, m.type), m.date.isoformat(), str(m.amount_to_household), str(m.amount_spent),
                   funds.get(m.fund_source, ""), format_details(m.type, m.details), m.note, str(m.pk)]
    elif kind == "visits":
        qs = scope.filter(Visit.objects.all()).select_related("household", "helper").order_by("area_code", "date",
                                                                                               "pk")
        for v in qs.iterator(chunk_size=2000):
            yield [v.household.number, v.helper.phone, v.date.isoformat(), v.findings, v.agreements, str(v.pk)]


def export_count(kind: str, scope: Scope) -> int:
    model = {"pairings": Pairing, "teams": TeamMember, "measures": Measure, "visits": Visit}[kind]
    return scope.filter(model.objects.all()).count()
