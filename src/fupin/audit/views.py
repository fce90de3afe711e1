from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from fupin.core import dates
from fupin.core.views_util import require_perm

from . import queries
from .models import AuditEvent


def _date(request, value):
    """A date filter as typed (core.dates.typed_date: 2017-01-05, 2017/1/5, 2017年1月5日 …);
    None when none was typed. One not understood is not applied, and the page says so."""
    try:
        return dates.typed_date(value)
    except ValueError as exc:
        messages.error(request, _("%(error)s That filter was not applied.") % {"error": exc})
        return None


@require_perm("audit.view")
def event_list(request):
    g = request.GET
    filters = {k: g.get(k, "").strip() for k in ("user", "action", "object_type", "object_id", "area", "kind")}
    since, until = _date(request, g.get("since")), _date(request, g.get("until"))
    qs = queries.search(request.user, **filters, since=since, until=until)
    page = Paginator(qs.order_by("-at", "-id"), settings.PAGE_SIZE).get_page(g.get("page"))
    return render(request, "audit/list.html", {  # the date inputs show the dates applied, as YYYY-MM-DD
        "page_obj": page, "f": filters, "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "", "kinds": AuditEvent.KIND_CHOICES})


@require_perm("audit.view")
def event_detail(request, pk):
    event = queries.get_event(request.user, pk)
    return render(request, "audit/detail.html", {"event": event, "items": event.items.all()[:500],
                                                 "item_count": event.items.count()})
