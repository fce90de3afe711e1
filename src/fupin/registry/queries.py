"""Scoped reads of the registry. Every read of households, members, incomes … goes
through ``scope_for(user, perm)`` from accounts.scoping (an indexed range on area_code)."""

from __future__ import annotations

from functools import reduce
from operator import or_

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
    """By head or member name, full ID number or its last digits, household number, area
    name. One implementation for the pages, the API and the procedures: find_households."""
    return find_households(scope, q)


# --- the registry pages: list filters, the household card, registers -------------------
# (added for the household list, card and village/township/county registers)

def filter_households(qs, *, status: str = "", category: str = "", cause: str = "", year=None):
    """Narrow a household queryset by the list and register filters (each an indexed or cheap test)."""
    from . import codes

    if status and status in codes.codes("status"):
        qs = qs.filter(status=status)
    if category and category in codes.codes("category"):
        qs = qs.filter(category=category)
    if cause and cause in codes.codes("cause"):
        qs = qs.filter(main_cause=cause)
    if year:
        qs = qs.filter(identified_year=year)
    return qs


def household_totals(qs) -> dict:
    """Households and people (active members) of a household queryset, in one aggregate."""
    from django.db.models import Count, Sum

    row = qs.order_by().aggregate(households=Count("id"), people=Sum("size"))
    return {"households": row["households"] or 0, "people": row["people"] or 0}


def register_households(qs):
    """Household rows of a register: with the head's ID number and member id, and the latest
    year's per-capita net income, as correlated subqueries of one SQL statement."""
    from django.db.models import OuterRef, Subquery

    head = Member.objects.filter(household=OuterRef("pk"), active=True, relation="01").order_by("pk")
    latest = Income.objects.filter(household=OuterRef("pk")).order_by("-year")
    return qs.prefetch_related("village", "group").annotate(
        head_member_id=Subquery(head.values("pk")[:1]),
        head_id_number=Subquery(head.values("id_number")[:1]),
        income_year=Subquery(latest.values("year")[:1]),
        latest_per_capita=Subquery(latest.values("per_capita")[:1]),
    )


def rollup_by_prefix(qs, length: int) -> list[dict]:
    """Totals of a household queryset grouped by the first ``length`` digits of the area
    code (9 = township, 12 = village): one GROUP BY, whatever the number of households."""
    from django.db.models import Count, Q, Sum
    from django.db.models.functions import Substr

    from . import codes

    poor = Q(status__in=codes.POOR_STATUSES)
    exited = Q(status__in=codes.EXITED_STATUSES)
    rows = (qs.order_by().annotate(prefix=Substr("area_code", 1, length)).values("prefix")
            .annotate(households=Count("id"), people=Sum("size"),
                      poor_households=Count("id", filter=poor), poor_people=Sum("size", filter=poor),
                      exited_households=Count("id", filter=exited), exited_people=Sum("size", filter=exited),
                      returned_households=Count("id", filter=Q(status="returned")),
                      dibao_households=Count("id", filter=Q(category="2")),
                      tekun_households=Count("id", filter=Q(category="3")))
            .order_by("prefix"))
    out = []
    for r in rows:
        out.append({k: (v or 0) if k != "prefix" else v for k, v in r.items()})
    return out


ROLLUP_KEYS = ("households", "people", "poor_households", "poor_people", "exited_households", "exited_people",
               "returned_households", "dibao_households", "tekun_households")


def child_areas_with_rollup(scope: Scope, area: Area, qs) -> tuple[list[dict], dict]:
    """One row per area directly below ``area`` (inside the scope) with the totals of its
    households, every child listed even when it has none; and the grand total."""
    from fupin.areas import rules as area_rules

    level = area_rules.LEVELS[area_rules.LEVELS.index(area.level) + 1]
    length = area_rules.PREFIX_LENGTH[level]
    children = scope.filter(Area.objects.filter(parent=area, valid_to__isnull=True, level=level), "code")
    by_prefix = {r["prefix"]: r for r in rollup_by_prefix(qs, length)}
    rows, total = [], dict.fromkeys(ROLLUP_KEYS, 0)
    for child in children.order_by("code"):
        r = by_prefix.pop(child.code[:length], None) or dict.fromkeys(ROLLUP_KEYS, 0)
        rows.append({"area": child, **{k: r[k] for k in ROLLUP_KEYS}})
    for r in [*rows, *by_prefix.values()]:
        for k in ROLLUP_KEYS:
            total[k] += r[k]
    return rows, total


def checklist_items(village: Area, year: int):
    """The checklist items that apply to a village in a year: national ones (empty prefix)
    and those of any area above it, valid in that year."""
    from .models import ChecklistItem

    prefixes = [""] + [village.code[:n] for n in (2, 4, 6, 9, 12)] + [village.code[:n].ljust(12, "0")
                                                                   for n in (2, 4, 6, 9)]
    return (ChecklistItem.objects.filter(area_prefix__in=prefixes, from_year__lte=year)
            .filter(Q(to_year__isnull=True) | Q(to_year__gte=year)).order_by("area_prefix", "order", "code"))


FIND_MATCH_LIMIT = 5000


def find_households(scope: Scope, q: str):
    """Household search: a name (a member's or the head's, from its beginning), an ID
    number (full, or its last four or more digits through the reversed ID), a household
    number (from its beginning), or the name of an area (village, township, county …)
    inside the scope.

    Every alternative is an indexed lookup. The matching household ids are read first, in
    one statement, each alternative stopping at FIND_MATCH_LIMIT + 1 rows: a short list of
    primary keys is what the planner then sees. When more match (a common name, the last
    four digits many people share, a county's name), the queryset is the alternatives
    OR-ed in one WHERE over the scope, each member lookup a hashed subquery (the last
    digits read from the covering index ``member_id_rev_cover`` alone): a page ordered by
    area walks the households' area index and stops after a page, and a count is one scan
    of the scope's households with a hash probe, without a join."""
    from fupin.areas import rules as area_rules

    q = (q or "").strip()
    base = scope.filter(Household.objects.all())
    if not q:
        return base
    households = scope.filter(Household.objects.order_by())
    members = scope.filter(Member.objects.order_by())
    member_parts, household_conds = [], []  # household ids of matching members; conditions on Household
    upper = q.upper()
    if upper.isdecimal() or (upper[:-1].isdecimal() and upper.endswith("X")):
        if len(upper) == 18:
            member_parts.append(members.filter(id_number=upper))
        elif len(upper) >= 4:
            member_parts.append(members.filter(id_rev__startswith=upper[::-1]))
        household_conds.append(Q(number__startswith=q))
    else:
        # Names from their beginning (陈军 finds 陈军东) as a range, which the plain btree
        # indexes on the names serve on SQLite and PostgreSQL alike (no LIKE, no leading
        # wildcard); a household number from its beginning (its index's pattern twin).
        member_parts.append(members.filter(name_prefix_q("name", q)))
        household_conds += [name_prefix_q("head_name", q), Q(number__startswith=q)]
        areas = scope.filter(Area.objects.filter(name=q, valid_to__isnull=True), "code")[:50]
        prefixes = [a.prefix for a in areas if a.level != area_rules.GROUP]
        if prefixes:
            household_conds.append(Scope(prefixes).q())
    member_parts = [m.values_list("household_id", flat=True) for m in member_parts]
    parts = [*member_parts, *(households.filter(c).values_list("pk", flat=True) for c in household_conds)]
    ids = _first_matches(parts, FIND_MATCH_LIMIT + 1)
    if ids is not None and len(ids) <= FIND_MATCH_LIMIT:
        return base.filter(pk__in=ids)
    # a very common name, a whole county's name: still correct, still indexed
    return base.filter(reduce(or_, [*(Q(pk__in=m) for m in member_parts), *household_conds]))


PREFIX_END = "\U0010ffff"  # sorts after every character, those outside the BMP (𫟹) too, in UTF-8 byte order


def name_prefix_q(field: str, prefix: str) -> Q:
    """``field`` begins with ``prefix``, as an indexable range: prefix <= field < prefix + U+FFFF."""
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + PREFIX_END})


def _first_matches(parts, limit: int) -> set[int] | None:
    """The ids of every part, each part read up to ``limit`` rows, in one statement
    (SELECT … FROM (part LIMIT n) UNION ALL …); None when a part had more (cut short)."""
    from django.db import connection

    sqls, params = [], []
    for i, part in enumerate(parts):
        sql, p = part.query.sql_with_params()
        sqls.append(f"SELECT {i} AS part, x.* FROM ({sql} LIMIT {int(limit)}) x")  # noqa: S608 - Django's SQL, bound params
        params += p
    counts: dict[int, int] = {}
    ids: set[int] = set()
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(sqls), params)
        for part, pk in cursor.fetchall():
            counts[part] = counts.get(part, 0) + 1
            ids.add(pk)
    if any(n >= limit for n in counts.values()):
        return None
    return ids
