"""Excel / CSV in for pairings (结对帮扶), work teams (驻村工作队), measures (帮扶措施)
and visits (走访记录): all or nothing, with an error report naming the row, the column,
the value and the reason (the template and the exports: exporters.py).

The file is streamed in chunks; each chunk is validated set-based (one query per
chunk for its households, helpers, villages and units — never one per row) and
written with bulk_create inside one transaction, which is rolled back whole if any row
of the file is wrong. The column headers and their explanations are data (the lists
below), as for the registry's exchange format; the same headers are written by the
export, so an exported file imports again — without doubling anything: measures and
visits are recognised by the record number the export writes (reimport.py)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from fupin.accounts.scoping import Scope, scope_for
from fupin.areas.models import Area, Unit
from fupin.audit import actions as audit
from fupin.core import clock, dates, money
from fupin.core.actor import Actor
from fupin.core.errors import ActionError
from fupin.core.tabular import ErrorReport, read_table, require_headers
from fupin.registry.models import Household
from fupin.registry.rules import phone_cell_problem

from . import catalog, reimport, rules
from .models import Helper, Measure, Pairing, TeamMember, Visit, WorkTeam

EDIT = "assistance.edit"
CHUNK = 2000

LEVELS_ZH = {"省": "province", "省级": "province", "市": "city", "市级": "city", "县": "county", "县级": "county",
             "乡": "township", "乡镇": "township", "乡级": "township", "村": "village", "村级": "village"}
LEVEL_ZH = {"province": "省级", "city": "市级", "county": "县级", "township": "乡镇", "village": "村级"}


@dataclass(frozen=True)
class Column:
    header: str
    required: bool
    help: str


KINDS = {
    "pairings": {
        "zh": "结对帮扶", "columns": [
            Column("户编号", True, "贫困户的户编号（建档立卡）。"),
            Column("帮扶责任人", True, "帮扶责任人姓名。"),
            Column("手机", True, "帮扶责任人手机号，用于识别同一人；系统中已有此手机号的帮扶责任人即为同一人。"),
            Column("帮扶单位", False, "帮扶责任人所在单位名称（系统中已有的单位：本区划或上级区划）。"),
            Column("职务", False, "选填。"),
            Column("单位层级", False, "省级、市级、县级、乡镇、村级；留空取单位的层级。"),
            Column("开始日期", True, "结对开始日期 YYYY-MM-DD。该户已有其他帮扶责任人的，视为更换：原结对于开始日期前一天结束，历史保留。"),
            Column("结束日期", False, "选填：已结束的历史结对。"),
            Column("结束原因", False, "选填。"),
        ]},
    "teams": {
        "zh": "驻村工作队", "columns": [
            Column("村代码", True, "工作队驻村的 12 位村级区划代码。"),
            Column("派出单位", True, "派出单位名称（系统中已有的单位）。"),
            Column("工作队名称", False, "选填。"),
            Column("进驻日期", True, "工作队进驻日期 YYYY-MM-DD；村代码、派出单位、进驻日期相同的行属于同一工作队。"),
            Column("撤离日期", False, "选填：工作队撤离日期。"),
            Column("姓名", True, "队员姓名。"),
            Column("手机", True, "队员手机号，用于识别同一人。"),
            Column("职务", False, "队员在原单位的职务。"),
            Column("队内角色", True, "第一书记、工作队长或工作队员。"),
            Column("队员进驻日期", False, "留空取工作队进驻日期。"),
            Column("队员离开日期", False, "选填。"),
        ]},
    "measures": {
        "zh": "帮扶措施", "columns": [
            Column("户编号", False, "措施到户时填户编号；村级措施留空并填村代码。"),
            Column("村代码", False, "村级措施（一村一策）填 12 位村级区划代码。"),
            Column("措施类型", True, "下列之一（名称或代码）：" + "、".join(f"{t['zh']}（{t['code']}）"
                                                             for t in catalog.measure_types())),
            Column("日期", True, "YYYY-MM-DD，不晚于今天。"),
            Column("到户金额", False, "直接到户的钱（元），如工资、补助、分红；可计入收入台账的措施按此金额计入。"),
            Column("投入金额", False, "为该户投入但未到户的钱（元），如建房补助、贴息。"),
            Column("资金来源", False, "、".join(f["zh"] for f in catalog.fund_sources())),
            Column("明细", False, "措施类型的明细项，写成“项目=值；项目=值”，项目名见“措施明细”表。"),
            Column("备注", False, "选填。"),
            Column(reimport.COLUMN, False, reimport.HELP["measures"]),
        ]},
    "visits": {
        "zh": "走访记录", "columns": [
            Column("户编号", True, "被走访户的户编号。"),
            Column("帮扶责任人手机", True, "走访人（系统中已有的帮扶责任人）的手机号。"),
            Column("日期", True, "走访日期 YYYY-MM-DD，不晚于今天。"),
            Column("走访发现", False, "走访发现的情况；与“商定事项”至少填一项。"),
            Column("商定事项", False, "与农户商定的事项。"),
            Column(reimport.COLUMN, False, reimport.HELP["visits"]),
        ]},
}
ROLE_ZH = {r["zh"]: r["code"] for r in catalog.team_roles()} | {r["code"]: r["code"] for r in catalog.team_roles()}


# What the audit items of an import are: the ids of the rows created (or, for a change of
# helper, ended) — pairings, work teams, measures, visits.
OBJECT_TYPES = {"pairings": "assistance.pairing", "teams": "assistance.workteam", "measures": "assistance.measure",
                "visits": "assistance.visit"}


def headers(kind: str) -> list[str]:
    return [c.header for c in KINDS[kind]["columns"]]


def required(kind: str) -> list[str]:
    return [c.header for c in KINDS[kind]["columns"] if c.required]


class _Rollback(Exception):
    pass


_date = dates.cell_date


def _dates(number: int, row: dict, report: ErrorReport, *columns: str) -> dict | None:
    """The dates of ``columns`` in the row (None for an empty cell), or None when a cell
    is not a date: each such cell is named in the report (row, column, value, reason)."""
    out = {}
    for column in columns:
        try:
            out[column] = _date(row.get(column, ""))
        except ValueError as exc:
            report.add(number, column, row.get(column, ""), str(exc))
    return out if len(out) == len(columns) else None


def _chunks(rows, size: int = CHUNK):
    chunk = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Context:
    """What an import keeps across chunks: the actor's scope and the people found or made."""

    def __init__(self, actor: Actor):
        self.actor = actor
        self.scope = Scope([""]) if actor.is_system else scope_for(actor.user, EDIT)
        self.helpers: dict[str, Helper] = {}  # phone -> helper (found or created)
        self.today = clock.today()
        self.counts: dict[str, int] = {}
        self.touched: list[tuple[int, str]] = []
        self.notes: list[str] = []  # rows left out on purpose, each naming its row (the job's log)
        self.referenced: set[int] = set()  # the record numbers (记录编号) the file's rows gave so far

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def households(self, numbers) -> dict[str, Household]:
        return {h.number: h for h in self.scope.filter(Household.objects.filter(number__in=set(numbers)))
                .select_related("village")}

    def find_helpers(self, phones) -> None:
        """Helpers with these phones visible to the actor (one query per chunk)."""
        from .queries import helpers_in

        wanted = {p for p in phones if p and p not in self.helpers}
        if wanted:
            for h in helpers_in(self.scope).filter(phone__in=wanted, active=True).order_by("pk"):
                self.helpers.setdefault(h.phone, h)

    def units(self, names) -> dict[str, Unit]:
        from .queries import units_for

        found: dict[str, Unit] = {}
        for u in units_for(self.scope).filter(name__in=set(names)).order_by("-area_code"):
            found.setdefault(u.name, u)  # the nearest (deepest) unit of that name
        return found


def import_file(actor: Actor, kind: str, path: str | Path,
                notes: list[str] | None = None) -> tuple[dict, ErrorReport]:
    """Import every row of the file, or none. Returns (counts, error report). Rows that
    are not wrong but are left out on purpose (a row of a measure or visit withdrawn or
    corrected since the export: a withdrawn record is never restored, a recorded one never
    changed — see reimport.py) are counted and, when ``notes`` is given, named there, one
    line a row."""
    if kind not in KINDS:
        raise ValueError(kind)
    table = read_table(path)
    require_headers(table, required(kind))
    report = ErrorReport()
    ctx = Context(actor)
    try:
        with transaction.atomic():
            {"pairings": _pairings, "teams": _teams, "measures": _measures, "visits": _visits}[kind](
                ctx, table, report)
            if report:
                raise _Rollback
            event = audit.record(actor, f"assistance.import.{kind}", kind="bulk", object_type=OBJECT_TYPES[kind],
                                 count=sum(ctx.counts.values()), after=ctx.counts, note=Path(path).name)
            audit.record_items(event, ((pk, change) for pk, change in ctx.touched))
    except _Rollback:
        return {}, report
    if notes is not None:
        notes.extend(ctx.notes)
    return ctx.counts, report


# --- pairings ----------------------------------------------------------------------------------

def _helper_values(ctx: Context, number: int, row: dict, report: ErrorReport, units: dict, name_col: str,
                   phone_col: str, area: Area, unit_col: str | None = None, level_col: str | None = None,
                   post_col: str | None = None) -> dict | None:
    name, phone = row.get(name_col, "").strip(), row.get(phone_col, "").strip()
    ok = True
    if not name:
        report.add(number, name_col, name, _("required, but empty"))
        ok = False
    if not phone:
        report.add(number, phone_col, phone, _("required, but empty"))
        ok = False
    elif problem := phone_cell_problem(phone):
        report.add(number, phone_col, phone, problem)
        ok = False
    unit = None
    if unit_col and row.get(unit_col, "").strip():
        unit = units.get(row[unit_col].strip())
        if unit is None:
            report.add(number, unit_col, row[unit_col], _("no unit of this name in your area or above it"))
            ok = False
    level = ""
    if level_col and row.get(level_col, "").strip():
        level = LEVELS_ZH.get(row[level_col].strip(), row[level_col].strip())
        if level not in catalog.helper_levels():
            report.add(number, level_col, row[level_col], _("not one of the allowed values"))
            ok = False
    if not level:
        level = unit.level if unit is not None and unit.level in catalog.helper_levels() else area.level
    if not ok:
        return None
    return {"name": name[:60], "phone": phone, "unit": unit, "level": level,
            "post": (row.get(post_col, "") if post_col else "").strip()[:60], "area": area}


def _get_or_make_helper(ctx: Context, values: dict) -> Helper:
    h = ctx.helpers.get(values["phone"])
    if h is None:
        h = Helper(name=values["name"], phone=values["phone"], unit=values["unit"], level=values["level"],
                   post=values["post"], area=values["area"], area_code=values["area"].code)
        ctx.helpers[h.phone] = h
    return h


def _save_new_helpers(ctx: Context) -> None:
    new = [h for h in ctx.helpers.values() if h.pk is None]
    if new:
        Helper.objects.bulk_create(new)
        if new[0].pk is None:  # backends without RETURNING ids: read them back
            ids = dict(Helper.objects.filter(phone__in=[h.phone for h in new]).order_by("pk")
                       .values_list("phone", "pk"))
            for h in new:
                h.pk = h.id = ids[h.phone]
        ctx.count("helpers_created", len(new))


def _pairings(ctx: Context, table, report: ErrorReport) -> None:
    seen: set[tuple[str, str]] = set()
    for chunk in _chunks(table.rows):
        households = ctx.households(r.get("户编号", "") for _n, r in chunk)
        ctx.find_helpers(r.get("手机", "").strip() for _n, r in chunk)
        units = ctx.units(r.get("帮扶单位", "").strip() for _n, r in chunk if r.get("帮扶单位", "").strip())
        planned = []
        for number, row in chunk:
            h = households.get(row.get("户编号", "").strip())
            if h is None:
                report.add(number, "户编号", row.get("户编号", ""), _("no household with this number in your area"))
                continue
            values = _helper_values(ctx, number, row, report, units, "帮扶责任人", "手机", h.village, "帮扶单位",
                                    "单位层级", "职务")
            days = _dates(number, row, report, "开始日期", "结束日期")
            if days is None:
                continue
            start, end = days["开始日期"], days["结束日期"]
            if start is None:
                report.add(number, "开始日期", row.get("开始日期", ""), _("a date (YYYY-MM-DD) is needed"))
                continue
            if start > ctx.today:
                report.add(number, "开始日期", row.get("开始日期", ""), _("the date is in the future"))
                continue
            if end is not None and end < start:
                report.add(number, "结束日期", row.get("结束日期", ""), _("a date not before the start is needed"))
                continue
            if values is None:
                continue
            key = (h.number, values["phone"])
            if key in seen:
                report.add(number, "手机", values["phone"], _("this helper is paired with this household twice in "
                                                             "the file"))
                continue
            seen.add(key)
            planned.append((h, values, start, end, row.get("结束原因", "").strip()[:200]))
        if report:
            continue
        for _h, values, *_rest in planned:
            _get_or_make_helper(ctx, values)
        _save_new_helpers(ctx)
        _write_pairings(ctx, planned)


def _write_pairings(ctx: Context, planned) -> None:
    household_ids = {h.pk for h, *_ in planned}
    current = {}
    for p in Pairing.objects.filter(household_id__in=household_ids, end__isnull=True):
        current.setdefault(p.household_id, []).append(p)
    in_file: dict[int, set[int]] = {}
    for h, values, _start, end, _reason in planned:
        if end is None:
            in_file.setdefault(h.pk, set()).add(ctx.helpers[values["phone"]].pk)
    new, ended = [], []
    for h, values, start, end, reason in planned:
        helper = ctx.helpers[values["phone"]]
        open_ = current.get(h.pk, [])
        if end is None and any(p.helper_id == helper.pk for p in open_):
            ctx.count("pairings_unchanged")
            continue
        if end is None:
            for p in open_:  # a change of helper: the old pairing ends the day before, kept
                if p.helper_id not in in_file.get(h.pk, set()) and p.end is None:
                    if start <= p.start:
                        continue
                    p.end, p.end_reason = start - dt.timedelta(days=1), reason or "导入：更换帮扶责任人"
                    ended.append(p)
        new.append(Pairing(helper=helper, household=h, area_code=h.area_code, start=start, end=end,
                           end_reason=reason if end else "", created_by=ctx.actor.user))
    if ended:
        Pairing.objects.bulk_update(ended, ["end", "end_reason"], batch_size=1000)
        ctx.count("pairings_ended", len(ended))
        ctx.touched += [(p.pk, "updated") for p in ended]
    if new:
        Pairing.objects.bulk_create(new, batch_size=1000)
        ctx.count("pairings_created", len(new))
        ctx.touched += [(p.pk, "created") for p in new]


# --- teams ---------------------------------------------------------------------------------------

def _teams(ctx: Context, table, report: ErrorReport) -> None:
    teams: dict[tuple, WorkTeam] = {}
    for chunk in _chunks(table.rows):
        codes = {r.get("村代码", "").strip() for _n, r in chunk}
        villages = {a.code: a for a in ctx.scope.filter(Area.objects.filter(code__in=codes, level="village",
                                                                             valid_to__isnull=True), "code")}
        units = ctx.units(r.get("派出单位", "").strip() for _n, r in chunk)
        ctx.find_helpers(r.get("手机", "").strip() for _n, r in chunk)
        planned = []
        for number, row in chunk:
            village = villages.get(row.get("村代码", "").strip())
            if village is None:
                report.add(number, "村代码", row.get("村代码", ""), _("no village with this code in your area"))
                continue
            unit = units.get(row.get("派出单位", "").strip())
            if unit is None:
                report.add(number, "派出单位", row.get("派出单位", ""), _("no unit of this name in your area or above it"))
                continue
            days = _dates(number, row, report, "进驻日期", "撤离日期", "队员进驻日期", "队员离开日期")
            if days is None:
                continue
            start, left = days["进驻日期"], days["撤离日期"]
            if start is None or start > ctx.today:
                report.add(number, "进驻日期", row.get("进驻日期", ""), _("a date (YYYY-MM-DD), not in the future"))
                continue
            if left is not None and left < start:
                report.add(number, "撤离日期", row.get("撤离日期", ""), _("a date not before the start is needed"))
                continue
            role = ROLE_ZH.get(row.get("队内角色", "").strip())
            if role is None:
                report.add(number, "队内角色", row.get("队内角色", ""), _("not one of the allowed values"))
                continue
            m_start = days["队员进驻日期"] or start
            m_end = days["队员离开日期"] or left
            if m_start < start or (m_end is not None and m_end < m_start):
                report.add(number, "队员进驻日期", row.get("队员进驻日期", ""), _("outside the team's dates"))
                continue
            values = _helper_values(ctx, number, row, report, {}, "姓名", "手机", village, post_col="职务")
            if values is None:
                continue
            values["unit"], values["level"] = unit, unit.level if unit.level in catalog.helper_levels() else "county"
            planned.append((village, unit, start, left, row.get("工作队名称", "").strip()[:100], values, role,
                            m_start, m_end))
        if report:
            continue
        for *_x, values, _role, _s, _e in planned:
            _get_or_make_helper(ctx, values)
        _save_new_helpers(ctx)
        _write_teams(ctx, planned, teams)


def _write_teams(ctx: Context, planned, teams: dict) -> None:
    keys = {(v.pk, u.pk, s) for v, u, s, *_ in planned if (v.pk, u.pk, s) not in teams}
    if keys:
        q = Q(pk__in=[])
        for vid, uid, s in keys:
            q |= Q(village_id=vid, unit_id=uid, start=s)
        for t in WorkTeam.objects.filter(q):
            teams[(t.village_id, t.unit_id, t.start)] = t
    new_teams = []
    for village, unit, start, left, name, *_rest in planned:
        key = (village.pk, unit.pk, start)
        if key not in teams:
            t = WorkTeam(village=village, area_code=village.code, unit=unit, start=start, end=left, name=name)
            teams[key] = t
            new_teams.append(t)
    if new_teams:
        WorkTeam.objects.bulk_create(new_teams)
        if new_teams[0].pk is None:
            for t in new_teams:
                t.pk = t.id = WorkTeam.objects.filter(village=t.village, unit=t.unit, start=t.start).values_list(
                    "pk", flat=True).first()
        ctx.count("teams_created", len(new_teams))
        ctx.touched += [(t.pk, "created") for t in new_teams]
    team_ids = {teams[(v.pk, u.pk, s)].pk for v, u, s, *_ in planned}
    existing = set(TeamMember.objects.filter(team_id__in=team_ids, end__isnull=True).values_list("team_id",
                                                                                               "person_id"))
    members = []
    for village, unit, start, _left, _name, values, role, m_start, m_end in planned:
        team = teams[(village.pk, unit.pk, start)]
        person = ctx.helpers[values["phone"]]
        if (team.pk, person.pk) in existing:
            ctx.count("members_unchanged")
            continue
        if m_end is None:
            existing.add((team.pk, person.pk))
        members.append(TeamMember(team=team, person=person, area_code=team.area_code, role=role, start=m_start,
                                  end=m_end))
    if members:
        TeamMember.objects.bulk_create(members, batch_size=1000)
        ctx.count("members_created", len(members))


# --- measures -----------------------------------------------------------------------------------

TYPE_ZH = {}
for _t in catalog.measure_types():
    TYPE_ZH[_t["zh"]] = TYPE_ZH[_t["en"]] = TYPE_ZH[_t["code"]] = _t["code"]
FUND_ZH = {}
for _f in catalog.fund_sources():
    FUND_ZH[_f["zh"]] = FUND_ZH[_f["en"]] = FUND_ZH[_f["code"]] = _f["code"]
SPLIT = re.compile(r"[；;\n]")


def parse_details(type_code: str, text: str) -> dict:
    """“项目=值；项目=值” (field names in Chinese, English or the code) → a raw dict."""
    spec = catalog.measure_type(type_code)
    names = {}
    for f in spec["fields"]:
        names[f["zh"]] = names[f["en"]] = names[f["name"]] = f["name"]
    out = {}
    for part in SPLIT.split(text or ""):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.replace("＝", "=").partition("=")
        if not sep:
            raise ValueError(_("“%(p)s” is not written as name=value") % {"p": part})
        name = names.get(key.strip())
        if name is None:
            raise ValueError(_("“%(k)s” is not a detail of this measure type") % {"k": key.strip()})
        out[name] = value.strip()
    return out


def format_details(type_code: str, details: dict) -> str:
    spec = catalog.measure_type(type_code)
    if spec is None:
        return ""
    parts = []
    for f in spec["fields"]:
        if f["name"] in details:
            value = details[f["name"]]
            if f["kind"] == "bool":
                value = "是" if value else "否"
            parts.append(f"{f['zh']}={value}")
    return "；".join(parts)


def _measures(ctx: Context, table, report: ErrorReport) -> None:
    for chunk in _chunks(table.rows):
        households = ctx.households(r.get("户编号", "") for _n, r in chunk if r.get("户编号", "").strip())
        codes = {r.get("村代码", "").strip() for _n, r in chunk if r.get("村代码", "").strip()}
        villages = {a.code: a for a in ctx.scope.filter(Area.objects.filter(code__in=codes, level="village",
                                                                             valid_to__isnull=True), "code")}
        found = reimport.named("measures", chunk)
        new = []
        for number, row in chunk:
            household, village = None, None
            if row.get("户编号", "").strip():
                household = households.get(row["户编号"].strip())
                if household is None:
                    report.add(number, "户编号", row["户编号"], _("no household with this number in your area"))
                    continue
                village = household.village
            else:
                village = villages.get(row.get("村代码", "").strip())
                if village is None:
                    report.add(number, "村代码", row.get("村代码", ""), _("give a household number or a village code "
                                                                     "of your area"))
                    continue
            mtype = TYPE_ZH.get(row.get("措施类型", "").strip())
            if mtype is None:
                report.add(number, "措施类型", row.get("措施类型", ""), _("not one of the allowed values"))
                continue
            days = _dates(number, row, report, "日期")
            if days is None:
                continue
            day = days["日期"]
            if day is None or day > ctx.today:
                report.add(number, "日期", row.get("日期", ""), _("a date (YYYY-MM-DD), not in the future"))
                continue
            amounts = {}
            for col in ("到户金额", "投入金额"):
                try:
                    amounts[col] = money.parse_amount(row.get(col, ""))
                except ValueError as exc:  # the reason: not a number, negative, too large
                    report.add(number, col, row.get(col, ""), str(exc))
            if len(amounts) < 2:
                continue
            fund = ""
            if row.get("资金来源", "").strip():
                fund = FUND_ZH.get(row["资金来源"].strip())
                if fund is None:
                    report.add(number, "资金来源", row["资金来源"], _("not one of the allowed values"))
                    continue
            try:
                details = rules.clean_details(mtype, parse_details(mtype, row.get("明细", "")))
            except ValueError as exc:
                report.add(number, "明细", row.get("明细", ""), str(exc))
                continue
            except ActionError as exc:  # a detail against the type's field list
                report.add(number, "明细", row.get("明细", ""), str(exc.message))
                continue
            measure = Measure(household=household, village=village,
                              area_code=household.area_code if household else village.code, type=mtype, date=day,
                              year=day.year, amount_to_household=amounts["到户金额"], amount_spent=amounts["投入金额"],
                              fund_source=fund, details=details, note=row.get("备注", "").strip()[:200],
                              recorded_by=ctx.actor.user,
                              income_item=rules.income_item(mtype, details) if household else "")
            ok, pk = reimport.reference(ctx, "measures", number, row, report, found, measure)
            if ok:
                new.append((number, measure, pk))
        if report:
            continue
        new = reimport.new_records(ctx, "measures", new, found)
        Measure.objects.bulk_create(new, batch_size=1000)
        if new:
            ctx.count("measures_created", len(new))
        ctx.touched += [(m.pk, "created") for m in new]


# --- visits ---------------------------------------------------------------------------------------

def _visits(ctx: Context, table, report: ErrorReport) -> None:
    for chunk in _chunks(table.rows):
        households = ctx.households(r.get("户编号", "") for _n, r in chunk)
        ctx.find_helpers(r.get("帮扶责任人手机", "").strip() for _n, r in chunk)
        found = reimport.named("visits", chunk)
        new = []
        for number, row in chunk:
            household = households.get(row.get("户编号", "").strip())
            if household is None:
                report.add(number, "户编号", row.get("户编号", ""), _("no household with this number in your area"))
                continue
            helper = ctx.helpers.get(row.get("帮扶责任人手机", "").strip())
            if helper is None or helper.pk is None:
                report.add(number, "帮扶责任人手机", row.get("帮扶责任人手机", ""),
                           _("no helper with this phone in your area"))
                continue
            days = _dates(number, row, report, "日期")
            if days is None:
                continue
            day = days["日期"]
            if day is None or day > ctx.today:
                report.add(number, "日期", row.get("日期", ""), _("a date (YYYY-MM-DD), not in the future"))
                continue
            findings, agreed = row.get("走访发现", "").strip(), row.get("商定事项", "").strip()
            if not findings and not agreed:
                report.add(number, "走访发现", "", _("write what was found or what was agreed"))
                continue
            visit = Visit(helper=helper, household=household, area_code=household.area_code, date=day,
                          findings=findings[:4000], agreements=agreed[:4000], recorded_by=ctx.actor.user)
            ok, pk = reimport.reference(ctx, "visits", number, row, report, found, visit)
            if ok:
                new.append((number, visit, pk))
        if report:
            continue
        new = reimport.new_records(ctx, "visits", new, found)
        Visit.objects.bulk_create(new, batch_size=1000)
        if new:
            ctx.count("visits_created", len(new))
        ctx.touched += [(v.pk, "created") for v in new]
