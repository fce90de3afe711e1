"""Matching a data set with the registry: set-based, a few statements per data set.

1. ONE ``INSERT … SELECT`` joins the data set's records with the active members of
   the registry (households not removed) inside the data set's area on the ID number
   and writes a ``Hit`` for every record that matched and had none yet: member,
   household, the household's area code, event date, amount, the cut-off of the area
   (the most specific identification ``CutoffDate``, as a CASE over the few cut-off rows) and the
   phase: before / after the cut-off (a date on the cut-off day is before), undated
   (no date or no cut-off: needs a decision like a hit before), or information only
   for kinds that never veto. Hits that need a decision open in the queue; the others
   are recorded for information.
2. Matching again (after the registry or a cut-off changed) adds the new hits and
   re-classifies the hits nobody has decided yet (two UPDATEs).
3. Records without an area of their own take their member's area (one UPDATE … FROM).
4. The counts by count kind (rules.COUNT_KINDS: the phase, the undated hits of an area with no
   cut-off date set, ``no_cutoff``, apart from those whose record has no date, ``undated``), as
   the statistics of the check count them (one aggregate query, queries.count_kinds); one bulk
   audit event with them, listing every hit created (INSERT … SELECT).

The SQL is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import time

from django.db import connection, transaction
from django.utils.translation import gettext as _

from fupin.areas import rules as area_rules
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.identification import engine
from fupin.identification import queries as identification_queries
from fupin.jobs.actions import NoProgress
from fupin.registry.models import Household, Member

from . import rules
from .models import ExternalDataset, ExternalRecord, Hit
from .queries import count_kinds

REMOVED = "removed"  # the registry's status of a household taken off the registry
ANALYZE_ROWS = 10_000  # more new hits than this refresh the planner's statistics
WORK_MEM = "64MB"  # PostgreSQL: memory for the hash join of the registry with the records (default 4MB)


def _ne() -> str:
    return "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"


def _names() -> dict:
    qn = connection.ops.quote_name
    return {"hit": qn(Hit._meta.db_table), "rec": qn(ExternalRecord._meta.db_table),
            "mem": qn(Member._meta.db_table), "hh": qn(Household._meta.db_table)}


_cutoffs_for = identification_queries.cutoff_rows  # identification owns the cut-off dates
cutoff_case = engine.cutoff_case


def area_range(column: str, prefix: str) -> tuple[str, list]:
    """SQL restricting ``column`` to the area ``prefix`` as an indexable range."""
    if not prefix:
        return "", []
    upper = area_rules.prefix_upper_bound(prefix)
    if upper is None:
        return f"AND {column} >= %s", [prefix]
    return f"AND {column} >= %s AND {column} < %s", [prefix, upper]


def phase_case(kind: rules.Kind, event: str, cutoff: str) -> str:
    """SQL giving a hit's phase from its event date and cut-off (rules.phase in SQL)."""
    if not kind.may_veto:
        return f"'{rules.INFO}'"
    return (f"CASE WHEN {event} IS NULL OR {cutoff} IS NULL THEN '{rules.UNDATED}' "
            f"WHEN {event} <= {cutoff} THEN '{rules.BEFORE}' ELSE '{rules.AFTER}' END")


def status_case(phase: str) -> str:
    needs = ", ".join(f"'{p}'" for p in rules.NEEDS_DECISION)
    return f"CASE WHEN {phase} IN ({needs}) THEN '{rules.OPEN}' ELSE '{rules.NOTED}' END"


# The statements, with table names as {hit} {rec} {mem} {hh} and the pieces built above
# as {status} {phase} {cutoff} {area}; every value is a parameter.
INSERT_HITS = """
INSERT INTO {hit} (dataset_id, record_id, member_id, household_id, area_code, kind, event_date, amount, cutoff,
                   phase, status, decision, reason, review_note, version, created_at)
SELECT q.dataset_id, q.record_id, q.member_id, q.household_id, q.area_code, %s, q.event_date, q.amount, q.cutoff,
       q.phase, {status}, '', '', '', 1, %s
FROM (SELECT p.*, {phase} AS phase
      FROM (SELECT r.dataset_id, r.id AS record_id, m.id AS member_id, m.household_id, h.area_code, r.event_date,
                   r.amount, {cutoff} AS cutoff
            FROM {rec} r JOIN {mem} m ON m.id_number = r.id_number JOIN {hh} h ON h.id = m.household_id
            WHERE r.dataset_id = %s AND m.active = %s AND h.status <> %s {area}
              AND NOT EXISTS (SELECT 1 FROM {hit} x WHERE x.record_id = r.id)) p) q
"""
UNDECIDED = "dataset_id = %s AND id <= %s AND decision = '' AND status IN (%s, %s)"
SET_CUTOFF = ("UPDATE {hit} SET cutoff = {cutoff} WHERE " + UNDECIDED  # noqa: S608 (a template: names from code)
              + " AND cutoff {ne} {cutoff}")
SET_PHASE = ("UPDATE {hit} SET phase = {phase}, status = {status}, version = version + 1 "  # noqa: S608 (a template)
             "WHERE " + UNDECIDED + " AND phase <> {phase}")
RECORD_AREAS = ("UPDATE {rec} SET area_code = x.area_code FROM {hit} x WHERE x.record_id = {rec}.id "
                "AND x.dataset_id = %s AND x.id > %s AND {rec}.dataset_id = %s AND {rec}.area_code = ''")
LAST_HIT = "SELECT COALESCE(MAX(id), 0) FROM {hit}"
NEW_HITS = "SELECT id AS object_id, 'created' AS change FROM {hit} WHERE dataset_id = %s AND id > %s"


def match_dataset(dataset: ExternalDataset, actor: Actor | None = None, progress=None) -> dict:
    """Match one data set with the registry; returns the counts (see the module doc)."""
    actor = actor or Actor.system("job")
    progress = progress or NoProgress()
    kind = rules.kind(dataset.kind)
    names = _names()
    prefix = rules.area_prefix(dataset.area_code)
    cutoffs = _cutoffs_for(prefix)
    started = time.perf_counter()
    now = clock.now()
    progress.set_total(4)

    def sql(template: str, **parts) -> str:
        return template.format_map({**names, **parts})

    with transaction.atomic(), connection.cursor() as cursor:
        def run(statement: str, params=()) -> int:
            cursor.execute(statement, params)
            return cursor.rowcount

        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL work_mem = '" + WORK_MEM + "'")
        cursor.execute(sql(LAST_HIT))
        (last_id,) = cursor.fetchone()
        # 1. the new hits
        cutoff, cutoff_params = cutoff_case("h.area_code", cutoffs)
        area, area_params = area_range("h.area_code", prefix)
        created = run(sql(INSERT_HITS, status=status_case("q.phase"), phase=phase_case(kind, "p.event_date", "p.cutoff"),
                          cutoff=cutoff, area=area),
                      [kind.code, now, *cutoff_params, dataset.pk, True, REMOVED, *area_params])
        progress.update(1)
        # 2. re-classify the hits nobody has decided yet (a cut-off may have changed)
        undecided = [dataset.pk, last_id, rules.OPEN, rules.NOTED]
        ne = _ne()
        if last_id:
            cutoff, cutoff_params = cutoff_case(names["hit"] + ".area_code", cutoffs)
            run(sql(SET_CUTOFF, cutoff=cutoff, ne=ne), [*cutoff_params, *undecided, *cutoff_params])
            phase = phase_case(kind, "event_date", "cutoff")
            run(sql(SET_PHASE, phase=phase, status=status_case(phase)), undecided)
        progress.update(2)
        # 3. records without an area of their own take their member's (the new hits')
        run(sql(RECORD_AREAS), [dataset.pk, last_id, dataset.pk])
        progress.update(3)
        if connection.vendor == "postgresql" and created >= ANALYZE_ROWS:
            cursor.execute(sql("ANALYZE {hit}"))  # the reports right after need fresh statistics
        # 4. counts and the audit event
        found = Hit.objects.filter(dataset=dataset).aggregate(**count_kinds())
        counts = {code: found[code] for code in rules.COUNT_KINDS}
        total = sum(counts.values())
        dataset.hit_count, dataset.matched_at = total, now
        dataset.save(update_fields=["hit_count", "matched_at"])
        result = {"created": created, "hits": total, **counts,
                  "seconds": round(time.perf_counter() - started, 2)}
        event = audit.record(actor, "comparison.match", obj=dataset, kind="bulk", count=created,
                             area_code=dataset.area_code, after={k: v for k, v in result.items() if k != "seconds"},
                             note=_("%(n)s new hits") % {"n": created})
        audit.record_items_select(event, sql(NEW_HITS), [dataset.pk, last_id])
        progress.update(4)
    return result
