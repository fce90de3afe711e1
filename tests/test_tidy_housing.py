"""The housing criterion's renovated_passes is read in one place (identification.rules.
renovated_passes) by identification's engine and the exit check: without the key a renovation
does not count — the grade alone decides — in both."""

from __future__ import annotations

import pytest

from fupin.exits import actions as exits_actions
from fupin.exits.models import ExitCriteria
from fupin.identification import engine, rules
from tests.conftest import COUNTY_A, SYSTEM
from tests.test_exits import YEAR as EXIT_YEAR
from tests.test_exits import checked, household, lines  # noqa: F401
from tests.test_identification import NATIONAL_2016, local_rules, make_household, outcome
from tests.test_identification import YEAR as RUN_YEAR


@pytest.mark.parametrize(("params", "passes"), [
    ({"grades": ["C", "D"]}, False), ({}, False), (None, False),
    ({"grades": ["C", "D"], "renovated_passes": True}, True), ({"grades": ["C", "D"], "renovated_passes": False}, False),
])
def test_the_one_reading_of_renovated_passes(params, passes):
    assert rules.renovated_passes(params) is passes


@pytest.mark.django_db
def test_identification_without_the_key_counts_no_renovation(two_counties):
    rich = NATIONAL_2016 * 3
    renovated = make_household("K1", rich, danger_grade="C", renovated_year=RUN_YEAR - 1)
    plain = make_household("K2", rich, danger_grade="A")
    assert outcome(engine.run_rules(COUNTY_A[:6], RUN_YEAR), renovated).guarantees == ""  # (shipped: key true)
    rs = local_rules(on=["housing_unsafe"], housing_unsafe={"grades": ["C", "D"]})
    assert "renovated_passes" not in rs.criteria.get(code="housing_unsafe").params  # stored as written
    run = engine.run_rules(COUNTY_A[:6], RUN_YEAR)
    assert outcome(run, renovated).guarantees == "housing_unsafe," and outcome(run, plain).guarantees == ""


def _county_criteria(housing_params: dict) -> ExitCriteria:
    national = ExitCriteria.objects.get(area_prefix="", from_year=2014)
    items = [{**i, "params": housing_params} if i["code"] == "housing" else dict(i) for i in national.items]
    return exits_actions.save_criteria(SYSTEM, None, name="全南县退出标准", area_prefix=COUNTY_A[:6],
                                       from_year=2017, items=items, source="全南县 test")


@pytest.mark.usefixtures("lines")
def test_the_exit_check_without_the_key_counts_no_renovation():
    h = household(n=1, per_capita=5000, danger_grade="C", renovated_year=EXIT_YEAR - 1)
    assert next(e for e in checked(h).checks if e["code"] == "housing")["ok"]  # (shipped: key true)
    criteria = _county_criteria({"grades": ["C", "D"]})
    housing = next(i for i in criteria.items if i["code"] == "housing")
    assert "renovated_passes" not in housing["params"]
    r = checked(h)
    assert r.x_criteria == criteria.pk
    assert not next(e for e in r.checks if e["code"] == "housing")["ok"] and not r.ok_housing


@pytest.mark.usefixtures("lines")
def test_both_read_a_criterion_alike(monkeypatch):
    """Exits and identification ask the one helper (changing it changes both)."""
    h = household(n=2, per_capita=5000, danger_grade="C", renovated_year=EXIT_YEAR - 1)
    _county_criteria({"grades": ["C", "D"]})
    monkeypatch.setattr(rules, "renovated_passes", lambda params: True)
    assert next(e for e in checked(h).checks if e["code"] == "housing")["ok"]
    local_rules(on=["housing_unsafe"], housing_unsafe={"grades": ["C", "D"]})
    run = engine.run_rules(COUNTY_A[:6], EXIT_YEAR)
    assert "housing_unsafe" not in outcome(run, h).guarantees
