"""Scoped reads of users."""

from django.db.models import Q

from .models import User
from .scoping import scope_for


def visible_users(viewer, perm: str = "users.view"):
    """Users holding at least one role inside the viewer's area (and the viewer)."""
    scope = scope_for(viewer, perm)
    if scope.is_empty:
        return User.objects.filter(pk=viewer.pk)
    ids = User.objects.filter(scope.q("roles__prefix")).values("pk")
    return User.objects.filter(Q(pk__in=ids) | Q(pk=viewer.pk)).select_related("unit").prefetch_related("roles__area")


def search_users(viewer, q: str = "", role: str = ""):
    qs = visible_users(viewer)
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__icontains=q) | Q(unit__name__icontains=q))
    if role:
        qs = qs.filter(roles__role=role)
    return qs.distinct()
