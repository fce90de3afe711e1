"""Scoped reads of areas and units, and the names pages show for area codes."""

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from fupin.accounts.scoping import Scope, scope_for

from . import rules
from .models import Area, Unit

NAME_BATCH = 500  # codes per query of names(): well under SQLite's and PostgreSQL's parameter limits


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


# --- names for pages -----------------------------------------------------------------------------

def _full_code(key: str) -> str | None:
    """The area code a page's key names: a full code (12 digits, 15 for a village group)
    as it is, a prefix (2, 4, 6 or 9 significant digits) padded with zeros; None for
    anything else (not digits, another length, "00…")."""
    if len(key) in (2, 4, 6, 9):
        key = key.ljust(12, "0")
    return key if rules.is_valid_code(key) else None


def _path(code: str) -> list[str]:
    """The codes whose names make the path label of ``code``: a village by its township
    and itself, a village group by its township, village and itself; a larger area by itself."""
    level = rules.level_of(code)
    if level == rules.VILLAGE:
        return [code[:9] + "000", code]
    if level == rules.GROUP:
        return [code[:9] + "000", code[:12], code]
    return [code]


def _latest_names(codes: set[str]) -> dict[str, str]:
    """{code: name} of the current area of each code, else of its latest retired one (the
    greatest valid_to, then the latest row); one query per NAME_BATCH codes."""
    best: dict[str, tuple] = {}
    ordered = sorted(codes)
    for i in range(0, len(ordered), NAME_BATCH):
        rows = Area.objects.filter(code__in=ordered[i:i + NAME_BATCH]).values_list("code", "name", "valid_to", "id")
        for code, name, valid_to, pk in rows:
            rank = (valid_to is None, valid_to or dt.date.min, pk)
            if code not in best or rank > best[code][0]:
                best[code] = (rank, name)
    return {code: name for code, (_rank, name) in best.items()}


def names(codes: Iterable[str], *, path: bool = False) -> dict[str, str]:
    """{key: name} for the area codes a page shows: the one way every page names areas.

    A key is a full code (12 digits, 15 for a village group) or a prefix (2, 4, 6 or 9
    significant digits: '360729' is 全南县); the result is keyed by the keys as given.
    The name is the current area's; a code no longer current keeps the name it last had
    (its latest retired row). "" is the whole country ("whole country", translated).
    A key of no known area (or not a code at all) is **absent** from the result: the
    caller says what to show instead (``names.get(key, key)`` shows the code).

    ``path=True`` names a village by its township and itself and a village group by its
    township, village and itself, joined by spaces ("龙下乡 石桥村 第1村民小组"), the parts
    of no known area left out; larger areas by their own name.

    Queries: one per NAME_BATCH codes looked up, whatever the number of keys."""
    keys = {k for k in codes if k is not None}
    out: dict[str, str] = {"": _("whole country")} if "" in keys else {}
    parts = {}
    for k in keys:
        code = _full_code(k) if k else None
        if code is not None:
            parts[k] = _path(code) if path else [code]
    found = _latest_names({c for p in parts.values() for c in p})
    for k, p in parts.items():
        label = " ".join(found[c] for c in p if c in found)
        if label:
            out[k] = label
    return out
