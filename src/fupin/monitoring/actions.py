"""Every write of monitoring: episodes, risks, discoveries, visits, help given first,
applications, the warning worklist, and the procedure hooks' effects. Each action checks
permission in the household's area, validates, writes and records the audit event."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext as _

from fupin.accounts.scoping import can, require
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock, dates, money
from fupin.core.actor import Actor
from fupin.core.errors import Invalid, NotFound
from fupin.core.uploads import sent_name
from fupin.procedures import rules as proc_rules
from fupin.procedures.models import BatchMember, ProcedureType
from fupin.registry import actions as registry
from fupin.registry import rules as registry_rules
from fupin.registry.models import Household

from . import queries, rules
from .models import Application, Discovery, Help, MonitoredHousehold, Risk, Visit, WarningHit, WarningImport

EDIT = "monitoring.edit"
WARN = "monitoring.warn"
M = MonitoredHousehold
IDENTIFY_TYPE, CLEAR_TYPE = "monitoring_identify", "monitoring_clear"
RECORD_FIELDS = ["kind", "state", "since", "cleared_on", "rejected_on", "end_reason", "helped_first",
                 "social_protection", "note"]


def _text(value, field: str, *, required: bool = True, max_length: int = 300) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(_("This field is required."), field=field)
    if len(value) > max_length:
        raise Invalid(_("At most %(n)s characters.") % {"n": max_length}, field=field)
    return value


def _date(value, field: str = "date", *, not_future: bool = True) -> dt.date:
    """core.dates.parse_date, its reason replaced by this form's message."""
    try:
        value = dates.parse_date(value)
    except ValueError:
        raise Invalid(_("Not a date (YYYY-MM-DD)."), field=field) from None
    if not_future and value > clock.today():
        raise Invalid(_("The date is in the future."), field=field)
    return value


_amount = money.amount


# --- episodes, discoveries, risks ----------------------------------------------------------

def _discovery(actor, record, household, channel, date, who, what) -> Discovery:
    if channel not in dict(Discovery.CHANNEL_CHOICES):
        raise Invalid(_("Unknown channel."), field="channel")
    return Discovery.objects.create(record=record, household=household, area_code=household.area_code,
                                    channel=channel, date=_date(date), who=_text(who, "who", max_length=120),
                                    what=_text(what, "what", max_length=2000), recorded_by=actor.user)


@transaction.atomic
def open_episode(actor: Actor, household: Household, *, kind: str, channel: str, date, who: str, what: str,
                 risks=(), note: str = "") -> MonitoredHousehold:
    """Put a household forward for monitoring (a candidate until the identification
    procedure completes), recording how it was found."""
    require(actor, EDIT, household.area_code)
    if kind not in dict(M.KIND_CHOICES):
        raise Invalid(_("Choose the kind of monitored household."), field="kind")
    if household.status in ("removed", "identified"):
        raise Invalid(_("A household removed from the registry or still being identified cannot be monitored."),
                      field="household")
    if M.objects.filter(household=household, state__in=M.OPEN_STATES).exists():
        raise Invalid(_("Household %(n)s is already monitored or being identified; add the new facts to its "
                        "record.") % {"n": household.number}, field="household")
    record = M(household=household, area_code=household.area_code, kind=kind, note=(note or "").strip(),
               created_by=actor.user)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise Invalid(_("Household %(n)s is already monitored or being identified.") % {"n": household.number},
                      field="household") from None
    _discovery(actor, record, household, channel, date, who, what)
    for code in risks or ():
        _add_risk(actor, record, code, "", _date(date))
    audit.record(actor, "monitoring.record.open", obj=record,
                 after={**audit.snapshot(record, RECORD_FIELDS), "channel": channel, "risks": list(risks or ())})
    return record


@transaction.atomic
def add_discovery(actor: Actor, record: MonitoredHousehold, *, channel: str, date, who: str, what: str) -> Discovery:
    require(actor, EDIT, record.area_code)
    d = _discovery(actor, record, record.household, channel, date, who, what)
    audit.record(actor, "monitoring.discovery.add", obj=record, after={"channel": channel, "date": d.date,
                                                                      "who": d.who, "what": d.what})
    return d


def _add_risk(actor, record, code, detail, noted_on) -> Risk:
    if code not in rules.risk_codes():
        raise Invalid(_("Unknown risk type “%(c)s”.") % {"c": code}, field="risk")
    if record.risks.filter(code=code).exists():
        raise Invalid(_("This risk is recorded already."), field="risk")
    limit = rules.max_risks()
    if record.risks.count() >= limit:
        raise Invalid(_("A household has at most %(n)s risks.") % {"n": limit}, field="risk")
    return Risk.objects.create(record=record, area_code=record.area_code, code=code, detail=(detail or "")[:300],
                               noted_on=noted_on, created_by=actor.user)


@transaction.atomic
def add_risk(actor: Actor, record: MonitoredHousehold, code: str, *, detail: str = "", noted_on=None) -> Risk:
    require(actor, EDIT, record.area_code)
    if record.state not in M.OPEN_STATES:
        raise Invalid(_("This record is closed."), field="risk")
    M.objects.select_for_update().filter(pk=record.pk).first()  # two cadres adding the fifth risk at once
    risk = _add_risk(actor, record, code, detail, _date(noted_on or clock.today(), "noted_on"))
    audit.record(actor, "monitoring.risk.add", obj=record, after={"risk": code, "detail": risk.detail})
    return risk


@transaction.atomic
def resolve_risk(actor: Actor, risk: Risk, *, date=None) -> Risk:
    require(actor, EDIT, risk.area_code)
    if risk.resolved_on:
        raise Invalid(_("This risk is marked gone already."), field="risk")
    risk.resolved_on = _date(date or clock.today())
    if risk.resolved_on < risk.noted_on:
        raise Invalid(_("The date is before the risk was noted."), field="date")
    risk.save(update_fields=["resolved_on"])
    audit.record(actor, "monitoring.risk.resolve", obj=risk.record, after={"risk": risk.code,
                                                                          "resolved_on": risk.resolved_on})
    return risk


@transaction.atomic
def set_social_protection(actor: Actor, record: MonitoredHousehold, value: bool, *, note: str = "") -> M:
    require(actor, EDIT, record.area_code)
    before = audit.snapshot(record, ["social_protection"])
    M.objects.filter(pk=record.pk).update(social_protection=bool(value), version=F("version") + 1)
    record.social_protection = bool(value)
    audit.record(actor, "monitoring.record.social_protection", obj=record, before=before,
                 after={"social_protection": bool(value)}, note=note)
    return record


@transaction.atomic
def record_visit(actor: Actor, record: MonitoredHousehold, *, date, visitors, findings: str,
                 consent_signed: bool = False, consent_signed_by: str = "") -> Visit:
    """The identification's household visit: two people at least (names), their
    findings, and whether the household signed the authorisation (承诺授权)."""
    require(actor, EDIT, record.area_code)
    if isinstance(visitors, str):
        visitors = [v for v in (p.strip() for p in visitors.replace("、", ",").replace("，", ",").split(",")) if v]
    names = list(dict.fromkeys(v.strip() for v in visitors if v and v.strip()))
    if len(names) < 2:
        raise Invalid(_("A household visit is made by two people at least: give both names."), field="visitors")
    if consent_signed and not (consent_signed_by or "").strip():
        raise Invalid(_("Who signed the authorisation?"), field="consent_signed_by")
    visit = Visit.objects.create(record=record, area_code=record.area_code, date=_date(date),
                                 visitors="、".join(names)[:200], findings=_text(findings, "findings", max_length=4000),
                                 consent_signed=bool(consent_signed),
                                 consent_signed_by=(consent_signed_by or "").strip()[:60], recorded_by=actor.user)
    audit.record(actor, "monitoring.visit.add", obj=record,
                 after={"date": visit.date, "visitors": visit.visitors, "consent_signed": visit.consent_signed})
    return visit


@transaction.atomic
def record_help(actor: Actor, record: MonitoredHousehold, *, date, what: str, amount=0, given_by: str) -> Help:
    """Help given to the household. Before it is identified (先救后核: a sudden disaster is
    helped at once and checked after), the help is marked as given first and the record
    shows that the household was helped first."""
    require(actor, EDIT, record.area_code)
    if record.state not in M.OPEN_STATES:
        raise Invalid(_("This record is closed."), field="date")
    first = record.state == M.CANDIDATE
    help_ = Help.objects.create(record=record, area_code=record.area_code, date=_date(date),
                                what=_text(what, "what", max_length=200), amount=_amount(amount),
                                given_by=_text(given_by, "given_by", max_length=120), first=first,
                                recorded_by=actor.user)
    if first and not record.helped_first:
        M.objects.filter(pk=record.pk).update(helped_first=True)
        record.helped_first = True
    audit.record(actor, "monitoring.help.add", obj=record,
                 after={"date": help_.date, "what": help_.what, "amount": help_.amount, "given_by": help_.given_by,
                        "first": first})
    return help_


@transaction.atomic
def withdraw_candidate(actor: Actor, record: MonitoredHousehold, *, reason: str) -> M:
    """A candidate not put through the procedure after all (checked and not at risk)."""
    require(actor, EDIT, record.area_code)
    if record.state != M.CANDIDATE:
        raise Invalid(_("Only a household being identified can be withdrawn."), field="state")
    if _open_membership(record.household_id).exists():
        raise Invalid(_("The household is in a procedure: withdraw it there."), field="state")
    before = audit.snapshot(record, RECORD_FIELDS)
    record.state, record.rejected_on = M.REJECTED, clock.today()
    record.end_reason = _text(reason, "reason", max_length=500)
    record.save(update_fields=["state", "rejected_on", "end_reason"])
    audit.record(actor, "monitoring.record.withdraw", obj=record, before=before,
                 after=audit.snapshot(record, RECORD_FIELDS))
    return record


def _open_membership(household_id):
    return BatchMember.objects.filter(household_id=household_id, state__in=[proc_rules.ACTIVE, proc_rules.HELD],
                                      batch__status=proc_rules.OPEN)


# --- the procedures ------------------------------------------------------------------------

def _ptype(code: str) -> ProcedureType:
    try:
        return ProcedureType.objects.get(code=code)
    except ProcedureType.DoesNotExist:
        raise NotFound() from None


def _start(actor: Actor, code: str, area: Area, records: list[M], field: str, title: str):
    from fupin.procedures import actions as procedures

    if not records:
        raise Invalid(_("Choose at least one household."), field="records")
    batch = procedures.start_batch(actor, _ptype(code), area, [r.household_id for r in records], title=title)
    M.objects.filter(pk__in=[r.pk for r in records]).update(**{field: batch})
    return batch


@transaction.atomic
def start_identification(actor: Actor, area: Area, records, *, title: str = ""):
    """Put candidate households of an area through the monitoring identification."""
    records = [r for r in records if r.state == M.CANDIDATE]
    return _start(actor, IDENTIFY_TYPE, area, records, "identify_batch", title)


@transaction.atomic
def start_clearance(actor: Actor, area: Area, records, *, title: str = ""):
    """Put monitored households of an area through risk clearance (the start check
    refuses those that do not meet the criteria, each with its reason)."""
    records = [r for r in records if r.state == M.MONITORED]
    return _start(actor, CLEAR_TYPE, area, records, "clear_batch", title)


def identify_completed(actor: Actor, batch, household_ids: list[int], date: dt.date) -> int:
    """The completion hook's effect: the batch's candidates are monitored from ``date``."""
    qs = M.objects.filter(household_id__in=household_ids, state=M.CANDIDATE)
    ids = list(qs.values_list("pk", flat=True))
    n = M.objects.filter(pk__in=ids).update(state=M.MONITORED, since=date, identify_batch=batch,
                                            version=F("version") + 1)
    event = audit.record(actor, "monitoring.record.identify", kind="bulk", object_type="monitoring.monitoredhousehold",
                         area_code=batch.area_code, count=n, after={"since": date, "batch": batch.pk})
    audit.record_items(event, ((pk, "monitored") for pk in ids))
    return n


def clear_completed(actor: Actor, batch, household_ids: list[int], date: dt.date) -> int:
    """The completion hook's effect: risk cleared on ``date``; open risks are gone."""
    ids = list(M.objects.filter(household_id__in=household_ids, state=M.MONITORED).values_list("pk", flat=True))
    n = M.objects.filter(pk__in=ids).update(state=M.CLEARED, cleared_on=date, clear_batch=batch,
                                            version=F("version") + 1)
    Risk.objects.filter(record_id__in=ids, resolved_on__isnull=True).update(resolved_on=date)
    event = audit.record(actor, "monitoring.record.clear", kind="bulk", object_type="monitoring.monitoredhousehold",
                         area_code=batch.area_code, count=n, after={"cleared_on": date, "batch": batch.pk})
    audit.record_items(event, ((pk, "cleared") for pk in ids))
    return n


def settle(actor: Actor, prefix: str = "") -> int:
    """Record what the identification procedure decided against candidates: a candidate
    whose household left its identification batch (rejected at appraisal or review,
    objection upheld, withdrawn) or whose batch was cancelled is ``rejected`` on that
    day with the procedure's reason; help given first stays on its record. Set-based;
    idempotent."""
    from django.db.models import Subquery

    left = BatchMember.objects.filter(batch_id=OuterRef("identify_batch_id"), household_id=OuterRef("household_id"))
    gone = left.filter(Q(state=proc_rules.WITHDRAWN) | Q(batch__status=proc_rules.CANCELLED))
    qs = M.objects.filter(state=M.CANDIDATE, identify_batch__isnull=False).filter(Exists(gone))
    qs = qs.filter(queries._prefix_q(prefix))
    ids = list(qs.values_list("pk", flat=True)[:10000])
    if not ids:
        return 0
    reason = Subquery(left.values("reason")[:1])
    n = M.objects.filter(pk__in=ids).update(state=M.REJECTED, end_reason=reason, rejected_on=clock.today())
    M.objects.filter(pk__in=ids, end_reason="").update(end_reason=_("The identification procedure was cancelled."))
    event = audit.record(actor, "monitoring.record.rejected", kind="bulk", object_type="monitoring.monitoredhousehold",
                         area_code=prefix, count=n, note=_("Not identified by the procedure"))
    audit.record_items(event, ((pk, "rejected") for pk in ids))
    return n


# --- risk clearance criteria ---------------------------------------------------------------

def clearance_items(record: MonitoredHousehold, *, on: dt.date | None = None) -> list[rules.Item]:
    """The risk-clearance criteria for one household, item by item (queries.clearance)."""
    return queries.clearance([record], on or clock.today())[record.pk]


# --- applications ----------------------------------------------------------------------------

def _client_hash(ip: str | None) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip or ''}".encode()).hexdigest()


def _village(code: str) -> Area:
    code = (code or "").strip()
    area = Area.objects.filter(code=code, level=area_rules.VILLAGE, valid_to__isnull=True).first()
    if area is None:
        raise Invalid(_("No village has this code: check the 12-digit code on the village's notice board."),
                      field="village")
    return area


def _check_id(value: str, field: str = "id_number", *, required: bool = False) -> str:
    value = (value or "").strip().upper()
    if not value:
        if required:
            raise Invalid(_("This field is required."), field=field)
        return ""
    try:
        registry_rules.parse_id_number(value)
    except (ValueError, Invalid) as exc:
        raise Invalid(_("Not a valid ID number."), field=field) from exc
    return value


@transaction.atomic
def submit_application(actor: Actor, *, village: str, name: str, id_number: str = "", phone: str = "",
                       address: str = "", what: str) -> Application:
    """The public form (anonymous): a pending application in the village's inbox, nothing
    else. At most ``per_client_per_day`` from one address a day (data/applications.json)."""
    area = _village(village)
    key = _client_hash(actor.ip)
    limit = int(rules.application_data()["per_client_per_day"])
    since = clock.now() - dt.timedelta(days=1)
    if Application.objects.filter(channel=Application.PUBLIC, client_hash=key, received_at__gte=since).count() >= limit:
        raise Invalid(_("Too many applications from this connection today. Please call your village committee."),
                      field="what")
    phone = (phone or "").strip()
    if phone and (problem := registry_rules.phone_problem(phone)):
        raise Invalid(problem, field="phone")
    if not phone and not (id_number or "").strip():
        raise Invalid(_("Give a phone number or an ID number, so that the village can reach you."), field="phone")
    app = Application.objects.create(area_code=area.code, channel=Application.PUBLIC, name=_text(name, "name",
                                                                                                 max_length=60),
                                     id_number=_check_id(id_number), phone=phone,
                                     address=_text(address, "address", required=False, max_length=200),
                                     what=_text(what, "what", max_length=2000), received_at=clock.now(),
                                     client_hash=key)
    audit.record(actor, "monitoring.application.submit", obj=app, area_code=area.code,
                 after={"channel": "public", "village": area.code})
    return app


@transaction.atomic
def record_application(actor: Actor, *, village: str, name: str, what: str, id_number: str = "", phone: str = "",
                       address: str = "", channel: str = Application.PHONE) -> Application:
    """A cadre records a household's call (or a visit to the office) as an application."""
    area = _village(village)
    if not actor.is_system and not can(actor.user, EDIT, area.code):
        raise NotFound()  # a village outside the actor's area is not shown to exist
    if channel not in (Application.PHONE, Application.CADRE):
        raise Invalid(_("Unknown channel."), field="channel")
    phone = (phone or "").strip()
    if phone and (problem := registry_rules.phone_problem(phone)):
        raise Invalid(problem, field="phone")
    app = Application.objects.create(area_code=area.code, channel=channel, name=_text(name, "name", max_length=60),
                                     id_number=_check_id(id_number), phone=phone,
                                     address=_text(address, "address", required=False, max_length=200),
                                     what=_text(what, "what", max_length=2000), received_at=clock.now(),
                                     recorded_by=actor.user)
    audit.record(actor, "monitoring.application.record", obj=app, after={"channel": channel, "name": app.name})
    return app


@transaction.atomic
def dismiss_application(actor: Actor, app: Application, *, reason: str) -> Application:
    require(actor, EDIT, app.area_code)
    if app.state != Application.PENDING:
        raise Invalid(_("This application was decided already."), field="state")
    app.state, app.reason = Application.DISMISSED, _text(reason, "reason")
    app.decided_by, app.decided_at = actor.user, clock.now()
    app.save(update_fields=["state", "reason", "decided_by", "decided_at"])
    audit.record(actor, "monitoring.application.dismiss", obj=app, after={"reason": app.reason})
    return app


def _new_number(village_code: str) -> str:
    taken = set(Household.objects.filter(number__startswith=village_code[:12], number__regex=r"^\d{16}$")
                .values_list("number", flat=True))
    n = 9001
    while f"{village_code[:12]}{n:04d}" in taken:
        n += 1
    return f"{village_code[:12]}{n:04d}"


def _applicant_household(actor: Actor, app: Application) -> Household | None:
    """The household the applicant is an active member of, found by the ID number in the
    application's village; None when no active member in the actor's area has the number
    (a new household is created for it). A number active in another village of the actor's
    area is refused, naming that household. A number active outside the actor's area is
    refused by the registry when the applicant is added to the new household
    (registry.actions._check_member: one active member an ID number, and nothing named to
    whom may not see it); the transaction then writes nothing."""
    found = queries.member_household(actor, app.id_number)
    if found is not None:
        if found.area_code[:12] == app.area_code[:12]:
            return found
        raise Invalid(_("The applicant is already an active member of household %(h)s in %(village)s, not in this "
                        "application's village. To accept the application for that household, enter its number; "
                        "otherwise dismiss the application.") % {"h": found.number, "village": found.village.name},
                      field="id_number")
    return None


@transaction.atomic
def accept_application(actor: Actor, app: Application, *, kind: str, household: Household | None = None,
                       area_code: str = "", risks=(), sex: str = "") -> MonitoredHousehold:
    """Accept an application: the household (found by the applicant's ID number in the
    application's village, chosen, or — for a rural household never registered — created in
    the registry with status ``rural`` and the applicant as head) becomes a candidate for
    monitoring. See ``_applicant_household`` for an ID number active elsewhere. ``sex``: the
    applicant's, needed when a household is created for an applicant without an ID number
    (a member without one gives the sex: registry.actions._check_member)."""
    require(actor, EDIT, app.area_code)
    if app.state != Application.PENDING:
        raise Invalid(_("This application was decided already."), field="state")
    if household is None and app.id_number:
        household = _applicant_household(actor, app)
    if household is None:
        code = area_code or app.area_code
        household = registry.create_household(actor, number=_new_number(code), area_code=code, status="rural",
                                              address=app.address, phone=app.phone)
        if app.id_number:
            registry.add_member(actor, household, name=app.name, id_number=app.id_number, relation="01")
        else:
            registry.add_member(actor, household, name=app.name, no_id_reason="3", relation="01", sex=sex)
        household.refresh_from_db()
    require(actor, EDIT, household.area_code)
    channel = Discovery.APPLICATION if app.channel == Application.PUBLIC else Discovery.PHONE
    record = open_episode(actor, household, kind=kind, channel=channel, date=app.received_at.date(),
                          who=app.name, what=app.what, risks=risks)
    app.state, app.record = Application.ACCEPTED, record
    app.decided_by, app.decided_at = actor.user, clock.now()
    app.save(update_fields=["state", "record", "decided_by", "decided_at"])
    audit.record(actor, "monitoring.application.accept", obj=app, after={"record": record.pk,
                                                                        "household": household.number})
    return record


# --- the warning worklist ------------------------------------------------------------------

@transaction.atomic
def dismiss_hit(actor: Actor, hit: WarningHit, *, reason: str) -> WarningHit:
    require(actor, EDIT, hit.area_code)
    if hit.state != WarningHit.OPEN:
        raise Invalid(_("This hit was worked already."), field="state")
    hit.state, hit.reason = WarningHit.DISMISSED, _text(reason, "reason")
    hit.decided_by, hit.decided_at = actor.user, clock.now()
    hit.save(update_fields=["state", "reason", "decided_by", "decided_at"])
    audit.record(actor, "monitoring.hit.dismiss", obj=hit, after={"rule": hit.rule, "reason": hit.reason})
    return hit


@transaction.atomic
def start_from_hit(actor: Actor, hit: WarningHit, *, kind: str, risks=(), what: str = "") -> MonitoredHousehold:
    """Start a monitoring identification from a hit: the household becomes a candidate
    (found by the early-warning rule); the household's other open hits go with it."""
    require(actor, EDIT, hit.area_code)
    if hit.state != WarningHit.OPEN:
        raise Invalid(_("This hit was worked already."), field="state")
    record = open_episode(actor, hit.household, kind=kind, channel=Discovery.WARNING_RULE, date=clock.today(),
                          who=rules.warning_rule_label(hit.rule),
                          what=what or f"{rules.warning_rule_label(hit.rule)}: {hit.value} / {hit.threshold}",
                          risks=risks)
    n = WarningHit.objects.filter(household=hit.household, state=WarningHit.OPEN).update(
        state=WarningHit.STARTED, record=record, decided_by=actor.user, decided_at=clock.now())
    audit.record(actor, "monitoring.hit.start", obj=hit, count=n, after={"record": record.pk})
    return record


# --- jobs ------------------------------------------------------------------------------------

def start_warning_run(actor: Actor, area: Area, year: int):
    """Start a run of the early-warning rules over an area (a job with progress)."""
    from fupin.jobs import actions as jobs

    from .tasks import warning_run_task

    require(actor, WARN, area.code)
    if not 2000 <= int(year) <= clock.today().year:
        raise Invalid(_("Choose an income year up to this year."), field="year")
    rules.check_warning_rules()  # a rule the data leaves without statuses is refused now, not in the job
    return jobs.start(actor, warning_run_task, kind="monitoring.warning_run",
                      title=_("Early-warning rules: %(area)s, %(year)s") % {"area": area.name, "year": year},
                      area_code=area.code, params={"area_code": area.code, "year": int(year)})


def start_warning_import(actor: Actor, path, *, department: str, area: Area, file_name: str = ""):
    """Import a department's warning file as a job (all or nothing, with an error report).
    ``path`` is the stored file (core.uploads names it); ``file_name`` the name it was sent with,
    kept with the import as core.uploads.sent_name shows it (the stored file's name when none
    is given)."""
    from fupin.jobs import actions as jobs

    from .tasks import import_warnings_task

    require(actor, WARN, area.code)
    department = _text(department, "department", max_length=120)
    length = WarningImport._meta.get_field("file_name").max_length  # the list of imported files
    return jobs.start(actor, import_warnings_task, kind="monitoring.warning_import",
                      title=_("Department warnings: %(d)s") % {"d": department}, area_code=area.code,
                      params={"path": str(path), "department": department, "area_code": area.code,
                              "file_name": sent_name(file_name, length) or sent_name(path, length)})
