"""What the pages and the API show: area names, the one-sentence reason of an outcome,
the line that applies to a household year by year. Reads only what the caller may
see (facts through the scoped query)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fupin.areas import queries as area_queries
from fupin.core import present
from fupin.registry import codes as registry_codes

from . import queries, rules
from .models import Line, RuleOutcome, RuleRun, RuleSet, RunLine


def area_names(prefixes: Iterable[str]) -> dict[str, str]:
    """{prefix: name} of the areas of lines, rule sets and runs ("" is the whole country;
    a retired area keeps its last name; an unknown prefix is absent): areas.queries.names."""
    return area_queries.names(prefixes)


def _month_day(text: str) -> str:
    """'09-01' as the reader writes a day of the year (9月1日, September 1)."""
    try:
        month, day = (int(x) for x in str(text).split("-"))
        return date_format(dt.date(2001, month, day), "MONTH_DAY_FORMAT")
    except (TypeError, ValueError):
        return str(text)


def describe_params(params) -> list[tuple[str, str]]:
    """A criterion's parameters as (label, value) pairs for people: fact kinds and codes by
    their labels, yes/no, amounts in yuan (the page showed the Python dict)."""
    if not isinstance(params, dict):
        return [] if params in (None, "", {}) else [(_("Parameters"), present.plain(params))]
    p = dict(params)
    out: list[tuple[str, str]] = []
    if "fact_kinds" in p:
        kinds = p.pop("fact_kinds") or []
        out.append((_("Facts that veto"), present.join(rules.FACT_KINDS.get(k, k) for k in kinds) or "—"))
    if "min_value" in p:
        amount = p.pop("min_value")
        out.append((_("Only above the amount"), _("any amount") if amount in (None, "") else
                    _("%(amount)s yuan") % {"amount": rules.money(amount)}))
    if "relatives" in p:
        out.append((_("Relatives outside the household count"), present.plain(bool(p.pop("relatives")))))
    if "grades" in p:
        grades = p.pop("grades") or []
        out.append((_("Dangerous-house grades"), present.join(registry_codes.label("danger_grade", g) for g in grades) or "—"))
    if "renovated_passes" in p:
        out.append((_("A renovated house counts as safe"), present.plain(bool(p.pop("renovated_passes")))))
    if "min_age" in p or "max_age" in p:
        low, high = p.pop("min_age", None), p.pop("max_age", None)
        out.append((_("Compulsory-school ages"), _("%(min)s to %(max)s years old") % {
            "min": "—" if low is None else low, "max": "—" if high is None else high}))
    if "on" in p:
        out.append((_("Ages counted on"), _month_day(p.pop("on"))))
    if "statuses" in p:
        statuses = p.pop("statuses") or []
        out.append((_("School statuses meaning out of school"),
                    present.join(registry_codes.label("school_status", s) for s in statuses) or "—"))
    out += [(str(key), present.plain(value)) for key, value in p.items()]
    return out


def _fact_dict(f) -> dict:
    return {"kind": f.kind, "value": f.value, "as_of": f.as_of.isoformat() if f.as_of else None, "status": f.status,
            "person": f.person_name or (f.member.name if f.member_id else "")}


def explain_outcomes(user, run: RuleRun, outcomes: list[RuleOutcome]) -> list[tuple[RuleOutcome, str]]:
    """Each outcome with its one sentence (in the reader's language)."""
    rulesets = {rs["id"]: rs for rs in run.used.get("rulesets", [])}
    missing = {o.ruleset_id for o in outcomes} - set(rulesets)
    for rs in RuleSet.objects.filter(pk__in=missing).prefetch_related("criteria"):
        rulesets[rs.pk] = {"combine": rs.combine,
                           "criteria": [{"code": c.code, "label": c.display_label} for c in rs.criteria.all()]}
    run_lines = RunLine.objects.in_bulk({o.line_id for o in outcomes if o.line_id})
    fact_ids = {fid for o in outcomes for _code, fid in rules.parse_vetoes(o.vetoes) if fid}
    facts = {f.pk: _fact_dict(f) for f in queries.facts(user).filter(pk__in=fact_ids).select_related("member")}
    out = []
    for o in outcomes:
        rs = rulesets.get(o.ruleset_id, {"combine": "or", "criteria": []})
        labels = {c["code"]: c.get("label") or rules.criterion_label(c["code"]) for c in rs.get("criteria", [])}
        rl = run_lines.get(o.line_id)
        sentence = rules.explain({
            "eligible": o.eligible, "combine": rs.get("combine", "or"), "year": run.year,
            "income_below": o.income_below, "per_capita": o.per_capita, "line_kind": o.line_kind,
            "line_value": o.line_value, "line_simulated": bool(rl and rl.simulated),
            "guarantees": rules.parse_codes(o.guarantees), "labels": labels,
            "vetoes": [(labels.get(code) or rules.criterion_label(code), facts.get(fid))
                       for code, fid in rules.parse_vetoes(o.vetoes)],
        })
        out.append((o, sentence))
    return out


def run_counts(user, run: RuleRun) -> dict:
    """A run's totals as the user may see them: the run's own when its whole area is
    the user's, otherwise counted over the user's areas only."""
    from django.db.models import Count, Q

    from fupin.accounts.scoping import scope_for

    scope = scope_for(user, "registry.view")
    by_village = [v for v in run.summary.get("by_village", []) if scope.is_everything or scope.contains(v["village"])]
    if queries.covers_all(user, run):
        return {"households": run.households, "eligible": run.eligible, "flagged": run.flagged,
                "changed": run.changed, "by_village": by_village, "partial": False}
    agg = queries.outcomes(user, run).aggregate(households=Count("household"), eligible=Count("household", filter=Q(eligible=True)),
                                                flagged=Count("household", filter=Q(flagged=True)))
    return {**agg, "changed": sum(v["to_eligible"] + v["to_not_eligible"] for v in by_village),
            "by_village": by_village, "partial": True}


def _visible_prefix(user):
    """A test: whether an area prefix is above or inside the user's areas."""
    from fupin.accounts.scoping import scope_for

    scope = scope_for(user, "registry.view")
    if scope.is_everything:
        return lambda prefix: True
    above = {a for p in scope.prefixes for a in rules.ancestors(p)}
    return lambda prefix: prefix in above or (bool(prefix) and scope.contains(prefix.ljust(12, "0")))


def visible_rulesets_used(user, run: RuleRun) -> list[dict]:
    """The rule sets a run used, without those of areas the user does not see."""
    visible = _visible_prefix(user)
    out = []
    for rs in run.used.get("rulesets", []):
        if visible(rs["area_prefix"]):
            criteria = [{**c, "label": c.get("label") or str(rules.criterion_label(c["code"]))} for c in rs["criteria"]]
            out.append({**rs, "criteria": criteria})
    return out


def visible_changes(user, run: RuleRun) -> dict:
    """A what-if's changes, without changed lines of areas the user does not see."""
    visible = _visible_prefix(user)
    changes = dict(run.changes or {})
    changes["lines"] = [ch for ch in changes.get("lines", []) if visible(ch["area_prefix"])]
    return changes


def household_lines(household, years: int = 8) -> list[dict]:
    """Year by year, the line that applies to the household and why (one sentence):
    its identification standard picks the kind, the most specific area wins."""
    village = household.area_code[:12]
    kind = rules.STANDARD_KIND.get(household.standard, "national")
    above = rules.ancestors(rules.prefix_of_code(village))
    rows = list(Line.objects.filter(kind__in=rules.POVERTY_KINDS, area_prefix__in=above)
                .values("id", "kind", "year", "area_prefix", "annual_value", "method", "source"))
    names = area_names(r["area_prefix"] for r in rows)
    standard_label = registry_codes.label("standard", household.standard) or rules.LINE_KINDS[kind]
    out = []
    for year in sorted({r["year"] for r in rows}, reverse=True)[:years]:
        candidates = {r["area_prefix"]: r for r in rows if r["year"] == year and r["kind"] == kind}
        best = rules.most_specific(candidates, village)
        line = None
        if best is not None:
            line = {**best, "area_name": names.get(best["area_prefix"], best["area_prefix"]),
                    "value": best["annual_value"]}
        out.append({"year": year, "line": line, "kind": kind,
                    "sentence": rules.applicable_line_sentence(standard_label, kind, line,
                                                               household.village.name, year)})
    return out
