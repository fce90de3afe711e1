"""The income ledger (经济收入一本账) in and out of an exchange file: the template, the
all-or-nothing import with its report (every bad row at once), the values save_income would
store, re-import as update with every changed field logged, rows that change nothing left alone,
the dry run, the export and the round trip, GB18030, the importer's area, the commands, and the
exchange page's jobs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from python_calamine import CalamineWorkbook
from stdnum.cn import ric

from fupin.audit import present
from fupin.audit.models import AuditEvent, AuditItem
from fupin.core.actor import Actor
from fupin.core.errors import Forbidden, Invalid
from fupin.jobs.models import Job
from fupin.registry import actions, income_exchange, rules
from fupin.registry.income_exchange import COSTS, HEADERS, NOTE, NUMBER, YEAR, import_income
from fupin.registry.models import Household, Income
from tests.conftest import COUNTY_A, COUNTY_B, SYSTEM, VILLAGE_A, VILLAGE_B

pytestmark = pytest.mark.usefixtures("english")

LABEL = {field: label for field, (_group, label) in rules.INCOME_ITEMS.items()} | {"production_costs": COSTS}
_seq = iter(range(100, 999))


def _id(birth_year: int) -> str:
    body = f"360729{birth_year}0101{next(_seq):03d}"
    return body + ric.calc_check_digit(body + "0")


def household(number: str, size: int, *, area: str = VILLAGE_A, left: int = 0) -> Household:
    """A household with ``size`` active members (the first the head) and ``left`` who have left."""
    h = actions.create_household(SYSTEM, number=number, area_code=area, category="1", standard="1", main_cause="01",
                                 identified_year=2016, status="registered", status_date=dt.date(2016, 3, 1))
    for i in range(size + left):
        m = actions.add_member(SYSTEM, h, name=f"成员{i}", id_number=_id(1950 + i), relation="01" if i == 0 else "10",
                               ethnicity="01", school_status="00", health="1")
        if i >= size:
            actions.member_leaves(SYSTEM, m, "1", dt.date(2020, 1, 1))
    h.refresh_from_db()
    return h


def line(number: str, year, note: str = "", **amounts) -> dict:
    """A file row: amounts by Income field name (texts as typed), the others empty."""
    return {NUMBER: number, YEAR: str(year), **{LABEL[f]: v for f, v in amounts.items()}, NOTE: note}


def write_csv(path, rows, *, encoding="utf-8-sig", headers=None):
    headers = headers or HEADERS
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for r in rows:
            w.writerow([r.get(h, "") for h in headers])
    return path


def ledger() -> list[tuple]:
    """Every stored income, every column (for "nothing changed" comparisons)."""
    fields = [f.attname for f in Income._meta.concrete_fields]
    return sorted(Income.objects.values_list(*fields))


def logged() -> tuple[int, int]:
    return AuditEvent.objects.count(), AuditItem.objects.count()


@pytest.fixture
def homes(two_counties):
    return {"H1": household("H1", 3), "H2": household("H2", 1, left=2), "H5": household("H5", 5),
            "EMPTY": household("EMPTY", 0, left=1), "B1": household("B1", 2, area=VILLAGE_B)}


# --- the format ---------------------------------------------------------------------------------

def test_the_template_has_every_column_and_the_explanation_sheet(tmp_path):
    out = tmp_path / "income.xlsx"
    call_command("income_template", "-o", str(out))
    wb = CalamineWorkbook.from_path(str(out))
    assert wb.sheet_names == ["经济收入一本账", "填写说明"]
    assert wb.get_sheet_by_index(0).to_python() == [HEADERS]
    assert HEADERS == [  # the columns an office files, written out (not rebuilt from the code)
        "户编号", "年度", "工资性收入", "种植业收入", "林业收入", "畜牧业收入", "家禽养殖收入", "渔业收入",
        "其他生产经营性收入", "土地流转/入股收入", "资产收益分红", "其他财产性收入", "低保金", "特困供养金", "养老金",
        "生态补偿金", "各类补贴", "其他转移性收入", "生产经营性支出", "备注"]
    explain = wb.get_sheet_by_name("填写说明").to_python()
    assert [r[0] for r in explain[1:]] == HEADERS
    by = {r[0]: r for r in explain[1:]}
    assert by["户编号"][1] == "必填" and by["年度"][1] == "必填" and by["工资性收入"][1] == "选填"
    assert "空白为 0" in by["种植业收入"][2] and "生产经营性收入" in by["种植业收入"][3]


# --- a good file --------------------------------------------------------------------------------

def test_a_good_file_stores_each_ledger_with_its_per_capita_income_and_one_bulk_event(homes, tmp_path):
    path = write_csv(tmp_path / "good.csv", [
        line("H1", 2023, "务工为主", wages="12,000.50", crops="3000", dibao="", production_costs="1500.5"),
        line("H1", 2024, wages="15000"),
        line("H2", 2024, crops="0.125", pensions="1200"),
    ])
    result = import_income(SYSTEM, path)
    assert result.ok, result.report.summary()
    assert (result.rows, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    h1 = Income.objects.get(household=homes["H1"], year=2023)
    assert (h1.wages, h1.crops, h1.dibao, h1.production_costs, h1.note) == (
        Decimal("12000.50"), Decimal("3000"), 0, Decimal("1500.50"), "务工为主")
    # (12000.50 + 3000 − 1500.50) ÷ 3 active members
    assert (h1.household_size, h1.total_income, h1.net_income, h1.per_capita, h1.area_code) == (
        3, Decimal("15000.50"), Decimal("13500.00"), Decimal("4500.00"), VILLAGE_A)
    h2 = Income.objects.get(household=homes["H2"])
    assert (h2.crops, h2.household_size, h2.per_capita) == (Decimal("0.13"), 1, Decimal("1200.13"))  # (2 have left)
    event = AuditEvent.objects.get(action="registry.income.import")
    assert (event.kind, event.object_type, event.count, event.note, event.area_code) == (
        "bulk", "registry.income", 3, "good.csv", VILLAGE_A)
    assert event.after["incomes_created"] == 3 and event.after["rows"] == 3
    assert set(event.items.values_list("object_id", "change")) == {
        (str(i.pk), "created") for i in Income.objects.all()}


def test_each_row_stores_what_save_income_stores(homes, tmp_path):
    """Random amounts (as people type them) for households of several sizes: the stored ledger
    is the one save_income stores from the same amounts."""
    rng = random.Random(20261123)

    def amount() -> str:
        kind = rng.randrange(6)
        if kind == 0:
            return ""
        if kind == 1:
            return str(rng.randrange(0, 50000))
        if kind == 2:
            return f"{rng.randrange(0, 10 ** 7)}.{rng.randrange(1000):03d}"  # rounded half up to the cent
        if kind == 3:
            return f"{rng.randrange(1, 999):,}{rng.randrange(1000):03d}.5"  # with a thousands comma
        return f"{rng.uniform(0, 20000):.2f}"

    keys = ["H1", "H2", "H5"]
    rows = [line(k, year, f"第{year}年", **{f: amount() for f in actions.INCOME_FIELDS})
            for k in keys for year in range(2016, 2026)]
    result = import_income(SYSTEM, write_csv(tmp_path / "random.csv", rows))
    assert result.ok and result.created == len(rows), result.report.summary()
    imported = ledger()
    compared = ["household_id", "year", *income_exchange.COMPARED]
    by_import = {(i.household_id, i.year): [getattr(i, f) for f in compared] for i in Income.objects.all()}
    for r in rows:
        h = homes[r[NUMBER]]
        amounts = {f: r[LABEL[f]] for f in actions.INCOME_FIELDS}
        saved = actions.save_income(SYSTEM, h, int(r[YEAR]), note=r[NOTE], **amounts)
        saved.refresh_from_db()
        assert [getattr(saved, f) for f in compared] == by_import[(h.pk, saved.year)], r
    assert len(imported) == len(ledger())


# --- a bad file is refused whole ----------------------------------------------------------------

def test_every_bad_row_is_reported_at_once_and_nothing_is_written(homes, make_user, tmp_path):
    office_a = make_user("county_office", COUNTY_A)
    actions.save_income(SYSTEM, homes["H5"], 2020, wages="100")
    before, events = ledger(), logged()
    rows = [
        line("H1", 2023, wages="1000"),                      # 2 good
        line("NOPE", 2023, wages="1"),                       # 3 no such household
        line("B1", 2023, wages="1"),                         # 4 county B's: not in the importer's area
        line("H1", "二〇二三", wages="1"),                     # 5 not a year
        line("H1", 1979, wages="1"),                         # 6 before the work began
        line("H2", 2023, crops="-5", dividends="abc"),       # 7 negative, not a number
        line("H5", 2021, wages="1"),                         # 8 the same household-year …
        line("H5", 2021, wages="2"),                         # 9 … twice
        line("EMPTY", 2023, wages="1"),                      # 10 no active members
        line("", 2023, wages="1"),                           # 11 no number
        line("H5", 2022, "长" * 201, wages="1"),             # 12 note too long
        line("H5", 2023, wages="9999999999", crops="1"),     # 13 total too large for the ledger
        line("H5", 2024, pensions="1e10"),                   # 14 amount too large
    ]
    result = import_income(Actor(user=office_a), write_csv(tmp_path / "bad.csv", rows))
    assert not result.ok
    assert ledger() == before and logged() == events
    found = {(e.row, e.column) for e in result.report.errors}
    assert found == {(3, NUMBER), (4, NUMBER), (5, YEAR), (6, YEAR), (7, LABEL["crops"]), (7, LABEL["dividends"]),
                     (8, NUMBER), (9, NUMBER), (10, NUMBER), (11, NUMBER), (12, NOTE), (13, "total income"),
                     (14, LABEL["pensions"])}, result.report.summary(30)
    by = {(e.row, e.column): e for e in result.report.errors}
    assert by[(3, NUMBER)].reason == by[(4, NUMBER)].reason == "no household with this number in your area"
    assert by[(4, NUMBER)].value == "B1"
    assert by[(5, YEAR)].reason == "not a year"
    assert "1979 is not a year of the poverty-alleviation work" in by[(6, YEAR)].reason
    assert by[(7, LABEL["crops"])].reason == "Amounts cannot be negative."
    assert by[(7, LABEL["dividends"])].reason == "Not a number."
    assert "row 9" in by[(8, NUMBER)].reason and "row 8" in by[(9, NUMBER)].reason
    assert by[(10, NUMBER)].reason == "The household has no active members."
    assert by[(11, NUMBER)].reason == "required, but empty"
    assert by[(13, "total income")].value == "10000000000.00"
    assert [e.row for e in result.report.errors] == sorted(e.row for e in result.report.errors)
    # an officer over both counties finds B1: only the other errors remain on its row
    both = make_user("county_office", "360700000000")
    result = import_income(Actor(user=both), write_csv(tmp_path / "bad.csv", rows))
    assert (4, NUMBER) not in {(e.row, e.column) for e in result.report.errors}


def test_a_missing_amount_column_is_refused(homes, tmp_path):
    headers = [h for h in HEADERS if h != LABEL["dibao"]]
    with pytest.raises(Invalid, match=f"Missing columns: .*{LABEL['dibao']}"):
        import_income(SYSTEM, write_csv(tmp_path / "cols.csv", [line("H1", 2023)], headers=headers))


def test_an_importer_without_the_import_permission_is_refused(homes, make_user, tmp_path):
    with pytest.raises(Forbidden):
        import_income(Actor(user=make_user("inspector", COUNTY_A)),
                      write_csv(tmp_path / "x.csv", [line("H1", 2023, wages="1")]))
    assert not Income.objects.exists()


# --- re-import: update, audit, rows left alone ---------------------------------------------------

def test_a_changed_row_is_updated_and_its_changed_fields_logged_the_others_left_alone(homes, tmp_path):
    first = [line("H1", 2023, "原备注", wages="9000", crops="300"), line("H5", 2023, wages="5000")]
    assert import_income(SYSTEM, write_csv(tmp_path / "one.csv", first)).ok
    untouched = Income.objects.get(household=homes["H5"])
    again = [line("H1", 2023, "原备注", wages="12000", crops="300"), line("H5", 2023, wages="5000"),
             line("H5", 2024, wages="6000")]
    result = import_income(SYSTEM, write_csv(tmp_path / "two.csv", again))
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1), result.report.summary()
    changed = Income.objects.get(household=homes["H1"], year=2023)
    assert (changed.wages, changed.total_income, changed.per_capita) == (
        Decimal("12000"), Decimal("12300"), Decimal("4100.00"))
    assert Income.objects.get(pk=untouched.pk).updated_at == untouched.updated_at  # not rewritten
    event = AuditEvent.objects.get(action="registry.income.import_update")
    assert (event.object_type, event.object_id, event.object_repr) == ("registry.income", str(changed.pk), "H1 2023")
    assert event.before == {"wages": "9000.00", "total_income": "9300.00", "net_income": "9300.00",
                            "per_capita": "3100.00"}
    assert event.after == {"wages": "12000.00", "total_income": "12300.00", "net_income": "12300.00",
                           "per_capita": "4100.00"}
    shown = {c.name: c.label for c in present.changes(event)}
    assert shown["wages"] == "Wages" and shown["per_capita"] == "Per-capita net income"
    bulk = AuditEvent.objects.filter(action="registry.income.import").latest("id")
    new = Income.objects.get(household=homes["H5"], year=2024)
    assert set(bulk.items.values_list("object_id", "change")) == {(str(changed.pk), "updated"),
                                                                  (str(new.pk), "created")}


def test_a_file_without_the_note_column_keeps_the_stored_note(homes, tmp_path):
    actions.save_income(SYSTEM, homes["H1"], 2023, note="村里核实", wages="100")
    headers = [h for h in HEADERS if h != NOTE]
    result = import_income(SYSTEM, write_csv(tmp_path / "n.csv", [line("H1", 2023, wages="200")], headers=headers))
    assert result.ok and result.updated == 1
    assert Income.objects.get(household=homes["H1"]).note == "村里核实"


def test_a_row_that_changes_a_ledger_takes_todays_household_size_one_that_does_not_keeps_its_own(homes, tmp_path):
    """As save_income: a ledger entered again is computed with the household's active members now;
    an unchanged row (an exported file imported back) leaves the ledger as it was computed."""
    actions.save_income(SYSTEM, homes["H1"], 2022, wages="3000")
    actions.save_income(SYSTEM, homes["H1"], 2023, wages="3000")
    member = homes["H1"].members.filter(active=True).exclude(relation="01").first()
    actions.member_leaves(SYSTEM, member, "1", dt.date(2024, 5, 1))
    before = {i.year: i for i in Income.objects.all()}
    rows = [line("H1", 2022, wages="3000"), line("H1", 2023, wages="3300")]
    result = import_income(SYSTEM, write_csv(tmp_path / "size.csv", rows))
    assert (result.updated, result.unchanged) == (1, 1)
    kept, redone = Income.objects.get(year=2022), Income.objects.get(year=2023)
    assert (kept.household_size, kept.per_capita, kept.updated_at) == (3, Decimal("1000.00"), before[2022].updated_at)
    assert (redone.household_size, redone.per_capita) == (2, Decimal("1650.00"))


def test_a_dry_run_counts_and_writes_nothing(homes, tmp_path):
    actions.save_income(SYSTEM, homes["H1"], 2023, wages="100")
    before, events = ledger(), logged()
    rows = [line("H1", 2023, wages="200"), line("H5", 2023, wages="1"), line("H5", 2022, wages="1")]
    result = import_income(SYSTEM, write_csv(tmp_path / "dry.csv", rows), dry_run=True)
    assert result.ok and (result.created, result.updated, result.unchanged) == (2, 1, 0)
    assert result.summary() == ("Dry run: nothing was written. 3 rows checked. Income ledgers: 2 to be created, "
                                "1 to be updated, 0 unchanged.")
    assert ledger() == before and logged() == events


def test_the_queries_do_not_grow_with_the_rows(homes, tmp_path):
    """Set-based: the same statements for 6 rows as for 80 (one chunk), none per row."""
    def queries(n: int) -> int:
        Income.objects.all().delete()
        rows = [line(k, 1990 + i, wages=str(i)) for i in range(n) for k in ("H1", "H5")]
        path = write_csv(tmp_path / f"n{n}.csv", rows)
        with CaptureQueriesContext(connection) as ctx:
            assert import_income(SYSTEM, path).ok
        return len(ctx.captured_queries)

    assert queries(3) == queries(15) == queries(40)


# --- out and back in ----------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_an_exported_file_imports_back_without_changing_anything(homes, tmp_path, suffix):
    actions.save_income(SYSTEM, homes["H1"], 2022, note="第一年", wages="12000.5", crops="0.01",
                        production_costs="99999.99")
    actions.save_income(SYSTEM, homes["H1"], 2023, dibao="3600", eco_compensation="1234567.89")
    actions.save_income(SYSTEM, homes["H5"], 2023, wages="0.1", other_transfer="7")
    actions.save_income(SYSTEM, homes["B1"], 2023, wages="1")  # county B: not exported with county A
    member = homes["H5"].members.filter(active=True).exclude(relation="01").first()
    actions.member_leaves(SYSTEM, member, "1", dt.date(2024, 5, 1))  # (the stored size is older)
    out = tmp_path / f"income.{suffix}"
    call_command("export_income", "--area", COUNTY_A, "-o", str(out))
    assert AuditEvent.objects.filter(action="registry.income.export", kind="export", count=3).exists()
    before, events = ledger(), logged()
    result = import_income(SYSTEM, out)
    assert result.ok, result.report.summary()
    assert (result.rows, result.created, result.updated, result.unchanged) == (3, 0, 0, 3)
    assert ledger() == before and logged() == events


def test_the_export_of_one_year_and_its_cells(homes, tmp_path):
    actions.save_income(SYSTEM, homes["H1"], 2022, wages="1")
    actions.save_income(SYSTEM, homes["H1"], 2023, note="备", wages="1200.50", production_costs="0.5")
    out = tmp_path / "y.csv"
    call_command("export_income", "--area", VILLAGE_A, "--year", "2023", "-o", str(out))
    with open(out, encoding="utf-8-sig", newline="") as fh:
        data = list(csv.reader(fh))
    assert data[0] == HEADERS and len(data) == 2
    cells = dict(zip(HEADERS, data[1], strict=True))
    assert (cells[NUMBER], cells[YEAR], cells[LABEL["wages"]], cells[COSTS], cells[LABEL["crops"]], cells[NOTE]) == (
        "H1", "2023", "1200.5", "0.5", "0", "备")
    with pytest.raises(CommandError):
        call_command("export_income", "--area", VILLAGE_A, "--year", "1900", "-o", str(out))


def test_a_gb18030_file_is_read(homes, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", [line("H1", 2023, "外出务工", wages="100")], encoding="gb18030")
    assert import_income(SYSTEM, path).ok
    assert Income.objects.get().note == "外出务工"


# --- the commands -------------------------------------------------------------------------------

def test_the_import_command_reports_errors_and_writes_the_report(homes, tmp_path):
    report = tmp_path / "errors.xlsx"
    bad = write_csv(tmp_path / "bad.csv", [line("NOPE", 2023, wages="1")])
    with pytest.raises(CommandError, match="no household with this number in your area"):
        call_command("import_income", str(bad), "--errors", str(report), "--quiet-progress")
    assert report.exists() and not Income.objects.exists()
    out = io.StringIO()
    good = write_csv(tmp_path / "good.csv", [line("H1", 2023, wages="1")])
    call_command("import_income", str(good), "--dry-run", "--quiet-progress", stdout=out)
    assert "Dry run" in out.getvalue() and not Income.objects.exists()
    call_command("import_income", str(good), "--quiet-progress", stdout=io.StringIO())
    assert Income.objects.get().wages == 1


# --- the exchange page --------------------------------------------------------------------------

def _upload(rows, name="income.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    w = csv.writer(buffer)
    w.writerow(HEADERS)
    for r in rows:
        w.writerow([r.get(h, "") for h in HEADERS])
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"))


def test_the_exchange_page_imports_checks_and_exports_income_ledgers(homes, make_user, login):
    user = make_user("county_office", COUNTY_A)
    client = login(user)
    page = client.get(reverse("registry:exchange")).content.decode()
    for name in ("exchange_income_template", "exchange_income_import", "exchange_income_export"):
        assert reverse(f"registry:{name}") in page
    assert 'name="income-file"' in page and 'name="income-dry_run"' in page and 'name="income-year"' in page
    template = client.get(reverse("registry:exchange_income_template"))
    assert template.status_code == 200 and template.content[:2] == b"PK"

    url = reverse("registry:exchange_income_import")
    response = client.post(url, {"income-file": _upload([line("H1", 2023, wages="900")]), "income-dry_run": "on"})
    assert response.status_code == 302 and not Income.objects.exists()
    checked = Job.objects.get(kind="registry.import")
    assert checked.status == Job.SUCCEEDED and checked.result["incomes_created"] == 1 and checked.result["dry_run"]
    client.post(url, {"income-file": _upload([line("H1", 2023, wages="900")])})
    done = Job.objects.filter(kind="registry.import").latest("created_at")
    assert done.status == Job.SUCCEEDED and done.done == 1, done.message
    assert Income.objects.get().per_capita == Decimal("300.00")
    client.post(url, {"income-file": _upload([line("H1", 2023, wages="x"), line("B1", 2023)])})
    failed = Job.objects.filter(kind="registry.import").latest("created_at")
    assert failed.status == Job.FAILED and (failed.error_count, failed.error_rows) == (2, 2)
    report = failed.files.get()
    assert client.get(reverse("jobs:file", args=[failed.pk, report.pk])).status_code == 200
    assert Income.objects.get().wages == 900

    response = client.post(reverse("registry:exchange_income_export"),
                           {"income-area": COUNTY_A, "income-year": "2023", "income-format": "csv"})
    assert response.status_code == 302
    exported = Job.objects.get(kind="registry.export")
    assert exported.status == Job.SUCCEEDED and exported.result["rows"] == 1, exported.message
    assert exported.files.get().contains_personal_data
    assert client.post(reverse("registry:exchange_income_export"),
                       {"income-area": COUNTY_B, "income-format": "csv"}).status_code == 404
    bad_year = client.post(reverse("registry:exchange_income_export"),
                           {"income-area": COUNTY_A, "income-year": "1900", "income-format": "csv"})
    assert bad_year.status_code == 400 and Job.objects.filter(kind="registry.export").count() == 1


def test_the_income_import_and_export_need_the_registrys_permissions(homes, make_user, login):
    inspector = login(make_user("inspector", COUNTY_A))  # may export, may not import
    page = inspector.get(reverse("registry:exchange")).content.decode()
    assert reverse("registry:exchange_income_export") in page
    assert reverse("registry:exchange_income_import") not in page
    response = inspector.post(reverse("registry:exchange_income_import"),
                              {"income-file": _upload([line("H1", 2023, wages="1")])})
    assert response.status_code == 403 and not Income.objects.exists()
    cadre = login(make_user("village_cadre", VILLAGE_A))  # neither
    assert cadre.get(reverse("registry:exchange_income_template")).status_code == 403
    assert cadre.post(reverse("registry:exchange_income_export"),
                      {"income-area": VILLAGE_A, "income-format": "csv"}).status_code == 403
