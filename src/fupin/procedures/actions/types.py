"""Procedure types: saving a type's definition (validated against the names the
system knows) and copying a type into a local variant."""

from __future__ import annotations

import copy

from django.db import transaction
from django.utils.translation import gettext as _

from fupin.accounts import rules as account_rules
from fupin.accounts.scoping import require
from fupin.audit import actions as audit
from fupin.core.actor import Actor
from fupin.core.errors import Invalid
from fupin.registry import codes

from .. import rules
from ..hooks import CHECKS, HOOKS
from ..models import ProcedureType

TYPE_FIELDS = ["code", "name", "name_en", "purpose", "source", "active"]


def known_names() -> dict:
    return {"permissions": set(account_rules.PERMISSION_LABELS), "hooks": set(HOOKS),
            "statuses": set(codes.codes("status")), "checks": set(CHECKS)}


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
