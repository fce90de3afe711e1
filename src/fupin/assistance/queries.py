"""Scoped reads of assistance data. Every read goes through ``scope_for(user, perm)``
(an indexed range on the denormalised area code); every list and count is set-based —
annotations, subqueries and GROUP BY, never a query per row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Substr

from fupin.accounts.scoping import Scope, scope_for
from fupin.areas import rules as area_rules
from fupin.areas.models import Area, Unit
from fupin.registry.models import Household, Income, VillageProfile

from . import catalog, holds
from .models import (
    Agreement,
    Helper,
    HouseholdPlan,
    Link,
    Measure,
    Pairing,
    Post,
    TeamMember,
    VillagePlan,
    Visit,
    WorkTeam,
)

VIEW = "registry.view"


def scope(user, perm: str = VIEW) -> Scope:
    return scope_for(user, perm)


# --- people and pairings ------------------------------------------------------------------

def helpers_in(sc: Scope):
    """Helpers recorded in the scope, or with an open pairing, a link or a team membership there."""
    if sc.is_empty:
        return Helper.objects.none()
    if sc.is_everything:
        return Helper.objects.all()
    paired = Pairing.objects.filter(sc.q(), end__isnull=True).values("helper_id")
    teams = TeamMember.objects.filter(sc.q(), end__isnull=True).values("person_id")
    return Helper.objects.filter(sc.q() | Q(pk__in=paired) | Q(pk__in=teams))


def helpers(user, perm: str = VIEW):
    return helpers_in(scope(user, perm))


def helper(user, pk, perm: str = VIEW) -> Helper:
    from fupin.core.errors import NotFound

    try:
        return helpers(user, perm).select_related("unit", "area", "user").get(pk=pk)
    except (Helper.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def own_helpers(user):
    """The helper records of a user (a helper logging their own visits)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Helper.objects.none()
    return Helper.objects.filter(user=user, active=True)


def paired_households(user):
    """The households paired now with the user's own (active) helper records, within the
    areas where the user may log visits: the phone page's list (/assistance/mine/), the
    households a helper logs visits for, and the home page's helper panel."""
    mine = Household.objects.filter(pairings__helper__in=own_helpers(user), pairings__end__isnull=True).distinct()
    return scope_for(user, "visits.log").filter(mine)


def with_last_visit(qs):
    """Each household with the date of its last visit (``last_visit``, None if never
    visited), the longest unvisited first."""
    last = Visit.objects.filter(household=OuterRef("pk")).order_by("-date").values("date")[:1]
    return (qs.annotate(last_visit=Subquery(last)).select_related("village")
            .order_by(F("last_visit").asc(nulls_first=True), "area_code", "number"))


def pairings(user, perm: str = VIEW):
    return scope(user, perm).filter(Pairing.objects.all())


def open_pairings(sc: Scope):
    return sc.filter(Pairing.objects.filter(end__isnull=True))


def with_load(qs, sc: Scope | None = None):
    """Helpers with their number of open pairings (inside the scope when given) and last visit."""
    last = Visit.objects.filter(helper=OuterRef("pk")).order_by("-date").values("date")[:1]
    count = (Pairing.objects.filter(helper=OuterRef("pk"), end__isnull=True)
             .filter(sc.q() if sc is not None and not sc.is_everything else Q())
             .order_by().values("helper").annotate(n=Count("pk")).values("n"))
    return qs.annotate(households=Coalesce(Subquery(count, output_field=IntegerField()), Value(0)),
                       last_visit=Subquery(last))


def unit_loads(sc: Scope) -> list[dict]:
    """Per unit: helpers with open pairings in the scope, households they help, villages
    the unit is contracted to (包村) and team members it has sent — one GROUP BY each."""
    rows: dict = {}
    for r in (open_pairings(sc).order_by().values("helper__unit_id", "helper__unit__name", "helper__level")
              .annotate(households=Count("household_id", distinct=True), helpers=Count("helper_id", distinct=True))):
        key = r["helper__unit_id"]
        row = rows.setdefault(key, {"unit_id": key, "name": r["helper__unit__name"], "households": 0, "helpers": 0,
                                    "villages": 0, "team_members": 0, "level": r["helper__level"]})
        row["households"] += r["households"]
        row["helpers"] += r["helpers"]
    for r in (sc.filter(Link.objects.filter(kind="baocun", end__isnull=True, unit__isnull=False)).order_by()
              .values("unit_id", "unit__name").annotate(villages=Count("area_id", distinct=True))):
        row = rows.setdefault(r["unit_id"], {"unit_id": r["unit_id"], "name": r["unit__name"], "households": 0,
                                             "helpers": 0, "villages": 0, "team_members": 0, "level": ""})
        row["villages"] = r["villages"]
    for r in (sc.filter(TeamMember.objects.filter(end__isnull=True)).order_by()
              .values("team__unit_id", "team__unit__name").annotate(n=Count("pk"))):
        row = rows.setdefault(r["team__unit_id"], {"unit_id": r["team__unit_id"], "name": r["team__unit__name"],
                                                   "households": 0, "helpers": 0, "villages": 0, "team_members": 0,
                                                   "level": ""})
        row["team_members"] = r["n"]
    return sorted(rows.values(), key=lambda r: (-r["households"], r["name"] or ""))


def household_pairings(household):
    return household.pairings.select_related("helper", "helper__unit").order_by("-end", "-start", "-pk")


def links(user, perm: str = VIEW):
    return scope(user, perm).filter(Link.objects.all())


def link(user, pk, perm: str = VIEW) -> Link:
    return scope(user, perm).get(Link.objects.select_related("area", "unit", "person"), pk=pk)


def teams(user, perm: str = VIEW):
    return scope(user, perm).filter(WorkTeam.objects.all())


def team(user, pk, perm: str = VIEW) -> WorkTeam:
    return scope(user, perm).get(WorkTeam.objects.select_related("village", "unit"), pk=pk)


def team_member(user, pk, perm: str = VIEW) -> TeamMember:
    return scope(user, perm).get(TeamMember.objects.select_related("team", "person"), pk=pk)


def units_for(scope: Scope):
    """Units the user may choose: those of the scope and of every area above it (a county
    department helps a village), never another county's."""
    if scope.is_everything:
        return Unit.objects.filter(active=True).order_by("area_code", "name")
    codes = set()
    for p in scope.prefixes:
        for n in (2, 4, 6, 9):
            if len(p) > n:
                codes.add(p[:n].ljust(12, "0"))
    q = Q(area_code__in=codes)
    if not scope.is_empty:
        q |= scope.q()
    return Unit.objects.filter(q, active=True).order_by("area_code", "name")


# --- villages --------------------------------------------------------------------------------

def latest_status():
    """The status in a village's latest yearly profile, as a subquery on Area (OuterRef pk)."""
    return Subquery(VillageProfile.objects.filter(village=OuterRef("pk")).order_by("-year").values("status")[:1])


def village_status(village: Area) -> str:
    row = VillageProfile.objects.filter(village=village).order_by("-year").values_list("status", flat=True).first()
    return row or "none"


def villages(sc: Scope):
    return sc.filter(Area.objects.filter(level=area_rules.VILLAGE, valid_to__isnull=True), "code")


def villages_needing_team(sc: Scope):
    return villages(sc).annotate(status=latest_status()).filter(status__in=catalog.needs_team_statuses())


def villages_without_team(sc: Scope, on: dt.date):
    open_team = WorkTeam.objects.filter(village=OuterRef("pk"), start__lte=on).filter(
        Q(end__isnull=True) | Q(end__gte=on))
    return villages_needing_team(sc).filter(~Exists(open_team)).order_by("code")


def villages_without_unit(sc: Scope, on: dt.date):
    """Poor / key villages with no unit contracted (包村: a department or an enterprise)."""
    open_unit = Link.objects.filter(area=OuterRef("pk"), kind="baocun", unit__isnull=False, start__lte=on).filter(
        Q(end__isnull=True) | Q(end__gte=on))
    return villages_needing_team(sc).filter(~Exists(open_unit)).order_by("code")


def platform_table(sc: Scope, on: dt.date) -> list[dict]:
    """The "三个一" of every poor / key village: who fills each role now."""
    vs = list(villages_needing_team(sc).order_by("code"))
    current = (Link.objects.filter(kind="baocun", area__in=vs, start__lte=on)
               .filter(Q(end__isnull=True) | Q(end__gte=on)).select_related("unit", "person"))
    by_village: dict = {}
    for link_ in current:
        by_village.setdefault(link_.area_id, {})[link_.role] = link_
    team_ids = set(WorkTeam.objects.filter(village__in=vs, start__lte=on).filter(
        Q(end__isnull=True) | Q(end__gte=on)).values_list("village_id", flat=True))
    roles = [r["code"] for r in catalog.platform_roles()]
    return [{"village": v, "status": v.status, "roles": [by_village.get(v.pk, {}).get(r) for r in roles],
             "team": v.pk in team_ids} for v in vs]


# --- households without a helper, helpers without visits ---------------------------------------

def households_without_helper(sc: Scope):
    open_pairing = Pairing.objects.filter(household=OuterRef("pk"), end__isnull=True)
    return sc.filter(Household.objects.filter(holds.needs_helper_q())).filter(~Exists(open_pairing))


def helpers_without_visit(sc: Scope, since: dt.date):
    """Helpers with open pairings in the scope whose last visit (anywhere) is before ``since``."""
    recent = Visit.objects.filter(helper=OuterRef("pk"), date__gte=since)
    qs = Helper.objects.filter(pk__in=open_pairings(sc).values("helper_id")).filter(~Exists(recent))
    return with_load(qs, sc)


# --- plans and measures -----------------------------------------------------------------------

def measures(user, perm: str = VIEW):
    return scope(user, perm).filter(Measure.objects.all())


def measure_totals(qs) -> dict:
    """The number and the money of a filtered list of measures (every page, not the one
    shown), in one aggregate query; withdrawn measures are listed on request but never counted."""
    live = Q(voided_at__isnull=True)
    row = qs.order_by().aggregate(n=Count("pk", filter=live), to_household=Sum("amount_to_household", filter=live),
                                  spent=Sum("amount_spent", filter=live))
    zero = Decimal("0.00")
    return {"n": row["n"] or 0, "to_household": row["to_household"] or zero, "spent": row["spent"] or zero}


def measures_in(sc: Scope, *, withdrawn: bool = False):
    """The measures of the scope (the withdrawn ones too with ``withdrawn``): what an import
    of the actor's file may match (reimport.py) — never a record outside the actor's area."""
    return sc.filter((Measure.all_objects if withdrawn else Measure.objects).all())


def measure_list(sc: Scope, *, withdrawn: bool = False, measure_type: str = "", year: int | None = None):
    """The measures page's list: the measures of the scope (the withdrawn ones too with
    ``withdrawn``), of one type and one year when given, with what each row shows."""
    qs = measures_in(sc, withdrawn=withdrawn).select_related("household", "village", "recorded_by")
    if measure_type:
        qs = qs.filter(type=measure_type)
    if year is not None:
        qs = qs.filter(year=year)
    return qs


def measure(user, pk, perm: str = VIEW) -> Measure:
    """One measure, withdrawn ones too (their page says so)."""
    return scope(user, perm).get(Measure.all_objects.select_related("household", "village", "helper", "recorded_by",
                                                                    "voided_by", "updated_by"), pk=pk)


def household_plans(user, perm: str = VIEW):
    return scope(user, perm).filter(HouseholdPlan.objects.all())


def village_plans(user, perm: str = VIEW):
    return scope(user, perm).filter(VillagePlan.objects.all())


def plans_with_progress(qs):
    """Household plans with the measures done that year (count, money) and the year's income."""
    done = (Measure.objects.filter(household=OuterRef("household_id"), year=OuterRef("year")).order_by()
            .values("household").annotate(n=Count("pk")).values("n"))
    income = Income.objects.filter(household=OuterRef("household_id"), year=OuterRef("year"))
    return qs.annotate(measures_done=Coalesce(Subquery(done, output_field=IntegerField()), Value(0)),
                       actual_income=Subquery(income.values("net_income")[:1]))


def plans_without_measures(sc: Scope, year: int):
    done = Measure.objects.filter(household=OuterRef("household_id"), year=year)
    return sc.filter(HouseholdPlan.objects.filter(year=year)).filter(~Exists(done))


def plan_progress(plan: HouseholdPlan) -> dict:
    """One plan against what was done: the planned measure types done or not, the money,
    the income ledger of the year against the expected income."""
    ms = list(Measure.objects.filter(household=plan.household, year=plan.year).order_by("date", "pk"))
    done_types = {m.type for m in ms}
    planned = [{"code": t, "label": catalog.measure_label(t), "done": t in done_types} for t in plan.measure_types]
    income = Income.objects.filter(household=plan.household, year=plan.year).first()
    return {"measures": ms, "planned": planned,
            "planned_done": sum(1 for p in planned if p["done"]), "planned_total": len(planned),
            "to_household": sum((m.amount_to_household for m in ms), 0),
            "spent": sum((m.amount_spent for m in ms), 0),
            "income": income,
            "uncarried": [m for m in ms if m.income_item and m.carried_at is None and m.amount_to_household > 0]}


def village_plan_progress(plan: VillagePlan) -> dict:
    from fupin.registry.models import VillageChecklist

    met = dict(VillageChecklist.objects.filter(village=plan.village, year=plan.year, item__code__in=plan.infrastructure)
               .values_list("item__code", "met"))
    from fupin.registry.queries import checklist_items

    names = {i.code: i.name for i in checklist_items(plan.village, plan.year)}
    items = [{"code": c, "name": names.get(c, c), "met": bool(met.get(c))} for c in plan.infrastructure]
    profile = VillageProfile.objects.filter(village=plan.village, year=plan.year).first()
    village_measures = Measure.objects.filter(village=plan.village, household__isnull=True, year=plan.year)
    household_measures = Measure.objects.filter(area_code__startswith=plan.village.code, year=plan.year,
                                                household__isnull=False)
    return {"items": items, "met": sum(1 for i in items if i["met"]), "profile": profile,
            "collective_income": profile.collective_income if profile else None,
            "village_measures": list(village_measures.order_by("-date")[:50]),
            "household_measures": household_measures.count()}


# --- visits -------------------------------------------------------------------------------------

def visits(user, perm: str = VIEW):
    return scope(user, perm).filter(Visit.objects.all())


def visits_in(sc: Scope, *, withdrawn: bool = False):
    """The visits of the scope (the withdrawn ones too with ``withdrawn``), as ``measures_in``."""
    return sc.filter((Visit.all_objects if withdrawn else Visit.objects).all())


def visit(user, pk, perm: str = VIEW) -> Visit:
    """One visit, withdrawn ones too (their page says so)."""
    return scope(user, perm).get(Visit.all_objects.select_related("helper", "household", "recorded_by", "voided_by",
                                                                  "updated_by"), pk=pk)


def photo(user, pk, perm: str = VIEW):
    """One visit photo in the user's area (the photos of a withdrawn visit too)."""
    from .models import VisitPhoto

    return scope(user, perm).get(VisitPhoto.objects.select_related("visit"), pk=pk)


def history(record):
    """The audit events of a measure or a visit, newest first: recorded, corrected (with
    before and after), withdrawn."""
    from fupin.audit.models import AuditEvent

    return (AuditEvent.objects.filter(object_type=record._meta.label_lower, object_id=str(record.pk))
            .exclude(kind="read").select_related("user").order_by("-at", "-pk"))


# --- 六清 -----------------------------------------------------------------------------------------

def six_clear(households_qs, year: int):
    """Households annotated with the six items of 六清 (True = complete), set-based:
    situation = active members and a profile of the village; causes = a main cause;
    plan = a plan for the year; measures = a measure in the year; work log = a visit in
    the year; results = an income ledger for the year or the year before (during a year its
    results are judged on the last complete year's ledger)."""
    from fupin.registry.models import Member

    return households_qs.annotate(
        c_situation=Exists(Member.objects.filter(household=OuterRef("pk"), active=True))
        & Exists(VillageProfile.objects.filter(village=OuterRef("village_id"))),
        c_causes=~Q(main_cause=""),
        c_plan=Exists(HouseholdPlan.objects.filter(household=OuterRef("pk"), year=year)),
        c_measures=Exists(Measure.objects.filter(household=OuterRef("pk"), year=year)),
        c_worklog=Exists(Visit.objects.filter(household=OuterRef("pk"), date__year=year)),
        c_results=Exists(Income.objects.filter(household=OuterRef("pk"), year__in=(year - 1, year))),
    )


def households_for_six_clear(sc: Scope):
    """The households 六清 is about: those a hold keeps (poor …) and those with a helper now."""
    paired = sc.filter(Pairing.objects.filter(end__isnull=True)).values("household_id")
    return sc.filter(Household.objects.filter(holds.needs_helper_q() | Q(pk__in=paired)))


GAP_FIELDS = ["c_situation", "c_causes", "c_plan", "c_measures", "c_worklog", "c_results"]


def six_clear_gaps(sc: Scope, year: int):
    """Households with at least one of the six items incomplete."""
    qs = six_clear(households_for_six_clear(sc), year)
    gap = Q()
    for f in GAP_FIELDS:
        gap |= Q(**{f: False})
    return qs.filter(gap)


def _gap_counts(qs, group: str) -> list[dict]:
    agg = {"households": Count("pk")}
    for f in GAP_FIELDS:
        agg[f] = Count("pk", filter=Q(**{f: False}))
    return list(qs.order_by().values(group).annotate(**agg).order_by(group))


def six_clear_by_village(sc: Scope, year: int) -> list[dict]:
    qs = six_clear(households_for_six_clear(sc), year).annotate(village_code=Substr("area_code", 1, 12))
    rows = _gap_counts(qs, "village_code")
    names = dict(Area.objects.filter(code__in=[r["village_code"] for r in rows], valid_to__isnull=True)
                 .values_list("code", "name"))
    for r in rows:
        r["name"] = names.get(r["village_code"], r["village_code"])
        r["gaps"] = [r[f] for f in GAP_FIELDS]
    return rows


def six_clear_by_helper(sc: Scope, year: int) -> list[dict]:
    """Per helper with open pairings in the scope: their households' gaps (a household
    with two helpers counts for both)."""
    pairs = open_pairings(sc).values("household_id")
    # One row per (household, helper): group on the open pairing's helper.
    qs = six_clear(sc.filter(Household.objects.filter(pk__in=pairs)), year).filter(
        pairings__end__isnull=True)
    agg = {"households": Count("pk", distinct=True)}
    for f in GAP_FIELDS:
        agg[f] = Count("pk", filter=Q(**{f: False}), distinct=True)
    rows = list(qs.order_by().values("pairings__helper_id").annotate(**agg).order_by("pairings__helper_id"))
    people = {h.pk: h for h in Helper.objects.filter(pk__in=[r["pairings__helper_id"] for r in rows])
              .select_related("unit")}
    out = []
    for r in rows:
        r["helper"] = people.get(r["pairings__helper_id"])
        r["gaps"] = [r[f] for f in GAP_FIELDS]
        out.append(r)
    return sorted(out, key=lambda r: (-sum(r["gaps"]), r["helper"].name if r["helper"] else ""))


# --- posts --------------------------------------------------------------------------------------

def posts(user, perm: str = VIEW):
    return scope(user, perm).filter(Post.objects.all())


def post(user, pk, perm: str = VIEW) -> Post:
    return scope(user, perm).get(Post.objects.select_related("area", "employer"), pk=pk)


def agreements(user, perm: str = VIEW):
    return scope(user, perm).filter(Agreement.objects.all())


def agreement(user, pk, perm: str = VIEW) -> Agreement:
    return scope(user, perm).get(Agreement.objects.select_related("post", "member", "household"), pk=pk)


def month_rows(sc: Scope, month: dt.date):
    """Agreements running in ``month`` with the month's absences counted (one statement)."""
    from . import rules

    end = rules.next_month(month) - dt.timedelta(days=1)
    running = sc.filter(Agreement.objects.filter(start__lte=end, end__gte=month)).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=month))
    return running.annotate(
        absences=Count("inspections", filter=Q(inspections__date__gte=month, inspections__date__lte=end,
                                                inspections__present=False)),
    ).select_related("post", "member", "household", "household__village").order_by("area_code", "pk")
