"""Dates in the data comparison: cells and the as-of date read by core.dates.parse_date,
with the same messages (row, column, value and reason; the as-of date's field)."""

from __future__ import annotations

import datetime as dt

import pytest
import xlsxwriter
from django.utils import translation

from fupin.comparison import rules
from fupin.comparison.actions import check_import
from fupin.core.errors import Invalid
from tests.conftest import COUNTY_A, SYSTEM
from tests.test_comparison import VEHICLE_HEADERS, X, Y, Z, import_file, table_file

D = dt.date
TODAY = D(2020, 1, 1)
DATE_COLUMN = rules.Column("初次登记日期", "event_date", "date")

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals


def reason(text: str) -> str:
    with pytest.raises(ValueError) as refused:
        rules.parse_cell(DATE_COLUMN, text, today=TODAY)
    return str(refused.value)


@pytest.mark.parametrize("text", ["2015-10-25", "2015/10/25", "2015.10.25", "2015年10月25日", "2015年10月25",
                                  "20151025", "2015-10/25", "２０１５-１０-２５", "２０１５１０２５"])
def test_cells_as_before(text):
    assert rules.parse_cell(DATE_COLUMN, text, today=TODAY) == D(2015, 10, 25)


def test_the_earliest_year_is_the_id_numbers():
    """One floor for every date (1880, the earliest birth date of an ID number), not 1900 here."""
    assert rules.parse_cell(DATE_COLUMN, "1890-05-01", today=TODAY) == D(1890, 5, 1)
    assert reason("1879-12-31") == "a date before 1880 is impossible here"


def test_garbage_gets_a_reason_not_a_python_error():
    """Superscript digits passed str.isdigit() and broke int() (its English message in the report)."""
    assert reason("²⁰¹⁵¹⁰²⁵") == "not a date (write it as YYYY-MM-DD)"
    assert reason("2015-02-30") == "not a real date"
    assert reason("2015-10-25 08:30:00") == "not a date (write it as YYYY-MM-DD)"
    assert reason("2021-01-01") == "a date in the future"


def test_as_of_date():
    for value in ("2016-06-30", "2016年6月30日", " 20160630 ", D(2016, 6, 30), dt.datetime(2016, 6, 30, 10, 0)):
        assert check_import(SYSTEM, kind="vehicle", source="交警大队", as_of=value)[2] == D(2016, 6, 30), value
    with translation.override("zh-hans"):
        for value, message in (("abc", "数据日期：不是日期（请填写 YYYY-MM-DD）"), ("2016-02-30", "数据日期：不是有效日期"),
                               (None, "数据日期：不是日期（请填写 YYYY-MM-DD）")):
            with pytest.raises(Invalid) as refused:
                check_import(SYSTEM, kind="vehicle", source="交警大队", as_of=value)
            assert (refused.value.field, str(refused.value.message)) == ("as_of", message)


def test_an_as_of_datetime_in_the_future_is_refused_not_a_crash():
    """A datetime used to pass as a date and then fail comparing with today (TypeError)."""
    with pytest.raises(Invalid) as refused:
        check_import(SYSTEM, kind="vehicle", source="交警大队", as_of=dt.datetime(2999, 1, 1, 8, 0))
    assert refused.value.field == "as_of"


def excel(path, rows):
    """A vehicle file with the registration date written as an Excel date: rows of
    (person, date or datetime, number format)."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, VEHICLE_HEADERS)
    for row, ((name, idn), when, num_format) in enumerate(rows, start=1):
        sheet.write_row(row, 0, [idn, name, f"赣B{row}", "小型轿车"])
        sheet.write_datetime(row, 4, when, book.add_format({"num_format": num_format}))
        sheet.write_row(row, 5, ["1000", COUNTY_A])
    book.close()
    return path


@pytest.mark.django_db
def test_excel_dates_from_calamine(two_counties, tmp_path):
    """Excel date cells: a date, or a datetime at midnight, is a date; one with a time of day is not."""
    bad = excel(tmp_path / "bad.xlsx", [(X, dt.datetime(2015, 10, 25), "yyyy-mm-dd hh:mm"),
                                        (Y, dt.datetime(2015, 10, 25, 8, 30), "yyyy-mm-dd hh:mm")])
    result = import_file(bad, match=False)
    assert {(e.row, e.column, e.value, e.reason) for e in result.report.errors} == {
        (3, "初次登记日期", "2015-10-25 08:30:00", "not a date (write it as YYYY-MM-DD)")}
    good = excel(tmp_path / "good.xlsx", [(X, dt.datetime(2015, 10, 25), "yyyy-mm-dd hh:mm"),
                                          (Z, D(2015, 10, 24), "yyyy/m/d")])
    result = import_file(good, match=False)
    assert result.ok, result.report.errors
    assert sorted(result.dataset.records.values_list("event_date", flat=True)) == [D(2015, 10, 24), D(2015, 10, 25)]


@pytest.mark.django_db
def test_the_error_report_names_row_column_value_and_reason_in_chinese(two_counties, tmp_path):
    rows = [[X[1], X[0], "赣B1", "小型轿车", "2015年10月25日", "1000", ""],
            [Y[1], Y[0], "赣B2", "小型轿车", "2015-02-30", "1000", ""],
            [Z[1], Z[0], "赣B3", "小型轿车", "25/10/2015", "1000", ""]]
    with translation.override("zh-hans"):
        result = import_file(table_file(tmp_path, VEHICLE_HEADERS, rows), match=False)
    assert {(e.row, e.column, e.value, e.reason) for e in result.report.errors} == {
        (3, "初次登记日期", "2015-02-30", "不是有效日期"), (4, "初次登记日期", "25/10/2015", "不是日期（请填写 YYYY-MM-DD）")}
