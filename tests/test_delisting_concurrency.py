"""One village assessment in progress (or done) per village and year, one county round
(not returned) per county and year: a second attempt gets the message, in sequence and
at the same moment (two officers, a double click); the database refuses a second row
written past the actions; the procedure's steps taken twice at once happen once."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction

from fupin.areas.models import Area
from fupin.core.errors import Conflict, Invalid
from fupin.delisting import actions
from fupin.delisting.models import CountyRound, CountyStep, VillageAssessment, VillageStep
from tests import test_delisting_pages as pages
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A
from tests.test_delisting import TODAY, YEAR, household, profile, survey_all

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                     reason="two transactions at once need PostgreSQL (SQLite has one writer)")
concurrent = pytest.mark.django_db(transaction=True, serialized_rollback=True)


pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals


frozen, village = pages.frozen, pages.village  # (the pages' fixtures: the day, a village at 2 %)


@pytest.fixture
def county(two_counties, frozen):
    profile(VILLAGE_A, 1000)
    for i, status in enumerate(["registered"] * 4 + ["exited_policy"] * 4 + ["removed"] * 2):
        household(f"{VILLAGE_A}8{i:03d}", VILLAGE_A, status=status, people=2)
    return Area.objects.get(code=COUNTY_A)


def start_one():
    return actions.start_round(SYSTEM, Area.objects.get(code=COUNTY_A), YEAR, seed=42, sample_villages=1,
                               sample_registered=4, sample_non_registered=2)


# --- in sequence: the message ---------------------------------------------------------------

def test_a_second_assessment_of_the_year_gets_the_message(village):
    first = actions.assess_village(SYSTEM, village, YEAR)
    assert first.state == VillageAssessment.ASSESSED
    with pytest.raises(Conflict) as exc:
        actions.assess_village(SYSTEM, village, YEAR)
    assert str(exc.value.message) == "This village already has an assessment for 2018 in progress or done."
    # Stopped by an upheld objection: it may be assessed again.
    VillageAssessment.objects.filter(pk=first.pk).update(state=VillageAssessment.STOPPED)
    again = actions.assess_village(SYSTEM, village, YEAR)
    assert VillageAssessment.objects.filter(village=village, year=YEAR).count() == 2 and again.pk != first.pk


def test_a_second_round_of_the_year_gets_the_message(county):
    first = start_one()
    with pytest.raises(Conflict) as exc:
        start_one()
    assert str(exc.value.message) == "This county already has an assessment round for 2018."
    CountyRound.objects.filter(pk=first.pk).update(state=CountyRound.RETURNED)
    start_one()
    assert CountyRound.objects.filter(county=county, year=YEAR).count() == 2


def test_a_race_past_the_check_is_the_same_message_not_a_500(village, monkeypatch):
    """Should a second row get past the check (a writer that did not take the lock), the
    database's constraint refuses it and the caller gets the same message."""
    actions.assess_village(SYSTEM, village, YEAR)
    monkeypatch.setattr(actions, "_village_taken", lambda *a: False)
    with pytest.raises(Conflict) as exc:
        actions.assess_village(SYSTEM, village, YEAR)
    assert str(exc.value.message) == "This village already has an assessment for 2018 in progress or done."
    assert VillageAssessment.objects.count() == 1


def test_a_round_past_the_check_is_the_same_message_not_a_500(county, monkeypatch):
    start_one()
    monkeypatch.setattr(actions, "_county_taken", lambda *a: False)
    with pytest.raises(Conflict) as exc:
        start_one()
    assert str(exc.value.message) == "This county already has an assessment round for 2018."
    assert CountyRound.objects.count() == 1


# --- the constraints themselves -----------------------------------------------------------------

def _copy(obj, **changes):
    fields = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.primary_key}
    return type(obj)(**{**fields, **changes})


@pytest.mark.parametrize("state", [s for s, _label in VillageAssessment.STATES])
def test_the_database_refuses_a_second_open_assessment(village, state):
    first = actions.assess_village(SYSTEM, village, YEAR)
    second = _copy(first, state=state)
    if state in VillageAssessment.HOLDING_STATES:
        with pytest.raises(IntegrityError), transaction.atomic():
            second.save()
        assert VillageAssessment.objects.count() == 1
    else:  # not met, rejected, stopped: kept beside the open one
        second.save()
        assert VillageAssessment.objects.count() == 2
    _copy(first, year=YEAR - 1).save()  # another year is another assessment


@pytest.mark.parametrize("state", [s for s, _label in CountyRound.STATES])
def test_the_database_refuses_a_second_open_round(county, state):
    first = start_one()
    second = _copy(first, state=state)
    if state != CountyRound.RETURNED:
        with pytest.raises(IntegrityError), transaction.atomic():
            second.save()
        assert CountyRound.objects.count() == 1
    else:
        second.save()
        assert CountyRound.objects.count() == 2


# --- at the same moment (PostgreSQL) ----------------------------------------------------------------

def at_once(call, n: int = 2) -> list[str]:
    """Run ``call`` in ``n`` threads, each on its own connection, released together."""
    barrier, results = threading.Barrier(n), []

    def officer():
        from django.db import connection as conn

        try:
            barrier.wait()
            call()
            results.append("ok")
        except Conflict:
            results.append("conflict")
        except Invalid as exc:
            results.append(exc.code)
        finally:
            conn.close()

    threads = [threading.Thread(target=officer) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results)


def slow_check(monkeypatch, name: str) -> list[bool]:
    """Record what the "already open?" check saw, and hold a caller that saw nothing for a
    moment before it writes (the window in which the other one would check too)."""
    seen, check = [], getattr(actions, name)

    def spy(*args):
        taken = check(*args)
        seen.append(taken)
        if not taken:
            time.sleep(0.3)
        return taken

    monkeypatch.setattr(actions, name, spy)
    return seen


@postgresql_only
@concurrent
def test_two_officers_assessing_the_same_village_at_once(village, monkeypatch):
    seen = slow_check(monkeypatch, "_village_taken")
    assert at_once(lambda: actions.assess_village(SYSTEM, village, YEAR)) == ["conflict", "ok"]
    # The second waited on the village's lock and then saw the first one's assessment
    # (not only refused by the constraint at its insert).
    assert sorted(seen) == [False, True]
    assert VillageAssessment.objects.filter(village=village, year=YEAR).count() == 1


@postgresql_only
@concurrent
def test_two_officers_starting_the_same_round_at_once(county, monkeypatch):
    seen = slow_check(monkeypatch, "_county_taken")
    assert at_once(start_one) == ["conflict", "ok"]
    assert sorted(seen) == [False, True]
    rnd = CountyRound.objects.get(county=county, year=YEAR)
    assert rnd.villages.count() == 1 and rnd.households.count() > 0


@postgresql_only
@concurrent
def test_a_notice_published_twice_at_once_is_published_once(village):
    a = actions.assess_village(SYSTEM, village, YEAR)
    assert at_once(lambda: actions.publish_notice(SYSTEM, a, TODAY)) == ["ok", "out_of_order"]
    assert VillageStep.objects.filter(assessment=a, code=VillageStep.NOTICE).count() == 1


@postgresql_only
@concurrent
def test_a_round_submitted_twice_at_once_is_submitted_once(county):
    rnd = start_one()
    survey_all(rnd)
    assert at_once(lambda: actions.county_step(SYSTEM, rnd, CountyStep.SUBMISSION, date=TODAY)) == [
        "ok", "out_of_order"]
    assert CountyStep.objects.filter(round=rnd, code=CountyStep.SUBMISSION).count() == 1


# --- the migration on existing data ----------------------------------------------------------------

@concurrent
def test_the_migration_stops_on_duplicates_already_there_and_changes_nothing():
    """delisting 0003 on a database where a race already opened two: it names them, says
    what to do and stops (nothing deleted); once one is closed it goes through."""
    from django.db import connection as conn
    from django.db.migrations.executor import MigrationExecutor

    before = [("delisting", "0002_load_criteria")]
    executor = MigrationExecutor(conn)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        OldArea = old_apps.get_model("areas", "Area")
        OldAssessment = old_apps.get_model("delisting", "VillageAssessment")
        OldRound = old_apps.get_model("delisting", "CountyRound")
        village = OldArea.objects.create(code=VILLAGE_A, name="石桥村", level="village")
        county = OldArea.objects.create(code=COUNTY_A, name="全南县", level="county")
        vc = old_apps.get_model("delisting", "VillageCriteria").objects.first()
        cc = old_apps.get_model("delisting", "CountyCriteria").objects.first()
        for state in ("notice", "assessed", "stopped"):
            OldAssessment.objects.create(village=village, area_code=VILLAGE_A, year=YEAR, assessed_on=TODAY,
                                         criteria=vc, state=state)
        for state in ("survey", "survey", "returned"):
            OldRound.objects.create(county=county, area_code=COUNTY_A, year=YEAR, assessed_on=TODAY, seed=1,
                                    criteria=cc, sample_villages=1, sample_registered=1, sample_non_registered=1,
                                    state=state)
        executor = MigrationExecutor(conn)
        with pytest.raises(RuntimeError) as exc:
            executor.migrate(leaves)
        message = str(exc.value)
        ids = list(OldAssessment.objects.order_by("id").values_list("id", flat=True))
        rounds = list(OldRound.objects.order_by("id").values_list("id", flat=True))
        assert f"village assessments {ids[:2]} (village {VILLAGE_A}, year {YEAR})" in message
        assert f"county rounds {rounds[:2]} (county {COUNTY_A}, year {YEAR})" in message
        assert "Nothing was changed" in message and "run migrate again" in message
        assert OldAssessment.objects.count() == 3 and OldRound.objects.count() == 3
        OldAssessment.objects.filter(pk=ids[1]).update(state="stopped")
        OldRound.objects.filter(pk=rounds[1]).update(state="returned")
        executor = MigrationExecutor(conn)
        executor.migrate(leaves)
        assert VillageAssessment.objects.count() == 3 and CountyRound.objects.count() == 3
        with pytest.raises(IntegrityError), transaction.atomic():
            VillageAssessment.objects.filter(pk=ids[1]).update(state="assessed")
    finally:
        VillageAssessment.objects.all().delete()
        CountyRound.objects.all().delete()
        executor = MigrationExecutor(conn)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
