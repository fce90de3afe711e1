"""四个不摘 (不摘责任、不摘政策、不摘帮扶、不摘监管): a household that has exited keeps its
helper while it is in its post-exit policy period — the exits app's hold
(exits/holds.py, registered by ExitsConfig.ready) in the assistance holds registry. The
period is the exits app's data (exits/data/policy_periods.json → exits.PolicyPeriod):
the tests read its end from there, and moving it moves the hold."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fupin.accounts.scoping import Scope
from fupin.assistance import actions, holds, queries
from fupin.assistance.models import Pairing
from fupin.core import clock
from fupin.core.errors import Invalid
from fupin.exits import actions as exit_actions
from fupin.exits import rules as exit_rules
from fupin.exits.models import PolicyPeriod
from fupin.registry import actions as registry_actions
from fupin.registry.models import Household
from tests import test_assistance_pages
from tests.conftest import COUNTY_A, SYSTEM
from tests.test_assistance import TODAY, make_household

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals

world = test_assistance_pages.world  # a county office (logged in as ``c``), a helper, their poor household
EXITED_ON = dt.date(2020, 11, 20)
LABEL = "in its policy period after exit"


def _period_end(household: Household) -> dt.date:
    """The last day of the household's policy period, from the data (the period that
    governs its area in its exit year) — not from the code under test."""
    period = exit_rules.most_specific(list(PolicyPeriod.objects.all()), household.area_code, EXITED_ON.year)
    assert period is not None and "四个不摘" in period.source + period.name
    return exit_rules.period_end(period.as_row(), EXITED_ON)


def _exited(number: str, head: str, seq: str) -> Household:
    """A household registered in 2016 that exited (policies kept) on EXITED_ON."""
    h = make_household(number, head=head, seq=seq)
    registry_actions.set_status(SYSTEM, h, "exited_policy", EXITED_ON, reason="达到脱贫标准")
    h.refresh_from_db()
    return h


@pytest.fixture
def exited(world):
    with clock.frozen(TODAY):
        return _exited("3607291002010011", "周脱贫", "111")


def test_the_last_helper_stays_inside_the_period_and_goes_after_it(world, exited):
    end = _period_end(exited)
    assert TODAY <= end  # the test's day is inside the period the data sets
    with clock.frozen(TODAY):
        p = actions.pair(SYSTEM, exited, world["helper"], dt.date(2024, 1, 1))
        with pytest.raises(Invalid) as refused:
            actions.unpair(SYSTEM, p, TODAY, "调离")
        text = str(refused.value.message)
        assert refused.value.code == "hold"
        assert f"exited on {EXITED_ON} and is in its policy period after exit to {end}" in text
        assert "四个不摘" in text and "Transition period" in text
        assert Pairing.objects.get(pk=p.pk).end is None
        # the page shows the same reason (and the household card lists it)
        r = world["c"].post(reverse("assistance:pairing_end", args=[p.pk]), {"end": TODAY.isoformat()}, follow=True)
        assert "四个不摘" in r.content.decode() and Pairing.objects.get(pk=p.pk).end is None
        card = world["c"].get(reverse("registry:household", args=[exited.pk])).content.decode()
        assert 'id="assistance-hold"' in card and "policy period after exit" in card
        # with a second helper the first may go: the hold keeps the last one only
        other = actions.save_helper(SYSTEM, None, name="刘帮扶", area=world["village"], unit=world["unit"],
                                    phone="13970010002")
        second = actions.pair(SYSTEM, exited, other, dt.date(2024, 2, 1))
        actions.unpair(SYSTEM, p, TODAY)
    # the day after the period's last day (before close_observation moves it to "exited"): allowed
    after = end + dt.timedelta(days=1)
    with clock.frozen(after):
        exited.refresh_from_db()
        assert exited.status == "exited_policy" and holds.reason(exited) is None
        actions.unpair(SYSTEM, second, after, "政策期满")
    assert Pairing.objects.get(pk=second.pk).end == after


def test_a_closed_period_holds_nothing(world, exited):
    """After ``close_observation`` (status ``exited``) the household is not held either."""
    after = _period_end(exited) + dt.timedelta(days=1)
    with clock.frozen(after):
        p = actions.pair(SYSTEM, exited, world["helper"], dt.date(2025, 1, 1))
        assert exit_actions.close_observation(SYSTEM) >= 1
        exited.refresh_from_db()
        assert exited.status == "exited" and holds.reason(exited) is None
        actions.unpair(SYSTEM, p, after)


def test_the_period_is_data(world, exited):
    """The hold follows the policy period's data: ending the period earlier lets go."""
    with clock.frozen(TODAY):
        assert holds.reason(exited) is not None
        period = exit_rules.most_specific(list(PolicyPeriod.objects.all()), exited.area_code, EXITED_ON.year)
        PolicyPeriod.objects.filter(pk=period.pk).update(until=TODAY - dt.timedelta(days=1))
        assert holds.reason(exited) is None
        assert not Household.objects.filter(holds.needs_helper_q(), pk=exited.pk).exists()


def test_coverage_lists_households_in_their_period_without_a_helper(world, exited):
    sc = Scope([COUNTY_A[:6]])
    with clock.frozen(TODAY):
        gone = make_household("3607291002010012", status="exited", head="吴期满", seq="121")  # period over
        missing = set(queries.households_without_helper(sc).values_list("pk", flat=True))
        assert exited.pk in missing and gone.pk not in missing
        page = world["c"].get(reverse("assistance:coverage") + "?list=households").content.decode()
        assert "周脱贫" in page and LABEL in page and "吴期满" not in page
        rows = {h.pk: holds.labels(h) for h in holds.annotate(Household.objects.all())}
        assert rows[exited.pk] == [LABEL] and rows[world["h"].pk] == ["poor"] and rows[gone.pk] == []
        # 六清 counts it too (the households a hold keeps, and those with a helper)
        assert queries.households_for_six_clear(sc).filter(pk=exited.pk).exists()
        actions.pair(SYSTEM, exited, world["helper"], dt.date(2024, 1, 1))
        assert exited.pk not in set(queries.households_without_helper(sc).values_list("pk", flat=True))
    with clock.frozen(_period_end(exited) + dt.timedelta(days=1)):
        Pairing.objects.filter(household=exited).update(end=TODAY)
        assert exited.pk not in set(queries.households_without_helper(sc).values_list("pk", flat=True))


def test_a_household_exited_after_the_periods_is_not_held(world):
    """The seeds set no period for an exit after the last period's years: no hold."""
    national = list(PolicyPeriod.objects.filter(area_prefix=""))
    assert national and all(p.to_year is not None for p in national)
    day = dt.date(max(p.to_year for p in national) + 1, 3, 1)
    with clock.frozen(day):
        h = make_household("3607291002010013", head="郑新退", seq="131")
        registry_actions.set_status(SYSTEM, h, "exited_policy", day)
        h.refresh_from_db()
        assert holds.reason(h) is None
