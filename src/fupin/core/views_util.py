"""Small helpers shared by every app's views."""

from functools import wraps

from django.http import Http404

from fupin.accounts.scoping import can

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
