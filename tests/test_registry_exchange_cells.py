"""The exchange format's date and year cells: dates are read by core.dates (the spellings
the help names), years from the start of the poverty-alleviation work to a few years
ahead, on every way in (a file cell, a form, a number given to the action); the help of
the template and of the import page says what a date cell accepts, from one sentence."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from python_calamine import CalamineWorkbook

from fupin.core import clock, dates
from fupin.core.errors import Invalid
from fupin.registry import actions, exchange
from fupin.registry.forms import HouseholdForm
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A

pytestmark = pytest.mark.usefixtures("english")

DATE = exchange.BY_HEADER["状态日期"]
YEAR = exchange.BY_HEADER["计划脱贫年度"]


@pytest.mark.parametrize("text", [*exchange.DATE_EXAMPLES, "2017-01-05 08:30:00", "2017/1/5 8:30", "2017-01-05T08:30",
                                  "２０１７-０１-０５"])
def test_a_date_cell_takes_every_spelling_the_help_names(text):
    assert exchange.parse_cell(DATE, text) == dt.date(2017, 1, 5)


@pytest.mark.parametrize("text", ["1870-01-01", "2017-02-30", "2017-W01-4", "05/01/2017", "yesterday"])
def test_a_date_cell_is_refused_with_the_reason_of_core_dates(text):
    with pytest.raises(ValueError) as cell:
        exchange.parse_cell(DATE, text)
    with pytest.raises(ValueError) as core:
        dates.parse_date(text)
    assert str(cell.value) == str(core.value)


def test_an_excel_date_cell_reads_as_its_day():
    """calamine gives an Excel date as a datetime, which the table reader writes as text."""
    from fupin.core.tabular import normalise

    for value in (dt.datetime(2017, 1, 5), dt.datetime(2017, 1, 5, 8, 30), dt.date(2017, 1, 5)):
        assert exchange.parse_cell(DATE, normalise(value)) == dt.date(2017, 1, 5)


def test_year_cells_run_from_the_programme_to_a_few_years_ahead():
    this_year = clock.today().year
    first, last = exchange.PROGRAMME_FIRST_YEAR, this_year + exchange.YEARS_AHEAD
    assert exchange.parse_cell(YEAR, str(first)) == first and exchange.parse_cell(YEAR, str(last)) == last
    for text in (str(first - 1), str(last + 1), "14", "2014.0"):
        with pytest.raises(ValueError, match="not a year"):
            exchange.parse_cell(YEAR, text)


def _household(**values):
    return actions.create_household(SYSTEM, number="3607291001019001", area_code=VILLAGE_A, category="1",
                                    standard="1", main_cause="01", identified_year=2016, **values)


@pytest.mark.parametrize("year", [clock.today().year + exchange.YEARS_AHEAD + 1, exchange.PROGRAMME_FIRST_YEAR - 1,
                                  0, -2016])
def test_a_year_given_as_a_number_has_the_bounds_of_a_cell(two_counties, year):
    """A form or the API gives the action a number, not a cell's text: the same bounds apply."""
    with pytest.raises(Invalid) as exc:
        _household(planned_exit_year=year)
    assert exc.value.field == "planned_exit_year" and "not a year" in str(exc.value.message)


def test_a_year_given_as_a_number_within_the_bounds_is_kept(two_counties):
    assert _household(planned_exit_year=2019).planned_exit_year == 2019


def test_the_household_form_refuses_a_year_before_the_programme(two_counties):
    form = HouseholdForm()
    assert form.fields["identified_year"].min_value == exchange.PROGRAMME_FIRST_YEAR


def test_the_template_says_how_dates_are_written(tmp_path):
    out = tmp_path / "template.xlsx"
    call_command("registry_template", "-o", str(out))
    explain = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("填写说明").to_python()
    by_header = {r[0]: r for r in explain[1:]}
    for header in ("状态日期", "出生日期"):
        assert by_header[header][3] == exchange.date_help()
    assert all(example in exchange.date_help() for example in ("2017/1/5", "2017年1月5日", "20170105"))
    assert "Excel date" in exchange.date_help()


def test_the_import_page_says_how_dates_are_written(two_counties, make_user, login):
    page = login(make_user("county_office", COUNTY_A)).get("/registry/exchange/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "2017年1月5日" in body and "Excel date cell" in body


def test_import_counts_read_in_the_singular_and_the_plural():
    from fupin.core.tabular import ErrorReport
    from fupin.registry.importers import ImportResult, errors_message

    one = ImportResult(ErrorReport(), rows=1, households_created=1, members_created=1, status_changes=1)
    assert one.summary() == ("1 row imported. Households: 1 created, 0 updated, 0 unchanged. "
                             "Members: 1 created, 0 updated. Status changes recorded: 1.")
    two = ImportResult(ErrorReport(), rows=2, households_created=2, members_created=2, status_changes=2)
    assert two.summary() == ("2 rows imported. Households: 2 created, 0 updated, 0 unchanged. "
                             "Members: 2 created, 0 updated. Status changes recorded: 2.")
    assert errors_message(1) == "1 error; nothing was imported."
    assert errors_message(3) == "3 errors; nothing was imported."
