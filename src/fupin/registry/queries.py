"""Scoped reads of the registry. Every read of households, members, incomes … goes
through ``scope_for(user, perm)`` from accounts.scoping (an indexed range on area_code)."""

from __future__ import annotations

from django.db.models import Q

from fupin.accounts.scoping import Scope, scope_for
from fupin.areas.models import Area

from .models import Household, Income, Member, VillageProfile


def households(user, perm: str = "registry.view"):
    return scope_for(user, perm).filter(Household.objects.all())


def household(user, pk, perm: str = "registry.view") -> Household:
    return scope_for(user, perm).get(Household.objects.select_related("village", "group"), pk=pk)


def members(user, perm: str = "registry.view"):
    return scope_for(user, perm).filter(Member.objects.all())


def incomes(user, perm: str = "registry.view"):
    return scope_for(user, perm).filter(Income.objects.all())


def villages(user, perm: str = "registry.view"):
    return scope_for(user, perm).filter(Area.objects.filter(level="village", valid_to__isnull=True), "code")


def village_profiles(user, perm: str = "registry.view"):
    return scope_for(user, perm).filter(VillageProfile.objects.all())


def search_households(scope: Scope, q: str):
    """By head or member name, full ID number or its last digits, household number, village name."""
    q = (q or "").strip()
    base = scope.filter(Household.objects.all())
    if not q:
        return base
    member_q = scope.filter(Member.objects.all())
    if q.isdigit() or (q[:-1].isdigit() and q[-1:].upper() == "X"):
        if len(q) == 18:
            ids = member_q.filter(id_number=q.upper()).values("household_id")
        else:
            ids = member_q.filter(id_rev__startswith=q.upper()[::-1]).values("household_id")
        return base.filter(Q(pk__in=ids) | Q(number=q) | Q(number__startswith=q))
    ids = member_q.filter(name=q).values("household_id")
    return base.filter(Q(pk__in=ids) | Q(head_name=q) | Q(number=q) | Q(village__name=q))
