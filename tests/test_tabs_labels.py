"""What the audit log keeps as an object's name: a measure by its type in words (not the
type's code), its date and whose it is; a household's income by the household's number and
the year (not Django's "Income object (16)")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import translation

from fupin.areas.models import Area
from fupin.assistance import actions, catalog
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.registry import actions as registry_actions
from fupin.registry.models import Income
from tests.conftest import SYSTEM, VILLAGE_A
from tests.test_assistance import TODAY, make_household


@pytest.fixture
def household(two_counties):
    with clock.frozen(TODAY):
        yield make_household("3607291002010001")


def _logged(action: str) -> str:
    return AuditEvent.objects.filter(action=action).latest("pk").object_repr


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_measure_is_logged_by_its_type_in_words_its_date_and_household(household, language):
    with clock.frozen(TODAY), translation.override(language):
        m = actions.record_measure(SYSTEM, household=household, type="employment", date=TODAY,
                                   amount_to_household=Decimal("1000"), details={"job": "保洁"})
        label = catalog.measure_label("employment")
    assert label != "employment"
    with translation.override(settings.LANGUAGE_CODE):  # the log names objects in the site's language
        logged = catalog.measure_label("employment")
    assert _logged("assistance.measure.create") == f"{logged} 2024-06-15 · 3607291002010001"
    with translation.override(language):
        assert str(m) == f"{label} 2024-06-15 · 3607291002010001"
        assert "employment" not in str(m)


def test_a_village_measure_is_logged_with_the_village(household):
    village = Area.objects.get(code=VILLAGE_A)
    with clock.frozen(TODAY), translation.override("zh-hans"):
        m = actions.record_measure(SYSTEM, village=village, type="industry", date=TODAY,
                                   amount_spent=Decimal("50000"), details={"project": "油茶基地", "branch": "forestry"})
        assert str(m) == f"{catalog.measure_label('industry')} 2024-06-15 · {village.name}"
    assert _logged("assistance.measure.create") == str(m)


def test_an_income_is_logged_by_household_number_and_year(household):
    with clock.frozen(TODAY):
        income = registry_actions.save_income(SYSTEM, household, 2023, wages="12000")
        assert str(income) == "3607291002010001 2023"
        assert _logged("registry.income.save") == "3607291002010001 2023"
        registry_actions.save_income(SYSTEM, household, 2023, wages="13000")  # a correction: read back, same name
    assert _logged("registry.income.save") == "3607291002010001 2023"
    assert str(Income.objects.get()) == "3607291002010001 2023"
