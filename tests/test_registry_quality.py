"""Data-quality rules (every rule with a case that must be flagged and one that must
not), the run as a job, the report pages and export, the possible-duplicates finder,
and deciding a pair (including two officers deciding at once).

Bad data is written with the ORM directly: the actions refuse most of it, but old
imported data can hold it, which is what the rules are for."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest
from django.urls import reverse
from stdnum.cn import ric

from fupin.areas import actions as areas
from fupin.areas.models import Area
from fupin.audit.models import AuditEvent
from fupin.core.actor import Actor
from fupin.core.errors import Conflict, Forbidden
from fupin.jobs.models import Job
from fupin.registry import actions, duplicates, quality
from fupin.registry.models import (
    DuplicateCandidate,
    Household,
    Income,
    Member,
    QualityIssue,
    QualityRun,
    StatusChange,
)
from tests.conftest import COUNTY_A, COUNTY_B, SYSTEM, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A, VILLAGE_B

ON = dt.date(2017, 9, 1)  # the reference date of the runs in these tests
INCOME_YEAR = 2016
EXITED_ON = dt.date(2016, 12, 1)
HEAD_ID_X = "36072919700305101X"  # a valid ID number whose check digit is X (born 1970-03-05, male)


def id_number(ymd: str, serial: int, male: bool) -> str:
    """A valid ID number of 全南县 for a birth date: serial 0–99 per household and member."""
    body = f"360729{ymd}{serial:02d}{1 if male else 2}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects the number with a check digit


_serial = {"n": 0}


def _next_serial() -> int:
    """0–99, skipping the serials of HEAD_ID_X (10) and SPOUSE_ID (77)."""
    _serial["n"] = (_serial["n"] + 1) % 100
    if _serial["n"] in (10, 77):
        return _next_serial()
    return _serial["n"]


def add_member(h: Household, *, name: str, sex: str = "1", birth: dt.date | None = None, relation: str = "20",
               with_id: bool = True, **extra) -> Member:
    values = {"school_status": "00", "health": "1", "medical_insurance": True, **extra}
    if "id_number" not in values:
        values["id_number"] = id_number(birth.strftime("%Y%m%d"), _next_serial(), sex == "1") if (
            with_id and birth) else None
    if not values["id_number"] and "no_id_reason" not in values:
        values["no_id_reason"] = "3"
    return Member.objects.create(household=h, area_code=h.area_code, name=name, name_pinyin=actions.pinyin(name),
                                 sex=sex, birth_date=birth, relation=relation, **values)


@pytest.fixture
def few_areas(db):
    """Only the areas the rule tests need (two_counties loads all of 赣州市: slower)."""
    def area(code, name, level, parent=None):
        return Area.objects.create(code=code, name=name, level=level, parent=parent)

    county_a, county_b = area(COUNTY_A, "全南县", "county"), area(COUNTY_B, "龙南市", "county")
    village_a = area(VILLAGE_A, "石桥村", "village", area(TOWNSHIP_A, "城厢镇", "township", county_a))
    area(VILLAGE_A + "001", "第1村民小组", "group", village_a)
    area(VILLAGE_B, "龙岗村", "village", area(TOWNSHIP_B, "龙南镇", "township", county_b))


def make_household(number: str, area_code: str = VILLAGE_A) -> SimpleNamespace:
    """A household that breaks no rule (checked by test_a_sound_household_breaks_no_rule)."""
    village = Area.objects.get(code=area_code[:12], valid_to__isnull=True)
    h = Household.objects.create(
        number=number, area_code=area_code, village=village, category="1", standard="1", main_cause="07",
        identified_year=2014, status="registered", status_date=dt.date(2014, 10, 1), bank_account="6217001234567890",
        phone="13900001111", size=3, head_name="张大山", arable_mu=Decimal(2), irrigated_mu=Decimal(1))
    StatusChange.objects.create(household=h, area_code=h.area_code, status="registered", date=dt.date(2014, 10, 1))
    head = add_member(h, name="张大山", birth=dt.date(1970, 3, 5), relation="01", labour="1", education="3")
    spouse = add_member(h, name="李秀英", sex="2", birth=dt.date(1972, 6, 10), relation="02", labour="1")
    son = add_member(h, name="张小明", birth=dt.date(2007, 4, 1), relation="03", school_status="06")
    Income.objects.create(household=h, area_code=h.area_code, year=INCOME_YEAR, wages=Decimal(3000),
                          crops=Decimal(2000), production_costs=Decimal(1000), household_size=3,
                          total_income=Decimal(5000), net_income=Decimal(4000), per_capita=Decimal("1333.33"))
    return SimpleNamespace(h=h, head=head, spouse=spouse, son=son, extra=None)


def flagged(code: str | None = None, area_code: str = COUNTY_A, **kw) -> set[tuple[int, int | None]]:
    run = quality.execute(SYSTEM, Area.objects.get(code=area_code, valid_to__isnull=True), on=kw.get("on", ON),
                          income_year=kw.get("income_year", INCOME_YEAR), only=[code] if code else None)
    return set(QualityIssue.objects.filter(run=run).values_list("household_id", "member_id"))


# --- mutations used by the cases -------------------------------------------------------

def H(**values):
    return lambda w: Household.objects.filter(pk=w.h.pk).update(**values)


def M(who: str, **values):
    return lambda w: Member.objects.filter(pk=getattr(w, who).pk).update(**values)


def INC(**values):
    return lambda w: Income.objects.filter(household=w.h).update(**values)


def ADD(**values):
    def do(w):
        defaults = {"name": "张其他", "birth": dt.date(1990, 1, 1)}
        w.extra = add_member(w.h, **{**defaults, **values})

    return do


def STATUS(status: str, **values):
    def do(w):
        Household.objects.filter(pk=w.h.pk).update(status=status, status_date=EXITED_ON, **values)
        StatusChange.objects.create(household=w.h, area_code=w.h.area_code, status=status, date=EXITED_ON)

    return do


def ALL(*steps):
    return lambda w: [step(w) for step in steps]


def NO_INCOME(w):
    Income.objects.filter(household=w.h).delete()


def ALL_LEFT(w):
    Member.objects.filter(household=w.h).update(active=False, left_reason="3", left_date=EXITED_ON)


def SPOUSE_ID(ymd: str, *, birth: dt.date | None = None, break_check=False):
    def do(w):
        number = id_number(ymd, 77, False)
        if break_check:
            number = number[:17] + ("0" if number[17] != "0" else "1")
        values = {"id_number": number}
        if birth:
            values["birth_date"] = birth
        Member.objects.filter(pk=w.spouse.pk).update(**values)

    return do


def DUP_X(w):
    Member.objects.filter(pk=w.head.pk).update(id_number=HEAD_ID_X)
    w.extra = add_member(w.h, name="张大三", birth=dt.date(1970, 3, 5), id_number=HEAD_ID_X.lower())


def DUP_LEFT(w):
    w.extra = add_member(w.h, name="张大三", birth=dt.date(1970, 3, 5), id_number=w.head.id_number.lower(),
                         active=False, left_reason="3", left_date=EXITED_ON)


def NOOP(w):
    return None


EXITED = {"exit_year": 2016}

# (rule, make it break the rule, a near miss that must not, which row is flagged)
CASES = [
    ("id_duplicate", DUP_X, DUP_LEFT, "head"),
    ("id_format", M("spouse", id_number="3607291972061012A4"), NOOP, "spouse"),
    ("id_format", M("spouse", id_number="36072919720610"), NOOP, "spouse"),
    ("id_check_digit", SPOUSE_ID("19720610", break_check=True), SPOUSE_ID("19720610"), "spouse"),
    ("id_birth_impossible", SPOUSE_ID("19730229"), SPOUSE_ID("19720229", birth=dt.date(1972, 2, 29)), "spouse"),
    ("id_birth_impossible", SPOUSE_ID("20300101"), NOOP, "spouse"),
    ("id_birth_impossible", SPOUSE_ID("19721301"), NOOP, "spouse"),
    ("birth_mismatch_id", M("spouse", birth_date=dt.date(1972, 6, 11)), NOOP, "spouse"),
    ("sex_mismatch_id", M("spouse", sex="1"), NOOP, "spouse"),
    ("no_id_no_reason", M("son", id_number=None, no_id_reason=""), M("son", id_number=None, no_id_reason="2"), "son"),
    ("birth_missing", M("son", birth_date=None), NOOP, "son"),
    ("age_impossible", M("son", birth_date=dt.date(2018, 1, 1)), M("head", birth_date=dt.date(1897, 9, 1)), "son"),
    ("age_impossible", M("head", birth_date=dt.date(1896, 8, 31)), NOOP, "head"),
    ("no_members", ALL_LEFT, NOOP, "h"),
    ("no_head", M("head", relation="19"), NOOP, "h"),
    ("two_heads", M("spouse", relation="01"), NOOP, "h"),
    ("head_under_age", M("head", birth_date=dt.date(2002, 1, 1)), M("head", birth_date=dt.date(2001, 9, 1)), "head"),
    ("spouse_count", ADD(name="王二妹", sex="2", relation="02"), ADD(name="王二妹", sex="2", relation="19"), "h"),
    ("child_older_than_head", M("son", birth_date=dt.date(1960, 1, 1)), M("son", birth_date=dt.date(1970, 3, 5)),
     "son"),
    ("parent_younger_than_head", ADD(relation="11", birth=dt.date(1980, 1, 1)),
     ADD(relation="11", birth=dt.date(1945, 1, 1)), "extra"),
    ("size_mismatch", H(size=4), NOOP, "h"),
    ("head_name_mismatch", H(head_name="张大"), NOOP, "h"),
    ("member_area_mismatch", M("son", area_code=VILLAGE_A + "001"), NOOP, "son"),
    ("school_age_out_of_school", M("son", school_status="00"),
     M("son", school_status="00", health="4", disability_grade="1"), "son"),
    ("school_age_out_of_school", M("son", school_status="00", birth_date=dt.date(2001, 9, 2)),
     M("son", school_status="00", birth_date=dt.date(2001, 9, 1)), "son"),
    ("exited_child_out_of_school", ALL(STATUS("exited_policy", **EXITED), M("son", school_status="00")),
     STATUS("exited_policy", **EXITED), "son"),
    ("child_labour", M("son", labour="1"), M("son", labour="5"), "son"),
    ("disabled_no_grade", M("son", health="4"), M("son", health="4", disability_grade="2"), "son"),
    ("grade_not_disabled", M("son", disability_grade="2"), NOOP, "son"),
    ("student_not_in_school", M("son", work_status="6", school_status="00"), M("son", work_status="6"), "son"),
    ("work_months_range", M("head", work_months=13), M("head", work_months=12), "head"),
    ("migrant_no_place", M("head", work_status="2"), M("head", work_status="2", work_place="4"), "head"),
    ("member_phone_malformed", M("head", phone="12345"), M("head", phone="0797-1234567"), "head"),
    ("member_phone_malformed", M("head", phone="1390000111a"), M("head", phone="139 0000 1111"), "head"),
    ("no_medical_insurance", M("son", medical_insurance=False), NOOP, "son"),
    ("left_no_date", ADD(active=False, left_reason="1"), ADD(active=False, left_reason="1", left_date=EXITED_ON),
     "extra"),
    ("left_no_reason", ADD(active=False, left_date=EXITED_ON), ADD(active=False, left_reason="2", left_date=EXITED_ON),
     "extra"),
    ("active_with_left_data", M("son", left_reason="3"), NOOP, "son"),
    ("dibao_member_general_household", M("head", dibao=True), ALL(M("head", dibao=True), H(category="2")), "head"),
    ("tekun_member_general_household", M("head", tekun=True), ALL(M("head", tekun=True), H(category="3")), "head"),
    ("dibao_household_no_member", H(category="2"), ALL(H(category="2"), M("head", dibao=True)), "h"),
    ("tekun_household_no_member", H(category="3"), ALL(H(category="3"), M("head", tekun=True)), "h"),
    ("main_cause_empty", H(main_cause=""), NOOP, "h"),
    ("category_empty", H(category=""), NOOP, "h"),
    ("category_empty", H(category=""), ALL(H(category=""), STATUS("rural")), "h"),
    ("standard_empty", H(standard=""), NOOP, "h"),
    ("standard_empty", H(standard=""), ALL(H(standard=""), STATUS("removed")), "h"),
    ("cause_repeated", H(cause2="07"), H(cause2="05", cause3="06"), "h"),
    ("cause_repeated", H(cause2="05", cause3="05"), NOOP, "h"),
    ("cause_school_no_student", ALL(H(cause2="03"), M("son", school_status="00")), H(cause2="03"), "h"),
    ("cause_illness_no_ill", H(cause2="01"), ALL(H(cause2="01"), M("spouse", health="3")), "h"),
    ("cause_disability_no_disabled", H(cause2="02"),
     ALL(H(cause2="02"), M("spouse", health="4", disability_grade="1")), "h"),
    ("cause_labour_has_workers", H(cause2="08"), ALL(H(cause2="08"), M("head", labour="4"), M("spouse", labour="3")),
     "h"),
    ("identified_year_missing", H(identified_year=None), NOOP, "h"),
    ("identified_year_future", H(identified_year=2018), H(identified_year=2017), "h"),
    ("exited_no_exit_year", STATUS("exited"), STATUS("exited", **EXITED), "h"),
    ("exit_before_identified", H(exit_year=2013), H(exit_year=2014), "h"),
    ("exit_year_not_exited", H(exit_year=2016),
     STATUS("returned", exit_year=2015, return_year=2016, return_reason="因病返贫"), "h"),
    ("planned_exit_before_identified", H(planned_exit_year=2013), H(planned_exit_year=2014), "h"),
    ("returned_no_year_reason", STATUS("returned", exit_year=2015, return_year=2016),
     STATUS("returned", exit_year=2015, return_year=2016, return_reason="因病返贫"), "h"),
    ("return_before_exit", H(exit_year=2016, return_year=2015), H(exit_year=2015, return_year=2016), "h"),
    ("return_before_exit", H(return_year=2016), NOOP, "h"),
    ("status_history_mismatch", H(status="exited_policy"), STATUS("exited_policy"), "h"),
    ("no_income_last_year", NO_INCOME, ALL(NO_INCOME, H(identified_year=2017)), "h"),
    ("income_total_mismatch", INC(total_income=Decimal(5001)), NOOP, "h"),
    ("per_capita_mismatch", INC(per_capita=Decimal(1400)), NOOP, "h"),
    ("per_capita_mismatch", INC(household_size=0), NOOP, "h"),
    ("income_size_differs", INC(household_size=4), NOOP, "h"),
    ("per_capita_above_line", INC(per_capita=Decimal(3000)), ALL(INC(per_capita=Decimal(3000)), H(standard="2")),
     "h"),
    ("per_capita_above_line", INC(per_capita=Decimal("2952.01")), INC(per_capita=Decimal(2952)), "h"),
    ("danger_exited_no_renovation", STATUS("exited_policy", danger_grade="D", **EXITED),
     STATUS("exited_policy", danger_grade="D", renovated_year=2016, **EXITED), "h"),
    ("relocated_no_mode", H(relocated=True), H(relocated=True, relocation_mode="1"), "h"),
    ("relocation_not_relocated", H(relocation_place="县城安置区"), NOOP, "h"),
    ("water_contradiction", H(water_difficult=True), H(water_difficult=True, water_safe=False), "h"),
    ("exited_water_unsafe", STATUS("exited_policy", water_safe=False, **EXITED), STATUS("exited_policy", **EXITED),
     "h"),
    ("bank_account_empty", H(bank_account=""), STATUS("exited", bank_account="", **EXITED), "h"),
    ("household_phone_malformed", H(phone="139000"), NOOP, "h"),
    ("irrigated_exceeds_arable", H(irrigated_mu=3), H(irrigated_mu=2), "h"),
]


def _case_ids():
    seen: dict[str, int] = {}
    for code, *_ in CASES:
        seen[code] = seen.get(code, 0) + 1
        yield f"{code}-{seen[code]}"


def test_every_rule_has_a_case_and_there_are_at_least_30():
    assert len(quality.rules()) >= 30
    assert {c[0] for c in CASES} == set(quality.rules())


def test_rule_data_is_complete(db):
    for rule in quality.rules().values():
        assert rule.severity in quality.SEVERITIES
        assert rule.zh and rule.en and rule.source and rule.group in quality.GROUP_LABELS, rule.code
        assert "{" not in rule.zh + rule.en, f"{rule.code}: a parameter was not filled in"
    assert quality.national_lines()[2013] == Decimal(2736)
    assert all(quality.line_source(y) for y in quality.national_lines())


def test_a_sound_household_breaks_no_rule(few_areas):
    make_household("Q-OK")
    run = quality.execute(SYSTEM, Area.objects.get(code=COUNTY_A), on=ON, income_year=INCOME_YEAR)
    assert list(run.issues.values_list("rule", "detail")) == []


@pytest.mark.parametrize(("code", "bad", "good", "target"), CASES, ids=list(_case_ids()))
def test_rule(few_areas, code, bad, good, target):
    w_bad, w_good = make_household("Q-BAD"), make_household("Q-GOOD")
    bad(w_bad)
    good(w_good)
    found = flagged(code)
    row = getattr(w_bad, target)
    expected = (w_bad.h.pk, None) if target == "h" else (w_bad.h.pk, row.pk)
    assert expected in found, f"{code} did not flag the bad case: {found}"
    assert not {f for f in found if f[0] == w_good.h.pk}, f"{code} flagged the near miss"


def test_per_capita_rule_checks_nothing_without_a_line(few_areas):
    w = make_household("Q-1")
    Income.objects.filter(household=w.h).update(year=2019, per_capita=Decimal(99999))
    assert flagged("per_capita_above_line", income_year=2019, on=dt.date(2020, 1, 1)) == set()
    assert 2019 not in quality.national_lines()


def test_per_capita_rule_uses_the_identification_line(few_areas):
    """One book of poverty lines: the rule compares with identification's national line, so
    an edit there (a corrected value) is what the next run uses."""
    from fupin.identification.models import Line

    w = make_household("Q-1")
    INC(per_capita=Decimal(3000))(w)
    assert quality.national_lines()[INCOME_YEAR] == Decimal(2952)
    assert (w.h.pk, None) in flagged("per_capita_above_line")
    Line.objects.filter(kind="national", area_prefix="", year=INCOME_YEAR).update(annual_value=Decimal(3100))
    assert quality.national_lines()[INCOME_YEAR] == Decimal(3100)
    assert flagged("per_capita_above_line") == set()


def test_rules_see_only_the_area(few_areas):
    mine, other = make_household("Q-A"), make_household("Q-B", VILLAGE_B)
    H(size=9)(mine)
    H(size=9)(other)
    assert flagged("size_mismatch") == {(mine.h.pk, None)}
    assert flagged("size_mismatch", area_code=COUNTY_B) == {(other.h.pk, None)}


def test_removed_households_are_not_checked(few_areas):
    w = make_household("Q-1")
    Household.objects.filter(pk=w.h.pk).update(status="removed", size=9)
    assert flagged() == set()


# --- the run as a job -------------------------------------------------------------------

def test_the_job_records_a_run_and_its_issues(two_counties, make_user):
    officer = make_user("county_office", COUNTY_A)
    bad = make_household("Q-1")
    H(size=5, main_cause="")(bad)
    make_household("Q-2")
    job = quality.start(Actor(user=officer), COUNTY_A, on=ON, income_year=INCOME_YEAR)
    job.refresh_from_db()
    assert job.status == Job.SUCCEEDED, job.log
    assert job.total == job.done == len(quality.rules())
    run = QualityRun.objects.get(job=job)
    assert run.area_code == COUNTY_A
    assert set(run.issues.values_list("rule", flat=True)) == {"size_mismatch", "main_cause_empty"}
    assert run.issue_count == 2 == run.issues.count()
    assert job.result == {"run": run.pk, "issues": 2}
    issue = run.issues.get(rule="size_mismatch")
    assert (issue.severity, issue.household_id, issue.area_code, issue.detail) == ("error", bad.h.pk, VILLAGE_A,
                                                                                   "5 ≠ 3")
    event = AuditEvent.objects.get(action="registry.quality.run")
    assert event.count == 2 and event.area_code == COUNTY_A and event.user == officer


def test_a_run_needs_registry_edit_in_the_area(two_counties, make_user):
    helper = make_user("helper", VILLAGE_A)
    with pytest.raises(Forbidden):
        quality.start(Actor(user=helper), VILLAGE_A)
    officer = make_user("county_office", COUNTY_A)
    with pytest.raises(Forbidden):
        quality.start(Actor(user=officer), COUNTY_B)
    assert not QualityRun.objects.exists() and not Job.objects.filter(kind="registry.quality").exists()


def test_a_failing_rule_leaves_no_half_run(two_counties, make_user, monkeypatch):
    officer = make_user("county_office", COUNTY_A)
    w = make_household("Q-1")
    H(size=5)(w)

    def broken(ctx):
        raise RuntimeError("rule exploded")

    rules = dict(quality.rules())
    rules["two_heads"] = quality.Rule(**{**rules["two_heads"].__dict__, "query": broken})
    monkeypatch.setattr(quality, "rules", lambda: rules)
    job = quality.start(Actor(user=officer), COUNTY_A, on=ON, income_year=INCOME_YEAR)
    job.refresh_from_db()
    assert job.status == Job.FAILED and "rule exploded" in job.message
    assert not QualityRun.objects.exists() and not QualityIssue.objects.exists()


# --- the pages --------------------------------------------------------------------------

def _run_via_page(client, area=COUNTY_A):
    return client.post(reverse("registry:quality"), {"area_code": area, "on": ON.isoformat(),
                                                      "income_year": INCOME_YEAR})


def test_quality_page_runs_and_reports(two_counties, make_user, login):
    officer = make_user("county_office", COUNTY_A)
    client = login(officer)
    page = client.get(reverse("registry:quality"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "id_check_digit" in body and "2736" in body
    w = make_household("Q-1")
    H(size=5)(w)
    M("son", birth_date=dt.date(2007, 4, 2))(w)
    response = _run_via_page(client)
    assert response.status_code == 302
    run = QualityRun.objects.get()
    assert str(run.pk) in client.get(reverse("registry:quality")).content.decode()

    report = client.get(reverse("registry:quality_run", args=[run.pk])).content.decode()
    assert "size_mismatch" in report and "birth_mismatch_id" in report and "石桥村" in report
    assert "2952" in report  # the line of the income year, with its source

    detail = client.get(reverse("registry:quality_rule", args=[run.pk, "birth_mismatch_id"]))
    text = detail.content.decode()
    assert "Q-1" in text and "张小明" in text
    assert reverse("registry:household", args=[w.h.pk]) in text
    assert "Q-1" in client.get(reverse("registry:quality_rule", args=[run.pk, "size_mismatch"]),
                               {"village": VILLAGE_A}).content.decode()
    assert "Q-1" not in client.get(reverse("registry:quality_rule", args=[run.pk, "size_mismatch"]),
                                   {"village": "360729100299"}).content.decode()
    assert client.get(reverse("registry:quality_rule", args=[run.pk, "no_such_rule"])).status_code == 404


def test_report_export(two_counties, make_user, login):
    officer = make_user("county_office", COUNTY_A)
    w = make_household("Q-1")
    H(size=5)(w)
    run = quality.execute(SYSTEM, Area.objects.get(code=COUNTY_A), on=ON, income_year=INCOME_YEAR)
    response = login(officer).get(reverse("registry:quality_export", args=[run.pk]))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    summary, villages, issues, about = book.worksheets
    counts = {row[3]: row[4] for row in summary.iter_rows(min_row=2, values_only=True)}  # (the code, 4th)
    assert counts["size_mismatch"] == 1 and counts["no_head"] == 0 and len(counts) == len(quality.rules())
    assert [c for c in next(villages.iter_rows(min_row=2, values_only=True))][:3] == [VILLAGE_A, "石桥村", 1]
    rows = list(issues.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1 and rows[0][2] == "size_mismatch"
    assert rows[0][0] == str(quality.get_rule("size_mismatch").message)  # the message first
    assert rows[0][3:7] == (VILLAGE_A, "石桥村", "Q-1", "张大山") and rows[0][-1].endswith("5 ≠ 3")
    assert "2952" in " ".join(str(c) for r in about.iter_rows(values_only=True) for c in r if c)
    event = AuditEvent.objects.get(action="registry.quality.export")
    assert event.kind == "export" and event.count == 1 and event.user == officer


def test_viewers_see_runs_but_cannot_start_them(two_counties, make_user, login):
    helper = make_user("helper", VILLAGE_A)
    client = login(helper)
    run = quality.execute(SYSTEM, Area.objects.get(code=VILLAGE_A), on=ON, income_year=INCOME_YEAR)
    page = client.get(reverse("registry:quality"))
    assert page.status_code == 200 and 'name="income_year"' not in page.content.decode()
    assert client.get(reverse("registry:quality_run", args=[run.pk])).status_code == 200
    assert _run_via_page(client, VILLAGE_A).status_code == 403
    assert QualityRun.objects.count() == 1
    # a run over the county is larger than the helper's village: not shown
    county_run = quality.execute(SYSTEM, Area.objects.get(code=COUNTY_A), on=ON, income_year=INCOME_YEAR)
    assert client.get(reverse("registry:quality_run", args=[county_run.pk])).status_code == 404


# --- possible duplicates ----------------------------------------------------------------

@pytest.fixture
def township_villages(two_counties):
    """A second village in township A, and a village in another township of county A."""
    other_township = Area.objects.filter(level="township", code__startswith="360729").exclude(
        code=TOWNSHIP_A).order_by("code").first()
    village2, far = "360729100202", other_township.code[:9] + "201"
    areas._insert_levels([{"code": village2, "name": "新村"}, {"code": far, "name": "远村"}], source="test",
                         valid_from=None)
    return village2, far


def _person(number: str, area: str, name: str, birth, **extra) -> Member:
    h = Household.objects.filter(number=number).first()
    if h is None:
        h = Household.objects.create(number=number, area_code=area, village=Area.objects.get(code=area),
                                     main_cause="07", identified_year=2014)
    return Member.objects.create(household=h, area_code=area, name=name, sex="1", relation="01", birth_date=birth,
                                 no_id_reason="3", **extra)


def _pairs() -> set[tuple[str, str, str]]:
    return {(c.a.name, c.b.name, c.reason) for c in DuplicateCandidate.objects.select_related("a", "b")}


def test_duplicates_finder(two_counties, township_villages):
    village2, far = township_villages
    d = dt.date
    wang1 = _person("D1", VILLAGE_A, "王芳", d(1980, 1, 1))
    _person("D2", VILLAGE_A, "王芳", d(1980, 1, 1))
    _person("D3", village2, "王芳", d(1980, 1, 1))  # same name and birth, other village: not a pair
    _person("D4", VILLAGE_A, "王芳", d(1981, 1, 1))  # other birth date
    _person("D1", VILLAGE_A, "张伟", d(1990, 5, 5))
    _person("D3", village2, "张玮", d(1990, 5, 5))  # homophone, same township: a pair
    _person("D2", VILLAGE_A, "孙丽华", d(1975, 2, 2))
    _person("D4", VILLAGE_A, "孙立华", d(1975, 2, 2))  # three characters, the middle one differs: a pair
    _person("D1", VILLAGE_A, "周杰伦", d(1979, 1, 18))
    _person("D2", VILLAGE_A, "周洁轮", d(1979, 1, 18))  # two characters differ
    _person("D1", VILLAGE_A, "刘洋", d(1985, 1, 1))
    _person("D2", VILLAGE_A, "刘阳", d(1986, 1, 1))  # homophone but other birth date
    _person("D1", VILLAGE_A, "陈静", d(1970, 1, 1))
    _person("D5", far, "陈晶", d(1970, 1, 1))  # homophone in another township
    _person("D1", VILLAGE_A, "李娜", d(1988, 8, 8))
    _person("D2", VILLAGE_A, "李娜娜", d(1988, 8, 8))  # other length
    _person("D1", VILLAGE_A, "赵敏", d(1966, 6, 6))
    _person("D2", VILLAGE_A, "钱敏", d(1966, 6, 6))  # other pinyin
    _person("D1", VILLAGE_A, "吴刚", d(1960, 1, 1))
    _person("D2", VILLAGE_A, "吴刚", d(1960, 1, 1), active=False, left_reason="3")  # left: not paired
    _person("DB1", VILLAGE_B, "龙南甲", d(1950, 1, 1))
    _person("DB2", VILLAGE_B, "龙南甲", d(1950, 1, 1))  # county B: not searched

    assert Member.objects.filter(name_pinyin="").count() == Member.objects.count()
    counts = duplicates.find(SYSTEM, Area.objects.get(code=COUNTY_A))
    assert _pairs() == {("王芳", "王芳", "name_birth_village"), ("张伟", "张玮", "pinyin_one_char"),
                        ("孙丽华", "孙立华", "pinyin_one_char")}
    assert counts == {"name_birth_village": 1, "pinyin_one_char": 2}
    assert DuplicateCandidate.objects.get(a=wang1).area_code == VILLAGE_A
    assert DuplicateCandidate.objects.get(a__name="张伟").area_code == TOWNSHIP_A  # across villages: the township
    assert set(DuplicateCandidate.objects.values_list("status", flat=True)) == {"pending"}
    assert Member.objects.get(pk=wang1.pk).name_pinyin == "wang fang"
    assert not Member.objects.filter(area_code__startswith="360729", name_pinyin="").exists()
    assert Member.objects.filter(area_code__startswith="360783", name_pinyin="").count() == 2  # not its area
    event = AuditEvent.objects.get(action="registry.duplicate.find")
    assert event.count == 3 and event.items.count() == 3 and event.kind == "bulk"
    pinyin_event = AuditEvent.objects.get(action="registry.member.pinyin")
    assert pinyin_event.count == pinyin_event.items.count() == 20  # county A's members, counted before

    # a second search adds nothing, and a decided pair is not proposed again
    pair = DuplicateCandidate.objects.get(a=wang1)
    actions.decide_duplicate(SYSTEM, pair, same=False)
    assert duplicates.find(SYSTEM, Area.objects.get(code=COUNTY_A)) == {"name_birth_village": 0,
                                                                          "pinyin_one_char": 0}
    assert DuplicateCandidate.objects.count() == 3
    assert Member.objects.count() == 22  # nothing merged


def test_pinyin_pairs_without_the_birth_date_condition(two_counties, monkeypatch):
    _person("D1", VILLAGE_A, "刘洋", dt.date(1985, 1, 1))
    _person("D2", VILLAGE_A, "刘阳", dt.date(1986, 1, 1))
    real = quality.param
    monkeypatch.setattr(quality, "param", lambda name: False if name == "pinyin_pair_same_birth" else real(name))
    duplicates.find(SYSTEM, Area.objects.get(code=COUNTY_A))
    assert _pairs() == {("刘洋", "刘阳", "pinyin_one_char")}


def _pending_pair() -> DuplicateCandidate:
    a = _person("D1", VILLAGE_A, "王芳", dt.date(1980, 1, 1))
    b = _person("D2", VILLAGE_A, "王芳", dt.date(1980, 1, 1))
    return DuplicateCandidate.objects.create(a=a, b=b, area_code=VILLAGE_A, reason="name_birth_village")


def test_decide_and_the_second_decision_conflicts(two_counties, make_user):
    first, second = make_user("village_cadre", VILLAGE_A), make_user("township_officer", TOWNSHIP_A)
    pair = _pending_pair()
    mine, theirs = DuplicateCandidate.objects.get(pk=pair.pk), DuplicateCandidate.objects.get(pk=pair.pk)
    actions.decide_duplicate(Actor(user=first), mine, same=True, note="同一人，重复录入")
    with pytest.raises(Conflict):
        actions.decide_duplicate(Actor(user=second), theirs, same=False)
    pair.refresh_from_db()
    assert (pair.status, pair.decided_by, pair.note) == ("same", first, "同一人，重复录入")
    assert AuditEvent.objects.filter(action="registry.duplicate.decide").count() == 1
    assert Member.objects.filter(active=True).count() == 2  # never merged


def test_duplicates_page_and_two_officers_deciding(two_counties, make_user, login):
    pair = _pending_pair()
    one, two = login(make_user("county_office", COUNTY_A)), login(make_user("township_officer", TOWNSHIP_A))
    page = one.get(reverse("registry:duplicates"))
    assert page.status_code == 200 and page.content.decode().count("王芳") >= 2
    assert two.get(reverse("registry:duplicates")).status_code == 200  # both see the pending pair
    url = reverse("registry:duplicate_decide", args=[pair.pk])
    ok = one.post(url, {"decision": "different", "note": "两人"}, follow=True)
    assert ok.status_code == 200 and "alert-success" in ok.content.decode()
    late = two.post(url, {"decision": "same"}, follow=True)
    text = late.content.decode()
    assert late.status_code == 200 and "alert-danger" in text
    pair.refresh_from_db()
    assert pair.status == "different"
    assert one.post(url, {"decision": "maybe"}).status_code == 302
    pair.refresh_from_db()
    assert pair.status == "different"


def test_duplicates_search_from_the_page(two_counties, make_user, login):
    _person("D1", VILLAGE_A, "王芳", dt.date(1980, 1, 1))
    _person("D2", VILLAGE_A, "王芳", dt.date(1980, 1, 1))
    client = login(make_user("county_office", COUNTY_A))
    response = client.post(reverse("registry:duplicates_find"), {"area_code": COUNTY_A})
    assert response.status_code == 302
    job = Job.objects.get(kind="registry.duplicates")
    assert job.status == Job.SUCCEEDED and job.result == {"pairs": {"name_birth_village": 1, "pinyin_one_char": 0}}
    assert DuplicateCandidate.objects.count() == 1
    client.post(reverse("registry:duplicates_find"), {"area_code": COUNTY_B})
    assert Job.objects.filter(kind="registry.duplicates").count() == 1  # not in the officer's area


def test_helpers_cannot_see_the_duplicates_queue(two_counties, make_user, login):
    client = login(make_user("helper", VILLAGE_A))
    assert client.get(reverse("registry:duplicates")).status_code == 403


@pytest.mark.usefixtures("english")
def test_the_rules_table_names_rules_by_their_message_not_their_code(two_counties, make_user, login):
    """The snake_case code is no column of the rules table: the message is the rule's name
    and the code is kept in a tooltip (and a data attribute)."""
    body = login(make_user("county_office", COUNTY_A)).get(reverse("registry:quality")).content.decode()
    table = body[body.index("The rules ("):]
    table = table[:table.index("</table>")]
    assert "<th>Code</th>" not in table and ">id_check_digit<" not in table
    assert 'title="Rule code: id_check_digit"' in table and 'data-rule="id_check_digit"' in table
