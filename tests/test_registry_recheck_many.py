"""一年一核, many checks at once (registry.actions.record_rechecks): the checker's permission where
each household lives, a closed round refused, records of another round and impossible times
refused with nothing written, one bulk audit event with the households as its items, and a
number of statements that does not grow with the number of checks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fupin.areas import actions as areas
from fupin.areas.models import Area
from fupin.audit.models import AuditEvent, AuditItem
from fupin.core.actor import Actor
from fupin.core.errors import Forbidden, Invalid
from fupin.registry import actions
from fupin.registry.models import Household, RecheckRecord, RecheckRound
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A

VILLAGE_2 = "360729101201"
YEAR = 2025


def _households(prefix: str, area_code: str, n: int) -> list[Household]:
    return [actions.create_household(SYSTEM, number=f"{prefix}{i:03d}", area_code=area_code, main_cause="01",
                                     identified_year=2016, status="registered", status_date=dt.date(2016, 6, 1))
            for i in range(1, n + 1)]


@pytest.fixture
def county_round(two_counties):
    areas._insert_levels([{"code": VILLAGE_2, "name": "溪口村"}], source="test", valid_from=None)
    _households("A", VILLAGE_A + "001", 3)
    _households("B", VILLAGE_2, 2)
    return actions.open_recheck(SYSTEM, Area.objects.get(code=COUNTY_A), YEAR)


def _records(rnd: RecheckRound, prefix: str = "") -> list[RecheckRecord]:
    return list(rnd.records.filter(household__number__startswith=prefix).order_by("household__number"))


def test_many_checks_are_recorded_with_one_bulk_event_listing_the_households(county_round, make_user):
    rnd = county_round
    a1, a2, a3 = _records(rnd, "A")
    cadre = make_user("village_cadre", VILLAGE_A)
    at = rnd.started_at
    n = actions.record_rechecks(Actor(user=cadre), rnd, [(a1.pk, at, "无变化"), (a2.pk, None, "收入: 务工收入增加"),
                                                         (a3.pk, at, "first"), (a3.pk, at, "")])
    assert n == 3
    records = {r.household.number: r for r in rnd.records.select_related("household")}
    assert records["A001"].checked and records["A001"].checked_at == at and records["A001"].changes == "无变化"
    assert records["A002"].checked_at > at and records["A002"].changes == "收入: 务工收入增加"
    assert records["A003"].checked and records["A003"].changes == ""  # a record given twice: its last check
    assert {r.checked_by_id for r in records.values() if r.checked} == {cadre.pk}
    assert not records["B001"].checked and not records["B002"].checked
    event = AuditEvent.objects.get(action="registry.recheck.record")
    assert (event.kind, event.count, event.user_id, event.area_code) == ("bulk", 3, cadre.pk, COUNTY_A)
    assert event.after == {"round": rnd.pk}
    items = set(AuditItem.objects.filter(event=event).values_list("object_id", "change"))
    assert items == {(str(r.household_id), "checked") for r in (a1, a2, a3)}
    # The system (command line, jobs) checks anywhere, without a checker.
    b1, _b2 = _records(rnd, "B")
    assert actions.record_rechecks(SYSTEM, rnd, [(b1.pk, None, "")]) == 1
    b1.refresh_from_db()
    assert b1.checked and b1.checked_by is None
    assert actions.record_rechecks(SYSTEM, rnd, []) == 0


def test_only_households_where_the_checker_may_edit_the_registry(county_round, make_user):
    rnd = county_round
    a1 = _records(rnd, "A")[0]
    b1 = _records(rnd, "B")[0]
    cadre = Actor(user=make_user("village_cadre", VILLAGE_A))
    with pytest.raises(Forbidden):  # one household of another village: nothing is written
        actions.record_rechecks(cadre, rnd, [(a1.pk, None, ""), (b1.pk, None, "")])
    for user in (make_user("village_cadre", "360783100201"), make_user("inspector", COUNTY_A)):
        with pytest.raises(Forbidden):  # another county; a role that only reads the registry
            actions.record_rechecks(Actor(user=user), rnd, [(a1.pk, None, "")])
    assert not rnd.records.filter(checked=True).exists()
    assert not AuditEvent.objects.filter(action="registry.recheck.record").exists()
    office = Actor(user=make_user("county_office", COUNTY_A))  # edits the registry over the round's area
    assert actions.record_rechecks(office, rnd, [(a1.pk, None, ""), (b1.pk, None, "")]) == 2


def test_a_closed_round_other_rounds_records_and_impossible_times_are_refused(county_round):
    rnd = county_round
    a1, a2, _a3 = _records(rnd, "A")
    other = actions.open_recheck(SYSTEM, Area.objects.get(code="360783000000"), YEAR)  # county B, no households
    _households("C", "360783100201", 1)
    other = RecheckRound.objects.get(pk=other.pk)
    actions.add_to_open_rounds(Household.objects.filter(number="C001"))
    c1 = other.records.get()
    with pytest.raises(Invalid) as exc:
        actions.record_rechecks(SYSTEM, rnd, [(a1.pk, None, ""), (c1.pk, None, "")])
    assert exc.value.field == "records" and str(c1.pk) in str(exc.value.message)
    for at in (rnd.started_at - dt.timedelta(days=1), rnd.started_at + dt.timedelta(days=2)):
        with pytest.raises(Invalid) as exc:
            actions.record_rechecks(SYSTEM, rnd, [(a1.pk, None, ""), (a2.pk, at, "")])
        assert exc.value.field == "checked_at" and "A002" in str(exc.value.message)
    assert not rnd.records.filter(checked=True).exists()
    actions.close_recheck(SYSTEM, rnd, force=True)
    with pytest.raises(Invalid):
        actions.record_rechecks(SYSTEM, rnd, [(a1.pk, None, "late")])
    a1.refresh_from_db()
    assert not a1.checked
    assert not AuditEvent.objects.filter(action="registry.recheck.record").exists()


def test_the_statements_do_not_grow_with_the_number_of_checks(two_counties):
    _households("A", VILLAGE_A + "001", 55)
    rnd = actions.open_recheck(SYSTEM, Area.objects.get(code=VILLAGE_A), YEAR)
    records = _records(rnd)
    counts = []
    for part in (records[:5], records[5:]):
        with CaptureQueriesContext(connection) as queries:
            assert actions.record_rechecks(SYSTEM, rnd, [(r.pk, None, f"第{i}户") for i, r in enumerate(part)]) == len(part)
        counts.append(len(queries))
    assert len(records[5:]) == 50 and counts[0] == counts[1], counts
    assert rnd.records.filter(checked=True).count() == 55
    assert AuditItem.objects.filter(event__action="registry.recheck.record").count() == 55
