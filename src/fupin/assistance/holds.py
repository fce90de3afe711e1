"""不脱贫不脱钩: why a household must keep a helper — the extension point other apps
register with.

A *hold* is a named rule with
- ``check(household) -> str | None``: the reason, in the user's language, why this
  household's last helper cannot be unpaired (None: this hold does not keep it);
- ``q() -> Q`` over registry.Household (optional): the households the hold keeps, for the
  set-based pages (coverage: "households without a helper", 六清);
- ``label``: a short name shown next to such a household in the lists ("poor",
  "being monitored").

The registry's hold (the household is poor: registry.codes.POOR_STATUSES) is registered
here. A later app registers its own in its ``AppConfig.ready()``; the monitoring app,
for a household being monitored::

    from fupin.assistance import holds

    holds.register("monitored", label=_("being monitored"),
                   check=lambda h: _("The household is being monitored …") if is_monitored(h) else None,
                   q=lambda: Q(pk__in=MonitoredHousehold.objects.filter(cleared__isnull=True)
                               .values("household_id")))

or, when the app marks such households with registry statuses of their own::

    holds.register_statuses("monitored", ["monitored"], label=_("being monitored"))

The exits app registers "policy_period" this way (exits/holds.py, 四个不摘): a household
that has exited keeps its helper while it is in its post-exit policy period (the exits
app's period data and query).

Every hold is asked when a pairing is ended (actions.unpair) and every ``q`` is OR-ed for
the lists; nothing else in the assistance app needs to change. Registering a name again
replaces the earlier hold (safe under autoreload); ``unregister`` removes one (tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fupin.registry import codes


@dataclass(frozen=True)
class Hold:
    name: str
    check: Callable  # (household) -> str | None: the reason, in the user's language
    q: Callable | None = None  # () -> Q over Household: the households this hold keeps
    label: object = ""  # a short (lazy) label for the lists


HOLDS: dict[str, Hold] = {}


def register(name: str, *, check: Callable, q: Callable | None = None, label=None) -> None:
    HOLDS[name] = Hold(name, check, q, label if label is not None else name)


def unregister(name: str) -> None:
    HOLDS.pop(name, None)


def register_statuses(name: str, statuses: Iterable[str], *, label=None, reason=None) -> None:
    """A hold for households in the given registry statuses (e.g. statuses a later app
    adds to the registry's code list). ``reason``: a format string with %(status)s."""
    statuses = tuple(statuses)

    def check(household):
        if household.status in statuses:
            text = str(reason) if reason else _("The household is %(status)s: not unpaired (不脱贫不脱钩).")
            return text % {"status": codes.label("status", household.status)}
        return None

    register(name, check=check, q=lambda: Q(status__in=statuses), label=label)


def reason(household) -> str | None:
    """Why the household must keep a helper, or None (the first hold that keeps it)."""
    for hold in HOLDS.values():
        why = hold.check(household)
        if why:
            return why
    return None


def reasons(household) -> list[str]:
    """Every reason the household must keep a helper (for the household card)."""
    return [why for hold in HOLDS.values() if (why := hold.check(household))]


def needs_helper_q() -> Q:
    """The households some hold keeps (for "households without a helper")."""
    parts = [hold.q() for hold in HOLDS.values() if hold.q is not None]
    return reduce(lambda a, b: a | b, parts) if parts else Q(pk__in=[])


def annotate(qs):
    """Household rows annotated ``hold_<name>`` (True when that hold keeps the row): one
    query, for a list that says why each household needs a helper."""
    return qs.annotate(**{f"hold_{h.name}": ExpressionWrapper(h.q(), output_field=BooleanField())
                          for h in HOLDS.values() if h.q is not None})


def labels(row) -> list[str]:
    """The labels of the holds that keep an annotated row (see annotate)."""
    return [str(h.label) for h in HOLDS.values() if h.q is not None and getattr(row, f"hold_{h.name}", False)]


def _poor(household) -> str | None:
    if household.status in codes.POOR_STATUSES:
        return _("The household is still poor (%(status)s): not out of poverty, not unpaired (不脱贫不脱钩).") % {
            "status": codes.label("status", household.status)}
    return None


register("poor", check=_poor, q=lambda: Q(status__in=codes.POOR_STATUSES), label=gettext_lazy("poor"))


# --- the monitoring app's hold (防返贫监测): a household being monitored keeps its helper ---------

def _monitoring_model():
    from django.apps import apps

    return apps.get_model("monitoring", "MonitoredHousehold")


def _monitored(household) -> str | None:
    model = _monitoring_model()
    if model.objects.filter(household_id=household.pk, state=model.MONITORED).exists():
        return _("The household is being monitored against a return to poverty: not unpaired (不脱贫不脱钩).")
    return None


def _monitored_q() -> Q:
    model = _monitoring_model()
    return Q(pk__in=model.objects.filter(state=model.MONITORED).values("household_id"))


def register_monitoring() -> None:
    """Register "monitored" when the monitoring app is installed (called from
    AssistanceConfig.ready). The monitoring app may register its own hold under the same
    name: being later in INSTALLED_APPS, it replaces this one."""
    from django.apps import apps

    if apps.is_installed("fupin.monitoring"):
        register("monitored", check=_monitored, q=_monitored_q, label=gettext_lazy("being monitored"))
