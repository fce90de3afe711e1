"""Scoped reads of identification data. Lines and rule sets are visible where they
apply: those of the user's areas, of every area above them and of every area below
(a county office sees the national, provincial, city and its own county's lines, not
another county's). Runs, outcomes and facts belong to an area and are scoped like
registry data (an indexed range on area_code)."""

from __future__ import annotations

from django.db.models import Q

from fupin.accounts.scoping import Scope, scope_for
from fupin.core.errors import NotFound

from . import rules
from .models import CutoffDate, Line, MemberFact, RuleOutcome, RuleRun, RuleSet

READ = "registry.view"


def applies_q(scope: Scope, field: str = "area_prefix") -> Q:
    """Rows whose area prefix is above or inside one of the scope's areas."""
    if scope.is_empty:
        return Q(pk__in=[])
    if scope.is_everything:
        return Q()
    above = {a for p in scope.prefixes for a in rules.ancestors(p)}
    return Q(**{f"{field}__in": sorted(above)}) | scope.q(field)


def lines(user, perm: str = READ):
    return Line.objects.filter(applies_q(scope_for(user, perm)))


def line(user, pk) -> Line:
    return _get(lines(user), pk)


def rulesets(user, perm: str = READ):
    return RuleSet.objects.filter(applies_q(scope_for(user, perm)))


def ruleset(user, pk) -> RuleSet:
    return _get(rulesets(user), pk)


def runs(user, perm: str = READ):
    """Runs over the user's areas, and runs over a wider area that covers them (whose
    outcomes the user then sees for their own areas only: see ``outcomes``)."""
    return RuleRun.objects.filter(applies_q(scope_for(user, perm)))


def covers_all(user, run_obj: RuleRun, perm: str = READ) -> bool:
    """Whether the run's whole area is inside the user's areas (its totals may be shown)."""
    return scope_for(user, perm).contains(run_obj.area_code) or scope_for(user, perm).is_everything


def visible_prefix_q(user, field: str = "area_prefix", perm: str = READ) -> Q:
    """For rows named by an area prefix (a run's lines and rule sets): above or inside the user's areas."""
    return applies_q(scope_for(user, perm), field)


def run(user, pk) -> RuleRun:
    return _get(runs(user).select_related("job", "based_on", "created_by"), pk)


def outcomes(user, run_obj: RuleRun, perm: str = READ):
    return scope_for(user, perm).filter(RuleOutcome.objects.filter(run=run_obj))


def facts(user, perm: str = READ):
    return scope_for(user, perm).filter(MemberFact.objects.all())


def fact(user, pk, perm: str = READ) -> MemberFact:
    return _get(facts(user, perm).select_related("household", "member"), pk)


def _get(qs, pk):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def last_real_run(area_prefix: str, year: int, *, exclude=None) -> RuleRun | None:
    qs = RuleRun.objects.filter(kind=RuleRun.REAL, status=RuleRun.DONE, area_prefix=area_prefix, year=year)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.order_by("-created_at", "-id").first()


def line_book(area_prefix: str, years: range):
    """The lines that can matter for ``area_prefix`` in ``years``: those of the areas
    above it and inside it, as a LineBook."""
    q = Q(area_prefix__in=rules.ancestors(area_prefix)) | Q(area_prefix__startswith=area_prefix)
    rows = Line.objects.filter(q, year__gte=years.start, year__lt=years.stop).values(
        "id", "kind", "year", "area_prefix", "method", "annual_value", "formula")
    return rules.LineBook({**r, "value": r["annual_value"]} for r in rows)


def applicable_rulesets(area_prefix: str, year: int) -> list[RuleSet]:
    """The rule sets a run over ``area_prefix`` uses: the most specific one above (or
    at) the area, and every one inside it; per area prefix the latest ``from_year``
    that covers the year. Widest first."""
    q = Q(area_prefix__in=rules.ancestors(area_prefix)) | Q(area_prefix__startswith=area_prefix)
    candidates = RuleSet.objects.filter(q, from_year__lte=year).filter(
        Q(to_year__isnull=True) | Q(to_year__gte=year)).order_by("area_prefix", "-from_year")
    chosen: dict[str, RuleSet] = {}
    for rs in candidates.prefetch_related("criteria"):
        chosen.setdefault(rs.area_prefix, rs)
    above = [p for p in chosen if len(p) <= len(area_prefix) and area_prefix.startswith(p)]
    inside = [p for p in chosen if len(p) > len(area_prefix)]
    keep = ([max(above, key=len)] if above else []) + sorted(inside, key=len)
    return [chosen[p] for p in keep]


def ruleset_for(area_code: str, year: int) -> RuleSet | None:
    sets = applicable_rulesets(rules.prefix_of_code(area_code)[:12], year)
    return rules.most_specific({rs.area_prefix: rs for rs in sets}, area_code)


# --- cut-off dates (识别时间节点) ------------------------------------------------------

def cutoffs_in(scope: Scope):
    """The cut-off dates of a scope's areas: those above them and those inside them."""
    return CutoffDate.objects.filter(applies_q(scope))


def _prefixes_of(code: str) -> list[str]:
    """Every prefix of ``code`` ('' included): the area prefixes a row can have to apply there."""
    return [code[:n] for n in range(min(len(code), 12) + 1)]


def cutoff_rows(prefix: str) -> list[tuple[str, object]]:
    """(area prefix, date) of the cut-offs that can apply inside the area ``prefix`` (its
    own, those above and those below it), most specific first — for SQL (engine.cutoff_case).
    One query on the rows that can apply (not the whole table)."""
    rows = CutoffDate.objects.filter(Q(area_prefix__in=_prefixes_of(prefix)) | Q(area_prefix__startswith=prefix))
    return sorted(rows.values_list("area_prefix", "date"), key=lambda r: -len(r[0]))


def applicable_cutoff(area_code: str) -> CutoffDate | None:
    """The cut-off that applies to an area (the most specific prefix), or None: one query
    on the area's own and enclosing prefixes."""
    code = area_code or ""
    rows = CutoffDate.objects.filter(area_prefix__in=_prefixes_of(code))
    return rules.most_specific({c.area_prefix: c for c in rows}, code)
