"""/api/v1/comparison: data sets, hits (scoped to the caller's areas, every list and
read logged, ID numbers masked) and the verification steps on a hit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Router, Schema

from fupin.accounts.scoping import can, home_code
from fupin.api.base import Error, actor, paginate
from fupin.audit import actions as audit
from fupin.core.errors import Forbidden
from fupin.core.masking import mask_id_number

from . import actions, queries, rules

router = Router(tags=["comparison"])


class DatasetOut(Schema):
    id: int
    kind: str
    name: str
    source: str
    as_of: dt.date
    area_code: str
    record_count: int
    matched_at: dt.datetime | None
    created_at: dt.datetime


class DatasetPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[DatasetOut]


class HitOut(Schema):
    id: int
    dataset_id: int
    kind: str
    area_code: str
    household_id: int
    household_number: str
    member_id: int
    member_name: str
    id_number: str  # masked
    record_key: str
    event_date: dt.date | None
    amount: Decimal | None
    cutoff: dt.date | None
    phase: str
    count_kind: str = Field(description="what the hit is counted and filtered as (the phase filter's values): "
                                        "before, no_cutoff, undated, after or info")
    status: str
    decision: str
    reason: str
    review_note: str
    fact_id: int | None
    version: int


class HitPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[HitOut]


class DecisionIn(Schema):
    decision: Literal["veto", "kept", "error"]
    reason: str = ""
    version: int | None = None


class ReviewIn(Schema):
    action: Literal["approve", "send_back"]
    note: str = ""
    version: int | None = None


def _hit_out(h) -> dict:
    return {"id": h.pk, "dataset_id": h.dataset_id, "kind": h.kind, "area_code": h.area_code,
            "household_id": h.household_id, "household_number": h.household.number, "member_id": h.member_id,
            "member_name": h.member.name, "id_number": mask_id_number(h.member.id_number),
            "record_key": h.record.key, "event_date": h.event_date, "amount": h.amount, "cutoff": h.cutoff,
            "phase": h.phase, "count_kind": h.count_kind, "status": h.status, "decision": h.decision, "reason": h.reason,
            "review_note": h.review_note, "fact_id": h.fact_id, "version": h.version}


@router.get("/datasets", response={200: DatasetPage, 403: Error}, summary="Data sets of your areas")
def datasets(request, kind: str = "", page: int = 1, page_size: int = 50):
    if not (can(request.user, rules.VIEW) or can(request.user, rules.IMPORT)):
        raise Forbidden()
    qs = queries.visible_datasets(request.user)
    if kind:
        qs = qs.filter(kind=kind)
    return paginate(qs.order_by("-created_at", "-id"), page, page_size)


@router.get("/hits", response={200: HitPage, 403: Error},
            summary="Hits of your areas (confidential: the call is logged; ID numbers masked)")
def hits(request, status: str = "", phase: str = "", kind: str = "", decision: str = "", dataset: int | None = None,
         area: str = "", queue: str = "", page: int = 1, page_size: int = 100):
    if not can(request.user, rules.VIEW):
        raise Forbidden()
    params = {"status": status, "phase": phase, "kind": kind, "decision": decision,
              "dataset": str(dataset or ""), "area": area, "queue": queue}
    qs = queries.filtered_hits(request.user, params).select_related("member", "household", "record")
    data = paginate(qs.order_by("area_code", "household_id", "kind", "id"), page, page_size)
    data["items"] = [_hit_out(h) for h in data["items"]]
    audit.record_read(actor(request), "comparison.hits.view", object_type="comparison.hit",
                      area_code=home_code(request.user, rules.VIEW), count=len(data["items"]),
                      note="api " + "&".join(f"{k}={v}" for k, v in params.items() if v))
    return data


@router.get("/hits/{hit_id}", response={200: HitOut, 404: Error}, summary="One hit (the call is logged)")
def hit(request, hit_id: int):
    h = queries.hit_or_404(request.user, hit_id)
    audit.record_read(actor(request), "comparison.hit.view", obj=h, area_code=h.area_code, note="api")
    return _hit_out(h)


@router.post("/hits/{hit_id}/decision", response={200: HitOut, 403: Error, 404: Error, 409: Error, 422: Error},
             summary="The village's decision: veto confirmed, kept (reason required) or data error")
def decide(request, hit_id: int, payload: DecisionIn):
    h = queries.hit_or_404(request.user, hit_id)
    h = actions.decide(actor(request), h, decision=payload.decision, reason=payload.reason, version=payload.version)
    return _hit_out(queries.hit_or_404(request.user, h.pk))


@router.post("/hits/{hit_id}/review", response={200: HitOut, 403: Error, 404: Error, 409: Error, 422: Error},
             summary="The township's review: approve (the decision becomes a veto fact) or send back")
def review(request, hit_id: int, payload: ReviewIn):
    h = queries.hit_or_404(request.user, hit_id)
    if payload.action == "approve":
        h = actions.approve(actor(request), h, note=payload.note, version=payload.version)
    else:
        h = actions.send_back(actor(request), h, note=payload.note, version=payload.version)
    return _hit_out(queries.hit_or_404(request.user, h.pk))
