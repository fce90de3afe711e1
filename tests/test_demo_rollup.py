"""A fresh demo reads a current statistics rollup: the registry's last demo step refreshes it
after every other app's demo step has changed statuses (the walk found a fresh demo's province
page counting live, 3.6 s)."""

from __future__ import annotations

import datetime as dt

from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core import demo as core_demo
from fupin.core.demo import COUNTY_CODE
from fupin.registry import demo as registry_demo
from fupin.registry import stats
from tests.conftest import SYSTEM
from tests.test_registry_demo import _areas

TODAY = dt.date(2026, 6, 1)


def test_last_steps_run_after_every_other_step(monkeypatch):
    ran = []
    monkeypatch.setattr(core_demo, "STEPS", [])
    monkeypatch.setattr(core_demo, "LAST_STEPS", [])
    core_demo.step(last=True)(lambda *a: ran.append("last"))
    core_demo.step(lambda *a: ran.append("first"))
    core_demo.step()(lambda *a: ran.append("second"))
    core_demo.run_steps(None, None, {})
    assert ran == ["first", "second", "last"]


def test_the_registry_refreshes_the_rollup_last(db, monkeypatch):
    assert registry_demo.refresh_rollup in core_demo.LAST_STEPS
    assert registry_demo.registry_demo in core_demo.STEPS
    _areas(monkeypatch)
    prefix = stats.prefix_of(COUNTY_CODE)
    with clock.frozen(TODAY):
        registry_demo.build(SYSTEM, 2017)
    # a later demo step writes to the registry (an audited change in the county)
    audit.record(SYSTEM, "registry.household.update", kind="change", object_type="registry.household",
                 area_code=COUNTY_CODE)
    assert stats.rollup_state(prefix)["current"] is False  # the registry's own refresh is stale now
    context = {}
    registry_demo.refresh_rollup(SYSTEM, None, context)
    assert stats.rollup_state(prefix)["current"] is True
    assert any(line.startswith("Statistics: ") for line in context["summary"])
