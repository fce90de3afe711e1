"""Whether a village's status lets it exit is decided once (delisting.rules.status_may_exit):
the village check's status item and village_applies agree for every status."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from fupin.delisting import rules
from fupin.registry import codes

pytestmark = pytest.mark.usefixtures("english")


def _criteria(eligible):
    return SimpleNamespace(incidence_max=Decimal("2.00"), incidence_max_west=None, incidence_source="s",
                           collective_income_min=None, collective_income_source="", checklist_items=[],
                           checklist_source="", eligible_statuses=eligible)


def _status_item(criteria, status):
    items = rules.village_check(criteria=criteria, code="360729100201", regions={}, poor_people=1,
                                rural_population=1000, collective_income=None, status=status, checklist={},
                                checklist_names={})
    return next((i for i in items if i["code"] == "status"), None)


STATUSES = [*codes.codes("village_status"), None, ""]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("eligible", [["poor", "key"], ["poor"], ["delisted", "none"]])
def test_the_status_item_and_village_applies_agree(status, eligible):
    criteria = _criteria(eligible)
    applies, item = rules.village_applies(criteria, status), _status_item(criteria, status)
    decided = rules.status_may_exit(criteria, status)
    assert item["ok"] is (decided is True)
    assert applies is (decided is not False)
    if not status:  # unknown: the check is for the village, and says what is missing
        assert decided is None and applies and not item["ok"] and item["value"] == "no village profile"
    else:
        assert decided is (status in eligible)
        assert item["value"] == codes.label("village_status", status)
        assert applies is item["ok"]  # known: applies exactly when the item is met


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("criteria", [_criteria([]), None])
def test_without_eligible_statuses_every_village_may_exit(status, criteria):
    assert rules.status_may_exit(criteria, status) is True and rules.village_applies(criteria, status)
    if criteria is not None:
        assert _status_item(criteria, status) is None  # (no status item then)
