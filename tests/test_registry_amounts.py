"""A household's income is read by core.money like every amount (rounded half up to the cent,
thousands commas allowed; not a number, negative and too large refused, naming the field); the
year of an income or of a village profile has the bounds of a year of the work — those of the
exchange file's year columns, from one place."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from stdnum.cn import ric

from fupin.core import clock
from fupin.core.errors import Invalid
from fupin.registry import actions, exchange
from fupin.registry.forms import IncomeForm, VillageProfileForm
from fupin.registry.models import Income
from tests.conftest import SYSTEM, VILLAGE_A

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def household(two_counties):
    h = actions.create_household(SYSTEM, number="3607291002010001", area_code=VILLAGE_A, category="1", standard="1",
                                 main_cause="01", identified_year=2016, status="registered",
                                 status_date=dt.date(2016, 3, 1))
    body = "36072919700315031"
    actions.add_member(SYSTEM, h, name="张三", id_number=body + ric.calc_check_digit(body + "0"), relation="01",
                       ethnicity="01", school_status="00", health="1")
    h.refresh_from_db()
    return h


@pytest.mark.parametrize(("given", "stored"), [
    (Decimal("0.125"), Decimal("0.13")), ("0.125", Decimal("0.13")), (0.125, Decimal("0.13")),
    ("2.665", Decimal("2.67")), ("1,200.505", Decimal("1200.51")), (None, Decimal("0.00")), ("", Decimal("0.00")),
])
def test_an_income_amount_is_rounded_half_up_to_the_cent(household, given, stored):
    income = actions.save_income(SYSTEM, household, 2020, crops=given, wages="1000")
    income.refresh_from_db()
    assert income.crops == stored
    assert income.total_income == Decimal("1000") + stored


@pytest.mark.parametrize(("given", "message"), [
    ("-0.01", "Amounts cannot be negative."), ("NaN", "Not a number."), ("Infinity", "Not a number."),
    ("abc", "Not a number."), ("1e10", "The amount is too large."),
])
def test_a_bad_income_amount_is_refused_naming_its_field(household, given, message):
    with pytest.raises(Invalid) as exc:
        actions.save_income(SYSTEM, household, 2020, wages="1000", dividends=given)
    assert (exc.value.field, str(exc.value.message)) == ("dividends", message)
    assert not Income.objects.exists()


# --- the year of an income, of a village profile -------------------------------------------------

def _year_errors(form_class, year) -> list[str]:
    form = form_class({"year": str(year), "status": "poor"})
    form.is_valid()
    return form.errors.get("year", [])


@pytest.mark.parametrize("form_class", [IncomeForm, VillageProfileForm])
def test_the_year_of_an_income_or_a_profile_is_a_year_of_the_work(db, form_class):
    first, last = exchange.PROGRAMME_FIRST_YEAR, clock.today().year + exchange.YEARS_AHEAD
    assert last == exchange.last_year()
    assert _year_errors(form_class, first) == [] and _year_errors(form_class, last) == []
    for year in (first - 1, last + 1):  # (the action's own message: actions.check_work_year)
        assert _year_errors(form_class, year) == [
            f"Year: {year} is not a year of the poverty-alleviation work ({first}–{last})."]


@pytest.mark.parametrize("form_class", [IncomeForm, VillageProfileForm])
def test_the_year_bounds_come_from_the_exchange_format(db, monkeypatch, form_class):
    """Moved there, the bounds move on the forms too (no copy of them in the forms)."""
    monkeypatch.setattr(exchange, "PROGRAMME_FIRST_YEAR", 2015)
    monkeypatch.setattr(exchange, "YEARS_AHEAD", 1)
    this_year = clock.today().year
    assert _year_errors(form_class, 2014) and not _year_errors(form_class, 2015)
    assert _year_errors(form_class, this_year + 2) and not _year_errors(form_class, this_year + 1)


def test_the_year_field_keeps_its_place_and_style(db):
    form = IncomeForm()
    assert next(iter(form.fields)) == "year"
    assert "form-control" in form.fields["year"].widget.attrs["class"]
    assert form.fields["year"].widget.attrs["min"] == exchange.PROGRAMME_FIRST_YEAR


# --- the registry's other numbers in a file cell (areas, distances) --------------------------------

def _one_cell(tmp_path, header: str, cell: str):
    """The good file with ``cell`` in ``header`` of QN002's only row (row 6)."""
    from tests.test_registry_exchange import good_rows, write_csv

    rows = [{**r, header: cell} if r["户编号"] == "QN002" else r for r in good_rows()]
    return write_csv(tmp_path / "numbers.csv", rows)


@pytest.mark.parametrize("cell", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_a_number_cell_that_is_no_number_is_reported_not_a_crash(two_counties, tmp_path, monkeypatch, cell):
    from tests.test_registry_exchange import _both_ways

    results = _both_ways(_one_cell(tmp_path, "耕地面积", cell), monkeypatch)
    assert results[True][0] == results[False][0] == [(6, "耕地面积", cell, "not a number")]


def test_a_number_cell_is_rounded_half_up_like_every_other_way_in(two_counties, tmp_path, monkeypatch):
    from tests.test_registry_exchange import _both_ways

    results = _both_ways(_one_cell(tmp_path, "耕地面积", "12.345"), monkeypatch)
    assert results[True][:4] == results[False][:4] and results[False][0] == []
    arable = exchange.HOUSEHOLD_COLUMNS.index(exchange.BY_HEADER["耕地面积"])
    assert {h[0]: h[arable] for h in results[False][1]}["QN002"] == Decimal("12.35")
    h = actions.create_household(SYSTEM, number="3607291002010002", area_code=VILLAGE_A, category="1", standard="1",
                                 main_cause="01", identified_year=2016, arable_mu="2.665")
    h.refresh_from_db()
    assert h.arable_mu == Decimal("2.67")


@pytest.mark.parametrize(("field", "text", "expected"), [
    ("housing_area", "86.449", "86.4"), ("housing_area", "0.049", "0.0"), ("housing_area", "86.45", "86.5"),
    ("arable_mu", "2.345", "2.35")])
def test_a_file_cell_and_the_api_round_a_quantity_once_alike(field, text, expected):
    """A number cell is rounded once, half up, to the places the registry keeps, as the API
    reads the same field (it was rounded to the cent first: 86.449 → 86.45 → 86.5)."""
    from fupin.api.base import _quantity_reader
    from fupin.registry.models import Household

    col = next(c for c in exchange.COLUMNS if c.field == field)
    assert exchange.parse_cell(col, text) == Decimal(expected)
    assert _quantity_reader(Household._meta.get_field(field))(text) == Decimal(expected)
