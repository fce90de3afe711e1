"""Every write of assistance data, one record at a time (bulk paths: importers.py,
demo.py). Each action checks permission in the record's area, validates, writes and
records the audit event.

Permissions: ``assistance.edit`` (village cadres, work teams, township and county
offices) in the area; ``visits.log`` lets a helper log visits — and record measures —
for the households they are paired with now (their own helper record, linked to their
user)."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from fupin.accounts.scoping import can, require
from fupin.areas import rules as area_rules
from fupin.areas.models import Area, Unit
from fupin.audit import actions as audit
from fupin.core import clock, dates, money
from fupin.core.actor import Actor
from fupin.core.errors import Conflict, Forbidden, Invalid
from fupin.registry import actions as registry_actions
from fupin.registry import codes as registry_codes
from fupin.registry.models import Household, Income, Member
from fupin.registry.rules import INCOME_ITEMS, phone_problem

from . import catalog, holds, photos, rules
from .models import (
    Agreement,
    AgreementDecision,
    Attendance,
    Helper,
    HouseholdPlan,
    Inspection,
    Link,
    Measure,
    Pairing,
    Post,
    TeamMember,
    VillagePlan,
    Visit,
    WorkTeam,
)

EDIT = "assistance.edit"
LOG = "visits.log"
HELPER_FIELDS = ["name", "user_id", "unit_id", "post", "phone", "level", "area_code", "active", "note"]


def _text(value, limit: int = 200) -> str:
    return (value or "").strip()[:limit]


_amount = money.amount


def _date(value, field: str) -> dt.date:
    """core.dates.parse_date, its reason replaced by this form's message."""
    try:
        return dates.parse_date(value)
    except ValueError:
        raise Invalid(_("A date (YYYY-MM-DD) is needed."), field=field) from None


def _not_future(day: dt.date, field: str) -> None:
    if day > clock.today():
        raise Invalid(_("The date is in the future."), field=field)


def _current_area(code: str, field: str = "area_code") -> Area:
    area = Area.objects.filter(code=code, valid_to__isnull=True).first()
    if area is None:
        raise Invalid(_("Area %(code)s does not exist.") % {"code": code}, field=field)
    return area


def own_helper(actor: Actor, household: Household) -> Helper | None:
    """The actor's own helper record, when it is paired with the household now."""
    if actor.user is None:
        return None
    return Helper.objects.filter(user=actor.user, active=True, pairings__household=household,
                                 pairings__end__isnull=True).first()


def may_act_for_household(actor: Actor, household: Household) -> bool:
    """assistance.edit in the household's area, or its own helper with visits.log."""
    if actor.is_system or can(actor.user, EDIT, household.area_code):
        return True
    return can(actor.user, LOG, household.area_code) and own_helper(actor, household) is not None


# --- helpers ------------------------------------------------------------------------------

def _clean_helper(actor: Actor, values: dict) -> dict:
    data = {}
    data["name"] = _text(values.get("name"), 60)
    if not data["name"]:
        raise Invalid(_("The name is empty."), field="name")
    area = values.get("area")
    if area is None and values.get("area_code"):
        area = _current_area(values["area_code"])
    if area is None:
        raise Invalid(_("Choose the area where this person helps."), field="area_code")
    if area.level == area_rules.GROUP:
        area = area.parent
    data["area"] = area
    unit = values.get("unit")
    if unit is not None and not isinstance(unit, Unit):
        unit = Unit.objects.filter(pk=unit).first()
    data["unit"] = unit
    level = values.get("level") or (unit.level if unit is not None else "")
    if level not in catalog.helper_levels():
        raise Invalid(_("Give the level of the unit (province, city, county, township or village)."), field="level")
    data["level"] = level
    data["post"] = _text(values.get("post"), 60)
    phone = _text(values.get("phone"), 20)
    if phone and (problem := phone_problem(phone)):
        raise Invalid(problem, field="phone")
    data["phone"] = phone
    data["note"] = _text(values.get("note"))
    data["active"] = bool(values.get("active", True))
    user = values.get("user")
    if user is not None and user.pk != values.get("current_user_id"):
        from fupin.accounts.scoping import scope_for

        prefixes = [r.prefix for r in user.roles.all()]
        if not actor.is_system and not any(scope_for(actor.user, EDIT).contains(p) for p in prefixes):
            raise Invalid(_("That user is not in your area."), field="user")
    data["user"] = user
    return data


@transaction.atomic
def save_helper(actor: Actor, helper: Helper | None, **values) -> Helper:
    """Create or change a helper (a person: a cadre, a leader, a work-team member)."""
    if helper is not None:
        require(actor, EDIT, helper.area_code)
    data = _clean_helper(actor, {**values, "current_user_id": helper.user_id if helper else None})
    require(actor, EDIT, data["area"].code)
    before = audit.snapshot(helper, HELPER_FIELDS) if helper else None
    helper = helper or Helper()
    for key, value in data.items():
        setattr(helper, key, value)
    helper.area_code = data["area"].code
    helper.save()
    audit.record(actor, "assistance.helper.update" if before else "assistance.helper.create", obj=helper,
                 before=before, after=audit.snapshot(helper, HELPER_FIELDS))
    return helper


# --- pairings: 干部帮户 ----------------------------------------------------------------------

@transaction.atomic
def pair(actor: Actor, household: Household, helper: Helper, start: dt.date, *, replace: bool = False,
         reason: str = "") -> Pairing:
    """Pair a helper with a household from ``start``. With ``replace`` (a change of
    helper) the household's other open pairings end the day before: the old pairing is
    kept with its dates, a new one is added — nothing is overwritten."""
    require(actor, EDIT, household.area_code)
    start = _date(start, "start")
    if not helper.active:
        raise Invalid(_("This helper is no longer active."), field="helper")
    Household.objects.select_for_update().filter(pk=household.pk).first()  # one change of helper at a time
    current = list(Pairing.objects.filter(household=household, end__isnull=True).select_related("helper"))
    if any(p.helper_id == helper.pk for p in current):
        raise Invalid(_("%(name)s already helps this household.") % {"name": helper.name}, field="helper")
    latest = Pairing.objects.filter(household=household).order_by("-start").first()
    if replace and latest is not None and start <= latest.start:
        raise Invalid(_("A change of helper must be dated after the current pairing began (%(d)s).")
                      % {"d": latest.start}, field="start")
    ended = []
    if replace:
        for p in current:
            p.end, p.end_reason = start - dt.timedelta(days=1), _text(reason) or _("helper changed")
            p.save(update_fields=["end", "end_reason"])
            ended.append(p)
    pairing = Pairing.objects.create(helper=helper, household=household, area_code=household.area_code,
                                     start=start, created_by=actor.user)
    audit.record(actor, "assistance.pairing.create", obj=household, area_code=household.area_code,
                 after={"helper": helper.pk, "helper_name": helper.name, "start": start,
                        "replaced": [p.helper_id for p in ended]}, note=_text(reason))
    for p in ended:
        audit.record(actor, "assistance.pairing.end", obj=household, area_code=household.area_code,
                     before={"helper": p.helper_id, "end": None}, after={"helper": p.helper_id, "end": p.end},
                     note=p.end_reason)
    return pairing


@transaction.atomic
def unpair(actor: Actor, pairing: Pairing, end: dt.date, reason: str = "") -> Pairing:
    """End a pairing. 不脱贫不脱钩: the household's last helper stays while a hold keeps
    it (the household is poor, or being monitored …); the refusal says why."""
    require(actor, EDIT, pairing.area_code)
    end = _date(end, "end")
    if pairing.end is not None:
        raise Conflict(_("This pairing has ended already."))
    if end < pairing.start:
        raise Invalid(_("The end is before the start (%(d)s).") % {"d": pairing.start}, field="end")
    household = Household.objects.select_for_update().get(pk=pairing.household_id)
    others = Pairing.objects.filter(household=household, end__isnull=True).exclude(pk=pairing.pk).exists()
    if not others:
        why = holds.reason(household)
        if why:
            raise Invalid(_("The last helper of this household cannot be unpaired. %(why)s Pair another helper "
                            "first (a change of helper).") % {"why": why}, field="end", code="hold")
    pairing.end, pairing.end_reason = end, _text(reason)
    pairing.save(update_fields=["end", "end_reason"])
    audit.record(actor, "assistance.pairing.end", obj=household, area_code=household.area_code,
                 before={"helper": pairing.helper_id, "end": None}, after={"helper": pairing.helper_id, "end": end},
                 note=pairing.end_reason)
    return pairing


# --- 挂包帮 and 对口帮扶 links -----------------------------------------------------------------

def _open_on(qs, day: dt.date):
    return qs.filter(start__lte=day).filter(Q(end__isnull=True) | Q(end__gte=day))


@transaction.atomic
def add_link(actor: Actor, *, kind: str, area: Area, start: dt.date, unit: Unit | None = None,
             person: Helper | None = None, role: str = "", note: str = "", replace: bool = False) -> Link:
    """A leader's contact point (挂点), a village contracted to a unit or person on its
    "三个一" platform (包村, one per role: with ``replace`` the current one ends the day
    before), or paired assistance between areas (对口帮扶)."""
    require(actor, EDIT, area.code)
    start = _date(start, "start")
    spec = catalog.link_kind(kind)
    if spec is None:
        raise Invalid(_("Unknown kind of link."), field="kind")
    if area.level not in spec["levels"]:
        raise Invalid(_("This kind of link is for a %(levels)s.") % {
            "levels": "/".join(str(area_rules.LEVEL_LABELS[lv]) for lv in spec["levels"])}, field="area_code")
    if kind == "baocun":
        r = catalog.platform_role(role)
        if r is None:
            raise Invalid(_("Choose the role on the village's platform."), field="role")
        party = r["party"]
    else:
        role, party = "", spec["party"]
    if party == "person":
        if person is None or unit is not None:
            raise Invalid(_("This link is held by a person."), field="person")
    elif party == "unit":
        if unit is None or person is not None:
            raise Invalid(_("This link is held by a unit."), field="unit")
    elif (unit is None) == (person is None):
        raise Invalid(_("Give a unit or a person."), field="unit")
    if kind == "baocun" and unit is not None and unit.kind not in catalog.platform_role(role).get("unit_kinds", [
            unit.kind]):
        raise Invalid(_("A %(role)s must be a unit of another kind.") % {"role": catalog.platform_role_label(role)},
                      field="unit")
    ended = []
    if kind == "baocun":
        current = list(_open_on(Link.objects.select_for_update().filter(area=area, kind="baocun", role=role), start))
        if current and not replace:
            raise Invalid(_("The village already has a %(role)s: %(who)s. Replace it instead.")
                          % {"role": catalog.platform_role_label(role), "who": current[0]}, field="role")
        for link in current:
            if start <= link.start:
                raise Invalid(_("A replacement must be dated after the current link began (%(d)s).")
                              % {"d": link.start}, field="start")
            link.end, link.end_reason = start - dt.timedelta(days=1), _("replaced")
            link.save(update_fields=["end", "end_reason"])
            ended.append(link)
    link = Link.objects.create(kind=kind, role=role, area=area, area_code=area.code, unit=unit, person=person,
                               start=start, note=_text(note), created_by=actor.user)
    audit.record(actor, "assistance.link.create", obj=link, after={
        "kind": kind, "role": role, "area": area.code, "unit": unit.pk if unit else None,
        "person": person.pk if person else None, "start": start, "replaced": [x.pk for x in ended]})
    return link


@transaction.atomic
def end_link(actor: Actor, link: Link, end: dt.date, reason: str = "") -> Link:
    """End a link. 不脱贫不脱钩: a village's contracted unit or person stays until the
    village is delisted (its latest profile no longer poor / key-assistance); it may only
    be replaced."""
    from .queries import village_status

    require(actor, EDIT, link.area_code)
    end = _date(end, "end")
    if link.end is not None:
        raise Conflict(_("This link has ended already."))
    if end < link.start:
        raise Invalid(_("The end is before the start (%(d)s).") % {"d": link.start}, field="end")
    if link.kind == "baocun":
        status = village_status(link.area)
        if status in catalog.stay_statuses():
            raise Invalid(_("%(who)s cannot leave %(village)s: the village is %(status)s and not delisted yet — not "
                            "out of poverty, not unpaired (不脱贫不脱钩). Replace it with another instead.")
                          % {"who": link.unit or link.person, "village": link.area.name,
                             "status": registry_codes.label("village_status", status)}, field="end", code="hold")
    link.end, link.end_reason = end, _text(reason)
    link.save(update_fields=["end", "end_reason"])
    audit.record(actor, "assistance.link.end", obj=link, before={"end": None}, after={"end": end},
                 note=link.end_reason)
    return link


# --- 驻村工作队 -----------------------------------------------------------------------------

@transaction.atomic
def create_team(actor: Actor, *, village: Area, unit: Unit, start: dt.date, name: str = "", note: str = "") -> WorkTeam:
    require(actor, EDIT, village.code)
    if village.level != area_rules.VILLAGE:
        raise Invalid(_("A work team is sent to a village."), field="village")
    if unit is None:
        raise Invalid(_("Choose the dispatching unit."), field="unit")
    start = _date(start, "start")
    team = WorkTeam.objects.create(village=village, area_code=village.code, unit=unit, start=start,
                                   name=_text(name, 100), note=_text(note))
    audit.record(actor, "assistance.team.create", obj=team, after={"village": village.code, "unit": unit.pk,
                                                                    "start": start, "name": team.name})
    return team


@transaction.atomic
def end_team(actor: Actor, team: WorkTeam, end: dt.date, reason: str = "") -> WorkTeam:
    """A team leaves its village. A poor / key village keeps a team: the last one leaves
    only when another is in the village."""
    from .queries import village_status

    require(actor, EDIT, team.area_code)
    end = _date(end, "end")
    if team.end is not None:
        raise Conflict(_("This team has left already."))
    if end < team.start:
        raise Invalid(_("The end is before the start (%(d)s).") % {"d": team.start}, field="end")
    status = village_status(team.village)
    if status in catalog.needs_team_statuses():
        others = WorkTeam.objects.filter(village=team.village, end__isnull=True).exclude(pk=team.pk).exists()
        if not others:
            raise Invalid(_("%(village)s is %(status)s and must keep a work team: send the next team first.")
                          % {"village": team.village.name,
                             "status": registry_codes.label("village_status", status)}, field="end", code="hold")
    team.end = end
    team.save(update_fields=["end"])
    team.members.filter(end__isnull=True).update(end=end)
    audit.record(actor, "assistance.team.end", obj=team, before={"end": None}, after={"end": end}, note=_text(reason))
    return team


@transaction.atomic
def add_team_member(actor: Actor, team: WorkTeam, person: Helper, role: str, start: dt.date) -> TeamMember:
    require(actor, EDIT, team.area_code)
    start = _date(start, "start")
    if role not in [r["code"] for r in catalog.team_roles()]:
        raise Invalid(_("Unknown role."), field="role")
    if team.end is not None:
        raise Invalid(_("This team has left the village."), field="team")
    if start < team.start:
        raise Invalid(_("The team came to the village on %(d)s.") % {"d": team.start}, field="start")
    if role == "first_secretary" and team.members.filter(role=role, end__isnull=True).exists():
        raise Invalid(_("The team has a first secretary already: end that first."), field="role")
    try:
        with transaction.atomic():
            member = TeamMember.objects.create(team=team, person=person, area_code=team.area_code, role=role,
                                               start=start)
    except IntegrityError:
        raise Invalid(_("%(name)s is in this team already.") % {"name": person.name}, field="person") from None
    audit.record(actor, "assistance.team.member_add", obj=team, after={"person": person.pk, "name": person.name,
                                                                        "role": role, "start": start})
    return member


@transaction.atomic
def end_team_member(actor: Actor, member: TeamMember, end: dt.date) -> TeamMember:
    require(actor, EDIT, member.area_code)
    end = _date(end, "end")
    if member.end is not None:
        raise Conflict(_("This member has left already."))
    if end < member.start:
        raise Invalid(_("The end is before the start (%(d)s).") % {"d": member.start}, field="end")
    member.end = end
    member.save(update_fields=["end"])
    audit.record(actor, "assistance.team.member_end", obj=member.team, before={"person": member.person_id},
                 after={"person": member.person_id, "end": end})
    return member


@transaction.atomic
def record_attendance(actor: Actor, member: TeamMember, month: dt.date, days: int) -> Attendance:
    """Days a member spent in the village in a month (entered or corrected)."""
    require(actor, EDIT, member.area_code)
    month = rules.month_start(_date(month, "month"))
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise Invalid(_("A whole number of days."), field="days") from None
    length = calendar.monthrange(month.year, month.month)[1]
    if not 0 <= days <= length:
        raise Invalid(_("Between 0 and %(n)s days.") % {"n": length}, field="days")
    if month > clock.today() or rules.next_month(month) <= member.start or (member.end and month > member.end):
        raise Invalid(_("The member was not in the team that month."), field="month")
    row = Attendance.objects.filter(member=member, month=month).first()
    before = {"days": row.days} if row else None
    row = row or Attendance(member=member, month=month, area_code=member.area_code)
    row.days, row.recorded_by = days, actor.user
    row.save()
    audit.record(actor, "assistance.team.attendance", obj=member.team, before=before,
                 after={"person": member.person_id, "month": month, "days": days})
    return row


# --- plans --------------------------------------------------------------------------------

PLAN_FIELDS = ["goals", "causes", "measure_types", "expected_income", "note"]


@transaction.atomic
def save_household_plan(actor: Actor, household: Household, year: int, *, goals: str = "", causes=(),
                        measure_types=(), expected_income=0, note: str = "") -> HouseholdPlan:
    """一户一策: the household's plan for a year (entered or corrected)."""
    require(actor, EDIT, household.area_code)
    year = _year(year)
    causes = list(dict.fromkeys(causes or []))
    bad = [c for c in causes if c not in registry_codes.codes("cause")]
    if bad:
        raise Invalid(_("Unknown cause of poverty “%(c)s”.") % {"c": bad[0]}, field="causes")
    types = list(dict.fromkeys(measure_types or []))
    bad = [t for t in types if t not in catalog.measure_type_codes()]
    if bad:
        raise Invalid(_("Unknown measure type “%(t)s”.") % {"t": bad[0]}, field="measure_types")
    plan = HouseholdPlan.objects.filter(household=household, year=year).first()
    before = audit.snapshot(plan, PLAN_FIELDS) if plan else None
    plan = plan or HouseholdPlan(household=household, year=year)
    plan.area_code = household.area_code
    plan.goals, plan.causes, plan.measure_types = (goals or "").strip()[:4000], causes, types
    plan.expected_income = _amount(expected_income, "expected_income")
    plan.note, plan.updated_by = _text(note), actor.user
    plan.save()
    audit.record(actor, "assistance.plan.save", obj=household, area_code=household.area_code, before=before,
                 after=audit.snapshot(plan, PLAN_FIELDS), note=str(year))
    return plan


def _year(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise Invalid(_("A year is needed."), field="year") from None
    if not 2000 <= year <= clock.today().year + 5:
        raise Invalid(_("The year is out of range."), field="year")
    return year


VILLAGE_PLAN_FIELDS = ["industries", "infrastructure", "infrastructure_note", "collective_income_target", "note"]


@transaction.atomic
def save_village_plan(actor: Actor, village: Area, year: int, *, industries: str = "", infrastructure=(),
                      infrastructure_note: str = "", collective_income_target=0, note: str = "") -> VillagePlan:
    """一村一策: a village's plan for a year. Infrastructure is a list of the village's
    checklist items (registry), so progress is what the checklist says was met."""
    from fupin.registry.queries import checklist_items

    require(actor, EDIT, village.code)
    if village.level != area_rules.VILLAGE:
        raise Invalid(_("A village plan is for a village."), field="village")
    year = _year(year)
    items = list(dict.fromkeys(infrastructure or []))
    allowed = set(checklist_items(village, year).values_list("code", flat=True))
    bad = [c for c in items if c not in allowed]
    if bad:
        raise Invalid(_("Checklist item “%(c)s” does not apply to this village in %(y)s.") % {"c": bad[0], "y": year},
                      field="infrastructure")
    plan = VillagePlan.objects.filter(village=village, year=year).first()
    before = audit.snapshot(plan, VILLAGE_PLAN_FIELDS) if plan else None
    plan = plan or VillagePlan(village=village, year=year, area_code=village.code)
    plan.industries = (industries or "").strip()[:4000]
    plan.infrastructure, plan.infrastructure_note = items, (infrastructure_note or "").strip()[:4000]
    plan.collective_income_target = _amount(collective_income_target, "collective_income_target")
    plan.note, plan.updated_by = _text(note), actor.user
    plan.save()
    audit.record(actor, "assistance.village_plan.save", obj=village, area_code=village.code, before=before,
                 after=audit.snapshot(plan, VILLAGE_PLAN_FIELDS), note=str(year))
    return plan


# --- measures ---------------------------------------------------------------------------

MEASURE_FIELDS = ["household_id", "area_code", "type", "date", "amount_to_household", "amount_spent", "fund_source",
                  "details", "note", "helper_id", "income_item"]


def _measure_terms(type: str, date, details: dict | None, fund_source: str) -> tuple[dt.date, dict]:
    """The checks a measure's terms pass when recorded and when corrected: a date not in
    the future, the type's details, a known source of funds. Returns the day and the
    cleaned details."""
    day = _date(date, "date")
    _not_future(day, "date")
    clean = rules.clean_details(type, details)
    if fund_source and fund_source not in [f["code"] for f in catalog.fund_sources()]:
        raise Invalid(_("Unknown source of funds."), field="fund_source")
    return day, clean


@transaction.atomic
def record_measure(actor: Actor, *, type: str, date, household: Household | None = None,
                   village: Area | None = None, amount_to_household=0, amount_spent=0, fund_source: str = "",
                   details: dict | None = None, note: str = "", helper: Helper | None = None) -> Measure:
    """A measure for a household (or a village). Details are checked against the type's
    field list; its income item (when it has one) is noted for carrying into the ledger."""
    if household is not None:
        if not may_act_for_household(actor, household):
            raise Forbidden()
        village, area_code = household.village, household.area_code
    elif village is not None:
        require(actor, EDIT, village.code)
        if village.level != area_rules.VILLAGE:
            raise Invalid(_("A village measure is for a village."), field="village")
        area_code = village.code
    else:
        raise Invalid(_("A measure is for a household or a village."), field="household")
    day, clean = _measure_terms(type, date, details, fund_source)
    if helper is None and household is not None:
        helper = own_helper(actor, household)
    measure = Measure.objects.create(
        household=household, village=village, area_code=area_code, type=type, date=day, year=day.year,
        amount_to_household=_amount(amount_to_household, "amount_to_household"),
        amount_spent=_amount(amount_spent, "amount_spent"), fund_source=fund_source, details=clean,
        note=_text(note), helper=helper, recorded_by=actor.user,
        income_item=rules.income_item(type, clean) if household is not None else "")
    audit.record(actor, "assistance.measure.create", obj=measure, after=audit.snapshot(measure, MEASURE_FIELDS))
    return measure


@transaction.atomic
def carry_to_income(actor: Actor, measures: list[Measure]) -> Income:
    """Carry income-bearing measures of one household and year into its income ledger
    (经济收入一本账): each amount to the household is added to its income item through
    registry.actions.save_income (which recomputes per-capita income and audits). A
    measure is carried once: a second time is refused."""
    if not measures:
        raise Invalid(_("Nothing to carry."))
    first = measures[0]
    if first.household_id is None:
        raise Invalid(_("Only a household's measures go into its income ledger."))
    require(actor, EDIT, first.area_code)
    keys = {(m.household_id, m.year) for m in measures}
    if len(keys) != 1:
        raise Invalid(_("Carry the measures of one household and one year at a time."))
    locked = {m.pk: m for m in Measure.all_objects.select_for_update().filter(pk__in=[m.pk for m in measures])}
    household = Household.objects.get(pk=first.household_id)
    add: dict[str, Decimal] = {}
    for m in measures:
        row = locked[m.pk]
        if row.voided_at is not None:
            raise Invalid(_("This measure was withdrawn."), field="voided_at", code="withdrawn")
        if row.carried_at is not None:
            raise Invalid(_("This measure was carried into the income ledger already (%(d)s).")
                          % {"d": row.carried_at.date()}, field="carried_at", code="carried")
        if not row.income_item or row.income_item not in INCOME_ITEMS:
            raise Invalid(_("This kind of measure brings no income to the ledger."), field="type")
        if row.amount_to_household <= 0:
            raise Invalid(_("No money went to the household."), field="amount_to_household")
        add[row.income_item] = add.get(row.income_item, Decimal(0)) + row.amount_to_household
    income = Income.objects.filter(household=household, year=first.year).first()
    values = {k: (getattr(income, k) if income else Decimal(0)) for k in registry_actions.INCOME_FIELDS}
    for item, amount in add.items():
        values[item] += amount
    saved = registry_actions.save_income(actor, household, first.year, note=income.note if income else "", **values)
    now = clock.now()
    Measure.all_objects.filter(pk__in=list(locked)).update(carried_at=now)
    for m in measures:
        m.carried_at = now
    audit.record(actor, "assistance.measure.carry", obj=household, area_code=household.area_code,
                 after={"year": first.year, "measures": sorted(locked), "added": add}, count=len(locked))
    return saved


# --- visits -------------------------------------------------------------------------------

def _visit_notes(date, findings: str, agreements: str) -> tuple[dt.date, str, str]:
    """A visit's date (not in the future) and notes (one of the two at least), as logged
    and as corrected."""
    day = _date(date, "date")
    _not_future(day, "date")
    findings, agreements = (findings or "").strip()[:4000], (agreements or "").strip()[:4000]
    if not findings and not agreements:
        raise Invalid(_("Write what was found or what was agreed."), field="findings")
    return day, findings, agreements


def _checked_photos(existing: int, files) -> list:
    """Uploaded files for a visit holding ``existing`` photos: the count limit, then each
    file decoded and cleaned (photos.check) — all before anything is written."""
    files = list(files or ())
    photos.check_count(existing, len(files))
    return [photos.check(f) for f in files]


@transaction.atomic
def log_visit(actor: Actor, *, household: Household, helper: Helper | None, date, findings: str = "",
              agreements: str = "", files=()) -> Visit:
    """A helper's visit to a household, with photos (images only, size-limited, stored
    under random names). A user who may not edit assistance logs only their own visits
    to their own households."""
    require(actor, LOG, household.area_code)
    own = own_helper(actor, household)
    if not actor.is_system and not can(actor.user, EDIT, household.area_code):
        if own is None:
            raise Forbidden(_("Only the household's own helper logs a visit here."))
        if helper is not None and helper.pk != own.pk:
            raise Forbidden(_("You log your own visits only."))
        helper = own
    helper = helper or own
    if helper is None:
        raise Invalid(_("Choose the helper who visited."), field="helper")
    day, findings, agreements = _visit_notes(date, findings, agreements)
    checked = _checked_photos(0, files)  # every file is checked before anything is written
    visit = Visit.objects.create(helper=helper, household=household, area_code=household.area_code, date=day,
                                 findings=findings, agreements=agreements, recorded_by=actor.user)
    for info in checked:
        photos.store(visit, info)
    audit.record(actor, "assistance.visit.create", obj=household, area_code=household.area_code,
                 after={"visit": visit.pk, "helper": helper.pk, "date": day, "photos": len(checked)})
    return visit


# --- corrections and withdrawals of measures and visits ------------------------------------------
#
# Never deleted: a correction keeps the record before and after in the audit trail, a
# withdrawal (void) keeps the record with its reason and takes it out of every list and
# count. Who: whoever keeps assistance records in the area (assistance.edit — village
# cadres, work teams, township and county offices) at any time; the user who recorded it
# (a helper with visits.log, still the household's helper) within
# ASSISTANCE_OWN_CORRECTION_DAYS days of recording it.

VISIT_FIELDS = ["helper_id", "household_id", "date", "findings", "agreements"]


def correction_days() -> int:
    """settings.ASSISTANCE_OWN_CORRECTION_DAYS (the number lives in settings.py)."""
    from django.conf import settings

    return int(settings.ASSISTANCE_OWN_CORRECTION_DAYS)


def may_correct(actor: Actor, record: Measure | Visit) -> bool:
    """May the actor correct or withdraw this measure or visit? (see above)"""
    if actor.is_system or can(actor.user, EDIT, record.area_code):
        return True
    if actor.user is None or record.recorded_by_id != actor.user.pk or not can(actor.user, LOG, record.area_code):
        return False
    if record.recorded_at is None or (clock.now() - record.recorded_at).days >= correction_days():
        return False
    household = record.household
    return household is not None and own_helper(actor, household) is not None


def _require_correct(actor: Actor, record: Measure | Visit) -> None:
    if not actor.is_system and not can(actor.user, EDIT, record.area_code):
        require(actor, LOG, record.area_code)
    if record.voided_at is not None:
        raise Conflict(_("This record was withdrawn on %(d)s.") % {"d": record.voided_at.date()})
    if not may_correct(actor, record):
        raise Forbidden(_("Only an office keeping assistance records, or the person who recorded it within %(n)s "
                          "days, may correct or withdraw it.") % {"n": correction_days()})


@transaction.atomic
def correct_measure(actor: Actor, measure: Measure, *, type: str, date, amount_to_household=0, amount_spent=0,
                    fund_source: str = "", details: dict | None = None, note: str = "") -> Measure:
    """Correct a measure (its household or village stays: withdraw it and record a new one
    for another). A measure carried into the income ledger keeps its type, year, money to
    the household and income item — withdraw it instead."""
    measure = Measure.all_objects.select_for_update().get(pk=measure.pk)
    _require_correct(actor, measure)
    day, clean = _measure_terms(type, date, details, fund_source)
    to_household = _amount(amount_to_household, "amount_to_household")
    item = rules.income_item(type, clean) if measure.household_id is not None else ""
    if measure.carried_at is not None and (type != measure.type or day.year != measure.year
                                           or to_household != measure.amount_to_household
                                           or item != measure.income_item):
        raise Invalid(_("This measure is in the income ledger of %(y)s: its type, year, money to the household "
                        "and income item stay. Withdraw it (an office takes it out of the ledger) and record it "
                        "again.") % {"y": measure.year}, field="amount_to_household", code="carried")
    before = audit.snapshot(measure, MEASURE_FIELDS)
    measure.type, measure.date, measure.year, measure.details = type, day, day.year, clean
    measure.amount_to_household = to_household
    measure.amount_spent = _amount(amount_spent, "amount_spent")
    measure.fund_source, measure.note, measure.income_item = fund_source, _text(note), item
    after = audit.snapshot(measure, MEASURE_FIELDS)
    if after == before:  # nothing changed: not marked as corrected, nothing to audit
        return measure
    measure.updated_at, measure.updated_by = clock.now(), actor.user
    measure.save()
    audit.record(actor, "assistance.measure.update", obj=measure, before=before, after=after)
    return measure


@transaction.atomic
def withdraw_measure(actor: Actor, measure: Measure, reason: str) -> Measure:
    """Withdraw (void) a measure, with the reason; it stays, marked, in the history. A
    measure carried into the income ledger is taken out of it again (its amount is
    subtracted from its item through registry.actions.save_income) — only by an office
    that may also edit the registry."""
    measure = Measure.all_objects.select_for_update().get(pk=measure.pk)
    _require_correct(actor, measure)
    reason = _text(reason)
    if not reason:
        raise Invalid(_("Give the reason for withdrawing it."), field="reason")
    taken_out = None
    if measure.carried_at is not None:
        if not (actor.is_system or can(actor.user, EDIT, measure.area_code)):
            raise Forbidden(_("This measure is in the income ledger: only an office may withdraw it."))
        require(actor, "registry.edit", measure.area_code)
        household = Household.objects.get(pk=measure.household_id)
        income = Income.objects.filter(household=household, year=measure.year).first()
        current = getattr(income, measure.income_item) if income else Decimal(0)
        if income is None or current < measure.amount_to_household:
            raise Invalid(_("The income ledger of %(y)s no longer holds this measure's %(a)s yuan: correct the "
                          "ledger first.") % {"y": measure.year, "a": measure.amount_to_household},
                          field="amount_to_household")
        values = {k: getattr(income, k) for k in registry_actions.INCOME_FIELDS}
        values[measure.income_item] = current - measure.amount_to_household
        registry_actions.save_income(actor, household, measure.year, note=income.note, **values)
        taken_out = {"year": measure.year, "item": measure.income_item, "amount": measure.amount_to_household}
    measure.voided_at, measure.voided_by, measure.void_reason = clock.now(), actor.user, reason
    measure.save(update_fields=["voided_at", "voided_by", "void_reason"])
    audit.record(actor, "assistance.measure.void", obj=measure, before=audit.snapshot(measure, MEASURE_FIELDS),
                 after={"voided": True, "ledger": taken_out}, note=reason)
    return measure


@transaction.atomic
def correct_visit(actor: Actor, visit: Visit, *, date, findings: str = "", agreements: str = "",
                  files=()) -> Visit:
    """Correct a visit's date and notes, and add photos (checked like any upload)."""
    visit = Visit.all_objects.select_for_update().get(pk=visit.pk)
    _require_correct(actor, visit)
    day, findings, agreements = _visit_notes(date, findings, agreements)
    files = list(files or ())
    checked = _checked_photos(visit.photos.count(), files) if files else []
    before = audit.snapshot(visit, VISIT_FIELDS)
    visit.date, visit.findings, visit.agreements = day, findings, agreements
    after = audit.snapshot(visit, VISIT_FIELDS)
    if after == before and not checked:  # nothing changed: not marked as corrected, nothing to audit
        return visit
    visit.updated_at, visit.updated_by = clock.now(), actor.user
    visit.save()
    stored = [photos.store(visit, info) for info in checked]
    audit.record(actor, "assistance.visit.update", obj=visit, before=before,
                 after={**after, "photos_added": [p.pk for p in stored]})
    return visit


@transaction.atomic
def add_visit_photos(actor: Actor, visit: Visit, files) -> list:
    """Add photos to a visit (the API's upload): who may correct the visit may; each file
    is decoded, cleaned of its metadata and stored; all or none."""
    visit = Visit.all_objects.select_for_update().get(pk=visit.pk)
    _require_correct(actor, visit)
    files = list(files or ())
    if not files:
        raise Invalid(_("Choose at least one photo."), field="photos")
    checked = _checked_photos(visit.photos.count(), files)
    stored = [photos.store(visit, info) for info in checked]
    audit.record(actor, "assistance.visit.photos", obj=visit, after={"photos_added": [p.pk for p in stored]},
                 count=len(stored))
    return stored


@transaction.atomic
def withdraw_visit(actor: Actor, visit: Visit, reason: str) -> Visit:
    """Withdraw (void) a visit, with the reason; it and its photos stay in the history."""
    visit = Visit.all_objects.select_for_update().get(pk=visit.pk)
    _require_correct(actor, visit)
    reason = _text(reason)
    if not reason:
        raise Invalid(_("Give the reason for withdrawing it."), field="reason")
    visit.voided_at, visit.voided_by, visit.void_reason = clock.now(), actor.user, reason
    visit.save(update_fields=["voided_at", "voided_by", "void_reason"])
    audit.record(actor, "assistance.visit.void", obj=visit, before=audit.snapshot(visit, VISIT_FIELDS),
                 after={"voided": True}, note=reason)
    return visit


def read_photo(actor: Actor, photo) -> None:
    """A visit photo was opened or downloaded: a sensitive read, logged."""
    audit.record(actor, "assistance.photo.read", kind="read", obj=photo.visit, area_code=photo.area_code,
                 after={"photo": photo.pk})


# --- public-welfare and ranger posts ------------------------------------------------------------

POST_FIELDS = ["kind", "name", "area_code", "employer_id", "mu", "east", "south", "west", "north", "start", "end",
               "rule", "annual_pay"]


@transaction.atomic
def save_post(actor: Actor, post: Post | None, *, kind: str, name: str, area: Area, start, end, rule: str,
              annual_pay=None, employer: Unit | None = None, mu=0, east: str = "", south: str = "", west: str = "",
              north: str = "") -> Post:
    if post is not None:
        require(actor, EDIT, post.area_code)
    require(actor, EDIT, area.code)
    if kind not in [k["code"] for k in catalog.post_kinds()]:
        raise Invalid(_("Unknown kind of post."), field="kind")
    spec = catalog.pay_rule(rule)
    if spec is None:
        raise Invalid(_("Unknown pay rule."), field="rule")
    if not _text(name, 100):
        raise Invalid(_("The name is empty."), field="name")
    start, end = _date(start, "start"), _date(end, "end")
    if end < start:
        raise Invalid(_("The end is before the start (%(d)s).") % {"d": start}, field="end")
    before = audit.snapshot(post, POST_FIELDS) if post else None
    post = post or Post()
    post.kind, post.name, post.area, post.area_code, post.employer = kind, _text(name, 100), area, area.code, employer
    post.mu = _amount(mu, "mu")
    post.east, post.south, post.west, post.north = (_text(x, 100) for x in (east, south, west, north))
    post.start, post.end, post.rule = start, end, rule
    post.annual_pay = _amount(annual_pay if annual_pay not in (None, "") else spec["annual_pay"], "annual_pay")
    post.save()
    audit.record(actor, "assistance.post.update" if before else "assistance.post.create", obj=post, before=before,
                 after=audit.snapshot(post, POST_FIELDS))
    return post


@transaction.atomic
def sign_agreement(actor: Actor, post: Post, member: Member, start, end) -> Agreement:
    """An agreement with a member of a registered household (乙方) for the post."""
    require(actor, EDIT, post.area_code)
    require(actor, EDIT, member.area_code)
    start, end = _date(start, "start"), _date(end, "end")
    if not member.active:
        raise Invalid(_("This member has left the household."), field="member")
    if member.household.status == "removed":
        raise Invalid(_("The household was removed from the registry."), field="member")
    if end < start:
        raise Invalid(_("The end is before the start (%(d)s).") % {"d": start}, field="end")
    if start < post.start or end > post.end:
        raise Invalid(_("The agreement must lie within the post's period (%(a)s – %(b)s).")
                      % {"a": post.start, "b": post.end}, field="start")
    Post.objects.select_for_update().filter(pk=post.pk).first()
    clash = (Agreement.objects.filter(post=post, status=Agreement.ACTIVE, start__lte=end, end__gte=start)
             .select_related("member").first())
    if clash is not None:
        raise Invalid(_("The post is held by %(name)s in that period.") % {"name": clash.member.name},
                      field="member")
    agreement = Agreement.objects.create(post=post, member=member, household=member.household,
                                         area_code=member.area_code, start=start, end=end)
    audit.record(actor, "assistance.agreement.create", obj=agreement, after={
        "post": post.pk, "member": member.pk, "start": start, "end": end})
    return agreement


@transaction.atomic
def record_inspection(actor: Actor, agreement: Agreement, date, present: bool, note: str = "") -> Inspection:
    require(actor, EDIT, agreement.area_code)
    day = _date(date, "date")
    _not_future(day, "date")
    last = agreement.ended_on or agreement.end
    if not agreement.start <= day <= last:
        raise Invalid(_("The agreement runs from %(a)s to %(b)s.") % {"a": agreement.start, "b": last}, field="date")
    row = Inspection.objects.create(agreement=agreement, area_code=agreement.area_code, date=day,
                                    present=bool(present), note=_text(note), recorded_by=actor.user)
    audit.record(actor, "assistance.inspection.create", obj=agreement,
                 after={"date": day, "present": bool(present), "note": row.note})
    return row


def month_absences(agreement: Agreement, month: dt.date) -> int:
    end = rules.next_month(month) - dt.timedelta(days=1)
    return agreement.inspections.filter(date__gte=month, date__lte=end, present=False).count()


@transaction.atomic
def decide(actor: Actor, agreement: Agreement, month, decision: str, reason: str, *,
           end_on: dt.date | None = None) -> AgreementDecision:
    """The employer's decision when the pay rule allows ending the agreement (seed 003:
    three absences in a month): end it or keep it, with the reason — recorded."""
    require(actor, EDIT, agreement.area_code)
    month = rules.month_start(_date(month, "month"))
    if decision not in (AgreementDecision.END, AgreementDecision.KEEP):
        raise Invalid(_("Decide to end or to keep the agreement."), field="decision")
    if not (reason or "").strip():
        raise Invalid(_("Give the reason for the decision."), field="reason")
    if agreement.status != Agreement.ACTIVE:
        raise Conflict(_("The agreement has ended already."))
    rule = catalog.pay_rule(agreement.post.rule)
    absences = month_absences(agreement, month)
    if not rules.month_pay(rule, absences, agreement.post.annual_pay)["may_end"]:
        raise Invalid(_("In %(m)s the holder was absent %(n)s times: the rule does not allow ending the agreement "
                        "for that.") % {"m": month.strftime("%Y-%m"), "n": absences}, field="month")
    if AgreementDecision.objects.filter(agreement=agreement, month=month).exists():
        raise Conflict(_("A decision for this month is recorded already."))
    row = AgreementDecision.objects.create(agreement=agreement, area_code=agreement.area_code, month=month,
                                           absences=absences, decision=decision, reason=reason.strip()[:2000],
                                           decided_by=actor.user)
    if decision == AgreementDecision.END:
        ended = _date(end_on, "end_on") if end_on else min(clock.today(), agreement.end)
        if ended < agreement.start:
            raise Invalid(_("The end is before the start (%(d)s).") % {"d": agreement.start}, field="end_on")
        agreement.status, agreement.ended_on = Agreement.ENDED, ended
        agreement.save(update_fields=["status", "ended_on"])
    audit.record(actor, "assistance.agreement.decide", obj=agreement,
                 after={"month": month, "absences": absences, "decision": decision, "reason": row.reason,
                        "ended_on": agreement.ended_on})
    return row
