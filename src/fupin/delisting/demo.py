"""The demo county's delisting (全南县, after the registry's and assistance's steps):

- the criteria are the shipped data (national, and 全南's row with seed 001's 5万元
  collective income and 七改三网 / 8+4 items);
- one of seed 001's poor villages delisted in a past year (the first year it meets
  the criteria): assessed on 31 December,
  township notice, county approval, announcement (back-dated with the clock);
- one key-assistance village assessed this year and in its township notice (published
  two days ago); its checklist of the year is recorded first through the registry's action;
- one county assessment round for the last year every village has a profile of (2020
  in the generated registry), back-dated to that November, with its sample and survey
  records for about half of the sampled households.

Everything goes through delisting.actions (audited); a few queries per village."""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import Count, Max

from fupin.areas.models import Area
from fupin.core import clock
from fupin.core.demo import COUNTY_CODE, step
from fupin.registry import actions as registry_actions
from fupin.registry import queries as registry_queries
from fupin.registry.models import VillageChecklist, VillageProfile

from . import actions, queries
from .models import SampleHousehold, VillageAssessment


def _complete_checklist(actor, village: Area, year: int) -> None:
    """Record the village's required checklist items of ``year`` as met (the demo's story:
    the items were completed), through the registry's own action."""
    criteria = queries.village_criteria_for(village.code, year)
    items = {i.code: i.pk for i in registry_queries.checklist_items(village, year)}
    met = {items[c]: True for c in criteria.checklist_items if c in items}
    if met:
        registry_actions.save_village_checklist(actor, village, year, met)


def _delisted_in_the_past(actor, poor: dict[str, int]) -> tuple[str, int] | None:
    """The first of the poor villages (by exit year, then code) that meets the criteria in
    a year from its planned exit year to 2020 (the registry's generated households leave
    poverty later than the villages' planned years): assessed on 31 December, then the
    notice, the county's approval and the announcement, back-dated."""
    last = VillageProfile.objects.filter(area_code__startswith=COUNTY_CODE[:6], status="delisted").aggregate(
        y=Max("year"))["y"] or 0
    for code, first in sorted(poor.items(), key=lambda kv: (kv[1], kv[0])):
        village = Area.objects.get(code=code, valid_to__isnull=True)
        for year in range(first, last + 1):
            end = dt.date(year, 12, 31)
            profile = VillageProfile.objects.filter(village=village, year=year).first()
            if profile is None or end >= clock.today():
                continue
            check = queries.village_check(village, year, end)
            failing = {i["code"] for i in check["items"] if i["ok"] is False}
            if not failing <= {"status"} | {f"checklist:{c}" for c in check["criteria"].checklist_items}:
                continue
            if profile.status == "delisted":  # generated as delisted already: the procedure sets it
                registry_actions.save_village_profile(actor, village, year, status="poor", status_year=2014)
            _complete_checklist(actor, village, year)
            with clock.frozen(end):
                a = actions.assess_village(actor, village, year, end)
                if not a.passed:
                    return None
                actions.publish_notice(actor, a, end)
            closing = end + dt.timedelta(days=a.notice_days)
            with clock.frozen(closing):
                actions.close_notice(actor, a)
                actions.approve_village(actor, a, approved=True, note="经县扶贫开发领导小组审定，同意退出。")
            with clock.frozen(closing + dt.timedelta(days=2)):
                actions.announce_village(actor, a, note="在村内公告。")
            return village.name, year
    return None


def _in_notice(actor, exclude: set[str]) -> str | None:
    today = clock.today()
    start = today - dt.timedelta(days=2)
    if start.year != today.year:
        start = today
    year = today.year
    candidates = (VillageProfile.objects.filter(area_code__startswith=COUNTY_CODE[:6], year=year,
                                                status__in=["key", "poor"]).select_related("village")
                  .order_by("area_code"))
    for p in candidates:
        if p.area_code in exclude:
            continue
        village = p.village
        if not VillageChecklist.objects.filter(village=village, year=year).exists():
            _complete_checklist(actor, village, year)
        check = queries.village_check(village, year, start)
        if not check["passed"]:
            continue
        with clock.frozen(start):
            a = actions.assess_village(actor, village, year, start)
            actions.publish_notice(actor, a, start)
        return village.name
    return None


def _round(actor, seed: int) -> dict:
    """A round for the last year every village has a profile of (the generated registry's
    profiles end in 2020), back-dated to that November, half of its sample surveyed."""
    county = Area.objects.get(code=COUNTY_CODE, valid_to__isnull=True)
    villages = Area.objects.filter(code__startswith=COUNTY_CODE[:6], level="village", valid_to__isnull=True).count()
    years = (VillageProfile.objects.filter(area_code__startswith=COUNTY_CODE[:6], rural_population__gt=0)
             .values("year").annotate(n=Count("id")).filter(n__gte=villages).order_by("-year"))
    year = years[0]["year"] if years else clock.today().year - 1
    on = min(dt.date(year, 11, 30), clock.today())
    rng = random.Random(f"fupin-delisting-{seed}")  # noqa: S311 — demo data
    with clock.frozen(on):
        rnd = actions.start_round(actor, county, year, on=on, seed=seed)
    samples = list(rnd.households.order_by("order"))
    records = []
    with clock.frozen(on + dt.timedelta(days=14)):
        for s in samples[: len(samples) // 2]:
            values = {"surveyed_on": on + dt.timedelta(days=rng.randint(1, 14)), "respondent": "户主",
                      "people": s.people, "approves": rng.random() < 0.96, "note": ""}
            if s.stratum == SampleHousehold.EXITED:
                values["exit_correct"] = rng.random() < 0.99
            if s.stratum == SampleHousehold.NON_REGISTERED:
                values["should_register"] = rng.random() < 0.02
            records.append((s, actions.clean_survey(s, values)))
        if records:
            actions.save_surveys(actor, rnd, records)
    return {"round": rnd.pk, "year": year, "sampled": len(samples), "surveyed": len(records)}


@step
def delisting_demo(actor, rng, context):
    """The demo step: village and county delisting in the demo county."""
    poor = context.get("registry", {}).get("poor_villages", {})
    past = _delisted_in_the_past(actor, poor)
    exclude = {a.area_code for a in VillageAssessment.objects.all()}
    notice = _in_notice(actor, exclude)
    r = _round(actor, context.get("seed", 2017))
    context["delisting"] = {"delisted": past, "in_notice": notice, **r}
    done = f"{past[0]} delisted in {past[1]}" if past else "no village delisted"
    context.setdefault("summary", []).append(
        f"Delisting: {done}; {notice or 'no village'} in its township "
        f"notice; a county assessment round for {r['year']} with {r['sampled']} sampled households, {r['surveyed']} surveyed.")
