"""The only writes to the audit trail. Every other app's actions call ``record``."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.functional import Promise

from fupin.core import clock
from fupin.core.actor import Actor

from .models import AuditEvent, AuditItem


def _text(value: str) -> str:
    """Text as the log can keep it: PostgreSQL refuses NUL characters (text and JSON)."""
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def _jsonable(value):
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {_text(str(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def _name(value) -> str:
    """An object's name as the log keeps it for good: in the site's language
    (settings.LANGUAGE_CODE), whoever's language is active (a user's request, a job run in
    its starter's), so one log does not name things in two languages."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(value)


def _repr(value) -> str:
    """A name given as text, kept as it is; a lazy translation, in the site's language."""
    return _name(value) if isinstance(value, Promise) else str(value)


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict:
    """The values of a model's concrete fields, ready for the log."""
    names = fields or [f.attname for f in obj._meta.concrete_fields]
    return {name: _jsonable(getattr(obj, name)) for name in names}


def record(
    actor: Actor,
    action: str,
    *,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    area_code: str = "",
    before: dict | None = None,
    after: dict | None = None,
    kind: str = "change",
    count: int = 1,
    note: str = "",
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or _name(obj)[:200]
        area_code = area_code or getattr(obj, "area_code", "") or ""
    user = actor.user
    return AuditEvent.objects.create(
        at=clock.now(),
        kind=kind,
        action=action,
        user=user,
        username=user.get_username() if user is not None else f"<{actor.channel}>",
        ip=actor.ip,
        channel=actor.channel,
        object_type=_text(object_type),
        object_id=_text(object_id)[:64],
        object_repr=_text(_repr(object_repr))[:200],
        area_code=_text(area_code or "")[:15],
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        count=count,
        note=_text(note),
    )


def record_many(actor: Actor, action: str, events: Iterable[dict], *, kind: str = "change",
                batch_size: int = 2000) -> int:
    """Many events of one action at once, streamed in batches: a bulk path's per-object
    before/after values. Each dict may hold object_type, object_id, object_repr,
    area_code, before, after, note. Returns the number of events written."""
    user = actor.user
    at = clock.now()
    username = user.get_username() if user is not None else f"<{actor.channel}>"
    buffer: list[AuditEvent] = []
    written = 0
    for e in events:
        buffer.append(AuditEvent(
            at=at, kind=kind, action=action, user=user, username=username, ip=actor.ip, channel=actor.channel,
            # The same cleaning as record(): no NUL characters, the columns' lengths.
            object_type=_text(e.get("object_type", "")), object_id=_text(str(e.get("object_id", "")))[:64],
            object_repr=_text(_repr(e.get("object_repr", "")))[:200],
            area_code=_text(e.get("area_code", "") or "")[:15],
            before=_jsonable(e["before"]) if e.get("before") is not None else None,
            after=_jsonable(e["after"]) if e.get("after") is not None else None,
            count=1, note=_text(e.get("note", ""))))
        if len(buffer) >= batch_size:
            AuditEvent.objects.bulk_create(buffer)
            written += len(buffer)
            buffer.clear()
    if buffer:
        AuditEvent.objects.bulk_create(buffer)
        written += len(buffer)
    return written


def record_items(event: AuditEvent, items: Iterable[tuple[str, str]], batch_size: int = 5000) -> None:
    """Attach the rows a bulk event touched: (object_id, change) pairs, streamed."""
    buffer: list[AuditItem] = []
    for object_id, change in items:
        buffer.append(AuditItem(event_id=event.pk, object_id=str(object_id), change=change))
        if len(buffer) >= batch_size:
            AuditItem.objects.bulk_create(buffer)
            buffer.clear()
    if buffer:
        AuditItem.objects.bulk_create(buffer)


def record_items_select(event: AuditEvent, select_sql: str, params=()) -> int:
    """Attach the rows a bulk event touched, set-based: ``select_sql`` returns rows with
    the columns ``object_id`` and ``change``; one INSERT … SELECT, whatever their number."""
    from django.db import connection

    table = connection.ops.quote_name(AuditItem._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (event_id, object_id, change) "  # noqa: S608 - our own table and query
                       f"SELECT %s, CAST(q.object_id AS varchar(64)), q.change FROM ({select_sql}) q",
                       [event.pk, *params])
        return cursor.rowcount


def record_read(actor: Actor, action: str, *, obj=None, note: str = "", area_code: str = "", **kw) -> AuditEvent:
    """A sensitive read (an unmasked ID number, a confidential data set)."""
    return record(actor, action, obj=obj, kind="read", note=note, area_code=area_code, **kw)


def record_export(actor: Actor, action: str, *, area_code: str, count: int, note: str = "") -> AuditEvent:
    """An export of personal data."""
    return record(actor, action, kind="export", area_code=area_code, count=count, note=note)
