"""Scoped reads of areas and units."""

from django.db.models import Count, Q

from fupin.accounts.scoping import Scope, scope_for

from . import rules
from .models import Area, Unit


def current():
    return Area.objects.filter(valid_to__isnull=True)


def areas_of_user(user) -> list[Area]:
    """The areas the user holds roles at (their "home" areas)."""
    return list(Area.objects.filter(roleassignment__user=user).distinct().order_by("code"))


def visible_areas(scope: Scope):
    """Current areas inside the scope, plus nothing else."""
    return scope.filter(current(), "code")


def level_counts(scope: Scope) -> dict[str, int]:
    counts = visible_areas(scope).aggregate(
        **{level: Count("id", filter=Q(level=level)) for level in rules.LEVELS}
    )
    return counts


def children(scope: Scope, parent: Area | None):
    """The areas directly under ``parent`` (or the top of the user's scope) with child counts."""
    qs = visible_areas(scope)
    if parent is None:
        if scope.is_everything:
            qs = qs.filter(level=rules.PROVINCE)
        else:
            qs = qs.filter(code__in=[p.ljust(12, "0") if len(p) <= 12 else p for p in scope.prefixes])
    else:
        qs = qs.filter(parent=parent)
    return qs.annotate(child_count=Count("children", filter=Q(children__valid_to__isnull=True)))


def get_area(user, code: str) -> Area:
    return scope_for(user).get(current(), "code", code=code)


def units(scope: Scope):
    return scope.filter(Unit.objects.select_related("area"))
