"""Scoped reads of the audit log."""

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext as _

from fupin.accounts.scoping import scope_for
from fupin.core.errors import Invalid

from . import labels
from .models import AuditEvent


def search(viewer, *, user: str = "", action: str = "", object_type: str = "", object_id: str = "",
           area: str = "", kind: str = "", since: dt.date | None = None, until: dt.date | None = None):
    """The events in the viewer's areas matching the filters; Invalid when ``area`` is not a
    prefix of digits (it is compared as a range of codes)."""
    scope = scope_for(viewer, "audit.view")
    if area:
        if not (area.isascii() and area.isdigit()):
            raise Invalid(_("An area prefix has digits only."), field="area")
        scope = scope.narrow(area)
    qs = scope.filter(AuditEvent.objects.all())
    if user:
        qs = qs.filter(Q(username__icontains=user))
    if action:  # the beginning of a code, or words of its label ("登录", "Signed in")
        codes = labels.matching(action)
        qs = qs.filter(Q(action__startswith=action) | Q(action__in=codes)) if codes else \
            qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if kind:
        qs = qs.filter(kind=kind)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    return qs


def get_event(viewer, pk):
    return scope_for(viewer, "audit.view").get(AuditEvent.objects.all(), pk=pk)
