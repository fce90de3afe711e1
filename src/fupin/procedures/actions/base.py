"""What every procedure action shares: the clock, the permission check made before
anything about a batch is revealed, the batch's lock and version number, and reading
the numbers and dates a form sends."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils.translation import gettext as _

from fupin.accounts.scoping import can
from fupin.core import clock, dates
from fupin.core.actor import Actor
from fupin.core.errors import Conflict, Forbidden, Invalid, check_version

from .. import rules
from ..models import ProcedureBatch, StepRecord

ACT_PERMISSIONS = ("procedures.village", "procedures.township", "procedures.county")
BATCH_LEVELS = ("village", "township", "county")


def _today() -> dt.date:
    return clock.today()


def _require_some(actor: Actor, area_code: str) -> None:
    """The actor holds some procedure permission in the area (checked before anything
    about the batch is revealed)."""
    if actor.is_system:
        return
    if not any(can(actor.user, perm, area_code) for perm in ACT_PERMISSIONS):
        raise Forbidden()


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
