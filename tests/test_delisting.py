"""Delisting: village exit (出列) and county exit (摘帽), with the documents' numbers:
incidence ≤ 2 % (≤ 3 % in the west), wrongful-exit and missed-registration rates < 2 %,
approval ≥ 90 %; a reproducible sample; the township notice's days."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.areas import actions as area_actions
from fupin.areas.models import Area
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.core.errors import Conflict, Forbidden, Invalid
from fupin.core.tabular import write_xlsx
from fupin.delisting import actions, importers, queries, rules
from fupin.delisting.models import (
    CountyCriteria,
    CountyRound,
    SampleHousehold,
    VillageAssessment,
    VillageCriteria,
)
from fupin.registry import actions as registry_actions
from fupin.registry.models import (
    ChecklistItem,
    Household,
    Member,
    StatusChange,
    VillageChecklist,
    VillageProfile,
)
from tests.conftest import COUNTY_A, SYSTEM, TOWNSHIP_A, VILLAGE_A

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals


YEAR = 2018
TODAY = dt.date(2018, 11, 20)
WEST_VILLAGE = "530124100201"  # 云南省昆明市富民县 (a western province)
SEQ = {"n": 0}


def household(number: str, village: str, *, status: str = "registered", people: int = 1,
              date: dt.date = dt.date(2016, 3, 1)) -> Household:
    """A household with ``people`` active members (without ID numbers: test data)."""
    h = registry_actions.create_household(SYSTEM, number=number, area_code=village, category="1", standard="1",
                                          main_cause="01", identified_year=2016, status=status, status_date=date)
    Member.objects.bulk_create([Member(household=h, area_code=village, name=f"成员{i}", no_id_reason="1", sex="1",
                                       relation="01" if i == 0 else "10", active=True) for i in range(people)])
    Household.objects.filter(pk=h.pk).update(size=people)
    h.refresh_from_db()
    return h


def profile(code: str, rural: int, *, status: str = "poor", income: str = "80000") -> VillageProfile:
    return registry_actions.save_village_profile(SYSTEM, Area.objects.get(code=code), YEAR, rural_population=rural,
                                                 collective_income=Decimal(income), status=status, status_year=2014)


def checklist_met(code: str, criteria: VillageCriteria) -> None:
    village = Area.objects.get(code=code)
    for i, c in enumerate(criteria.checklist_items):
        item, _ = ChecklistItem.objects.get_or_create(code=c, area_prefix="", defaults={
            "name": c, "source": "test", "order": i})
        VillageChecklist.objects.update_or_create(village=village, year=YEAR, item=item,
                                                  defaults={"area_code": code, "met": True})


@pytest.fixture
def frozen():
    with clock.frozen(TODAY):
        yield TODAY


@pytest.fixture
def west(two_counties):
    area_actions.load_divisions(SYSTEM, prefix="5301")
    area_actions._insert_levels([{"code": WEST_VILLAGE, "name": "款庄村"}], source="test", valid_from=None)
    return WEST_VILLAGE


def village_with_incidence(code: str, poor_people: int, rural: int, prefix: str = "9") -> None:
    """A village with ``poor_people`` people in poor households on the date, out of ``rural``."""
    profile(code, rural)
    household(f"{code}{prefix}001", code, people=poor_people)
    household(f"{code}{prefix}002", code, status="exited_policy", people=5)
    criteria = queries.village_criteria_for(code, YEAR)
    checklist_met(code, criteria)


# --- the data ---------------------------------------------------------------------------------

def test_criteria_are_loaded_with_their_sources(db):
    national = VillageCriteria.objects.get(area_prefix="", from_year=2016)
    assert national.incidence_max == Decimal("2.00") and national.incidence_max_west == Decimal("3.00")
    assert "厅字〔2016〕16号" in national.incidence_source and national.notice_days == 7
    assert "7 天" in national.notice_days_source
    local = VillageCriteria.objects.get(area_prefix="360729")
    assert local.collective_income_min == Decimal("50000.00") and "5万元" in local.collective_income_source
    county = CountyCriteria.objects.get(area_prefix="")
    assert (county.wrong_exit_max, county.missed_max, county.approval_min) == (
        Decimal("2.00"), Decimal("2.00"), Decimal("90.00"))
    west = queries.regions()["west"]
    assert sorted(west) == ["15", "45", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"]
    assert queries.village_criteria_for(VILLAGE_A, 2018) == local  # the most specific prefix
    assert queries.village_criteria_for("440101001001", 2018) == national
    assert queries.village_criteria_for(VILLAGE_A, 2015) is None


# --- golden: village incidence, east and west --------------------------------------------------

@pytest.mark.parametrize(("where", "poor", "ok"), [
    ("east", 20, True),    # 2.0 % ≤ 2 %: passes
    ("east", 21, False),   # 2.1 % > 2 %: fails in the east
    ("west", 21, True),    # 2.1 % ≤ 3 %: passes in the west
    ("west", 30, True),    # 3.0 % ≤ 3 %
    ("west", 31, False),   # 3.1 % > 3 %
])
def test_village_incidence_golden(two_counties, west, frozen, where, poor, ok):
    code = VILLAGE_A if where == "east" else WEST_VILLAGE
    village_with_incidence(code, poor, 1000)
    check = queries.village_check(Area.objects.get(code=code), YEAR, TODAY)
    incidence = check["items"][0]
    assert incidence["code"] == "incidence"
    assert (incidence["numerator"], incidence["denominator"]) == (poor, 1000)
    assert incidence["rate"] == f"{poor / 10:.2f}%"
    assert incidence["ok"] is ok
    assert incidence["required"].startswith("≤ 3.00%" if where == "west" else "≤ 2.00%")
    assert check["passed"] is ok


def test_incidence_counts_status_as_of_the_date(two_counties, frozen):
    """A household that exited after the date still counts as poor on it."""
    village_with_incidence(VILLAGE_A, 20, 1000)
    h = household("3607291002018003", VILLAGE_A, people=3, date=dt.date(2016, 1, 1))
    registry_actions.set_status(SYSTEM, h, "exited_policy", dt.date(2018, 10, 1))
    village = Area.objects.get(code=VILLAGE_A)
    assert queries.village_check(village, YEAR, dt.date(2018, 9, 30))["items"][0]["numerator"] == 23
    assert queries.village_check(village, YEAR, dt.date(2018, 10, 1))["items"][0]["numerator"] == 20


def test_village_income_and_checklist_are_items(two_counties, frozen):
    village_with_incidence(VILLAGE_A, 10, 1000)
    profile(VILLAGE_A, 1000, income="49999.99")
    VillageChecklist.objects.filter(area_code=VILLAGE_A, item__code="clinic").update(met=False)
    check = queries.village_check(Area.objects.get(code=VILLAGE_A), YEAR, TODAY)
    by = {i["code"]: i for i in check["items"]}
    assert by["incidence"]["ok"] is True
    assert by["collective_income"]["ok"] is False and by["collective_income"]["required"] == "≥ 50000.00 yuan"
    assert by["checklist:clinic"]["ok"] is False and by["checklist:road"]["ok"] is True
    assert check["passed"] is False


# --- the village procedure ----------------------------------------------------------------------

@pytest.fixture
def assessed(two_counties, frozen):
    village_with_incidence(VILLAGE_A, 20, 1000)
    return actions.assess_village(SYSTEM, Area.objects.get(code=VILLAGE_A), YEAR, dt.date(2018, 10, 31))


def test_notice_close_refused_on_the_last_day_accepted_the_day_after(assessed):
    step = actions.publish_notice(SYSTEM, assessed, dt.date(2018, 11, 20))
    assert step.last_day == dt.date(2018, 11, 26)  # 7 natural days, the first being day 1
    with clock.frozen(dt.date(2018, 11, 26)), pytest.raises(Invalid) as exc:
        actions.close_notice(SYSTEM, assessed)
    assert "runs until 2018-11-26" in str(exc.value.message)
    with clock.frozen(dt.date(2018, 11, 27)):
        actions.close_notice(SYSTEM, assessed)
    assessed.refresh_from_db()
    assert assessed.state == VillageAssessment.NOTICED


def test_village_procedure_to_delisted(assessed, make_user):
    assert assessed.passed and assessed.state == VillageAssessment.ASSESSED
    with pytest.raises(Invalid):  # out of order: approval before the notice
        actions.approve_village(SYSTEM, assessed, approved=True)
    actions.publish_notice(SYSTEM, assessed, dt.date(2018, 11, 1))
    objection = actions.record_objection(SYSTEM, assessed, received_on=dt.date(2018, 11, 3), content="有贫困户未脱贫",
                                         objector="村民甲")
    with pytest.raises(Invalid):  # after its last day (7 Nov)
        actions.record_objection(SYSTEM, assessed, received_on=dt.date(2018, 11, 8), content="迟到的异议")
    with pytest.raises(Invalid) as exc:
        actions.close_notice(SYSTEM, assessed)
    assert exc.value.code == "objection_open"
    actions.decide_objection(SYSTEM, objection, upheld=False, answer="经核实，该户已稳定脱贫。")
    actions.close_notice(SYSTEM, assessed)
    township = make_user("township_officer", TOWNSHIP_A)
    from fupin.core.actor import Actor

    with pytest.raises(Forbidden):  # the county approves, not the township
        actions.approve_village(Actor(user=township), assessed, approved=True)
    actions.approve_village(SYSTEM, assessed, approved=True)
    p = VillageProfile.objects.get(area_code=VILLAGE_A, year=YEAR)
    assert (p.status, p.status_year) == ("delisted", YEAR)
    assert AuditEvent.objects.filter(action="registry.village_profile.save", object_id=str(p.pk)).exists()
    actions.announce_village(SYSTEM, assessed)
    assessed.refresh_from_db()
    assert assessed.state == VillageAssessment.ANNOUNCED
    assert [s.code for s in assessed.steps.all()] == ["township_notice", "county_approval", "announcement"]
    with pytest.raises(Conflict):
        actions.assess_village(SYSTEM, Area.objects.get(code=VILLAGE_A), YEAR)


def test_upheld_objection_stops_the_procedure(assessed):
    actions.publish_notice(SYSTEM, assessed, dt.date(2018, 11, 18))
    o = actions.record_objection(SYSTEM, assessed, received_on=dt.date(2018, 11, 19), content="集体收入虚报")
    actions.decide_objection(SYSTEM, o, upheld=True, answer="属实，暂缓出列。")
    assessed.refresh_from_db()
    assert assessed.state == VillageAssessment.STOPPED


def test_a_village_that_fails_is_recorded_not_met(two_counties, frozen):
    village_with_incidence(VILLAGE_A, 21, 1000)
    a = actions.assess_village(SYSTEM, Area.objects.get(code=VILLAGE_A), YEAR)
    assert a.state == VillageAssessment.NOT_MET and a.results["items"][0]["ok"] is False
    with pytest.raises(Invalid):
        actions.publish_notice(SYSTEM, a)


# --- golden: county rates -------------------------------------------------------------------------

class Crit:
    incidence_max, incidence_max_west = Decimal("2.00"), Decimal("3.00")
    wrong_exit_max, missed_max, approval_min = Decimal("2.00"), Decimal("2.00"), Decimal("90.00")
    incidence_source = wrong_exit_source = missed_source = approval_source = "test"


def county_items(wrong=(0, 100), missed=(0, 100), approval=(90, 100), poor=(20, 1000), code=COUNTY_A):
    items = rules.county_check(criteria=Crit, code=code, regions={"west": ["53"]}, poor_people=poor[0],
                               rural_population=poor[1], wrong=wrong, missed=missed, approval=approval)
    return {i["code"]: i["ok"] for i in items}


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(("poor", "missing", "words"), [
    (1, 1, ("1 poor person ÷", "1 village has no profile of the year")),
    (20, 2, ("20 poor people ÷", "2 villages have no profile of the year"))])
def test_county_incidence_counts_read_in_the_singular_and_the_plural(poor, missing, words):
    items = rules.county_check(criteria=Crit, code=COUNTY_A, regions={"west": ["53"]}, poor_people=poor,
                               rural_population=1000, wrong=(0, 100), missed=(0, 100), approval=(90, 100),
                               missing_profiles=missing)
    value = next(i for i in items if i["code"] == "incidence")["value"]
    assert all(w in value for w in words), value


def test_county_rates_golden():
    assert county_items(wrong=(2, 100))["wrong_exit"] is False      # 2.0 % is not < 2 %
    assert county_items(wrong=(199, 10000))["wrong_exit"] is True   # 1.99 %
    assert county_items(missed=(2, 100))["missed"] is False
    assert county_items(missed=(199, 10000))["missed"] is True
    assert county_items(approval=(90, 100))["approval"] is True     # exactly 90 % ≥ 90 %
    assert county_items(approval=(899, 1000))["approval"] is False  # 89.9 %
    assert county_items(poor=(20, 1000))["incidence"] is True       # 2.0 % ≤ 2 %
    assert county_items(poor=(21, 1000))["incidence"] is False
    assert county_items(poor=(21, 1000), code="530124000000")["incidence"] is True
    assert county_items(wrong=(0, 0))["wrong_exit"] is False        # nothing surveyed: not shown to be met


# --- the round: sample, survey, steps ------------------------------------------------------------

@pytest.fixture
def county(two_counties, frozen):
    """Three villages in county A with registered, exited and non-registered households."""
    codes = [VILLAGE_A, "360729100202", "360729100203"]
    area_actions._insert_levels([{"code": c, "name": f"测试{c[-1]}村"} for c in codes[1:]], source="test",
                                valid_from=None)
    n = 0
    for code in codes:
        profile(code, 1000)
        for status, k in (("registered", 2), ("exited_policy", 6), ("removed", 3)):
            for _i in range(k):
                n += 1
                household(f"{code}8{n:03d}", code, status=status, people=2)
    return codes


def start(seed=42, **kw):
    return actions.start_round(SYSTEM, Area.objects.get(code=COUNTY_A), YEAR, seed=seed, sample_villages=2,
                               sample_registered=4, sample_non_registered=2, **kw)


def test_sample_is_reproducible(county):
    a = start(seed=7)
    sample_a = list(a.households.values_list("household_id", flat=True))
    villages_a = list(a.villages.values_list("village_id", flat=True))
    CountyRound.objects.filter(pk=a.pk).update(state=CountyRound.RETURNED)
    b = start(seed=7)
    assert list(b.households.values_list("household_id", flat=True)) == sample_a
    assert list(b.villages.values_list("village_id", flat=True)) == villages_a
    assert len(villages_a) == 2 and len(sample_a) == 2 * (4 + 2)
    strata = set(b.households.values_list("stratum", flat=True))
    assert SampleHousehold.NON_REGISTERED in strata
    ids = list(range(1, 50))
    assert rules.draw(3, ids, 5) == rules.draw(3, list(reversed(ids)), 5)  # sorted first: order of input is moot
    assert rules.draw(3, ids, 5) != rules.draw(4, ids, 5)


def survey_all(rnd, *, wrong=0, should=0, disapprove=0):
    for s in rnd.households.order_by("order"):
        values = {"surveyed_on": TODAY, "respondent": "户主", "approves": True}
        if s.stratum == SampleHousehold.EXITED:
            values["exit_correct"] = not (wrong > 0)
            wrong -= 1
        if s.stratum == SampleHousehold.NON_REGISTERED:
            values["should_register"] = should > 0
            should -= 1
        if disapprove > 0:
            values["approves"] = False
            disapprove -= 1
        actions.save_survey(SYSTEM, s, **values)


def test_survey_rates_and_steps(county, make_user):
    rnd = start()
    s = rnd.households.filter(stratum=SampleHousehold.EXITED).first()
    with pytest.raises(Invalid):  # the exit question is required for an exited household
        actions.save_survey(SYSTEM, s, surveyed_on=TODAY, approves=True)
    with pytest.raises(Invalid):  # submission before the survey is complete
        actions.county_step(SYSTEM, rnd, "submission")
    survey_all(rnd)
    check = queries.county_check(rnd)
    counts = check["counts"]
    assert counts["surveyed"] == counts["total"] == 12
    by = {i["code"]: i for i in check["items"]}
    assert by["wrong_exit"]["numerator"] == 0 and by["wrong_exit"]["denominator"] == 2 * counts["exited"]
    assert by["approval"]["rate"] == "100.00%"
    with pytest.raises(Invalid) as exc:  # out of order
        actions.county_step(SYSTEM, rnd, "city_review")
    assert exc.value.code == "out_of_order"
    # Incidence: 3 villages × 2 registered households × 2 people = 12 of 3000 = 0.4 %.
    assert by["incidence"]["ok"] and (by["incidence"]["numerator"], by["incidence"]["denominator"]) == (12, 3000)
    assert check["passed"]
    from fupin.core.actor import Actor

    office = Actor(user=make_user("county_office", COUNTY_A))
    city_leader = Actor(user=make_user("leader", "360700000000"))
    county_leader = Actor(user=make_user("leader", COUNTY_A))
    actions.county_step(office, rnd, "submission")
    with pytest.raises(Forbidden):  # the city reviews, a leader of the county alone cannot
        actions.county_step(county_leader, rnd, "city_review")
    actions.county_step(city_leader, rnd, "city_review")
    with pytest.raises(Forbidden):  # a city leader does not approve for the province
        actions.county_step(city_leader, rnd, "province_approval")
    with pytest.raises(Invalid):  # survey records are locked after submission
        actions.save_survey(SYSTEM, s, surveyed_on=TODAY, exit_correct=True, approves=True)
    actions.county_step(SYSTEM, rnd, "province_approval")
    actions.county_step(SYSTEM, rnd, "announcement")
    rnd.refresh_from_db()
    assert rnd.state == CountyRound.ANNOUNCED
    assert [s.code for s in rnd.steps.all()] == list(rules.COUNTY_STEPS)
    assert AuditEvent.objects.filter(action="delisting.round.announcement", object_id=str(rnd.pk)).exists()


def test_submission_refused_when_a_rate_fails(county):
    rnd = start()
    survey_all(rnd, disapprove=2)  # 10 of 12 approve: 83.3 %
    check = queries.county_check(rnd)
    assert {i["code"]: i["ok"] for i in check["items"]}["approval"] is False
    with pytest.raises(Invalid):
        actions.county_step(SYSTEM, rnd, "submission")


def survey_rows(rnd, dates: list[str] | None = None) -> list[list]:
    """A survey file's rows (importers.HEADERS) for every sampled household of ``rnd``, in
    order: surveyed on ``dates`` (one per household; default TODAY), the respondent approves,
    the exit was correct and the non-registered ones should not have been registered."""
    samples = list(rnd.households.select_related("household").order_by("order"))
    dates = [str(TODAY)] * len(samples) if dates is None else dates
    return [[s.household.number, "", "", when, "户主", s.people,
             "是" if s.stratum == SampleHousehold.EXITED else "",
             "否" if s.stratum == SampleHousehold.NON_REGISTERED else "", "是", ""]
            for s, when in zip(samples, dates, strict=True)]


def _xlsx(rows) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    write_xlsx(buffer, importers.HEADERS, rows)
    return SimpleUploadedFile("survey.xlsx", buffer.getvalue())


def test_survey_import_is_all_or_nothing(county, tmp_path):
    rnd = start()
    rows = survey_rows(rnd)
    bad = [list(r) for r in rows]
    bad[0][8] = "也许"
    bad.append(["9999999999", "", "", str(TODAY), "", 1, "", "", "是", ""])
    path = tmp_path / "bad.xlsx"
    path.write_bytes(_xlsx(bad).read())
    count, report = importers.import_survey(SYSTEM, rnd, path)
    assert count == 0 and len(report) == 2
    assert not rnd.households.filter(surveyed_on__isnull=False).exists()
    path.write_bytes(_xlsx(rows).read())
    count, report = importers.import_survey(SYSTEM, rnd, path)
    assert not report and count == 12
    assert rnd.households.filter(surveyed_on=TODAY).count() == 12


# --- review fixes -----------------------------------------------------------------------------

def test_a_stale_objection_is_not_decided_twice(assessed):
    """Two decisions on the same objection (two officers, the second page loaded before the
    first decision): the second is refused, not written over the first."""
    actions.publish_notice(SYSTEM, assessed, dt.date(2018, 11, 18))
    o = actions.record_objection(SYSTEM, assessed, received_on=dt.date(2018, 11, 19), content="集体收入虚报")
    stale = type(o).objects.get(pk=o.pk)
    actions.decide_objection(SYSTEM, o, upheld=False, answer="经核实，收入属实。")
    with pytest.raises(Conflict):
        actions.decide_objection(SYSTEM, stale, upheld=False, answer="第二次答复")
    o.refresh_from_db()
    assert o.answer == "经核实，收入属实。"
    assert AuditEvent.objects.filter(action="delisting.village.objection_decide").count() == 1


def test_the_status_item_shows_labels(two_counties, frozen):
    village_with_incidence(VILLAGE_A, 10, 1000)
    by = {i["code"]: i for i in queries.village_check(Area.objects.get(code=VILLAGE_A), YEAR, TODAY)["items"]}
    assert by["status"]["value"] == "Poor village" and by["status"]["ok"] is True
    assert by["status"]["required"] == "Poor village / Key-assistance village"


def test_level_code():
    assert rules.level_code("360729000000", "county") == "360729000000"
    assert rules.level_code("360729000000", "city") == "360700000000"
    assert rules.level_code("360729000000", "province") == "360000000000"


def test_the_sample_reads_statuses_on_the_date_in_sql(county):
    """Each household's status on the round's date comes with the household rows (a
    subquery), not as every status change of the sampled villages brought into Python;
    a household registered after the date is left out, one that exited after it is
    sampled with its status on the date."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    late = household(f"{VILLAGE_A}7001", VILLAGE_A, status="registered", people=2, date=dt.date(2018, 11, 15))
    exited = household(f"{VILLAGE_A}7002", VILLAGE_A, status="registered", people=2, date=dt.date(2016, 1, 1))
    registry_actions.set_status(SYSTEM, exited, "exited_policy", dt.date(2018, 11, 1))
    with CaptureQueriesContext(connection) as ctx:
        rnd = actions.start_round(SYSTEM, Area.objects.get(code=COUNTY_A), YEAR, on=dt.date(2018, 10, 31), seed=5,
                                  sample_villages=3, sample_registered=100, sample_non_registered=100)
    table = StatusChange._meta.db_table
    assert not [q["sql"] for q in ctx.captured_queries if f'"{table}"."' in q["sql"]]
    sampled = dict(rnd.households.values_list("household_id", "status"))
    assert late.pk not in sampled
    assert sampled[exited.pk] == "registered"
    assert len(sampled) == Household.objects.filter(area_code__startswith=COUNTY_A[:6]).count() - 1


def test_survey_import_refuses_people_that_are_not_whole_numbers(county, tmp_path):
    rnd = start()
    rows = survey_rows(rnd)
    for i, bad in enumerate(("inf", "1e400", "2.5", "nan")):
        rows[i][5] = bad
    rows[4][5] = "3.0"  # a whole number typed with a decimal point is one
    path = tmp_path / "people.csv"
    from fupin.core.tabular import write_csv

    write_csv(path, importers.HEADERS, rows)
    count, report = importers.import_survey(SYSTEM, rnd, path)
    assert count == 0
    assert [(e.column, e.value) for e in report.errors] == [
        (importers.PEOPLE, "inf"), (importers.PEOPLE, "1e400"), (importers.PEOPLE, "2.5"), (importers.PEOPLE, "nan")]
