"""不脱贫不脱钩: why a household must keep a helper. Each *hold* says, for one household,
why its last helper cannot be unpaired (or None), and, for set-based pages (coverage),
which households it holds as a Q over registry.Household.

The registry's hold (the household is poor) is here; later apps add theirs — the
monitoring app registers "being monitored" with::

    from fupin.assistance import holds
    holds.register("monitored", check=lambda h: ... or None, q=lambda: Q(pk__in=...))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce

from django.db.models import Q
from django.utils.translation import gettext as _

from fupin.registry import codes


@dataclass(frozen=True)
class Hold:
    name: str
    check: Callable  # (household) -> str | None: the reason, in the user's language
    q: Callable | None = None  # () -> Q over Household: the households this hold keeps


HOLDS: dict[str, Hold] = {}


def register(name: str, *, check: Callable, q: Callable | None = None) -> None:
    HOLDS[name] = Hold(name, check, q)


def reason(household) -> str | None:
    """Why the household must keep a helper, or None."""
    for hold in HOLDS.values():
        why = hold.check(household)
        if why:
            return why
    return None


def needs_helper_q() -> Q:
    """The households some hold keeps (for "households without a helper")."""
    parts = [hold.q() for hold in HOLDS.values() if hold.q is not None]
    return reduce(lambda a, b: a | b, parts) if parts else Q(pk__in=[])


def _poor(household) -> str | None:
    if household.status in codes.POOR_STATUSES:
        return _("The household is still poor (%(status)s): not out of poverty, not unpaired (不脱贫不脱钩).") % {
            "status": codes.label("status", household.status)}
    return None


register("poor", check=_poor, q=lambda: Q(status__in=codes.POOR_STATUSES))
