"""贫困户属性 and 识别标准 only where they apply (issue 3), as 主要致贫原因 and 识别年度 before them.

A household off the 建档立卡 register — a rural household only monitored (``rural``, never
registered) or a removed one (``removed``) — may leave the four fields that say how a household
was identified as poor empty; every other status needs them. One table says so
(rules.FIELDS_NOT_NEEDED), read by the import on both of its paths and its template's sheet, the
household form (new and changed) and the API (POST and PATCH). The card and its PDF show "—" for
them, the register and the exports an empty cell; a data-quality run flags nothing for them; and
such a household exports and imports back changing nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse

from fupin.areas.models import Area
from fupin.audit.models import AuditEvent
from fupin.monitoring import actions as monitoring
from fupin.monitoring.models import Discovery
from fupin.monitoring.models import MonitoredHousehold as M
from fupin.registry import actions, codes, exchange, importers, quality, queries, rules
from fupin.registry.exporters import EXPLAIN_SHEET, write_template
from fupin.registry.forms import household_initial
from fupin.registry.importers import import_registry
from fupin.registry.models import Household, QualityIssue
from fupin.registry.views.households import card_context
from fupin.registry.views.registers import household_rows
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A
from tests.test_registry_exchange import good_rows, make_id, row, state, write_csv

FIELDS = ("category", "standard", "main_cause", "identified_year")
HEADERS = {"category": "贫困户属性", "standard": "识别标准", "main_cause": "主要致贫原因", "identified_year": "识别年度"}
NONE = {"贫困户属性": "", "识别标准": "", "主要致贫原因": "", "其他致贫原因1": "", "识别年度": "", "计划脱贫年度": ""}
MONITORED = {**NONE, "贫困户状态": codes.zh("status", "rural"), "状态日期": "2021-03-01"}
NOTHING = {"category": "", "standard": "", "main_cause": "", "identified_year": None}


def _report(result) -> list[tuple]:
    return [(e.row, e.column, e.value, e.reason) for e in result.report.errors]


def _problem(header: str, status: str) -> str:
    return exchange.empty_cell_problem(exchange.BY_HEADER[header], status)


def _monitored(number: str = VILLAGE_A + "9001", **values) -> Household:
    """A rural household never registered, put forward for monitoring (its head without an ID
    number), with none of the four fields."""
    h = actions.create_household(SYSTEM, number=number, area_code=VILLAGE_A, status="rural",
                                 status_date=dt.date(2021, 3, 1), **{**NOTHING, **values})
    actions.add_member(SYSTEM, h, name="钟边缘", no_id_reason="3", sex="2", relation="01", labour="1")
    monitoring.open_episode(SYSTEM, h, kind=M.EDGE, channel=Discovery.VISIT, date=dt.date(2022, 5, 1),
                            who="村支书", what="务工收入下降")
    h.refresh_from_db()
    return h


# --- the one table ------------------------------------------------------------------------------

def test_one_table_says_which_fields_a_status_needs():
    needing = {"identified", "registered", "exited_policy", "exited", "returned"}
    for field in FIELDS:
        assert set(rules.statuses_not_needing(field)) == {"removed", "rural"}
        column = exchange.BY_HEADER[HEADERS[field]]
        assert column.field == field and column.required
        assert set(column.unless_status) == {"removed", "rural"}  # the import's and the sheet's rule
        assert {s for s in codes.codes("status") if rules.needs_field(s, field)} == needing
    assert rules.needs_field(None, "category") and rules.needs_field("registered", "address")


# --- the import, both paths, and its template -----------------------------------------------------

def _rows() -> list[dict]:
    """Rows 7–8: a rural and a removed household with none of the four (accepted); rows 9–11: a
    registered, an exited and an identified household each missing 贫困户属性 or 识别标准 (refused)."""
    return [
        *good_rows(),  # rows 2–6
        row("QF01", MONITORED, 姓名="甲", 证件号码=make_id(dt.date(1980, 1, 1), 3)),  # 7
        row("QF02", {**MONITORED, "贫困户状态": codes.zh("status", "removed")}, 姓名="乙",
            证件号码=make_id(dt.date(1980, 1, 2), 5)),  # 8
        row("QF03", {"贫困户属性": ""}, 姓名="丙", 证件号码=make_id(dt.date(1980, 1, 3), 7)),  # 9
        row("QF04", {"识别标准": "", "贫困户状态": codes.zh("status", "exited"), "脱贫年度": "2018"}, 姓名="丁",
            证件号码=make_id(dt.date(1980, 1, 4), 9)),  # 10
        row("QF05", {"贫困户属性": "", "识别标准": "", "贫困户状态": codes.zh("status", "identified")}, 姓名="戊",
            证件号码=make_id(dt.date(1980, 1, 5), 11)),  # 11
    ]


@pytest.mark.parametrize("fast", [True, False], ids=["fast path", "python path"])
def test_the_import_takes_category_and_standard_empty_only_off_the_register(two_counties, tmp_path, monkeypatch,
                                                                            fast):
    monkeypatch.setattr(importers, "FAST_PATH", fast)  # (PostgreSQL's two paths; SQLite has the Python one)
    report = _report(import_registry(SYSTEM, write_csv(tmp_path / "statuses.csv", _rows()), dry_run=True))
    assert report == [
        (9, "贫困户属性", "", _problem("贫困户属性", "registered")),
        (10, "识别标准", "", _problem("识别标准", "exited")),
        (11, "贫困户属性", "", _problem("贫困户属性", "identified")),
        (11, "识别标准", "", _problem("识别标准", "identified")),
    ]
    assert codes.label("status", "registered") in report[0][3]
    # without those three rows, the rest imports: the rural and the removed household without them
    assert import_registry(SYSTEM, write_csv(tmp_path / "ok.csv", _rows()[:-3])).ok
    assert set(Household.objects.filter(number__in=["QF01", "QF02"]).values_list(
        "status", "category", "standard", "main_cause", "identified_year")) == {
        ("rural", "", "", "", None), ("removed", "", "", "", None)}


def test_the_template_says_category_and_standard_are_required_except_off_the_register(tmp_path):
    out = tmp_path / "template.xlsx"
    write_template(out)
    required = {r[0]: r[2] for r in openpyxl.load_workbook(out)[EXPLAIN_SHEET].iter_rows(min_row=2, values_only=True)}
    for header in HEADERS.values():
        assert required[header] != "必填", header
        assert all(f"“{codes.zh('status', s)}”" in required[header] for s in codes.OFF_REGISTER_STATUSES), header
        for status in ("registered", "exited", "returned", "identified"):
            assert codes.zh("status", status) not in required[header]
    assert required["贫困户属性"] == required["主要致贫原因"]  # one wording, from one table


# --- round trip --------------------------------------------------------------------------------

def _cells(path, number: str) -> dict:
    if path.suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    else:
        sheet = openpyxl.load_workbook(path).worksheets[0]
        values = list(sheet.iter_rows(values_only=True))
        rows = [dict(zip(values[0], r, strict=False)) for r in values[1:]]
    return next(r for r in rows if r["户编号"] == number)


@pytest.mark.parametrize("fast", [True, False], ids=["fast path", "python path"])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_monitored_household_without_category_or_standard_exports_and_imports_back_unchanged(
        two_counties, tmp_path, monkeypatch, suffix, fast):
    monkeypatch.setattr(importers, "FAST_PATH", fast)
    assert import_registry(SYSTEM, write_csv(tmp_path / "county.csv", good_rows())).ok
    h = _monitored()
    assert (h.category, h.standard, h.main_cause, h.identified_year) == ("", "", "", None)
    out = tmp_path / f"export{suffix}"
    call_command("export_registry", "--area", COUNTY_A, "-o", str(out))
    cells = _cells(out, h.number)
    assert [cells[HEADERS[f]] or "" for f in FIELDS] == ["", "", "", ""]  # empty, not a default
    python_rows = []  # rows the Python path read (on the fast path: those the SQL was not sure of)
    read = importers._RowParser.__call__
    monkeypatch.setattr(importers._RowParser, "__call__",
                        lambda self, number, cells: python_rows.append(number) or read(self, number, cells))
    dry = import_registry(SYSTEM, out, dry_run=True)
    assert _report(dry) == []
    if fast and connection.vendor == "postgresql":
        assert python_rows == []  # the SQL reads the monitored household's empty cells itself
    assert (dry.households_unchanged, dry.households_updated) == (3, 0)
    before, events = state(), AuditEvent.objects.filter(kind="change").count()
    result = import_registry(SYSTEM, out)
    assert result.ok, _report(result)
    assert (result.households_updated, result.households_unchanged, result.members_created,
            result.members_updated, result.status_changes) == (0, 3, 0, 0, 0)
    assert state() == before
    assert AuditEvent.objects.filter(kind="change").count() == events


# --- the household form ----------------------------------------------------------------------

def _create_post(number: str, status: str, **values) -> dict:
    return {"number": number, "area_code": VILLAGE_A, "status": status, "status_date": "2021-03-01",
            "category": "", "standard": "", "main_cause": "", "identified_year": "", **values}


def _errors(response) -> dict:
    form = response.context["form"]
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


def test_the_form_asks_for_them_only_when_the_status_needs_them(two_counties, make_user, login):
    client = login(make_user("county_office", COUNTY_A))
    url = reverse("registry:household_create")
    page = client.get(url).content.decode()
    for field in FIELDS:  # the status is chosen on the same page: the browser does not insist
        tag = re.search(rf'<(?:select|input)[^>]*name="{field}"[^>]*>', page).group(0)
        assert " required" not in tag, tag
    assert "“" + codes.label("status", "rural") + "”" in page  # the help says for which statuses not
    response = client.post(url, _create_post("QF10", "rural"))
    assert response.status_code == 302, _errors(response)
    assert Household.objects.filter(number="QF10", status="rural", **NOTHING).exists()
    response = client.post(url, _create_post("QF11", "identified", main_cause="02", identified_year="2017"))
    assert response.status_code == 200
    errors = _errors(response)
    assert set(errors) == {"category", "standard"}, errors
    assert codes.label("status", "identified") in errors["category"][0]
    assert not Household.objects.filter(number="QF11").exists()


def _edit_post(h: Household, **values) -> dict:
    data = {k: ("" if v is None else v) for k, v in household_initial(h).items() if k not in ("status", "status_date")}
    data = {k: v for k, v in data.items() if v is not False}  # (an unticked box is not sent)
    return {**data, **values}


def test_the_edit_form_asks_for_them_only_when_the_household_s_status_needs_them(two_counties, make_user, login):
    client = login(make_user("county_office", COUNTY_A))
    rural = _monitored(category="1", standard="1")  # (as a household made before them took the default)
    response = client.post(reverse("registry:household_edit", args=[rural.pk]), _edit_post(rural, category="",
                                                                                           standard=""))
    assert response.status_code == 302, _errors(response)
    rural.refresh_from_db()
    assert (rural.category, rural.standard) == ("", "")
    poor = actions.create_household(SYSTEM, number="QF12", area_code=VILLAGE_A, status="identified", category="2",
                                    standard="1", main_cause="01", identified_year=2016)
    response = client.post(reverse("registry:household_edit", args=[poor.pk]), _edit_post(poor, standard=""))
    assert response.status_code == 200
    assert set(_errors(response)) == {"standard"}
    poor.refresh_from_db()
    assert poor.standard == "1"


# --- the API ---------------------------------------------------------------------------------

def _post(client, **body):
    body = {"number": "QA01", "area_code": VILLAGE_A, "status_date": "2021-03-01", "members": [], **body}
    return client.post("/api/v1/households", json.dumps(body), content_type="application/json")


def test_the_api_asks_for_them_only_when_the_status_needs_them(two_counties, make_user, api):
    client = api(make_user("county_office", COUNTY_A))
    response = _post(client, number="QA01", status="rural")
    assert response.status_code == 201, response.json()
    out = response.json()
    assert [out[f] for f in FIELDS] == ["", "", "", None] and out["category_label"] == ""
    assert Household.objects.filter(number="QA01", **NOTHING).exists()
    needed = {"main_cause": "01", "identified_year": 2017}  # (status: identified, the API's first status)
    for sent, field in (({"category": None}, "category"), ({"standard": " "}, "standard"),
                        ({"main_cause": None}, "main_cause"), ({"identified_year": None}, "identified_year")):
        response = _post(client, number="QA02", **{**needed, **sent})
        assert response.status_code == 422, (sent, response.json())
        body = response.json()
        assert body["field"] == field and codes.label("status", "identified") in body["message"], body
        assert HEADERS[field] in body["message"]
    assert not Household.objects.filter(number="QA02").exists()
    # left out, a status that needs them takes the model's default as before (一般贫困户, the national line)
    response = _post(client, number="QA03", **needed)
    assert response.status_code == 201, response.json()
    assert (response.json()["category"], response.json()["standard"]) == ("1", "1")


def test_a_patch_may_empty_them_only_for_a_status_that_does_not_need_them(two_counties, make_user, api):
    client = api(make_user("county_office", COUNTY_A))
    rural = _monitored(category="1", standard="1")
    response = client.patch(f"/api/v1/households/{rural.pk}", json.dumps({"category": None, "standard": ""}),
                            content_type="application/json")
    assert response.status_code == 200, response.json()
    assert (response.json()["category"], response.json()["standard"]) == ("", "")
    poor = actions.create_household(SYSTEM, number="QA04", area_code=VILLAGE_A, status="identified", category="2",
                                    standard="1", main_cause="01", identified_year=2016)
    for sent in ({"category": None}, {"standard": ""}):
        response = client.patch(f"/api/v1/households/{poor.pk}", json.dumps(sent), content_type="application/json")
        assert response.status_code == 422 and response.json()["field"] == next(iter(sent)), response.json()
    poor.refresh_from_db()
    assert (poor.category, poor.standard, poor.version) == ("2", "1", 1)


# --- what is shown ---------------------------------------------------------------------------

def _dd(page: str, label: str) -> str:
    found = re.search(rf">{re.escape(label)}</dt>\s*<dd[^>]*>(.*?)</dd>", page, re.S)
    assert found, label
    return found.group(1).strip()


def test_the_card_its_pdf_and_the_register_show_nothing_for_them(two_counties, make_user, login, english):
    h = _monitored()
    client = login(make_user("county_office", COUNTY_A))
    page = client.get(reverse("registry:household", args=[h.pk])).content.decode()
    for field in ("category", "standard", "identified_year"):
        label = str(Household._meta.get_field(field).verbose_name)
        assert _dd(page, label) == "—", field
    assert codes.label("category", "1") not in page and codes.label("standard", "1") not in page
    pdf = render_to_string("registry/household_pdf.html", card_context(h, reveal=False))
    for field in ("category", "standard", "identified_year"):
        label = str(Household._meta.get_field(field).verbose_name)
        cell = re.search(rf'<td class="label">{re.escape(label)}</td><td>(.*?)</td>', pdf, re.S)
        assert cell and cell.group(1) == "—", field
    # the village register, asked for the monitored households; and its export
    page = client.get(reverse("registry:register", args=[VILLAGE_A]), {"status": "rural"}).content.decode()
    cells = re.findall(r"<td[^>]*>(.*?)</td>", re.search(rf">{h.number}</a>.*?</tr>", page, re.S).group(0), re.S)
    assert [c.strip() for c in cells[4:6]] == ["", ""]  # category, main cause: empty, not a default
    qs = Household.objects.filter(pk=h.pk)
    (cells,) = list(household_rows(queries.register_households(qs), "village", False))
    assert cells[6:8] == ["", ""]  # category, main cause: empty, not a default


def test_a_quality_run_flags_nothing_missing_for_them(two_counties):
    h = _monitored()
    run = quality.execute(SYSTEM, Area.objects.get(code=COUNTY_A), on=dt.date(2024, 9, 1), income_year=2023)
    assert not QualityIssue.objects.filter(run=run, household=h).exists()
