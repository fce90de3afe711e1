"""Dates in identification: the school-age guarantee around 29 February (birth dates and
the day ages are counted) and the spellings of a cut-off date (core.dates)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from fupin.core import dates
from fupin.core.errors import Invalid
from fupin.identification import actions, engine, rules
from fupin.identification.models import Criterion, CutoffDate
from tests.conftest import COUNTY_A, SYSTEM
from tests.test_identification import make_household, outcome

D = dt.date
LEAP_BABY = D(2008, 2, 29)


def counted(birth: dt.date, year: int, on: str, min_age: int, max_age: int) -> bool:
    """Whether the engine's bounds count a child born on ``birth`` (SQL: birth > after AND birth <= until)."""
    after, until = rules.birth_bounds(year, min_age, max_age, on)
    return after < birth <= until


# --- golden: a child born on 29 February ----------------------------------------------------------

@pytest.mark.parametrize(("year", "on", "expected"), [
    # 2014, a common year: 6 years old on 1 March, not on 28 February.
    (2014, "02-28", False), (2014, "03-01", True),
    # 2016, a leap year, ages 8 to 15: 8 on 29 February itself.
    (2016, "02-28", False), (2016, "02-29", True), (2016, "03-01", True),
])
def test_school_age_of_a_child_born_on_29_february(year, on, expected):
    min_age = 6 if year == 2014 else 8
    assert counted(LEAP_BABY, year, on, min_age, 15) is expected


@pytest.mark.parametrize(("birth", "year", "on", "expected"), [
    (D(2000, 2, 29), 2016, "02-28", True),  # still 15 the day before the birthday
    (D(2000, 2, 29), 2016, "02-29", False),  # 16 on the counting day itself
    (D(2000, 2, 29), 2016, "03-01", False),
    (D(2001, 3, 1), 2017, "02-28", True),  # 15 until 1 March 2017
    (D(2001, 3, 1), 2017, "03-01", False),  # 16 on the counting day itself
    (D(2001, 2, 28), 2017, "02-28", False),
])
def test_school_age_upper_bound_around_29_february(birth, year, on, expected):
    assert counted(birth, year, on, 6, 15) is expected


@pytest.mark.parametrize(("year", "birth", "expected"), [
    (2017, LEAP_BABY, True),  # 02-29 in a common year is 1 March: 9 that day
    (2017, D(2008, 3, 1), True),  # 9 on 1 March, the counting day itself
    (2017, D(2008, 3, 2), False),
    (2016, LEAP_BABY, False),  # 8 on 29 February 2016
    (2016, D(2007, 2, 28), True),
    (2016, D(2007, 3, 1), False),  # 9 on 1 March 2016, after the counting day
])
def test_ages_counted_on_29_february_of_any_year(year, birth, expected):
    """A counting day 02-29 (entered before it was refused) no longer breaks a common year."""
    assert counted(birth, year, "02-29", 9, 15) is expected


@given(year=st.integers(1990, 2040), month_day=st.sampled_from(["09-01", "02-28", "02-29", "03-01", "12-31", "01-01"]),
       ages=st.tuples(st.integers(0, 20), st.integers(0, 20)).map(sorted),
       birth=st.dates(min_value=D(1965, 1, 1), max_value=D(2040, 12, 31)))
def test_bounds_agree_with_the_age(year, month_day, ages, birth):
    """The engine's bounds count exactly the children whose age (core.dates.age_on) is in range."""
    min_age, max_age = ages
    age = dates.age_on(birth, dates.day_in(year, month_day))
    assert counted(birth, year, month_day, min_age, max_age) == (min_age <= age <= max_age)


def test_the_counting_day_is_a_day_of_every_year():
    school = rules.CRITERIA["school_dropout"].params
    params = {**school, "min_age": 6, "max_age": 15, "statuses": ["00"]}
    with translation.override("en"):
        with pytest.raises(ValueError, match="'on' is the day ages are counted"):
            rules.check_params("school_dropout", "guarantee", {**params, "on": "02-29"})
    assert rules.check_params("school_dropout", "guarantee", {**params, "on": "9-1"})["on"] == "09-01"
    assert rules.check_params("school_dropout", "guarantee", {**params, "on": "02-28"})["on"] == "02-28"


# --- the run -----------------------------------------------------------------------------------

def _school_params(**params):
    """The national rule set's school criterion with these parameters, stored as they are
    (as data entered before 02-29 was refused)."""
    crit = Criterion.objects.get(ruleset__area_prefix="", code="school_dropout")
    crit.params = {**crit.params, **params}
    Criterion.objects.filter(pk=crit.pk).update(params=crit.params)


def _child(number, birth):
    return make_household(number, 100_000, members=[{"name": f"学童{number}", "birth_date": birth,
                                                     "school_status": "00", "medical_insurance": True}])


@pytest.mark.django_db
@pytest.mark.parametrize(("year", "on", "min_age", "expected"), [
    (2014, "02-28", 6, False), (2014, "03-01", 6, True),
    (2016, "02-28", 8, False), (2016, "02-29", 8, True), (2016, "03-01", 8, True),
    (2017, "02-29", 9, True),  # a common year: the run failed with "day is out of range for month"
])
def test_run_counts_a_child_born_on_29_february(two_counties, year, on, min_age, expected):
    _school_params(min_age=min_age, max_age=15, on=on)
    leap = _child("L1", LEAP_BABY)
    younger = _child("L2", D(2008, 3, 2))
    run = engine.run_rules(COUNTY_A[:6], year)
    assert (outcome(run, leap).guarantees == "school_dropout,") is expected
    assert outcome(run, younger).guarantees == ""  # a year younger than min_age in each case


# --- cut-off dates --------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("value", ["2016-10-01", "2016/10/1", "2016.10.01", "20161001", " 2016-10-01 ",
                                   "2016年10月1日", "２０１６-１０-０１", dt.datetime(2016, 10, 1, 0, 0),
                                   dt.datetime(2016, 10, 1, 9, 30), D(2016, 10, 1)])
def test_cutoff_date_spellings(two_counties, value):
    cutoff = actions.save_cutoff(SYSTEM, None, area_prefix=COUNTY_A[:6], date=value, source="test")
    cutoff.refresh_from_db()
    assert cutoff.date == D(2016, 10, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["201611", "2016111", "2016-10- 1", "2016-02-30", "1879-10-01", D(1850, 10, 1),
                                   "2016-10-01 00:00:00", "01/10/2016", "", None])
def test_cutoff_date_refused_with_the_same_message(two_counties, value):
    with translation.override("zh-hans"), pytest.raises(Invalid) as refused:
        actions.save_cutoff(SYSTEM, None, area_prefix=COUNTY_A[:6], date=value, source="test")
    assert (refused.value.field, str(refused.value.message)) == ("date", "不是日期（请按 YYYY-MM-DD 填写）。")
    assert not CutoffDate.objects.filter(area_prefix=COUNTY_A[:6]).exists()
