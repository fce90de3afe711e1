"""The reads behind a helper's panel on the home page (assistance.home): the households
a user is the helper of now, within the area where they may log visits — the households
the phone page (/assistance/mine/) lists."""

from __future__ import annotations

from django.db.models import F, OuterRef, Subquery

from fupin.accounts.scoping import scope_for
from fupin.registry.models import Household

from . import queries
from .models import Visit

LOG = "visits.log"


def paired_households(user):
    """The households paired now with the user's own (active) helper records, scoped to
    the user's visits.log areas."""
    own = queries.own_helpers(user)
    mine = Household.objects.filter(pairings__helper__in=own, pairings__end__isnull=True).distinct()
    return scope_for(user, LOG).filter(mine)


def with_last_visit(qs):
    """Each household with the date of its last visit in force (``last_visit``, None if
    never visited), the longest unvisited first."""
    last = Visit.objects.filter(household=OuterRef("pk")).order_by("-date").values("date")[:1]
    return (qs.annotate(last_visit=Subquery(last)).select_related("village")
            .order_by(F("last_visit").asc(nulls_first=True), "area_code", "number"))
