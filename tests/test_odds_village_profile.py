"""A village profile is a village's: registry.actions.save_village_profile refuses any other
area (a village group, a township), naming the field, whoever calls it."""

from __future__ import annotations

import pytest

from fupin.areas.models import Area
from fupin.core.errors import Invalid
from fupin.registry import actions
from fupin.registry.models import VillageProfile
from tests.conftest import SYSTEM, TOWNSHIP_A, VILLAGE_A

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize("code", [VILLAGE_A + "001", TOWNSHIP_A])
def test_a_profile_of_another_area_than_a_village_is_refused(two_counties, code):
    area = Area.objects.get(code=code, valid_to__isnull=True)
    with pytest.raises(Invalid) as exc:
        actions.save_village_profile(SYSTEM, area, 2016, status="poor", rural_population=300)
    assert exc.value.field == "area"
    assert str(exc.value.message) == f"A village profile is for a village, not for {area.name}."
    assert not VillageProfile.objects.exists()


def test_a_village_profile_is_kept(two_counties):
    """The accepted case beside the refusals: the level check does not refuse a village
    (it passes at the code before the check too, by design)."""
    village = Area.objects.get(code=VILLAGE_A, valid_to__isnull=True)
    profile = actions.save_village_profile(SYSTEM, village, 2016, status="poor", rural_population=300)
    assert profile.area_code == VILLAGE_A and profile.rural_population == 300
