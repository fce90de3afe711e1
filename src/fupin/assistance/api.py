"""The assistance REST API: helpers, pairings, measures and visits — list (filtered,
paginated) and create; measures and visits corrected (PUT) and withdrawn (never
deleted); visit photos uploaded (multipart, the same checks as the page: images only,
decoded, metadata stripped, size and count limits) and downloaded (scoped, each
download logged). Scoped like the pages: lists hold only the token owner's area; a
household, helper, village, measure, visit or photo outside it is a 404. Writes go
through assistance.actions (permission, policy, audit). Helpers' phones are masked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status, UploadedFile

from fupin.accounts.scoping import scope_for
from fupin.api.base import Amount, Day, actor, paginate
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.core.errors import Forbidden, Invalid, NotFound
from fupin.core.masking import mask
from fupin.registry import queries as registry_queries

from . import actions, catalog, queries
from .models import Measure, Pairing, Visit

router = Router(tags=["assistance"])
VIEW = "registry.view"


class HelperOut(Schema):
    id: int
    name: str
    unit_id: int | None = None
    unit_name: str = ""
    post: str
    phone: str = Field(description="masked")
    level: str
    area_code: str
    active: bool
    households: int = Field(0, description="open pairings inside your area")


class HelperPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[HelperOut]


class HelperIn(Schema):
    name: str
    area_code: str = Field(description="the village or township (12 digits) where the person helps")
    unit_id: int | None = None
    post: str = ""
    phone: str = ""
    level: str = Field("", description="province | city | county | township | village; empty: the unit's")


class PairingOut(Schema):
    id: int
    helper_id: int
    helper_name: str
    household_id: int
    household_number: str
    area_code: str
    start: dt.date
    end: dt.date | None = None
    end_reason: str


class PairingPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[PairingOut]


class PairingIn(Schema):
    household_id: int
    helper_id: int
    start: Day
    replace: bool = Field(False, description="a change of helper: the household's current pairings end the day "
                                             "before (kept in the history)")
    reason: str = ""


class MeasureOut(Schema):
    id: int
    household_id: int | None = None
    village_code: str
    area_code: str
    type: str
    type_label: str
    date: dt.date
    year: int
    amount_to_household: Decimal
    amount_spent: Decimal
    fund_source: str
    details: dict
    note: str
    income_item: str
    carried_at: dt.datetime | None = None
    updated_at: dt.datetime | None = Field(None, description="last corrected")
    voided_at: dt.datetime | None = Field(None, description="withdrawn (kept, counted nowhere)")
    void_reason: str = ""


class MeasurePage(Schema):
    count: int
    page: int
    page_size: int
    items: list[MeasureOut]


class MeasureIn(Schema):
    household_id: int | None = None
    village_code: str | None = Field(None, description="for a village measure (一村一策), without household_id")
    type: str = Field(description="a measure type code: " + ", ".join(catalog.measure_type_codes()))
    date: Day
    amount_to_household: Amount = Decimal(0)
    amount_spent: Amount = Decimal(0)
    fund_source: str = ""
    details: dict = Field(default_factory=dict, description="the type's fields (data/measures.json)")
    note: str = ""


class VisitOut(Schema):
    id: int
    helper_id: int
    helper_name: str
    household_id: int
    household_number: str
    area_code: str
    date: dt.date
    findings: str
    agreements: str
    photos: int
    photo_ids: list[int] = Field(default_factory=list, description="download: GET /assistance/photos/{id}")
    updated_at: dt.datetime | None = Field(None, description="last corrected")
    voided_at: dt.datetime | None = Field(None, description="withdrawn (kept, counted nowhere)")
    void_reason: str = ""


class VisitPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[VisitOut]


class MeasureEdit(Schema):
    type: str = Field(description="a measure type code: " + ", ".join(catalog.measure_type_codes()))
    date: Day
    amount_to_household: Amount = Decimal(0)
    amount_spent: Amount = Decimal(0)
    fund_source: str = ""
    details: dict = Field(default_factory=dict, description="the type's fields (data/measures.json)")
    note: str = ""


class WithdrawIn(Schema):
    reason: str = Field(description="why the record is withdrawn (kept in the history)")


class VisitEdit(Schema):
    date: Day
    findings: str = ""
    agreements: str = ""


class PhotoOut(Schema):
    id: int
    visit_id: int
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None


class VisitIn(Schema):
    household_id: int
    helper_id: int | None = Field(None, description="empty: your own helper record")
    date: Day
    findings: str = ""
    agreements: str = ""


def _scope(request, area: str, perm: str = VIEW):
    sc = scope_for(request.user, perm)
    area = (area or "").strip()
    if area:
        if not area_rules.is_valid_code(area):
            raise Invalid(_("Give a 12-digit area code (or 15 digits for a village group)."), field="area")
        sc = sc.narrow(area_rules.prefix_of(area))
    if sc.is_empty and scope_for(request.user, perm).is_empty:
        raise Forbidden()
    return sc


def _helper_out(h) -> dict:
    return {"id": h.pk, "name": h.name, "unit_id": h.unit_id, "unit_name": h.unit.name if h.unit_id else "",
            "post": h.post, "phone": mask("phone", h.phone), "level": h.level, "area_code": h.area_code,
            "active": h.active, "households": getattr(h, "households", 0) or 0}


@router.get("/assistance/helpers", response=HelperPage, summary="Helpers in your area, with their load")
def helpers(request, area: str = "", q: str = "", page: int = 1, page_size: int = 50):
    sc = _scope(request, area)
    qs = queries.with_load(queries.helpers_in(sc).select_related("unit"), sc).order_by("area_code", "name", "pk")
    if q:
        qs = qs.filter(name__contains=q)
    data = paginate(qs, page, page_size)
    data["items"] = [_helper_out(h) for h in data["items"]]
    return data


@router.post("/assistance/helpers", response={201: HelperOut}, summary="Record a helper")
def helper_create(request, body: HelperIn):
    area = scope_for(request.user, actions.EDIT).get(Area.objects.filter(valid_to__isnull=True), "code",
                                                     code=body.area_code)
    unit = None
    if body.unit_id is not None:
        unit = queries.units_for(scope_for(request.user, actions.EDIT)).filter(pk=body.unit_id).first()
        if unit is None:
            raise NotFound()
    h = actions.save_helper(actor(request), None, name=body.name, area=area, unit=unit, post=body.post,
                            phone=body.phone, level=body.level)
    return Status(201, _helper_out(h))


def _pairing_out(p) -> dict:
    return {"id": p.pk, "helper_id": p.helper_id, "helper_name": p.helper.name, "household_id": p.household_id,
            "household_number": p.household.number, "area_code": p.area_code, "start": p.start, "end": p.end,
            "end_reason": p.end_reason}


@router.get("/assistance/pairings", response=PairingPage, summary="Pairings helper ↔ household (with history)")
def pairings(request, area: str = "", household_id: int | None = None, helper_id: int | None = None,
             current: bool = False, page: int = 1, page_size: int = 50):
    sc = _scope(request, area)
    qs = sc.filter(Pairing.objects.select_related("helper", "household")).order_by("area_code", "household_id",
                                                                                   "start", "pk")
    if household_id is not None:
        qs = qs.filter(household__pk=household_id)  # __pk: an id past 64 bits finds nothing (not a 500)
    if helper_id is not None:
        qs = qs.filter(helper__pk=helper_id)
    if current:
        qs = qs.filter(end__isnull=True)
    data = paginate(qs, page, page_size)
    data["items"] = [_pairing_out(p) for p in data["items"]]
    return data


@router.post("/assistance/pairings", response={201: PairingOut}, summary="Pair a helper with a household")
def pairing_create(request, body: PairingIn):
    household = registry_queries.household(request.user, body.household_id, actions.EDIT)
    helper = queries.helper(request.user, body.helper_id, actions.EDIT)
    p = actions.pair(actor(request), household, helper, body.start, replace=body.replace, reason=body.reason)
    return Status(201, _pairing_out(p))


def _measure_out(m) -> dict:
    return {"id": m.pk, "household_id": m.household_id, "village_code": m.village.code, "area_code": m.area_code,
            "type": m.type, "type_label": catalog.measure_label(m.type), "date": m.date, "year": m.year,
            "amount_to_household": m.amount_to_household, "amount_spent": m.amount_spent,
            "fund_source": m.fund_source, "details": m.details, "note": m.note, "income_item": m.income_item,
            "carried_at": m.carried_at, "updated_at": m.updated_at, "voided_at": m.voided_at,
            "void_reason": m.void_reason}


@router.get("/assistance/measures", response=MeasurePage, summary="Measures in your area")
def measures(request, area: str = "", household_id: int | None = None, type: str = "",
             year: int | None = None, withdrawn: bool = False, page: int = 1, page_size: int = 50):
    """``withdrawn=true`` lists the withdrawn measures too."""
    sc = _scope(request, area)
    manager = Measure.all_objects if withdrawn else Measure.objects
    qs = sc.filter(manager.select_related("village")).order_by("-date", "-pk")
    if household_id is not None:
        qs = qs.filter(household__pk=household_id)
    if type:
        qs = qs.filter(type=type)
    if year is not None:
        qs = qs.filter(year=year)
    data = paginate(qs, page, page_size)
    data["items"] = [_measure_out(m) for m in data["items"]]
    return data


@router.post("/assistance/measures", response={201: MeasureOut}, summary="Record a measure")
def measure_create(request, body: MeasureIn):
    household = village = None
    if body.household_id is not None:
        household = registry_queries.household(request.user, body.household_id, actions.LOG)
    elif body.village_code:
        village = scope_for(request.user, actions.EDIT).get(
            Area.objects.filter(valid_to__isnull=True, level="village"), "code", code=body.village_code)
    else:
        raise Invalid(_("A measure is for a household or a village."), field="household_id")
    m = actions.record_measure(actor(request), type=body.type, date=body.date, household=household, village=village,
                               amount_to_household=body.amount_to_household, amount_spent=body.amount_spent,
                               fund_source=body.fund_source, details=body.details, note=body.note)
    return Status(201, _measure_out(m))


def _visit_out(v, photos: int = 0, photo_ids=()) -> dict:
    return {"id": v.pk, "helper_id": v.helper_id, "helper_name": v.helper.name, "household_id": v.household_id,
            "household_number": v.household.number, "area_code": v.area_code, "date": v.date,
            "findings": v.findings, "agreements": v.agreements, "photos": photos, "photo_ids": list(photo_ids),
            "updated_at": v.updated_at, "voided_at": v.voided_at, "void_reason": v.void_reason}


@router.get("/assistance/visits", response=VisitPage, summary="Visits in your area")
def visits(request, area: str = "", household_id: int | None = None, helper_id: int | None = None,
           since: Day | None = None, withdrawn: bool = False, page: int = 1, page_size: int = 50):
    """``withdrawn=true`` lists the withdrawn visits too."""
    sc = _scope(request, area)
    manager = Visit.all_objects if withdrawn else Visit.objects
    qs = sc.filter(manager.select_related("helper", "household")).prefetch_related("photos").order_by("-date", "-pk")
    if household_id is not None:
        qs = qs.filter(household__pk=household_id)
    if helper_id is not None:
        qs = qs.filter(helper__pk=helper_id)
    if since is not None:
        qs = qs.filter(date__gte=since)
    data = paginate(qs, page, page_size)
    data["items"] = [_visit_out(v, len(ids), ids) for v in data["items"]
                     for ids in [[p.pk for p in v.photos.all()]]]
    return data


@router.post("/assistance/visits", response={201: VisitOut},
             summary="Log a visit (photos: POST /assistance/visits/{id}/photos)")
def visit_create(request, body: VisitIn):
    household = registry_queries.household(request.user, body.household_id, actions.LOG)
    helper = queries.helper(request.user, body.helper_id, actions.LOG) if body.helper_id is not None else None
    v = actions.log_visit(actor(request), household=household, helper=helper, date=body.date, findings=body.findings,
                          agreements=body.agreements)
    return Status(201, _visit_out(v))


# --- corrections and withdrawals (never deleted) -------------------------------------------------

@router.put("/assistance/measures/{measure_id}", response=MeasureOut, summary="Correct a measure")
def measure_correct(request, measure_id: int, body: MeasureEdit):
    """The office keeping assistance records in the area at any time; the user who
    recorded it (still the household's helper) within ASSISTANCE_OWN_CORRECTION_DAYS.
    The record before and after is kept in the audit trail."""
    m = queries.measure(request.user, measure_id, actions.LOG)
    m = actions.correct_measure(actor(request), m, type=body.type, date=body.date,
                                amount_to_household=body.amount_to_household, amount_spent=body.amount_spent,
                                fund_source=body.fund_source, details=body.details, note=body.note)
    return _measure_out(m)


@router.post("/assistance/measures/{measure_id}/withdraw", response=MeasureOut, summary="Withdraw a measure")
def measure_withdraw(request, measure_id: int, body: WithdrawIn):
    """Kept with its reason, counted nowhere; a measure in the income ledger is taken out
    of it (offices only)."""
    m = queries.measure(request.user, measure_id, actions.LOG)
    return _measure_out(actions.withdraw_measure(actor(request), m, body.reason))


def _one_visit_out(v) -> dict:
    ids = list(v.photos.order_by("pk").values_list("pk", flat=True))
    return _visit_out(v, len(ids), ids)


@router.put("/assistance/visits/{visit_id}", response=VisitOut, summary="Correct a visit")
def visit_correct(request, visit_id: int, body: VisitEdit):
    """Who may: as for measures."""
    v = queries.visit(request.user, visit_id, actions.LOG)
    v = actions.correct_visit(actor(request), v, date=body.date, findings=body.findings, agreements=body.agreements)
    return _one_visit_out(v)


@router.post("/assistance/visits/{visit_id}/withdraw", response=VisitOut, summary="Withdraw a visit")
def visit_withdraw(request, visit_id: int, body: WithdrawIn):
    v = queries.visit(request.user, visit_id, actions.LOG)
    return _one_visit_out(actions.withdraw_visit(actor(request), v, body.reason))


@router.post("/assistance/visits/{visit_id}/photos", response={201: list[PhotoOut]},
             summary="Upload photos of a visit (multipart/form-data, field “photos”)")
def visit_photos(request, visit_id: int, photos: File[list[UploadedFile]] = None):
    """JPEG, PNG or WebP, recognised by decoding them (never by the name), at most
    ASSISTANCE_PHOTO_MAX_BYTES each and ASSISTANCE_PHOTO_MAX_COUNT per visit; EXIF (GPS)
    and other metadata are stripped, the orientation applied. All or none."""
    v = queries.visit(request.user, visit_id, actions.LOG)
    stored = actions.add_visit_photos(actor(request), v, photos or [])
    return Status(201, [{"id": p.pk, "visit_id": v.pk, "content_type": p.content_type, "size": p.size,
                         "width": p.width, "height": p.height} for p in stored])


_IMAGE = {"schema": {"type": "string", "format": "binary"}}


@router.get("/assistance/photos/{photo_id}", summary="Download a visit photo (logged)",
            openapi_extra={"responses": {200: {"description": "the photo", "content": {
                "image/jpeg": _IMAGE, "image/png": _IMAGE, "image/webp": _IMAGE}}}})
def photo_download(request, photo_id: int):
    """The photo's bytes (as stored: metadata stripped). Each download is an audit event
    (a sensitive read)."""
    from .views.work import photo_response

    p = queries.photo(request.user, photo_id)
    response = photo_response(p)
    actions.read_photo(actor(request), p)
    return response
