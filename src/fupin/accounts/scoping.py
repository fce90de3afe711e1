"""The one scoping function. Every read of registry data (and of anything else that
belongs to an area) is filtered here, by area-code prefix, as an indexable range."""

from __future__ import annotations

from functools import reduce

from django.db.models import Q, QuerySet

from fupin.areas import rules as area_rules
from fupin.core.errors import NotFound

from . import rules


class Scope:
    """The set of area prefixes an actor may see. ``Scope([""])`` is everything;
    ``Scope([])`` is nothing."""

    def __init__(self, prefixes):
        unique = sorted(set(prefixes), key=len)
        kept: list[str] = []
        for p in unique:
            if not any(p.startswith(k) for k in kept):
                kept.append(p)
        self.prefixes: tuple[str, ...] = tuple(sorted(kept))

    def __repr__(self):
        return f"Scope({list(self.prefixes)!r})"

    @property
    def is_everything(self) -> bool:
        return self.prefixes == ("",)

    @property
    def is_empty(self) -> bool:
        return not self.prefixes

    def contains(self, code: str | None) -> bool:
        return code is not None and any(code.startswith(p) for p in self.prefixes)

    def q(self, field: str = "area_code") -> Q:
        """prefix <= field < upper bound, for each prefix, OR-ed together."""
        if self.is_empty:
            return Q(pk__in=[])
        parts = []
        for prefix in self.prefixes:
            if prefix == "":
                return Q()
            upper = area_rules.prefix_upper_bound(prefix)
            part = Q(**{f"{field}__gte": prefix})
            if upper is not None:
                part &= Q(**{f"{field}__lt": upper})
            parts.append(part)
        return reduce(lambda a, b: a | b, parts)

    def filter(self, qs: QuerySet, field: str = "area_code") -> QuerySet:
        if self.is_empty:
            return qs.none()
        return qs.filter(self.q(field))

    def get(self, qs: QuerySet, field: str = "area_code", **lookup):
        """One object inside the scope, or NotFound (never a hint that it exists elsewhere)."""
        try:
            return self.filter(qs, field).get(**lookup)
        except (qs.model.DoesNotExist, ValueError, TypeError) as exc:
            raise NotFound() from exc

    def narrow(self, prefix: str | None) -> Scope:
        """The part of this scope under ``prefix`` (a filter the user chose)."""
        if not prefix:
            return self
        narrowed = []
        for p in self.prefixes:
            if prefix.startswith(p):
                narrowed.append(prefix)
            elif p.startswith(prefix):
                narrowed.append(p)
        return Scope(narrowed)


def _assignments(user):
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cache = getattr(user, "_fupin_roles", None)
    if cache is None:
        cache = list(user.roles.values_list("role", "prefix"))
        user._fupin_roles = cache
    return cache


def scope_for(user, perm: str = "area.view") -> Scope:
    """The areas where ``user`` holds a role granting ``perm``."""
    return Scope(prefix for role, prefix in _assignments(user) if rules.role_permits(role, perm))


def can(user, perm: str, area_code: str | None = None) -> bool:
    """Whether ``user`` may do ``perm`` (at ``area_code``, when given)."""
    scope = scope_for(user, perm)
    if area_code is None:
        return not scope.is_empty
    return scope.contains(area_code)


def home_code(user, perm: str = "area.view") -> str:
    """The area code a user acts for with ``perm``, to label what they start (a job):
    the widest area among their roles granting it, as a full code ("" for the whole
    country)."""
    scope = scope_for(user, perm)
    if scope.is_empty or scope.is_everything:
        return ""
    widest = min(scope.prefixes, key=len)
    return widest.ljust(12, "0") if len(widest) <= 12 else widest


def roles_of(user) -> set[str]:
    return {role for role, _prefix in _assignments(user)}


def forget_roles(user) -> None:
    if hasattr(user, "_fupin_roles"):
        del user._fupin_roles


def require(actor, perm: str, area_code: str | None = None) -> None:
    """Raise Forbidden unless the actor may do ``perm`` at ``area_code``.
    The system actor (command line run by the operator, jobs acting for a checked
    user) is always allowed."""
    from fupin.core.errors import Forbidden

    if actor.is_system:
        return
    if not can(actor.user, perm, area_code):
        raise Forbidden()
