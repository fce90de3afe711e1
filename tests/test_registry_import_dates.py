"""Date cells of the registry import are read by core.dates.cell_date and by nothing else: a
date, optionally followed by a time of day. A cell that begins with an ISO date but goes on
with anything else (2014-10-015, 2014-10-01abc) is refused with the row, the column and the
reason, on the Python path (SQLite, and every row the SQL is unsure of) and on the PostgreSQL
fast path alike — the same report and the same rows. The fast path reads ISO dates and ISO
date-times in SQL (no Python work for them). The import's summary is one message of whole
sentences."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from fupin.core import dates
from fupin.core.tabular import ErrorReport
from fupin.registry import exchange, importers
from fupin.registry.importers import ImportResult, import_registry
from fupin.registry.models import Household
from tests.conftest import SYSTEM
from tests.test_registry_exchange import _both_ways, good_rows, make_id, row, write_csv

pytestmark = pytest.mark.usefixtures("english")

DATE = exchange.BY_HEADER["状态日期"]
NOT_A_DATE = "not a date (write it as YYYY-MM-DD)"

# A cell core.dates.cell_date accepts, and the day it names (each a different day, so that a row
# read as another's day shows). The first ones SQL reads; the others it leaves to Python.
GOOD = {
    "2014-10-01": dt.date(2014, 10, 1),
    "2014-10-02 08:30": dt.date(2014, 10, 2),
    "2014-10-03 08:30:00": dt.date(2014, 10, 3),
    "2014-10-04T08:30:00.5": dt.date(2014, 10, 4),
    "2014-10-05  8:30": dt.date(2014, 10, 5),
    "2014-10-06 00:00:00.000000": dt.date(2014, 10, 6),
    "2014-10-07\t08:30": dt.date(2014, 10, 7),  # (a tab: Python's \s, not the SQL's spaces)
    "2014/10/8 08:30": dt.date(2014, 10, 8),
    "2014年10月9日": dt.date(2014, 10, 9),
    "20141010": dt.date(2014, 10, 10),
    "２０１４-１０-１１ ０８:３０": dt.date(2014, 10, 11),  # full-width digits
}
# Cells that begin with an ISO date but are not a date with a time of day.
BAD = ["2014-10-015", "2014-10-01abc", "2014-10-01（补录）", "2014-10-01 08", "2014-10-01 8:3", "2014-10-01T",
       "2014-10-01 08:30x", "2014-10-0108:30", "2014-10-01 08:30 下午", "2014-10-01T08:30:00Z", "2014-10-011"]


@pytest.mark.parametrize("text", GOOD)
def test_a_date_cell_is_what_cell_date_reads(text):
    assert exchange.parse_cell(DATE, text) == dates.cell_date(text) == GOOD[text]


@pytest.mark.parametrize("text", BAD)
def test_a_cell_that_only_begins_with_a_date_is_refused(text):
    with pytest.raises(ValueError) as cell:
        exchange.parse_cell(DATE, text)
    with pytest.raises(ValueError) as core:
        dates.cell_date(text)
    assert str(cell.value) == str(core.value) == NOT_A_DATE


def _household(number: str, seq: int, status_date: str, **member) -> dict:
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=seq)
    return row(number, {"状态日期": status_date}, 姓名="某", 证件号码=make_id(birth, 2 * seq + 1), **member)


def _rows(cells) -> list[dict]:
    return [_household(f"QD{i:02d}", i, cell) for i, cell in enumerate(cells, start=1)]


def test_good_date_cells_give_the_same_rows_on_both_paths(two_counties, tmp_path, monkeypatch):
    """Every spelling cell_date reads, in a household column and in a member column (出生日期,
    which must agree with the ID number's date): the fast path writes what the Python path
    writes, and the day each cell names."""
    rows = [*good_rows(), *_rows(GOOD)]
    rows.append(_household("QD90", 90, "2014-10-01", 出生日期=f"{dt.date(1960, 1, 1) + dt.timedelta(days=90)} 00:00:00"))
    rows.append(_household("QD91", 91, "2014-10-01", 出生日期=f"{dt.date(1960, 1, 1) + dt.timedelta(days=91)}T12:00"))
    results = _both_ways(write_csv(tmp_path / "dates.csv", rows), monkeypatch)
    assert results[True][0] == [] == results[False][0], results[False][0][:5]
    assert results[True][:4] == results[False][:4]
    status_date = exchange.HOUSEHOLD_COLUMNS.index(DATE)
    written = {h[0]: h[status_date] for h in results[True][1]}
    assert {f"QD{i:02d}": day for i, day in enumerate(GOOD.values(), start=1)}.items() <= written.items()
    assert results[True][3]["members_created"] == len(rows)


def test_bad_date_cells_give_the_same_report_on_both_paths(two_counties, tmp_path, monkeypatch):
    """Each bad cell is named (row, column, value, reason) — the same report on both paths — and
    nothing is written; the good rows around them are not reported."""
    cells = [*BAD, "2014-10-01"]
    rows = [*good_rows(), *_rows(cells)]
    member = _household("QD80", 80, "2014-10-01", 出生日期=f"{dt.date(1960, 1, 1) + dt.timedelta(days=80)}x")
    rows.append(member)
    results = _both_ways(write_csv(tmp_path / "bad.csv", rows), monkeypatch)
    assert results[True][0] == results[False][0]
    first = len(good_rows()) + 2  # (row 1 is the header)
    expected = [(first + i, "状态日期", cell, NOT_A_DATE) for i, cell in enumerate(BAD)]
    expected.append((first + len(cells), "出生日期", member["出生日期"], NOT_A_DATE))
    assert results[False][0] == expected
    assert results[True][1] == [] and not Household.objects.exists()


def test_the_fast_path_reads_iso_dates_and_date_times_in_sql(two_counties, tmp_path, monkeypatch):
    """The fast path stays fast: no row whose dates are ISO dates, with or without a time of day,
    is parsed again in Python."""
    if connection.vendor != "postgresql":
        pytest.skip("the fast path is PostgreSQL's")
    parsed = []
    python_row = importers._RowParser.__call__

    def counting(self, number, cells):
        parsed.append(number)
        return python_row(self, number, cells)

    monkeypatch.setattr(importers._RowParser, "__call__", counting)
    monkeypatch.setattr(importers, "FAST_PATH", True)
    sql_cells = [c for c in GOOD if c.isascii() and "\t" not in c and c[:10].count("-") == 2 and len(c) >= 10]
    assert len(sql_cells) == 6
    result = import_registry(SYSTEM, write_csv(tmp_path / "iso.csv", _rows(sql_cells)), dry_run=True)
    assert result.ok and result.rows == len(sql_cells)
    assert parsed == []
    # … and a row in another spelling is the Python path's
    result = import_registry(SYSTEM, write_csv(tmp_path / "slash.csv", _rows(["2014/10/8 08:30"])), dry_run=True)
    assert result.ok and parsed == [2]


# --- the summary ------------------------------------------------------------------------------------

def _result(n: int, **extra) -> ImportResult:
    return ImportResult(ErrorReport(), rows=n, households_created=n, households_updated=1, households_unchanged=2,
                        members_created=n, members_updated=3, status_changes=n, **extra)


def test_the_summary_is_one_message_of_whole_sentences():
    assert _result(1).summary() == ("1 row imported. Households: 1 created, 1 updated, 2 unchanged. "
                                    "Members: 1 created, 3 updated. Status changes recorded: 1.")
    assert _result(5).summary() == ("5 rows imported. Households: 5 created, 1 updated, 2 unchanged. "
                                    "Members: 5 created, 3 updated. Status changes recorded: 5.")
    assert _result(1, dry_run=True).summary() == (
        "Dry run: nothing was written. 1 row checked. Households: 1 to be created, 1 to be updated, 2 unchanged. "
        "Members: 1 to be created, 3 to be updated. Status changes to be recorded: 1.")
    assert _result(5, dry_run=True).summary() == (
        "Dry run: nothing was written. 5 rows checked. Households: 5 to be created, 1 to be updated, 2 unchanged. "
        "Members: 5 to be created, 3 to be updated. Status changes to be recorded: 5.")


def test_the_summary_is_translated_as_one_message(monkeypatch):
    """A translator sees the whole summary, not pieces glued together: one catalogue lookup."""
    looked_up = []

    def ngettext(singular, plural, n):
        looked_up.append(singular)
        return singular if n == 1 else plural

    monkeypatch.setattr(importers, "ngettext", ngettext)
    for dry_run in (False, True):
        looked_up.clear()
        text = _result(2, dry_run=dry_run).summary()
        assert len(looked_up) == 1 and all(f"%({k})s" in looked_up[0] for k in ("rows", "hc", "hu", "hn", "mc", "mu",
                                                                                 "sc"))
        assert text.endswith(".") and "%(" not in text
