"""The system's clock. Everything that depends on "today" (notice periods, deadlines,
observation periods) asks here, so tests can set the date."""

import contextlib
import datetime as dt

from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    return _frozen if _frozen is not None else timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


@contextlib.contextmanager
def frozen(at: dt.datetime | dt.date):
    """Set the clock for the duration of a ``with`` block (tests, demo back-dating)."""
    global _frozen
    if isinstance(at, dt.date) and not isinstance(at, dt.datetime):
        at = dt.datetime.combine(at, dt.time(9, 0), tzinfo=timezone.get_current_timezone())
    previous, _frozen = _frozen, at
    try:
        yield at
    finally:
        _frozen = previous
