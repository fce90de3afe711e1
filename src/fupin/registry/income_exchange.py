"""The income ledger (经济收入一本账) in and out of an exchange file: one row per household
and year, Chinese headers — 户编号, 年度, one column per income item (rules.INCOME_ITEMS'
labels), 生产经营性支出, 备注 — amounts in yuan (an empty cell is 0), and a sheet 填写说明
explaining every column. This module holds the format, the template, the import and the
export; the exchange page, the job and the commands call it.

The import is all or nothing, like the registry's (importers.py): every bad row is reported at
once (row, column, value, reason) and then nothing is written; a dry run checks and counts
without writing. Memory stays flat whatever the file's size, and no query is made per row:

1. The file is streamed (core.tabular.read_table); each cell is parsed in Python — amounts by
   core.money as save_income reads them, the year checked by actions.check_work_year — and the
   row goes into a staging table (amounts in cents; COPY on PostgreSQL, executemany batches on
   SQLite).
2. SQL finds each row's household by its number inside the importer's area (a household
   elsewhere is reported as not found, never as existing), counts the households' active
   members in one aggregate, and finds the household-years given twice in the file.
3. The rows are then read back a chunk at a time, each joined with the income already stored
   for its household and year (one query per chunk): the total, net and per-capita income are
   computed by the function save_income uses (rules.per_capita_net_income, with the count of
   active members), and the ledgers that change go into a second staging table. One
   INSERT … SELECT … ON CONFLICT (household, year) DO UPDATE writes them all. (Django's
   bulk_create(update_conflicts=True) makes the same statement, but builds it value by value in
   Python: a third of the time of a 50,000-row import.) A row whose amounts and note equal the
   stored ones is not rewritten (its per-capita income keeps the household size it was computed
   with): an exported file imports back without changing anything.
4. The audit log gets one bulk event with the counts, listing every income created or updated,
   and for each income updated an event with the values of its changed fields before and after.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fupin.accounts.scoping import Scope
from fupin.audit import actions as audit
from fupin.core import clock, money
from fupin.core.actor import Actor
from fupin.core.errors import Invalid
from fupin.core.tabular import ErrorReport, write_xlsx

from . import exchange, rules
from .actions import INCOME_FIELDS, check_work_year, income_figures
from .exporters import area_to_export, write_export
from .importers import (
    BATCH_ROWS,
    SQLITE_BATCH,
    ProgressFn,
    _begin,
    _common_area,
    _Db,
    _Memo,
    _Result,
    _Rollback,
    _scope_condition,
    _sort_report,
    errors_message,
    laps,
)
from .models import Income

# --- the format ---------------------------------------------------------------------------------

DATA_SHEET = "经济收入一本账"  # the format's sheet names and headers are data, like the registry's
EXPLAIN_SHEET = "填写说明"
NUMBER, YEAR, COSTS, NOTE = "户编号", "年度", "生产经营性支出", "备注"
# (header, Income field) of every amount column, in the order save_income reads them: the income
# items by their labels, then the production costs
AMOUNTS: list[tuple[str, str]] = [(rules.INCOME_ITEMS[f][1] if f in rules.INCOME_ITEMS else COSTS, f)
                                  for f in INCOME_FIELDS]
AMOUNT_HEADERS = [h for h, _f in AMOUNTS]
HEADERS = [NUMBER, YEAR, *AMOUNT_HEADERS, NOTE]
REQUIRED_HEADERS = [NUMBER, YEAR, *AMOUNT_HEADERS]  # 备注 may be left out: the stored note then stays
NOTE_LENGTH = Income._meta.get_field("note").max_length
# What a row writes besides the amounts, as save_income sets it.
COMPUTED = ["area_code", "household_size", "total_income", "net_income", "per_capita"]
COMPARED = [*INCOME_FIELDS, *COMPUTED, "note"]

IMPORT, EXPORT = "registry.income.import", "registry.income.export"  # audit actions
CHANGE = "registry.income.import_update"  # an income changed by an import: its fields before and after
OBJECT_TYPE = "registry.income"

CHUNK = 2_000  # rows computed and written at a time


def explanation_headers() -> list[str]:
    return [_("Column"), _("Required"), _("Allowed values"), _("Notes")]


def explanation_rows() -> list[list[str]]:
    """The 填写说明 sheet: every column, whether a value is needed, what it may be."""
    first, last = exchange.PROGRAMME_FIRST_YEAR, exchange.last_year()
    amount = f"金额（元）：不为负、小于 {money.LIMIT / 10**8:,.0f} 亿的数，可带千分位逗号，四舍五入到分；空白为 0"
    rows = [
        [NUMBER, "必填", "系统中已有的户编号（本人管辖区域内）",
         "一行是一户一年的收入；同一户同一年度在文件中只能出现一次"],
        [YEAR, "必填", f"四位年份，{first}—{last}", "收入所属的年度；系统中已有该户该年度收入的，以本行为准更新"],
    ]
    for group, label in rules.INCOME_ITEMS.values():
        rows.append([label, "选填", amount, f"属于{rules.INCOME_GROUPS[group]}；此列不可缺少"])
    rows.append([COSTS, "选填", amount, "人均纯收入 =（各项收入合计 − 生产经营性支出）÷ 家庭人口（该户现有成员数）；"
                                       "此列不可缺少"])
    rows.append([NOTE, "选填", f"文字，最多 {NOTE_LENGTH} 字", "文件没有此列的，已有的备注保持不变"])
    return rows


def write_template(target) -> None:
    """The empty income template: the headers, and a sheet explaining every column."""
    write_xlsx(target, HEADERS, [], sheet_name=DATA_SHEET,
               extra_sheets={EXPLAIN_SHEET: (explanation_headers(), explanation_rows())})


# --- the import ---------------------------------------------------------------------------------

@dataclass
class IncomeImportResult(_Result):  # (timings: read, check, write)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict:
        return {"rows": self.rows, "dry_run": self.dry_run, "incomes_created": self.created,
                "incomes_updated": self.updated, "incomes_unchanged": self.unchanged, "errors": len(self.report),
                "area_code": self.area_code}

    def summary(self) -> str:
        if self.report:
            return errors_message(len(self.report))
        counts = {"rows": self.rows, "c": self.created, "u": self.updated, "n": self.unchanged}
        if self.dry_run:
            return ngettext(
                "Dry run: nothing was written. %(rows)s row checked. Income ledgers: %(c)s to be created, "
                "%(u)s to be updated, %(n)s unchanged.",
                "Dry run: nothing was written. %(rows)s rows checked. Income ledgers: %(c)s to be created, "
                "%(u)s to be updated, %(n)s unchanged.", self.rows) % counts
        return ngettext(
            "%(rows)s row imported. Income ledgers: %(c)s created, %(u)s updated, %(n)s unchanged.",
            "%(rows)s rows imported. Income ledgers: %(c)s created, %(u)s updated, %(n)s unchanged.",
            self.rows) % counts


CENTS_LIMIT = int(money.LIMIT * 100)  # an amount, and the total of the items, stay below it (the columns' size)


def _year(text: str) -> int:
    """A 年度 cell's year of the work (ValueError with the reason)."""
    if text == "":
        raise ValueError(_("required, but empty"))
    if not (text.isascii() and text.isdecimal()):
        raise ValueError(_("not a year"))
    try:
        return check_work_year(int(text), label=YEAR)
    except Invalid as exc:
        raise ValueError(str(exc.message)) from None


class _RowParser:
    """One file row as one staging row: (row_no, number, year, cents of each amount, note, bad).
    A bad cell is reported and staged as NULL; the row is marked bad."""

    def __init__(self, headers: list[str], report: ErrorReport):
        self.report = report
        self.has_note = NOTE in headers
        # cell text -> cents (amounts repeat: 0, round sums), -> year (ValueError with the reason)
        self.cents = _Memo(lambda text: int(money.parse_amount(text) * 100))
        self.years = _Memo(_year)

    def __call__(self, row_no: int, row: dict[str, str]) -> tuple:
        report, bad = self.report, False
        number = row[NUMBER] or None
        if number is None:
            report.add(row_no, NUMBER, "", _("required, but empty"))
            bad = True
        try:
            year = self.years[row[YEAR]]
        except ValueError as exc:
            report.add(row_no, YEAR, row[YEAR], str(exc))
            year, bad = None, True
        cents: list[int | None] = []
        for header in AMOUNT_HEADERS:
            try:
                cents.append(self.cents[row[header]])
            except ValueError as exc:
                report.add(row_no, header, row[header], str(exc))
                cents.append(None)
                bad = True
        items = cents[:-1]
        if None not in items and sum(items) >= CENTS_LIMIT:
            report.add(row_no, str(Income._meta.get_field("total_income").verbose_name),
                       str(Decimal(sum(items)).scaleb(-2)), _("The amount is too large."))
            bad = True
        note = None
        if self.has_note:
            note = row[NOTE]
            if len(note) > NOTE_LENGTH:
                report.add(row_no, NOTE, note, _("longer than %(n)s characters") % {"n": NOTE_LENGTH})
                note, bad = None, True
        return (row_no, number, year, *cents, note, 1 if bad else 0)


_AMOUNT_COLS = [f"a{i}" for i in range(len(AMOUNTS))]
_OUT_TYPES = {"area_code": "text", "household_size": "integer", "note": "text"}  # (the others: amounts)
_STAGE_COLS = ["row_no", "number", "year", *_AMOUNT_COLS, "note", "bad"]


def _create(db: _Db) -> None:
    """The staging tables of one import (TEMP: this connection's own): the file's rows, and the
    ledgers to write (created or changed, with what save_income would store)."""
    amounts = ", ".join(f"{c} bigint" for c in _AMOUNT_COLS)
    db.run("CREATE TEMP TABLE {stage} (row_no integer PRIMARY KEY, number text, year integer, "
           + amounts + ", note text, bad smallint NOT NULL, hh_id bigint, area_code text, size integer)")
    db.run("CREATE TEMP TABLE {out} (hh_id bigint NOT NULL, year integer NOT NULL, change text NOT NULL, "
           + ", ".join(f"{f} {_OUT_TYPES.get(f, 'numeric(14,2)')}" for f in COMPARED) + ")")


def import_income(actor: Actor, path: str | Path, *, dry_run: bool = False,
                  progress: ProgressFn | None = None) -> IncomeImportResult:
    """Import an income file; all or nothing. Raises Invalid when the file cannot be read at
    all (its type, a missing column, no rows); otherwise returns the result, whose report lists
    every bad row (and then nothing was written). Needs registry.import where the households are."""
    path = Path(path)
    report = ErrorReport()
    result = IncomeImportResult(report=report, dry_run=dry_run)
    table, total, notify = _begin(actor, path, REQUIRED_HEADERS, progress)
    parser = _RowParser(table.headers, report)
    lap = laps(result)

    stage = _Db(connection.cursor(), uuid.uuid4().hex[:12], tables=("stage", "out"), prefix="fp_income",
                unlogged=False)
    try:
        _create(stage)
        staged = 0
        rows = (parser(number, row) for number, row in table.rows)
        # (not _Db.load: each batch is read before it is written, so no COPY is opened for nothing)
        while batch := list(itertools.islice(rows, BATCH_ROWS if stage.pg else SQLITE_BATCH)):
            staged += stage.write("stage", _STAGE_COLS, batch)
            notify(staged, max(total, staged), _("Reading the file"))
        result.rows = staged
        if staged == 0:
            raise Invalid(_("The file has no data rows."))
        lap("read")
        notify(staged, staged, _("Checking across rows and against the registry"))
        try:
            with transaction.atomic():
                _check(stage, actor, report)
                lap("check")
                if report:
                    raise _Rollback
                _write(stage, actor, result, path.name, notify)
                lap("write")
                if dry_run:
                    raise _Rollback
        except _Rollback:
            pass
    finally:
        stage.close()
    _sort_report(report, HEADERS)
    return result


def _check(stage: _Db, actor: Actor, report: ErrorReport) -> None:
    """The checks across rows and against the registry (set-based), each bad row reported."""
    def room() -> int:
        return max(report.limit - len(report), 0) + 1

    inside, params = _scope_condition(actor, "h.area_code") or ("1 = 1", [])
    # each row's household: by its number, inside the importer's area only
    stage.run("UPDATE {stage} SET hh_id = h.id, area_code = h.area_code FROM {hh} h "
              "WHERE h.number = {stage}.number AND {inside}", params, inside=inside)
    # the households' active members, counted in one aggregate
    stage.run("UPDATE {stage} SET size = c.n FROM (SELECT m.household_id AS hid, COUNT(*) AS n FROM {mem} m "
              "WHERE m.active = %s AND m.household_id IN (SELECT hh_id FROM {stage} WHERE hh_id IS NOT NULL) "
              "GROUP BY m.household_id) c WHERE {stage}.hh_id = c.hid", [True])
    for row, number in stage.rows("SELECT row_no, number FROM {stage} WHERE number IS NOT NULL AND hh_id IS NULL "
                                  "ORDER BY row_no LIMIT %s", [room()]):
        report.add(row, NUMBER, number, _("no household with this number in your area"))
    for row, number in stage.rows("SELECT row_no, number FROM {stage} WHERE hh_id IS NOT NULL AND size IS NULL "
                                  "ORDER BY row_no LIMIT %s", [room()]):
        report.add(row, NUMBER, number, _("The household has no active members."))
    same: dict[tuple[str, int], list[int]] = {}
    for row, number, year in stage.rows(
            "SELECT s.row_no, s.number, s.year FROM {stage} s JOIN (SELECT number, year FROM {stage} "
            "WHERE number IS NOT NULL AND year IS NOT NULL GROUP BY number, year HAVING COUNT(*) > 1) d "
            "ON d.number = s.number AND d.year = s.year ORDER BY s.number, s.year, s.row_no LIMIT %s", [room()]):
        same.setdefault((number, year), []).append(row)
    for (number, year), numbers in same.items():
        for row in numbers:
            others = [n for n in numbers if n != row]
            report.add(row, NUMBER, number, ngettext(
                "the income of %(year)s of this household is also on row %(rows)s",
                "the income of %(year)s of this household is also on rows %(rows)s",
                len(others)) % {"year": year, "rows": "、".join(map(str, others))})


_STORED_DECIMALS = [*INCOME_FIELDS, "total_income", "net_income", "per_capita"]


def _stored(field: str, value):
    """A stored income's value read back by raw SQL, in the type the model gives (SQLite hands
    back floats and whole numbers for decimals)."""
    if value is None or field not in _STORED_DECIMALS:
        return value
    return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(money.CENT)


def _write(stage: _Db, actor: Actor, result: IncomeImportResult, filename: str, notify: ProgressFn) -> None:
    """Compute every row, a chunk of rows at a time, each with the income stored for its
    household and year (one join); stage the ledgers that change, then (not on a dry run) write
    them with one INSERT … ON CONFLICT (household, year) DO UPDATE and audit them."""
    select = ", ".join([*[f"s.{c}" for c in ["row_no", "hh_id", "number", "year", *_AMOUNT_COLS, "note", "size",
                                             "area_code"]], "i.id", *[f"i.{f}" for f in COMPARED]])
    n_amounts = len(AMOUNTS)
    last, done = 0, 0
    low = high = None
    out_cols = ["hh_id", "year", "change", *COMPARED]
    while True:
        chunk = stage.rows("SELECT {select} FROM {stage} s LEFT JOIN {income} i ON i.household_id = s.hh_id "
                           "AND i.year = s.year WHERE s.row_no > %s ORDER BY s.row_no LIMIT %s",
                           [last, CHUNK], select=select)
        if not chunk:
            break
        last = chunk[-1][0]
        out, changes = [], []
        for r in chunk:
            hh_id, number, year = r[1], r[2], r[3]
            amounts = tuple(Decimal(c).scaleb(-2) for c in r[4:4 + n_amounts])
            note, size, area_code, income_id = r[4 + n_amounts:8 + n_amounts]
            old = None
            if income_id is not None:
                old = {f: _stored(f, v) for f, v in zip(COMPARED, r[8 + n_amounts:], strict=True)}
                if note is None:
                    note = old["note"]  # (no 备注 column: the stored note stays)
                if note == old["note"] and amounts == tuple(old[f] for f in INCOME_FIELDS):
                    result.unchanged += 1  # the same ledger: left as it is
                    continue
            values = dict(zip(INCOME_FIELDS, amounts, strict=True))
            row = {**values, "area_code": area_code, **income_figures(values, size), "note": note or ""}
            low = area_code if low is None or area_code < low else low
            high = area_code if high is None or area_code > high else high
            if old is None:
                result.created += 1
            else:
                result.updated += 1
                before = {f: old[f] for f in COMPARED if old[f] != row[f]}
                changes.append({"object_type": OBJECT_TYPE, "object_id": income_id, "object_repr": f"{number} {year}",
                                "area_code": area_code, "before": before, "after": {f: row[f] for f in before}})
            out.append((hh_id, year, "created" if old is None else "updated", *[row[f] for f in COMPARED]))
        done += len(chunk)
        if not result.dry_run:
            if out:
                stage.write("out", out_cols, out)
            audit.record_many(actor, CHANGE, iter(changes))
        notify(done, result.rows, _("Checking across rows and against the registry"))
    result.area_code = _common_area(low or "", high or "")
    if result.dry_run or not (result.created or result.updated):
        return
    notify(done, result.rows, _("Writing"))
    # (WHERE TRUE: SQLite's parser would read ON CONFLICT as the join's ON without it)
    stage.run("INSERT INTO {income} (household_id, year, {cols}, updated_at) SELECT hh_id, year, {cols}, %s "
              "FROM {out} WHERE TRUE ON CONFLICT (household_id, year) DO UPDATE SET {sets}",
              [clock.now()], cols=", ".join(COMPARED),
              sets=", ".join(f"{f} = excluded.{f}" for f in [*COMPARED, "updated_at"]))
    event = audit.record(actor, IMPORT, kind="bulk", object_type=OBJECT_TYPE, area_code=result.area_code,
                         count=result.created + result.updated,
                         after={k: v for k, v in result.as_dict().items() if k not in ("dry_run", "errors")},
                         note=filename)
    audit.record_items_select(event, stage.sql(
        "SELECT i.id AS object_id, o.change FROM {out} o JOIN {income} i ON i.household_id = o.hh_id "
        "AND i.year = o.year"))


# --- the export ---------------------------------------------------------------------------------

def _amount_text(value) -> str:
    value = Decimal(value)
    return "0" if value == 0 else format(value.normalize(), "f")


def _amount_number(value) -> int | float:
    """An amount as an Excel number cell (read back by the import as the same amount)."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def export_rows(scope: Scope, year: int | None = None, *, numbers: bool = False) -> Iterator[list]:
    """The rows of every income in ``scope`` (of ``year``, if given), household by household and
    year by year, streamed from the database. ``numbers``: amounts as numbers (for Excel)."""
    qs = scope.filter(Income.objects.all())
    if year is not None:
        qs = qs.filter(year=year)
    fmt = _amount_number if numbers else _amount_text
    for number, y, *rest in (qs.order_by("area_code", "household__number", "year")
                             .values_list("household__number", "year", *INCOME_FIELDS, "note")
                             .iterator(chunk_size=5000)):
        yield [number, y, *[fmt(v) for v in rest[:-1]], rest[-1]]


def count_rows(scope: Scope, year: int | None = None) -> int:
    qs = scope.filter(Income.objects.all())
    return (qs.filter(year=year) if year is not None else qs).count()


def export_income(actor: Actor, area_code: str, target: str | Path, *, year: int | None = None,
                  progress=None) -> int:
    """Write the incomes of the area (of ``year``, if given) to ``target`` (.xlsx or .csv by its
    suffix: exporters.write_export). Needs registry.export at the area; the export of personal
    data is logged. Returns the rows written. ``progress``: the job's (rows written so far)."""
    area = area_to_export(actor, area_code)
    if year is not None:
        year = check_work_year(year)
    return write_export(
        actor, area, target, HEADERS, sheet_name=DATA_SHEET, action=EXPORT, progress=progress,
        rows=lambda scope, xlsx: export_rows(scope, year, numbers=xlsx), count=lambda scope: count_rows(scope, year),
        too_many=_("The area has more income ledgers than an Excel sheet can hold; export it as .csv."),
        note=None if year is None else f"{Path(target).name} ({year})")
