"""The exchange format in and out: template, all-or-nothing import with its report,
re-import as update with audit, export and the round trip, Excel cell types, GB18030,
dry run, permissions, and the UI jobs."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation
from python_calamine import CalamineWorkbook
from stdnum.cn import ric

from fupin.audit.models import AuditEvent, AuditItem
from fupin.core.actor import Actor
from fupin.jobs.models import Job
from fupin.registry import actions, exchange
from fupin.registry.exporters import export_registry
from fupin.registry.importers import import_registry
from fupin.registry.models import (
    DuplicateCandidate,
    Household,
    HouseholdSnapshot,
    Income,
    Member,
    RecheckRecord,
    RecheckRound,
    StatusChange,
    VillageProfile,
)
from tests.conftest import COUNTY_B, SYSTEM, VILLAGE_A, VILLAGE_B

GROUP_A = VILLAGE_A + "001"


def make_id(birth: dt.date, seq: int, *, male: bool = True, area: str = "360729") -> str:
    """A valid 18-digit ID number (GB 11643 check digit)."""
    seq3 = seq % 1000
    if (seq3 % 2 == 1) != male:
        seq3 = (seq3 + 1) % 1000
    body = f"{area}{birth:%Y%m%d}{seq3:03d}"
    return body + ric.calc_check_digit(body + "0")


def id_with_x() -> str:
    for seq in range(1, 999):
        number = make_id(dt.date(1971, 3, 4), seq)
        if number.endswith("X"):
            return number
    raise AssertionError("no X check digit found")


HOUSEHOLD = {
    "区划代码": VILLAGE_A, "家庭住址": "石桥村上屋组 12 号", "联系电话": "13970010001", "开户银行": "全南农商银行",
    "银行账号": "6230123412341234", "贫困户属性": "一般贫困户", "识别标准": "国家扶贫标准", "主要致贫原因": "因病",
    "其他致贫原因1": "缺技术", "其他致贫原因2": "", "住房面积": "86.5", "住房结构": "砖混", "危房等级": "",
    "危房改造年份": "", "是否饮水困难": "否", "是否饮水安全": "是", "是否通生活用电": "是", "是否易地扶贫搬迁": "否",
    "搬迁方式": "", "安置地点": "", "是否有卫生厕所": "是", "距主干路距离": "1.5", "耕地面积": "2.3",
    "有效灌溉面积": "1.2", "林地面积": "10", "退耕还林面积": "0", "是否加入农民专业合作社": "是", "识别年度": "2014",
    "计划脱贫年度": "2017", "脱贫年度": "", "返贫年度": "", "返贫原因": "", "贫困户状态": "贫困户（未脱贫）",
    "状态日期": "2014-10-01",
}
MEMBER = {
    "姓名": "", "证件号码": "", "无证件原因": "", "性别": "男", "出生日期": "", "与户主关系": "户主", "民族": "汉族",
    "文化程度": "初中", "在校生状况": "非在校生", "健康状况": "健康", "残疾等级": "", "劳动技能": "普通劳动力",
    "务工状况": "务农", "务工区域": "", "务工时间（月）": "", "成员联系电话": "", "是否参加城乡居民基本医疗保险": "是",
    "是否参加大病保险": "是", "是否参加城乡居民基本养老保险": "是", "是否享受低保": "否", "是否特困供养": "否",
}

HEAD_ID = make_id(dt.date(1968, 5, 17), 11)
WIFE_ID = make_id(dt.date(1970, 8, 2), 22, male=False)
SON_ID = make_id(dt.date(2005, 1, 9), 33)
HEAD2_ID = make_id(dt.date(1955, 12, 30), 45, male=False)


def row(number: str, household: dict | None = None, **member) -> dict:
    return {"户编号": number, **HOUSEHOLD, **(household or {}), **MEMBER, **member}


def good_rows() -> list[dict]:
    """Two households: QN001 (village, 4 members, one without an ID number) and QN002
    (a village group, exited with policies)."""
    h2 = {"区划代码": GROUP_A, "贫困户属性": "低保贫困户", "主要致贫原因": "因残", "其他致贫原因1": "",
          "贫困户状态": "已脱贫（享受政策）", "状态日期": "2018-12-20", "脱贫年度": "2018"}
    return [
        row("QN001", 姓名="钟国华", 证件号码=HEAD_ID),
        row("QN001", 姓名="赖秀英", 证件号码=WIFE_ID, 性别="女", 与户主关系="配偶", 出生日期="1970-08-02"),
        row("QN001", 姓名="钟明", 证件号码=SON_ID, 与户主关系="之子", 文化程度="高中", 在校生状况="高中二年级",
            劳动技能="", 务工状况="在校"),
        row("QN001", 姓名="钟小宝", 无证件原因="新生儿尚未办证", 出生日期="2024-02-01", 与户主关系="之孙子",
            文化程度="学龄前儿童", 劳动技能="无劳动力", 务工状况=""),
        row("QN002", h2, 姓名="刘桂兰", 证件号码=HEAD2_ID, 性别="女", 健康状况="残疾", 残疾等级="二级",
            劳动技能="丧失劳动力", 务工状况="无业", 是否享受低保="是"),
    ]


def write_csv(path, rows, *, encoding="utf-8-sig", headers=None):
    headers = headers or exchange.HEADERS
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for r in rows:
            w.writerow([r.get(h, "") for h in headers])
    return path


REGISTRY_MODELS = [Household, Member, StatusChange, Income, VillageProfile, DuplicateCandidate, RecheckRound,
                   RecheckRecord, HouseholdSnapshot]


def counts() -> dict:
    return {m.__name__: m.objects.count() for m in [*REGISTRY_MODELS, AuditEvent, AuditItem]}


def state() -> dict:
    """Every household's and member's exchange values, for "nothing changed" comparisons."""
    hh_fields = [c.field for c in exchange.HOUSEHOLD_COLUMNS]
    m_fields = [c.field for c in exchange.MEMBER_COLUMNS]
    return {
        "households": sorted(Household.objects.values_list(*hh_fields, "size", "head_name", "version",
                                                           "updated_at", "village_id", "group_id")),
        "members": sorted(Member.objects.values_list("household__number", *m_fields, "active", "id_rev",
                                                     "name_pinyin", "updated_at", "area_code"), key=str),
        "status_changes": StatusChange.objects.count(),
    }


@pytest.fixture
def good_file(tmp_path):
    return write_csv(tmp_path / "good.csv", good_rows())


# --- the template -----------------------------------------------------------------------------

def test_template_has_every_header_and_the_explanation_sheet(tmp_path):
    out = tmp_path / "template.xlsx"
    call_command("registry_template", "-o", str(out))
    wb = CalamineWorkbook.from_path(str(out))
    assert wb.sheet_names == ["建档立卡信息", "填写说明"]
    data = wb.get_sheet_by_index(0).to_python()
    assert data[0] == exchange.HEADERS and len(data) == 1
    explain = wb.get_sheet_by_name("填写说明").to_python()
    assert [r[0] for r in explain[1:]] == exchange.HEADERS
    by_header = {r[0]: r for r in explain[1:]}
    assert "一般贫困户" in by_header["贫困户属性"][3] and by_header["户编号"][2] == "必填"


# --- a good file ----------------------------------------------------------------------------------

def test_good_file_imports_households_members_and_status(two_counties, good_file):
    result = import_registry(SYSTEM, good_file)
    assert result.ok, result.report.summary()
    assert (result.rows, result.households_created, result.members_created, result.status_changes) == (5, 2, 5, 2)
    h1 = Household.objects.get(number="QN001")
    assert (h1.size, h1.head_name, h1.area_code, h1.county_code, h1.village.code, h1.group) == (
        4, "钟国华", VILLAGE_A, "360729", VILLAGE_A, None)
    assert (h1.category, h1.main_cause, h1.cause2, h1.housing_area, h1.water_safe, h1.water_difficult) == (
        "1", "01", "07", Decimal("86.5"), True, False)
    h2 = Household.objects.get(number="QN002")
    assert (h2.group.code, h2.village.code, h2.status, h2.status_date, h2.size) == (
        GROUP_A, VILLAGE_A, "exited_policy", dt.date(2018, 12, 20), 1)
    change = StatusChange.objects.get(household=h2)
    assert (change.status, change.date, change.source) == ("exited_policy", dt.date(2018, 12, 20), "import")
    head = Member.objects.get(id_number=HEAD_ID)
    assert (head.birth_date, head.sex, head.relation, head.id_rev, head.name_pinyin) == (
        dt.date(1968, 5, 17), "1", "01", HEAD_ID[::-1], actions.pinyin("钟国华"))
    baby = Member.objects.get(name="钟小宝")
    assert (baby.id_number, baby.no_id_reason, baby.birth_date, baby.id_rev) == (None, "2", dt.date(2024, 2, 1), "")
    assert Member.objects.get(id_number=HEAD2_ID).disability_grade == "2"
    event = AuditEvent.objects.get(action="registry.import")
    assert event.kind == "bulk" and event.after["households_created"] == 2 and event.area_code == VILLAGE_A
    assert set(event.items.values_list("object_id", "change")) == {(str(h1.pk), "created"), (str(h2.pk), "created")}


def test_x_check_digit_is_accepted(two_counties, tmp_path):
    number = id_with_x()
    path = write_csv(tmp_path / "x.csv", [row("QN009", 姓名="钟X", 证件号码=number.lower())])
    result = import_registry(SYSTEM, path)
    assert result.ok, result.report.summary()
    assert Member.objects.get(name="钟X").id_number == number


# --- a bad file is refused whole ------------------------------------------------------------

def test_a_file_with_bad_rows_is_refused_whole(two_counties, make_user, tmp_path):
    other = make_user("county_office", "360729000000")
    actions.create_household(SYSTEM, number="QN900", area_code=VILLAGE_A, category="1", standard="1",
                             main_cause="01", identified_year="2015")
    elsewhere = make_id(dt.date(1980, 1, 1), 91)
    actions.add_member(SYSTEM, Household.objects.get(number="QN900"), name="王已在", id_number=elsewhere, sex="1",
                       relation="01", ethnicity="01", school_status="00", health="1")
    before, snapshot = counts(), state()
    wrong_check = HEAD_ID[:-1] + ("0" if HEAD_ID[-1] != "0" else "1")
    duplicate = make_id(dt.date(1990, 6, 6), 71)
    rows = [
        *good_rows(),                                                                  # rows 2-6 good
        row("QB01", 姓名="甲", 证件号码=wrong_check),                                  # 7 check digit
        row("QB02", 姓名="乙", 证件号码="360729" + "19990230" + "0013"),              # 8 impossible date
        row("QB03", {"贫困户属性": "很穷"}, 姓名="丙", 证件号码=make_id(dt.date(1975, 1, 1), 3)),  # 9 unknown label
        row("QB04", {"识别年度": ""}, 姓名="丁", 证件号码=make_id(dt.date(1975, 1, 2), 5)),  # 10 required empty
        row("QB05", {"区划代码": "360729999999"}, 姓名="戊", 证件号码=make_id(dt.date(1975, 1, 3), 7)),  # 11 unknown village
        row("QB06", 姓名="己", 证件号码=make_id(dt.date(1975, 1, 4), 9)),               # 12 two heads …
        row("QB06", 姓名="庚", 证件号码=make_id(dt.date(1975, 1, 5), 11)),              # 13 … in one household
        row("QB07", 姓名="辛", 证件号码=make_id(dt.date(1975, 1, 6), 13)),              # 14 household columns …
        row("QB07", {"家庭住址": "别处"}, 姓名="壬", 证件号码=make_id(dt.date(1975, 1, 7), 15), 与户主关系="配偶"),  # 15 … disagree
        row("QB08", 姓名="癸", 证件号码=duplicate),                                    # 16 same ID …
        row("QB09", 姓名="子", 证件号码=duplicate),                                    # 17 … twice in the file
        row("QB10", 姓名="丑", 证件号码=elsewhere),                                    # 18 already in QN900
        row("QB11", 姓名="寅", 证件号码=make_id(dt.date(1975, 1, 8), 17), 出生日期="1975-01-09"),  # 19 birth date
        row("QB12", 姓名="卯"),                                                        # 20 no ID, no reason
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    result = import_registry(Actor(user=other), path)
    assert not result.ok
    assert counts() == before and state() == snapshot
    found = {(e.row, e.column) for e in result.report.errors}
    expected = {(7, "证件号码"), (8, "证件号码"), (9, "贫困户属性"), (10, "识别年度"), (11, "区划代码"),
                (12, "与户主关系"), (13, "与户主关系"), (15, "家庭住址"), (16, "证件号码"), (17, "证件号码"),
                (18, "证件号码"), (19, "出生日期"), (20, "无证件原因")}
    assert found == expected, result.report.summary(40)
    by_row = {e.row: e for e in result.report.errors}
    assert "QN900" in by_row[18].reason
    assert "17" in by_row[16].reason and "16" in by_row[17].reason
    assert "14" in by_row[15].reason and by_row[15].value == "别处"
    assert "expected" in by_row[7].reason or "校验" in by_row[7].reason
    assert by_row[9].value == "很穷"
    # the report as a file
    out = tmp_path / "report.xlsx"
    result.report.write_xlsx(out)
    sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert len(sheet) == len(expected) + 1


def test_an_id_number_active_outside_the_importers_area_is_refused_naming_nothing(two_counties, make_user,
                                                                                   good_file, tmp_path):
    """An officer of county B importing a person registered in county A is told the person is
    registered, not where."""
    assert import_registry(SYSTEM, good_file).ok
    officer_b = make_user("county_office", COUNTY_B)
    path = write_csv(tmp_path / "b.csv", [row("QB90", {"区划代码": VILLAGE_B}, 姓名="钟国华", 证件号码=HEAD_ID)])
    result = import_registry(Actor(user=officer_b), path)
    assert [(e.row, e.column) for e in result.report.errors] == [(2, "证件号码")]
    assert "QN001" not in result.report.errors[0].reason
    officer_both = make_user("county_office", "360700000000")  # (an office over both counties)
    result = import_registry(Actor(user=officer_both), path)
    assert "QN001" in result.report.errors[0].reason


def test_a_person_moved_to_another_household_in_the_file_is_refused(two_counties, good_file, tmp_path):
    assert import_registry(SYSTEM, good_file).ok
    rows = good_rows()
    rows[2] = row("QN002", {**{"区划代码": GROUP_A}}, 姓名="钟明", 证件号码=SON_ID, 与户主关系="之子")
    result = import_registry(SYSTEM, write_csv(tmp_path / "move.csv", rows))
    assert not result.ok
    errors = [e for e in result.report.errors if e.column == "证件号码"]
    assert errors and errors[0].row == 4 and "QN001" in errors[0].reason


# --- re-import: update and audit ------------------------------------------------------------

def test_reimport_updates_and_logs_every_changed_field(two_counties, good_file, tmp_path):
    assert import_registry(SYSTEM, good_file).ok
    h1 = Household.objects.get(number="QN001")
    version = h1.version
    left_alone = actions.add_member(SYSTEM, h1, name="钟外出", no_id_reason="3", sex="1", relation="20",
                                    ethnicity="01", school_status="00", health="1")
    rows = good_rows()
    for r in rows[:4]:
        r.update({"贫困户属性": "低保贫困户", "住房面积": "90", "贫困户状态": "已脱贫（享受政策）",
                  "状态日期": "2019-12-01", "脱贫年度": "2019"})
    rows[1]["劳动技能"] = "技能劳动力"
    rows[3]["姓名"] = "钟小宝"  # matched on name + birth date (no ID number)
    rows[3]["成员联系电话"] = "13900001111"
    rows.insert(4, row("QN001", {**rows[0]}, 姓名="钟新", 证件号码=make_id(dt.date(2010, 4, 4), 55),
                       与户主关系="之孙子", 文化程度="小学", 在校生状况="小学六年级", 劳动技能="", 务工状况="在校"))
    rows[4].update({k: rows[0][k] for k in exchange.BY_HEADER if exchange.BY_HEADER[k].level == "household"})
    result = import_registry(SYSTEM, write_csv(tmp_path / "again.csv", rows))
    assert result.ok, result.report.summary()
    assert (result.households_created, result.households_updated, result.households_unchanged) == (0, 1, 1)
    assert (result.members_created, result.members_updated, result.status_changes) == (1, 2, 1)
    h1.refresh_from_db()
    assert (h1.category, h1.housing_area, h1.status, h1.status_date, h1.exit_year, h1.size) == (
        "2", Decimal("90.0"), "exited_policy", dt.date(2019, 12, 1), 2019, 6)
    assert h1.version == version + 1
    assert Member.objects.get(pk=left_alone.pk).active  # not in the file: left as it is
    assert Member.objects.get(id_number=WIFE_ID).labour == "2"
    assert Member.objects.get(name="钟小宝").phone == "13900001111"
    assert list(StatusChange.objects.filter(household=h1).order_by("date").values_list("status", "date")) == [
        ("registered", dt.date(2014, 10, 1)), ("exited_policy", dt.date(2019, 12, 1))]
    event = AuditEvent.objects.get(action="registry.household.import_update")
    assert event.object_id == str(h1.pk)
    assert event.before == {"category": "1", "housing_area": "86.5", "status": "registered",
                            "status_date": "2014-10-01", "exit_year": None}
    assert event.after == {"category": "2", "housing_area": "90.0", "status": "exited_policy",
                           "status_date": "2019-12-01", "exit_year": 2019}
    members = {e.object_repr: (e.before, e.after) for e in AuditEvent.objects.filter(
        action="registry.member.import_update")}
    assert members == {"赖秀英": ({"labour": "1"}, {"labour": "2"}), "钟小宝": ({"phone": ""}, {"phone": "13900001111"})}
    added = AuditEvent.objects.get(action="registry.member.import_create")
    assert added.object_id == str(h1.pk) and added.after["name"] == "钟新"
    bulk = AuditEvent.objects.filter(action="registry.import").latest("id")
    assert list(bulk.items.values_list("object_id", "change")) == [(str(h1.pk), "updated")]


def test_a_household_moved_by_an_import_takes_its_status_history_along(two_counties, good_file, tmp_path):
    """QN002 re-imported in county B: its members, incomes and dated status history carry the new
    area (counts "on a date" count it where the lists do), and county A, which it left, gets an
    event of its own (its statistics are no longer current)."""
    from fupin.registry import stats

    assert import_registry(SYSTEM, good_file).ok
    h2 = Household.objects.get(number="QN002")
    actions.set_status(SYSTEM, h2, "exited", dt.date(2019, 12, 1))
    rows = good_rows()
    rows[4].update({"区划代码": VILLAGE_B, "贫困户状态": "已脱贫（不再享受政策）", "状态日期": "2019-12-01"})
    result = import_registry(SYSTEM, write_csv(tmp_path / "moved.csv", rows))
    assert result.ok and result.households_updated == 1, result.report.summary()
    h2.refresh_from_db()
    assert h2.area_code == VILLAGE_B and h2.status_changes.count() == 2
    assert set(h2.status_changes.values_list("area_code", flat=True)) == {VILLAGE_B}
    on = dt.date(2018, 12, 31)
    assert [(s, h) for _p, s, h, _n in stats.status_on("360783", "county", on)] == [("exited_policy", 1)]
    assert [s for _p, s, _h, _n in stats.status_on("360729", "county", on)] == ["registered"]
    moved_out = AuditEvent.objects.get(action="registry.household.import_moved_out")
    assert (moved_out.area_code, moved_out.count) == ("360729000000", 1)


def test_a_status_date_before_the_last_change_is_refused(two_counties, good_file, tmp_path):
    assert import_registry(SYSTEM, good_file).ok
    rows = good_rows()
    for r in rows[:4]:
        r.update({"贫困户状态": "已脱贫（享受政策）", "状态日期": "2010-01-01"})
    result = import_registry(SYSTEM, write_csv(tmp_path / "early.csv", rows))
    assert [(e.row, e.column) for e in result.report.errors] == [(2, "状态日期")]


def test_a_second_head_next_to_a_registered_head_not_in_the_file_is_refused(two_counties, good_file, tmp_path):
    assert import_registry(SYSTEM, good_file).ok
    rows = [row("QN001", 姓名="钟另", 证件号码=make_id(dt.date(1966, 1, 1), 99))]
    result = import_registry(SYSTEM, write_csv(tmp_path / "head.csv", rows))
    assert [(e.row, e.column) for e in result.report.errors] == [(2, "与户主关系")]
    assert "钟国华" in result.report.errors[0].reason


# --- export and the round trip -----------------------------------------------------------

@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_changes_nothing(two_counties, good_file, tmp_path, suffix):
    assert import_registry(SYSTEM, good_file).ok
    h = Household.objects.get(number="QN001")
    actions.update_household(SYSTEM, h, road_distance_km="0.5", housing_area="70.3", danger_grade="C")
    out = tmp_path / f"export{suffix}"
    call_command("export_registry", "--area", "360729000000", "-o", str(out))
    assert AuditEvent.objects.filter(kind="export", action="registry.export", count=5).exists()
    before_state, events = state(), AuditEvent.objects.filter(kind="change").count()
    result = import_registry(SYSTEM, out)
    assert result.ok, result.report.summary()
    assert (result.households_updated, result.households_unchanged, result.members_created,
            result.members_updated, result.status_changes) == (0, 2, 0, 0, 0)
    assert state() == before_state
    assert AuditEvent.objects.filter(kind="change").count() == events


def test_export_orders_members_by_household_and_keeps_ids_as_text(two_counties, good_file, tmp_path):
    assert import_registry(SYSTEM, good_file).ok
    out = tmp_path / "out.xlsx"
    assert export_registry(SYSTEM, VILLAGE_A, out) == 5
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert rows[0] == exchange.HEADERS
    assert [r[0] for r in rows[1:]] == ["QN001"] * 4 + ["QN002"]  # by area code (QN002's group code sorts later)
    relation = exchange.HEADERS.index("与户主关系")
    assert rows[1][relation] == "户主"
    col = exchange.HEADERS.index("证件号码")
    assert HEAD_ID in [r[col] for r in rows[1:]]
    assert export_registry(SYSTEM, VILLAGE_B, tmp_path / "b.csv") == 0


class _Recorder:
    """A job's Progress as the registry's long runs see it (NoProgress's methods), recording."""

    def __init__(self):
        self.calls = []

    def set_total(self, total):
        self.calls.append(("total", total))

    def update(self, done, **kwargs):
        self.calls.append(("update", done, kwargs.get("message")))

    def log(self, line):
        self.calls.append(("log", line))


def test_long_runs_report_to_a_progress_object(two_counties, good_file, tmp_path, monkeypatch):
    """The export and the quality run take the job's Progress (NoProgress outside a job), one way."""
    from fupin.areas.models import Area
    from fupin.registry import exporters, quality

    assert import_registry(SYSTEM, good_file).ok
    monkeypatch.setattr(exporters, "PROGRESS_EVERY", 2)
    progress = _Recorder()
    assert export_registry(SYSTEM, VILLAGE_A, tmp_path / "out.csv", progress=progress) == 5
    assert progress.calls == [("update", 2, None), ("update", 4, None), ("update", 5, None)]
    progress = _Recorder()
    quality.execute(SYSTEM, Area.objects.get(code=VILLAGE_A), on=dt.date(2019, 1, 1), income_year=2018,
                    progress=progress)
    total = len(quality.rules())
    assert progress.calls[0] == ("total", total)
    assert [c[1] for c in progress.calls if c[0] == "update"] == list(range(1, total + 1))


# --- file types -----------------------------------------------------------------------------------

def test_excel_numbers_and_dates_import_the_same_as_text(two_counties, tmp_path):
    rows = good_rows()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(exchange.HEADERS)
    typed_columns = {"区划代码": int, "联系电话": int, "住房面积": float, "距主干路距离": float, "耕地面积": float,
                     "有效灌溉面积": float, "林地面积": int, "退耕还林面积": int, "识别年度": int, "计划脱贫年度": int,
                     "脱贫年度": int, "银行账号": str}
    for r in rows:
        cells = []
        for h in exchange.HEADERS:
            text = r.get(h, "")
            if text and h in typed_columns:
                cells.append(typed_columns[h](text))
            elif text and exchange.BY_HEADER[h].kind == "date":
                cells.append(dt.datetime.fromisoformat(text))
            else:
                cells.append(text or None)
        ws.append(cells)
    path = tmp_path / "typed.xlsx"
    wb.save(path)
    result = import_registry(SYSTEM, path)
    assert result.ok, result.report.summary()
    snapshot = state()
    again = import_registry(SYSTEM, write_csv(tmp_path / "text.csv", rows))
    assert again.ok and again.households_updated == 0 and again.members_updated == 0
    assert state() == snapshot


def test_gb18030_csv_imports(two_counties, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", good_rows(), encoding="gb18030")
    result = import_registry(SYSTEM, path)
    assert result.ok, result.report.summary()
    assert Household.objects.get(number="QN001").head_name == "钟国华"


def test_dry_run_writes_nothing(two_counties, good_file):
    before, snapshot = counts(), state()
    result = import_registry(SYSTEM, good_file, dry_run=True)
    assert result.ok and result.households_created == 2 and result.members_created == 5
    assert counts() == before and state() == snapshot


def test_missing_required_column_is_refused(two_counties, tmp_path):
    headers = [h for h in exchange.HEADERS if h != "姓名"]
    path = write_csv(tmp_path / "cols.csv", good_rows(), headers=headers)
    with pytest.raises(Exception, match="姓名"):
        import_registry(SYSTEM, path)


# --- permission -------------------------------------------------------------------------------

def test_a_township_officer_of_another_township_cannot_import_here(two_counties, make_user, good_file):
    officer = make_user("township_officer", "360729101000")  # 大吉山镇, not 城厢镇 of VILLAGE_A
    before = counts()
    result = import_registry(Actor(user=officer), good_file)
    assert not result.ok
    assert {(e.row, e.column) for e in result.report.errors} == {(2, "区划代码"), (6, "区划代码")}  # village, group
    assert counts() == before
    own = make_user("township_officer", "360729100000")
    assert import_registry(Actor(user=own), good_file).ok


# --- the command line ----------------------------------------------------------------------------

def test_command_line_reports_errors_and_writes_the_report(two_counties, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [row("QB01", 姓名="甲")])
    report = tmp_path / "errors.xlsx"
    with pytest.raises(CommandError, match="无证件原因"):
        call_command("import_registry", str(path), "--errors", str(report), "--quiet-progress")
    assert report.exists() and Household.objects.count() == 0
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_registry", str(write_csv(tmp_path / "ok.csv", good_rows())), "--dry-run",
                     "--quiet-progress", stdout=out)
    assert "Households: 2 to be created" in out.getvalue() and "Dry run" in out.getvalue()
    assert Household.objects.count() == 0


# --- the pages and jobs ------------------------------------------------------------------------

def test_exchange_page_import_job_and_error_report(two_counties, make_user, login, tmp_path):
    user = make_user("county_office", "360729000000")
    client = login(user)
    page = client.get(reverse("registry:exchange"))
    assert page.status_code == 200 and reverse("registry:exchange_template").encode() in page.content
    template = client.get(reverse("registry:exchange_template"))
    assert template.status_code == 200 and template.content[:2] == b"PK"
    good = io.StringIO()
    w = csv.writer(good)
    w.writerow(exchange.HEADERS)
    for r in good_rows():
        w.writerow([r.get(h, "") for h in exchange.HEADERS])
    response = client.post(reverse("registry:exchange_import"),
                           {"file": SimpleUploadedFile("good.csv", good.getvalue().encode("utf-8"))})
    assert response.status_code == 302
    job = Job.objects.get(kind="registry.import")
    assert job.status == Job.SUCCEEDED, job.message
    assert job.done == 5 and job.result["households_created"] == 2
    assert Household.objects.count() == 2
    bad = good.getvalue().replace(HEAD_ID, HEAD_ID[:-1] + ("1" if HEAD_ID[-1] != "1" else "2"))
    client.post(reverse("registry:exchange_import"),
                {"file": SimpleUploadedFile("bad.csv", bad.encode("utf-8"))})
    failed = Job.objects.filter(kind="registry.import").latest("created_at")
    assert failed.status == Job.FAILED and failed.error_count == 1
    report = failed.files.get()
    assert not report.contains_personal_data
    assert client.get(reverse("jobs:file", args=[failed.pk, report.pk])).status_code == 200


def test_export_job_produces_a_personal_file_and_logs_it(two_counties, make_user, login, good_file):
    assert import_registry(SYSTEM, good_file).ok
    user = make_user("county_office", "360729000000")
    client = login(user)
    response = client.post(reverse("registry:exchange_export"), {"area": "360729000000", "format": "csv"})
    assert response.status_code == 302
    job = Job.objects.get(kind="registry.export")
    assert job.status == Job.SUCCEEDED and job.result["rows"] == 5
    file = job.files.get()
    assert file.contains_personal_data
    assert AuditEvent.objects.filter(kind="export", action="registry.export", user=user, count=5).exists()
    assert client.post(reverse("registry:exchange_export"), {"area": "360783000000", "format": "csv"}
                       ).status_code == 404


def test_a_village_cadre_has_no_exchange_page(two_counties, make_user, login):
    client = login(make_user("village_cadre", VILLAGE_A))
    assert client.get(reverse("registry:exchange")).status_code == 403


# --- the PostgreSQL fast path (SQL parsing and checks) against the Python path ------------------

def _bad_rows_for_both_paths() -> list[dict]:
    """Every kind of cell error, the row rules, the cross-row checks, and spellings only the
    Python path reads (they must give the same values)."""
    return [
        *good_rows(),
        row("QP01", 姓名="甲", 证件号码=HEAD_ID[:-1] + ("0" if HEAD_ID[-1] != "0" else "1")),  # check digit
        row("QP02", 姓名="乙", 证件号码="360729" + "19990230" + "0013"),  # impossible date in the ID
        row("QP03", 姓名="乙二", 证件号码="36072919990230001"),  # 17 characters
        row("QP04", 姓名="乙三", 证件号码="36072A199902300013"),  # not digits
        row("QP05", 姓名="乙四", 证件号码="360729" + "21000101" + "0013"),  # born in the future
        row("QP06", {"贫困户属性": "很穷", "住房面积": "12.345", "识别年度": "1970"}, 姓名="丙",
            证件号码=make_id(dt.date(1975, 1, 1), 3)),  # label, three decimals, year out of range
        row("QP07", {"识别年度": "", "是否饮水困难": "也许", "联系电话": "12ab"}, 姓名="丁",
            证件号码=make_id(dt.date(1975, 1, 2), 5)),  # required empty, yes/no, phone
        row("QP08", {"区划代码": "3607290001"}, 姓名="戊", 证件号码=make_id(dt.date(1975, 1, 3), 7)),  # area code
        row("QP09", 姓名="己", 证件号码=make_id(dt.date(1975, 1, 4), 9)),  # two heads …
        row("QP09", 姓名="庚", 证件号码=make_id(dt.date(1975, 1, 5), 11)),  # … in one household
        row("QP10", 姓名="辛", 证件号码=make_id(dt.date(1975, 1, 6), 13)),  # household columns …
        row("QP10", {"家庭住址": "别处"}, 姓名="壬", 证件号码=make_id(dt.date(1975, 1, 7), 15), 与户主关系="配偶"),
        row("QP11", 姓名="癸", 证件号码=make_id(dt.date(1975, 1, 8), 17), 出生日期="1975-01-09"),  # birth ≠ ID
        row("QP12", 姓名="子", 证件号码=make_id(dt.date(1975, 1, 10), 19), 性别="女"),  # sex ≠ ID
        row("QP13", 姓名="丑"),  # no ID, no reason
        row("QP14", 姓名="寅", 证件号码=make_id(dt.date(1975, 1, 11), 21), 健康状况="残疾"),  # no grade
        row("QP15", 姓名="", 证件号码=make_id(dt.date(1975, 1, 12), 23), **{"务工时间（月）": "40000"}),  # name, months
        row("QP16", 姓名="卯", 证件号码=make_id(dt.date(1975, 1, 13), 25), 出生日期="1975-13-01"),  # not a date
        row("QP17", 姓名="辰" * 61, 证件号码=make_id(dt.date(1975, 1, 14), 27)),  # too long
        # good rows in spellings the SQL leaves to Python
        row("QP18", {"状态日期": "2014/10/01", "联系电话": "0797-1234567", "是否饮水困难": " 否 "},
            姓名=" 巳 ", 证件号码=id_with_x().lower(), 出生日期="19710304"),
        # dates as core.dates reads them (Python), and an ISO date-time, which the SQL reads itself
        # (a date followed by anything else is refused: tests/test_registry_import_dates.py)
        row("QP19", {"状态日期": "2014年10月1日 08:30"}, 姓名="午", 证件号码=make_id(dt.date(1976, 2, 3), 29),
            出生日期="1976/2/3"),
        row("QP20", {"状态日期": "2014-10-01 08:30:00"}, 姓名="未", 证件号码=make_id(dt.date(1976, 2, 4), 31)),
        row("QP21", {"状态日期": "1870-01-01"}, 姓名="申", 证件号码=make_id(dt.date(1976, 2, 5), 33)),  # too early
    ]


def _report(result) -> list[tuple]:
    return [(e.row, e.column, e.value, e.reason) for e in result.report.errors]


def _both_ways(path, monkeypatch) -> dict:
    """``path`` imported on the fast path and on the Python path, each into the empty
    registry: {fast: (report, households, members, counts, timings)}, the rows without their
    timestamps (they differ between the two runs)."""
    from fupin.registry import importers

    results = {}
    for fast in (True, False):
        monkeypatch.setattr(importers, "FAST_PATH", fast)
        result = import_registry(SYSTEM, path)
        written = state()
        results[fast] = (_report(result), [h[:-4] + h[-2:] for h in written["households"]],
                         [m[:-2] + m[-1:] for m in written["members"]], result.as_dict(), result.timings)
        Member.objects.all().delete()
        StatusChange.objects.all().delete()
        Household.objects.all().delete()
    return results


def _same_both_ways(path, monkeypatch) -> tuple:
    """The fast path writes what the Python path writes, both without errors: (report,
    households, members, counts) of the fast path."""
    results = _both_ways(path, monkeypatch)
    assert results[True][0] == [], results[True][0][:20]
    assert results[True][:4] == results[False][:4]
    return results[True][:4]


def test_fast_path_gives_the_python_paths_report_word_for_word(two_counties, tmp_path, monkeypatch):
    """On PostgreSQL the cells are parsed and checked in SQL; the report must be exactly the
    Python path's (on SQLite both runs are the Python path)."""
    from fupin.registry import importers

    path = write_csv(tmp_path / "bad.csv", _bad_rows_for_both_paths())
    monkeypatch.setattr(importers, "STREAM_CHUNK", 3)  # the Python path's rows written while reading the rest
    monkeypatch.setattr(importers, "FAST_PATH", True)
    fast = import_registry(SYSTEM, path)
    monkeypatch.setattr(importers, "FAST_PATH", False)
    slow = import_registry(SYSTEM, path)
    assert not fast.ok
    assert _report(fast) == _report(slow)
    rows = {e[0] for e in _report(fast)}
    # every bad row (17 is the first row of QP10); QP18 to QP20 (26–28) are good, QP21 (29) is not
    assert rows == (set(range(7, 26)) - {17}) | {29}
    assert counts()["Household"] == 0


def test_fast_path_writes_what_the_python_path_writes(two_counties, tmp_path, monkeypatch, settings):
    rows = [*good_rows(), *[r for r in _bad_rows_for_both_paths() if r["户编号"] in ("QP18", "QP19", "QP20")]]
    _errors, households, members, _counts = _same_both_ways(write_csv(tmp_path / "good.csv", rows), monkeypatch)
    assert len(households) == 5 and len(members) == 8
    status_date = exchange.HOUSEHOLD_COLUMNS.index(exchange.BY_HEADER["状态日期"])
    assert {h[0]: h[status_date] for h in households}["QP20"] == dt.date(2014, 10, 1)
    assert {h[0]: h[status_date] for h in households}["QP19"] == dt.date(2014, 10, 1)


def test_fast_path_writes_what_the_python_path_writes_without_the_optional_columns(two_counties, tmp_path,
                                                                                    monkeypatch):
    """A file with only the required columns: the columns it lacks are staged as empty on
    both paths (the fast path builds its staging table from the file's columns)."""
    headers = [c.header for c in exchange.COLUMNS if c.required]
    assert len(headers) < len(exchange.HEADERS)
    rows = [{**r, "健康状况": "健康"} if r.get("健康状况") == "残疾" else r for r in good_rows()]  # (no grade column)
    _errors, households, members, _counts = _same_both_ways(write_csv(tmp_path / "narrow.csv", rows,
                                                                       headers=headers), monkeypatch)
    assert households and members


def test_household_cells_spelled_differently_on_its_rows(two_counties, tmp_path, monkeypatch):
    """The fast path parses a household's cells once, from its first row, and compares the
    other rows' raw cells with that row's: rows that spell the same values differently
    (否 / 0 / no, 2014-10-01 / 2014/10/01) are parsed by Python and agree; a first row the
    SQL leaves to Python, and a household whose rows all repeat a bad cell, are reported
    row by row as on the Python path."""

    rows = good_rows()
    spelled = [{**r, "是否饮水困难": w} for r, w in zip(rows[:4], ["否", "0", "no", " 否 "], strict=True)]
    spelled[2]["状态日期"] = spelled[2]["状态日期"].replace("-", "/")
    good = write_csv(tmp_path / "spelled.csv", [spelled[3], *spelled[:3], *rows[4:]])
    assert len(_same_both_ways(good, monkeypatch)[1]) == 2

    repeated = [{**r, "住房面积": "很大"} for r in rows[:4]]  # the same bad cell on every row
    differs = {**rows[4], "是否饮水困难": "是", "姓名": "钟二", "证件号码": make_id(dt.date(1950, 3, 1), 31),
               "与户主关系": "配偶", "性别": "男", "健康状况": "健康", "残疾等级": ""}  # a value that disagrees
    bad = write_csv(tmp_path / "bad.csv", [*repeated, rows[4], differs])
    results = _both_ways(bad, monkeypatch)
    report = results[True][0]
    assert report == results[False][0] and results[True][1] == []
    assert {e[0] for e in report if e[1] == "住房面积"} == {2, 3, 4, 5}, report
    assert {e[0] for e in report if e[1] != "住房面积"} == {7}  # (the first row of QN002 is 6)


def test_fast_path_checks_id_numbers_as_stdnum_does(two_counties, tmp_path, monkeypatch):
    """400 ID numbers of random areas, birth dates and sequence numbers, a third of them
    with a wrong check digit: the SQL check digit (the birth date's share summed once per
    date) refuses exactly the numbers python-stdnum refuses, with the same report."""
    import random

    from fupin.registry import importers

    rnd = random.Random(20261122)
    rows, wrong = [], set()
    for i in range(400):
        birth = dt.date(1930, 1, 1) + dt.timedelta(days=rnd.randrange(33_000))
        number = make_id(birth, rnd.randrange(1000), area=str(rnd.randrange(110000, 660000)))
        if i % 3 == 0:
            number = number[:-1] + rnd.choice([c for c in "0123456789X" if c != number[-1]])
            wrong.add(i + 2)
        assert (ric.calc_check_digit(number) == number[-1]) == (i + 2 not in wrong)
        rows.append(row(f"QR{i:03d}", 姓名="某", 证件号码=number, 出生日期=""))
    path = write_csv(tmp_path / "ids.csv", rows)
    reports = {}
    for fast in (True, False):
        monkeypatch.setattr(importers, "FAST_PATH", fast)
        reports[fast] = _report(import_registry(SYSTEM, path, dry_run=True))
    assert reports[True] == reports[False]
    assert {e[0] for e in reports[True] if e[1] == "证件号码"} == wrong


@pytest.mark.parametrize("damage", ["extra cell", "missing cell", "blank line"])
def test_fast_path_reads_the_python_way_a_csv_copy_refuses(two_counties, tmp_path, monkeypatch, damage):
    """A CSV that PostgreSQL's COPY refuses but the Python path reads (a row with a cell more
    or less than the header, a blank line) is read the Python way: the same result, no
    traceback (the COPY raises the driver's error, not Django's)."""
    from django.db import connection


    path = write_csv(tmp_path / "odd.csv", good_rows())
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    if damage == "extra cell":
        lines[2] += ",多余"
    elif damage == "missing cell":
        lines[2] = lines[2][:lines[2].rindex(",")]  # (the last column, 是否特困供养, is optional)
    else:
        lines.insert(3, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    results = _both_ways(path, monkeypatch)
    assert results[True][0] == [] and results[True][:4] == results[False][:4]
    assert results[True][3]["members_created"] == 5
    if connection.vendor == "postgresql":
        assert results[True][4].get("fallback") == 1


@pytest.mark.parametrize("bound", ["land areas empty means 0", "first year", "first birth year of an ID"])
def test_fast_path_follows_the_bounds_of_parse_cell(two_counties, tmp_path, monkeypatch, bound):
    """The SQL parsing reads its lists and bounds from exchange and rules, not from copies:
    changed there, both paths still read a file alike."""
    from fupin.registry import rules

    rows = good_rows()
    if bound == "land areas empty means 0":
        monkeypatch.setattr(exchange, "ZERO_WHEN_EMPTY", exchange.ZERO_WHEN_EMPTY | {"housing_area"})
        rows = [{**r, "住房面积": ""} for r in rows]
    elif bound == "first year":
        monkeypatch.setattr(exchange, "PROGRAMME_FIRST_YEAR", 2015)  # 识别年度 2014 is then out of range
    else:
        monkeypatch.setattr(rules, "ID_FIRST_BIRTH_YEAR", 1969)  # the head (1968) is then impossible
    results = _both_ways(write_csv(tmp_path / "bounds.csv", rows), monkeypatch)
    assert results[True][:4] == results[False][:4]
    if bound == "land areas empty means 0":
        assert results[False][0] == [] and all(h[11] == Decimal(0) for h in results[False][1])
    else:
        assert results[False][0], "the changed bound rejects a row"


def _staging_tables() -> set[str]:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "sqlite":  # (SQLite stages in temporary tables, which introspection does not list)
            cur.execute("SELECT name FROM sqlite_temp_master WHERE type = 'table' AND name LIKE 'fp\\_%' ESCAPE '\\'")
            return {r[0] for r in cur.fetchall()}
        return {t for t in connection.introspection.table_names(cur) if t.startswith("fp_")}


def test_an_import_leaves_no_staging_tables(two_counties, good_file, tmp_path):
    before = _staging_tables()
    assert import_registry(SYSTEM, good_file).ok
    bad = write_csv(tmp_path / "bad.csv", [row("QX1", 姓名="甲", 证件号码="360729199902300013")])
    assert not import_registry(SYSTEM, bad).ok
    assert _staging_tables() == before


def test_staging_tables_of_a_gone_backend_are_dropped(two_counties, good_file):
    """PostgreSQL stages in UNLOGGED tables (parallel workers can read them; temporary ones
    they cannot), which outlive a killed import: the next import drops those whose backend
    is gone and leaves a running import's alone."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite stages in temporary tables")
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid(), (SELECT MAX(pid) FROM pg_stat_activity)")
        mine, highest = cur.fetchone()
        gone = highest + 1_000_000  # no backend has this pid
        cur.execute(f"CREATE UNLOGGED TABLE fp_stage_{gone}_1 (x integer)")
        cur.execute(f"CREATE UNLOGGED TABLE fp_raw_{gone}_1 (x integer)")
        cur.execute(f"CREATE UNLOGGED TABLE fp_stage_{mine}_1 (x integer)")  # a running import (this session)
        cur.execute("CREATE UNLOGGED TABLE fp_stage_other (x integer)")  # not a staging table's name
    assert import_registry(SYSTEM, good_file).ok
    tables = _staging_tables()
    assert f"fp_stage_{gone}_1" not in tables and f"fp_raw_{gone}_1" not in tables
    assert {f"fp_stage_{mine}_1", "fp_stage_other"} <= tables


def test_first_bulk_load_rebuilds_indexes_and_keys(two_counties, good_file, monkeypatch):
    """A load that at least doubles the member table drops the secondary indexes and foreign
    keys and builds them again after the rows are in (PostgreSQL); the result is the same."""
    from django.db import connection

    from fupin.registry import importers

    monkeypatch.setattr(importers, "REBUILD_MIN_ROWS", 1)

    def indexes():
        with connection.cursor() as cur:
            return sorted(connection.introspection.get_constraints(cur, "registry_member"))

    before = indexes()
    result = import_registry(SYSTEM, good_file)
    assert result.ok and result.members_created == 5
    assert result.indexes_rebuilt == (connection.vendor == "postgresql")
    assert indexes() == before
    assert Member.objects.filter(household__number="QN001").count() == 4
    assert Member.objects.get(id_number=HEAD_ID).name_pinyin == "zhong guo hua"
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError):  # the unique index on active ID numbers is back
        with transaction.atomic():
            m = Member.objects.get(id_number=HEAD_ID)
            Member.objects.create(household=m.household, area_code=m.area_code, name="x", id_number=HEAD_ID,
                                  sex="1", relation="02")


def test_a_database_in_use_never_rebuilds_the_indexes(two_counties, good_file, monkeypatch, settings):
    """FUPIN_IMPORT_REBUILD_INDEXES=never: a load that doubles the member table keeps the
    indexes (other areas' users are not locked out of the registry while it runs)."""
    from fupin.registry import importers

    monkeypatch.setattr(importers, "REBUILD_MIN_ROWS", 1)
    settings.IMPORT_REBUILD_INDEXES = "never"
    result = import_registry(SYSTEM, good_file)
    assert result.ok and result.members_created == 5 and not result.indexes_rebuilt


def test_pinyin_of_is_pypinyin_exactly():
    from pypinyin import lazy_pinyin

    from fupin.registry.rules import pinyin_of

    names = ["钟国华", "赖秀英", "单雄信", "曾祥", "长孙无忌", "重庆", "王", "李A", "ab", "", "钟小宝", "解放", "朴正"]
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢钟廖邹熊单解"
    given = "国华明建平秀英桂兰玉珍文军伟芳丽强磊洋勇艳杰娟涛超霞鹏辉春燕红梅小金水生福德贵荣海林凤云志永亮长行重乐"
    names += [s + g for s in surnames for g in given]
    names += [s + g + h for s in surnames[:10] for g in given[:20] for h in given[20:40]]
    assert [pinyin_of(n) for n in names] == [" ".join(lazy_pinyin(n)) for n in names]


def test_actions_pinyin_is_the_one_fast_implementation(monkeypatch):
    """actions.pinyin (forms, Python import path, duplicates, demo) goes through rules.pinyin_of."""
    from fupin.registry import actions, rules

    assert actions.pinyin("钟国华") == "zhong guo hua" and actions.pinyin(None) == ""
    monkeypatch.setattr(rules, "pinyin_of", lambda name: f"<{name}>")
    assert actions.pinyin("王") == "<王>"


def test_a_long_names_pinyin_fits_its_column(two_counties, tmp_path, monkeypatch):
    """A name of 60 characters (the most the form and the file take) has a pinyin longer
    than Member.name_pinyin: the form's action cuts it as the import does (on PostgreSQL
    it was "value too long", a 500)."""
    from fupin.registry import importers

    limit = Member._meta.get_field("name_pinyin").max_length
    long_name = "张" * Member._meta.get_field("name").max_length
    assert len(" ".join(["zhang"] * len(long_name))) > limit
    for fast in (True, False):
        monkeypatch.setattr(importers, "FAST_PATH", fast)
        path = write_csv(tmp_path / "long.csv", [{**r, "姓名": long_name} if r["姓名"] == "钟明" else r
                                                 for r in good_rows()])
        assert import_registry(SYSTEM, path).ok
        assert Member.objects.get(id_number=SON_ID).name_pinyin == ("zhang " * 60)[:limit]
        Member.objects.all().delete()
        StatusChange.objects.all().delete()
        Household.objects.all().delete()
    assert import_registry(SYSTEM, write_csv(tmp_path / "good.csv", good_rows())).ok
    h = Household.objects.get(number="QN002")
    m = actions.add_member(SYSTEM, h, name=long_name, id_number=make_id(dt.date(1990, 6, 1), 55), relation="02",
                           ethnicity="01", school_status="00", health="1")
    m.refresh_from_db()
    assert m.name_pinyin == ("zhang " * 60)[:limit]
    m = actions.update_member(SYSTEM, m, name="李" + long_name[1:])
    assert Member.objects.get(pk=m.pk).name_pinyin == ("li " + "zhang " * 59)[:limit]


def test_an_import_queues_the_rollup_refresh_of_its_counties(two_counties, good_file, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    from fupin.registry import stats
    from fupin.registry.models_stats import StatsRollup

    monkeypatch.setattr(stats, "IMPORT_CREATES_ROLLUP", 1)
    with django_capture_on_commit_callbacks(execute=True):
        result = import_registry(SYSTEM, good_file)
    assert result.ok
    job = Job.objects.get(kind="registry.stats_refresh")
    assert job.status == Job.SUCCEEDED
    county = StatsRollup.objects.filter(level="county", area_code=VILLAGE_A[:6].ljust(12, "0"), dim="status",
                                        year=0)
    assert sum(county.values_list("households", flat=True)) == 2
    assert sum(county.values_list("people", flat=True)) == 5
    assert stats.counties_changed(VILLAGE_A[:6]) == []
    # an edit makes the county stale; the cheap refresh takes only that county
    actions.update_household(SYSTEM, Household.objects.get(number="QN002"), address="新地址")
    assert stats.counties_changed(VILLAGE_A[:6]) == [VILLAGE_A[:6]]
    done = stats.refresh_changed(SYSTEM, VILLAGE_A[:6].ljust(12, "0"))
    assert done["counties"] == 1
    assert stats.counties_changed(VILLAGE_A[:6]) == []
