import datetime as dt

from ninja import Router, Schema

from fupin.accounts.scoping import can
from fupin.api.base import Day, paginate
from fupin.core.errors import Forbidden

from . import queries

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
    before: dict | None
    after: dict | None
    count: int
    note: str


class EventPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[EventOut]


@router.get("/events", response=EventPage, summary="Search the audit log of your area")
def events(request, user: str = "", action: str = "", object_type: str = "", object_id: str = "",
           area: str = "", kind: str = "", since: Day | None = None, until: Day | None = None,
           page: int = 1, page_size: int = 100):
    if not can(request.user, "audit.view"):
        raise Forbidden()
    qs = queries.search(request.user, user=user, action=action, object_type=object_type, object_id=object_id,
                        area=area, kind=kind, since=since, until=until)
    return paginate(qs.order_by("-at", "-id"), page, page_size)
