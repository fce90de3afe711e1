"""Standards and eligibility rules (issue 4): golden numbers from the documents, the
浙江 formula, the line that applies, the set-based rule run (each guarantee, each veto
on and off), what-if simulations, permissions and the pages and API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from fupin.areas.models import Area
from fupin.audit.models import AuditEvent
from fupin.core.actor import Actor
from fupin.core.errors import Forbidden, Invalid
from fupin.identification import actions, engine, queries, rules
from fupin.identification.models import Criterion, Line, MemberFact, RuleOutcome, RuleRun, RuleSet
from fupin.jobs.models import Job
from fupin.registry.models import Household, Income, Member
from tests.conftest import COUNTY_A, SYSTEM, TOWNSHIP_A, VILLAGE_A

YEAR = 2016
NATIONAL_2016 = Decimal("2952")


# --- helpers ---------------------------------------------------------------------------

def make_household(number, per_capita=None, *, year=YEAR, area=VILLAGE_A, status="registered", standard="1",
                   members=(), **fields):
    village = Area.objects.get(code=area[:12], valid_to__isnull=True)
    h = Household.objects.create(number=number, area_code=area, village=village, status=status, standard=standard,
                                 head_name=f"户主{number}", **fields)
    Member.objects.create(household=h, area_code=area, name=f"户主{number}", sex="1", relation="01",
                          birth_date=dt.date(1970, 1, 1), medical_insurance=True)
    for m in members:
        Member.objects.create(household=h, area_code=area, sex="2", relation="04", **m)
    if per_capita is not None:
        Income.objects.create(household=h, area_code=area, year=year, household_size=1 + len(members),
                              per_capita=Decimal(str(per_capita)))
    return h


def outcome(run, h) -> RuleOutcome:
    return RuleOutcome.objects.get(run=run, household=h)


def fact(h, kind, **kw):
    return actions.add_fact(SYSTEM, h, kind=kind, **kw)


def local_rules(prefix=COUNTY_A[:6], *, on=(), off=(), year=2014, **params_by_code):
    """A county rule set copied from the national one, with some criteria switched."""
    base = queries.ruleset_for(prefix.ljust(12, "0"), year)
    rs = actions.save_ruleset(SYSTEM, None, copy_from=base, name="全南县 local", area_prefix=prefix, from_year=year,
                              combine=base.combine, statuses=base.statuses, source="test document")
    for code in on:
        actions.save_criterion(SYSTEM, rs, rs.criteria.get(code=code), enabled=True,
                               **({"params": params_by_code[code]} if code in params_by_code else {}))
    for code in off:
        actions.save_criterion(SYSTEM, rs, rs.criteria.get(code=code), enabled=False)
    rs.refresh_from_db()
    return rs


# --- golden numbers --------------------------------------------------------------------

@pytest.mark.django_db
def test_national_lines_2010_to_2016_are_the_documents_numbers():
    lines = {ln.year: ln for ln in Line.objects.filter(kind="national", area_prefix="")}
    assert {y: ln.annual_value for y, ln in lines.items()} == {
        2010: Decimal("2300"), 2011: Decimal("2536"), 2012: Decimal("2625"), 2013: Decimal("2736"),
        2014: Decimal("2800"), 2015: Decimal("2855"), 2016: Decimal("2952")}
    assert all(ln.source and not ln.is_example for ln in lines.values())
    assert "2010" in lines[2010].name and "2300" in lines[2010].source


@pytest.mark.django_db
def test_shipped_rule_sets_have_sources_and_the_guangxi_eight_vetoes():
    national = RuleSet.objects.get(area_prefix="")
    assert not national.criteria.filter(group="veto", enabled=True).exists()
    assert national.criteria.filter(group="guarantee", enabled=True).count() == 4
    guangxi = RuleSet.objects.get(area_prefix="45")
    assert "《核实建档立卡贫困人口工作方案》" in guangxi.source and "八个" in guangxi.source
    assert guangxi.criteria.filter(group="veto", enabled=True).count() == 8
    assert all(c.source for c in Criterion.objects.all())


def test_zhejiang_formula_dibao_term_wins():
    formula = {"combine": "max", "terms": [{"kind": "dibao", "factor": "1.5", "year_offset": -1},
                                           {"kind": "rural_income", "factor": "0.40", "year_offset": -1}]}
    comp = rules.evaluate(formula, [{"value": Decimal("8000")}, {"value": Decimal("27000")}], 2018)
    assert comp["value"] == "12000.00"
    assert [t["product"] for t in comp["terms"]] == ["12000.00", "10800.00"]
    assert [t["year"] for t in comp["terms"]] == [2017, 2017]


def test_zhejiang_formula_income_term_wins_and_missing_input():
    formula = {"combine": "max", "terms": [{"kind": "dibao", "factor": "1.5", "year_offset": -1},
                                           {"kind": "rural_income", "factor": "0.40", "year_offset": -1}]}
    assert rules.evaluate(formula, [{"value": Decimal("6000")}, {"value": Decimal("30000")}], 2018)["value"] \
        == "12000.00"
    assert rules.evaluate(formula, [{"value": Decimal("7000")}, {"value": Decimal("33000")}], 2018)["value"] \
        == "13200.00"
    missing = rules.evaluate(formula, [{"value": Decimal("7000")}, None], 2018)
    assert missing["value"] is None and missing["missing"]


def test_formula_validation():
    with pytest.raises(ValueError):
        rules.check_formula({"combine": "avg", "terms": [{"kind": "dibao", "factor": "1"}]})
    with pytest.raises(ValueError):
        rules.check_formula({"combine": "max", "terms": [{"kind": "nope", "factor": "1"}]})
    with pytest.raises(ValueError):
        rules.check_formula({"combine": "max", "terms": [{"kind": "dibao", "factor": "-1"}]})
    with pytest.raises(ValueError):
        rules.check_formula({"combine": "max", "terms": []})


@pytest.mark.django_db
def test_zhejiang_derived_line_is_computed_recomputed_and_audited():
    county = "330921"
    actions.save_line(SYSTEM, None, kind="dibao", area_prefix=county, year=2017, value=Decimal("8000"),
                      source="县民政局 2017")
    income = actions.save_line(SYSTEM, None, kind="rural_income", area_prefix=county, year=2017,
                               value=Decimal("27000"), source="县统计局 2017")
    preset = {"combine": "max", "terms": [{"kind": "dibao", "factor": "1.5", "year_offset": -1},
                                          {"kind": "rural_income", "factor": "0.40", "year_offset": -1}]}
    line = actions.save_line(SYSTEM, None, kind="provincial", area_prefix=county, year=2018, method="derived",
                             formula=preset, source="seed 002")
    assert line.annual_value == Decimal("12000.00") and line.value is None
    text = rules.describe_computation(line.computation)
    assert "12,000.00" in text and "10,800.00" in text and text.startswith("max(")
    # The income term overtakes: 0.40 × 31,000 = 12,400 > 12,000.
    actions.save_line(SYSTEM, income, kind="rural_income", value=Decimal("31000"), version=income.version)
    line.refresh_from_db()
    assert line.annual_value == Decimal("12400.00")
    assert AuditEvent.objects.filter(action="identification.line.recompute", object_id=str(line.pk)).exists()


@pytest.mark.django_db
def test_derived_line_reads_inputs_from_the_area_above():
    actions.save_line(SYSTEM, None, kind="dibao", area_prefix="3309", year=2017, value=Decimal("600"), per="month",
                      source="市 2017")
    actions.save_line(SYSTEM, None, kind="rural_income", area_prefix="33", year=2017, value=Decimal("20000"),
                      source="省 2017")
    line = actions.save_line(SYSTEM, None, kind="provincial", area_prefix="330921", year=2018, method="derived",
                             formula={"combine": "max", "terms": [
                                 {"kind": "dibao", "factor": "1.5", "year_offset": -1},
                                 {"kind": "rural_income", "factor": "0.40", "year_offset": -1}]},
                             source="seed 002")
    # 600 a month = 7,200 a year; × 1.5 = 10,800 > 0.40 × 20,000 = 8,000.
    assert line.annual_value == Decimal("10800.00")
    assert line.computation["terms"][0]["input_area"] == "3309"


@pytest.mark.django_db
def test_line_validation():
    with pytest.raises(Invalid):
        actions.save_line(SYSTEM, None, kind="national", area_prefix="", year=2016, value=Decimal("1"), source="x")
    with pytest.raises(Invalid):
        actions.save_line(SYSTEM, None, kind="dibao", area_prefix="3607291", year=2016, value=Decimal("1"),
                          source="x")
    with pytest.raises(Invalid):
        actions.save_line(SYSTEM, None, kind="dibao", area_prefix="360729", year=2016, value=Decimal("1"), source="")
    with pytest.raises(Invalid):
        actions.save_line(SYSTEM, None, kind="dibao", area_prefix="360729", year=2016, value=None, source="x")


# --- permissions -------------------------------------------------------------------------

@pytest.mark.django_db
def test_county_office_edits_its_county_lines_only(two_counties, make_user):
    office = Actor(user=make_user("county_office", COUNTY_A))
    own = actions.save_line(office, None, kind="dibao", area_prefix="360729", year=2016, value=Decimal("3600"),
                            source="全南县民政局")
    assert own.pk
    with pytest.raises(Forbidden):
        actions.save_line(office, None, kind="provincial", area_prefix="36", year=2016, value=Decimal("3000"),
                          source="省")
    with pytest.raises(Forbidden):
        actions.save_line(office, None, kind="dibao", area_prefix="360783", year=2016, value=Decimal("3600"),
                          source="龙南")
    national = Line.objects.get(kind="national", year=2016)
    with pytest.raises(Forbidden):
        actions.save_line(office, national, value=Decimal("1"), version=national.version)
    township = Actor(user=make_user("township_officer", TOWNSHIP_A))
    with pytest.raises(Forbidden):
        actions.save_line(township, None, kind="dibao", area_prefix="360729100", year=2016, value=Decimal("1"),
                          source="x")


@pytest.mark.django_db
def test_two_edits_of_one_line_conflict():
    line = Line.objects.get(kind="national", year=2016)
    actions.save_line(SYSTEM, line, note="first", version=line.version)
    from fupin.core.errors import Conflict

    with pytest.raises(Conflict):
        actions.save_line(SYSTEM, line, note="second", version=line.version)


# --- the run: income -------------------------------------------------------------------

@pytest.mark.django_db
def test_one_yuan_below_and_above_the_line(two_counties):
    below = make_household("B1", NATIONAL_2016 - 1)
    at = make_household("B2", NATIONAL_2016)
    above = make_household("B3", NATIONAL_2016 + 1)
    none = make_household("B4", None)
    run = engine.run_rules(COUNTY_A[:6], YEAR)
    assert run.status == RuleRun.DONE and run.households == 4
    assert outcome(run, below).eligible and outcome(run, below).income_below
    assert not outcome(run, at).eligible and outcome(run, at).income_below is False
    assert not outcome(run, above).eligible
    assert outcome(run, none).income_below is None and not outcome(run, none).eligible
    assert outcome(run, below).line_value == NATIONAL_2016
    assert not outcome(run, below).flagged and outcome(run, above).flagged


@pytest.mark.django_db
def test_the_most_specific_line_of_the_households_standard_applies(two_counties):
    actions.save_line(SYSTEM, None, kind="provincial", area_prefix="36", year=YEAR, value=Decimal("3000"), source="省")
    actions.save_line(SYSTEM, None, kind="provincial", area_prefix="360729", year=YEAR, value=Decimal("3500"),
                      source="县")
    prov = make_household("P1", 3400, standard="2")
    nat = make_household("P2", 3400, standard="1")
    city = make_household("P3", 100, standard="3")
    run = engine.run_rules(COUNTY_A[:6], YEAR)
    assert outcome(run, prov).line_value == Decimal("3500") and outcome(run, prov).eligible
    assert outcome(run, nat).line_value == NATIONAL_2016 and not outcome(run, nat).eligible
    assert outcome(run, city).line_value is None and not outcome(run, city).eligible
    rows = queries.line_book("360729100201", range(YEAR, YEAR + 1))
    assert rows.find("provincial", YEAR, "360729100201")["value"] == Decimal("3500")
    # The household page says the same, in one sentence.
    from fupin.identification.present import household_lines

    this_year = next(r for r in household_lines(prov) if r["year"] == YEAR)
    assert this_year["line"]["value"] == Decimal("3500") and "3,500.00" in this_year["sentence"]
    city_year = next(r for r in household_lines(city) if r["year"] == YEAR)
    assert city_year["line"] is None


# --- the run: guarantees ----------------------------------------------------------------

@pytest.mark.django_db
def test_each_basic_guarantee(two_counties):
    rich = NATIONAL_2016 * 3
    ok = make_household("G0", rich)
    housing = make_household("G1", rich, danger_grade="C")
    housing_b = make_household("G1b", rich, danger_grade="B")
    water = make_household("G2", rich, water_safe=False)
    school = make_household("G3", rich, members=[{"name": "学龄童", "birth_date": dt.date(YEAR - 10, 3, 1),
                                                  "school_status": "00", "medical_insurance": True}])
    in_school = make_household("G3b", rich, members=[{"name": "学生", "birth_date": dt.date(YEAR - 10, 3, 1),
                                                      "school_status": "05", "medical_insurance": True}])
    too_old = make_household("G3c", rich, members=[{"name": "青年", "birth_date": dt.date(YEAR - 17, 3, 1),
                                                    "school_status": "00", "medical_insurance": True}])
    medical = make_household("G4", rich, members=[{"name": "无医保", "birth_date": dt.date(1990, 1, 1),
                                                   "medical_insurance": False}])
    run = engine.run_rules(COUNTY_A[:6], YEAR)
    assert outcome(run, ok).guarantees == "" and not outcome(run, ok).eligible
    assert outcome(run, housing).guarantees == "housing_unsafe," and outcome(run, housing).eligible
    assert not outcome(run, housing_b).eligible
    assert outcome(run, water).guarantees == "water_unsafe,"
    assert outcome(run, school).guarantees == "school_dropout,"
    assert outcome(run, in_school).guarantees == "" and outcome(run, too_old).guarantees == ""
    assert outcome(run, medical).guarantees == "no_medical_insurance,"


@pytest.mark.django_db
def test_a_dangerous_house_renovated_by_the_year_is_safe_as_in_the_exit_check(two_counties):
    """A C/D house renovated in or before the run's year passes housing, as in the exit check
    (exits: renovated_passes); one renovated later was not safe that year; a rule set may
    switch renovation off (renovated_passes false)."""
    rich = NATIONAL_2016 * 3
    before = make_household("R1", rich, danger_grade="C", renovated_year=YEAR - 1)
    same = make_household("R2", rich, danger_grade="D", renovated_year=YEAR)
    later = make_household("R3", rich, danger_grade="C", renovated_year=YEAR + 1)
    run = engine.run_rules(COUNTY_A[:6], YEAR)
    assert outcome(run, before).guarantees == "" and outcome(run, same).guarantees == ""
    assert outcome(run, later).guarantees == "housing_unsafe,"
    local_rules(on=["housing_unsafe"], housing_unsafe={"grades": ["C", "D"], "renovated_passes": False})
    run = engine.run_rules(COUNTY_A[:6], YEAR)
    assert {outcome(run, h).guarantees for h in (before, same, later)} == {"housing_unsafe,"}


@pytest.mark.django_db
def test_income_only_rule_set_ignores_guarantees(two_counties):
    rs = local_rules()
    actions.save_ruleset(SYSTEM, rs, combine="income", version=rs.version)
    h = make_household("I1", NATIONAL_2016 * 3, danger_grade="D")
    run = engine.run_rules(COUNTY_A[:6], YEAR)
    assert outcome(run, h).guarantees == "housing_unsafe," and not outcome(run, h).eligible


# --- the run: vetoes ---------------------------------------------------------------------

VETO_CODES = [c for c, d in rules.CRITERIA.items() if d.group == "veto"]


@pytest.mark.django_db
@pytest.mark.parametrize("code", VETO_CODES)
def test_each_veto_on_and_off(two_counties, code):
    h = make_household("V1", NATIONAL_2016 - 500)
    f = fact(h, rules.CRITERIA[code].params["fact_kinds"][0], value=Decimal("200000"))
    off = engine.run_rules(COUNTY_A[:6], YEAR)
    assert outcome(off, h).eligible and outcome(off, h).vetoes == ""
    local_rules(on=[code])
    on = engine.run_rules(COUNTY_A[:6], YEAR)
    assert not outcome(on, h).eligible and outcome(on, h).flagged
    assert outcome(on, h).vetoes == f"{code}:{f.pk},"


@pytest.mark.django_db
def test_car_amount_is_data(two_counties):
    cheap = make_household("C1", 1000)
    dear = make_household("C2", 1000)
    fact(cheap, "car", value=Decimal("50000"))
    fact(dear, "car", value=Decimal("150000"))
    local_rules(on=["car"], car={"fact_kinds": ["car"], "min_value": "100000"})
    run = engine.run_rules(COUNTY_A[:6], YEAR)
    assert outcome(run, cheap).eligible and not outcome(run, dear).eligible


@pytest.mark.django_db
def test_relatives_outside_the_household(two_counties):
    a = make_household("R1", 1000)
    b = make_household("R2", 1000)
    fact(a, "public_employee", relation="parent", person_name="父亲")
    fact(b, "village_cadre", relation="child", person_name="儿子")
    local_rules(on=["public_employee", "village_cadre"])
    run = engine.run_rules(COUNTY_A[:6], YEAR)
    assert not outcome(run, a).eligible  # public_employee reaches parents, spouse and children
    assert outcome(run, b).eligible  # village_cadre: members of the household only


@pytest.mark.django_db
def test_fact_status_and_the_cut_off(two_counties):
    local_rules(on=["car"])
    actions.save_cutoff(SYSTEM, None, area_prefix=COUNTY_A[:6], date=dt.date(2015, 10, 26), source="test document")
    households = {name: make_household(name, 1000) for name in ("pending", "confirmed", "kept", "error", "before",
                                                                "on", "after")}
    for name in ("pending", "confirmed", "kept", "error"):
        f = fact(households[name], "car")
        if name != "pending":
            actions.decide_fact(SYSTEM, f, status=name, reason="家庭确实困难" if name in ("kept", "error") else "")
    fact(households["before"], "car", as_of=dt.date(2015, 10, 25))
    fact(households["on"], "car", as_of=dt.date(2015, 10, 26))
    fact(households["after"], "car", as_of=dt.date(2015, 10, 27))
    run = engine.run_rules(COUNTY_A[:6], YEAR)
    eligible = {name: outcome(run, h).eligible for name, h in households.items()}
    assert eligible == {"pending": False, "confirmed": False, "kept": True, "error": True, "before": False,
                        "on": False, "after": True}


@pytest.mark.django_db
def test_the_most_specific_cut_off_applies_to_the_vetoes(two_counties):
    """One cut-off model (identification.CutoffDate): a fact dated after the cut-off of
    the household's own area never vetoes; the most specific area wins."""
    local_rules(on=["car"])
    actions.save_cutoff(SYSTEM, None, area_prefix="36", date=dt.date(2015, 10, 26), source="test: province")
    before_county = make_household("C1", 1000)
    fact(before_county, "car", as_of=dt.date(2016, 3, 1))  # after the province's, before the county's
    run = engine.run_rules(COUNTY_A[:6], YEAR)
    assert outcome(run, before_county).eligible
    assert run.used["cutoffs"] == [{"area_prefix": "36", "date": "2015-10-26"}]
    actions.save_cutoff(SYSTEM, None, area_prefix=COUNTY_A[:6], date=dt.date(2016, 10, 1), source="test: county")
    run = engine.run_rules(COUNTY_A[:6], YEAR)
    assert not outcome(run, before_county).eligible
    assert queries.applicable_cutoff(VILLAGE_A).area_prefix == COUNTY_A[:6]


@pytest.mark.django_db
def test_cut_offs_are_read_for_the_area_only_in_one_filtered_query(two_counties):
    """The cut-offs that apply are selected by SQL on the area's prefixes (the whole
    table is never read into Python): above, own and inside; never a sibling's."""
    for prefix, day in (("36", 1), (COUNTY_A[:6], 2), (VILLAGE_A, 3), ("360783", 4), ("3607", 5)):
        actions.save_cutoff(SYSTEM, None, area_prefix=prefix, date=dt.date(2015, 10, day), source="test")
    with CaptureQueriesContext(connection) as ctx:
        rows = queries.cutoff_rows(COUNTY_A[:6])
        best = queries.applicable_cutoff(TOWNSHIP_A)
    assert rows == [(VILLAGE_A, dt.date(2015, 10, 3)), (COUNTY_A[:6], dt.date(2015, 10, 2)),
                    ("3607", dt.date(2015, 10, 5)), ("36", dt.date(2015, 10, 1))]
    assert best.area_prefix == COUNTY_A[:6]
    assert queries.applicable_cutoff(VILLAGE_A).date == dt.date(2015, 10, 3)
    assert queries.applicable_cutoff("450100000000").area_prefix == "45"  # shipped (seed 003)
    assert queries.applicable_cutoff("110000000000") is None and queries.applicable_cutoff("") is None
    assert len(ctx.captured_queries) == 2
    assert all(" WHERE " in q["sql"] for q in ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


@pytest.mark.django_db
def test_keeping_a_fact_needs_a_reason(two_counties):
    f = fact(make_household("K1", 1000), "car")
    with pytest.raises(Invalid):
        actions.decide_fact(SYSTEM, f, status="kept", reason=" ")


@pytest.mark.django_db
def test_comparison_hit_is_written_once(two_counties):
    h = make_household("H1", 1000)
    fact(h, "car", source="comparison:17")
    with pytest.raises(Invalid):
        fact(h, "car", source="comparison:17")
    fact(h, "car")
    fact(h, "car")  # manual facts may repeat


# --- the run: shape -----------------------------------------------------------------------

@pytest.mark.django_db
def test_run_is_a_few_statements_whatever_the_number_of_households(two_counties):
    for i in range(30):
        make_household(f"S{i}", 2000 + i * 50)
    run = actions.create_run(SYSTEM, COUNTY_A, YEAR)
    with CaptureQueriesContext(connection) as ctx:
        engine.execute(run)
    inserts = [q for q in ctx.captured_queries if q["sql"].lstrip().startswith("INSERT INTO identification_ruleoutcome")]
    assert len(inserts) == 1  # a small area: one statement
    assert len(ctx.captured_queries) < 25
    assert RuleOutcome.objects.filter(run=run).count() == 30


@pytest.mark.django_db
def test_a_more_specific_rule_set_governs_its_area_without_duplicates(two_counties):
    other_village = "360729100202"
    from fupin.areas import actions as areas

    areas._insert_levels([{"code": other_village, "name": "新村"}], source="test", valid_from=None)
    a = make_household("M1", 1000)
    b = make_household("M2", 1000, area=other_village)
    fact(a, "car")
    fact(b, "car")
    local_rules(prefix=other_village, on=["car"])
    run = engine.run_rules(COUNTY_A[:6], YEAR)
    assert RuleOutcome.objects.filter(run=run).count() == 2
    assert outcome(run, a).eligible and not outcome(run, b).eligible
    assert outcome(run, b).ruleset.area_prefix == other_village


@pytest.mark.django_db
def test_run_over_a_city_cuts_it_into_counties(two_counties):
    make_household("X1", 1000)
    from tests.conftest import VILLAGE_B

    make_household("X2", 1000, area=VILLAGE_B)
    run = engine.run_rules("3607", YEAR)
    assert run.households == 2 and run.eligible == 2


# --- what-if ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_what_if_line_change_moves_exactly_the_expected_households(two_counties):
    incomes = {"W1": 2900, "W2": 3000, "W3": 3100, "W4": 3300}
    hs = {n: make_household(n, v) for n, v in incomes.items()}
    real = engine.run_rules(COUNTY_A[:6], YEAR)
    assert {n for n, h in hs.items() if outcome(real, h).eligible} == {"W1"}
    sim = engine.run_rules(COUNTY_A[:6], YEAR, changes={"lines": [
        {"kind": "national", "area_prefix": "", "value": "3200"}]})
    assert sim.kind == RuleRun.SIMULATION and sim.based_on_id == real.pk
    assert {n for n, h in hs.items() if outcome(sim, h).eligible} == {"W1", "W2", "W3"}
    assert sim.changed == 2
    assert sim.summary["by_village"] == [{"village": VILLAGE_A, "to_eligible": 2, "to_not_eligible": 0}]
    # Nothing applied: the line and the households are as they were.
    assert Line.objects.get(kind="national", year=YEAR).annual_value == NATIONAL_2016
    assert Household.objects.filter(status="registered").count() == 4


@pytest.mark.django_db
def test_what_if_switching_a_veto(two_counties):
    h = make_household("WV", 1000)
    fact(h, "business")
    local_rules(on=["business"])
    real = engine.run_rules(COUNTY_A[:6], YEAR)
    assert not outcome(real, h).eligible
    sim = engine.run_rules(COUNTY_A[:6], YEAR, changes={"criteria": [{"code": "business", "enabled": False}]})
    assert outcome(sim, h).eligible and sim.changed == 1
    assert sim.summary["by_village"][0]["to_eligible"] == 1
    assert RuleSet.objects.get(area_prefix="360729").criteria.get(code="business").enabled


@pytest.mark.django_db
def test_what_if_of_a_derived_input_recomputes_the_derived_line(two_counties):
    for kind, value in (("dibao", "2000"), ("rural_income", "8000")):
        actions.save_line(SYSTEM, None, kind=kind, area_prefix="360729", year=YEAR - 1, value=Decimal(value),
                          source="test")
    actions.save_line(SYSTEM, None, kind="provincial", area_prefix="360729", year=YEAR, method="derived",
                      formula={"combine": "max", "terms": [{"kind": "dibao", "factor": "1.5", "year_offset": -1},
                                                           {"kind": "rural_income", "factor": "0.40",
                                                            "year_offset": -1}]}, source="seed 002")
    h = make_household("D1", 3100, standard="2")  # line = max(3,000, 3,200) = 3,200
    real = engine.run_rules(COUNTY_A[:6], YEAR)
    assert outcome(real, h).line_value == Decimal("3200") and outcome(real, h).eligible
    # 低保 of last year is not in the run's year: a what-if of the run year's line only.
    sim = engine.run_rules(COUNTY_A[:6], YEAR, changes={"lines": [
        {"kind": "provincial", "area_prefix": "360729", "value": "3000"}]})
    assert not outcome(sim, h).eligible and sim.changed == 1


# --- the sentence ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_one_sentence_why(two_counties, make_user):
    from fupin.identification.present import explain_outcomes

    user = make_user("county_office", COUNTY_A)
    poor = make_household("E1", 2951)
    vetoed = make_household("E2", 1000)
    rich = make_household("E3", 9000)
    car = fact(vetoed, "car", value=Decimal("150000"), as_of=dt.date(2016, 5, 1))
    local_rules(on=["car"])
    run = engine.run_rules(COUNTY_A[:6], YEAR)
    with translation.override("en"):
        sentences = dict((o.household_id, s) for o, s in explain_outcomes(user, run, list(
            RuleOutcome.objects.filter(run=run))))
    assert sentences[poor.pk] == ("Eligible: per-capita net income of 2,951.00 yuan in 2016 is below the National "
                                  "poverty line of 2,952.00 yuan.")
    assert sentences[vetoed.pk].startswith("Not eligible: vetoed because of a car worth more than the stated amount")
    assert "150,000.00 yuan" in sentences[vetoed.pk] and "2016-05-01" in sentences[vetoed.pk]
    assert "not verified yet" in sentences[vetoed.pk]
    assert sentences[rich.pk] == ("Not eligible: per-capita net income of 9,000.00 yuan in 2016 is not below the "
                                  "National poverty line of 2,952.00 yuan, and the basic guarantees are met.")
    actions.decide_fact(SYSTEM, car, status="confirmed")


def test_eligible_rule_matches_the_sql_decision_table():
    assert rules.eligible("or", True, False, False) and rules.eligible("or", None, True, False)
    assert not rules.eligible("or", True, True, True)
    assert not rules.eligible("and", True, False, False) and rules.eligible("and", True, True, False)
    assert rules.eligible("income", True, True, False) and not rules.eligible("income", False, True, False)
    assert rules.eligible("guarantees", False, True, False)


def test_prefixes():
    assert rules.prefix_of_code("360729000000") == "360729"
    assert rules.prefix_of_code("360000000000") == "36"
    assert rules.prefix_of_code("360729100201") == "360729100201"
    assert rules.ancestors("360729") == ["", "36", "3607", "360729"]
    assert rules.check_prefix("3607291") and rules.check_prefix("") is None


# --- the job, the pages and the API ---------------------------------------------------------

@pytest.mark.django_db
def test_run_as_a_job_with_progress(two_counties, make_user, login):
    make_household("J1", 1000)
    user = make_user("county_office", COUNTY_A)
    client = login(user)
    response = client.post(reverse("identification:run_start"), {"area": COUNTY_A, "year": YEAR})
    run = RuleRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("identification:run", args=[run.pk])
    assert run.status == RuleRun.DONE and run.job.status == Job.SUCCEEDED and run.job.percent == 100
    assert AuditEvent.objects.filter(action="identification.run.done", object_id=str(run.pk)).exists()
    page = client.get(reverse("identification:run", args=[run.pk]))
    assert page.status_code == 200
    partial = client.get(reverse("identification:run", args=[run.pk]), headers={"HX-Request": "true"})
    assert b"run-status" in partial.content


@pytest.mark.django_db
def test_pages_for_a_county_office(two_counties, make_user, login):
    h = make_household("PG1", 1000)
    fact(h, "business")
    local_rules(on=["business"])
    user = make_user("county_office", COUNTY_A)
    client = login(user)
    run = engine.run_rules(COUNTY_A[:6], YEAR)
    rs = RuleSet.objects.get(area_prefix="360729")
    line = Line.objects.get(kind="national", year=YEAR)
    for url in [reverse("identification:standards"), reverse("identification:standards") + "?year=2016&kind=national",
                reverse("identification:line", args=[line.pk]), reverse("identification:line_create"),
                reverse("identification:rules"), reverse("identification:ruleset", args=[rs.pk]),
                reverse("identification:ruleset_edit", args=[rs.pk]), reverse("identification:ruleset_create"),
                reverse("identification:criterion_create", args=[rs.pk]),
                reverse("identification:criterion_edit", args=[rs.pk, rs.criteria.first().pk]),
                reverse("identification:run_start"), reverse("identification:simulate"),
                reverse("identification:run", args=[run.pk]), reverse("identification:outcomes", args=[run.pk]),
                reverse("identification:outcomes", args=[run.pk]) + "?show=all&reason=business",
                reverse("identification:household", args=[h.pk]), reverse("identification:fact_create", args=[h.pk]),
                reverse("identification:facts")]:
        response = client.get(url)
        assert response.status_code == 200, url
    flagged = client.get(reverse("identification:outcomes", args=[run.pk])).content.decode()
    assert "PG1" in flagged and "outcome-reason" in flagged
    # The county office cannot edit the national line.
    assert client.get(reverse("identification:line_edit", args=[line.pk])).status_code in (200, 403)
    response = client.post(reverse("identification:line_edit", args=[line.pk]), {
        "kind": "national", "area": "", "year": YEAR, "method": "fixed", "value": "1", "per": "year",
        "source": "x", "version": line.version})
    assert response.status_code == 403 or Line.objects.get(pk=line.pk).annual_value == NATIONAL_2016
    assert Line.objects.get(pk=line.pk).annual_value == NATIONAL_2016


@pytest.mark.django_db
def test_line_form_with_the_zhejiang_preset(two_counties, make_user, login):
    client = login(make_user("admin", None))
    for kind, value in (("dibao", "8000"), ("rural_income", "27000")):
        client.post(reverse("identification:line_create"), {
            "kind": kind, "area": "330921", "year": 2017, "method": "fixed", "value": value, "per": "year",
            "source": "县 2017"})
    response = client.post(reverse("identification:line_create"), {
        "kind": "provincial", "area": "330921", "year": 2018, "method": "derived", "per": "year",
        "preset": "zhejiang_low_income"})
    line = Line.objects.get(kind="provincial", area_prefix="330921")
    assert response.status_code == 302 and line.annual_value == Decimal("12000.00")
    assert "浙委发〔2018〕41号" in line.source
    page = client.get(reverse("identification:line", args=[line.pk])).content.decode()
    assert "12,000.00" in page and "10,800.00" in page


@pytest.mark.django_db
def test_criterion_toggle_and_simulate_forms(two_counties, make_user, login):
    rs = local_rules()
    client = login(make_user("county_office", COUNTY_A))
    car = rs.criteria.get(code="car")
    response = client.post(reverse("identification:criterion_toggle", args=[rs.pk, car.pk]))
    assert response.status_code == 302
    car.refresh_from_db()
    assert car.enabled
    assert AuditEvent.objects.filter(action="identification.criterion.change", object_id=str(car.pk)).exists()
    h = make_household("SF", 3000)
    engine.run_rules(COUNTY_A[:6], YEAR)
    response = client.post(reverse("identification:simulate"), {
        "area": COUNTY_A, "year": YEAR, "line_kind": "national", "line_area": "", "line_value": "3100"})
    sim = RuleRun.objects.get(kind=RuleRun.SIMULATION)
    assert response.status_code == 302 and sim.changed == 1
    assert outcome(sim, h).eligible
    page = client.get(reverse("identification:run", args=[sim.pk])).content.decode()
    assert "changes-by-village" in page and "石桥村" in page


@pytest.mark.django_db
def test_fact_entry_and_decision_pages(two_counties, make_user, login):
    h = make_household("FE", 1000)
    client = login(make_user("village_cadre", VILLAGE_A))
    response = client.post(reverse("identification:fact_create", args=[h.pk]), {
        "kind": "car", "member": "", "relation": "", "value": "120000", "as_of": "2016-03-01"})
    assert response.status_code == 302
    f = MemberFact.objects.get(household=h)
    assert f.status == MemberFact.PENDING and f.value == Decimal("120000") and f.area_code == VILLAGE_A
    response = client.post(reverse("identification:fact_decide", args=[f.pk]),
                           {"status": "kept", "reason": "家庭确实困难", "back": "household"})
    assert response.status_code == 302
    f.refresh_from_db()
    assert f.status == MemberFact.KEPT and f.reason == "家庭确实困难"


@pytest.mark.django_db
def test_api(two_counties, make_user, api):
    h = make_household("API1", 1000)
    client = api(make_user("county_office", COUNTY_A))
    lines = client.get("/api/v1/identification/lines", {"year": 2016, "kind": "national"}).json()
    assert lines["count"] == 1 and lines["items"][0]["annual_value"] == "2952.00"
    response = client.post("/api/v1/identification/runs", {"area_code": COUNTY_A, "year": YEAR},
                           content_type="application/json")
    assert response.status_code == 202, response.content
    run_id = response.json()["id"]
    assert client.get(f"/api/v1/identification/runs/{run_id}").json()["status"] == "done"
    out = client.get(f"/api/v1/identification/runs/{run_id}/outcomes").json()
    assert out["count"] == 1 and out["items"][0]["household_id"] == h.pk and out["items"][0]["eligible"]
    assert out["items"][0]["reason"]
    bad = client.post("/api/v1/identification/runs", {"area_code": COUNTY_A, "year": YEAR, "changes": {}},
                      content_type="application/json")
    assert bad.status_code == 422
    helper = api(make_user("helper", VILLAGE_A))
    assert helper.post("/api/v1/identification/runs", {"area_code": VILLAGE_A, "year": YEAR},
                       content_type="application/json").status_code == 403


@pytest.mark.django_db
def test_status_is_taken_as_of_the_end_of_the_runs_year(two_counties):
    from fupin.registry.models import StatusChange

    exited_later = make_household("T1", 1000, status="exited", identified_year=2014)
    StatusChange.objects.create(household=exited_later, area_code=VILLAGE_A, status="registered",
                                date=dt.date(2014, 10, 1))
    StatusChange.objects.create(household=exited_later, area_code=VILLAGE_A, status="exited",
                                date=dt.date(2018, 12, 1))
    newcomer = make_household("T2", 1000, status="registered", identified_year=2019)
    StatusChange.objects.create(household=newcomer, area_code=VILLAGE_A, status="registered",
                                date=dt.date(2019, 10, 1))
    removed = make_household("T3", 1000, status="removed", identified_year=2014)
    run = engine.run_rules(COUNTY_A[:6], YEAR)
    assert outcome(run, exited_later).status == "registered" and not outcome(run, exited_later).flagged
    assert outcome(run, newcomer).status == "" and outcome(run, newcomer).flagged  # eligible, not registered then
    assert not RuleOutcome.objects.filter(run=run, household=removed).exists()
    later = engine.run_rules(COUNTY_A[:6], 2019)
    assert outcome(later, exited_later).status == "exited" and outcome(later, newcomer).status == "registered"


@pytest.mark.django_db
def test_a_run_is_cut_into_balanced_parts_covering_every_household(two_counties, monkeypatch):
    """Parts are ranges of household ids with as many households each (the progress
    bar's steps); together they cover every household of the area, once."""
    from fupin.areas import actions as areas

    townships = list(Area.objects.filter(code__startswith=COUNTY_A[:6], level="township").order_by("code")
                     .values_list("code", flat=True)[:4])
    villages = [t[:9] + "201" for t in townships]
    areas._insert_levels([{"code": v, "name": f"村{i}"} for i, v in enumerate(villages)], source="test",
                         valid_from=None)
    for i, v in enumerate(villages):
        for k in range(i + 1):
            make_household(f"PT{i}{k}", 1000, area=v)
    assert engine._parts(COUNTY_A[:6]) == [(None, None)]  # 10 households: one statement
    parts = engine._parts(COUNTY_A[:6], target=2, min_size=1)
    assert len(parts) == 2 and parts[0][0] is None and parts[1][1] is None  # open ends: nothing falls outside
    ids = sorted(Household.objects.filter(area_code__startswith=COUNTY_A[:6]).values_list("id", flat=True))
    assert parts[0][1] == ids[4] and parts[1][0] == ids[5]  # 5 and 5 households
    monkeypatch.setattr(engine, "PARTS", 3)
    monkeypatch.setattr(engine._parts, "__defaults__", (3, 1))
    local_rules(prefix=villages[1], on=["car"])  # a village with rule sets of its own, across the parts
    run = engine.run_rules(COUNTY_A[:6], YEAR)
    assert run.households == 10 == RuleOutcome.objects.filter(run=run).count()
    assert run.summary["timing_ms"]["count"] == 6  # 3 parts × 2 rule sets
    assert RuleOutcome.objects.filter(run=run, ruleset__area_prefix=villages[1]).count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_cut_off_merge_keeps_existing_rows():
    """identification 0003: comparison's CutoffDate rows and the rule sets' cutoff_date
    become identification CutoffDate rows (a comparison row wins for the same area)."""
    from django.db import connection as conn
    from django.db.migrations.executor import MigrationExecutor

    before = [("identification", "0002_standards"), ("comparison", "0002_cutoffs")]
    executor = MigrationExecutor(conn)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old_apps = MigrationExecutor(conn).loader.project_state(before).apps
        OldCutoff = old_apps.get_model("comparison", "CutoffDate")
        OldRuleSet = old_apps.get_model("identification", "RuleSet")
        OldCutoff.objects.create(area_prefix="36", date=dt.date(2015, 10, 20), source="江西 document", note="n",
                                 version=3)
        OldCutoff.objects.create(area_prefix="360729", date=dt.date(2016, 1, 5), source="全南 document")
        OldRuleSet.objects.create(name="全南", area_prefix="360729", from_year=2014, statuses=[], source="rs doc",
                                  cutoff_date=dt.date(2017, 1, 1))
        OldRuleSet.objects.create(name="龙南", area_prefix="360783", from_year=2014, statuses=[], source="rs doc B",
                                  cutoff_date=dt.date(2015, 11, 1))
        executor = MigrationExecutor(conn)
        executor.loader.build_graph()
        executor.migrate(leaves)
        from fupin.identification.models import CutoffDate

        rows = {c.area_prefix: (c.date, c.source, c.version) for c in CutoffDate.objects.all()}
        assert rows["36"] == (dt.date(2015, 10, 20), "江西 document", 3)
        assert rows["360729"] == (dt.date(2016, 1, 5), "全南 document", 1)  # the comparison row wins
        assert rows["360783"] == (dt.date(2015, 11, 1), "rs doc B", 1)  # from the rule set
        assert rows["45"][0] == dt.date(2015, 10, 26)  # shipped
        assert "cutoff_date" not in {f.name for f in RuleSet._meta.get_fields()}
    finally:
        executor = MigrationExecutor(conn)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.parametrize("value", ["false", "no", 1, None])
def test_renovated_passes_is_a_json_boolean(value):
    with pytest.raises(ValueError, match="renovated_passes"):
        rules.check_params("housing_unsafe", "guarantee", {"grades": ["C", "D"], "renovated_passes": value})


@pytest.mark.django_db
def test_the_shipped_housing_criteria_say_renovation_in_data_and_an_older_database_gets_it():
    """No default in code: the shipped rule sets carry renovated_passes with its source;
    migration 0005 gives it to a database loaded before (an administrator's source kept)."""
    import importlib

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    migration = importlib.import_module("fupin.identification.migrations.0005_housing_renovation")
    apps = MigrationExecutor(connection).loader.project_state(("identification", "0005_housing_renovation")).apps
    shipped = Criterion.objects.filter(code="housing_unsafe")
    assert shipped.exists() and all(c.params["renovated_passes"] is True and "已改造" in c.source for c in shipped)
    migration.backwards(apps, None)
    assert not any("renovated_passes" in c.params for c in shipped.all())
    own = shipped.first()
    Criterion.objects.filter(pk=own.pk).update(source="本县自定来源")
    migration.forwards(apps, None)
    for c in Criterion.objects.filter(code="housing_unsafe"):
        if c.pk == own.pk:  # a local rule: left as it was written (no key: renovation does not count)
            assert "renovated_passes" not in c.params and c.source == "本县自定来源"
        else:
            assert c.params["renovated_passes"] is True and "已改造" in c.source
