"""How the API writes its answers: JSON, with every date-time in the server's local time.

The database keeps date-times in UTC and the pages show them in local time (settings
TIME_ZONE, Asia/Shanghai). The API gives the same instant as the page shows, written as
ISO 8601 with the local offset: ``2026-11-23T08:15:00+08:00`` (milliseconds when there
are any), never ``Z``. Done here, once, for every route: a schema's ``dt.datetime`` field
and a date-time anywhere in a ``dict`` answer are written by this encoder. Dates
(``2026-11-23``) and times are written as they are.
"""

from __future__ import annotations

import datetime as dt
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


class LocalTimeEncoder(NinjaJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime):
            o = local_datetime(o)
        return super().default(o)


class LocalTimeRenderer(JSONRenderer):
    encoder_class = LocalTimeEncoder
