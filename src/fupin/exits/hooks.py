"""The exits app's entries in the procedure engine (fupin.procedures.hooks):

- start check ``exits.criteria``: a household enters an exit batch only when it meets
  every item of the exit criteria that apply to its area in the year the batch starts;
- completion hook ``exits.return``: the return procedure sets the household
  ``returned`` with the reason of its return case and the completion date."""

from __future__ import annotations

from fupin.core import clock
from fupin.procedures.hooks import hook, start_check


@start_check("exits.criteria")
def criteria(actor, definition, area, household_ids) -> dict[int, str]:
    from . import queries

    return queries.failing(household_ids, area.prefix, clock.today().year)


@hook("exits.return")
def returned(actor, batch, members, date, params) -> None:
    from . import actions

    actions.complete_returns(actor, batch, members, date)
