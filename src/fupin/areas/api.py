import datetime as dt

from ninja import Router, Schema
from pydantic import Field

from fupin.accounts.scoping import scope_for
from fupin.api.base import Error, paginate

from . import queries

router = Router(tags=["areas"])


class AreaOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None = Field(None, alias="parent.code")
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class AreaPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[AreaOut]


class UnitOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    level: str
    area_code: str
    active: bool


class UnitPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[UnitOut]


@router.get("", response=AreaPage, summary="Areas in your scope (children of `parent`, or matching `q`)")
def areas(request, parent: str | None = None, level: str | None = None, q: str = "", page: int = 1,
          page_size: int = 100):
    scope = scope_for(request.user)
    qs = queries.visible_areas(scope).select_related("parent")
    if parent:
        qs = qs.filter(parent__code=parent)
    if level:
        qs = qs.filter(level=level)
    if q:
        qs = qs.filter(name__contains=q)
    return paginate(qs.order_by("code"), page, page_size)


@router.get("/units", response=UnitPage, summary="Units in your scope")
def units(request, kind: str | None = None, page: int = 1, page_size: int = 100):
    qs = queries.units(scope_for(request.user))
    if kind:
        qs = qs.filter(kind=kind)
    return paginate(qs.order_by("area_code", "name"), page, page_size)


@router.get("/{code}", response={200: AreaOut, 404: Error}, summary="One area in your scope")
def area(request, code: str):
    return queries.get_area(request.user, code)
