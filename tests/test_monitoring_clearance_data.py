"""monitoring/data/clearance.json is checked when it is loaded: a risk-clearance criterion's
``exit_items`` must name items of the exit criteria (exits/data/exit_criteria.json) besides
income — the items the exit check answers for monitoring (fupin.exits.queries.guarantee_checks).
An unknown name (a typo) would fail that criterion for every household, for ever; it is
refused instead, naming the file, the criterion and the item."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fupin.core.errors import Invalid
from fupin.exits import rules as exits_rules
from fupin.monitoring import rules

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals

SHIPPED = rules.DATA / "clearance.json"
EXIT_CRITERIA = Path(exits_rules.__file__).parent / "data" / "exit_criteria.json"


def _clear_caches():
    """Forget the files read so far (each is read once, then kept)."""
    for function in (rules._load, rules.clearance_data):
        if hasattr(function, "cache_clear"):
            function.cache_clear()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A copy of monitoring's data files that the test may change, read instead of the shipped ones."""
    copy = tmp_path / "monitoring" / "data"
    shutil.copytree(rules.DATA, copy)
    monkeypatch.setattr(rules, "DATA", copy)
    _clear_caches()
    yield copy
    _clear_caches()  # the next test reads the shipped files again


def _write_exit_items(data_dir, code: str, exit_items) -> None:
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    for criterion in data["criteria"]:
        if criterion["code"] == code:
            criterion["exit_items"] = exit_items
    (data_dir / "clearance.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_the_shipped_exit_items_are_items_of_the_exit_criteria():
    data = rules.clearance_data()
    named = [i for c in data["criteria"] for i in c.get("exit_items", [])]
    assert named  # the guarantees and safe water are judged by the exit check
    exit_data = json.loads(EXIT_CRITERIA.read_text(encoding="utf-8"))
    for criteria in exit_data["criteria"]:  # every shipped set of exit criteria defines each of them
        assert set(named) <= {i["code"] for i in criteria["items"]}, criteria["area_prefix"]


def test_a_copy_of_the_shipped_data_loads(data_dir):
    """The fixture's copy is read (the refusals below are not about another difference)."""
    _write_exit_items(data_dir, "water", ["water", "housing"])
    water = next(c for c in rules.clearance_data()["criteria"] if c["code"] == "water")
    assert water["exit_items"] == ["water", "housing"]


@pytest.mark.parametrize(("code", "exit_items", "named"), [
    ("guarantees", ["housing", "schol", "medical_insurance"], "exit_items names schol, not an item"),
    ("water", ["drinking_water"], "exit_items names drinking_water, not an item"),
    ("water", ["income"], "exit_items names income, not an item"),  # not answered by the exit check
    ("water", ["water", 5], "exit_items names 5, not an item"),
    ("guarantees", [], "exit_items is a list"),
    ("water", "water", "exit_items is a list"),
])
def test_an_unknown_exit_item_is_refused_when_the_data_is_loaded(data_dir, code, exit_items, named):
    _write_exit_items(data_dir, code, exit_items)
    with pytest.raises(Invalid) as refused:
        rules.clearance_data()
    message = str(refused.value.message)
    assert message.startswith(f"monitoring/data/clearance.json, risk-clearance criterion “{code}”: "), message
    assert named in message
    assert "(housing, school, medical_insurance, water)" in message  # what it may name
    assert refused.value.field == "exit_items"
    # what reads the data is refused too, not judged by a criterion that can never be met
    with pytest.raises(Invalid, match=r"clearance\.json"):
        rules.evaluate_clearance(incomes={}, lines={}, last_year=2023, exit_items=[], open_risks=[],
                                 without_labour=False, social_protection=False)
