"""The visit form asks the same question as the rest of assistance before it lets a user
name a household that is not their own (actions.may_act_for_household: assistance.edit
in its area, or its own helper), and lists the user's own households as the phone page
does (queries.paired_households)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fupin.assistance import actions
from fupin.core import clock
from tests.test_assistance import TODAY
from tests.test_assistance_pages import world  # noqa: F401 (a fixture)


def _choices(response) -> list[int]:
    return [pk for pk, _label in response.context["form"].fields["household"].choices if pk != ""]


def _visit_form(client, household=None):
    with clock.frozen(TODAY):
        return client.get(reverse("assistance:visit_log"), {"household": household.pk} if household else {})


def test_the_office_logs_a_visit_for_any_household_of_its_area(world):
    r = _visit_form(world["c"], world["other"])
    assert r.status_code == 200
    assert world["other"].pk in _choices(r)


def test_a_helper_logs_visits_for_their_own_households_only(world):
    r = _visit_form(world["hc"])
    assert r.status_code == 200
    assert _choices(r) == [world["h"].pk]
    assert _visit_form(world["hc"], world["h"]).status_code == 200
    assert _visit_form(world["hc"], world["other"]).status_code == 403


def test_a_paired_household_ended_is_refused_to_its_former_helper(world):
    with clock.frozen(TODAY):
        pairing = world["h"].pairings.get()
        pairing.end = dt.date(2024, 6, 1)
        pairing.save(update_fields=["end"])
    assert _visit_form(world["hc"], world["h"]).status_code == 403


@pytest.mark.parametrize("allowed", [False, True])
def test_the_form_asks_may_act_for_household(world, monkeypatch, allowed):
    """Whoever may act for the household (the one check) may open the form for it; whoever
    may not is refused with the reason — the view keeps no check of its own."""
    asked = []

    def may_act(actor, household):
        asked.append(household.pk)
        return allowed

    monkeypatch.setattr(actions, "may_act_for_household", may_act)
    r = _visit_form(world["c"], world["other"])
    assert asked == [world["other"].pk]
    assert r.status_code == (200 if allowed else 403)
