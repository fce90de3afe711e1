"""/api/v1/identification: lines, rule runs (start one, read one) and a run's outcomes
with their one-sentence reasons. Scoped like the pages: lines of the caller's areas
and the areas above them; runs and outcomes of the caller's areas only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q
from ninja import Router, Schema, Status

from fupin.accounts.scoping import can
from fupin.api.base import Error, actor, paginate
from fupin.core.errors import Forbidden

from . import actions, queries, rules
from .present import explain_outcomes, run_counts, visible_changes

router = Router(tags=["identification"])
READ = "registry.view"


class LineOut(Schema):
    id: int
    kind: str
    area_prefix: str
    year: int
    name: str
    method: str
    value: Decimal | None
    per: str
    annual_value: Decimal | None
    formula: dict | None
    computation: dict | None
    source: str
    is_example: bool


class LinePage(Schema):
    count: int
    page: int
    page_size: int
    items: list[LineOut]


class RunIn(Schema):
    area_code: str
    year: int
    changes: dict | None = None  # a what-if: {"lines": [...], "criteria": [...]}


class RunOut(Schema):
    id: int
    kind: str
    area_prefix: str
    area_code: str
    year: int
    status: str
    households: int
    eligible: int
    flagged: int
    changed: int
    based_on_id: int | None
    job_id: str | None
    changes: dict
    summary: dict
    created_at: dt.datetime
    finished_at: dt.datetime | None
    duration_ms: int | None


def _run_out(user, run) -> dict:
    """A run with its totals as the caller may see them (a wider run: their areas only)."""
    counts = run_counts(user, run)
    summary = {"by_village": counts["by_village"], "partial": counts["partial"]}
    if not counts["partial"] and "not_in_base" in run.summary:
        summary["not_in_base"] = run.summary["not_in_base"]
    return {"id": run.pk, "kind": run.kind, "area_prefix": run.area_prefix, "area_code": run.area_code,
            "year": run.year, "status": run.status, "households": counts["households"],
            "eligible": counts["eligible"], "flagged": counts["flagged"], "changed": counts["changed"],
            "based_on_id": run.based_on_id, "job_id": str(run.job_id) if run.job_id else None,
            "changes": visible_changes(user, run), "summary": summary, "created_at": run.created_at,
            "finished_at": run.finished_at, "duration_ms": run.duration_ms}


class RunPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[RunOut]


class OutcomeOut(Schema):
    household_id: int
    household_number: str
    area_code: str
    status: str
    eligible: bool
    flagged: bool
    per_capita: Decimal | None
    line_kind: str
    line_value: Decimal | None
    income_below: bool | None
    guarantees: list[str]
    vetoes: list[dict]
    reason: str


class OutcomePage(Schema):
    count: int
    page: int
    page_size: int
    items: list[OutcomeOut]


def _need(request, perm):
    if not can(request.user, perm):
        raise Forbidden()


@router.get("/lines", response={200: LinePage, 403: Error}, summary="Lines (standards) that apply in your areas")
def lines(request, year: int | None = None, kind: str = "", area: str = "", page: int = 1, page_size: int = 100):
    _need(request, READ)
    qs = queries.lines(request.user)
    if year is not None:
        qs = qs.filter(year=year)
    if kind:
        qs = qs.filter(kind=kind)
    if area:
        prefix = rules.prefix_of_code(area) if len(area) >= 12 else area
        qs = qs.filter(Q(area_prefix__in=rules.ancestors(prefix)) | Q(area_prefix__startswith=prefix))
    return paginate(qs.order_by("-year", "kind", "area_prefix"), page, page_size)


@router.get("/runs", response={200: RunPage, 403: Error}, summary="Rule runs of your areas")
def runs(request, year: int | None = None, kind: str = "", page: int = 1, page_size: int = 50):
    _need(request, READ)
    qs = queries.runs(request.user)
    if year is not None:
        qs = qs.filter(year=year)
    if kind:
        qs = qs.filter(kind=kind)
    data = paginate(qs.order_by("-created_at", "-id"), page, page_size)
    data["items"] = [_run_out(request.user, r) for r in data["items"]]
    return data


@router.post("/runs", response={202: RunOut, 403: Error, 422: Error},
             summary="Run the rules over an area (with changes: a what-if simulation)")
def start_run(request, payload: RunIn):
    run = actions.start_run(actor(request), payload.area_code, payload.year, changes=payload.changes)
    run.refresh_from_db()
    return Status(202, _run_out(request.user, run))


@router.get("/runs/{run_id}", response={200: RunOut, 404: Error}, summary="One rule run")
def run(request, run_id: int):
    return _run_out(request.user, queries.run(request.user, run_id))


@router.get("/runs/{run_id}/outcomes", response={200: OutcomePage, 404: Error},
            summary="A run's outcomes, each with its one-sentence reason")
def outcomes(request, run_id: int, flagged: bool | None = None, eligible: bool | None = None, village: str = "",
             page: int = 1, page_size: int = 100):
    obj = queries.run(request.user, run_id)
    qs = queries.outcomes(request.user, obj).select_related("household")
    if flagged is not None:
        qs = qs.filter(flagged=flagged)
    if eligible is not None:
        qs = qs.filter(eligible=eligible)
    if village:
        qs = qs.filter(area_code__startswith=village[:12])
    data = paginate(qs.order_by("area_code", "household_id"), page, page_size)
    items = []
    for o, sentence in explain_outcomes(request.user, obj, data["items"]):
        items.append({
            "household_id": o.household_id, "household_number": o.household.number, "area_code": o.area_code,
            "status": o.status, "eligible": o.eligible, "flagged": o.flagged, "per_capita": o.per_capita,
            "line_kind": o.line_kind, "line_value": o.line_value, "income_below": o.income_below,
            "guarantees": rules.parse_codes(o.guarantees),
            "vetoes": [{"code": c, "fact_id": f} for c, f in rules.parse_vetoes(o.vetoes)], "reason": sentence})
    data["items"] = items
    return data

