"""The monitoring procedures' completion hooks and start checks, registered with the
shared engine (fupin.procedures.hooks) when the app is ready."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from fupin.procedures.hooks import hook, start_check

from .models import MonitoredHousehold as M


@hook("monitoring.identify")
def identify(actor, batch, members, date: dt.date, params: dict) -> None:
    """The households of a completed identification are monitored from the completion date."""
    from . import actions

    actions.identify_completed(actor, batch, [m.household_id for m in members], date)


@hook("monitoring.clear")
def clear(actor, batch, members, date: dt.date, params: dict) -> None:
    """The households of a completed risk clearance are no longer monitored from that date."""
    from . import actions

    actions.clear_completed(actor, batch, [m.household_id for m in members], date)


@start_check("monitoring.identify_ready")
def identify_ready(actor, definition, area, household_ids) -> dict:
    """A household enters the identification with an open candidate record, a visit by
    two people at least and the signed authorisation."""
    records = {r.household_id: r for r in M.objects.filter(household_id__in=household_ids, state=M.CANDIDATE)}
    visited = set(M.objects.filter(household_id__in=household_ids, state=M.CANDIDATE, visits__isnull=False)
                  .values_list("household_id", flat=True))
    consented = set(M.objects.filter(household_id__in=household_ids, state=M.CANDIDATE,
                                     visits__consent_signed=True).values_list("household_id", flat=True))
    out = {}
    for hid in household_ids:
        if hid not in records:
            out[hid] = _("not proposed for monitoring (no open record being identified)")
        elif hid not in visited:
            out[hid] = _("no household visit by two people recorded")
        elif hid not in consented:
            out[hid] = _("the household's signed authorisation is not recorded")
    return out


@start_check("monitoring.clearance")
def clearance(actor, definition, area, household_ids) -> dict:
    """A household enters risk clearance when it is monitored and meets every criterion
    (queries.clearance: a fixed number of queries for the whole batch)."""
    from fupin.core import clock

    from . import queries, rules

    records = {r.household_id: r for r in M.objects.filter(household_id__in=household_ids, state=M.MONITORED)
               .select_related("household")}
    items = queries.clearance(records.values(), clock.today())
    out = {}
    for hid in household_ids:
        record = records.get(hid)
        if record is None:
            out[hid] = _("not a monitored household")
            continue
        refusal = rules.clearance_refusal(items[record.pk])
        if refusal:
            out[hid] = refusal
    return out
