"""一年一核: a household is re-checked once a year. A round whose area contains, or lies inside,
the area of another round of the same year (open or closed) is refused with a message naming
that round's area; the database keeps one snapshot per household and year, and closing a round
of overlapping rounds made before the refusal keeps the snapshot frozen first; the migration
that adds the constraint stops on duplicates already there and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from fupin.areas.models import Area
from fupin.core.errors import Invalid
from fupin.registry import actions
from fupin.registry.models import Household, HouseholdSnapshot, RecheckRecord, RecheckRound
from tests.conftest import COUNTY_A, SYSTEM, TOWNSHIP_A, VILLAGE_A, VILLAGE_B

pytestmark = pytest.mark.usefixtures("english")

YEAR = 2025


def _area(code):
    return Area.objects.get(code=code, valid_to__isnull=True)


@pytest.fixture
def households(two_counties):
    return [actions.create_household(SYSTEM, number=f"A{i}", area_code=VILLAGE_A + "001", main_cause="01",
                                     identified_year=2016, status_date=dt.date(2016, 6, 1)) for i in (1, 2)]


@pytest.mark.parametrize(("first", "second", "named", "words"), [
    (TOWNSHIP_A, VILLAGE_A, TOWNSHIP_A, "covers this area already"),  # inside an earlier round
    (TOWNSHIP_A, COUNTY_A, TOWNSHIP_A, "lies inside this area"),  # around an earlier round
    (VILLAGE_A, COUNTY_A, VILLAGE_A, "lies inside this area"),
])
def test_a_round_overlapping_another_of_the_year_is_refused_naming_its_area(households, first, second, named,
                                                                             words):
    actions.open_recheck(SYSTEM, _area(first), YEAR)
    with pytest.raises(Invalid) as exc:
        actions.open_recheck(SYSTEM, _area(second), YEAR)
    message = str(exc.value.message)
    assert words in message and _area(named).name in message and named in message and str(YEAR) in message
    assert RecheckRound.objects.count() == 1
    assert RecheckRecord.objects.filter(household=households[0]).count() == 1


def test_a_closed_round_counts_too(households):
    rnd = actions.open_recheck(SYSTEM, _area(VILLAGE_A), YEAR)
    actions.close_recheck(SYSTEM, rnd, force=True)
    with pytest.raises(Invalid, match="lies inside this area"):
        actions.open_recheck(SYSTEM, _area(COUNTY_A), YEAR)
    assert HouseholdSnapshot.objects.filter(household=households[0], year=YEAR).count() == 1


def test_other_years_and_areas_apart_are_allowed(households):
    actions.open_recheck(SYSTEM, _area(TOWNSHIP_A), YEAR)
    actions.open_recheck(SYSTEM, _area(COUNTY_A), YEAR - 1)  # another year
    actions.open_recheck(SYSTEM, _area(VILLAGE_B), YEAR)  # beside it, in county B
    actions.open_recheck(SYSTEM, _area("360729101000"), YEAR)  # a township beside it in county A
    assert RecheckRound.objects.count() == 4


def test_the_page_shows_the_message(households, make_user, login):
    actions.open_recheck(SYSTEM, _area(VILLAGE_A), YEAR)
    office = login(make_user("county_office", COUNTY_A))
    page = office.post(reverse("registry:recheck_open"), {"area": COUNTY_A, "year": YEAR}, follow=True)
    assert "石桥村" in page.content.decode() and "lies inside this area" in page.content.decode()
    assert RecheckRound.objects.count() == 1


def _overlapping_rounds_made_before(households):
    """A village round and a county round of one year, as opening them could make before the
    refusal (written directly: the action refuses the second now)."""
    village = actions.open_recheck(SYSTEM, _area(VILLAGE_A), YEAR)
    county = RecheckRound.objects.create(area=_area(COUNTY_A), area_code=COUNTY_A, year=YEAR,
                                         household_count=len(households))
    RecheckRecord.objects.bulk_create(RecheckRecord(round=county, household=h, area_code=h.area_code)
                                      for h in households)
    return village, county


def test_closing_overlapping_rounds_made_before_keeps_one_snapshot_a_year(households):
    village, county = _overlapping_rounds_made_before(households)
    actions.close_recheck(SYSTEM, village, force=True)
    Household.objects.filter(pk=households[0].pk).update(size=7)
    actions.close_recheck(SYSTEM, county, force=True)
    snaps = HouseholdSnapshot.objects.filter(household=households[0], year=YEAR)
    assert snaps.count() == 1 and snaps.get().round == village and snaps.get().size == 0


def test_the_database_keeps_one_snapshot_a_household_and_year(households):
    rnd = actions.open_recheck(SYSTEM, _area(VILLAGE_A), YEAR)
    actions.close_recheck(SYSTEM, rnd, force=True)
    other = RecheckRound.objects.create(area=_area(COUNTY_A), area_code=COUNTY_A, year=YEAR)
    h = households[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdSnapshot.objects.create(round=other, household=h, area_code=h.area_code, year=YEAR,
                                         status=h.status, category=h.category, size=0)
    # another year is another snapshot
    HouseholdSnapshot.objects.create(round=other, household=h, area_code=h.area_code, year=YEAR - 1,
                                     status=h.status, category=h.category, size=0)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_stops_on_duplicates_already_there_and_changes_nothing():
    """registry 0009 on a database where overlapping rounds froze a household twice in a
    year: it names the rounds, says what to do and stops (nothing deleted); once the extra
    snapshots are gone it goes through."""
    from django.db import connection as conn
    from django.db.migrations.executor import MigrationExecutor

    before = [("registry", "0008_stats_rollup_rural")]
    executor = MigrationExecutor(conn)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        OldArea, OldHousehold = old.get_model("areas", "Area"), old.get_model("registry", "Household")
        OldRound, OldSnapshot = old.get_model("registry", "RecheckRound"), old.get_model("registry", "HouseholdSnapshot")
        village = OldArea.objects.create(code=VILLAGE_A, name="石桥村", level="village")
        county = OldArea.objects.create(code=COUNTY_A, name="全南县", level="county")
        h = OldHousehold.objects.create(number="A1", area_code=VILLAGE_A, county_code=COUNTY_A[:6], village=village,
                                        category="1", status="registered")
        other = OldHousehold.objects.create(number="A2", area_code=VILLAGE_A, county_code=COUNTY_A[:6],
                                            village=village, category="1", status="registered")
        rounds = [OldRound.objects.create(area=a, area_code=a.code, year=YEAR, status="closed")
                  for a in (village, county)]
        for rnd in rounds:
            OldSnapshot.objects.create(round=rnd, household=h, area_code=VILLAGE_A, year=YEAR, status="registered",
                                       category="1", size=1)
        OldSnapshot.objects.create(round=rounds[1], household=other, area_code=VILLAGE_A, year=YEAR,
                                   status="registered", category="1", size=1)
        OldSnapshot.objects.create(round=rounds[1], household=h, area_code=VILLAGE_A, year=YEAR - 1,
                                   status="registered", category="1", size=1)
        executor = MigrationExecutor(conn)
        with pytest.raises(RuntimeError) as exc:
            executor.migrate(leaves)
        message = str(exc.value)
        assert f"year {YEAR}: round {rounds[0].pk} (area {VILLAGE_A}), 1 households" in message
        assert f"year {YEAR}: round {rounds[1].pk} (area {COUNTY_A}), 1 households" in message
        assert "Nothing was changed" in message and "run migrate again" in message
        assert OldSnapshot.objects.count() == 4
        OldSnapshot.objects.filter(round=rounds[1], household=h, year=YEAR).delete()
        executor = MigrationExecutor(conn)
        executor.migrate(leaves)
        assert HouseholdSnapshot.objects.count() == 3
        with pytest.raises(IntegrityError), transaction.atomic():
            HouseholdSnapshot.objects.create(round_id=rounds[1].pk, household_id=h.pk, area_code=VILLAGE_A,
                                             year=YEAR, status="registered", category="1", size=1)
    finally:
        HouseholdSnapshot.objects.all().delete()
        executor = MigrationExecutor(conn)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
