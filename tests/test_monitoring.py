"""Monitoring (防止返贫动态监测): a disaster case helped first and identified through the
procedure then cleared; the early-warning rules at the line; the five-risk limit; a
household without working capacity under social protection refused clearance;
departments' warnings imported all or nothing; applications."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fupin.areas.models import Area
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Forbidden, Invalid, NotFound
from fupin.identification import actions as id_actions
from fupin.monitoring import actions, engine, importers, queries, rules
from fupin.monitoring.models import Application, Discovery, WarningHit
from fupin.monitoring.models import MonitoredHousehold as M
from fupin.procedures import rules as proc_rules
from fupin.procedures.models import ProcedureType
from fupin.registry import actions as registry
from fupin.registry.models import Household
from tests.conftest import SYSTEM, VILLAGE_A, VILLAGE_B
from tests.test_procedures import advance, do, id_number

D = dt.date
LINE_2023, LINE_2024 = Decimal("6900"), Decimal("7300")


pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals


def household(n: int, *, status: str = "exited_policy", village: str = VILLAGE_A, labour: str = "1",
              **member) -> Household:
    h = registry.create_household(SYSTEM, number=f"{village}8{n:03d}", area_code=village + "001", status=status,
                                  status_date=D(2020, 1, 2), category="1", standard="1", identified_year=2016)
    registry.add_member(SYSTEM, h, name=f"户主{n}", id_number=id_number(village[:6], "19700101", n), relation="01",
                        labour=labour, medical_insurance=True, **member)
    h.refresh_from_db()
    return h


def income(h, year, per_capita) -> None:
    registry.save_income(SYSTEM, h, year, wages=Decimal(per_capita) * h.size)


@pytest.fixture
def world(two_counties, make_user):
    for year, value in ((2023, LINE_2023), (2024, LINE_2024)):
        id_actions.save_line(SYSTEM, None, kind="monitoring", area_prefix="36", year=year, value=value,
                             name="江西省防返贫监测范围", source="test")
    county = make_user("county_office", "360729000000")
    cadre = make_user("village_cadre", VILLAGE_A)
    return {"county": Actor(county), "cadre": Actor(cadre), "county_user": county, "cadre_user": cadre}


def test_data_files_are_consistent(db):
    assert rules.max_risks() == 5
    assert "disaster.flood" in rules.risk_codes() and rules.is_sudden_risk("disaster.flood")
    assert {r["kind"] for r in rules.warning_rules()} <= set(engine.KINDS)
    for r in rules.warning_rules():
        assert r["source"]
    types = {t.code: t for t in ProcedureType.objects.filter(purpose="monitoring")}
    assert set(types) == {"monitoring_identify", "monitoring_clear"}
    notice = next(s for s in types["monitoring_identify"].steps if s["code"] == "village_notice")
    assert notice["days"] >= 5 and "公告期5天" in notice["days_source"]
    assert types["monitoring_identify"].definition["on_complete"]["hook"] == "monitoring.identify"


def test_disaster_case_helped_first_identified_then_cleared(world):
    county, cadre = world["county"], world["cadre"]
    h = household(1)
    income(h, 2023, 8000)
    # A flood on 3 March 2024: found on a visit, helped at once (先救后核).
    with clock.frozen(D(2024, 3, 4)):
        rec = actions.open_episode(cadre, h, kind=M.SUDDEN, channel=Discovery.VISIT, date=D(2024, 3, 3),
                                   who="村支书 李明", what="洪水冲毁房屋", risks=["disaster.flood"])
        actions.record_help(cadre, rec, date=D(2024, 3, 4), what="临时救助金", amount="3000", given_by="乡民政所")
    rec.refresh_from_db()
    assert rec.state == M.CANDIDATE and rec.helped_first
    assert rec.help.get().first is True
    # The procedure needs the two-person visit and the signed authorisation first.
    area = Area.objects.get(code=VILLAGE_A)
    with clock.frozen(D(2024, 3, 5)), pytest.raises(Invalid, match="visit by two people"):
        actions.start_identification(cadre, area, [rec])
    with pytest.raises(Invalid, match="two people"):
        actions.record_visit(cadre, rec, date=D(2024, 3, 5), visitors="李明", findings="房屋倒塌")
    with clock.frozen(D(2024, 3, 5)):
        actions.record_visit(cadre, rec, date=D(2024, 3, 5), visitors="李明、王芳", findings="房屋倒塌",
                             consent_signed=True, consent_signed_by="户主1")
        batch = actions.start_identification(cadre, area, [rec])
    rec.refresh_from_db()
    assert rec.identify_batch == batch
    done = advance(county, batch, on=D(2024, 3, 6))
    batch.refresh_from_db()
    assert batch.status == proc_rules.DONE
    rec.refresh_from_db()
    assert rec.state == M.MONITORED and rec.since == batch.completed_on and rec.helped_first
    # Help given now is not "first".
    with clock.frozen(done):
        actions.record_help(cadre, rec, date=done, what="产业帮扶", amount="2000", given_by="县农业局")
    assert rec.help.filter(first=False).count() == 1
    assert queries.year_counts("360729", 2024)["newly_monitored"] == 1
    assert list(queries.at_risk(world["county_user"], "360729")) == [h]
    # Risk clearance: refused while the flood risk is open and income not stable.
    clear_day = D(2025, 4, 1)
    income(h, 2024, 8000)
    with clock.frozen(clear_day), pytest.raises(Invalid, match="Every risk is gone"):
        actions.start_clearance(cadre, area, [rec])
    with clock.frozen(clear_day):
        actions.resolve_risk(cadre, rec.risks.get(), date=clear_day)
        items = actions.clearance_items(rec)
        assert all(i.met for i in items), [(i.code, i.detail) for i in items]
        cbatch = actions.start_clearance(cadre, area, [rec])
    advance(county, cbatch, on=D(2025, 4, 2))
    rec.refresh_from_db()
    cbatch.refresh_from_db()
    assert rec.state == M.CLEARED and rec.cleared_on == cbatch.completed_on and rec.helped_first
    assert queries.year_counts("360729", 2025) == {"monitored_start": 1, "newly_monitored": 0, "risk_cleared": 1,
                                                   "monitored_end": 0}
    assert not queries.at_risk(world["county_user"], "360729").exists()


def test_rejected_by_the_procedure_is_recorded(world):
    county, cadre = world["county"], world["cadre"]
    h = household(2)
    with clock.frozen(D(2024, 3, 4)):
        rec = actions.open_episode(cadre, h, kind=M.SUDDEN, channel=Discovery.PHONE, date=D(2024, 3, 4),
                                   who="户主2", what="火灾", risks=["disaster.fire"])
        actions.record_help(cadre, rec, date=D(2024, 3, 4), what="棉被、口粮", amount="500", given_by="村委会")
        actions.record_visit(cadre, rec, date=D(2024, 3, 4), visitors=["李明", "王芳"], findings="损失较小",
                             consent_signed=True, consent_signed_by="户主2")
        batch = actions.start_identification(cadre, Area.objects.get(code=VILLAGE_A), [rec])
    day = advance(county, batch, until="township_review", on=D(2024, 3, 5))
    member = batch.members.get()
    do(county, batch, "decide", day, rejected={member.pk: "损失已由保险赔付"})
    assert actions.settle(Actor.system(), "360729") == 1
    rec.refresh_from_db()
    assert rec.state == M.REJECTED and "保险" in rec.end_reason and rec.helped_first
    assert rec.help.get().first
    assert actions.settle(Actor.system(), "360729") == 0


def test_five_risk_limit(world):
    cadre = world["cadre"]
    rec = actions.open_episode(cadre, household(3), kind=M.EDGE, channel=Discovery.VISIT, date=D(2024, 1, 5),
                               who="李明", what="走访", risks=["illness", "schooling", "disability", "accident"])
    actions.add_risk(cadre, rec, "disaster.drought")
    with pytest.raises(Invalid, match="at most 5 risks"):
        actions.add_risk(cadre, rec, "employment")
    with pytest.raises(Invalid, match="Unknown risk"):
        actions.add_risk(cadre, rec, "bad-luck")
    assert rec.risks.count() == 5


def test_no_labour_under_social_protection_stays_monitored(world):
    cadre = world["cadre"]
    h = household(4, labour="5", dibao=True)
    for y in (2023, 2024):
        income(h, y, 9000)
    rec = M.objects.create(household=h, area_code=h.area_code, kind=M.UNSTABLE, state=M.MONITORED,
                           since=D(2023, 5, 1))
    with clock.frozen(D(2025, 3, 1)):
        items = {i.code: i for i in actions.clearance_items(rec)}
        assert items["income_stable"].met and items["risks_gone"].met
        assert not items["not_social_protection"].met
        with pytest.raises(Invalid, match="social protection"):
            actions.start_clearance(cadre, Area.objects.get(code=VILLAGE_A), [rec])
    rec.refresh_from_db()
    assert rec.state == M.MONITORED


def test_warning_rules_at_the_line(world):
    below = household(10)   # 6,899 < 6,900
    at = household(11)      # 6,900: not below
    above = household(12)   # 6,901
    drop = household(13)    # 10,000 → 7,000 (−30 %: caught) ; line not hit
    nodrop = household(14)  # 10,000 → 7,001 (not caught)
    poor = household(15, status="registered")  # registered poor: not looked at
    other = household(16, village=VILLAGE_B)  # outside the run's area
    for h, v in ((below, 6899), (at, 6900), (above, 6901), (poor, 100), (other, 100)):
        income(h, 2023, v)
    income(drop, 2022, 10000)
    income(drop, 2023, 7000)
    income(nodrop, 2022, 10000)
    income(nodrop, 2023, 7001)
    run = engine.run_rules(world["county"], "360729000000", 2023)
    hits = {(x.household_id, x.rule): x for x in WarningHit.objects.filter(run=run)}
    assert set(hits) == {(below.pk, "income_below_line"), (drop.pk, "income_drop")}
    assert hits[(below.pk, "income_below_line")].threshold == LINE_2023
    assert hits[(drop.pk, "income_drop")].threshold == Decimal("7000.00")
    assert run.lines == {"36": "6900.00"}
    # A second run supersedes the open hits of the first.
    run2 = engine.run_rules(world["county"], "360729000000", 2023)
    assert WarningHit.objects.filter(run=run, state=WarningHit.SUPERSEDED).count() == 2
    assert run2.hit_count == 2


def test_department_warnings_import_and_rules(world, tmp_path):
    from fupin.core.tabular import write_xlsx

    sick, hurt = household(20), household(21)
    income(sick, 2023, 5000 + 7000)  # net 12,000 for one person: 50 % = 6,000
    bad = tmp_path / "bad.xlsx"
    rows = [
        (sick.members.get().id_number, "户主20", "医疗费用", "2023-06-01", "6000.01", "县人民医院"),
        ("360729197001019999", "无名", "医疗费用", "2023-06-01", "100", ""),
        (hurt.members.get().id_number, "户主21", "地震", "2023-06-01", "", ""),
    ]
    write_xlsx(bad, [c.header for c in importers.COLUMNS], rows)
    n, report = importers.import_file(world["county"], bad, department="县医保局", area_code="360729000000")
    assert n == 0 and len(report) == 2  # all or nothing: the valid row was not imported
    assert {e.column for e in report.errors} == {"身份证号", "类别"}
    good = tmp_path / "good.xlsx"
    write_xlsx(good, [c.header for c in importers.COLUMNS], [rows[0], (*rows[2][:2], "受灾", *rows[2][3:])])
    n, report = importers.import_file(world["county"], good, department="县医保局", area_code="360729000000")
    assert n == 2 and not report
    run = engine.run_rules(world["county"], "360729000000", 2023)
    got = set(WarningHit.objects.filter(run=run).values_list("household_id", "rule"))
    assert got == {(sick.pk, "rigid_spending"), (hurt.pk, "department_warning")}
    # A cadre works the list: dismiss one, start monitoring from the other.
    hit_sick = WarningHit.objects.get(run=run, household=sick)
    hit_hurt = WarningHit.objects.get(run=run, household=hurt)
    with pytest.raises(Invalid):
        actions.dismiss_hit(world["cadre"], hit_sick, reason=" ")
    actions.dismiss_hit(world["cadre"], hit_sick, reason="医保报销后自付很少")
    rec = actions.start_from_hit(world["cadre"], hit_hurt, kind=M.SUDDEN, risks=["disaster.earthquake"])
    hit_hurt.refresh_from_db()
    assert hit_hurt.state == WarningHit.STARTED and hit_hurt.record == rec
    assert rec.discoveries.get().channel == Discovery.WARNING_RULE
    # A department officer of county A cannot import for county B.
    with pytest.raises(Forbidden):
        importers.import_file(world["county"], good, department="x", area_code="360783000000")


def test_public_application_and_acceptance(world):
    anon = Actor(None, ip="10.0.0.9", channel="web")
    app = actions.submit_application(anon, village=VILLAGE_A, name="赵六", phone="13800138000", what="孩子上学困难")
    assert app.state == Application.PENDING and app.channel == Application.PUBLIC
    with pytest.raises(Invalid, match="village"):
        actions.submit_application(anon, village="360729999999", name="x", phone="13800138000", what="y")
    for _i in range(2):
        actions.submit_application(anon, village=VILLAGE_A, name="赵六", phone="13800138000", what="再次申请")
    with pytest.raises(Invalid, match="Too many"):
        actions.submit_application(anon, village=VILLAGE_A, name="赵六", phone="13800138000", what="再次申请")
    # Accepted: a rural household never registered gets a registry household (status rural),
    # the applicant its head; without an ID number the sex is asked (registry._check_member).
    with pytest.raises(Invalid) as exc:
        actions.accept_application(world["cadre"], app, kind=M.EDGE, risks=["schooling"])
    assert exc.value.field == "sex"
    app.refresh_from_db()
    assert app.state == Application.PENDING  # (nothing written: the household neither)
    rec = actions.accept_application(world["cadre"], app, kind=M.EDGE, risks=["schooling"], sex="2")
    assert rec.household.status == "rural" and rec.household.members.get().name == "赵六"
    assert rec.household.members.get().sex == "2"
    assert rec.discoveries.get().channel == Discovery.APPLICATION
    with pytest.raises(Invalid):
        actions.dismiss_application(world["cadre"], app, reason="重复")
    call = actions.record_application(world["cadre"], village=VILLAGE_A, name="钱七", what="电话：务工中断",
                                      phone="13900139000")
    assert call.recorded_by == world["cadre_user"] and call.channel == Application.PHONE
    with pytest.raises(NotFound):
        actions.record_application(world["cadre"], village=VILLAGE_B, name="x", what="y")


def test_runs_and_imports_as_jobs(world, tmp_path):
    from fupin.core.tabular import write_xlsx
    from fupin.jobs.models import Job

    h = household(30)
    income(h, 2023, 6000)
    with clock.frozen(D(2024, 5, 1)):
        job = actions.start_warning_run(world["county"], Area.objects.get(code="360729000000"), 2023)
    job.refresh_from_db()
    assert job.status == Job.SUCCEEDED and job.result["hits"] == 1
    from fupin.monitoring import rules as monitoring_rules
    assert f"{monitoring_rules.warning_rule_label('income_below_line')}: 1" in job.log
    assert "income_below_line" not in job.log  # the job's log names rules by their labels
    bad = tmp_path / "bad.xlsx"
    write_xlsx(bad, [c.header for c in importers.COLUMNS], [("1234", "x", "医疗", "2023-13-01", "-1", "")])
    job = actions.start_warning_import(world["county"], bad, department="县医保局",
                                       area=Area.objects.get(code="360729000000"))
    job.refresh_from_db()
    assert job.status == Job.FAILED and job.error_count == 3 and job.files.count() == 1  # ID, date, amount
    with pytest.raises(Forbidden):
        actions.start_warning_run(world["cadre"], Area.objects.get(code=VILLAGE_A), 2023)


def test_clearance_guarantees_come_from_the_exit_criteria(world):
    """两不愁三保障 in the clearance check: grade D housing, a child of 15 out of school
    (one of 16 is past the compulsory-school age on 1 September), judged by the exit
    criteria (exits.queries.guarantee_checks) with their grades and ages: editing the exit
    criteria changes the result; clearance.json keeps no copy of them."""
    from fupin.exits.models import ExitCriteria

    h = household(30)
    registry.add_member(SYSTEM, h, name="子女甲", id_number=id_number(VILLAGE_A[:6], "20100302", 31), relation="03",
                        school_status="00", medical_insurance=True)
    registry.add_member(SYSTEM, h, name="子女乙", id_number=id_number(VILLAGE_A[:6], "20090101", 32), relation="03",
                        school_status="00", medical_insurance=True)
    Household.objects.filter(pk=h.pk).update(danger_grade="D")
    h.refresh_from_db()
    rec = M.objects.create(household=h, area_code=h.area_code, kind=M.UNSTABLE, state=M.MONITORED,
                           since=D(2023, 5, 1))
    assert "guarantees" not in rules.clearance_data()
    with clock.frozen(D(2025, 3, 1)):
        item = {i.code: i for i in actions.clearance_items(rec)}["guarantees"]
        assert not item.met
        assert item.detail == ("Safe housing: dangerous-house grade D, not renovated; "
                               "No child out of school: out of school: 子女甲")
        for c in ExitCriteria.objects.filter(area_prefix=""):
            for i in c.items:
                if i["code"] == "housing":
                    i["params"]["grades"] = ["C"]
                elif i["code"] == "school":
                    i["params"]["max_age"] = 13
            c.save()
        item = {i.code: i for i in actions.clearance_items(rec)}["guarantees"]
        assert item.met, item.detail


def test_help_amount_not_a_number_or_too_large_is_refused(world):
    """"NaN" quantizes to NaN (comparing it raised InvalidOperation: a 500 from the record
    page) and an amount past the column's 12 digits overflowed on PostgreSQL."""
    rec = actions.open_episode(world["cadre"], household(40), kind=M.SUDDEN, channel=Discovery.VISIT,
                               date=D(2024, 1, 5), who="李明", what="火灾")
    for bad, message in (("NaN", "Not a number"), ("1e12", "too large"), ("-1", "negative")):
        with pytest.raises(Invalid, match=message):
            actions.record_help(world["cadre"], rec, date=D(2024, 1, 6), what="救助金", amount=bad, given_by="民政所")
    assert not rec.help.exists()


def test_department_file_with_a_too_large_amount_is_a_row_error(world, tmp_path):
    """An amount the column cannot hold is named in the error report (it overflowed the
    column on PostgreSQL and failed the job with a database error)."""
    from fupin.core.tabular import write_xlsx

    h = household(41)
    path = tmp_path / "big.xlsx"
    write_xlsx(path, [c.header for c in importers.COLUMNS],
               [(h.members.get().id_number, "户主41", "医疗费用", "2023-06-01", "1e12", "")])
    n, report = importers.import_file(world["county"], path, department="县医保局", area_code="360729000000")
    assert n == 0 and [(e.column, e.reason) for e in report.errors] == [("金额", "The amount is too large.")]


def test_rigid_spending_counts_only_the_bills_of_the_run_year(world, tmp_path):
    """The rule compares the bills of the year with the net income of that year: a bill
    of the next year does not make a hit in the run over the year before."""
    from fupin.core.tabular import write_xlsx

    sick = household(42)
    income(sick, 2023, 12000)  # 50 % of the net income: 6,000
    path = tmp_path / "bills.xlsx"
    write_xlsx(path, [c.header for c in importers.COLUMNS],
               [(sick.members.get().id_number, "户主42", "医疗费用", "2024-02-01", "9000", "县人民医院")])
    n, report = importers.import_file(world["county"], path, department="县医保局", area_code="360729000000")
    assert n == 1 and not report
    run = engine.run_rules(world["county"], "360729000000", 2023)
    assert not WarningHit.objects.filter(run=run, household=sick, rule="rigid_spending").exists()
    income(sick, 2024, 12000)
    run = engine.run_rules(world["county"], "360729000000", 2024)
    assert WarningHit.objects.filter(run=run, household=sick, rule="rigid_spending").exists()


def test_department_warning_counts_only_the_warnings_of_the_run_year(world, tmp_path):
    """A warning dated after the run's income year (the next year, or the future) makes no
    department_warning hit in the run over that year; one on 31 December does."""
    from fupin.core.tabular import write_xlsx

    inside, after, before = household(44), household(45), household(46)
    path = tmp_path / "warnings.xlsx"
    write_xlsx(path, [c.header for c in importers.COLUMNS], [
        (inside.members.get().id_number, "户主44", "受灾", "2023-12-31", "", "洪水"),
        (after.members.get().id_number, "户主45", "受灾", "2024-01-01", "", "洪水"),
        (before.members.get().id_number, "户主46", "受灾", "2022-12-31", "", "洪水"),
    ])
    n, report = importers.import_file(world["county"], path, department="县应急局", area_code="360729000000")
    assert n == 3 and not report
    run = engine.run_rules(world["county"], "360729000000", 2023)
    hit = set(WarningHit.objects.filter(run=run, rule="department_warning").values_list("household_id", flat=True))
    assert hit == {inside.pk}
    run = engine.run_rules(world["county"], "360729000000", 2024)
    hit = set(WarningHit.objects.filter(run=run, rule="department_warning").values_list("household_id", flat=True))
    assert hit == {after.pk}


def test_social_protection_categories_come_from_the_data(world, monkeypatch):
    """A 低保 household (registry category 2) without working capacity stays monitored; the
    categories are read from data/clearance.json (a county that edits them changes it)."""
    h = household(43, labour="5")
    Household.objects.filter(pk=h.pk).update(category="2")
    h.refresh_from_db()
    rec = M.objects.create(household=h, area_code=h.area_code, kind=M.UNSTABLE, state=M.MONITORED,
                           since=D(2023, 5, 1))
    with clock.frozen(D(2025, 3, 1)):
        assert not {i.code: i for i in actions.clearance_items(rec)}["not_social_protection"].met
        data = rules.clearance_data()
        monkeypatch.setattr(rules, "clearance_data", lambda: {**data, "protection_categories": ["3"]})
        assert {i.code: i for i in actions.clearance_items(rec)}["not_social_protection"].met
