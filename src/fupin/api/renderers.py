"""How the API writes its answers: JSON, with every date-time in the server's local time.

The database keeps date-times in UTC and the pages show them in local time (settings
TIME_ZONE, Asia/Shanghai). The API gives the same instant as the page shows, written as
ISO 8601 with the local offset: ``2026-11-23T08:15:00+08:00`` (milliseconds when there
are any), never ``Z``. Done here, once, for every route: a schema's ``dt.datetime`` field
and a date-time anywhere in a ``dict`` answer are written by this encoder (a ``dict`` answer
goes through ``jsonable`` first, which leaves date-times to it). Dates (``2026-11-23``) and
times are written as they are.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder


def local_datetime(value: dt.datetime) -> dt.datetime:
    """``value`` in the current time zone (the one the pages use): an aware date-time
    converted, a naive one read as local time, as Django reads one when USE_TZ is on."""
    if timezone.is_naive(value):
        return timezone.make_aware(value)
    return timezone.localtime(value)


def local_isoformat(value: dt.datetime) -> str:
    """``value`` as the API writes it: ISO 8601 in local time with its offset."""
    return LocalTimeEncoder().default(value)


def jsonable(value):
    """A ``dict`` answer (a report) made ready for the renderer: dates as ``YYYY-MM-DD``,
    ``Decimal`` as a JSON number, dicts, lists and tuples gone through. A date-time is left
    as it is, for the renderer to write in local time with its offset (``LocalTimeEncoder``):
    a ``dt.date`` test alone also matches a date-time and would write it in UTC."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class LocalTimeEncoder(NinjaJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime):
            o = local_datetime(o)
        return super().default(o)


class LocalTimeRenderer(JSONRenderer):
    encoder_class = LocalTimeEncoder
