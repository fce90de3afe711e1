"""The procedures API: types, batches in the token owner's area, acting on a batch's
current step, objections, the step documents (list and PDF). Every write goes through
procedures.actions."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.utils.encoding import escape_uri_path
from ninja import Field, Router, Schema, Status

from fupin.accounts.scoping import can
from fupin.api.base import Day, Error, actor, paginate
from fupin.core.errors import Forbidden, NotFound

from . import actions, documents, queries, rules

router = Router(tags=["procedures"])


class TypeOut(Schema):
    code: str
    name: str
    name_en: str
    purpose: str
    source: str
    active: bool
    definition: dict


class BatchOut(Schema):
    id: int
    title: str
    type: str
    area_code: str
    area_name: str
    status: str
    step_index: int
    current_step: str | None
    version: int
    parent_id: int | None
    created_at: dt.datetime
    completed_on: dt.date | None
    counts: dict[str, int] = {}


class BatchPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[BatchOut]


class DocumentOut(Schema):
    id: int = Field(description="download: GET /procedures/documents/{id}")
    code: str
    title: str
    version: int = 1
    has_file: bool


class StepDocumentOut(Schema):
    id: int = Field(description="download the PDF: GET /procedures/documents/{id}")
    step_index: int = Field(description="the step that produced it (0 = the first step)")
    step: str = Field(description="the step's code")
    kind: str = Field(description="the document's code in the type's data (village_notice, county_report …)")
    title: str
    version: int = Field(description="1, then one more for each new version made from the record as it is now")
    latest: bool = Field(description="the newest version of this document of this step")
    note: str = Field(description="the reason given for a new version")
    created_at: dt.datetime
    sha256: str | None = Field(None, description="SHA-256 of the stored PDF; null until it is rendered")
    rendered_at: dt.datetime | None = Field(None, description="when the PDF was rendered and stored; null until "
                                                              "the first download")


class StepOut(Schema):
    index: int
    code: str
    name: str
    name_en: str
    kind: str
    level: str
    days: int | None = None
    started: dt.date | None = None
    closed: dt.date | None = None
    last_day: dt.date | None = None
    notes: str = ""
    documents: list[DocumentOut] = []


class MemberOut(Schema):
    id: int
    household_id: int
    household_number: str
    head_name: str
    area_code: str
    state: str
    reason: str
    moved_to: int | None


class ObjectionOut(Schema):
    id: int
    member_id: int
    household_number: str
    step: str
    status: str
    received_on: dt.date
    content: str
    resolution: str
    resolved_on: dt.date | None


class BatchDetail(BatchOut):
    steps: list[StepOut]
    members: list[MemberOut]
    objections: list[ObjectionOut]


class StartIn(Schema):
    type: str
    area_code: str
    households: list[int]
    title: str = ""


class ActIn(Schema):
    step: str
    action: str
    version: int | None = None
    notes: str = ""
    # appraise
    held_on: Day | None = None
    total: int | None = None
    present: int | None = None
    minutes: str = ""
    votes: dict[int, list[int]] | None = None  # member id -> [for, against, abstain]
    # decide
    rejected: dict[int, str] | None = None  # member id -> reason
    # withdraw
    members: list[int] | None = None
    reason: str = ""


class ObjectionIn(Schema):
    member: int
    content: str
    objector_name: str = ""
    objector_contact: str = ""
    received_on: Day | None = None


class ResolveIn(Schema):
    upheld: bool
    text: str


def _need_view(request):
    if not can(request.user, queries.VIEW):
        raise Forbidden()


def _detail(batch) -> dict:
    records = queries.records(batch)
    steps = []
    for i, s in enumerate(batch.steps):
        r = records.get(i)
        last = rules.notice_last_day(r.started, s["days"]) if r and r.started and s["kind"] == rules.NOTICE else None
        steps.append({"index": i, "code": s["code"], "name": s["name"], "name_en": s["name_en"], "kind": s["kind"],
                      "level": s["level"], "days": s.get("days"), "started": r.started if r else None,
                      "closed": r.closed if r else None, "last_day": last, "notes": r.notes if r else "",
                      "documents": [{"id": d.pk, "code": d.code, "title": d.title, "version": d.version,
                                     "has_file": bool(d.file)} for d in (r.documents.all() if r else [])]})
    members = [{"id": m.pk, "household_id": m.household_id, "household_number": m.household.number,
                "head_name": m.household.head_name, "area_code": m.area_code, "state": m.state, "reason": m.reason,
                "moved_to": m.moved_to_id} for m in queries.members(batch)]
    objections = [{"id": o.pk, "member_id": o.member_id, "household_number": o.member.household.number,
                   "step": o.record.code, "status": o.status, "received_on": o.received_on, "content": o.content,
                   "resolution": o.resolution, "resolved_on": o.resolved_on} for o in queries.objections(batch)]
    counts = queries.member_counts([batch.pk]).get(batch.pk, {})
    return {**_summary(batch, counts), "steps": steps, "members": members, "objections": objections}


def _summary(batch, counts: dict) -> dict:
    step = batch.current_step
    return {"id": batch.pk, "title": batch.title, "type": batch.type.code, "area_code": batch.area_code,
            "area_name": batch.area.name, "status": batch.status, "step_index": batch.step_index,
            "current_step": step["code"] if step else None, "version": batch.version, "parent_id": batch.parent_id,
            "created_at": batch.created_at, "completed_on": batch.completed_on, "counts": counts}


@router.get("/types", response=list[TypeOut], summary="Procedure types (steps, notice periods, rules, sources)")
def types(request):
    _need_view(request)
    return list(queries.types())


@router.get("/batches", response=BatchPage, summary="Procedure batches in your area")
def batches(request, status: str = "", type: str = "", area: str = "", page: int = 1,
            page_size: int = 50):
    _need_view(request)
    qs = queries.batches(request.user)
    if status:
        qs = qs.filter(status=status)
    if type:
        qs = qs.filter(type__code=type)
    if area:
        qs = qs.filter(area_code__startswith=area)
    result = paginate(qs.order_by("-created_at", "-id"), page, page_size)
    counts = queries.member_counts(b.pk for b in result["items"])
    result["items"] = [_summary(b, counts.get(b.pk, {})) for b in result["items"]]
    return result


@router.post("/batches", response={201: BatchDetail, 403: Error, 404: Error, 422: Error},
             summary="Start a batch of households in an area")
def start(request, payload: StartIn):
    ptype = queries.types(active_only=True).filter(code=payload.type).first()
    if ptype is None:
        raise NotFound()
    perm = ptype.definition.get("start", {}).get("permission") or ptype.steps[0]["permission"]
    area = queries.start_areas(request.user, perm).filter(code=payload.area_code).first()
    if area is None:
        raise NotFound()
    batch = actions.start_batch(actor(request), ptype, area, payload.households, title=payload.title)
    return Status(201, _detail(queries.batch(request.user, batch.pk)))


@router.get("/batches/{batch_id}", response={200: BatchDetail, 404: Error},
            summary="A batch: its steps, households and objections")
def batch(request, batch_id: int):
    return _detail(queries.batch(request.user, batch_id))


@router.post("/batches/{batch_id}/act", response={200: BatchDetail, 403: Error, 404: Error, 409: Error, 422: Error},
             summary="Act on the batch's current step (complete, publish, close, appraise, decide, withdraw)")
def act(request, batch_id: int, payload: ActIn):
    b = queries.batch(request.user, batch_id)
    data = {k: v for k, v in payload.model_dump().items() if v is not None}
    actions.act(actor(request), b, **data)
    return _detail(queries.batch(request.user, batch_id))


@router.post("/batches/{batch_id}/objections", response={201: ObjectionOut, 403: Error, 404: Error, 409: Error,
                                                        422: Error},
             summary="Record an objection to a listed household during a notice")
def raise_objection(request, batch_id: int, payload: ObjectionIn):
    b = queries.batch(request.user, batch_id)
    o = actions.raise_objection(actor(request), b, payload.member, content=payload.content,
                                objector_name=payload.objector_name, objector_contact=payload.objector_contact,
                                received_on=payload.received_on)
    return Status(201, _objection(o))


@router.post("/objections/{objection_id}/resolve", response={200: ObjectionOut, 403: Error, 404: Error, 409: Error,
                                                             422: Error},
             summary="Decide an objection: upheld (the household leaves) or rejected (written answer)")
def resolve_objection(request, objection_id: int, payload: ResolveIn):
    o = queries.objection(request.user, objection_id)
    o = actions.resolve_objection(actor(request), o, upheld=payload.upheld, text=payload.text)
    return _objection(queries.objection(request.user, o.pk))


def _objection(o) -> dict:
    return {"id": o.pk, "member_id": o.member_id, "household_number": o.member.household.number,
            "step": o.record.code, "status": o.status, "received_on": o.received_on, "content": o.content,
            "resolution": o.resolution, "resolved_on": o.resolved_on}


# --- documents -----------------------------------------------------------------------------

_PDF = {"schema": {"type": "string", "format": "binary"}}


@router.get("/batches/{batch_id}/documents", response={200: list[StepDocumentOut], 404: Error},
            summary="The documents of a batch's steps (every version), with their SHA-256 once rendered")
def batch_documents(request, batch_id: int):
    """Every document the batch's steps produced, by step, code and version. A document
    is rendered as PDF the first time it is downloaded (then ``sha256`` and
    ``rendered_at`` are set, and the stored file never changes). A batch outside your
    area: 404."""
    batch = queries.batch(request.user, batch_id)
    docs = documents.documents_of(batch)
    newest = {d.pk for d in documents.latest(docs)}
    return [{"id": d.pk, "step_index": d.record.index, "step": d.record.code, "kind": d.code, "title": d.title,
             "version": d.version, "latest": d.pk in newest, "note": d.note, "created_at": d.created_at,
             "sha256": d.sha256 or None, "rendered_at": d.generated_at if d.file else None} for d in docs]


@router.get("/documents/{document_id}", summary="Download a step document as PDF (logged as an export)",
            openapi_extra={"responses": {200: {"description": "the PDF", "content": {"application/pdf": _PDF}},
                                         503: {"description": "the PDF could not be rendered now (try again "
                                                              "later) or its stored file could not be read",
                                               "content": {"application/json": {"schema": {
                                                   "$ref": "#/components/schemas/Error"}}}}}})
def document_download(request, document_id: int):
    """The document's PDF, as the batch page gives it: names and villages, ID numbers
    masked (they are masked in the document's snapshot), objectors not named. Rendered
    and stored the first time (audited as ``procedures.document.render``); every
    download is logged as an export (``procedures.document.download``). A document of
    a batch outside your area: 404. The answers are the page's (actions.download_document):
    503 ``unavailable`` when the PDF cannot be rendered now, or its stored file cannot be
    read."""
    doc, body = actions.download_document(actor(request), queries.document(request.user, document_id))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(documents.filename(doc))}"
    return response
