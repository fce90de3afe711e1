"""Import of another department's data set (vehicles, real estate, 民政 低保 list …):
all or nothing, with an error report naming every bad row, column, value and reason.

1. The file is streamed (core.tabular.read_table). Every cell is parsed in Python
   against its kind's column definition (data/kinds.json; the ID number with
   registry.rules.parse_id_number) — no queries. Each row whose ID number is sound is
   written straight into ``ExternalRecord`` under the new data set, inside one
   transaction: ``COPY`` on PostgreSQL, ``executemany`` batches on SQLite.
2. Checks across rows, in SQL over the data set's records: the same row twice (same
   ID number and identifying columns), area codes that name no current area or lie
   outside the data set's area.
3. Any error (or a dry run) rolls the whole transaction back: the data set and its
   records never existed. Otherwise one audit event records the import with its counts.

Matching the records with the registry is a separate, set-based step (matching.py),
which the import job runs right after a successful import.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Invalid
from fupin.core.tabular import EXCEL_SUFFIXES, ErrorReport, read_table, require_headers

from . import actions, rules
from .models import ExternalDataset, ExternalRecord

BATCH_ROWS = 20_000  # rows per COPY / progress report
SQLITE_BATCH = 2_000
CACHE_LIMIT = 50_000
ANALYZE_ROWS = 10_000  # a bigger import refreshes the planner's statistics of the records table
COLUMNS = ["dataset_id", "row_no", "id_number", "name", "key", "area_code", "event_date", "amount", "data"]

ProgressFn = Callable[[int, int, str], None]
_json = json.JSONEncoder(ensure_ascii=False).encode  # one encoder for every row (json.dumps makes one per call)


@dataclass
class ImportResult:
    report: ErrorReport
    kind: str = ""
    rows: int = 0
    dry_run: bool = False
    dataset: ExternalDataset | None = None
    ignored_headers: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.report

    def as_dict(self) -> dict:
        return {"kind": self.kind, "rows": self.rows, "dry_run": self.dry_run, "errors": len(self.report),
                "dataset": self.dataset.pk if self.dataset else None, "ignored_headers": self.ignored_headers}

    def summary(self) -> str:
        if self.report:
            return _("%(n)s errors; nothing was imported.") % {"n": len(self.report)}
        if self.dry_run:
            return _("%(rows)s rows checked, no errors. Dry run: nothing was written.") % {"rows": self.rows}
        return _("%(rows)s records imported.") % {"rows": self.rows}


class _Rollback(Exception):
    pass


class _Memo(dict):
    def __init__(self, parse):
        super().__init__()
        self.parse = parse

    def __missing__(self, text):
        value = self.parse(text)
        if len(self) < CACHE_LIMIT:
            self[text] = value
        return value


class _RowParser:
    """One file row -> one record tuple (``COLUMNS`` order), or None when its ID number is bad."""

    def __init__(self, kind: rules.Kind, headers: list[str], report: ErrorReport, dataset_id: int, pg: bool):
        self.kind, self.report, self.dataset_id, self.pg = kind, report, dataset_id, pg
        today = clock.today()
        present = set(headers)
        self.columns = [c for c in kind.columns if c.header in present]
        self.parsers = []
        for col in self.columns:
            parse = rules.cell_parser(col, today)
            if col.type in ("date", "decimal", "area_code", "int"):  # values that repeat: parsed once each
                parse = _Memo(parse).__getitem__
            self.parsers.append((col.header, col.field, parse))
        fields = {c.field for c in self.columns}
        self.extra = [(c.field, c.type == "date") for c in kind.extra_columns if c.field in fields]
        self.key_fields = [f for f in kind.unique if f != "id_number"]

    def __call__(self, number: int, row: dict[str, str]) -> tuple | None:
        values: dict[str, object] = {}
        for header, name, parse in self.parsers:
            text = row[header]
            try:
                values[name] = parse(text)
            except ValueError as exc:
                self.report.add(number, header, text, str(exc))
                values[name] = None
        id_number = values["id_number"]
        if id_number is None:  # a bad ID number: nothing to check this row against
            return None
        data = {name: (value.isoformat() if is_date else str(value)) for name, is_date in self.extra
                if (value := values[name]) is not None}
        key = " | ".join(str(values.get(f) or "") for f in self.key_fields)[:300] if self.key_fields else ""
        event, amount = values.get("event_date"), values.get("amount")
        if not self.pg:
            event = event.isoformat() if event else None
            amount = str(amount) if amount is not None else None
        return (self.dataset_id, number, id_number, values.get("name") or "", key, values.get("area_code") or "",
                event, amount, _json(data))


def _count_rows(path: Path) -> int:
    """An estimate of the data rows, for the progress bar."""
    if path.suffix.lower() in EXCEL_SUFFIXES:
        try:
            from python_calamine import CalamineWorkbook

            # height: the rows of the used range (total_height is the last row's index, one less)
            return max(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).height - 1, 0)
        except Exception:  # only an estimate
            return 0
    lines = 0
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            lines += block.count(b"\n")
    return max(lines - 1, 0)


def _write(cursor, rows, on_batch: Callable[[int], None]) -> int:
    table = connection.ops.quote_name(ExternalRecord._meta.db_table)
    cols = ", ".join(COLUMNS)
    total = 0
    while True:
        batch = itertools.islice(rows, BATCH_ROWS)
        n = 0
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
                    n += 1
        else:
            sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"  # noqa: S608
            while chunk := list(itertools.islice(batch, SQLITE_BATCH)):
                cursor.executemany(sql, chunk)
                n += len(chunk)
        if n == 0:
            return total
        total += n
        on_batch(total)


def import_dataset(actor: Actor, path: str | Path, *, kind: str, source: str, as_of, area_code: str = "",
                   name: str = "", file_name: str = "", job=None, dry_run: bool = False,
                   progress: ProgressFn | None = None) -> ImportResult:
    """Import a file of one kind; all or nothing. Raises Invalid when the request or the
    file cannot be used at all (kind, source, date, area, file type, missing columns);
    otherwise returns the result, whose report lists every bad row (then nothing was
    written)."""
    path = Path(path)
    k, source, as_of, area_code = actions.check_import(actor, kind=kind, source=source, as_of=as_of,
                                                       area_code=area_code)
    report = ErrorReport()
    result = ImportResult(report=report, kind=k.code, dry_run=dry_run)
    table = read_table(path)
    require_headers(table, k.required_headers)
    result.ignored_headers = [h for h in table.headers if h and h not in k.headers]
    total = _count_rows(path)
    notify = progress or (lambda done, total, message: None)
    notify(0, total, _("Reading the file"))
    pg = connection.vendor == "postgresql"
    mark = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            ds = ExternalDataset.objects.create(
                kind=k.code, name=(name.strip() or f"{k.zh} {as_of.isoformat()}")[:200], source=source[:300],
                as_of=as_of, area_code=area_code, file_name=(file_name or path.name)[:200], job=job,
                created_by=actor.user)
            parser = _RowParser(k, table.headers, report, ds.pk, pg)
            counted = [0]

            def rows():
                for number, row in table.rows:
                    counted[0] += 1
                    record = parser(number, row)
                    if record is not None:
                        yield record

            _write(cursor, rows(), lambda done: notify(done, max(total, done), _("Reading the file")))
            result.rows = counted[0]
            result.timings["read"] = round(time.perf_counter() - mark, 2)
            if result.rows == 0:
                raise Invalid(_("The file has no data rows."))
            notify(result.rows, result.rows, _("Checking across rows"))
            _Checks(cursor, ds, k, report).run()
            result.timings["check"] = round(time.perf_counter() - mark - result.timings["read"], 2)
            if report or dry_run:
                raise _Rollback
            ds.record_count = result.rows
            ds.save(update_fields=["record_count"])
            if pg and result.rows >= ANALYZE_ROWS:
                # fresh statistics, so that the matching right after chooses a hash join
                cursor.execute(f"ANALYZE {connection.ops.quote_name(ExternalRecord._meta.db_table)}")
            audit.record(actor, "comparison.dataset.import", obj=ds, kind="bulk", count=result.rows,
                         area_code=area_code,
                         after={"kind": k.code, "source": source, "as_of": as_of, "area_code": area_code,
                                "records": result.rows, "file": ds.file_name},
                         note=ds.file_name)
            result.dataset = ds
    except _Rollback:
        result.dataset = None
        # the progress reported inside the transaction went with it: the rows read, again
        notify(result.rows, result.rows, _("Checking across rows"))
    report.errors.sort(key=lambda e: (e.row, k.headers.index(e.column) if e.column in k.headers else 99))
    return result


class _Checks:
    """Checks across the rows of the new data set, in SQL."""

    def __init__(self, cursor, ds: ExternalDataset, kind: rules.Kind, report: ErrorReport):
        self.cursor, self.ds, self.kind, self.report = cursor, ds, kind, report
        self.rec = connection.ops.quote_name(ExternalRecord._meta.db_table)
        self.area = connection.ops.quote_name(Area._meta.db_table)

    @property
    def room(self) -> int:
        return max(self.report.limit - len(self.report), 0) + 1

    def rows(self, sql: str, params: list) -> list[tuple]:
        self.cursor.execute(sql.format(rec=self.rec, area=self.area), params)
        return self.cursor.fetchall()

    def run(self) -> None:
        self.duplicates()
        self.area_codes()

    def duplicates(self) -> None:
        header = self.kind.column("id_number").header
        labels = [self.kind.column(f).header for f in self.kind.unique if f != "id_number"]
        groups: dict[tuple, list[int]] = {}
        for id_number, key, row in self.rows(
                "SELECT r.id_number, r.key, r.row_no FROM {rec} r JOIN (SELECT id_number, key FROM {rec} "
                "WHERE dataset_id = %s GROUP BY id_number, key HAVING COUNT(*) > 1) d "
                "ON d.id_number = r.id_number AND d.key = r.key WHERE r.dataset_id = %s "
                "ORDER BY r.id_number, r.key, r.row_no LIMIT %s", [self.ds.pk, self.ds.pk, self.room]):
            groups.setdefault((id_number, key), []).append(row)
        for (id_number, key), numbers in groups.items():
            for row in numbers:
                others = "、".join(str(n) for n in numbers if n != row)
                n = len(numbers) - 1
                if labels:
                    reason = ngettext("the same person with the same %(columns)s (%(key)s) is also on row %(rows)s",
                                      "the same person with the same %(columns)s (%(key)s) is also on rows %(rows)s",
                                      n) % {"columns": "、".join(labels), "key": key, "rows": others}
                else:
                    reason = ngettext("the same ID number is also on row %(rows)s",
                                      "the same ID number is also on rows %(rows)s", n) % {"rows": others}
                self.report.add(row, header, id_number, reason)

    def area_codes(self) -> None:
        col = self.kind.column("area_code")
        if col is None:
            return
        for code, row, count in self.rows(
                "SELECT r.area_code, MIN(r.row_no), COUNT(*) FROM {rec} r WHERE r.dataset_id = %s "
                "AND r.area_code <> '' AND NOT EXISTS (SELECT 1 FROM {area} a WHERE a.code = r.area_code "
                "AND a.valid_to IS NULL) GROUP BY r.area_code ORDER BY MIN(r.row_no) LIMIT %s",
                [self.ds.pk, self.room]):
            self.report.add(row, col.header, code, _("no current area has this code (%(n)s rows with it)")
                            % {"n": count})
        prefix = rules.area_prefix(self.ds.area_code)
        if not prefix:
            return
        for code, row, count in self.rows(
                "SELECT r.area_code, MIN(r.row_no), COUNT(*) FROM {rec} r WHERE r.dataset_id = %s "
                "AND r.area_code <> '' AND r.area_code NOT LIKE %s GROUP BY r.area_code ORDER BY MIN(r.row_no) "
                "LIMIT %s", [self.ds.pk, prefix + "%", self.room]):
            self.report.add(row, col.header, code, _("outside the data set's area %(area)s (%(n)s rows with this "
                                                     "code)") % {"area": self.ds.area_code, "n": count})

