"""The registry's numbers on the home page: households and people by status."""

from django.db.models import Count, Q, Sum

from fupin.accounts.scoping import can, scope_for
from fupin.core.home import panel

from . import codes
from .models import Household


@panel
def registry_panel(request, scope):
    if not can(request.user, "registry.view"):
        return None
    qs = scope_for(request.user, "registry.view").filter(Household.objects.all())
    rows = qs.values("status").annotate(households=Count("id"), people=Sum("size")).order_by("status")
    by_status = {r["status"]: r for r in rows}
    poor = qs.aggregate(h=Count("id", filter=Q(status__in=codes.POOR_STATUSES)),
                        p=Sum("size", filter=Q(status__in=codes.POOR_STATUSES)))
    return {
        "template": "registry/_home_panel.html",
        "poor_households": poor["h"] or 0,
        "poor_people": poor["p"] or 0,
        "statuses": [(codes.label("status", s), by_status.get(s, {}).get("households", 0),
                      by_status.get(s, {}).get("people", 0) or 0) for s in codes.codes("status")],
    }
