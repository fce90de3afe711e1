"""Objections (异议): an objection recorded during a notice holds its household; the
batch goes on without it. Upheld: the household leaves the batch (withdrawn, with the
reason). Rejected: the objector's written answer is required and the household
rejoins — at once if the notice it was held in is still up (it was listed for the
whole period); if that notice has closed in the meantime, the household goes through
that notice again, on its own, in a follow-up batch that starts at that notice and
continues with the remaining steps (the parent member is marked ``moved``).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from fupin.accounts.scoping import require
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Conflict, Invalid

from .. import rules
from ..models import BatchMember, Objection, ProcedureBatch, StepRecord
from .base import _bump, _date, _int, _lock, _record, _require_some, _today
from .engine import _open_step, _settle, _withdraw


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
