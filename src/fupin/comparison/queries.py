"""Scoped reads of the data comparison (谁核查谁保密).

- Hits and what they show of a record need ``comparison.view`` in the hit's area
  (the household's): a village cadre sees the village's, a county office the county's.
- Data sets (their kind, source, as-of date, counts) are listed to roles with
  ``comparison.view`` or ``comparison.import``: those of their areas, and those of a
  wider area that covers them (with their own areas' counts only).
- Records are never listed by themselves, except the 民政 list's records missing from
  the registry in the linkage report, scoped by the record's area (its own, or the
  data set's when it has none).
Objects outside the scope are NotFound (404)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from fupin.accounts.scoping import Scope, scope_for
from fupin.areas import rules as area_rules
from fupin.identification import queries as identification_queries
from fupin.identification.models import CutoffDate

from . import rules
from .models import ExternalDataset, ExternalRecord, Hit


def view_scope(user) -> Scope:
    return scope_for(user, rules.VIEW)


def dataset_scope(user) -> Scope:
    return Scope([*scope_for(user, rules.VIEW).prefixes, *scope_for(user, rules.IMPORT).prefixes])


def _ancestor_codes(scope: Scope) -> set[str]:
    """The codes of every area above the scope's areas ('' = the whole country)."""
    codes = {""}
    for prefix in scope.prefixes:
        for level in (area_rules.PROVINCE, area_rules.CITY, area_rules.COUNTY, area_rules.TOWNSHIP):
            n = area_rules.PREFIX_LENGTH[level]
            if n < len(prefix):
                codes.add(prefix[:n].ljust(12, "0"))
    return codes


def visible_datasets(user) -> QuerySet:
    scope = dataset_scope(user)
    qs = ExternalDataset.objects.select_related("created_by")
    if scope.is_empty:
        return qs.none()
    if scope.is_everything:
        return qs
    return qs.filter(scope.q("area_code") | Q(area_code__in=_ancestor_codes(scope)))


def dataset_or_404(user, pk) -> ExternalDataset:
    return _get(visible_datasets(user), pk)


def _get(qs, pk):
    from fupin.core.errors import NotFound

    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def hits(user, perm: str = rules.VIEW) -> QuerySet:
    return scope_for(user, perm).filter(Hit.objects.all())


def hit_or_404(user, pk) -> Hit:
    return _get(hits(user).select_related("dataset", "record", "member", "household", "decided_by",
                                          "reviewed_by", "archived_by", "fact"), pk)


FILTERS = ("status", "phase", "kind", "decision", "dataset", "area")
# The hits of each count kind (rules.COUNT_KINDS: the phase, the undated hits told apart by
# their cut-off) as the ORM's conditions: the hit list's phase filter, a data set's counts, a
# matching run's counts (matching.match_dataset) and the statistics (reports.SUMMARY_COUNTS).
COUNT_FILTERS = {kind: Q(**lookups) for kind, lookups in rules.COUNT_KINDS.items()}


def count_kinds(**extra) -> dict:
    """Count("id") of each count kind, in rules.COUNT_KINDS' order, to aggregate or annotate
    with (plus ``extra``): one query gives every kind's number."""
    return {kind: Count("id", filter=q) for kind, q in COUNT_FILTERS.items()} | extra


def filtered_hits(user, params) -> QuerySet:
    """The hits the user may see, narrowed by the list's filters (status, phase, kind,
    decision, dataset, area code prefix, or ``queue``: the hits waiting for the user's
    own step). The phase filter is a count kind (rules.COUNT_KINDS), the undated hits told
    apart as every count tells them: ``no_cutoff`` for those with no cut-off date set for their
    area, ``undated`` for those whose record has no date while a cut-off is set."""
    scope = view_scope(user)
    area = (params.get("area") or "").strip()
    if area:
        scope = scope.narrow(rules.area_prefix(area) if area_rules.is_valid_code(area) else area)
    qs = scope.filter(Hit.objects.all())
    for key in ("status", "kind", "decision"):
        value = (params.get(key) or "").strip()
        if value:
            qs = qs.filter(**{key: value})
    phase = (params.get("phase") or "").strip()
    if phase:  # (a code that is no count kind lists nothing, as an unknown status does)
        qs = qs.filter(COUNT_FILTERS[phase]) if phase in COUNT_FILTERS else qs.none()
    dataset = (params.get("dataset") or "").strip()
    if dataset.isascii() and dataset.isdigit() and len(dataset) <= 18:  # an id; anything else is ignored
        qs = qs.filter(dataset_id=int(dataset))
    queue = (params.get("queue") or "").strip()
    if queue == "decide":
        qs = qs.filter(status=rules.OPEN)
    elif queue == "review":
        qs = qs.filter(status=rules.DECIDED)
    elif queue == "archive":
        qs = qs.filter(status=rules.APPROVED)
    name = (params.get("q") or "").strip()
    if name:
        qs = qs.filter(Q(member__name__contains=name) | Q(household__number=name) | Q(household__head_name=name))
    return qs


def check_filters(user, params) -> None:
    """NotFound when the filters name an area or data set the user cannot see (an export
    of someone else's area is not an empty file: it does not exist)."""
    area = (params.get("area") or "").strip()
    if area:
        prefix = rules.area_prefix(area) if area_rules.is_valid_code(area) else area
        if view_scope(user).narrow(prefix).is_empty:
            raise _not_found()
    dataset = (params.get("dataset") or "").strip()
    if dataset:
        dataset_or_404(user, dataset)


def _not_found():
    from fupin.core.errors import NotFound

    return NotFound()


def queue_counts(user) -> dict:
    """Hits waiting at each step, in the user's area."""
    qs = hits(user)
    out = {s: 0 for s in rules.STATUSES}
    for row in qs.values("status").annotate(n=Count("id")).order_by():
        out[row["status"]] = row["n"]
    return out


def dataset_counts(user, dataset: ExternalDataset) -> dict:
    """A data set's counts as the user may see them: the hits of their area by count kind
    (rules.COUNT_KINDS: the phase, the undated ones told apart by their cut-off: no cut-off date
    set for the hit's area, or a cut-off set and a record without a date), and by status; the
    records of their area (every record when the data set's area lies inside their scope)."""
    scope = view_scope(user)
    phases = {p: 0 for p in rules.MATCH_COUNTS}
    statuses = {s: 0 for s in rules.STATUSES}
    for row in scope.filter(dataset.hits.all()).values("status").annotate(**count_kinds(n=Count("id"))).order_by():
        for kind in rules.COUNT_KINDS:
            phases[kind] += row[kind]
        statuses[row["status"]] += row["n"]
    whole = dataset_scope(user).contains(dataset.area_code) or dataset_scope(user).is_everything
    return {"phases": phases, "statuses": statuses, "hits": sum(phases.values()), "whole": whole,
            "records": dataset.record_count if whole else records_in_scope(scope, dataset).count()}


def records_in_scope(scope: Scope, dataset: ExternalDataset) -> QuerySet:
    """The data set's records of the scope: by their area, or (without one) by the data
    set's area."""
    qs = ExternalRecord.objects.filter(dataset=dataset)
    if scope.is_everything:
        return qs
    if scope.is_empty:
        return qs.none()
    if scope.contains(dataset.area_code):
        return qs.filter(scope.q("area_code") | Q(area_code=""))
    return scope.filter(qs)


def cutoffs_for(user) -> QuerySet:
    """The cut-off dates (identification's) of the user's areas: those above them and
    those inside them."""
    scope = Scope([*dataset_scope(user).prefixes, *scope_for(user, rules.EDIT_CUTOFF).prefixes])
    return identification_queries.cutoffs_in(scope)


def cutoff_or_404(user, pk) -> CutoffDate:
    return _get(cutoffs_for(user), pk)
