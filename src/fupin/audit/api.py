"""The audit log's REST API: a search of the events of your area.

The log is returned as it was written, except personal numbers (ID numbers, phones, bank
accounts) in ``before`` and ``after``: masked, as the event's page masks them
(audit/personal.py), unless the caller asks ``?reveal=1`` and holds ``pii.reveal`` at the
event's area; ``revealed`` says which events were returned with them in full, and every such
answer is logged as the registry's API logs its reveals (core.pii.Revealer: one
``pii.reveal.api`` read, with the events revealed as its items)."""

import datetime as dt

from ninja import Field, Router, Schema

from fupin.accounts.scoping import can
from fupin.api.base import Day, paginate
from fupin.core.errors import Forbidden
from fupin.core.pii import Revealer

from . import personal, queries

router = Router(tags=["audit"])


class EventOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    action: str
    username: str
    ip: str | None
    channel: str
    object_type: str
    object_id: str
    object_repr: str
    area_code: str
    before: dict | None = Field(description="ID numbers, phones and bank accounts masked unless revealed")
    after: dict | None = Field(description="ID numbers, phones and bank accounts masked unless revealed")
    count: int
    note: str
    revealed: bool = Field(False, description="the personal numbers of before and after are in full (logged)")


class EventPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[EventOut]


FIELDS = [name for name in EventOut.model_fields if name not in ("before", "after", "revealed")]


@router.get("/events", response=EventPage, summary="Search the audit log of your area")
def events(request, user: str = "", action: str = "", object_type: str = "", object_id: str = "",
           area: str = "", kind: str = "", since: Day | None = None, until: Day | None = None,
           reveal: bool = False, page: int = 1, page_size: int = 100):
    """``reveal=1``: the personal numbers in ``before`` and ``after`` in full, for the events of
    the areas where you hold ``pii.reveal`` (logged); masked otherwise."""
    if not can(request.user, "audit.view"):
        raise Forbidden()
    qs = queries.search(request.user, user=user, action=action, object_type=object_type, object_id=object_id,
                        area=area, kind=kind, since=since, until=until)
    result = paginate(qs.order_by("-at", "-id"), page, page_size)
    revealer = Revealer(request, reveal, "audit.auditevent", area_of=lambda e: e.area_code or "")
    items, names = [], set()
    for event in result["items"]:
        data = {name: getattr(event, name) for name in FIELDS}
        found = personal.personal_names(event)
        if found and revealer.show(event):
            data.update(before=event.before, after=event.after, revealed=True)
            names.update(found)
        else:
            before, after = personal.masked_event(event)
            data.update(before=before, after=after, revealed=False)
        items.append(data)
    revealer.log(sorted(names))
    result["items"] = items
    return result
