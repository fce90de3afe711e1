"""The step engine: starting a batch, and acting on its current step (complete,
publish and close a notice, appraise, decide, withdraw). Closing a step (a notice:
publishing it) produces the step's documents (their snapshots; see documents.py).

Two officers at once: every action locks the batch row (``select_for_update`` on
PostgreSQL; SQLite serialises writers) and checks the step the officer saw and, when
given, the batch's version number from the page; a stale one is refused with Conflict
and nothing is done. The version is then raised with a conditional UPDATE (… WHERE
version = n), so a second write from the same stale page cannot pass on either database.
"""

from __future__ import annotations

import copy
import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from fupin.accounts.scoping import Scope, require
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Conflict, Invalid
from fupin.registry import codes
from fupin.registry.models import Household

from .. import rules
from ..hooks import CHECKS, HOOKS
from ..models import (
    AppraisalMeeting,
    AppraisalVote,
    BatchMember,
    Objection,
    ProcedureBatch,
    ProcedureType,
    StepRecord,
)
from .base import BATCH_LEVELS, _bump, _date, _int, _lock, _record, _require_some, _today

# --- starting a batch ------------------------------------------------------------------

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

def _produce_documents(batch: ProcedureBatch, record: StepRecord) -> None:
    """The step's documents, each with a snapshot of the record now (see documents.py;
    the PDF is rendered from it later, by render_document, so nothing here is slow)."""
    from .. import documents

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
