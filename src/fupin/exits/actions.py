"""Every write of the exits app: exit criteria and policy periods (standards, audited),
starting an exit batch (through the procedure engine, which runs the criteria check),
starting a return case (the reason recorded, then the return procedure), closing the
observation periods that ended (set-based, through registry.actions.set_status_many)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from fupin.accounts.scoping import Scope, require, scope_for
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock, dates
from fupin.core.actor import Actor
from fupin.core.errors import Invalid, check_version
from fupin.identification import rules as identification_rules
from fupin.procedures import actions as procedures
from fupin.procedures.models import ProcedureBatch, ProcedureType
from fupin.registry import actions as registry
from fupin.registry import codes
from fupin.registry.models import Household

from . import queries, rules
from .models import ExitCriteria, PolicyPeriod, ReturnCase

EDIT = "standards.edit"
CRITERIA_FIELDS = ["name", "area_prefix", "from_year", "to_year", "source", "note", "is_example"]
EXIT_TYPE, RETURN_TYPE = "exit_2016", "return_2016"


def _prefix(value) -> str:
    prefix = (value or "").strip()
    error = identification_rules.check_prefix(prefix)
    if error:
        raise Invalid(error, field="area_prefix")
    return prefix


def _year(value, field: str, *, optional: bool = False) -> int | None:
    if optional and value in (None, ""):
        return None
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise Invalid(_("Not a year."), field=field) from None
    if not 2000 <= year <= 2100:
        raise Invalid(_("Not a year."), field=field)
    return year


@transaction.atomic
def save_criteria(actor: Actor, criteria: ExitCriteria | None, *, version=None, **values) -> ExitCriteria:
    """Create (``criteria`` None, e.g. a county's own variant) or change exit criteria."""
    creating = criteria is None
    if creating:
        criteria = ExitCriteria()
        before = None
    else:
        criteria = ExitCriteria.objects.select_for_update().get(pk=criteria.pk)
        require(actor, EDIT, criteria.area_code)
        check_version(criteria, version)
        before = {**audit.snapshot(criteria, CRITERIA_FIELDS), "items": criteria.items}
    for key in CRITERIA_FIELDS:
        if key in values:
            setattr(criteria, key, values[key])
    criteria.area_prefix = _prefix(criteria.area_prefix)
    require(actor, EDIT, criteria.area_code)
    criteria.from_year = _year(criteria.from_year, "from_year")
    criteria.to_year = _year(criteria.to_year, "to_year", optional=True)
    if criteria.to_year is not None and criteria.to_year < criteria.from_year:
        raise Invalid(_("The last year is before the first."), field="to_year")
    if not (criteria.name or "").strip():
        raise Invalid(_("Give the criteria a name."), field="name")
    if not (criteria.source or "").strip():
        raise Invalid(_("Name the source document."), field="source")
    if "items" in values or creating:
        try:
            criteria.items = rules.check_items(values.get("items") or [])
        except ValueError as exc:
            raise Invalid(str(exc), field="items") from None
    if not any(i.get("enabled") for i in criteria.items):
        raise Invalid(_("Switch on at least one item of the criteria."), field="items")
    clash = ExitCriteria.objects.filter(area_prefix=criteria.area_prefix, from_year=criteria.from_year)
    if clash.exclude(pk=criteria.pk).exists():
        raise Invalid(_("Criteria for this area from this year exist already."), field="from_year")
    criteria.updated_by = actor.user
    if not creating:
        criteria.version += 1
    criteria.save()
    audit.record(actor, "exits.criteria.create" if creating else "exits.criteria.change", obj=criteria,
                 before=before, after={**audit.snapshot(criteria, CRITERIA_FIELDS), "items": criteria.items})
    return criteria


# --- exit batches --------------------------------------------------------------------------------

def exit_type(code: str = EXIT_TYPE) -> ProcedureType:
    ptype = ProcedureType.objects.filter(code=code, purpose="exit").first()
    if ptype is None:
        raise Invalid(_("No exit procedure “%(c)s”.") % {"c": code}, field="type")
    return ptype


def start_exit(actor: Actor, area: Area, household_ids, *, type_code: str = EXIT_TYPE, title: str = "") -> ProcedureBatch:
    """Start an exit batch (the engine checks the criteria through ``exits.criteria``)."""
    return procedures.start_batch(actor, exit_type(type_code), area, household_ids, title=title)


# --- return to poverty -------------------------------------------------------------------------------

@transaction.atomic
def start_return(actor: Actor, household: Household, *, reason: str, occurred_on, cause: str = "",
                 type_code: str = RETURN_TYPE) -> ReturnCase:
    """Record why and when an exited household fell back, and start its return procedure
    in its village. The household becomes ``returned`` when the procedure completes."""
    require(actor, "procedures.village", household.area_code)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Give the reason for the return."), field="reason")
    if cause and cause not in codes.codes("cause"):
        raise Invalid(_("Unknown cause."), field="cause")
    if isinstance(occurred_on, str):
        occurred_on = _date(occurred_on, "occurred_on")
    if not isinstance(occurred_on, dt.date):
        raise Invalid(_("Give the date the return was found."), field="occurred_on")
    if occurred_on > clock.today():
        raise Invalid(_("The date cannot be in the future."), field="occurred_on")
    if household.status_date and occurred_on < household.status_date:
        raise Invalid(_("The date is before the household's exit (%(d)s).") % {"d": household.status_date},
                      field="occurred_on")
    ptype = ProcedureType.objects.filter(code=type_code, purpose="return").first()
    if ptype is None:
        raise Invalid(_("No return procedure “%(c)s”.") % {"c": type_code}, field="type")
    label = codes.zh("cause", cause) if cause else ""
    text = f"{label}：{reason}" if label else reason
    batch = procedures.start_batch(actor, ptype, household.village, [household.pk],
                                   title=_("Return to poverty · %(number)s %(name)s") % {
                                       "number": household.number, "name": household.head_name})
    ReturnCase.objects.filter(household=household, status=ReturnCase.OPEN).update(status=ReturnCase.STOPPED)
    case = ReturnCase.objects.create(household=household, area_code=household.area_code, batch=batch, cause=cause,
                                     reason=text[:200], occurred_on=occurred_on, created_by=actor.user,
                                     created_at=clock.now())
    audit.record(actor, "exits.return.start", obj=case, area_code=household.area_code,
                 after={"household": household.number, "reason": case.reason, "found_on": occurred_on,
                        "batch": batch.pk})
    return case


def complete_returns(actor: Actor, batch, members, date: dt.date) -> int:
    """The return procedure's completion: each household becomes ``returned`` with its
    case's reason and the completion date (one set-based registry action per reason)."""
    ids = [m.household_id for m in members]
    cases = list(ReturnCase.objects.filter(household_id__in=ids, status=ReturnCase.OPEN))
    by_reason: dict[str, list[int]] = {}
    for case in cases:
        by_reason.setdefault(case.reason, []).append(case.household_id)
    without = set(ids) - {c.household_id for c in cases}
    if without:
        by_reason.setdefault(str(_("Return procedure, batch %(id)s") % {"id": batch.pk}), []).extend(without)
    for reason, household_ids in by_reason.items():
        registry.set_status_many(actor, Household.objects.filter(pk__in=household_ids), "returned", date,
                                 reason=reason[:200], source=f"procedure:{batch.pk}")
    ReturnCase.objects.filter(pk__in=[c.pk for c in cases]).update(status=ReturnCase.DONE, completed_on=date)
    return len(ids)


# --- observation periods -------------------------------------------------------------------------------

def close_observation(actor: Actor, area_prefix: str = "", on: dt.date | None = None) -> int:
    """Move every household whose policy period ended before ``on`` (default today) from
    ``exited_policy`` to ``exited``, dated the day after its period's last day. Set-based:
    one registry action per distinct end date (one for a fixed transition period)."""
    on = on or clock.today()
    area_prefix = _prefix(area_prefix)
    scope = Scope([""]) if actor.is_system else scope_for(actor.user, "registry.edit")
    scope = scope.narrow(area_prefix) if area_prefix else scope
    if not actor.is_system and scope.is_empty:
        require(actor, "registry.edit", area_prefix.ljust(12, "0") if area_prefix else "")
    due = queries.period_ended(scope, on)
    total = 0
    with transaction.atomic():
        # the distinct end dates in SQL (a province's exited households are millions of rows)
        ends = list(due.order_by("observation_until").values_list("observation_until", flat=True).distinct())
        for until in ends:
            households = Household.objects.filter(pk__in=due.filter(observation_until=until).values("pk"))
            total += registry.set_status_many(
                actor, households, "exited", until + dt.timedelta(days=1),
                reason=(_("Policy period after exit ended on %(d)s") % {"d": until})[:200], source="exits:observation")
        audit.record(actor, "exits.observation.close", kind="bulk", object_type="registry.household",
                     area_code=area_prefix.ljust(12, "0") if area_prefix else "", count=total,
                     after={"on": on, "households": total, "end_dates": len(ends)})
    return total


PERIOD_FIELDS = ["name", "area_prefix", "from_year", "to_year", "kind", "years", "until", "source", "note",
                 "is_example"]


def _date(value, field: str) -> dt.date | None:
    """A typed date (dates.typed_date); nothing typed is None."""
    try:
        return dates.typed_date(value)
    except ValueError as exc:
        raise Invalid(str(exc), field=field) from None


@transaction.atomic
def save_period(actor: Actor, period: PolicyPeriod | None, **values) -> PolicyPeriod:
    """Create or change a policy period (standards, audited). Changing one needs
    ``standards.edit`` at its area as it was and as it becomes: a county edits its own
    rows only; national rows (prefix '') only an administrator."""
    creating = period is None
    if creating:
        period, before = PolicyPeriod(), None
    else:
        period = PolicyPeriod.objects.select_for_update().get(pk=period.pk)
        require(actor, EDIT, period.area_code)
        before = audit.snapshot(period, PERIOD_FIELDS)
    for key in PERIOD_FIELDS:
        if key in values:
            setattr(period, key, values[key])
    period.area_prefix = _prefix(period.area_prefix)
    require(actor, EDIT, period.area_code)
    if not (period.name or "").strip():
        raise Invalid(_("Give the period a name."), field="name")
    period.from_year = _year(period.from_year, "from_year")
    period.to_year = _year(period.to_year, "to_year", optional=True)
    if period.to_year is not None and period.to_year < period.from_year:
        raise Invalid(_("The last year is before the first."), field="to_year")
    period.until = _date(period.until, "until")
    period.years = period.years if period.years not in ("", None) else None
    try:
        checked = rules.check_period({"kind": period.kind, "years": period.years, "until": period.until,
                                      "source": period.source})
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    period.years = checked.get("years") or None
    if period.until is not None and period.until.year < period.from_year:
        raise Invalid(_("The period ends before the first exit year."), field="until")
    clash = PolicyPeriod.objects.filter(area_prefix=period.area_prefix, from_year=period.from_year)
    if clash.exclude(pk=period.pk).exists():
        raise Invalid(_("A period for this area from this year exists already."), field="from_year")
    period.save()
    audit.record(actor, "exits.period.create" if creating else "exits.period.change", obj=period, before=before,
                 after=audit.snapshot(period, PERIOD_FIELDS))
    return period
