"""Every write of the procedure engine. Each action checks the permission the type's
data names for the step, in the batch's area (accounts.scoping.require), validates,
writes, and records the audit event.

Two officers acting at once: every action on a batch locks its row
(``select_for_update`` on PostgreSQL; SQLite serialises writers) and checks the step
the officer saw and, when given, the batch's version number from the page; a stale
one is refused with Conflict and nothing is done. The version is then raised with a
conditional UPDATE (… WHERE version = n), so a second write from the same stale
page cannot pass on either database.

Objections (异议): an objection recorded during a notice holds its household; the
batch goes on without it. Upheld: the household leaves the batch (withdrawn, with the
reason). Rejected: the objector's written answer is required and the household
rejoins — at once if the notice it was held in is still up (it was listed for the
whole period); if that notice has closed in the meantime, the household goes through
that notice again, on its own, in a follow-up batch that starts at that notice and
continues with the remaining steps (the parent member is marked ``moved``).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from fupin.accounts import rules as account_rules
from fupin.accounts.scoping import Scope, can, require
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock, dates
from fupin.core.actor import Actor
from fupin.core.errors import Conflict, Forbidden, Invalid, check_version
from fupin.registry import codes
from fupin.registry.models import Household

from . import queries, rules
from .hooks import CHECKS, HOOKS
from .models import (
    AppraisalMeeting,
    AppraisalVote,
    BatchMember,
    Objection,
    ProcedureBatch,
    ProcedureType,
    StepDocument,
    StepRecord,
)

ACT_PERMISSIONS = ("procedures.village", "procedures.township", "procedures.county")
BATCH_LEVELS = ("village", "township", "county")


def known_names() -> dict:
    return {"permissions": set(account_rules.PERMISSION_LABELS), "hooks": set(HOOKS),
            "statuses": set(codes.codes("status")), "checks": set(CHECKS)}


# --- types -------------------------------------------------------------------------------

TYPE_FIELDS = ["code", "name", "name_en", "purpose", "source", "active"]


@transaction.atomic
def save_type(actor: Actor, ptype: ProcedureType | None, definition, *, active: bool = True) -> ProcedureType:
    """Create a type, or replace an existing type's definition (running batches keep the
    definition they started with)."""
    require(actor, "procedures.types")
    errors = rules.validate_definition(definition, **known_names())
    if errors:
        raise Invalid(" ".join(errors), field="definition", details={"errors": errors})
    if ptype is None:
        if ProcedureType.objects.filter(code=definition["code"]).exists():
            raise Invalid(_("A procedure type with the code “%(c)s” exists already.") % {"c": definition["code"]},
                          field="code")
        ptype, before = ProcedureType(), None
    else:
        if definition["code"] != ptype.code:
            raise Invalid(_("The code of a type cannot change (it is “%(c)s”); copy the type instead.")
                          % {"c": ptype.code}, field="definition")
        before = {**audit.snapshot(ptype, TYPE_FIELDS), "definition": ptype.definition}
    ptype.code, ptype.name, ptype.name_en = definition["code"], definition["name"], definition["name_en"]
    ptype.purpose, ptype.source, ptype.definition = definition["purpose"], definition["source"], definition
    ptype.active, ptype.updated_by = active, actor.user
    ptype.save()
    audit.record(actor, "procedures.type.save", obj=ptype, before=before,
                 after={**audit.snapshot(ptype, TYPE_FIELDS), "definition": definition})
    return ptype


def copy_type(actor: Actor, ptype: ProcedureType, code: str) -> ProcedureType:
    """A new type with another type's steps, to be edited into a local variant."""
    definition = copy.deepcopy(ptype.definition)
    definition["code"] = (code or "").strip()
    return save_type(actor, None, definition, active=False)


# --- starting a batch ------------------------------------------------------------------

def _today() -> dt.date:
    return clock.today()


def _require_some(actor: Actor, area_code: str) -> None:
    """The actor holds some procedure permission in the area (checked before anything
    about the batch is revealed)."""
    if actor.is_system:
        return
    if not any(can(actor.user, perm, area_code) for perm in ACT_PERMISSIONS):
        raise Forbidden()


def _open_step(actor: Actor, batch: ProcedureBatch, index: int) -> StepRecord:
    """Make step ``index`` current. A notice starts only when it is published."""
    step = batch.steps[index]
    started = None if step["kind"] == rules.NOTICE else _today()
    return StepRecord.objects.create(batch=batch, index=index, code=step["code"], started=started,
                                     started_by=actor.user if started else None)


@transaction.atomic
def start_batch(actor: Actor, ptype: ProcedureType, area: Area, household_ids, *, title: str = "") -> ProcedureBatch:
    definition = ptype.definition
    start = definition.get("start", {})
    require(actor, start.get("permission") or definition["steps"][0]["permission"], area.code)
    if not ptype.active:
        raise Invalid(_("This procedure type is not in use."), field="type")
    if area.level not in BATCH_LEVELS or area.valid_to is not None:
        raise Invalid(_("A batch runs in a current village, township or county."), field="area")
    try:
        ids = sorted({int(i) for i in household_ids})
    except (TypeError, ValueError):
        raise Invalid(_("Not a list of households."), field="households") from None
    if not ids:
        raise Invalid(_("Choose at least one household."), field="households")
    found = dict(Scope([area.prefix]).filter(Household.objects.filter(pk__in=ids))
                 .values_list("pk", "status"))
    missing = [i for i in ids if i not in found]
    if missing:
        raise Invalid(_("%(n)s of the chosen households are not in %(area)s.") % {"n": len(missing), "area": area},
                      field="households")
    statuses = start.get("statuses", [])
    wrong = Household.objects.filter(pk__in=ids).exclude(status__in=statuses).values_list("number", flat=True)
    if wrong:
        raise Invalid(_("These households cannot enter this procedure (their status is not %(s)s): %(list)s")
                      % {"s": ", ".join(codes.label("status", s) for s in statuses),
                         "list": ", ".join(wrong[:20])}, field="households")
    for check in start.get("checks", []):
        if check not in CHECKS:
            raise Invalid(_("Unknown start check “%(c)s”.") % {"c": check}, field="type")
        failing = CHECKS[check](actor, definition, area, ids)
        if failing:
            numbers = dict(Household.objects.filter(pk__in=list(failing)).values_list("pk", "number"))
            raise Invalid(_("These households do not meet the conditions to enter this procedure: %(list)s")
                          % {"list": "; ".join(f"{numbers.get(pk, pk)}: {reason}"
                                               for pk, reason in sorted(failing.items())[:20])},
                          field="households")
    busy = (BatchMember.objects.filter(household_id__in=ids, state__in=[rules.ACTIVE, rules.HELD],
                                       batch__status=rules.OPEN)
            .values_list("household__number", "batch_id"))
    if busy:
        raise Invalid(_("These households are in another procedure already: %(list)s")
                      % {"list": ", ".join(f"{n} (#{b})" for n, b in busy[:20])}, field="households")
    batch = ProcedureBatch(type=ptype, definition=copy.deepcopy(definition), area=area, created_by=actor.user,
                           created_at=clock.now(),
                           title=(title or "").strip()[:200] or f"{ptype.label} · {area.name} · {_today():%Y-%m-%d}")
    batch.save()
    BatchMember.objects.bulk_create(
        [BatchMember(batch=batch, household_id=pk, area_code=code)
         for pk, code in Household.objects.filter(pk__in=ids).values_list("pk", "area_code")], batch_size=2000)
    _open_step(actor, batch, 0)
    event = audit.record(actor, "procedures.batch.start", obj=batch, kind="bulk", count=len(ids),
                         after={"type": ptype.code, "area": area.code, "households": len(ids), "title": batch.title})
    audit.record_items(event, ((pk, "added") for pk in ids))
    return batch


# --- acting on the current step --------------------------------------------------------

def _lock(batch: ProcedureBatch, step: str | None, version, *, open_only: bool = True) -> ProcedureBatch:
    locked = ProcedureBatch.objects.select_for_update().get(pk=batch.pk)
    if open_only and locked.status != rules.OPEN:
        raise Conflict(_("This batch is %(status)s; nothing was done.") % {"status": locked.get_status_display()})
    if step is not None:
        current = locked.current_step
        if current is None or current["code"] != step:
            raise Conflict(_("The batch is no longer at the step “%(asked)s” (someone else acted on it at the same "
                             "time); nothing was done. Reload the page.") % {"asked": step})
    check_version(locked, version)
    return locked


def _bump(batch: ProcedureBatch) -> None:
    if ProcedureBatch.objects.filter(pk=batch.pk, version=batch.version).update(version=F("version") + 1) != 1:
        raise Conflict()
    batch.version += 1


def _record(batch: ProcedureBatch, index: int | None = None) -> StepRecord:
    return StepRecord.objects.select_for_update().get(batch=batch, index=batch.step_index if index is None else index)


def _produce_documents(batch: ProcedureBatch, record: StepRecord) -> None:
    """The step's documents, each with a snapshot of the record now (see documents.py;
    the PDF is rendered from it at the first download, so nothing here is slow)."""
    from . import documents

    documents.produce(batch, record)


def _count(batch: ProcedureBatch, state: str) -> int:
    return batch.members.filter(state=state).count()


def _settle(actor: Actor, batch: ProcedureBatch) -> None:
    """An open batch with nobody left in it (every household withdrawn or moved on) ends."""
    if batch.status == rules.OPEN and not batch.members.filter(state__in=[rules.ACTIVE, rules.HELD]).exists():
        batch.status = rules.CANCELLED
        batch.save(update_fields=["status"])
        audit.record(actor, "procedures.batch.cancel", obj=batch, note=_("No household is left in the batch."))


def _close_step(actor: Actor, batch: ProcedureBatch, record: StepRecord, notes: str, *, allow_empty: bool = False):
    if not allow_empty and _count(batch, rules.ACTIVE) == 0:
        raise Invalid(_("No household is active in this batch: decide the open objections first."))
    today = _today()
    record.closed, record.closed_by = today, actor.user
    if notes:
        record.notes = (record.notes + "\n" + notes).strip() if record.notes else notes
    record.save()
    if batch.steps[record.index]["kind"] != rules.NOTICE:
        _produce_documents(batch, record)
    batch.step_index = record.index + 1
    if batch.step_index >= len(batch.steps):
        _complete(actor, batch, today)
    else:
        batch.save(update_fields=["step_index"])
        _open_step(actor, batch, batch.step_index)
    audit.record(actor, "procedures.step.close", obj=batch,
                 after={"step": record.code, "closed": today, "notes": notes,
                        "active": _count(batch, rules.ACTIVE), "held": _count(batch, rules.HELD)})


def _complete(actor: Actor, batch: ProcedureBatch, today: dt.date) -> None:
    members = list(batch.members.filter(state=rules.ACTIVE).select_related("household"))
    batch.members.filter(state=rules.ACTIVE).update(state=rules.COMPLETED, completed_on=today)
    batch.status, batch.completed_on = rules.DONE, today
    batch.save(update_fields=["step_index", "status", "completed_on"])
    done = batch.definition.get("on_complete")
    if done and members:
        HOOKS[done["hook"]](actor, batch, members, today, done.get("params", {}))
    event = audit.record(actor, "procedures.batch.complete", obj=batch, kind="bulk", count=len(members),
                         after={"completed": len(members), "date": today, "hook": (done or {}).get("hook")})
    audit.record_items(event, ((m.household_id, "completed") for m in members))


def _active_members(batch: ProcedureBatch, ids) -> dict[int, BatchMember]:
    members = {m.pk: m for m in batch.members.filter(state=rules.ACTIVE).select_related("household")}
    for i in ids:
        if i not in members:
            raise Invalid(_("Household %(id)s is not active in this batch.") % {"id": i}, field="members")
    return members


def _withdraw(actor, batch, members: list[BatchMember], reason: str, index: int) -> None:
    ids = [m.pk for m in members]
    BatchMember.objects.filter(pk__in=ids).update(state=rules.WITHDRAWN, reason=reason[:500], left_step=index)
    Objection.objects.filter(member_id__in=ids, status=Objection.OPEN).update(
        status=Objection.SUPERSEDED, resolution=_("Closed: the household left the batch."), resolved_on=_today(),
        resolved_by=actor.user)
    event = audit.record(actor, "procedures.members.withdraw", obj=batch, kind="bulk", count=len(ids),
                         after={"step": batch.steps[index]["code"], "reason": reason})
    audit.record_items(event, ((m.household_id, "withdrawn") for m in members))


def _int(value, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Invalid(_("Not a whole number."), field=field) from None


def _date(value, field: str) -> dt.date:
    """core.dates.parse_date, its reason replaced by this form's message."""
    try:
        return dates.parse_date(value)
    except ValueError:
        raise Invalid(_("Not a date (YYYY-MM-DD)."), field=field) from None


def act(actor: Actor, batch: ProcedureBatch, *, step: str, action: str, version=None, notes: str = "",
        **data) -> ProcedureBatch:
    """Do ``action`` on the batch's current step, which the officer saw as ``step``
    (at ``version``). Actions by kind: task → complete; notice → publish, close;
    appraisal → appraise; review → decide; any step → withdraw."""
    _require_some(actor, batch.area_code)
    with transaction.atomic():
        b = _lock(batch, step, version)
        sdef = b.current_step
        require(actor, sdef["permission"], b.area_code)
        record = _record(b)
        notes = (notes or "").strip()
        if action == rules.WITHDRAW:
            _act_withdraw(actor, b, record, data)
        elif action not in rules.ACTIONS[sdef["kind"]]:
            raise Invalid(_("“%(action)s” cannot be done on the step “%(step)s”.") % {"action": action,
                                                                                       "step": sdef["name"]})
        elif action == "publish":
            _publish(actor, b, record, notes)
        elif action == "close":
            started = record.started
            if started is None:
                raise Invalid(_("The notice has not been published yet."))
            if not rules.notice_may_close(started, sdef["days"], _today()):
                raise Invalid(_("The notice runs %(days)s days, from %(start)s to %(last)s inclusive: it can be closed "
                                "from %(earliest)s.") % {
                    "days": sdef["days"], "start": started, "last": rules.notice_last_day(started, sdef["days"]),
                    "earliest": rules.notice_earliest_close(started, sdef["days"])})
            _close_step(actor, b, record, notes)
        elif action == "complete":
            _close_step(actor, b, record, notes)
        elif action == "appraise":
            _appraise(actor, b, record, notes, data)
        elif action == "decide":
            _decide(actor, b, record, notes, data)
        _bump(b)
        _settle(actor, b)
    return b


def _publish(actor, batch, record, notes) -> None:
    if record.started is not None:
        raise Conflict(_("This notice was published on %(d)s already.") % {"d": record.started})
    listed = list(batch.members.filter(state=rules.ACTIVE).values_list("pk", flat=True))
    if not listed:
        raise Invalid(_("No household is active in this batch: there is nothing to publish."))
    record.started, record.started_by, record.listed, record.notes = _today(), actor.user, listed, notes
    record.save()
    _produce_documents(batch, record)
    sdef = batch.steps[record.index]
    audit.record(actor, "procedures.notice.publish", obj=batch, count=len(listed),
                 after={"step": record.code, "from": record.started, "days": sdef["days"],
                        "last_day": rules.notice_last_day(record.started, sdef["days"]), "households": len(listed)})


def _act_withdraw(actor, batch, record, data) -> None:
    ids = [_int(i, "members") for i in data.get("members") or []]
    reason = (data.get("reason") or "").strip()
    if not ids:
        raise Invalid(_("Choose the households to withdraw."), field="members")
    if not reason:
        raise Invalid(_("Give the reason for withdrawing."), field="reason")
    members = list(batch.members.filter(pk__in=ids, state__in=[rules.ACTIVE, rules.HELD]).select_related(
        "household"))
    if len(members) != len(set(ids)):
        raise Invalid(_("Only active or held households can be withdrawn."), field="members")
    _withdraw(actor, batch, members, reason, record.index)


def _appraise(actor, batch, record, notes, data) -> None:
    """The representatives' meeting and a vote per active household; households that do
    not pass leave the batch; the step closes. A meeting that is not quorate is refused
    (nothing is recorded: hold the meeting again)."""
    sdef = batch.steps[record.index]
    rule = sdef["pass_rule"]
    held_on = _date(data.get("held_on") or _today(), "held_on")
    if held_on > _today() or (record.started and held_on < record.started):
        raise Invalid(_("The meeting date must be between the start of this step (%(s)s) and today.")
                      % {"s": record.started}, field="held_on")
    total, present = _int(data.get("total"), "total"), _int(data.get("present"), "present")
    minutes = (data.get("minutes") or "").strip()
    if not minutes:
        raise Invalid(_("The minutes of the meeting are required."), field="minutes")
    raw = data.get("votes") or {}
    votes = {}
    for key, value in raw.items():
        try:
            f, a, b = (int(value[k]) if isinstance(value, dict) else int(value[i])
                       for i, k in enumerate(("for", "against", "abstain")))
        except (KeyError, IndexError, TypeError, ValueError):
            raise Invalid(_("The votes of household %(h)s are not three whole numbers.") % {"h": key},
                          field="votes") from None
        votes[_int(key, "votes")] = (f, a, b)
    members = _active_members(batch, votes)
    missing = [m.household.number for pk, m in members.items() if pk not in votes]
    if missing:
        raise Invalid(_("Every household needs its votes; missing: %(list)s") % {"list": ", ".join(missing[:20])},
                      field="votes")
    problem = rules.check_votes(total, present, votes)
    if problem:
        raise Invalid(problem, field="votes")
    if not rules.is_quorate(rule, total, present):
        raise Invalid(rules.appraisal_outcome(rule, total, present, 0, 0, 0).reason + " " + rules.rule_text(rule),
                      field="present")
    meeting = AppraisalMeeting.objects.create(record=record, held_on=held_on, total=total, present=present,
                                              minutes=minutes, rule=rule, recorded_by=actor.user,
                                              recorded_at=clock.now())
    outcomes = {pk: rules.appraisal_outcome(rule, total, present, *v) for pk, v in votes.items()}
    AppraisalVote.objects.bulk_create(
        [AppraisalVote(meeting=meeting, member_id=pk, votes_for=f, against=a, abstain=b, passed=outcomes[pk].passed)
         for pk, (f, a, b) in votes.items()])
    failed = [members[pk] for pk, o in outcomes.items() if not o.passed]
    audit.record(actor, "procedures.appraisal.record", obj=batch, count=len(votes),
                 after={"held_on": held_on, "total": total, "present": present,
                        "passed": len(votes) - len(failed), "failed": len(failed)})
    if failed:
        _withdraw(actor, batch, failed, _("Not passed at the representatives' appraisal of %(d)s.") % {"d": held_on},
                  record.index)
    _close_step(actor, batch, record, notes, allow_empty=True)


def _decide(actor, batch, record, notes, data) -> None:
    """A review or approval: every active household passes except those rejected, each
    with its reason."""
    rejected = {_int(k, "rejected"): (v or "").strip() for k, v in (data.get("rejected") or {}).items()}
    members = _active_members(batch, rejected)
    empty = [members[pk].household.number for pk, reason in rejected.items() if not reason]
    if empty:
        raise Invalid(_("Give the reason for each household not approved: %(list)s") % {"list": ", ".join(empty)},
                      field="rejected")
    for pk, reason in rejected.items():
        _withdraw(actor, batch, [members[pk]], _("Not approved at “%(step)s”: %(reason)s") % {
            "step": record.step.get("name") or record.code, "reason": reason}, record.index)
    _close_step(actor, batch, record, notes, allow_empty=True)


# --- objections ------------------------------------------------------------------------

@transaction.atomic
def raise_objection(actor: Actor, batch: ProcedureBatch, member_id, *, content: str, objector_name: str = "",
                    objector_contact: str = "", received_on=None) -> Objection:
    """Record an objection to a listed household during the notice that is up; the
    household is held until the objection is decided."""
    _require_some(actor, batch.area_code)
    b = _lock(batch, None, None)
    sdef = b.current_step
    record = _record(b)
    if sdef["kind"] != rules.NOTICE or record.started is None:
        raise Invalid(_("Objections are recorded while a notice is up; this batch has none up now."))
    require(actor, sdef.get("objection_permission") or sdef["permission"], b.area_code)
    member = b.members.select_for_update().select_related("household").filter(pk=_int(member_id, "member")).first()
    if member is None or member.pk not in record.listed or member.state not in (rules.ACTIVE, rules.HELD):
        raise Invalid(_("This household is not on the notice."), field="member")
    content = (content or "").strip()
    if not content:
        raise Invalid(_("Write down the objection."), field="content")
    received = _date(received_on or _today(), "received_on")
    last = rules.notice_last_day(record.started, sdef["days"])
    if received > _today() or received < record.started or received > last:
        raise Invalid(_("An objection must be received during the notice, from %(s)s to %(e)s (and not after "
                        "today).") % {"s": record.started, "e": last}, field="received_on")
    objection = Objection.objects.create(
        batch=b, member=member, record=record, area_code=member.area_code,
        objector_name=(objector_name or "").strip()[:60], objector_contact=(objector_contact or "").strip()[:40],
        content=content, received_on=received, recorded_by=actor.user, recorded_at=clock.now())
    if member.state == rules.ACTIVE:
        member.state, member.held_step = rules.HELD, record.index
        member.save(update_fields=["state", "held_step", "updated_at"])
    _bump(b)
    audit.record(actor, "procedures.objection.raise", obj=b,
                 after={"objection": objection.pk, "household": member.household.number, "step": record.code,
                        "received_on": received, "content": content})
    return objection


@transaction.atomic
def resolve_objection(actor: Actor, objection: Objection, *, upheld: bool, text: str) -> Objection:
    """Decide an objection: ``upheld`` with its reason (the household leaves the batch),
    or rejected with the written answer to the objector (the household rejoins)."""
    _require_some(actor, objection.batch.area_code)
    b = _lock(objection.batch, None, None, open_only=False)
    obj = Objection.objects.select_for_update().select_related("record", "member__household").get(pk=objection.pk)
    sdef = b.steps[obj.record.index]
    require(actor, sdef.get("resolve_permission") or sdef["permission"], b.area_code)
    if obj.status != Objection.OPEN:
        raise Conflict(_("This objection has been decided already; nothing was done."))
    text = (text or "").strip()
    if not text:
        raise Invalid(_("Give the reason the objection is upheld.") if upheld else
                      _("A written answer to the objector is required."), field="text")
    today = _today()
    obj.status = Objection.UPHELD if upheld else Objection.REJECTED
    obj.resolution, obj.resolved_on, obj.resolved_by = text, today, actor.user
    obj.save()
    member = BatchMember.objects.select_for_update().select_related("household").get(pk=obj.member_id)
    outcome = "held"
    if upheld:
        if member.state in (rules.ACTIVE, rules.HELD):
            _withdraw(actor, b, [member], _("Objection upheld: %(reason)s") % {"reason": text}, obj.record.index)
            outcome = "withdrawn"
    elif member.state == rules.HELD and not member.objections.filter(status=Objection.OPEN).exists():
        held_at = member.held_step if member.held_step is not None else obj.record.index
        still_up = b.status == rules.OPEN and b.step_index == held_at and \
            StepRecord.objects.filter(batch=b, index=held_at, closed__isnull=True).exists()
        if still_up:
            member.state, member.held_step = rules.ACTIVE, None
            member.save(update_fields=["state", "held_step", "updated_at"])
            outcome = "active"
        else:
            child = _continue(actor, b, member, held_at)
            outcome = f"moved to {child.pk}"
    _bump(b)
    _settle(actor, b)
    audit.record(actor, "procedures.objection.resolve", obj=b,
                 after={"objection": obj.pk, "household": member.household.number,
                        "decision": obj.status, "text": text, "household_now": outcome})
    return obj


def _continue(actor: Actor, batch: ProcedureBatch, member: BatchMember, index: int) -> ProcedureBatch:
    """A follow-up batch for one household whose objection was rejected after its notice
    closed: it starts at that notice (published again, for the full period) and goes
    through the remaining steps."""
    child = ProcedureBatch(type=batch.type, definition=batch.definition, area=batch.area, step_index=index,
                           parent=batch, created_by=actor.user, created_at=clock.now(),
                           title=(_("%(title)s — household %(number)s again from “%(step)s”") % {
                               "title": batch.title, "number": member.household.number,
                               "step": batch.steps[index]["name"]})[:200])
    child.save()
    BatchMember.objects.create(batch=child, household=member.household, area_code=member.area_code)
    _open_step(actor, child, index)
    member.state, member.moved_to = rules.MOVED, child
    member.reason = (_("The objection was rejected after the notice closed: the household goes through the notice "
                       "again in batch %(id)s.") % {"id": child.pk})[:500]
    member.save(update_fields=["state", "moved_to", "reason", "updated_at"])
    audit.record(actor, "procedures.batch.continue", obj=child,
                 after={"parent": batch.pk, "household": member.household.number, "from_step": child.steps[index]["code"]})
    return child


# --- documents ---------------------------------------------------------------------------

@transaction.atomic
def regenerate_document(actor: Actor, doc: StepDocument, *, note: str) -> StepDocument:
    """A new version of ``doc`` from the record as it is now (the stored versions stay).
    Needs the permission of the document's step in the batch's area.

    Two requests at once (a double click, two officers): the step's record is locked
    before the next number is read, so the second waits for the first and makes the
    version after it (each request carries its own reason and is audited). Should a
    version still collide (a writer that did not take the lock), the officer gets
    Conflict with a message, never an error page."""
    from .documents import snapshot

    record = StepRecord.objects.select_for_update().get(pk=doc.record_id)
    batch = record.batch
    require(actor, batch.steps[record.index]["permission"], batch.area_code)
    note = (note or "").strip()
    if not note:
        raise Invalid(_("Give the reason for a new version."), field="note")
    last = StepDocument.objects.filter(record=record, code=doc.code).order_by("-version").first()
    data = snapshot(batch, record, doc.code)
    try:
        with transaction.atomic():
            new = StepDocument.objects.create(record=record, code=doc.code, title=doc.title,
                                              version=last.version + 1, data=data, created_by=actor.user,
                                              note=note[:200])
    except IntegrityError:
        raise Conflict(_("Another new version of this document was made at the same moment; nothing was done. "
                         "Reload the page to see it.")) from None
    audit.record(actor, "procedures.document.regenerate", obj=batch,
                 after={"step": record.code, "document": doc.code, "version": new.version, "reason": note,
                        "previous": last.version})
    return new


def render_document(actor: Actor, doc: StepDocument) -> StepDocument:
    """``doc`` with its stored PDF: rendered from its snapshot the first time it is read
    (a missing snapshot is taken now) and kept with its SHA-256; a stored file is never
    replaced. Anyone who may read the batch causes it by downloading (the download
    itself is logged by the view, as an export).

    Two first downloads at once: the document's row is locked (only that row, not the
    batch, so officers' steps are not held up by a rendering) and read again; the
    second waits and finds the file the first stored. SQLite serialises writers."""
    from . import documents

    batch = doc.record.batch
    require(actor, queries.VIEW, batch.area_code)
    if doc.file:
        return doc
    with transaction.atomic():
        locked = StepDocument.objects.select_for_update(of=("self",)).select_related("record__batch").get(pk=doc.pk)
        if locked.file:
            return locked
        record = locked.record
        if not locked.data:
            locked.data = documents.snapshot(record.batch, record, locked.code)
        body = documents.render_pdf(locked)
        locked.sha256 = hashlib.sha256(body).hexdigest()
        locked.generated_at = clock.now()
        locked.file.save(documents.filename(locked), ContentFile(body), save=False)
        locked.save(update_fields=["file", "sha256", "generated_at", "data"])
    return locked
