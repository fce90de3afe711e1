"""Dates as people write them, and ages. Pure functions, no ORM.

``parse_date`` is the one reader of a date typed in a form, a file cell or an API
value (identification's cut-off dates, comparison's cells and as-of dates); the
callers keep their own messages around the reason it gives. ``add_years``,
``age_on`` and ``latest_birth`` count years the one way the system counts them:
someone born on 29 February has the birthday on 1 March in a common year."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from django.utils.translation import gettext as _

# Nothing the system records is older: the earliest birth date an ID number can
# hold too (registry.rules.ID_FIRST_BIRTH_YEAR is this year).
FIRST_YEAR = 1880

# 2017-12-31, 2017/12/31, 2017.12.31, 2017年12月31日 (日 may be left out), one- or
# two-digit month and day; \d is any decimal digit, full-width ones (２０１７) included.
_DATE_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_COMPACT_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")  # 20171231


def parse_date(value) -> dt.date:
    """The date ``value`` names, or ValueError with the reason.

    Accepts a date, a datetime (its date: calamine gives Excel dates as these), and
    text (or a number such as 20171231) in the spellings of ``_DATE_RE`` or eight
    digits, with spaces around. Refuses a day the calendar does not have (2017-02-30)
    and a year before FIRST_YEAR."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day = value
    else:
        text = "" if value is None or isinstance(value, bool) else str(value).strip()
        m = _DATE_RE.fullmatch(text) or _COMPACT_RE.fullmatch(text)
        if m is None:
            raise ValueError(_("not a date (write it as YYYY-MM-DD)"))
        year, month, dom = (int(x) for x in m.groups())
        try:
            day = dt.date(year, month, dom)
        except ValueError:
            raise ValueError(_("not a real date")) from None
    if day.year < FIRST_YEAR:
        raise ValueError(_("a date before %(year)s is impossible here") % {"year": FIRST_YEAR})
    return day


# A time of day after the date (an Excel date-time cell reads 2023-06-01 08:30:00): the day counts.
_TIME_OF_DAY = re.compile(r"(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\Z")


def cell_date(value) -> dt.date | None:
    """The date of a file cell (``parse_date``, a time of day after it ignored); None when
    the cell is empty; ValueError with the reason otherwise."""
    if isinstance(value, dt.date):
        return parse_date(value)
    text = "" if value is None else str(value).strip()
    return parse_date(_TIME_OF_DAY.sub("", text)) if text else None


def typed_date(value) -> dt.date | None:
    """A date typed in a form, a query string or on the command line, read by
    ``parse_date``; None when nothing was typed; otherwise ValueError with a message that
    names the value and the reason."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise ValueError(_("The date “%(value)s” was not understood: %(reason)s.")
                         % {"value": str(value).strip()[:40], "reason": exc}) from None


LAST_YEAR = 9999  # (datetime.date's last year: dates are built from a year given)


def is_year(year: int) -> bool:
    """Whether ``year`` can be a year the system records (FIRST_YEAR to LAST_YEAR): an API or
    page parameter outside it is refused (or replaced by its default) before a date is built."""
    return FIRST_YEAR <= year <= LAST_YEAR


# --- years and ages ----------------------------------------------------------------

def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (or earlier); 29 February becomes 1 March in a
    common year."""
    target = day.year + years
    if day.month == 2 and day.day == 29 and not calendar.isleap(target):
        return dt.date(target, 3, 1)
    return day.replace(year=target)


def day_in(year: int, month_day: str) -> dt.date:
    """The day 'MM-DD' of ``year`` (ValueError when there is none); 02-29 is 1 March
    in a common year."""
    month, day = (int(x) for x in month_day.split("-"))
    return add_years(dt.date(2000, month, day), year - 2000)  # 2000: a leap year


def age_on(birth: dt.date, on: dt.date) -> int:
    """Completed years of someone born on ``birth``, on the day ``on`` (the birthday
    itself counts; born on 29 February: on 1 March in a common year)."""
    age = on.year - birth.year
    return age if add_years(birth, age) <= on else age - 1


def latest_birth(on: dt.date, age: int) -> dt.date:
    """The last birth date of someone ``age`` or older on ``on``: born on or before
    it means ``age_on(birth, on) >= age``."""
    target = on.year - age
    if on.month == 2 and on.day == 29 and not calendar.isleap(target):
        return dt.date(target, 2, 28)  # born 29 Feb of a leap year, they come of age on 1 March
    return on.replace(year=target)
