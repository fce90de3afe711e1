"""The rule run: set-based SQL over every household of an area.

A run (actions.create_run) is executed here, by the job (tasks.py) or directly by
``run_rules(area_prefix, year)`` (benchmarks, the command line, tests):

1. the lines that apply are resolved in memory (a few hundred rows at most: the
   lines of the area, the areas above and inside it; derived lines are computed
   from their inputs; a what-if overrides values) and written to ``RunLine``;
2. for each part of the area (about ten ranges of household ids with the same
   number of households each — the progress bar advances per part) and each rule
   set that applies there, ONE
   ``INSERT … SELECT`` computes every household's outcome: the applicable line (the
   most specific area wins, the household's identification standard picks the
   kind), the per-capita income of the year, the basic guarantees not met (from
   household and member fields), the vetoes that fire (from ``MemberFact``) and the
   decision; no Python loop touches a household;
3. counts, and for a what-if the changes against the last real run by village, in
   one aggregate query each.

The SQL is the same on SQLite and PostgreSQL, except the status at the end of the
year: ROW_NUMBER() on SQLite, DISTINCT ON on PostgreSQL (same result, faster there).
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from fupin.areas import rules as area_rules
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.jobs.actions import NoProgress

from . import queries, rules
from .models import Criterion, MemberFact, RuleOutcome, RuleRun, RunLine

STANDARD_KIND = rules.STANDARD_KIND
VETOING = MemberFact.VETOING


# --- what the run uses ------------------------------------------------------------

def _effective_criteria(rulesets, changes: dict) -> list[dict]:
    """The rule sets as plain data, with a what-if's criterion changes applied."""
    by_code = {c["code"]: c for c in changes.get("criteria", [])}
    out = []
    for rs in rulesets:
        criteria = []
        for c in rs.criteria.all():
            item = {"code": c.code, "group": c.group, "enabled": c.enabled, "params": dict(c.params),
                    "label": c.label, "source": c.source}
            change = by_code.get(c.code)
            if change:
                if "enabled" in change:
                    item["enabled"] = change["enabled"]
                if "params" in change:
                    item["params"] = rules.check_params(c.code, c.group, {**item["params"], **change["params"]})
                item["changed"] = True
            criteria.append(item)
        out.append({"id": rs.pk, "name": rs.name, "area_prefix": rs.area_prefix, "combine": rs.combine,
                    "statuses": list(rs.statuses), "criteria": criteria})
    return out


def _write_run_lines(run: RuleRun) -> dict[int, list[str]]:
    """Resolve the lines of the run's year (with a what-if's overrides) into RunLine.
    Returns the prefix lengths present per kind (to join only those)."""
    book = queries.line_book(run.area_prefix, range(run.year - 10, run.year + 1))
    for ch in run.changes.get("lines", []):
        book.override(ch["kind"], run.year, ch["area_prefix"], Decimal(ch["value"]))
    rows = []
    for e in book.entries(run.year):
        inside = e["area_prefix"].startswith(run.area_prefix) or run.area_prefix.startswith(e["area_prefix"])
        if not inside:
            continue
        value, computation = book.value(e)
        rows.append(RunLine(run=run, kind=e["kind"], area_prefix=e["area_prefix"], line_id=e.get("id"),
                            annual_value=value, simulated=bool(e.get("simulated")), computation=computation))
    RunLine.objects.bulk_create(rows)
    return sorted({len(r.area_prefix) for r in rows})


# --- the statement ----------------------------------------------------------------

Bounds = tuple[str, str | None]  # lo <= area_code < hi (hi None: no upper bound)
IdRange = tuple[int | None, int | None]  # lo <= household id <= hi (None: open on that side)


def bounds(prefix: str) -> Bounds:
    """The codes under an area prefix, as a range."""
    return prefix, area_rules.prefix_upper_bound(prefix)


def _range(where: str | Bounds, column: str) -> tuple[str, list]:
    """SQL for ``column`` inside an area prefix or a range of codes (indexable)."""
    lo, hi = bounds(where) if isinstance(where, str) else where
    if not lo and hi is None:
        return "1 = 1", []
    if hi is None:
        return f"{column} >= %s", [lo]
    return f"({column} >= %s AND {column} < %s)", [lo, hi]


def cutoff_case(column: str, cutoffs: list[tuple[str, object]]) -> tuple[str, list]:
    """SQL giving the identification cut-off date of the area in ``column`` (NULL when
    none applies); ``cutoffs``: (prefix, date), most specific first (queries.cutoff_rows).
    Used by the rule run's vetoes and by comparison's matching."""
    # SQLite keeps dates as ISO text (and CAST … AS date would make them numbers).
    date_param = "CAST(%s AS date)" if connection.vendor == "postgresql" else "%s"
    if not cutoffs:
        return ("CAST(NULL AS date)" if connection.vendor == "postgresql" else "NULL"), []
    parts, params = [], []
    for prefix, date in cutoffs:
        value = connection.ops.adapt_datefield_value(date)
        if prefix:
            parts.append(f"WHEN {column} LIKE %s THEN {date_param}")
            params += [prefix + "%", value]
        else:
            parts.append(f"WHEN 1 = 1 THEN {date_param}")
            params.append(value)
    return "CASE " + " ".join(parts) + " END", params


def _in(values) -> tuple[str, list]:
    values = list(values)
    if not values:
        return "(NULL)", []
    return "(" + ", ".join(["%s"] * len(values)) + ")", values


def _ids(ids: IdRange | None, column: str) -> tuple[str, list]:
    """SQL (`` AND …``) keeping ``column`` (a household id) inside a part's id range."""
    if ids is None:
        return "", []
    sql, params = "", []
    if ids[0] is not None:
        sql += f" AND {column} >= %s"
        params.append(ids[0])
    if ids[1] is not None:
        sql += f" AND {column} <= %s"
        params.append(ids[1])
    return sql, params


def build_statement(run_id: int, year: int, rs: dict, part: str | Bounds, exclude: list[str],
                    prefix_lengths: list[int], cutoffs: list[tuple[str, object]] = (),
                    ids: IdRange | None = None) -> tuple[str, list]:
    """One INSERT … SELECT computing the outcome of every household of ``part`` (an
    area prefix or a range of codes) that rule set ``rs`` governs (``exclude``: prefixes of more specific
    rule sets inside it), or of the households of a range of ids there (``ids``: a part of a run)."""
    ops = connection.ops

    # Households of the part, minus the areas of more specific rule sets.
    where, p = _range(part, "h.area_code")
    params_where = list(p)
    id_sql, id_params = _ids(ids, "h.id")
    where += id_sql
    params_where += id_params
    for ex in exclude:
        cond, p = _range(ex, "h.area_code")
        where += f" AND NOT {cond}"
        params_where += p
    status_in, status_params = _in(rs["statuses"])
    # The household's status at the end of the run's year (the last StatusChange on or
    # before 31 December); without one, '' when it was identified later (not yet in the
    # registry then), else its current status.
    sc_range, sc_params = _range(part, "sc.area_code")
    sc_ids, sc_id_params = _ids(ids, "sc.household_id")
    sc_range += sc_ids
    sc_params = [*sc_params, *sc_id_params]
    status_expr = "COALESCE(st.status, CASE WHEN h.identified_year > %s THEN '' ELSE h.status END)"
    if connection.vendor == "postgresql":  # the same result, faster there
        status_join = (
            "LEFT JOIN (SELECT DISTINCT ON (sc.household_id) sc.household_id, sc.status "  # noqa: S608
            f"FROM registry_statuschange sc WHERE {sc_range} AND sc.date <= %s "
            "ORDER BY sc.household_id, sc.date DESC, sc.id DESC) st ON st.household_id = h.id")
    else:
        status_join = (
            "LEFT JOIN (SELECT x.household_id, x.status FROM (SELECT sc.household_id, sc.status, ROW_NUMBER() OVER "  # noqa: S608
            "(PARTITION BY sc.household_id ORDER BY sc.date DESC, sc.id DESC) AS rn FROM registry_statuschange sc "
            f"WHERE {sc_range} AND sc.date <= %s) x WHERE x.rn = 1) st ON st.household_id = h.id")
    status_join_params = [*sc_params, ops.adapt_datefield_value(dt.date(year, 12, 31))]

    kind_case = "CASE h.standard " + " ".join("WHEN %s THEN %s" for _k in STANDARD_KIND) + " ELSE '' END"
    kind_params = [x for code, kind in STANDARD_KIND.items() for x in (code, kind)]

    # The applicable line: the longest area prefix with a line of the household's kind.
    joins, jparams = [], []
    for n in prefix_lengths:
        area_expr = "''" if n == 0 else f"SUBSTR(b.area_code, 1, {n})"
        joins.append(f"LEFT JOIN identification_runline l{n} ON l{n}.run_id = %s AND l{n}.kind = b.line_kind "
                     f"AND l{n}.area_prefix = {area_expr}")
        jparams.append(run_id)
    longest = list(reversed(prefix_lengths))
    if longest:
        line_id = "CASE " + " ".join(f"WHEN l{n}.id IS NOT NULL THEN l{n}.id" for n in longest) + " END"
        line_value = "CASE " + " ".join(f"WHEN l{n}.id IS NOT NULL THEN l{n}.annual_value" for n in longest) + " END"
    else:
        line_id, line_value = "CAST(NULL AS BIGINT)", "CAST(NULL AS NUMERIC(12, 2))"

    enabled = [c for c in rs["criteria"] if c["enabled"]]
    guarantees = [c for c in enabled if c["group"] == Criterion.GUARANTEE and c["code"] in rules.GUARANTEE_CODES]
    vetoes = [c for c in enabled if c["group"] == Criterion.VETO]

    # Member-based guarantees, aggregated per household in one pass over the members.
    member_cols, member_params = [], []
    g_exprs, g_params = [], []
    for c in guarantees:
        code, prm = c["code"], c["params"]
        if code == "housing_unsafe":
            grades, p = _in(prm.get("grades", []))
            if rules.renovated_passes(prm):  # data: a C/D house renovated by the year is safe (exits alike)
                g_exprs.append(f"CASE WHEN c.danger_grade IN {grades} "
                               f"AND (c.renovated_year IS NULL OR c.renovated_year > %s) THEN %s ELSE '' END")
                g_params += [*p, year, f"{code},"]
            else:
                g_exprs.append(f"CASE WHEN c.danger_grade IN {grades} THEN %s ELSE '' END")
                g_params += [*p, f"{code},"]
        elif code == "water_unsafe":
            g_exprs.append("CASE WHEN c.water_safe = FALSE THEN %s ELSE '' END")
            g_params.append(f"{code},")
        elif code == "school_dropout":
            after, on_or_before = rules.birth_bounds(year, prm["min_age"], prm["max_age"], prm.get("on", "09-01"))
            statuses, p = _in(prm["statuses"])
            member_cols.append(f"MAX(CASE WHEN m.school_status IN {statuses} AND m.birth_date > %s "
                               f"AND m.birth_date <= %s THEN 1 ELSE 0 END) AS g_{code}")
            member_params += [*p, ops.adapt_datefield_value(after), ops.adapt_datefield_value(on_or_before)]
            g_exprs.append(f"CASE WHEN mg.g_{code} = 1 THEN %s ELSE '' END")
            g_params.append(f"{code},")
        elif code == "no_medical_insurance":
            member_cols.append(f"MAX(CASE WHEN m.medical_insurance = FALSE THEN 1 ELSE 0 END) AS g_{code}")
            g_exprs.append(f"CASE WHEN mg.g_{code} = 1 THEN %s ELSE '' END")
            g_params.append(f"{code},")

    # Vetoes: per household, the first fact that fires each one, in one pass over the facts.
    fact_cols, fact_params = [], []
    v_exprs, v_params = [], []
    for i, c in enumerate(vetoes):
        prm = c["params"]
        kinds, p = _in(prm["fact_kinds"])
        cond, cparams = f"f.kind IN {kinds}", list(p)
        if prm.get("min_value") not in (None, ""):
            cond += " AND f.value > %s"
            cparams.append(ops.adapt_decimalfield_value(Decimal(prm["min_value"]), 12, 2))
        if not prm.get("relatives"):
            cond += " AND f.relation = ''"
        if cutoffs:  # a fact dated after its area's identification cut-off never vetoes (seed 003)
            cond += " AND (f.as_of IS NULL OR f.cutoff IS NULL OR f.as_of <= f.cutoff)"
        fact_cols.append(f"MIN(CASE WHEN {cond} THEN f.id END) AS v{i}")
        fact_params += cparams
        v_exprs.append(f"COALESCE(%s || CAST(fv.v{i} AS VARCHAR(20)) || ',', '')")
        v_params.append(f"{c['code']}:")

    member_join = ""
    if member_cols:
        mrange, mp = _range(part, "m.area_code")
        m_ids, m_id_params = _ids(ids, "m.household_id")
        mrange, mp = mrange + m_ids, [*mp, *m_id_params]
        member_join = (f"LEFT JOIN (SELECT m.household_id, {', '.join(member_cols)} FROM registry_member m "  # noqa: S608 (names from code, values as parameters)
                       f"WHERE m.active = TRUE AND {mrange} GROUP BY m.household_id) mg ON mg.household_id = c.hid")
        member_params = member_params + mp
    fact_join = ""
    if fact_cols:
        frange, fp = _range(part, "fh.area_code")
        f_ids, f_id_params = _ids(ids, "f.household_id")
        frange, fp = frange + f_ids, [*fp, *f_id_params]
        vetoing, vp = _in(VETOING)
        cut, cutp = cutoff_case("fh.area_code", list(cutoffs))
        fact_join = (f"LEFT JOIN (SELECT f.household_id, {', '.join(fact_cols)} FROM (SELECT f.id, f.household_id, "  # noqa: S608 (names from code, values as parameters)
                     f"f.kind, f.value, f.relation, f.as_of, {cut} AS cutoff FROM identification_memberfact f "
                     f"JOIN registry_household fh ON fh.id = f.household_id WHERE {frange} AND f.status IN {vetoing}"
                     f") f GROUP BY f.household_id) fv ON fv.household_id = c.hid")
        fact_params = fact_params + cutp + fp + vp

    g_sql = " || ".join(g_exprs) if g_exprs else "''"
    v_sql = " || ".join(v_exprs) if v_exprs else "''"
    ok = {
        "or": "(d.income_below = TRUE OR d.g <> '')",
        "and": "(d.income_below = TRUE AND d.g <> '')",
        "income": "(d.income_below = TRUE)",
        "guarantees": "(d.g <> '')",
    }[rs["combine"]]
    decision = f"({ok} AND d.v = '')"
    expected, ep = _in(rules.EXPECTED_ELIGIBLE)

    sql = f"""
INSERT INTO identification_ruleoutcome
  (run_id, household_id, area_code, status, ruleset_id, line_kind, line_id, line_value, per_capita,
   income_below, guarantees, vetoes, eligible, flagged)
SELECT %s, d.hid, d.area_code, d.status, %s, d.line_kind, d.line_id, d.line_value, d.per_capita,
       d.income_below, d.g, d.v,
       CASE WHEN {decision} THEN TRUE ELSE FALSE END,
       CASE WHEN {decision} THEN (CASE WHEN d.status IN {expected} THEN FALSE ELSE TRUE END)
            ELSE (CASE WHEN d.status IN {expected} THEN TRUE ELSE FALSE END) END
FROM (
  SELECT c.hid, c.area_code, c.status, c.line_kind, c.line_id, c.line_value, c.per_capita,
         CASE WHEN c.per_capita IS NULL OR c.line_value IS NULL THEN NULL
              WHEN c.per_capita < c.line_value THEN TRUE ELSE FALSE END AS income_below,
         {g_sql} AS g,
         {v_sql} AS v
  FROM (
    SELECT b.*, {line_id} AS line_id, {line_value} AS line_value
    FROM (
      SELECT h.id AS hid, h.area_code, {status_expr} AS status, h.danger_grade, h.renovated_year, h.water_safe,
             i.per_capita,
             {kind_case} AS line_kind
      FROM registry_household h
      LEFT JOIN registry_income i ON i.household_id = h.id AND i.year = %s
      {status_join}
      WHERE {where}
    ) b
    {' '.join(joins)}
    WHERE b.status IN {status_in} OR b.status = ''
  ) c
  {member_join}
  {fact_join}
) d
"""  # noqa: S608 (names from code, every value a parameter)
    # The parameters in the order their placeholders appear in the text: the run and
    # rule set; ``expected`` twice (flagged); the guarantee and veto CASEs; the innermost SELECT
    # (status, kind CASE, income year, status join, where); the line joins and the
    # statuses checked; the member join; the fact join.
    params = [run_id, rs["id"], *ep, *ep, *g_params, *v_params, year, *kind_params, year, *status_join_params,
              *params_where, *jparams, *status_params, *member_params, *fact_params]
    assert sql.count("%s") == len(params), (sql.count("%s"), len(params))
    return sql, params


# --- the run ----------------------------------------------------------------------

PARTS = 10  # statements per rule set in a run: the steps of its progress bar
MIN_PART = 5_000  # households; a smaller area is one statement (it takes well under a second)


def _parts(area_prefix: str, target: int = PARTS, min_size: int = MIN_PART) -> list[IdRange]:
    """The area's households cut into about ``target`` ranges of household ids of equal
    width between the area's lowest and highest id (at least ``min_size`` households a
    part on average), for the progress bar. One aggregate (count, min, max); a window
    function cutting parts of exactly equal size cost 4–8 × as much at province scale
    for a progress bar. An area's households are mostly created together (the registry
    import), so the parts are of similar size. The first range is open below and the
    last open above, so that the parts cover every household of the area, whatever is
    added meanwhile.

    Ranges of ids, not of area codes: each part's statement then reads the members,
    status changes and facts of its households through the household-id indexes, in id
    order, like the single statement over the whole area does (parts cut by area code
    read them through the area-code indexes and cost about 1.3 × their share)."""
    where, params = _range(area_prefix, "area_code")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), MIN(id), MAX(id) FROM registry_household WHERE {where}", params)  # noqa: S608 (names from code, values as parameters)
        count, low, high = cursor.fetchone()
    target = min(target, count // max(min_size, 1))
    if target <= 1:
        return [(None, None)]
    width = -(-(high - low + 1) // target)  # ceiling
    starts = [low + k * width for k in range(target) if low + k * width <= high]
    return [(None if k == 0 else start, None if k == len(starts) - 1 else start + width - 1)
            for k, start in enumerate(starts)]


def execute(run: RuleRun, progress=None, *, split: bool = True) -> RuleRun:
    """Compute every household's outcome for the run. On failure the run's outcomes
    are removed and the run is marked failed (nothing half-written stays).
    ``split=False`` runs the whole area in one statement per rule set (no progress
    steps; for benchmarks)."""
    progress = progress or NoProgress()
    started = time.monotonic()
    statements: list[int] = []
    RuleRun.objects.filter(pk=run.pk).update(status=RuleRun.RUNNING)
    try:
        rulesets = queries.applicable_rulesets(run.area_prefix, run.year)
        if not rulesets:
            raise ValueError(_("No rule set applies in %(year)s to this area.") % {"year": run.year})
        conf = _effective_criteria(rulesets, run.changes)
        prefix_lengths = _write_run_lines(run)
        cutoffs = queries.cutoff_rows(run.area_prefix)
        parts = _parts(run.area_prefix) if split else [None]
        progress.set_total(len(parts))
        progress.log(_("%(n)s parts, %(r)s rule sets") % {"n": len(parts), "r": len(conf)})
        for done, ids in enumerate(parts, start=1):
            for i, rs in enumerate(conf):
                # The base rule set governs the whole run area, a rule set inside it its own area,
                # minus the areas of rule sets more specific still.
                governs = rs["area_prefix"] if len(rs["area_prefix"]) > len(run.area_prefix) else run.area_prefix
                inner = [o["area_prefix"] for o in conf[i + 1:]
                         if len(o["area_prefix"]) > len(governs) and o["area_prefix"].startswith(governs)]
                sql, params = build_statement(run.pk, run.year, rs, bounds(governs), inner, prefix_lengths,
                                              cutoffs, ids)
                t0 = time.monotonic()
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                statements.append(round((time.monotonic() - t0) * 1000))
            progress.update(done)
        prepared_ms = round((time.monotonic() - started) * 1000) - sum(statements)
        summary = _summarise(run)
        summary["timing_ms"] = {"prepare": prepared_ms, "statements": sum(statements), "count": len(statements),
                                "summary": round((time.monotonic() - started) * 1000) - prepared_ms - sum(statements)}
    except Exception:
        RuleOutcome.objects.filter(run=run).delete()
        RunLine.objects.filter(run=run).delete()
        RuleRun.objects.filter(pk=run.pk).update(status=RuleRun.FAILED, finished_at=clock.now())
        raise
    counts = summary.pop("_counts")
    RuleRun.objects.filter(pk=run.pk).update(
        status=RuleRun.DONE, used={"rulesets": conf, "cutoffs": [{"area_prefix": p, "date": d.isoformat()}
                                                                    for p, d in cutoffs]}, summary=summary, finished_at=clock.now(),
        duration_ms=int((time.monotonic() - started) * 1000), **counts)
    run.refresh_from_db()
    return run


def _summarise(run: RuleRun) -> dict:
    agg = RuleOutcome.objects.filter(run=run).aggregate(
        households=Count("household"), eligible=Count("household", filter=Q(eligible=True)),
        flagged=Count("household", filter=Q(flagged=True)))
    summary = {"_counts": {**agg, "changed": 0}}
    if run.is_simulation and run.based_on_id:
        summary["by_village"] = compare(run, run.based_on)
        summary["_counts"]["changed"] = sum(v["to_eligible"] + v["to_not_eligible"] for v in summary["by_village"])
        summary["not_in_base"] = RuleOutcome.objects.filter(run=run).exclude(
            household_id__in=RuleOutcome.objects.filter(run_id=run.based_on_id).values("household_id")).count()
    return summary


def compare(run: RuleRun, base: RuleRun) -> list[dict]:
    """How many households changed outcome between ``base`` and ``run``, by village
    (one aggregate query)."""
    sql = """
SELECT SUBSTR(s.area_code, 1, 12) AS village,
       SUM(CASE WHEN s.eligible = TRUE THEN 1 ELSE 0 END) AS to_eligible,
       SUM(CASE WHEN s.eligible = FALSE THEN 1 ELSE 0 END) AS to_not_eligible
FROM identification_ruleoutcome s
JOIN identification_ruleoutcome b ON b.run_id = %s AND b.household_id = s.household_id
WHERE s.run_id = %s AND s.eligible <> b.eligible
GROUP BY SUBSTR(s.area_code, 1, 12)
ORDER BY 1
"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [base.pk, run.pk])
        return [{"village": v, "to_eligible": int(a or 0), "to_not_eligible": int(b or 0)}
                for v, a, b in cursor.fetchall()]


def run_rules(area_prefix: str, year: int, *, changes: dict | None = None, actor: Actor | None = None,
              split: bool = True) -> RuleRun:
    """Run the rules over an area now, without the UI or the job worker (benchmarks,
    the command line). Acts as the system unless an actor is given."""
    from . import actions

    actor = actor or Actor.system()
    run = actions.create_run(actor, area_prefix.ljust(12, "0") if area_prefix else "", year, changes=changes)
    run = execute(run, split=split)
    _audit_done(actor, run)
    return run


def _audit_done(actor: Actor, run: RuleRun) -> None:
    """One event with the counts (the outcomes table itself is the run's record)."""
    audit.record(actor, "identification.run.done", obj=run, count=run.households,
                 after={"households": run.households, "eligible": run.eligible, "flagged": run.flagged,
                        "changed": run.changed, "duration_ms": run.duration_ms})


@transaction.atomic
def delete_outcomes(run: RuleRun) -> None:
    RuleOutcome.objects.filter(run=run).delete()
