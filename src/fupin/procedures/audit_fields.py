"""What the procedure engine's audit events log besides their object's fields, for the log's
pages (fupin.audit.present reads this module; see its docstring): each value's label, the
model whose fields an action logs, and how to read a step's code (by the step's name in the
batch) or a completion hook (in words)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fupin.audit.present import row_id

from . import labels

BATCH = "procedures.procedurebatch"

ACTION_MODELS = {
    "procedures.appraisal.record": "procedures.appraisalmeeting",  # held_on, total, present
    "procedures.objection.raise": "procedures.objection",  # received_on, content
}

FIELDS = {
    BATCH: {
        "households": gettext_lazy("number of households"),
        "step": gettext_lazy("step"),
        "objection": gettext_lazy("objection"),
        "household": gettext_lazy("household"),
        "reason": gettext_lazy("reason"),
    },
    "procedures.batch.start": {"type": gettext_lazy("procedure type")},
    "procedures.step.close": {
        "closed": gettext_lazy("closed on"),
        "notes": gettext_lazy("notes"),
        "active": gettext_lazy("households going on"),
        "held": gettext_lazy("households held by an objection"),
    },
    "procedures.batch.complete": {
        "completed": gettext_lazy("households completed"),
        "date": gettext_lazy("completed on"),
        "hook": gettext_lazy("on completion"),
    },
    "procedures.notice.publish": {
        "from": gettext_lazy("first day of the notice"),
        "days": gettext_lazy("notice days"),
        "last_day": gettext_lazy("last day of the notice"),
        "households": gettext_lazy("households listed"),
    },
    "procedures.appraisal.record": {
        "passed": gettext_lazy("households passed"),
        "failed": gettext_lazy("households not passed"),
    },
    "procedures.objection.resolve": {
        "decision": gettext_lazy("decision"),
        "text": gettext_lazy("reason or answer"),
        "household_now": gettext_lazy("the household now"),
    },
    "procedures.batch.continue": {
        "parent": gettext_lazy("continues batch"),
        "from_step": gettext_lazy("again from step"),
    },
    "procedures.document.": {
        "batch": gettext_lazy("procedure batch"),
        "step": gettext_lazy("step"),
        "document": gettext_lazy("document"),
        "version": gettext_lazy("version"),
        "previous": gettext_lazy("previous version"),
        "reason": gettext_lazy("reason for a new version"),
        "sha256": gettext_lazy("SHA-256 of the file"),
        "bytes": gettext_lazy("size (bytes)"),
        "file": gettext_lazy("file"),
    },
}


def _batch(logged):
    """The batch of an event: its object, or the ``batch`` it names (a document's event)."""
    from .models import ProcedureBatch

    pk = logged.values.get("batch") if logged.object_type != BATCH else logged.object_id
    try:
        return ProcedureBatch.objects.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def step_name(value, logged) -> str:
    """A step's code by its name in the batch's procedure (the code when the batch has no such step)."""
    batch = _batch(logged)
    step = next((s for s in (batch.steps if batch else []) if s.get("code") == value), None)
    return labels.localized(step) if step else str(value)


def hook_text(value, logged) -> str:
    """A completion hook in words (with the batch's parameters: the status it sets)."""
    batch = _batch(logged)
    on_complete = (batch.definition.get("on_complete") if batch else None) or {}
    if on_complete.get("hook") != value:
        on_complete = {"hook": value}
    return labels.hook_label(on_complete)


def type_name(value, _logged) -> str:
    """A procedure type's code by its name."""
    from .models import ProcedureType

    found = ProcedureType.objects.filter(code=value).first()
    return found.label if found is not None else str(value)


def objection_decision(value, _logged) -> str:
    from .models import Objection

    return str(dict(Objection.STATUS_CHOICES).get(value, value))


def household_now(value, _logged) -> str:
    """Where a household stands after its objection: going on, or in a follow-up batch."""
    from . import rules
    from .models import BatchMember

    text = str(value)
    if text.startswith("moved to "):
        return _("continues in batch #%(id)s") % {"id": text.removeprefix("moved to ")}
    if text == rules.ACTIVE:
        return str(dict(BatchMember.STATE_CHOICES)[rules.ACTIVE])
    return text


def document_title(value, logged) -> str:
    """A document's code by its name in the batch's procedure."""
    from . import rules

    batch = _batch(logged)
    doc = rules.document_titles(batch.definition).get(value) if batch else None
    return (labels.localized(doc) or str(value)) if doc else str(value)


VALUES = {
    (BATCH, "objection"): row_id,
    ("procedures.batch.continue", "parent"): row_id,
    ("procedures.document.", "batch"): row_id,
    ("procedures.batch.start", "type"): type_name,
    (BATCH, "step"): step_name,
    ("procedures.batch.continue", "from_step"): step_name,
    ("procedures.document.", "step"): step_name,
    ("procedures.document.", "document"): document_title,
    ("procedures.batch.complete", "hook"): hook_text,
    ("procedures.objection.resolve", "decision"): objection_decision,
    ("procedures.objection.resolve", "household_now"): household_now,
}
