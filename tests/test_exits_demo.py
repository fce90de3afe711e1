"""The demo county's exits: a completed batch with an upheld and a rejected objection,
households in observation, one returned household and an open batch at its first
notice (built on the registry's demo data)."""

from __future__ import annotations

import datetime as dt

from fupin.core import clock
from fupin.exits import demo as exits_demo
from fupin.exits import queries
from fupin.exits.models import ExitCriteria, ReturnCase
from fupin.identification.models import Line
from fupin.procedures.models import Objection, ProcedureBatch
from fupin.registry import demo as registry_demo
from fupin.registry.models import Household, Income
from tests.conftest import SYSTEM
from tests.test_registry_demo import _areas

TODAY = dt.date(2026, 6, 1)


def test_the_demo_exits(db, monkeypatch):
    _areas(monkeypatch)
    with clock.frozen(TODAY):
        built = registry_demo.build(SYSTEM, 2017)
        s = exits_demo.build(SYSTEM)
    past = ProcedureBatch.objects.get(pk=s["past_batch"])
    assert past.status == "completed" and past.completed_on.year == 2025 and past.type.code == "exit_2016"
    assert sorted(Objection.objects.filter(batch=past).values_list("status", flat=True)) == ["rejected", "upheld"]
    exited = Household.objects.filter(procedure_memberships__batch=past, procedure_memberships__state="completed")
    assert exited.count() == 4 and set(exited.values_list("status", flat=True)) == {"exited_policy"}
    assert s["observed"] == 4
    # Plausible incomes: each household's own, varied, above the year's line, with the
    # mix of its own ledger (not one figure for the whole batch).
    line = Line.objects.get(kind="national", area_prefix="", year=2025).annual_value
    line_2024 = Line.objects.get(kind="national", area_prefix="", year=2024).annual_value
    upheld = Objection.objects.get(batch=past, status="upheld").member.household
    incomes = list(Income.objects.filter(household__in=exited, year=2025))
    assert len(incomes) == 4
    per_capita = [i.per_capita for i in incomes]
    assert len(set(per_capita)) == 4 and all(line < v < line * 2 for v in per_capita), (line, per_capita)
    assert any(i.crops or i.livestock or i.subsidies or i.pensions for i in incomes)
    earlier = {i.household_id: i.per_capita for i in Income.objects.filter(household__in=exited, year=2024)}
    # two consecutive years above the line (the example county variant), growing
    assert all(line_2024 < earlier[i.household_id] < i.per_capita for i in incomes)
    # The household whose objection was upheld stays poor, below the line both years (its ledgers
    # corrected back); the returned household's last year as its return procedure verified it.
    assert upheld.status == "registered"
    assert {i.year: i.per_capita < (line if i.year == 2025 else line_2024)
            for i in upheld.incomes.filter(year__in=[2024, 2025])} == {2024: True, 2025: True}
    assert ExitCriteria.objects.get(area_prefix="360729").is_example
    case = ReturnCase.objects.get()
    assert case.status == "completed" and Household.objects.get(pk=case.household_id).status == "returned"
    assert Income.objects.get(household_id=case.household_id, year=2025).per_capita < line
    # No household that stays poor is above last year's line, but the registry's deliberate problem
    # and the open batch's households (on their way out: the exit criteria want them above it).
    flagged = set(Income.objects.filter(year=2025, per_capita__gt=line, household__status__in=["registered",
                                                                                                "returned"])
                  .values_list("household__number", flat=True))
    deliberate = {n for n, code in built["problems"] if code == "per_capita_above_line"}
    leaving = set(Household.objects.filter(procedure_memberships__batch=s["open_batch"]).values_list("number",
                                                                                                       flat=True))
    assert len(leaving) == 5 and flagged == deliberate | leaving, flagged - deliberate - leaving
    current = ProcedureBatch.objects.get(pk=s["open_batch"])
    assert current.status == "open" and current.current_step["code"] == "village_notice"
    assert current.records.get(code="village_notice").started is not None
    # The 2016–2020 exits: the national transition period ended on 31 Dec 2025.
    from fupin.accounts.scoping import Scope

    assert queries.period_ended(Scope(["360729"]), TODAY).count() > 100
