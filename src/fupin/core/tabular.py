"""Reading and writing tables (CSV and Excel) for every import and export.

Reading streams rows: memory stays flat whatever the file size. python-calamine
returns whole numbers as floats and midnight datetimes as dates; ``normalise``
turns every cell into the text a person typed (``3.0`` -> ``"3"``), so importers
see one shape whatever the file type. CSV files may be UTF-8 (with or without
BOM) or GB18030/GBK, as Chinese office software writes them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from .errors import Invalid

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}


def normalise(value) -> str:
    """One cell as text: integral floats without ``.0``, dates as YYYY-MM-DD, trimmed."""
    if type(value) is str:  # every CSV cell, most Excel cells: the fast path
        return value.strip().replace("\u3000", " ").strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).strip().replace("\u3000", " ").strip()


def _detect_encoding(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # a character cut at the end of the sample
            return "utf-8"
        return "gb18030"


@dataclass
class Table:
    """Rows of a file as (row number, {header: text}). Row numbers are those a
    person sees in Excel: the header is row 1, the first data row is row 2."""

    headers: list[str]
    rows: Iterator[tuple[int, dict[str, str]]]


def read_table(path: str | Path, *, sheet: str | int = 0) -> Table:
    path = Path(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return _read_excel(path, sheet)
    if path.suffix.lower() in {".csv", ".txt"}:
        return _read_csv(path)
    raise Invalid(_("Unsupported file type “%(suffix)s”: use .xlsx or .csv.") % {"suffix": path.suffix})


def _rows_from(header_row: Sequence, it, start: int) -> Table:
    headers = [normalise(h) for h in header_row]
    while headers and headers[-1] == "":
        headers.pop()
    width = len(headers)

    def gen():
        for number, raw in enumerate(it, start=start):
            cells = [v.strip().replace("\u3000", " ").strip() if type(v) is str else normalise(v)
                     for v in list(raw)[:width]]  # normalise(), inlined for the common case
            if not any(cells):
                continue
            cells += [""] * (width - len(cells))
            yield number, dict(zip(headers, cells, strict=True))

    return Table(headers=headers, rows=gen())


def _read_excel(path: Path, sheet: str | int) -> Table:
    try:
        wb = CalamineWorkbook.from_path(str(path))
        ws = wb.get_sheet_by_index(sheet) if isinstance(sheet, int) else wb.get_sheet_by_name(sheet)
    except Exception as exc:  # calamine raises several types for unreadable files
        raise Invalid(_("The file cannot be read as Excel: %(error)s") % {"error": exc}) from None
    it = iter(ws.iter_rows())
    header = next(it, None)
    if header is None:
        raise Invalid(_("The file is empty."))
    return _rows_from(header, it, start=2)


def _read_csv(path: Path) -> Table:
    fh = path.open("r", encoding=_detect_encoding(path), newline="")
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        raise Invalid(_("The file is empty.")) from None
    except UnicodeDecodeError:
        raise Invalid(_("The file is neither UTF-8 nor GB18030 text.")) from None
    return _rows_from(header, reader, start=2)


def require_headers(table: Table, required: Sequence[str]) -> None:
    missing = [h for h in required if h not in table.headers]
    if missing:
        raise Invalid(_("Missing columns: %(columns)s") % {"columns": "、".join(missing)})


@dataclass
class RowError:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class ErrorReport:
    """What an import found wrong, row by row. Written as an Excel file for the user."""

    errors: list[RowError] = field(default_factory=list)
    limit: int = 100_000  # errors kept for the file; past it they are only counted
    total: int = 0  # every error added, kept or not
    bad_rows: set[int] = field(default_factory=set)  # the rows (≥ 1) with an error, kept or not

    def add(self, row: int, column: str, value, reason: str) -> None:
        self.total += 1
        if row:
            self.bad_rows.add(row)
        if len(self.errors) < self.limit:
            self.errors.append(RowError(row, column, normalise(value), str(reason)))

    def clear(self) -> None:
        """Forget everything found (a file read again from the start)."""
        self.errors.clear()
        self.total = 0
        self.bad_rows.clear()

    @property
    def rows(self) -> int:
        """How many rows of the file have an error (row 0 is the file as a whole)."""
        return len(self.bad_rows | {e.row for e in self.errors if e.row})

    def __bool__(self):
        return bool(self.errors)

    def __len__(self):
        """How many errors were found, also those past ``limit`` (not in the report's file)."""
        return max(self.total, len(self.errors))

    def summary(self, n: int = 5) -> str:
        lines = [_("Row %(row)s, column %(column)s, value “%(value)s”: %(reason)s")
                 % {"row": e.row, "column": e.column, "value": e.value, "reason": e.reason}
                 for e in self.errors[:n]]
        if len(self) > n:
            lines.append(_("… and %(n)s more") % {"n": len(self) - n})
        return "\n".join(lines)

    def write_xlsx(self, target) -> None:
        write_xlsx(
            target,
            [_("Row"), _("Column"), _("Value"), _("Reason")],
            ([e.row, e.column, e.value, e.reason] for e in self.errors),
            sheet_name=_("Errors"),
        )


def write_xlsx(target, headers: Sequence[str], rows, *, sheet_name: str = "Sheet1", extra_sheets=None) -> None:
    """Stream rows into an .xlsx file (constant memory). ``target`` is a path or a binary file."""
    wb = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    ws = wb.add_worksheet(sheet_name[:31])
    for col, h in enumerate(headers):
        ws.write_string(0, col, str(h), bold)
        ws.set_column(col, col, max(10, min(40, len(str(h)) * 2 + 2)))
    _write_rows(ws, rows)
    for name, (sheet_headers, sheet_rows) in (extra_sheets or {}).items():
        extra = wb.add_worksheet(name[:31])
        for col, h in enumerate(sheet_headers):
            extra.write_string(0, col, str(h), bold)
            extra.set_column(col, col, 24)
        _write_rows(extra, sheet_rows)
    wb.close()


def _write_rows(ws, rows) -> None:
    """Data rows from the second row on, on every sheet alike: numbers (int, float) as numbers,
    anything else as its text, an empty value as an empty cell."""
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(r, col, value)
            else:
                ws.write_string(r, col, str(value))


def write_csv(target, headers: Sequence[str], rows) -> None:
    """UTF-8 with BOM, so Excel on Chinese Windows opens it correctly."""
    own = isinstance(target, str | Path)
    fh = open(target, "w", encoding="utf-8-sig", newline="") if own else io.TextIOWrapper(
        target, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(rows)
    finally:
        if own:
            fh.close()
        else:
            fh.flush()
            fh.detach()
