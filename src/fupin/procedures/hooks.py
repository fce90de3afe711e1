"""What happens when a batch completes, named in the type's data ("on_complete":
{"hook": name, "params": {...}}). Apps register their hooks here; a hook receives the
acting user, the batch, the members that completed, the completion date and the
params, and writes through its own app's actions (so it is checked and audited there)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils.translation import gettext as _

HOOKS: dict[str, Callable] = {}

# Start checks, named in a type's data ("start": {"checks": [name, …]}): a check
# receives the acting user, the type's definition, the batch's area and the chosen
# household ids, and returns {household id: reason} for every household that may not
# enter (e.g. the exit criteria: "per-capita income 3,999 < line 4,000"). A batch is
# started only when every check passes for every household.
CHECKS: dict[str, Callable] = {}

# What a hook does or a check requires, in words, is labels.HOOKS / labels.CHECKS.


def hook(name: str):
    def register(fn):
        HOOKS[name] = fn
        return fn

    return register


def start_check(name: str):
    def register(fn):
        CHECKS[name] = fn
        return fn

    return register


@hook("registry.set_status")
def set_status(actor, batch, members, date: dt.date, params: dict) -> None:
    """Set each completed household's status (identification: ``registered``, the
    identification date being the completion date; exit: ``exited_policy``). One
    set-based registry action for the whole list (checked and audited there)."""
    from fupin.registry import actions as registry
    from fupin.registry.models import Household

    status = params["status"]
    reason = _("%(procedure)s, batch %(id)s") % {"procedure": batch.type_label, "id": batch.pk}
    household_ids = [m.household_id for m in members]
    registry.set_status_many(actor, Household.objects.filter(pk__in=household_ids), status, date,
                             reason=reason[:200], source=f"procedure:{batch.pk}")
