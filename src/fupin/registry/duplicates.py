"""Possible duplicates: members who may be the same person without an ID match.

Two kinds of pair, each found by one self-join of registry_member restricted to the
area (an indexed range) and inserted with ``INSERT … SELECT``:

- ``name_birth_village``: the same name and birth date in the same village;
- ``pinyin_one_char``: the same name in pinyin (Member.name_pinyin), the same number
  of characters, exactly one character different (张伟 / 张玮), in the same township;
  with the data-file parameter ``pinyin_pair_same_birth`` the birth dates must also be
  equal (or one unknown), so that a child and a grandparent with homophone names are
  not proposed.

Only active members are paired, both inside the area searched. A pair is stored once
(a < b) as a pending DuplicateCandidate whose area is the village both live in, or the
township for a pair across villages, so a village cadre sees the pairs of their village
and the township sees the rest. Nothing is ever merged: a person decides
(actions.decide_duplicate).

The queue fills by itself (issue 3), with the same rules (``_store_pairs``, their one place):

- a registry import, once committed, queues the search over its area as a job
  (``after_import``, called by importers._after_import);
- adding or changing a member, or moving a household to another village, pairs that member
  (those members) at once, in the action's transaction (``find_for_members``): the member
  against the active members of its township, with the member's id in the join, so the
  statements read a few rows by index, not the township.

The search of the page (``start``, ``find``) looks through an area again: after the data-file
parameters change, or for members written before (or without) the two paths above.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import lru_cache

from django.db import connection, transaction
from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Length
from django.tasks import task
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fupin.accounts.scoping import Scope, require, scope_for
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Invalid

from . import quality
from .actions import pinyin
from .models import DuplicateCandidate, Member

NAME_BIRTH_VILLAGE, PINYIN_ONE_CHAR = "name_birth_village", "pinyin_one_char"
BATCH = 500
# The longest names compared character by character (Member.name holds 60).
LONGEST_COMPARED = Member._meta.get_field("name").max_length

log = logging.getLogger(__name__)


def reason_label(code: str) -> str:
    labels = {
        NAME_BIRTH_VILLAGE: _("Same name and birth date in the same village"),
        PINYIN_ONE_CHAR: _("Same name in pinyin, one character different, same township"),
    }
    return labels.get(code, code)


def _write_pinyin(rows: list[tuple[int, str]]) -> None:
    """One UPDATE … FROM (VALUES …) for a batch of (member id, pinyin): PostgreSQL and SQLite
    (3.33 and later) both name the columns of a VALUES list column1, column2."""
    table = connection.ops.quote_name(Member._meta.db_table)
    values = ", ".join(["(%s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET name_pinyin = v.column2 FROM (VALUES {values}) AS v "  # noqa: S608
                       f"WHERE {table}.id = v.column1", [x for row in rows for x in row])


def fill_pinyin(actor: Actor, scope: Scope) -> int:
    """Give name_pinyin to the area's members lacking it: batches of ``BATCH`` rows read by
    primary key, converted with pypinyin (once per distinct name), written with one UPDATE per
    batch. One audit event (its count taken first: the audit log is append-only) with the
    touched member ids as its items."""
    qs = scope.filter(Member.objects.filter(name_pinyin="").exclude(name=""))
    todo = qs.count()
    if not todo:
        return 0
    event = audit.record(actor, "registry.member.pinyin", kind="bulk", object_type="registry.member",
                         area_code=scope.prefixes[0].ljust(12, "0") if scope.prefixes else "", count=todo)
    convert = lru_cache(maxsize=50_000)(lambda name: pinyin(name)[:120])
    total, last = 0, 0
    while True:
        batch = list(qs.filter(pk__gt=last).order_by("pk").values_list("pk", "name")[:BATCH])
        if not batch:
            break
        with transaction.atomic():
            _write_pinyin([(pk, convert(name)) for pk, name in batch])
            audit.record_items(event, ((pk, "updated") for pk, _name in batch))
        total += len(batch)
        last = batch[-1][0]
    return total


def _bounds(prefix: str) -> tuple[str, str]:
    upper = area_rules.prefix_upper_bound(prefix)
    return prefix, upper if upper is not None else "~"


PAIR_COLUMNS = ("a_id", "b_id", "area_code", "reason", "status", "note", "created_at")
VILLAGE_OF = "SUBSTR({m}.area_code, 1, 12)"
TOWNSHIP_OF = "SUBSTR({m}.area_code, 1, 9)"


def _insert_pairs(*, reason: str, on: str, where: str, pair_area: str, prefix: str, stamp, only: str = "",
                  only_params: Iterable = (), bounded: bool = True) -> int:
    """INSERT … SELECT the pending pairs (m1, m2) of active members, both inside the area
    ``prefix``, joined ``on`` and filtered by ``where`` (and ``only``, with ``only_params``: the
    members a targeted search is about), that are not stored yet. A pair another transaction
    stores at the same moment (a member saved while the search of an import runs) is left to
    it (ON CONFLICT DO NOTHING, on both databases: the SELECT has its WHERE, as SQLite needs).

    ``bounded=False`` leaves the area's range of codes out of the statement, for a targeted
    search whose ``where`` already keeps both members inside ``prefix`` (``_store_pairs``)."""
    qn = connection.ops.quote_name
    member, candidate = qn(Member._meta.db_table), qn(DuplicateCandidate._meta.db_table)
    columns = ", ".join(qn(c) for c in PAIR_COLUMNS)
    lo, hi = _bounds(prefix)
    bounds = ("AND m1.area_code >= %s AND m1.area_code < %s AND m2.area_code >= %s AND m2.area_code < %s "
              if bounded else "")
    statement = (
        f"INSERT INTO {candidate} ({columns}) "  # noqa: S608 (names from the models; every value is a parameter)
        f"SELECT m1.id, m2.id, {pair_area}, %s, %s, '', %s "
        f"FROM {member} m1 JOIN {member} m2 ON m2.id > m1.id AND {on} "
        f"WHERE m1.active = %s AND m2.active = %s {bounds}"
        f"AND NOT EXISTS (SELECT 1 FROM {candidate} d WHERE d.a_id = m1.id AND d.b_id = m2.id) "
        f"AND {where}{f' AND {only}' if only else ''} ON CONFLICT DO NOTHING"
    )
    params = [reason, DuplicateCandidate.PENDING, connection.ops.adapt_datetimefield_value(stamp), True, True,
              *([lo, hi, lo, hi] if bounded else []), *only_params]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return max(cursor.rowcount, 0)


def _one_character_differs(length: int) -> str:
    """SQL: m1.name and m2.name (of equal length ≤ ``length``) differ in exactly one position."""
    terms = " + ".join(f"CASE WHEN SUBSTR(m1.name, {i}, 1) <> SUBSTR(m2.name, {i}, 1) THEN 1 ELSE 0 END"
                       for i in range(1, length + 1))
    return f"({terms}) = 1"


def _store_pairs(prefix: str, stamp, longest: int, restrictions: list[tuple[str, list]]) -> dict[str, int]:
    """The pair rules, their one place: store the pairs of each reason among the active members
    inside ``prefix`` (module docstring), once for each (SQL, parameters) of ``restrictions``
    (``[("", [])]``: every pair of the area; a targeted search: the pairs of some members).
    ``longest`` is the longest name compared character by character (0: no pinyin pairs).
    Returns the number of new pairs by reason.

    A targeted search (``restrictions`` with SQL) is about members inside ``prefix``, a township
    or a wider area (find_for_members: each member's township), so both rules' conditions (the
    same village; the same township) keep the other member of a pair inside it too: its
    statements leave the area's range of codes out (``bounded=False``). They must: the planner
    estimates a township's range of codes at one row (a range far narrower than a bucket of the
    histogram, between codes of 12 and 15 characters; about 630 members in the province
    benchmark), reads the member through that range instead of its primary key, and then the
    whole township again for every member of it — 630² rows, 0.3 s a statement, where the
    primary key and the index on name or pinyin read a few rows (docs/benchmarks.md, "Possible
    duplicates at province scale")."""
    targeted = any(only for only, _params in restrictions)
    if targeted and len(prefix) > area_rules.PREFIX_LENGTH[area_rules.TOWNSHIP]:
        raise ValueError(f"a targeted search is about a township or a wider area, not {prefix!r}")
    v1, v2 = VILLAGE_OF.format(m="m1"), VILLAGE_OF.format(m="m2")
    t1, t2 = TOWNSHIP_OF.format(m="m1"), TOWNSHIP_OF.format(m="m2")
    pinyin_where = (f"m1.name_pinyin <> '' AND m1.name <> m2.name AND LENGTH(m1.name) = LENGTH(m2.name) "
                    f"AND {t2} = {t1} AND {_one_character_differs(min(longest, LONGEST_COMPARED))}")
    if quality.param("pinyin_pair_same_birth"):
        pinyin_where += " AND (m1.birth_date = m2.birth_date OR m1.birth_date IS NULL OR m2.birth_date IS NULL)"
    counts = dict.fromkeys((NAME_BIRTH_VILLAGE, PINYIN_ONE_CHAR), 0)
    for only, only_params in restrictions:
        counts[NAME_BIRTH_VILLAGE] += _insert_pairs(
            reason=NAME_BIRTH_VILLAGE, prefix=prefix, stamp=stamp, pair_area=v1, only=only, only_params=only_params,
            on="m2.name = m1.name AND m2.birth_date = m1.birth_date", where=f"{v2} = {v1}", bounded=not only)
        if longest:
            counts[PINYIN_ONE_CHAR] += _insert_pairs(
                reason=PINYIN_ONE_CHAR, prefix=prefix, stamp=stamp, on="m2.name_pinyin = m1.name_pinyin",
                pair_area=f"CASE WHEN {v2} = {v1} THEN {v1} ELSE {t1} || '000' END", where=pinyin_where,
                only=only, only_params=only_params, bounded=not only)
    return counts


def find(actor: Actor, area: Area) -> dict[str, int]:
    """Find and store the area's possible duplicates. Returns the number of new pairs by reason."""
    require(actor, "registry.edit", area.code)
    scope = Scope([area.prefix])
    filled = fill_pinyin(actor, scope)
    stamp = clock.now()
    with transaction.atomic():
        longest = scope.filter(Member.objects.filter(active=True).exclude(name_pinyin="")).aggregate(
            n=Max(Length("name")))["n"] or 0
        counts = _store_pairs(area.prefix, stamp, longest, [("", [])])
        created = sum(counts.values())
        event = audit.record(actor, "registry.duplicate.find", kind="bulk", object_type="registry.duplicatecandidate",
                             object_repr=area.name, area_code=area.code, count=created,
                             after={**counts, "pinyin_filled": filled})
        if created:
            new = scope.filter(DuplicateCandidate.objects.filter(created_at=stamp)).values_list("pk", flat=True)
            audit.record_items(event, ((pk, "created") for pk in new.iterator(chunk_size=5000)))
    return counts


@transaction.atomic
def find_for_members(actor: Actor, members: Iterable[Member] | QuerySet) -> dict[str, int]:
    """Store the possible duplicates of ``members`` (Member objects, or a queryset of them) at
    once, in the caller's transaction: the actions that add or change a member and move a
    household call it (they have checked permission). Each active member is compared with the
    active members of its township by the rules of ``find`` (``_store_pairs``), restricted to
    pairs it is part of: two statements a reason, one with the members as m1, one as m2, each
    reading the members by primary key and their possible twins through the index on name or
    pinyin. A member without pinyin gets it first. Nothing is merged, nothing is stored twice.
    One audit event (``registry.duplicate.find`` at the township, its pairs as items) when a
    pair was stored or a pinyin written; none otherwise. Returns the new pairs by reason."""
    ids = members.values("pk") if isinstance(members, QuerySet) else [m.pk for m in members]
    rows = list(Member.objects.filter(pk__in=ids, active=True).exclude(name="").order_by("pk")
                .values_list("pk", "area_code", "name", "name_pinyin"))
    counts = dict.fromkeys((NAME_BIRTH_VILLAGE, PINYIN_ONE_CHAR), 0)
    if not rows:
        return counts
    filled = [(pk, pinyin(name)) for pk, _code, name, name_pinyin in rows if not name_pinyin]
    if filled:
        _write_pinyin(filled)
    townships: dict[str, list[tuple[int, str]]] = {}
    for pk, code, name, _name_pinyin in rows:
        townships.setdefault(code[:area_rules.PREFIX_LENGTH[area_rules.TOWNSHIP]], []).append((pk, name))
    stamp = clock.now()
    for prefix, found in sorted(townships.items()):
        pks = [pk for pk, _name in found]
        found_ids = set(pks)
        marks = ", ".join(["%s"] * len(pks))
        longest = max(len(name) for _pk, name in found)
        here = _store_pairs(prefix, stamp, longest, [(f"m1.id IN ({marks})", pks), (f"m2.id IN ({marks})", pks)])
        created, pinyin_filled = sum(here.values()), sum(1 for pk, _py in filled if pk in found_ids)
        if created or pinyin_filled:
            event = audit.record(actor, "registry.duplicate.find", kind="bulk",
                                 object_type="registry.duplicatecandidate",
                                 object_repr="、".join(name for _pk, name in found)[:200],
                                 area_code=prefix.ljust(12, "0"), count=created,
                                 after={**here, "pinyin_filled": pinyin_filled})
            new = DuplicateCandidate.objects.filter(Q(a_id__in=pks) | Q(b_id__in=pks), created_at=stamp)
            audit.record_items(event, ((pk, "created") for pk in new.values_list("pk", flat=True)))
        for reason, n in here.items():
            counts[reason] += n
    return counts


@task()
def find_duplicates_task(job_id: str) -> None:
    from fupin.jobs.actions import run as run_job

    def body(progress):
        area = quality.check_area(progress.actor, progress.params["area_code"])
        progress.set_total(2)
        counts = find(progress.actor, area)
        total = sum(counts.values())
        progress.update(2)
        progress.succeed({"pairs": counts}, message=ngettext("%(n)s possible duplicate found.",
                                                                  "%(n)s possible duplicates found.", total) % {"n": total})

    run_job(job_id, body)


def start(actor: Actor, area_code: str):
    from fupin.jobs import actions as jobs

    area = quality.check_area(actor, area_code)
    return jobs.start(actor, find_duplicates_task, kind="registry.duplicates",
                      title=_("Possible duplicates in %(area)s") % {"area": area.name}, area_code=area.code,
                      params={"area_code": area.code})


def after_import(area_code: str, changed: int) -> list:
    """Called when a registry import has committed (importers._after_import): queue the search
    of ``find`` as a job over the import's area (``area_code``, the smallest area holding
    every household it wrote), as the system, when the import wrote anything (``changed``:
    households and members created or changed). An import across provinces (no common
    area) queues one job a province holding members. An area that cannot be searched (gone
    since) is logged, not raised: the import has committed. Returns the jobs."""
    if not changed:
        return []
    if area_code:
        codes = [area_code]
    else:
        provinces = Area.objects.filter(level=area_rules.PROVINCE, valid_to__isnull=True).order_by("code")
        codes = [p.code for p in provinces if Scope([p.prefix]).filter(Member.objects.all()).exists()]
    jobs = []
    for code in codes:
        try:
            jobs.append(start(Actor.system("job"), code))
        except Invalid:
            log.warning("no duplicates search after the import: area %s cannot be searched", code, exc_info=True)
    return jobs


# --- scoped reads ---------------------------------------------------------------------

def candidates(user, perm: str = "registry.edit"):
    return scope_for(user, perm).filter(
        DuplicateCandidate.objects.select_related("a__household__village", "b__household__village", "decided_by"))
