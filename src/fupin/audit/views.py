from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from fupin.core.errors import Invalid
from fupin.core.views_util import date_param, require_perm

from . import labels, present, queries
from .models import AuditEvent


@require_perm("audit.view")
def event_list(request):
    g = request.GET
    filters = {k: g.get(k, "").strip() for k in ("user", "action", "object_type", "object_id", "area", "kind")}
    (since, _ok), (until, _ok) = date_param(request, g.get("since")), date_param(request, g.get("until"))
    try:
        qs = queries.search(request.user, **filters, since=since, until=until)
    except Invalid as exc:  # an area filter that is not digits: not applied either, and said
        messages.error(request, _("%(error)s That filter was not applied.") % {"error": exc.message})
        filters["area"] = ""
        qs = queries.search(request.user, **filters, since=since, until=until)
    page = Paginator(qs.order_by("-at", "-id"), settings.PAGE_SIZE).get_page(g.get("page"))
    for event in page:
        present.describe(event)
    return render(request, "audit/list.html", {  # the date inputs show the dates applied, as YYYY-MM-DD
        "page_obj": page, "f": filters, "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "", "kinds": AuditEvent.KIND_CHOICES, "actions": labels.choices()})


@require_perm("audit.view")
def event_detail(request, pk):
    event = queries.get_event(request.user, pk)
    present.describe(event)
    items = [(present.row_change_label(i.change), i.change, i.object_id) for i in event.items.all()[:500]]
    return render(request, "audit/detail.html", {"event": event, "changes": present.changes(event), "items": items,
                                                 "item_count": event.items.count()})
