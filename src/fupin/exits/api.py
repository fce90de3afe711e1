"""The exits REST API (scoped to the token owner's area, paginated): households with
their exit check item by item (passing or failing), and households in their policy
period after exit on a date."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from fupin.accounts.scoping import scope_for
from fupin.api.base import Day, paginate
from fupin.areas import rules as area_rules
from fupin.core import clock, dates
from fupin.core.errors import Forbidden, Invalid

from . import queries

router = Router(tags=["exits"])
VIEW = "registry.view"


class ItemOut(Schema):
    code: str
    label: str
    enabled: bool
    ok: bool
    text: str


class CheckOut(Schema):
    id: int
    number: str
    head_name: str
    area_code: str
    status: str
    passes: bool = Field(description="meets every item of the exit criteria")
    items: list[ItemOut]


class CheckPage(Schema):
    count: int
    page: int
    page_size: int
    year: int
    items: list[CheckOut]


class ObservationOut(Schema):
    id: int
    number: str
    head_name: str
    area_code: str
    exit_date: dt.date
    observation_until: dt.date
    period_kind: str


class ObservationPage(Schema):
    count: int
    page: int
    page_size: int
    on: dt.date
    items: list[ObservationOut]


def _prefix(request, area: str) -> str:
    if scope_for(request.user, VIEW).is_empty:
        raise Forbidden()
    area = (area or "").strip()
    if not area:
        scope = scope_for(request.user, VIEW)
        return scope.prefixes[0] if len(scope.prefixes) == 1 else ""
    if not area_rules.is_valid_code(area):
        raise Invalid(_("area: a 12-digit area code"), field="area")
    return area_rules.prefix_of(area)


@router.get("/check", response=CheckPage,
            summary="Registered and returned households with the exit check item by item (passing or failing)")
def check(request, area: str = "", year: int | None = None, result: str = "", page: int = 1, page_size: int = 50):
    if result not in ("", "pass", "fail"):
        raise Invalid(_("result: pass, fail or empty"), field="result")
    year = year or clock.today().year
    if not dates.is_year(year):
        raise Invalid(_("not a year"), field="year")
    qs = queries.checked_households(request.user, _prefix(request, area), year, result=result)
    data = paginate(qs, page, page_size)
    queries.explain(data["items"], year)
    data["items"] = [{"id": h.pk, "number": h.number, "head_name": h.head_name, "area_code": h.area_code,
                      "status": h.status, "passes": h.ok_all,
                      "items": [{**c, "label": str(c["label"]), "text": str(c["text"])} for c in h.checks]}
                     for h in data["items"]]
    return {**data, "year": year}


@router.get("/observation", response=ObservationPage,
            summary="Households in their observation / policy period after exit on a date (default today)")
def observation(request, area: str = "", on: Day | None = None, page: int = 1, page_size: int = 50):
    on = on or clock.today()
    qs = queries.in_observation(request.user, _prefix(request, area), on).order_by("observation_until", "area_code",
                                                                                    "number")
    data = paginate(qs, page, page_size)
    data["items"] = [{"id": h.pk, "number": h.number, "head_name": h.head_name, "area_code": h.area_code,
                      "exit_date": h.exit_date, "observation_until": h.observation_until,
                      "period_kind": h.period_kind} for h in data["items"]]
    return {**data, "on": on}
