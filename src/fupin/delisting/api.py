"""The delisting REST API (read-only, scoped to the token owner's area): villages' exit
checks, a village's check and assessments, county assessment rounds with their rates.
The lists are paginated as every list of the API (``{count, page, page_size, items}``).
Outside the area: 404."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Router, Schema

from fupin.api.base import Day, paginate
from fupin.areas import rules as area_rules
from fupin.core import dates
from fupin.core.errors import Invalid

from . import queries

router = Router(tags=["delisting"])


class ItemOut(Schema):
    code: str
    label: str
    value: str
    required: str
    ok: bool | None = None
    numerator: int | None = None
    denominator: int | None = None
    rate: str | None = None
    source: str = ""


class VillageCheckOut(Schema):
    code: str
    name: str
    year: int
    on: dt.date
    criteria: str | None = None
    passed: bool
    applies: bool = True  # False: not a poor village of the year, the village exit check is not for it
    profile_status: str | None = None
    assessment_state: str | None = None
    items: list[ItemOut]


class StepOut(Schema):
    code: str
    date: dt.date
    last_day: dt.date | None = None
    closed_on: dt.date | None = None
    decision: str = ""


class AssessmentOut(Schema):
    id: int
    year: int
    assessed_on: dt.date
    passed: bool
    state: str
    steps: list[StepOut]


class VillageCheckPage(Schema):
    count: int
    page: int
    page_size: int
    year: int
    on: dt.date
    items: list[VillageCheckOut]


class VillageDetailOut(VillageCheckOut):
    assessments: list[AssessmentOut]


class RoundOut(Schema):
    id: int
    county_code: str
    county_name: str
    year: int
    assessed_on: dt.date
    seed: int
    state: str
    sample_villages: int
    sample_registered: int
    sample_non_registered: int


class RoundPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[RoundOut]


class RoundDetailOut(RoundOut):
    passed: bool
    surveyed: int
    sampled: int
    items: list[ItemOut]
    steps: list[StepOut]


def _items(items) -> list[dict]:
    return [{k: (str(v) if k in ("label", "value", "required", "source") else v) for k, v in i.items()
             if k in ItemOut.model_fields} for i in items]


def _year(year: int | None, prefix: str) -> int:
    from fupin.core import clock

    if year is not None and not dates.is_year(year):
        raise Invalid(_("Not a year."), field="year")
    return year or queries.latest_profile_year(prefix) or clock.today().year


def _check_out(row: dict, year: int, on: dt.date) -> dict:
    v, p, a = row["village"], row["profile"], row["assessment"]
    return {"code": v.code, "name": v.name, "year": year, "on": on,
            "criteria": row["criteria"].name if row["criteria"] else None, "passed": row["passed"],
            "applies": row["applies"], "profile_status": p.status if p else None, "assessment_state": a.state if a else None,
            "items": _items(row["items"])}


@router.get("/villages", response=VillageCheckPage,
            summary="The exit check of the villages of an area (a county, township or village), item by item")
def village_checks(request, area: str, year: int | None = None, on: Day | None = None, page: int = 1,
                   page_size: int = 50):
    """Villages in code order; ``year`` defaults to the latest year with village profiles in
    the area, ``on`` (the day the poor are counted) to 31 December of that year, or today in
    the current year."""
    from fupin.accounts.scoping import scope_for
    from fupin.areas.models import Area

    a = scope_for(request.user, queries.VIEW).get(Area.objects.filter(valid_to__isnull=True), "code", code=area)
    if area_rules.LEVELS.index(a.level) < area_rules.LEVELS.index(area_rules.COUNTY):
        raise Invalid(_("Choose a county, township or village."), field="area")
    year = _year(year, a.prefix)
    on = on or queries.default_on(year)
    data = paginate(queries.villages(request.user, a.prefix).order_by("code"), page, page_size)
    data["items"] = [_check_out(r, year, on) for r in queries.village_checks(data["items"], a.prefix, year, on)]
    return {**data, "year": year, "on": on}


@router.get("/villages/{code}", response=VillageDetailOut,
            summary="One village's exit check item by item, with its assessments and their steps")
def village_check(request, code: str, year: int | None = None, on: Day | None = None):
    v = queries.village(request.user, code)
    year = _year(year, v.code)
    on = on or queries.default_on(year)
    out = _check_out(queries.village_check(v, year, on), year, on)
    out["assessments"] = [
        {"id": a.pk, "year": a.year, "assessed_on": a.assessed_on, "passed": a.passed, "state": a.state,
         "steps": [{"code": s.code, "date": s.started_on, "last_day": s.last_day, "closed_on": s.closed_on,
                    "decision": s.decision} for s in a.steps.all()]}
        for a in queries.assessments(request.user).filter(village=v).prefetch_related("steps").order_by("-year", "-id")]
    return out


def _round_out(r) -> dict:
    return {"id": r.pk, "county_code": r.area_code, "county_name": r.county.name, "year": r.year,
            "assessed_on": r.assessed_on, "seed": r.seed, "state": r.state, "sample_villages": r.sample_villages,
            "sample_registered": r.sample_registered, "sample_non_registered": r.sample_non_registered}


@router.get("/rounds", response=RoundPage, summary="County exit assessment rounds in your area (newest year first)")
def rounds(request, year: int | None = None, page: int = 1, page_size: int = 50):
    qs = queries.rounds(request.user).order_by("-year", "area_code", "-id")
    if year:
        qs = qs.filter(year=year)
    data = paginate(qs, page, page_size)
    data["items"] = [_round_out(r) for r in data["items"]]
    return data


@router.get("/rounds/{round_id}", response=RoundDetailOut,
            summary="One county assessment round: its rates item by item against the criteria, and its steps")
def round_detail(request, round_id: int):
    r = queries.round_(request.user, round_id)
    check = queries.county_check(r)
    return {**_round_out(r), "passed": check["passed"], "surveyed": check["counts"]["surveyed"],
            "sampled": check["counts"]["total"], "items": _items(check["items"]),
            "steps": [{"code": s.code, "date": s.date, "decision": s.decision} for s in r.steps.all()]}
