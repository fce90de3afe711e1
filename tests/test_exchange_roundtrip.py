"""The exchange format's round trip and its error report (review of the demo county's export):

- a county with a monitored household that is not registered (一般农户: no main cause, no year
  identified) and a member without an ID number exports and imports back, changing nothing, on
  both import paths (PostgreSQL's SQL fast path and the Python one);
- 主要致贫原因 and 识别年度 are required of every other status, and the report names the status;
- a member without an ID number needs a sex (registry.actions._check_member, the one rule);
- a row outside the importer's area does not hide the file's other errors;
- the command's own words go through gettext.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from fupin.audit.models import AuditEvent
from fupin.core.actor import Actor
from fupin.core.errors import Invalid
from fupin.monitoring import actions as monitoring
from fupin.monitoring.models import Discovery
from fupin.monitoring.models import MonitoredHousehold as M
from fupin.registry import actions, codes, exchange, importers
from fupin.registry.exporters import EXPLAIN_SHEET, write_template
from fupin.registry.importers import import_registry
from fupin.registry.management.commands import import_registry as command
from fupin.registry.models import Household, Member
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A, VILLAGE_B
from tests.test_registry_exchange import good_rows, make_id, row, state, write_csv

RURAL = codes.zh("status", "rural")  # 一般农户（非建档立卡，监测对象）
MONITORED = {"贫困户状态": RURAL, "主要致贫原因": "", "识别年度": "", "计划脱贫年度": "", "其他致贫原因1": "",
             "状态日期": "2021-03-01"}


def _report(result) -> list[tuple]:
    return [(e.row, e.column, e.value, e.reason) for e in result.report.errors]


def _county(tmp_path) -> Household:
    """Two registered households (one member without an ID number), and a rural household
    never registered, put forward for monitoring, whose head has no ID number."""
    assert import_registry(SYSTEM, write_csv(tmp_path / "county.csv", good_rows())).ok
    h = actions.create_household(SYSTEM, number=VILLAGE_A + "9001", area_code=VILLAGE_A, status="rural",
                                 status_date=dt.date(2021, 3, 1))
    actions.add_member(SYSTEM, h, name="钟边缘", no_id_reason="3", sex="2", relation="01", labour="1")
    monitoring.open_episode(SYSTEM, h, kind=M.EDGE, channel=Discovery.VISIT, date=dt.date(2022, 5, 1),
                            who="村支书", what="务工收入下降")
    h.refresh_from_db()
    assert (h.main_cause, h.identified_year) == ("", None)
    return h


@pytest.mark.parametrize("fast", [True, False], ids=["fast path", "python path"])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_county_with_a_monitored_rural_household_imports_back_unchanged(two_counties, tmp_path, monkeypatch,
                                                                         suffix, fast):
    monkeypatch.setattr(importers, "FAST_PATH", fast)  # (PostgreSQL's two paths; SQLite has the Python one)
    _county(tmp_path)
    out = tmp_path / f"export{suffix}"
    call_command("export_registry", "--area", COUNTY_A, "-o", str(out))
    python_rows = []  # rows read by the Python path (on the fast path: those SQL was not sure of)
    read = importers._RowParser.__call__
    monkeypatch.setattr(importers._RowParser, "__call__",
                        lambda self, number, cells: python_rows.append(number) or read(self, number, cells))
    dry = import_registry(SYSTEM, out, dry_run=True)
    assert _report(dry) == []
    if fast and connection.vendor == "postgresql":
        assert python_rows == []  # the SQL reads the rural household's empty cells itself
    assert (dry.rows, dry.households_unchanged, dry.households_updated, dry.members_created) == (6, 3, 0, 0)
    before, events = state(), AuditEvent.objects.filter(kind="change").count()
    result = import_registry(SYSTEM, out)
    assert result.ok, _report(result)
    assert (result.households_updated, result.households_unchanged, result.members_created,
            result.members_updated, result.status_changes) == (0, 3, 0, 0, 0)
    assert state() == before
    assert AuditEvent.objects.filter(kind="change").count() == events


def _status_rows() -> list[dict]:
    """A rural household and a removed one without main cause and year (accepted), and a
    registered and an exited one each missing one of them (refused, naming the status)."""
    return [
        *good_rows(),  # rows 2–6
        row("QS01", MONITORED, 姓名="甲", 证件号码=make_id(dt.date(1980, 1, 1), 3)),  # 7
        row("QS02", {**MONITORED, "贫困户状态": codes.zh("status", "removed")}, 姓名="乙",
            证件号码=make_id(dt.date(1980, 1, 2), 5)),  # 8
        row("QS03", {"主要致贫原因": "", "其他致贫原因1": ""}, 姓名="丙", 证件号码=make_id(dt.date(1980, 1, 3), 7)),  # 9
        row("QS04", {"识别年度": "", "贫困户状态": codes.zh("status", "exited"), "脱贫年度": "2018"}, 姓名="丁",
            证件号码=make_id(dt.date(1980, 1, 4), 9)),  # 10
    ]


def test_main_cause_and_year_are_required_but_of_a_household_not_on_the_register(two_counties, tmp_path,
                                                                                monkeypatch):
    path = write_csv(tmp_path / "statuses.csv", _status_rows())
    reports = {}
    for fast in (True, False):
        monkeypatch.setattr(importers, "FAST_PATH", fast)
        result = import_registry(SYSTEM, path, dry_run=True)
        reports[fast] = _report(result)
    assert reports[True] == reports[False]  # the SQL path reads these cells as the Python path does
    registered, exited = (exchange.empty_cell_problem(exchange.BY_HEADER["主要致贫原因"], s)
                          for s in ("registered", "exited"))
    assert codes.label("status", "registered") in registered and codes.label("status", "exited") in exited
    assert reports[False] == [(9, "主要致贫原因", "", registered), (10, "识别年度", "", exited)]
    # without those two rows, the rest imports: the rural and the removed household without them
    assert import_registry(SYSTEM, write_csv(tmp_path / "ok.csv", _status_rows()[:-2])).ok
    assert set(Household.objects.filter(number__in=["QS01", "QS02"]).values_list("status", "main_cause",
                                                                                 "identified_year")) == {
        ("rural", "", None), ("removed", "", None)}


def test_the_template_says_for_which_statuses_they_may_stay_empty(tmp_path):
    out = tmp_path / "template.xlsx"
    write_template(out)
    sheet = openpyxl.load_workbook(out)[EXPLAIN_SHEET]
    required = {r[0]: r[2] for r in sheet.iter_rows(min_row=2, values_only=True)}
    for header in ("主要致贫原因", "识别年度"):
        assert all(codes.zh("status", s) in required[header] for s in codes.OFF_REGISTER_STATUSES), required[header]
        assert codes.zh("status", "registered") not in required[header]
    assert required["户编号"] == "必填" and required["其他致贫原因1"] == "选填"


def test_a_member_without_an_id_number_needs_a_sex(two_counties):
    h = actions.create_household(SYSTEM, number="QM01", area_code=VILLAGE_A, main_cause="01", identified_year=2016)
    with pytest.raises(Invalid) as exc:
        actions.add_member(SYSTEM, h, name="无证无性别", no_id_reason="3", relation="01")
    assert exc.value.field == "sex"
    assert not Member.objects.exists()
    with pytest.raises(Invalid) as exc:  # (the reason is asked first, as before)
        actions.add_member(SYSTEM, h, name="无证", relation="01")
    assert exc.value.field == "no_id_reason"
    assert actions.add_member(SYSTEM, h, name="无证", no_id_reason="3", sex="2", relation="01").sex == "2"
    # an ID number gives the sex
    son = actions.add_member(SYSTEM, h, name="有证", id_number=make_id(dt.date(2001, 2, 3), 5, male=True),
                             relation="03")
    assert son.sex == "1"


@pytest.mark.parametrize("fast", [True, False], ids=["fast path", "python path"])
def test_a_row_outside_the_area_does_not_hide_the_other_errors(two_counties, make_user, tmp_path, monkeypatch,
                                                               english, fast):
    monkeypatch.setattr(importers, "FAST_PATH", fast)
    # a household registered in county B, which the file moves into county A with a second head
    theirs = write_csv(tmp_path / "theirs.csv", [row("QO01", {"区划代码": VILLAGE_B}, 姓名="龙南户主",
                                                     证件号码=make_id(dt.date(1960, 1, 1), 1, area="360783"))])
    assert import_registry(SYSTEM, theirs).ok
    secret = Household.objects.get(number="QO01")
    officer = Actor(make_user("county_office", COUNTY_A))
    twin = make_id(dt.date(1990, 6, 1), 41)
    rows = [
        *good_rows(),  # rows 2–6, in county A
        row("QO02", {"区划代码": VILLAGE_B}, 姓名="外县", 证件号码=make_id(dt.date(1970, 1, 1), 3)),  # 7: county B
        row("QO03", 姓名="甲", 证件号码=twin),  # 8: the same ID number …
        row("QO04", 姓名="乙", 证件号码=twin),  # 9: … twice
        row("QO05", 姓名="丙", 证件号码=make_id(dt.date(1990, 6, 2), 43)),  # 10: two heads …
        row("QO05", 姓名="丁", 证件号码=make_id(dt.date(1990, 6, 3), 45)),  # 11: … in one household
        row("QO01", 姓名="新户主", 证件号码=make_id(dt.date(1961, 1, 1), 5)),  # 12: registered in county B
    ]
    before = state()
    result = import_registry(officer, write_csv(tmp_path / "mixed.csv", rows))
    assert {(e.row, e.column) for e in result.report.errors} == {
        (7, "区划代码"), (8, "证件号码"), (9, "证件号码"), (10, "与户主关系"), (11, "与户主关系"), (12, "户编号")}
    reasons = {e.row: e.reason for e in result.report.errors}
    assert "you may not import in area " + VILLAGE_B in reasons[7] and "also on row 9" in reasons[8]
    assert "outside your area" in reasons[12]
    # nothing is said of the household outside the area (its head), nothing is written
    assert not [e for e in result.report.errors if secret.head_name in e.reason]
    assert state() == before


def test_the_command_speaks_through_gettext(two_counties, tmp_path, monkeypatch, capsys):
    """Its own sentences (the progress line, where the report is, the timings) are translated."""
    monkeypatch.setattr(command, "_", lambda text: "«" + text + "»")
    monkeypatch.setattr(command, "ngettext", lambda one, many, n: "«" + (one if n == 1 else many) + "»")
    bad = write_csv(tmp_path / "bad.csv", [row("QC01", 姓名="甲")])  # no ID number, no reason
    report = tmp_path / "errors.xlsx"
    with pytest.raises(CommandError) as exc:
        call_command("import_registry", str(bad), "--errors", str(report))
    assert f"«The full report is in {report}.»" in str(exc.value)
    assert re.search(r"«[^»]+: 0/1 row»", capsys.readouterr().err)
    out = io.StringIO()
    call_command("import_registry", str(write_csv(tmp_path / "ok.csv", good_rows())), "--quiet-progress",
                 "-v", "2", stdout=out)
    assert "«Seconds by phase: read " in out.getvalue()
