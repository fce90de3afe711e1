"""Scoped reads of delisting, and the checks computed set-based from the registry.

Poor people "as of a date" come from the registry's dated status history
(``registry.stats.status_on``: one SQL statement for a whole area, grouped by village);
the denominator is ``VillageProfile.rural_population`` of the year."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max, Q, Sum

from fupin.accounts.scoping import Scope, scope_for
from fupin.areas import queries as area_queries
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.core import clock, present
from fupin.core.errors import NotFound
from fupin.exits import queries as exits_queries
from fupin.registry import codes as registry_codes
from fupin.registry import stats as registry_stats
from fupin.registry.models import ChecklistItem, VillageChecklist, VillageProfile

from . import rules
from .models import (
    CountyCriteria,
    CountyRound,
    Region,
    SampleHousehold,
    VillageAssessment,
    VillageCriteria,
)

VIEW = "registry.view"


# --- data ------------------------------------------------------------------------------

def regions() -> dict[str, list[str]]:
    return {r.code: list(r.provinces) for r in Region.objects.all()}


def village_criteria_for(code: str, year: int) -> VillageCriteria | None:
    return rules.pick(list(VillageCriteria.objects.all()), code, year)


def county_criteria_for(code: str, year: int) -> CountyCriteria | None:
    return rules.pick(list(CountyCriteria.objects.all()), code, year)


def default_on(year: int) -> dt.date:
    """The date a year's status is read on: 31 December, or today in the current year."""
    today = clock.today()
    return min(dt.date(year, 12, 31), today)


# --- the registry, set-based ---------------------------------------------------------------

def poor_people_by_village(prefix: str, on: dt.date) -> dict[str, int]:
    """{12-digit village code: people of households in a poor status on ``on``}."""
    out: dict[str, int] = {}
    for p, status, _h, n in registry_stats.status_on(prefix, area_rules.VILLAGE, on):
        if status in registry_codes.POOR_STATUSES:
            out[p] = out.get(p, 0) + n
    return out


def poor_people(prefix: str, on: dt.date) -> int:
    level = registry_stats.level_of(prefix)
    return sum(n for _p, status, _h, n in registry_stats.status_on(prefix, level, on)
               if status in registry_codes.POOR_STATUSES)


def rural_population(prefix: str, year: int) -> int:
    return VillageProfile.objects.filter(Scope([prefix]).q(), year=year).aggregate(
        r=Sum("rural_population"))["r"] or 0


def _checklist_names() -> dict[str, str]:
    return dict(ChecklistItem.objects.order_by("-area_prefix").values_list("code", "name"))


def village_checks(villages: list[Area], prefix: str, year: int, on: dt.date) -> list[dict]:
    """The exit check of each village of an area (a county or smaller): a few queries for
    the whole area, whatever the number of villages."""
    scope = Scope([prefix])
    poor = poor_people_by_village(prefix, on)
    profiles = {p.area_code: p for p in scope.filter(VillageProfile.objects.filter(year=year))}
    checklist: dict[str, dict[str, bool]] = {}
    for code, item_code, met in scope.filter(VillageChecklist.objects.filter(year=year)).values_list(
            "area_code", "item__code", "met"):
        checklist.setdefault(code, {})[item_code] = checklist.get(code, {}).get(item_code, False) or met
    latest: dict[str, VillageAssessment] = {}
    for a in scope.filter(VillageAssessment.objects.filter(year=year)).order_by("id"):
        latest[a.area_code] = a
    criteria_rows, regs, names = list(VillageCriteria.objects.all()), regions(), _checklist_names()
    out = []
    for v in villages:
        criteria = rules.pick(criteria_rows, v.code, year)
        profile = profiles.get(v.code)
        row = {"village": v, "profile": profile, "criteria": criteria, "assessment": latest.get(v.code),
               "poor_people": poor.get(v.code, 0)}
        if criteria is None:
            row.update(items=[], passed=False)
        else:
            row["items"] = rules.village_check(
                criteria=criteria, code=v.code, regions=regs, poor_people=poor.get(v.code, 0),
                rural_population=profile.rural_population if profile else None,
                collective_income=profile.collective_income if profile else None,
                status=profile.status if profile else None, checklist=checklist.get(v.code, {}),
                checklist_names=names)
            row["passed"] = rules.passed(row["items"])
        row["applies"] = rules.village_applies(criteria, profile.status if profile else None)
        row["incidence"] = next((i for i in row["items"] if i["code"] == "incidence"), None)
        out.append(row)
    return out


def village_check(village: Area, year: int, on: dt.date) -> dict:
    return village_checks([village], village.code, year, on)[0]


def latest_profile_year(prefix: str) -> int | None:
    return VillageProfile.objects.filter(Scope([prefix]).q()).aggregate(y=Max("year"))["y"]


# --- scoped reads ----------------------------------------------------------------------------

def villages(user, prefix: str):
    scope = scope_for(user, VIEW).narrow(prefix)
    return scope.filter(Area.objects.filter(level=area_rules.VILLAGE, valid_to__isnull=True), "code")


def village(user, code: str) -> Area:
    return scope_for(user, VIEW).get(Area.objects.filter(level=area_rules.VILLAGE, valid_to__isnull=True), "code",
                                     code=code)


def assessments(user):
    return scope_for(user, VIEW).filter(VillageAssessment.objects.select_related("village", "criteria"))


def assessment(user, pk) -> VillageAssessment:
    return scope_for(user, VIEW).get(VillageAssessment.objects.select_related("village", "criteria"), pk=pk)


def rounds(user):
    return scope_for(user, VIEW).filter(CountyRound.objects.select_related("county", "criteria"))


def round_(user, pk) -> CountyRound:
    return scope_for(user, VIEW).get(CountyRound.objects.select_related("county", "criteria"), pk=pk)


def sample(user, rnd: CountyRound, pk) -> SampleHousehold:
    return scope_for(user, VIEW).get(rnd.households.select_related("household", "household__village"), pk=pk)


# --- the county's rates -------------------------------------------------------------------------

def survey_counts(rnd: CountyRound) -> dict:
    """Numerators and denominators of the three survey rates, one aggregate."""
    done = Q(surveyed_on__isnull=False)
    exited = done & Q(stratum=SampleHousehold.EXITED)
    non_reg = done & Q(stratum=SampleHousehold.NON_REGISTERED)
    row = rnd.households.order_by().aggregate(
        total=Count("id"), surveyed=Count("id", filter=done),
        wrong_n=Sum("people", filter=exited & Q(exit_correct=False)), wrong_d=Sum("people", filter=exited),
        missed_n=Sum("people", filter=non_reg & Q(should_register=True)), missed_d=Sum("people", filter=non_reg),
        approve_n=Count("id", filter=done & Q(approves=True)),
        approve_d=Count("id", filter=done & Q(approves__isnull=False)),
        exited=Count("id", filter=Q(stratum=SampleHousehold.EXITED)),
        registered=Count("id", filter=Q(stratum=SampleHousehold.REGISTERED)),
        non_registered=Count("id", filter=Q(stratum=SampleHousehold.NON_REGISTERED)))
    return {k: v or 0 for k, v in row.items()}


def county_check(rnd: CountyRound) -> dict:
    prefix = rnd.area_code[:6]
    counts = survey_counts(rnd)
    poor, rural = poor_people(prefix, rnd.assessed_on), rural_population(prefix, rnd.year)
    scope = Scope([prefix])
    villages = scope.filter(Area.objects.filter(level=area_rules.VILLAGE, valid_to__isnull=True), "code").count()
    profiled = scope.filter(VillageProfile.objects.filter(year=rnd.year, rural_population__gt=0)).count()
    items = rules.county_check(criteria=rnd.criteria, code=rnd.area_code, regions=regions(), poor_people=poor,
                               rural_population=rural, wrong=(counts["wrong_n"], counts["wrong_d"]),
                               missed=(counts["missed_n"], counts["missed_d"]),
                               approval=(counts["approve_n"], counts["approve_d"]),
                               missing_profiles=max(villages - profiled, 0))
    return {"items": items, "passed": all(i["ok"] for i in items), "counts": counts,
            "complete": counts["total"] > 0 and counts["surveyed"] == counts["total"]}




# --- the criteria (standards) ---------------------------------------------------------------------

def _criteria_q(user):
    """Criteria rows of the user's areas, of every area above them and below them."""
    return exits_queries.applies_q(scope_for(user, VIEW))


def criteria_rows(user, model):
    return model.objects.filter(_criteria_q(user)).order_by("area_prefix", "-from_year")


def with_labels(rows: list) -> list:
    """Criteria rows as people read them: each gets ``area_name`` (the area of its prefix;
    the whole country for the national row) and ``checklist_labels`` (the names of its
    checklist items, the code where an item is unknown). Two queries for all rows
    (areas.queries.names: a retired area keeps its last name, an unknown prefix is shown)."""
    names = area_queries.names(r.area_prefix for r in rows)
    items = _checklist_names() if any(getattr(r, "checklist_items", None) for r in rows) else {}
    for r in rows:
        r.area_name = names.get(r.area_prefix, r.area_prefix)
        r.checklist_labels = present.join(items.get(c, c) for c in (getattr(r, "checklist_items", None) or []))
    return rows


def criteria_row(user, model, pk):
    try:
        return criteria_rows(user, model).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
