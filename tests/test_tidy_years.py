"""A year of the work given to a registry action (an income's, a village profile's and its
status year, a checklist's, a re-check round's) has the bounds of the exchange file's year
columns whoever calls the action — not only the forms: one check (actions.check_work_year),
which the forms' year fields run too."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fupin.areas.models import Area
from fupin.core import clock
from fupin.core.errors import Invalid
from fupin.registry import actions, exchange
from fupin.registry.forms import IncomeForm, VillageProfileForm
from fupin.registry.models import Income, RecheckRound, VillageChecklist, VillageProfile
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A
from tests.test_registry_amounts import household  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("english")


def _bounds() -> tuple[int, int]:
    return exchange.PROGRAMME_FIRST_YEAR, clock.today().year + exchange.YEARS_AHEAD


OUTSIDE = [1066, 3000, exchange.PROGRAMME_FIRST_YEAR - 1, clock.today().year + exchange.YEARS_AHEAD + 1, 0, -2016]


def _village():
    return Area.objects.get(code=VILLAGE_A, valid_to__isnull=True)


def _refused(call, field: str, year) -> str:
    with pytest.raises(Invalid) as exc:
        call()
    assert exc.value.field == field
    first, last = _bounds()
    message = str(exc.value.message)
    assert f"{year} is not a year of the poverty-alleviation work ({first}–{last})" in message
    return message


@pytest.mark.parametrize("year", OUTSIDE)
def test_an_income_of_a_year_outside_the_work_is_refused(household, year):
    message = _refused(lambda: actions.save_income(SYSTEM, household, year, wages="1000"), "year", year)
    assert message.startswith("Year: ")
    assert not Income.objects.exists()


def test_an_income_at_the_bounds_is_kept(household):
    first, last = _bounds()
    assert actions.save_income(SYSTEM, household, first, wages="1000").year == first
    assert actions.save_income(SYSTEM, household, last, wages="1000").per_capita == Decimal("1000.00")


@pytest.mark.parametrize("year", OUTSIDE)
def test_a_village_profile_of_a_year_outside_the_work_is_refused(two_counties, year):
    _refused(lambda: actions.save_village_profile(SYSTEM, _village(), year, status="poor"), "year", year)
    assert not VillageProfile.objects.exists()


@pytest.mark.parametrize("status_year", [1066, 3000])
def test_a_village_status_year_outside_the_work_is_refused(two_counties, status_year):
    message = _refused(lambda: actions.save_village_profile(SYSTEM, _village(), 2016, status="poor",
                                                            status_year=status_year), "status_year", status_year)
    assert message.startswith("Status year: ")
    assert not VillageProfile.objects.exists()
    kept = actions.save_village_profile(SYSTEM, _village(), 2016, status="poor", status_year=None)
    assert kept.status_year is None  # (no status year: nothing to check)


def test_a_checklist_and_a_recheck_round_of_a_year_outside_the_work_are_refused(two_counties):
    _refused(lambda: actions.save_village_checklist(SYSTEM, _village(), 1066, {}), "year", 1066)
    with pytest.raises(Invalid) as exc:  # (a round's years are narrower: tests/test_recheck_years.py)
        actions.open_recheck(SYSTEM, Area.objects.get(code=COUNTY_A, valid_to__isnull=True), 3000)
    assert exc.value.field == "year" and "3000" in str(exc.value.message)
    assert not VillageChecklist.objects.exists() and not RecheckRound.objects.exists()


@pytest.mark.parametrize("year", ["2016", 2016.0, True, None])
def test_a_year_is_a_whole_number(household, year):
    with pytest.raises(Invalid) as exc:
        actions.save_income(SYSTEM, household, year, wages="1000")
    assert exc.value.field == "year"


def test_the_action_follows_the_exchange_bounds(household, monkeypatch):
    """Moved there, the bounds move in the action too (no copy of them)."""
    monkeypatch.setattr(exchange, "PROGRAMME_FIRST_YEAR", 2015)
    monkeypatch.setattr(exchange, "YEARS_AHEAD", 1)
    this_year = clock.today().year
    for year in (2014, this_year + 2):
        with pytest.raises(Invalid):
            actions.save_income(SYSTEM, household, year, wages="1000")
    assert actions.save_income(SYSTEM, household, 2015, wages="1000").year == 2015
    assert actions.save_income(SYSTEM, household, this_year + 1, wages="1000").year == this_year + 1


@pytest.mark.parametrize("form_class", [IncomeForm, VillageProfileForm])
def test_the_forms_say_what_the_action_says(two_counties, household, form_class):
    form = form_class({"year": "1066", "status": "poor"})
    assert not form.is_valid()
    with pytest.raises(Invalid) as exc:
        actions.save_income(SYSTEM, household, 1066, wages="1000")
    assert form.errors["year"] == [str(exc.value.message)]


def test_the_profile_form_bounds_its_status_year(two_counties):
    first, last = _bounds()
    form = VillageProfileForm({"year": "2016", "status": "poor", "status_year": "3000"})
    assert not form.is_valid() and "3000 is not a year of the poverty-alleviation work" in form.errors["status_year"][0]
    assert form.fields["status_year"].widget.attrs["min"] == first
    assert form.fields["status_year"].widget.attrs["max"] == last
    assert not form.fields["status_year"].required
    assert VillageProfileForm({"year": "2016", "status": "poor", "status_year": ""}).is_valid()
