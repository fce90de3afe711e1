import datetime as dt

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render

from fupin.core.views_util import require_perm

from . import queries
from .models import AuditEvent


def _date(value):
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@require_perm("audit.view")
def event_list(request):
    g = request.GET
    filters = {k: g.get(k, "").strip() for k in ("user", "action", "object_type", "object_id", "area", "kind")}
    qs = queries.search(request.user, **filters, since=_date(g.get("since")), until=_date(g.get("until")))
    page = Paginator(qs.order_by("-at", "-id"), settings.PAGE_SIZE).get_page(g.get("page"))
    return render(request, "audit/list.html", {"page_obj": page, "f": filters, "since": g.get("since", ""),
                                               "until": g.get("until", ""), "kinds": AuditEvent.KIND_CHOICES})


@require_perm("audit.view")
def event_detail(request, pk):
    event = queries.get_event(request.user, pk)
    return render(request, "audit/detail.html", {"event": event, "items": event.items.all()[:500],
                                                 "item_count": event.items.count()})
