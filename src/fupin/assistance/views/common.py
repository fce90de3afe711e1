"""Helpers shared by the assistance pages."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404

from fupin.accounts.scoping import Scope, scope_for
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import ActionError, NotFound
from fupin.registry.views.common import chooser, chosen_area

from .. import queries
from ..queries import units_for  # noqa: F401  (re-exported for the views)

VIEW = "registry.view"
EDIT = "assistance.edit"
LOG = "visits.log"
DATALIST_LIMIT = 600


def actor(request) -> Actor:
    return Actor.from_request(request)


def area_context(request, perm: str = VIEW) -> tuple[Scope, Area | None, dict]:
    """The user's scope narrowed by the area chooser, the chosen area, and the chooser."""
    scope = scope_for(request.user, perm)
    area = chosen_area(request, scope)
    narrowed = scope.narrow(area.prefix) if area is not None else scope
    return narrowed, area, {"chooser": chooser(scope, area), "area": area}


def villages_datalist(scope: Scope) -> list[Area]:
    return list(queries.villages(scope).order_by("code")[:DATALIST_LIMIT])


def scoped_area(request, code: str, perm: str = EDIT, *, levels=None) -> Area:
    """A current area inside the user's scope for ``perm``, or NotFound."""
    code = (code or "").strip()
    if not area_rules.is_valid_code(code):
        raise NotFound()
    area = scope_for(request.user, perm).get(Area.objects.filter(valid_to__isnull=True), "code", code=code)
    if levels and area.level not in levels:
        raise NotFound()
    return area


def form_error(request, form, exc: ActionError) -> None:
    if isinstance(exc, NotFound):
        raise Http404 from exc
    if form is not None and exc.field in getattr(form, "fields", {}):
        form.add_error(exc.field, str(exc.message))
    elif form is not None:
        form.add_error(None, str(exc.message))
    else:
        messages.error(request, str(exc.message))


def parse_month(value: str | None) -> dt.date:
    try:
        year, month = (value or "").split("-")[:2]
        return dt.date(int(year), int(month), 1)
    except (ValueError, TypeError):
        return clock.today().replace(day=1)


def parse_int(value) -> int | None:
    """A GET parameter as a whole number, or None: ASCII digits only (str.isdigit() is
    true for '²', which int() refuses) and short enough for a database integer."""
    value = str(value or "").strip()
    if value.isascii() and value.isdecimal() and len(value) <= 18:
        return int(value)
    return None


def parse_year(value: str | None) -> int:
    year = parse_int(value)
    if year is not None and 2000 <= year <= clock.today().year + 5:
        return year
    return clock.today().year
