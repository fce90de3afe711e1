"""Every write of delisting: village assessments and their small procedure (township
notice with objections, county approval, announcement), county assessment rounds
(sample, survey records, the dated steps). Each action checks permission in the
object's area, validates, writes and records the audit event."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils.translation import gettext as _

from fupin.accounts.scoping import Scope, require
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Conflict, Invalid, check_version
from fupin.registry import actions as registry_actions
from fupin.registry import codes as registry_codes
from fupin.registry.models import ChecklistItem, Household, StatusChange

from . import queries, rules
from .models import (
    CountyCriteria,
    CountyRound,
    CountyStep,
    SampleHousehold,
    SampleVillage,
    VillageAssessment,
    VillageCriteria,
    VillageObjection,
    VillageStep,
)

ASSESS = "delisting.assess"
SURVEY = "delisting.survey"
NOTICE_PERM = "procedures.township"  # the township publishes the notice and hears objections

ROUND_FIELDS = ["year", "assessed_on", "seed", "sample_villages", "sample_registered", "sample_non_registered",
                "state"]
SURVEY_FIELDS = ["surveyed_on", "respondent", "people", "exit_correct", "should_register", "approves", "note"]


def _date(value: dt.date | None, field: str, *, not_before: dt.date | None = None) -> dt.date:
    today = clock.today()
    value = value or today
    if value > today:
        raise Invalid(_("The date cannot be in the future."), field=field)
    if not_before is not None and value < not_before:
        raise Invalid(_("The date cannot be before %(d)s.") % {"d": not_before}, field=field)
    return value


def _lock_assessment(a: VillageAssessment, *states: str) -> VillageAssessment:
    locked = VillageAssessment.objects.select_for_update().select_related("village", "criteria").get(pk=a.pk)
    if states and locked.state not in states:
        raise Invalid(_("Refused: the village's procedure is at “%(state)s”; this step is not next.")
                      % {"state": locked.get_state_display()}, code="out_of_order")
    return locked


def _lock_area(area: Area) -> None:
    """Lock the village's or county's area row until the end of the transaction, before
    looking for an assessment already open: two officers (or a double click) assessing the
    same village or starting the same county's round at once are served one after the
    other, and the second sees the first one's row. FOR NO KEY UPDATE on PostgreSQL, so the
    rows that only refer to the area (households, profiles) can still be written meanwhile;
    SQLite serialises writers itself and ignores it."""
    Area.objects.select_for_update(no_key=True).filter(pk=area.pk).first()


def _set_state(a: VillageAssessment, state: str) -> None:
    a.state, a.version = state, a.version + 1
    a.save(update_fields=["state", "version"])


# --- village exit -------------------------------------------------------------------------

def _village_taken(village: Area, year: int) -> bool:
    return VillageAssessment.objects.filter(village=village, year=year,
                                            state__in=VillageAssessment.HOLDING_STATES).exists()


@transaction.atomic
def assess_village(actor: Actor, village: Area, year: int, on: dt.date | None = None) -> VillageAssessment:
    """Check a village against the criteria of its area and year, with the registry as it
    stood on ``on``, and keep the values item by item. A village that meets them may go
    on to the township notice; one that does not is recorded as such."""
    require(actor, ASSESS, village.code)
    if village.level != area_rules.VILLAGE:
        raise Invalid(_("Only a village is assessed for exit."), field="village")
    on = _date(on or queries.default_on(year), "on")
    if on.year != year:
        raise Invalid(_("The status date must fall in the year assessed."), field="on")
    criteria = queries.village_criteria_for(village.code, year)
    if criteria is None:
        raise Invalid(_("No village exit criteria apply to this area in %(y)s.") % {"y": year}, field="year")
    _lock_area(village)
    taken = Conflict(_("This village already has an assessment for %(y)s in progress or done.") % {"y": year})
    if _village_taken(village, year):
        raise taken
    check = queries.village_check(village, year, on)
    passed = check["passed"]
    try:
        with transaction.atomic():  # the constraint village_assessment_once, should a writer pass the lock by
            a = VillageAssessment.objects.create(
                village=village, area_code=village.code, year=year, assessed_on=on, criteria=criteria,
                results={"items": check["items"], "criteria": criteria.name}, passed=passed,
                state=VillageAssessment.ASSESSED if passed else VillageAssessment.NOT_MET,
                notice_days=criteria.notice_days, assessed_by=actor.user)
    except IntegrityError:
        raise taken from None
    audit.record(actor, "delisting.village.assess", obj=a,
                 after={"year": year, "on": on, "passed": passed,
                        "items": {i["code"]: [i["value"], i["ok"]] for i in check["items"]}})
    return a


@transaction.atomic
def publish_notice(actor: Actor, assessment: VillageAssessment, start: dt.date | None = None) -> VillageStep:
    require(actor, NOTICE_PERM, assessment.area_code)
    a = _lock_assessment(assessment, VillageAssessment.ASSESSED)
    start = _date(start, "start", not_before=a.assessed_on)
    step = VillageStep.objects.create(assessment=a, area_code=a.area_code, code=VillageStep.NOTICE,
                                      started_on=start, last_day=rules.notice_last_day(start, a.notice_days),
                                      acted_by=actor.user)
    _set_state(a, VillageAssessment.NOTICE)
    audit.record(actor, "delisting.village.notice", obj=a,
                 after={"start": start, "last_day": step.last_day, "days": a.notice_days})
    return step


def _notice(a: VillageAssessment) -> VillageStep:
    return a.steps.get(code=VillageStep.NOTICE)


@transaction.atomic
def record_objection(actor: Actor, assessment: VillageAssessment, *, received_on: dt.date, content: str,
                     objector: str = "") -> VillageObjection:
    """An objection received while the notice is up (between its first and last day, not after today)."""
    require(actor, NOTICE_PERM, assessment.area_code)
    a = _lock_assessment(assessment, VillageAssessment.NOTICE)
    step = _notice(a)
    if not (content or "").strip():
        raise Invalid(_("Write down the objection."), field="content")
    if received_on is None or received_on > clock.today() or not (step.started_on <= received_on <= step.last_day):
        raise Invalid(_("An objection is recorded only while the notice is up (%(a)s to %(b)s).")
                      % {"a": step.started_on, "b": step.last_day}, field="received_on")
    o = VillageObjection.objects.create(assessment=a, step=step, area_code=a.area_code, received_on=received_on,
                                        objector=(objector or "")[:60], content=content.strip(),
                                        recorded_by=actor.user)
    audit.record(actor, "delisting.village.objection", obj=a, after={"received_on": received_on,
                                                                      "objector": objector, "content": content})
    return o


@transaction.atomic
def decide_objection(actor: Actor, objection: VillageObjection, *, upheld: bool, answer: str) -> VillageObjection:
    """Upheld: the village's procedure stops (it may be assessed again later). Rejected:
    the written answer is required and the notice goes on."""
    require(actor, NOTICE_PERM, objection.area_code)
    a = _lock_assessment(objection.assessment, VillageAssessment.NOTICE)
    # Read again under the assessment's lock: a concurrent decision may have come first.
    objection = a.objections.get(pk=objection.pk)
    if objection.status != VillageObjection.OPEN:
        raise Conflict(_("This objection has been decided already."))
    if not (answer or "").strip():
        raise Invalid(_("Write down the answer to the objector."), field="answer")
    objection.status = VillageObjection.UPHELD if upheld else VillageObjection.REJECTED
    objection.answer, objection.decided_by, objection.decided_on = answer.strip(), actor.user, clock.today()
    objection.save()
    if upheld:
        step = _notice(a)
        step.closed_on, step.closed_by, step.decision = clock.today(), actor.user, "stopped"
        step.save(update_fields=["closed_on", "closed_by", "decision"])
        a.objections.filter(status=VillageObjection.OPEN).update(status=VillageObjection.UPHELD, answer=answer.strip(),
                                                                 decided_by=actor.user, decided_on=clock.today())
        _set_state(a, VillageAssessment.STOPPED)
    audit.record(actor, "delisting.village.objection_decide", obj=a,
                 after={"objection": objection.pk, "upheld": upheld, "answer": answer})
    return objection


@transaction.atomic
def close_notice(actor: Actor, assessment: VillageAssessment) -> VillageStep:
    """Close the township notice: not before the day after its last day, and not while an
    objection is open."""
    require(actor, NOTICE_PERM, assessment.area_code)
    a = _lock_assessment(assessment, VillageAssessment.NOTICE)
    step = _notice(a)
    today = clock.today()
    if not rules.notice_may_close(step.started_on, a.notice_days, today):
        raise Invalid(_("The notice runs until %(last)s; it may be closed from %(first)s.")
                      % {"last": step.last_day, "first": rules.notice_earliest_close(step.started_on, a.notice_days)},
                      code="notice_running")
    if a.objections.filter(status=VillageObjection.OPEN).exists():
        raise Invalid(_("Decide the open objections first."), code="objection_open")
    step.closed_on, step.closed_by, step.decision = today, actor.user, "closed"
    step.save(update_fields=["closed_on", "closed_by", "decision"])
    _set_state(a, VillageAssessment.NOTICED)
    audit.record(actor, "delisting.village.notice_close", obj=a, after={"closed_on": today})
    return step


@transaction.atomic
def approve_village(actor: Actor, assessment: VillageAssessment, *, approved: bool, note: str = "",
                    date: dt.date | None = None) -> VillageStep:
    """The county's decision. Approved: the village profile of the year gets the status
    "delisted" with the year, through the registry's own action."""
    require(actor, ASSESS, assessment.area_code)
    a = _lock_assessment(assessment, VillageAssessment.NOTICED)
    notice = _notice(a)
    date = _date(date, "date", not_before=notice.closed_on)
    if not approved and not (note or "").strip():
        raise Invalid(_("Give the reason for rejecting."), field="note")
    step = VillageStep.objects.create(assessment=a, area_code=a.area_code, code=VillageStep.APPROVAL, started_on=date,
                                      closed_on=date, decision="approved" if approved else "rejected",
                                      note=(note or "").strip(), acted_by=actor.user)
    if approved:
        registry_actions.save_village_profile(actor, a.village, a.year, status="delisted", status_year=a.year)
        _set_state(a, VillageAssessment.APPROVED)
    else:
        _set_state(a, VillageAssessment.REJECTED)
    audit.record(actor, "delisting.village.approve", obj=a, after={"approved": approved, "date": date, "note": note})
    return step


@transaction.atomic
def announce_village(actor: Actor, assessment: VillageAssessment, date: dt.date | None = None,
                     note: str = "") -> VillageStep:
    require(actor, ASSESS, assessment.area_code)
    a = _lock_assessment(assessment, VillageAssessment.APPROVED)
    approval = a.steps.get(code=VillageStep.APPROVAL)
    date = _date(date, "date", not_before=approval.started_on)
    step = VillageStep.objects.create(assessment=a, area_code=a.area_code, code=VillageStep.ANNOUNCEMENT,
                                      started_on=date, closed_on=date, decision="announced",
                                      note=(note or "").strip(), acted_by=actor.user)
    _set_state(a, VillageAssessment.ANNOUNCED)
    audit.record(actor, "delisting.village.announce", obj=a, after={"date": date})
    return step


# --- county exit: the round and its sample ----------------------------------------------------

def _stratum(status: str) -> str:
    if status in registry_codes.POOR_STATUSES:
        return SampleHousehold.REGISTERED
    if status in registry_codes.EXITED_STATUSES:
        return SampleHousehold.EXITED
    return SampleHousehold.NON_REGISTERED


def _county_taken(county: Area, year: int) -> bool:
    return CountyRound.objects.filter(county=county, year=year).exclude(state=CountyRound.RETURNED).exists()


@transaction.atomic
def start_round(actor: Actor, county: Area, year: int, *, on: dt.date | None = None, seed: int | None = None,
                sample_villages: int | None = None, sample_registered: int | None = None,
                sample_non_registered: int | None = None) -> CountyRound:
    """Start a county's exit assessment and draw its sample: ``random.Random(seed)`` over
    the sorted ids of the county's villages, then of the households in each sampled
    village — registered or exited ones, and non-registered ones (registry households in
    another status: being identified, removed) where the registry has them — each by its
    status on the round's date."""
    require(actor, ASSESS, county.code)
    if county.level != area_rules.COUNTY:
        raise Invalid(_("A county exit assessment is for a county."), field="county")
    on = _date(on or queries.default_on(year), "on")
    if on.year != year:
        raise Invalid(_("The status date must fall in the year assessed."), field="on")
    criteria = queries.county_criteria_for(county.code, year)
    if criteria is None:
        raise Invalid(_("No county exit criteria apply to this area in %(y)s.") % {"y": year}, field="year")
    _lock_area(county)
    taken = Conflict(_("This county already has an assessment round for %(y)s.") % {"y": year})
    if _county_taken(county, year):
        raise taken
    sizes = {"sample_villages": sample_villages, "sample_registered": sample_registered,
             "sample_non_registered": sample_non_registered}
    for key, value in sizes.items():
        if value is None:
            sizes[key] = getattr(criteria, key)
        elif value < 0 or value > 10000:
            raise Invalid(_("A sample size must be between 0 and 10000."), field=key)
    if seed is None:
        seed = secrets.randbelow(10**9)
    if not 0 <= seed < 2**62:
        raise Invalid(_("The seed must be a non-negative whole number."), field="seed")
    try:
        with transaction.atomic():  # the constraint county_round_once, should a writer pass the lock by
            rnd = CountyRound.objects.create(county=county, area_code=county.code, year=year, assessed_on=on,
                                             seed=seed, criteria=criteria, created_by=actor.user, **sizes)
    except IntegrityError:
        raise taken from None
    scope = Scope([county.prefix])
    village_ids = list(scope.filter(Area.objects.filter(level=area_rules.VILLAGE, valid_to__isnull=True), "code")
                       .values_list("pk", flat=True))
    info: dict[int, tuple] = {}

    def households_of(ids):
        # The status of each household of the sampled villages on the round's date (its last
        # dated change up to then, read in the same statement: no status-change rows come
        # into Python); households not yet in the registry on that date are left out.
        last = (StatusChange.objects.filter(household=OuterRef("pk"), date__lte=on).order_by("-date", "-id")
                .values("status")[:1])
        out: dict[int, dict[str, list[int]]] = {}
        for pk, vid, size, code, status in (
                Household.objects.filter(village_id__in=ids).annotate(status_on=Subquery(last))
                .filter(status_on__isnull=False).values_list("pk", "village_id", "size", "area_code", "status_on")):
            info[pk] = (status, size, code)
            key = "non_registered" if _stratum(status) == SampleHousehold.NON_REGISTERED else "registry"
            out.setdefault(vid, {}).setdefault(key, []).append(pk)
        return out

    villages, households = rules.draw_round(seed, village_ids, households_of, sizes["sample_villages"],
                                            sizes["sample_registered"], sizes["sample_non_registered"])
    codes = dict(Area.objects.filter(pk__in=villages).values_list("pk", "code"))
    SampleVillage.objects.bulk_create([SampleVillage(round=rnd, village_id=v, area_code=codes[v], order=i)
                                       for i, v in enumerate(villages)])
    rows, n = [], 0
    for v in villages:
        for key in ("registry", "non_registered"):
            for pk in households[v][key]:
                status, size, code = info[pk]
                rows.append(SampleHousehold(round=rnd, household_id=pk, area_code=code, stratum=_stratum(status),
                                            status=status, people=size, order=n))
                n += 1
    SampleHousehold.objects.bulk_create(rows, batch_size=2000)
    event = audit.record(actor, "delisting.round.start", obj=rnd, count=len(rows),
                         after={**audit.snapshot(rnd, ROUND_FIELDS), "villages": [codes[v] for v in villages]})
    audit.record_items(event, ((r.household_id, "sampled") for r in rows))
    return rnd


def _bool(value, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise Invalid(_("Answer yes or no."), field=field)


def clean_survey(sample: SampleHousehold, values: dict) -> dict:
    """Validate one survey record (shared by the form and the import): the exit question
    for an exited household, the registration question for a non-registered one, and the
    approval question for everyone."""
    out = {k: values.get(k) for k in SURVEY_FIELDS if k in values}
    out["surveyed_on"] = _date(out.get("surveyed_on"), "surveyed_on")
    for key in ("exit_correct", "should_register", "approves"):
        out[key] = _bool(out.get(key), key)
    people = out.get("people")
    if people is None:
        out["people"] = sample.people
    elif not isinstance(people, int) or people < 0 or people > 50:
        raise Invalid(_("The number of people must be a whole number from 0 to 50."), field="people")
    if sample.stratum == SampleHousehold.EXITED and out["exit_correct"] is None:
        raise Invalid(_("For an exited household, say whether the exit was correct."), field="exit_correct")
    if sample.stratum == SampleHousehold.NON_REGISTERED and out["should_register"] is None:
        raise Invalid(_("For a non-registered household, say whether it should have been registered."),
                      field="should_register")
    if sample.stratum != SampleHousehold.EXITED:
        out["exit_correct"] = None
    if sample.stratum != SampleHousehold.NON_REGISTERED:
        out["should_register"] = None
    if out["approves"] is None:
        raise Invalid(_("Record whether the respondent approves."), field="approves")
    out["respondent"] = (out.get("respondent") or "")[:60]
    out["note"] = (out.get("note") or "")[:200]
    return out


def _open_round(rnd: CountyRound) -> CountyRound:
    locked = CountyRound.objects.select_for_update().select_related("criteria").get(pk=rnd.pk)
    if locked.state != CountyRound.SURVEY:
        raise Invalid(_("The round has been submitted: its survey records can no longer change."),
                      code="out_of_order")
    return locked


@transaction.atomic
def save_survey(actor: Actor, sample: SampleHousehold, *, version=None, **values) -> SampleHousehold:
    """One survey record, from the form: ``version`` is the one the form was shown (two
    surveyors saving the same household at once: the second gets Conflict, nothing written)."""
    require(actor, SURVEY, sample.area_code)
    _open_round(sample.round)
    sample = SampleHousehold.objects.select_for_update().get(pk=sample.pk)
    check_version(sample, version)
    data = clean_survey(sample, values)
    before = audit.snapshot(sample, SURVEY_FIELDS)
    for key, value in data.items():
        setattr(sample, key, value)
    sample.surveyed_by = actor.user
    sample.version += 1
    sample.save()
    audit.record(actor, "delisting.survey.save", obj=sample.household, area_code=sample.area_code, before=before,
                 after={**audit.snapshot(sample, SURVEY_FIELDS), "round": sample.round_id})
    return sample


@transaction.atomic
def save_surveys(actor: Actor, rnd: CountyRound, records: list[tuple[SampleHousehold, dict]]) -> int:
    """Many survey records at once (the import, already validated): one audit event."""
    for sample, _data in records:
        require(actor, SURVEY, sample.area_code)
    _open_round(rnd)
    for sample, data in records:
        for key, value in data.items():
            setattr(sample, key, value)
        sample.surveyed_by = actor.user
        # A form shown before the import is stale now: one more than the row holds (the
        # round's lock orders this after any form save in the round).
        sample.version = F("version") + 1
    SampleHousehold.objects.bulk_update([s for s, _d in records], [*SURVEY_FIELDS, "surveyed_by", "version"],
                                        batch_size=1000)
    event = audit.record(actor, "delisting.survey.import", kind="bulk", object_type="registry.household",
                         area_code=rnd.area_code, count=len(records), after={"round": rnd.pk})
    audit.record_items(event, ((s.household_id, "surveyed") for s, _d in records))
    return len(records)


# --- county exit: the steps ---------------------------------------------------------------------

@transaction.atomic
def county_step(actor: Actor, rnd: CountyRound, code: str, *, date: dt.date | None = None, approved: bool = True,
                note: str = "") -> CountyStep:
    """One step of a county's exit, in order: county submission → city review → province
    approval → announcement. Each needs the one before; the reviews may return the round
    (with a reason), which ends it."""
    if code not in rules.COUNTY_STEPS:
        raise Invalid(_("Unknown step."), field="code")
    level = rules.COUNTY_STEP_LEVEL[code]
    require(actor, rules.COUNTY_STEP_PERMISSION[code], rules.level_code(rnd.area_code, level))
    locked = CountyRound.objects.select_for_update().select_related("criteria").get(pk=rnd.pk)
    if locked.state != rules.COUNTY_STATE_BEFORE[code]:
        raise Invalid(_("Refused: the round is at “%(state)s”; “%(step)s” is not the next step.")
                      % {"state": locked.get_state_display(), "step": dict(CountyStep.CODES)[code]},
                      code="out_of_order")
    previous = locked.steps.order_by("-date", "-id").first()
    date = _date(date, "date", not_before=previous.date if previous else locked.assessed_on)
    if code == CountyStep.SUBMISSION:
        check = queries.county_check(locked)
        if not check["complete"]:
            raise Invalid(_("Every sampled household must be surveyed before the county submits."))
        if not check["passed"]:
            raise Invalid(_("The county does not meet the exit criteria; it cannot submit."))
    if code == CountyStep.ANNOUNCEMENT:
        approved = True
    if not approved and not (note or "").strip():
        raise Invalid(_("Give the reason for returning the round."), field="note")
    step = CountyStep.objects.create(round=locked, area_code=locked.area_code, code=code, date=date,
                                     decision="approved" if approved else "returned", note=(note or "").strip(),
                                     acted_by=actor.user)
    locked.state = rules.COUNTY_STATE_AFTER[code] if approved else CountyRound.RETURNED
    locked.version += 1
    locked.save(update_fields=["state", "version"])
    audit.record(actor, f"delisting.round.{code}", obj=locked,
                 after={"date": date, "approved": approved, "note": note, "state": locked.state})
    return step


# --- the criteria (standards) -------------------------------------------------------------------------
#
# Who edits: the criteria are standards, so ``standards.edit`` at the row's area (a county
# office its own prefix; rows of the whole country, a province or a city only the users
# whose area covers them — national rows only an administrator). ``delisting.assess`` is
# the permission to *apply* the criteria and is deliberately not enough to change them:
# those who assess do not set the bar they are assessed against.

CRITERIA_EDIT = "standards.edit"
VILLAGE_CRITERIA_FIELDS = ["name", "to_year", "incidence_max", "incidence_max_west", "incidence_source",
                           "collective_income_min", "collective_income_source", "checklist_items", "checklist_source",
                           "eligible_statuses", "notice_days", "notice_days_source", "note"]
COUNTY_CRITERIA_FIELDS = ["name", "to_year", "incidence_max", "incidence_max_west", "incidence_source",
                          "wrong_exit_max", "wrong_exit_source", "missed_max", "missed_source", "approval_min",
                          "approval_source", "sample_villages", "sample_registered", "sample_non_registered",
                          "sample_source", "steps_source", "note"]


def _decimal(value, field: str, *, optional: bool = False, high=None):
    if value in (None, ""):
        if optional:
            return None
        raise Invalid(_("Give a number."), field=field)
    try:
        d = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise Invalid(_("Not a number."), field=field) from None
    if not d.is_finite() or d < 0 or (high is not None and d > high) or d != d.quantize(Decimal("0.01")):
        raise Invalid(_("Give a number from 0 to %(high)s with at most two decimals.") % {"high": high or "…"},
                      field=field)
    return d


def _whole(value, field: str, low: int, high: int) -> int:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        raise Invalid(_("Give a whole number."), field=field) from None
    if not low <= n <= high:
        raise Invalid(_("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}, field=field)
    return n


def _codes(value) -> list[str]:
    if isinstance(value, str):
        value = value.replace("，", ",").replace("\n", ",").split(",")
    out = []
    for v in value or []:
        v = str(v).strip()
        if v and v not in out:
            out.append(v)
    return out


def _source(obj, value_field: str, source_field: str) -> None:
    """A value without its source document is refused (policy numbers are data with a source)."""
    if getattr(obj, value_field) not in (None, "", []) and not (getattr(obj, source_field) or "").strip():
        raise Invalid(_("Name the source document of this value."), field=source_field)


def _save_criteria(actor: Actor, model, obj, fields: list[str], values: dict, clean) -> object:
    with transaction.atomic():
        obj = model.objects.select_for_update().get(pk=obj.pk)
        area_code = obj.area_prefix.ljust(12, "0")
        require(actor, CRITERIA_EDIT, area_code)
        before = audit.snapshot(obj, fields)
        for key in fields:
            if key in values:
                setattr(obj, key, values[key])
        if not (obj.name or "").strip():
            raise Invalid(_("Give the criteria a name."), field="name")
        max_name = model._meta.get_field("name").max_length
        if len(obj.name) > max_name:  # PostgreSQL would refuse the row (a bare 400 page, no message on the form)
            raise Invalid(_("At most %(n)s characters.") % {"n": max_name}, field="name")
        if obj.to_year in ("", None):
            obj.to_year = None
        else:
            obj.to_year = _whole(obj.to_year, "to_year", 2000, 2100)
            if obj.to_year < obj.from_year:
                raise Invalid(_("The last year is before the first."), field="to_year")
        obj.incidence_max = _decimal(obj.incidence_max, "incidence_max", high=100)
        obj.incidence_max_west = _decimal(obj.incidence_max_west, "incidence_max_west", optional=True, high=100)
        _source(obj, "incidence_max", "incidence_source")
        clean(obj)
        obj.save()
        kind = "village" if model.__name__ == "VillageCriteria" else "county"
        audit.record(actor, f"delisting.criteria.{kind}.change", obj=obj, area_code=area_code, before=before,
                     after=audit.snapshot(obj, fields))
    return obj


def save_village_criteria(actor: Actor, criteria, **values):
    """Change a village-exit criteria row: thresholds, required checklist items, notice
    days, each with its source (audited ``delisting.criteria.village.change``)."""
    before_items = list(criteria.checklist_items or [])

    def clean(obj):
        obj.collective_income_min = _decimal(obj.collective_income_min, "collective_income_min", optional=True,
                                             high=10 ** 9)
        _source(obj, "collective_income_min", "collective_income_source")
        obj.checklist_items = _codes(obj.checklist_items)
        # A code added here must be a checklist item of the registry; codes already in the
        # row stay accepted (a county's items may be loaded after its criteria).
        known = set(ChecklistItem.objects.values_list("code", flat=True)) | set(before_items)
        unknown = [c for c in obj.checklist_items if c not in known]
        if unknown:
            raise Invalid(_("Unknown checklist items: %(codes)s.") % {"codes": ", ".join(unknown)},
                          field="checklist_items")
        _source(obj, "checklist_items", "checklist_source")
        obj.eligible_statuses = _codes(obj.eligible_statuses)
        if not obj.eligible_statuses:
            raise Invalid(_("Name at least one village status that may exit."), field="eligible_statuses")
        # The registry's own check of a village status (registry.actions.save_village_profile):
        # a mistyped code would silently keep every village from exiting.
        unknown = [c for c in obj.eligible_statuses if c not in registry_codes.codes("village_status")]
        if unknown:
            raise Invalid(f"{_('Unknown village status.')} {', '.join(unknown)}", field="eligible_statuses")
        obj.notice_days = _whole(obj.notice_days, "notice_days", 1, 60)
        _source(obj, "notice_days", "notice_days_source")

    return _save_criteria(actor, VillageCriteria, criteria, VILLAGE_CRITERIA_FIELDS, values, clean)


def save_county_criteria(actor: Actor, criteria, **values):
    """Change a county-exit criteria row: the three rates' thresholds, the approval
    threshold, the sample sizes, each with its source (audited
    ``delisting.criteria.county.change``)."""
    def clean(obj):
        for field, source in (("wrong_exit_max", "wrong_exit_source"), ("missed_max", "missed_source"),
                              ("approval_min", "approval_source")):
            setattr(obj, field, _decimal(getattr(obj, field), field, high=100))
            _source(obj, field, source)
        for field in ("sample_villages", "sample_registered", "sample_non_registered"):
            setattr(obj, field, _whole(getattr(obj, field), field, 1, 1000))
        _source(obj, "sample_villages", "sample_source")

    return _save_criteria(actor, CountyCriteria, criteria, COUNTY_CRITERIA_FIELDS, values, clean)
