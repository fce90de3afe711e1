"""Small helpers shared by every app's views."""

from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.utils.translation import gettext as _

from fupin.accounts.scoping import can

from . import dates
from .errors import Forbidden


def require_perm(perm: str):
    """The view needs ``perm`` somewhere (objects are then scoped by the view's query)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not can(request.user, perm):
                raise Forbidden()
            return view(request, *args, **kwargs)

        wrapped.required_perm = perm
        return wrapped

    return decorator


def get_or_404(qs, **lookup):
    try:
        return qs.get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def sorted_qs(request, qs, fields: dict[str, str], default: str):
    """Order by the ``sort`` parameter when it names an allowed column (``-`` for descending)."""
    key = request.GET.get("sort", default)
    desc = key.startswith("-")
    field = fields.get(key.lstrip("-"))
    if field is None:
        desc, field = default.startswith("-"), fields[default.lstrip("-")]
    return qs.order_by(("-" if desc else "") + field, "pk")


def date_param(request, value, default=None):
    """A date typed in a query string (core.dates.typed_date: 2017-01-05, 2017/1/5,
    2017年1月5日 …), or ``default`` when none was typed. One not understood is ``default``
    too, and the page says so ("Showing … instead", or, without a default, "That filter
    was not applied"). Returns (day, understood)."""
    try:
        return dates.typed_date(value) or default, True
    except ValueError as exc:
        if default is None:
            messages.error(request, _("%(error)s That filter was not applied.") % {"error": exc})
        else:
            messages.error(request, _("%(error)s Showing %(day)s instead.") % {"error": exc, "day": default})
        return default, False
