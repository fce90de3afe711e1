"""core.dates: the one date parser (identification's cut-off dates, comparison's cells and
as-of dates) and the counting of years and ages (29 February)."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from fupin.core import dates

D = dt.date
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# Every spelling the parser accepts, as a function of the date.
SPELLINGS = {
    "iso": lambda d: d.isoformat(),
    "dashes, no zeros": lambda d: f"{d.year}-{d.month}-{d.day}",
    "slashes": lambda d: f"{d.year:04d}/{d.month:02d}/{d.day:02d}",
    "slashes, no zeros": lambda d: f"{d.year}/{d.month}/{d.day}",
    "dots": lambda d: f"{d.year:04d}.{d.month:02d}.{d.day:02d}",
    "dots, no zeros": lambda d: f"{d.year}.{d.month}.{d.day}",
    "年月日": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "年月日, zeros": lambda d: f"{d.year}年{d.month:02d}月{d.day:02d}日",
    "年月 without 日": lambda d: f"{d.year}年{d.month}月{d.day}",
    "mixed separators": lambda d: f"{d.year}-{d.month:02d}/{d.day:02d}",
    "eight digits": lambda d: d.strftime("%Y%m%d"),
    "full-width iso": lambda d: d.isoformat().translate(FULL_WIDTH),
    "full-width eight digits": lambda d: d.strftime("%Y%m%d").translate(FULL_WIDTH),
    "full-width 年月日": lambda d: f"{d.year}年{d.month}月{d.day}日".translate(FULL_WIDTH),
    "spaces around": lambda d: f"  {d.isoformat()} ",
    "ideographic spaces around": lambda d: f"\u3000{d:%Y/%m/%d}\u3000",
    "date": lambda d: d,
    "midnight datetime (calamine)": lambda d: dt.datetime.combine(d, dt.time()),
    "datetime with a time": lambda d: dt.datetime.combine(d, dt.time(8, 30)),
    "number": lambda d: int(d.strftime("%Y%m%d")),
}

VALID_DATES = st.dates(min_value=D(dates.FIRST_YEAR, 1, 1), max_value=D(9999, 12, 31))


pytestmark = pytest.mark.usefixtures("english")  # (conftest's: the messages' English originals)


@pytest.mark.parametrize("spelling", SPELLINGS)
@given(day=VALID_DATES)
def test_every_accepted_spelling_parses_back_to_its_date(spelling, day):
    value = SPELLINGS[spelling](day)
    parsed = dates.parse_date(value)
    assert parsed == day and type(parsed) is dt.date, (value, parsed)


@given(year=st.integers(dates.FIRST_YEAR, 9999), month=st.integers(0, 99), day=st.integers(0, 99),
       spelling=st.sampled_from(["{y:04d}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}.{m}.{d}", "{y}年{m}月{d}日",
                                 "{y:04d}{m:02d}{d:02d}"]))
def test_days_the_calendar_does_not_have_are_refused(year, month, day, spelling):
    text = spelling.format(y=year, m=month, d=day)
    real = 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]
    if real:
        assert dates.parse_date(text) == D(year, month, day)
    else:
        with pytest.raises(ValueError, match=r"^not a real date$"):
            dates.parse_date(text)


@pytest.mark.parametrize("text", ["2017-02-29", "2017-02-30", "2016-02-30", "2017-04-31", "2017-13-01", "2017-00-10",
                                  "2017-12-00", "20170229", "2017年2月29日", "1900-02-29"])
def test_no_29_february_in_a_common_year_and_no_day_zero(text):
    with pytest.raises(ValueError, match=r"^not a real date$"):
        dates.parse_date(text)
    assert dates.parse_date("2016-02-29") == D(2016, 2, 29) and dates.parse_date("2000-02-29") == D(2000, 2, 29)


@pytest.mark.parametrize("value", ["1879-12-31", "18791231", "0999-01-01", "0001-01-01", D(1850, 1, 1),
                                   dt.datetime(1879, 12, 31, 23, 59)])
def test_nothing_before_1880(value):
    with pytest.raises(ValueError, match=r"^a date before 1880 is impossible here$"):
        dates.parse_date(value)
    assert dates.parse_date("1880-01-01") == D(1880, 1, 1)


@pytest.mark.parametrize("value", [
    "", None, True, "   ", "abc", "2017", "2017-12", "201711", "2017111", "201712311", "2017-12- 1", "2017-12-31 00:00:00",
    "2017-12-31T00:00:00", "31/12/2017", "12/31/2017", "2017-W01-1", "17-12-31", "2017--12-31", "2017-12-31-",
    "²⁰¹⁷¹²³¹", "2017－12－31", "20171231.0", 20171231.0, "2017-123-1", "2017年12月31日日"])
def test_anything_else_is_not_a_date(value):
    with pytest.raises(ValueError, match=r"^not a date \(write it as YYYY-MM-DD\)$"):
        dates.parse_date(value)


def test_the_reasons_are_in_chinese_in_the_ui():
    with translation.override("zh-hans"):
        with pytest.raises(ValueError) as bad:
            dates.parse_date("abc")
        assert str(bad.value) == "不是日期（请填写 YYYY-MM-DD）"
        with pytest.raises(ValueError) as unreal:
            dates.parse_date("2017-02-30")
        assert str(unreal.value) == "不是有效日期"


# --- years and ages: 29 February ---------------------------------------------------------------

def test_add_years_moves_29_february_to_1_march_in_a_common_year():
    assert dates.add_years(D(2016, 2, 29), 1) == D(2017, 3, 1)
    assert dates.add_years(D(2016, 2, 29), 4) == D(2020, 2, 29)
    assert dates.add_years(D(2016, 2, 29), -1) == D(2015, 3, 1)
    assert dates.add_years(D(2016, 2, 28), 1) == D(2017, 2, 28)
    assert dates.add_years(D(2016, 3, 1), 1) == D(2017, 3, 1)


@pytest.mark.parametrize(("on", "age"), [
    (D(2017, 2, 28), 8), (D(2017, 3, 1), 9),  # a common year: the birthday is 1 March
    (D(2016, 2, 28), 7), (D(2016, 2, 29), 8), (D(2016, 3, 1), 8),  # a leap year: 29 February itself
    (D(2008, 2, 29), 0), (D(2009, 2, 28), 0), (D(2009, 3, 1), 1)])
def test_age_of_someone_born_on_29_february(on, age):
    assert dates.age_on(D(2008, 2, 29), on) == age


def test_the_birthday_itself_counts():
    assert dates.age_on(D(2010, 9, 1), D(2016, 9, 1)) == 6
    assert dates.age_on(D(2010, 9, 2), D(2016, 9, 1)) == 5
    assert dates.age_on(D(2008, 2, 28), D(2017, 2, 28)) == 9


@pytest.mark.parametrize(("year", "month_day", "day"), [
    (2017, "09-01", D(2017, 9, 1)), (2016, "02-29", D(2016, 2, 29)), (2017, "02-29", D(2017, 3, 1)),
    (2017, "2-28", D(2017, 2, 28))])
def test_day_in_a_year(year, month_day, day):
    assert dates.day_in(year, month_day) == day


@given(on=st.dates(min_value=D(1950, 1, 1), max_value=D(2100, 12, 31)), age=st.integers(0, 40),
       birth=st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)))
def test_latest_birth_is_the_bound_of_age_on(on, age, birth):
    """Born on or before latest_birth(on, age) <=> at least ``age`` on ``on``."""
    assert (birth <= dates.latest_birth(on, age)) == (dates.age_on(birth, on) >= age)


@given(on=st.sampled_from([D(2016, 2, 29), D(2016, 2, 28), D(2016, 3, 1), D(2017, 2, 28), D(2017, 3, 1)]),
       age=st.integers(0, 40), birth=st.sampled_from([D(y, 2, 29) for y in range(1960, 2017, 4)]
                                                     + [D(y, m, d) for y in range(1960, 2017)
                                                        for m, d in ((2, 28), (3, 1))]))
def test_latest_birth_around_29_february(on, age, birth):
    """The same, where it matters: births and counting days next to 29 February."""
    assert (birth <= dates.latest_birth(on, age)) == (dates.age_on(birth, on) >= age)


def test_a_year_the_system_records():
    """One range for every year parameter (APIs and pages build dates from it)."""
    assert [dates.is_year(y) for y in (1879, 1880, 2026, 9999, 10000, -3)] == [False, True, True, True, False, False]


@pytest.mark.parametrize(("cell", "day"), [
    ("2023-06-01 08:30:00", dt.date(2023, 6, 1)), ("2023-06-01T08:30", dt.date(2023, 6, 1)),
    ("  2023/6/1  ", dt.date(2023, 6, 1)), (dt.datetime(2023, 6, 1, 8, 30), dt.date(2023, 6, 1)),
    ("", None), (None, None), ("   ", None),
])
def test_a_cell_date_ignores_a_time_of_day_and_an_empty_cell_is_none(cell, day):
    assert dates.cell_date(cell) == day


@pytest.mark.parametrize("cell", ["08:30", "2023-06-01 8h30", "2023-02-30 08:30", "yesterday"])
def test_a_cell_that_is_not_a_date_is_refused_with_a_reason(cell):
    with pytest.raises(ValueError, match="date"):
        dates.cell_date(cell)
