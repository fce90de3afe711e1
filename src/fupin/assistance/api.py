"""The assistance REST API: helpers, pairings, measures and visits — list (filtered,
paginated) and create. Scoped like the pages: lists hold only the token owner's area;
a household, helper or village outside it is a 404. Writes go through
assistance.actions (permission, policy, audit). Helpers' phones are masked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from fupin.accounts.scoping import scope_for
from fupin.api.base import actor, paginate
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
    start: dt.date
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


class MeasurePage(Schema):
    count: int
    page: int
    page_size: int
    items: list[MeasureOut]


class MeasureIn(Schema):
    household_id: int | None = None
    village_code: str | None = Field(None, description="for a village measure (一村一策), without household_id")
    type: str = Field(description="a measure type code: " + ", ".join(catalog.measure_type_codes()))
    date: dt.date
    amount_to_household: Decimal = Decimal(0)
    amount_spent: Decimal = Decimal(0)
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


class VisitPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[VisitOut]


class VisitIn(Schema):
    household_id: int
    helper_id: int | None = Field(None, description="empty: your own helper record")
    date: dt.date
    findings: str = ""
    agreements: str = ""


def _scope(request, area: str, perm: str = VIEW):
    sc = scope_for(request.user, perm)
    area = (area or "").strip()
    if area:
        if not area_rules.is_valid_code(area):
            raise Invalid("area: a 12-digit area code", field="area")
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
        qs = qs.filter(household_id=household_id)
    if helper_id is not None:
        qs = qs.filter(helper_id=helper_id)
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
            "carried_at": m.carried_at}


@router.get("/assistance/measures", response=MeasurePage, summary="Measures in your area")
def measures(request, area: str = "", household_id: int | None = None, type: str = "",
             year: int | None = None, page: int = 1, page_size: int = 50):
    sc = _scope(request, area)
    qs = sc.filter(Measure.objects.select_related("village")).order_by("-date", "-pk")
    if household_id is not None:
        qs = qs.filter(household_id=household_id)
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
        raise Invalid("household_id or village_code", field="household_id")
    m = actions.record_measure(actor(request), type=body.type, date=body.date, household=household, village=village,
                               amount_to_household=body.amount_to_household, amount_spent=body.amount_spent,
                               fund_source=body.fund_source, details=body.details, note=body.note)
    return Status(201, _measure_out(m))


def _visit_out(v, photos: int = 0) -> dict:
    return {"id": v.pk, "helper_id": v.helper_id, "helper_name": v.helper.name, "household_id": v.household_id,
            "household_number": v.household.number, "area_code": v.area_code, "date": v.date,
            "findings": v.findings, "agreements": v.agreements, "photos": photos}


@router.get("/assistance/visits", response=VisitPage, summary="Visits in your area")
def visits(request, area: str = "", household_id: int | None = None, helper_id: int | None = None,
           since: dt.date | None = None, page: int = 1, page_size: int = 50):
    from django.db.models import Count

    sc = _scope(request, area)
    qs = (sc.filter(Visit.objects.select_related("helper", "household")).annotate(n_photos=Count("photos"))
          .order_by("-date", "-pk"))
    if household_id is not None:
        qs = qs.filter(household_id=household_id)
    if helper_id is not None:
        qs = qs.filter(helper_id=helper_id)
    if since is not None:
        qs = qs.filter(date__gte=since)
    data = paginate(qs, page, page_size)
    data["items"] = [_visit_out(v, v.n_photos) for v in data["items"]]
    return data


@router.post("/assistance/visits", response={201: VisitOut}, summary="Log a visit (photos: on the page)")
def visit_create(request, body: VisitIn):
    household = registry_queries.household(request.user, body.household_id, actions.LOG)
    helper = queries.helper(request.user, body.helper_id, actions.LOG) if body.helper_id is not None else None
    v = actions.log_visit(actor(request), household=household, helper=helper, date=body.date, findings=body.findings,
                          agreements=body.agreements)
    return Status(201, _visit_out(v))
