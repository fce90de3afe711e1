"""Exits (issue 6): the exit criteria as data and their set-based check, the exit
procedure exit_2016 from seed 003 (7/7/5-day notices, eight documents), the engine
refusing a household that fails an item, a full batch with an objection to
exited_policy, observation periods (seed 002's one year, the 四个不摘 transition
period) and closing them, and the return procedure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from fupin.areas.models import Area
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Forbidden, Invalid
from fupin.exits import actions, queries, rules
from fupin.exits.models import ExitCriteria, PolicyPeriod, ReturnCase
from fupin.identification import rules as identification_rules
from fupin.identification.models import Line
from fupin.procedures import actions as procedures
from fupin.procedures.models import ProcedureType, StepDocument
from fupin.registry import actions as registry
from fupin.registry.models import Household, Member, StatusChange
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A, VILLAGE_B
from tests.test_procedures import advance, do, id_number

D = dt.date
YEAR = 2019


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in their English originals."""
    with translation.override("en"):
        yield


def line(year: int, value, kind: str = "national", prefix: str = "") -> Line:
    obj, _created = Line.objects.update_or_create(
        kind=kind, area_prefix=prefix, year=year,
        defaults={"method": "fixed", "value": Decimal(value), "annual_value": Decimal(value), "per": "year",
                  "source": "test"})
    return obj


def household(village: str = VILLAGE_A, n: int = 1, *, status: str = "registered", size: int = 2,
              per_capita=None, year: int = YEAR, since: dt.date | None = None, **values) -> Household:
    h = registry.create_household(SYSTEM, status=status, status_date=since or D(2015, 3, 1), number=f"{village}8{n:04d}",
                                  area_code=village + "001", **values)
    registry.add_member(SYSTEM, h, name=f"户主{n}", id_number=id_number(village[:6], "19700101", n),
                        relation="01", medical_insurance=True)
    for k in range(1, size):
        registry.add_member(SYSTEM, h, name=f"成员{n}-{k}", id_number=id_number(village[:6], "19750101", n * 10 + k),
                            relation="02", medical_insurance=True)
    h.refresh_from_db()
    if per_capita is not None:
        income(h, per_capita, year)
    return h


def income(h: Household, per_capita, year: int = YEAR):
    """Income giving exactly ``per_capita`` yuan per person."""
    size = h.members.filter(active=True).count()
    return registry.save_income(SYSTEM, h, year, wages=Decimal(per_capita) * size)


def checked(h: Household, year: int = YEAR):
    return queries.household_check(Household.objects.get(pk=h.pk), year)


@pytest.fixture
def county(two_counties, make_user):
    return Actor(make_user("county_office", COUNTY_A))


@pytest.fixture
def lines(two_counties):
    for y, v in ((2017, 3335), (2018, 3535), (2019, 3747), (2020, 4000)):
        line(y, v)


# --- the data ------------------------------------------------------------------------------------

def test_shipped_exit_type_is_seed_003s_procedure(db):
    t = ProcedureType.objects.get(code="exit_2016")
    assert t.purpose == "exit"
    d = t.definition
    assert d["start"] == {"statuses": ["registered", "returned"], "permission": "procedures.village",
                          "checks": ["exits.criteria"]}
    steps = [(s["code"], s["kind"], s["level"]) for s in d["steps"]]
    assert steps == [("nomination", "task", "group"), ("appraisal", "appraisal", "village"),
                     ("verification", "task", "village"), ("village_notice", "notice", "village"),
                     ("township_review", "review", "township"), ("township_notice", "notice", "township"),
                     ("county_approval", "review", "county"), ("announcement", "notice", "county"),
                     ("filing", "task", "county")]
    notices = {s["code"]: s["days"] for s in d["steps"] if s["kind"] == "notice"}
    assert notices == {"village_notice": 7, "township_notice": 7, "announcement": 5}
    assert all("泗水县建档立卡贫困人口和省定重点村退出工作方案" in s["days_source"] for s in d["steps"] if s["kind"] == "notice")
    assert "公示期7天" in d["steps"][3]["days_source"] and "公告期5天" in d["steps"][7]["days_source"]
    assert d["steps"][7]["announcement"] is True
    assert [doc["code"] for doc in d["documents"]] == [
        "exit_application", "appraisal_minutes", "vote_tally", "village_notice", "township_report",
        "township_notice", "county_report", "county_announcement"]
    assert d["on_complete"] == {"hook": "registry.set_status", "params": {"status": "exited_policy"},
                                "source": d["on_complete"]["source"]}
    assert ProcedureType.objects.get(code="return_2016").purpose == "return"


def test_shipped_criteria_and_periods_name_their_sources(db):
    national = ExitCriteria.objects.get(area_prefix="", from_year=2014)
    assert [i["code"] for i in national.items] == list(rules.ITEMS)
    assert all(i["enabled"] and i["source"] for i in national.items)
    assert "稳定超过当年省定扶贫标准" in national.source
    assert ExitCriteria.objects.get(area_prefix="37").item("income")["params"]["line"] == "provincial"
    zj = PolicyPeriod.objects.get(area_prefix="33")
    assert zj.years == 1 and "一年的观察期" in zj.source
    transition = PolicyPeriod.objects.get(area_prefix="")
    assert transition.until == D(2025, 12, 31) and "四个不摘" in transition.source


def test_check_items_refuses_bad_data():
    with pytest.raises(ValueError, match="line"):
        rules.check_items([{"code": "income", "params": {"line": "moon"}, "source": "x"}])
    with pytest.raises(ValueError, match="source"):
        rules.check_items([{"code": "water", "enabled": True, "params": {}}])
    items = rules.check_items([{"code": "water", "params": {}, "source": "s"}])
    assert rules.check_items([])[0] == {"code": "income", "enabled": False, "params": {}, "source": ""}
    assert [i["code"] for i in items] == list(rules.ITEMS)
    assert [i["enabled"] for i in items] == [False, False, False, False, True]


# --- the check ------------------------------------------------------------------------------------

def test_one_yuan_below_the_line_fails_one_yuan_above_passes(lines):
    below = household(n=1, per_capita=3746)
    at = household(n=2, per_capita=3747)
    above = household(n=3, per_capita=3748)
    r = checked(below)
    assert not r.ok_income and not r.ok_all
    assert r.checks[0]["text"] == "2019: per-capita net income 3,746.00 yuan < line 3,747.00 yuan"
    assert not checked(at).ok_income  # “超过”: strictly above
    r = checked(above)
    assert r.ok_income and r.ok_all
    assert r.checks[0]["text"] == "2019: per-capita net income 3,748.00 yuan > line 3,747.00 yuan"


def test_items_fail_with_their_values(lines):
    h = household(n=1, per_capita=5000, danger_grade="D", water_safe=False)
    registry.add_member(SYSTEM, h, name="小明", id_number=id_number("360729", "20100305", 91), relation="03",
                        school_status="00", medical_insurance=False)
    r = checked(h)
    assert r.ok_income
    assert {e["code"]: e["ok"] for e in r.checks} == {"income": True, "housing": False, "school": False,
                                                     "medical_insurance": False, "water": False}
    texts = {e["code"]: e["text"] for e in r.checks}
    assert texts["housing"] == "dangerous-house grade D, not renovated"
    assert texts["school"] == "out of school: 小明"
    assert texts["medical_insurance"] == "1 member(s) without basic medical insurance"
    # Renovated: the house is safe; a child of 16 on 1 September is beyond the compulsory age.
    Household.objects.filter(pk=h.pk).update(renovated_year=2018, water_safe=True)
    Member.objects.filter(name="小明").update(birth_date=D(2003, 8, 31), medical_insurance=True)
    r = checked(h)
    assert r.ok_all, r.failed


def test_no_income_or_no_line_fails(lines):
    h = household(n=1)
    assert checked(h).checks[0]["text"] == "2019: no income recorded (line 3,747.00 yuan)"
    h2 = household(n=2, per_capita=9000, year=2030)
    assert not checked(h2, 2030).ok_income
    assert "no line set" in checked(h2, 2030).checks[0]["text"]


def test_a_county_variant_wins_and_asks_two_years(lines, county, make_user):
    admin = Actor(make_user("admin", None))
    national = ExitCriteria.objects.get(area_prefix="", from_year=2014)
    items = [dict(i) for i in national.items]
    items[0] = {**items[0], "params": {**items[0]["params"], "consecutive_years": 2}}
    with pytest.raises(Forbidden):  # a county cannot set another county's criteria
        actions.save_criteria(county, None, name="龙南", area_prefix="360783", from_year=2017, items=items,
                              source="test")
    variant = actions.save_criteria(county, None, name="全南县退出标准", area_prefix="360729", from_year=2017,
                                    items=items, source="全南县 test")
    assert AuditEvent.objects.filter(action="exits.criteria.create", object_id=str(variant.pk)).exists()
    with pytest.raises(Invalid, match="at least one item"):
        actions.save_criteria(county, None, name="空", area_prefix="360729", from_year=2030, items=[], source="x")
    h = household(n=1, per_capita=3748)
    income(h, 3500, 2018)  # 2018 line 3,535: below
    r = checked(h)
    assert r.x_criteria == variant.pk and not r.ok_income
    assert "2018: per-capita net income 3,500.00 yuan < line 3,535.00 yuan" in r.checks[0]["text"]
    income(h, 3536, 2018)
    assert checked(h).ok_income
    # Outside the county the national criteria apply (one year).
    other = household(VILLAGE_B, 2, per_capita=3748)
    assert checked(other).x_criteria == national.pk and checked(other).ok_all
    # The national criteria only by an administrator.
    with pytest.raises(Forbidden):
        actions.save_criteria(county, national, source="x")
    actions.save_criteria(admin, national, note="checked")


def test_household_standard_picks_the_line_and_the_most_specific_area_wins(lines):
    line(YEAR, 4680, kind="city", prefix="360729")
    h = household(n=1, per_capita=4000, standard="3")  # 市定标准
    r = checked(h)
    assert not r.ok_income and "line 4,680.00 yuan" in r.checks[0]["text"]
    line(YEAR, 3900, kind="city", prefix="360729100")  # a township line, more specific
    assert checked(h).ok_income


def test_set_based_area_check_filters_passing_households(lines, county):
    household(n=1, per_capita=3748)
    household(n=2, per_capita=3000)
    household(n=3, per_capita=3900, water_safe=False)
    household(VILLAGE_B, 4, per_capita=3748)
    qs = queries.checked_households(county.user, "360729", YEAR)
    assert qs.count() == 3
    assert [h.number[-1] for h in queries.checked_households(county.user, "360729", YEAR, result="pass")] == ["1"]
    assert queries.checked_households(county.user, "360729", YEAR, result="fail").count() == 2


# --- the engine refuses ------------------------------------------------------------------------------

def test_engine_refuses_a_household_that_fails_an_item(lines, county):
    ok = household(n=1, per_capita=4001, year=2020)
    poor = household(n=2, per_capita=3999, year=2020)
    village = Area.objects.get(code=VILLAGE_A)
    with clock.frozen(D(2020, 11, 2)):
        with pytest.raises(Invalid) as exc:
            actions.start_exit(county, village, [ok.pk, poor.pk])
        message = str(exc.value.message)
        assert poor.number in message and ok.number not in message
        assert "3,999.00 yuan < line 4,000.00 yuan" in message
        batch = actions.start_exit(county, village, [ok.pk])
    assert batch.members.count() == 1


def test_start_check_names_children_out_of_school_in_a_fixed_number_of_queries(lines):
    """``failing`` (the start check) and ``explain`` read the names of the children out of
    school for every row at once: one household costs as many queries as six (this was a
    query per household), and each household still names its own children."""
    def failing_household(n: int) -> Household:
        h = household(n=n, per_capita=5000)
        registry.add_member(SYSTEM, h, name=f"孩子{n}", id_number=id_number("360729", "20100305", 100 + n),
                            relation="03", school_status="00", medical_insurance=True)
        return h

    one, six = [failing_household(1)], [failing_household(n) for n in range(2, 8)]
    counts = []
    for households in (one, six):
        with CaptureQueriesContext(connection) as ctx:
            got = queries.failing([h.pk for h in households], "360729", YEAR)
        counts.append(len(ctx.captured_queries))
        for h in households:
            assert got[h.pk] == f"No child out of school: out of school: 孩子{h.number[-1]}"
    assert counts[0] == counts[1], counts


# --- a full batch --------------------------------------------------------------------------------------

@pytest.mark.parametrize("upheld", [True, False])
def test_full_exit_batch_with_an_objection_sets_exited_policy(lines, county, upheld):
    a = household(n=1, per_capita=4300, year=2020)
    b = household(n=2, per_capita=4500, year=2020)
    village = Area.objects.get(code=VILLAGE_A)
    with clock.frozen(D(2020, 11, 2)):
        batch = actions.start_exit(county, village, [a.pk, b.pk])
    day = advance(county, batch, until="village_notice", on=D(2020, 11, 2))
    do(county, batch, "publish", day)
    record = batch.records.get(code="village_notice")
    assert (record.started, record.started + dt.timedelta(days=6)) == (day, D(2020, 11, 11))
    member = batch.members.get(household=b)
    with clock.frozen(day + dt.timedelta(days=2)):
        objection = procedures.raise_objection(county, batch, member.pk, content="收入不实", objector_name="村民甲")
        procedures.resolve_objection(county, objection, upheld=upheld,
                                     text="经核实收入不实" if upheld else "经入户核实，收入属实")
    with clock.frozen(day + dt.timedelta(days=6)), pytest.raises(Invalid, match="can be closed from 2020-11-12"):
        procedures.act(county, batch, step="village_notice", action="close")
    end = advance(county, batch, on=day + dt.timedelta(days=7))
    batch.refresh_from_db()
    assert batch.status == "completed"
    a.refresh_from_db(), b.refresh_from_db()
    assert a.status == "exited_policy" and a.exit_year == 2020 and a.status_date == batch.completed_on
    assert b.status == ("registered" if upheld else "exited_policy")
    change = StatusChange.objects.get(household=a, status="exited_policy")
    assert change.source == f"procedure:{batch.pk}"
    docs = set(StepDocument.objects.filter(record__batch=batch).values_list("code", flat=True))
    assert docs == {"exit_application", "appraisal_minutes", "vote_tally", "village_notice", "township_report",
                    "township_notice", "county_report", "county_announcement"}
    # Notice lengths as shipped: 7, 7 and 5 days.
    spans = {r.code: (r.closed - r.started).days for r in batch.records.filter(code__in=[
        "village_notice", "township_notice", "announcement"])}
    assert spans == {"village_notice": 7, "township_notice": 7, "announcement": 5}
    assert end > batch.completed_on


# --- observation ---------------------------------------------------------------------------------------

def test_period_end_golden_dates():
    one_year = {"years": 1}
    assert rules.period_end(one_year, D(2019, 12, 20)) == D(2020, 12, 19)
    assert rules.period_end(one_year, D(2020, 2, 29)) == D(2021, 2, 28)
    assert rules.period_end(one_year, D(2019, 3, 1)) == D(2020, 2, 29)
    assert rules.period_end({"until": "2025-12-31"}, D(2017, 6, 1)) == D(2025, 12, 31)


def _exited(village, n, on: dt.date, **kw) -> Household:
    h = household(village, n, **kw)
    registry.set_status(SYSTEM, h, "exited_policy", on, reason="test")
    return h


@pytest.mark.parametrize(("exit_date", "until"), [(D(2019, 12, 20), D(2020, 12, 19)),
                                                  (D(2020, 2, 29), D(2021, 2, 28)),
                                                  (D(2019, 3, 1), D(2020, 2, 29))])
def test_in_observation_one_year_in_zhejiang(db, make_user, exit_date, until):
    from fupin.areas import actions as areas

    areas.load_divisions(SYSTEM, prefix="3301")
    areas._insert_levels([{"code": "330102001001", "name": "测试村"}, {"code": "330102001001001", "name": "一组"}],
                         source="test", valid_from=None)
    user = make_user("county_office", "330102000000")
    h = _exited("330102001001", 1, exit_date)
    on_last = queries.in_observation(user, "3301", until)
    assert [(x.pk, x.observation_until, x.exit_date) for x in on_last] == [(h.pk, until, exit_date)]
    assert not queries.in_observation(user, "3301", until + dt.timedelta(days=1)).exists()
    assert not queries.in_observation(user, "3301", exit_date - dt.timedelta(days=1)).exists()


def test_transition_period_and_closing(two_counties, county, make_user):
    a = _exited(VILLAGE_A, 1, D(2017, 12, 10))
    b = _exited(VILLAGE_A, 2, D(2020, 12, 1))
    _exited(VILLAGE_B, 3, D(2018, 12, 1))
    on = D(2025, 6, 1)
    rows = {h.pk: h.observation_until for h in queries.in_observation(county.user, "", on)}
    assert rows == {a.pk: D(2025, 12, 31), b.pk: D(2025, 12, 31)}  # county B's is not in scope
    # Returned in between: no longer in observation.
    registry.set_status(SYSTEM, b, "returned", D(2022, 3, 1), reason="因病")
    assert set(queries.in_observation(county.user, "360729", on).values_list("pk", flat=True)) == {a.pk}
    # … but it was on a date before the return.
    assert b.pk in set(queries.in_observation(county.user, "360729", D(2021, 6, 1)).values_list("pk", flat=True))
    with clock.frozen(D(2026, 1, 5)):
        assert actions.close_observation(county, "360729") == 1
    a.refresh_from_db()
    assert a.status == "exited" and a.status_date == D(2026, 1, 1)
    other = Household.objects.get(number=f"{VILLAGE_B}80003")
    assert other.status == "exited_policy"  # not in the county's scope
    with clock.frozen(D(2026, 1, 5)):
        call_command("close_observation", "--area", "360783")
    other.refresh_from_db()
    assert other.status == "exited" and other.status_date == D(2026, 1, 1)


# --- return to poverty ----------------------------------------------------------------------------------

def test_return_case_end_to_end(two_counties, county):
    h = _exited(VILLAGE_A, 1, D(2019, 12, 1))
    with clock.frozen(D(2021, 5, 3)):
        with pytest.raises(Invalid, match="reason"):
            actions.start_return(county, h, reason="", occurred_on=D(2021, 5, 1))
        case = actions.start_return(county, h, reason="户主重病住院", cause="01", occurred_on=D(2021, 4, 28))
    assert case.batch.type.code == "return_2016" and case.reason == "因病：户主重病住院"
    advance(county, case.batch, on=D(2021, 5, 3))
    case.refresh_from_db(), h.refresh_from_db()
    assert case.status == ReturnCase.DONE and case.completed_on == case.batch.completed_on
    assert h.status == "returned" and h.return_reason == "因病：户主重病住院" and h.return_year == 2021
    assert h.status_date == case.completed_on
    # A registered household cannot start a return.
    other = household(n=2)
    with clock.frozen(D(2021, 5, 3)), pytest.raises(Invalid):
        actions.start_return(county, other, reason="x", occurred_on=D(2021, 5, 1))


# --- how the reads are written ------------------------------------------------------------------------------

def test_area_conditions_are_ranges_never_like(lines, county):
    """docs/decisions.md: scoping as a range ('360729' <= area_code < '360730'), not LIKE — in
    the check's choice of criteria, the policy period's choice of area and the return cases."""
    actions.save_criteria(SYSTEM, None, name="全南县", area_prefix="360729", from_year=2017, source="test",
                          items=[{"code": "water", "params": {}, "source": "s"}])
    h = household(n=1, per_capita=3748)
    sql = [str(queries.check(Household.objects.all(), "360729", YEAR).query),
           str(queries.with_period(Household.objects.all(), D(2024, 1, 1)).query)]  # shipped: '' and '33'
    assert all("LIKE" not in s.upper() for s in sql), sql
    # … and they still choose the same rows: the county's variant (water only) governs h.
    assert checked(h).x_criteria == ExitCriteria.objects.get(area_prefix="360729").pk


def test_return_cases_of_an_area(two_counties, county, login):
    h = _exited(VILLAGE_A, 1, D(2019, 12, 1))
    with clock.frozen(D(2021, 5, 3)):
        case = actions.start_return(county, h, reason="因病", occurred_on=D(2021, 5, 1))
    assert list(queries.return_cases(county.user, area_prefix=VILLAGE_A[:9])) == [case]
    assert list(queries.return_cases(county.user, area_prefix="360729101")) == []  # another township
    assert list(queries.return_cases(county.user, area_prefix="360783")) == []  # outside the scope
    assert "LIKE" not in str(queries.return_cases(county.user, area_prefix=VILLAGE_A[:9]).query).upper()
    r = login(county.user).get("/exits/returns/", {"area": VILLAGE_A[:9] + "000"})
    assert r.status_code == 200 and h.number in r.content.decode()
    r = login(county.user).get("/exits/returns/", {"area": "360729101000"})
    assert r.status_code == 200 and h.number not in r.content.decode()


def test_closing_reads_the_distinct_end_dates_in_sql(two_counties, county):
    """The end dates are found by one SELECT DISTINCT, not by fetching every due household
    (after the transition period, a province's exited households are all due at once)."""
    for n in range(1, 4):
        _exited(VILLAGE_A, n, D(2017, 12, 10 + n))
    with clock.frozen(D(2026, 1, 5)), CaptureQueriesContext(connection) as ctx:
        assert actions.close_observation(county, "360729") == 3
    # the read of the end dates selects the period's CASE expression (policy periods are data)
    dates = [q["sql"].upper() for q in ctx.captured_queries
             if q["sql"].upper().startswith(("SELECT CASE", "SELECT DISTINCT CASE"))]
    assert len(dates) == 1 and dates[0].startswith("SELECT DISTINCT"), dates


def test_one_table_of_standard_to_line_kind():
    """The household's standard picks the kind of line as identification says (one table)."""
    assert rules.STANDARD_KIND is identification_rules.STANDARD_KIND


@pytest.mark.parametrize(("renovated", "safe", "text"), [
    (YEAR - 1, True, f"dangerous-house grade C, renovated in {YEAR - 1}"),
    (YEAR, True, f"dangerous-house grade C, renovated in {YEAR}"),
    (YEAR + 1, False, f"dangerous-house grade C, renovated only in {YEAR + 1}"),  # not by the exit year
])
def test_a_renovation_counts_when_it_was_done_by_the_exit_year(lines, renovated, safe, text):
    """As identification reads the housing criterion: renovated by the year is safe."""
    h = household(n=1, per_capita=5000, danger_grade="C", renovated_year=renovated)
    entry = next(e for e in checked(h).checks if e["code"] == "housing")
    assert (entry["ok"], entry["text"]) == (safe, text)


@pytest.mark.parametrize("value", ["false", "yes", 0, None])
def test_renovated_passes_is_a_json_boolean(value):
    """A string typed in the JSON ("false") was taken for true."""
    items = [{"code": "housing", "params": {"grades": ["C", "D"], "renovated_passes": value}, "source": "s"}]
    with pytest.raises(ValueError, match="renovated_passes"):
        rules.check_items(items)
