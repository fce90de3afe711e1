from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fupin.core.actor import Actor
from fupin.core.errors import Invalid
from fupin.core.views_util import date_param, require_perm

from . import actions as audit
from . import labels, personal, present, queries
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


@require_http_methods(["GET", "HEAD", "POST"])
@require_perm("audit.view")
def event_detail(request, pk):
    """An event. Personal numbers in its values are masked; a role that may reveal them at the
    event's area (``pii.reveal``, as on the household card) gets an eye button on each such
    row, which posts ``reveal`` (the value's name) here: the answer is that row unmasked, and
    the reveal is logged (``pii.reveal``, on the event's object, as the card's reveal is); a
    role that may not reveal there gets the row masked with a refusal (403)."""
    event = queries.get_event(request.user, pk)
    can_reveal = personal.may_reveal(request.user, event)
    if request.method == "POST":
        return _reveal(request, event, can_reveal)
    present.describe(event)
    items = [(present.row_change_label(i.change), i.change, i.object_id) for i in event.items.all()[:500]]
    changes = present.changes(event)
    return render(request, "audit/detail.html", {"event": event, "changes": changes, "items": items,
                                                 "item_count": event.items.count(), "can_reveal": can_reveal,
                                                 "event_has_masked": any(c.masked for c in changes)})


def _reveal(request, event, can_reveal: bool):
    """One value of the event unmasked (its row of the page), logged as a sensitive read. A
    role that may not reveal at the event's area (a stale page, a crafted request) gets the
    row still masked with a refusal, 403, and nothing is logged; a value that is not personal
    or not on the page is a 404."""
    name = request.POST.get("reveal", "")
    shown = present.changes(event, unmasked={name} if can_reveal else frozenset())
    change = next((c for c in shown if c.name == name and c.personal), None)
    if change is None:
        raise Http404
    context = {"c": change, "event": event, "can_reveal": can_reveal}
    if not can_reveal:
        context["refused"] = _("Your role may not show ID numbers, phones and bank accounts in full here.")
        return render(request, "audit/_change.html", context, status=403)
    audit.record_read(Actor.from_request(request), "pii.reveal", object_type=event.object_type,
                      object_id=event.object_id, object_repr=event.object_repr, area_code=event.area_code,
                      note=name, after={"event": event.pk, "field": name})
    return render(request, "audit/_change.html", context)
