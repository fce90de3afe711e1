"""The cross-department data check (数据比对 / 财产检索, seed 003 第二篇): import of a
department's data set (all or nothing), set-based matching with the before/after
classification against the identification cut-off, the verification queue and the
veto facts it writes, the 低保 linkage both ways, confidentiality."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from stdnum.cn import ric

from fupin.areas.models import Area
from fupin.audit.models import AuditEvent, AuditItem
from fupin.comparison import actions, importers, matching, reports, rules
from fupin.comparison.models import ExternalDataset, ExternalRecord, Hit
from fupin.core.errors import Forbidden, Invalid
from fupin.identification import engine
from fupin.identification.models import CutoffDate, MemberFact, RuleOutcome
from fupin.registry.models import Household, Member
from tests.conftest import COUNTY_A, COUNTY_B, SYSTEM, TOWNSHIP_A, VILLAGE_A, VILLAGE_B

CUTOFF = dt.date(2015, 10, 26)  # seed 003: 以XX年10月26日作为识别前后时间节点 (广西 2015)
DAY = dt.timedelta(days=1)
VEHICLE_HEADERS = ["身份证号", "姓名", "号牌号码", "车辆类型", "初次登记日期", "车辆价值(元)", "区划代码"]
DIBAO_HEADERS = ["身份证号", "姓名", "纳入日期", "月保障金(元)", "区划代码"]


# --- helpers (also used by tests/scoping_comparison.py) ----------------------------------

def id_number(area6: str, birth: str, seq: int) -> str:
    body = f"{area6}{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def household(village: str, number: str, people: list[tuple[str, str]], *, category: str = "1",
              status: str = "registered", flags: dict | None = None) -> Household:
    """A household with its members [(name, ID number)]; the first is the head.
    ``flags``: {name: {"dibao": True}} for members' own flags."""
    area = Area.objects.get(code=village, valid_to__isnull=True)
    h = Household.objects.create(number=number, area_code=village, village=area, head_name=people[0][0],
                                 category=category, status=status, size=len(people))
    for i, (name, idn) in enumerate(people):
        Member.objects.create(household=h, area_code=village, name=name, id_number=idn, sex="1",
                              relation="01" if i == 0 else "03", birth_date=dt.date(1970, 1, 1),
                              medical_insurance=True, **(flags or {}).get(name, {}))
    return h


def table_file(tmp_path: Path, headers: list[str], rows: list[list], name: str = "data.csv") -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        w.writerows(rows)
    return path


def vehicle_rows(people: list[tuple[str, str, dt.date, str]], area: str = "") -> list[list]:
    """[(ID number, name, registration date, value)] as rows of a vehicle file."""
    return [[idn, name, f"赣B{1000 + i}", "小型轿车", d.isoformat(), value, area] for i, (idn, name, d, value)
            in enumerate(people)]


def import_file(path, kind="vehicle", area=COUNTY_A, actor=SYSTEM, match=True, **kw):
    result = importers.import_dataset(actor, path, kind=kind, source=kw.pop("source", "全南县公安局交警大队"),
                                      as_of=kw.pop("as_of", "2016-06-30"), area_code=area, **kw)
    if match and result.dataset is not None:
        matching.match_dataset(result.dataset, actor)
    return result


A6, B6 = COUNTY_A[:6], COUNTY_B[:6]
X = ("张大山", id_number(A6, "19700101", 11))
Y = ("李小河", id_number(A6, "19720202", 21))
Z = ("王家明", id_number(A6, "19750303", 31))
W = ("赵老四", id_number(A6, "19800404", 41))  # his household is in another township's village
OUTSIDER = ("陈外人", id_number(A6, "19650505", 51))  # not in the registry
B_PERSON = ("龙南人", id_number(B6, "19660606", 61))  # registered in county B


pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals


@pytest.fixture
def world(two_counties):
    CutoffDate.objects.create(area_prefix="36", date=CUTOFF, source="test: 江西 精准识别 cut-off")
    hx = household(VILLAGE_A, "3607291002010001", [X, W])
    hy = household(VILLAGE_A, "3607291002010002", [Y])
    hz = household(VILLAGE_A, "3607291002010003", [Z])
    hb = household(VILLAGE_B, "3607831002010001", [B_PERSON])
    return {"hx": hx, "hy": hy, "hz": hz, "hb": hb}


@pytest.fixture
def vehicles(world, tmp_path):
    """A county-A vehicle data set: X one day before the cut-off, Y one day after, Z on
    the day itself, someone not registered, and county B's registered person."""
    path = table_file(tmp_path, VEHICLE_HEADERS, vehicle_rows([
        (X[1], X[0], CUTOFF - DAY, "150000"), (Y[1], Y[0], CUTOFF + DAY, "80000"),
        (Z[1], Z[0], CUTOFF, "60000"), (OUTSIDER[1], OUTSIDER[0], CUTOFF - DAY, "90000"),
        (B_PERSON[1], B_PERSON[0], CUTOFF - DAY, "70000")]))
    result = import_file(path)
    assert result.ok, result.report.summary()
    return result.dataset


def _switch_on_car_veto():
    """The national rule set ships with the car veto off (no amount is given nationally)."""
    from fupin.identification.models import Criterion

    assert Criterion.objects.filter(ruleset__area_prefix="", code="car").update(enabled=True) == 1


def hit_of(dataset, person) -> Hit:
    return Hit.objects.get(dataset=dataset, member__id_number=person[1])


# --- rules (pure) ----------------------------------------------------------------------

def test_every_kind_is_data_keyed_on_the_id_number():
    kinds = rules.kinds()
    for code in ("vehicle", "real_estate", "business", "payroll", "pension", "dibao", "tekun", "death", "student"):
        assert code in kinds
        k = kinds[code]
        assert k.column("id_number").required and k.column("id_number").type == "id_number"
        assert k.headers[0] == "身份证号"
    assert kinds["vehicle"].veto_fact == "car" and kinds["death"].veto_fact == "deceased"
    assert not kinds["dibao"].may_veto and kinds["dibao"].linkage["member_flag"] == "dibao"
    assert not kinds["student"].may_veto


def test_phase_one_day_before_and_after_the_cutoff():
    car = rules.kinds()["vehicle"]
    assert rules.phase(car, CUTOFF - DAY, CUTOFF) == rules.BEFORE
    assert rules.phase(car, CUTOFF, CUTOFF) == rules.BEFORE  # existed on the identification day
    assert rules.phase(car, CUTOFF + DAY, CUTOFF) == rules.AFTER
    assert rules.phase(car, None, CUTOFF) == rules.UNDATED
    assert rules.phase(car, CUTOFF, None) == rules.UNDATED
    assert rules.phase(rules.kinds()["dibao"], CUTOFF - DAY, CUTOFF) == rules.INFO
    assert rules.initial_status(rules.BEFORE) == rules.OPEN
    assert rules.initial_status(rules.AFTER) == rules.NOTED


def test_a_kept_household_needs_a_written_reason():
    with pytest.raises(ValueError, match="reason"):
        rules.check_decision(rules.KEPT, "  ")
    assert rules.check_decision(rules.KEPT, " 家庭确实困难 ") == "家庭确实困难"
    assert rules.check_decision(rules.VETO, "") == ""
    with pytest.raises(ValueError):
        rules.check_decision(rules.ERROR, "")
    with pytest.raises(ValueError):
        rules.check_decision("maybe", "x")


def test_cells_parse_as_the_departments_write_them():
    col = rules.Column("初次登记日期", "event_date", "date")
    today = dt.date(2020, 1, 1)
    for text in ("2015-10-25", "2015/10/25", "2015.10.25", "2015年10月25日", "20151025"):
        assert rules.parse_cell(col, text, today=today) == dt.date(2015, 10, 25)
    for bad in ("2015-02-30", "25/10/2015", "2021-01-01"):
        with pytest.raises(ValueError):
            rules.parse_cell(col, bad, today=today)
    money = rules.Column("车辆价值(元)", "amount", "decimal")
    assert rules.parse_cell(money, "150,000", today=today) == Decimal("150000.00")
    with pytest.raises(ValueError):
        rules.parse_cell(money, "-1", today=today)


# --- import and matching ---------------------------------------------------------------------

def test_hits_one_day_before_and_after_the_cutoff(vehicles):
    assert vehicles.record_count == 5 and vehicles.kind == "vehicle" and vehicles.area_code == COUNTY_A
    assert vehicles.source == "全南县公安局交警大队" and vehicles.as_of == dt.date(2016, 6, 30)
    assert Hit.objects.filter(dataset=vehicles).count() == 3  # nobody outside the registry or the county
    before, after, on_the_day = hit_of(vehicles, X), hit_of(vehicles, Y), hit_of(vehicles, Z)
    assert (before.phase, before.status, before.cutoff) == (rules.BEFORE, rules.OPEN, CUTOFF)
    assert (after.phase, after.status) == (rules.AFTER, rules.NOTED)
    assert (on_the_day.phase, on_the_day.status) == (rules.BEFORE, rules.OPEN)
    assert before.amount == Decimal("150000.00") and before.event_date == CUTOFF - DAY
    assert before.area_code == VILLAGE_A and before.household.number == "3607291002010001"
    # a record without an area code takes its member's; unmatched ones keep none
    assert before.record.area_code == VILLAGE_A
    assert ExternalRecord.objects.get(dataset=vehicles, id_number=OUTSIDER[1]).area_code == ""
    assert before.record.key == "赣B1000" and before.record.data["vehicle_type"] == "小型轿车"
    event = AuditEvent.objects.get(action="comparison.match", object_id=str(vehicles.pk))
    assert event.count == 3 and event.after["before"] == 2 and event.after["after"] == 1
    assert AuditItem.objects.filter(event=event).count() == 3
    assert AuditEvent.objects.filter(action="comparison.dataset.import", object_id=str(vehicles.pk),
                                     count=5).exists()


def test_a_hit_after_the_cutoff_never_vetoes(vehicles):
    after = hit_of(vehicles, Y)
    with pytest.raises(Invalid, match="never"):
        actions.decide(SYSTEM, after, decision=rules.VETO)
    assert not MemberFact.objects.filter(member__id_number=Y[1]).exists()
    _switch_on_car_veto()
    run = engine.run_rules(A6, 2016)
    outcome = RuleOutcome.objects.get(run=run, household__number="3607291002010002")
    assert "car" not in outcome.vetoes


def test_matching_again_adds_new_members_and_reclassifies_undecided_hits(vehicles):
    household(VILLAGE_A, "3607291002010009", [OUTSIDER])
    CutoffDate.objects.create(area_prefix=A6, date=CUTOFF + 2 * DAY, source="test: county cut-off")
    decided = hit_of(vehicles, Z)
    actions.decide(SYSTEM, decided, decision=rules.VETO)
    counts = matching.match_dataset(vehicles)
    assert counts["created"] == 1 and counts["hits"] == 4
    new = hit_of(vehicles, OUTSIDER)
    assert (new.phase, new.cutoff) == (rules.BEFORE, CUTOFF + 2 * DAY)
    y = hit_of(vehicles, Y)  # the county's later cut-off wins: now before, and open
    assert (y.phase, y.status, y.cutoff) == (rules.BEFORE, rules.OPEN, CUTOFF + 2 * DAY)
    z = hit_of(vehicles, Z)  # decided: left as it was
    assert (z.status, z.cutoff) == (rules.DECIDED, CUTOFF)


def test_without_a_cutoff_every_dated_hit_needs_a_decision(world, tmp_path):
    CutoffDate.objects.all().delete()
    path = table_file(tmp_path, VEHICLE_HEADERS, vehicle_rows([(Y[1], Y[0], CUTOFF + DAY, "1")]))
    ds = import_file(path).dataset
    assert (hit_of(ds, Y).phase, hit_of(ds, Y).status) == (rules.UNDATED, rules.OPEN)


def test_import_is_all_or_nothing_with_an_error_report(world, tmp_path):
    bad_check = X[1][:-1] + ("0" if X[1][-1] != "0" else "1")
    rows = vehicle_rows([(X[1], X[0], CUTOFF, "1"), (bad_check, "错号", CUTOFF, "1"), (Y[1], Y[0], CUTOFF, "abc"),
                         (Z[1], Z[0], CUTOFF, "1")])
    rows[3][4] = "2015-02-30"
    rows.append(list(rows[0]))  # the same car of the same person twice
    rows.append([W[1], W[0], "赣B9", "", "2015-01-01", "", "360729999999"])  # no such area
    rows.append([W[1], W[0], "赣B8", "", "2015-01-01", "", VILLAGE_B])  # county B's village
    rows.append(["", "无号", "赣B7", "", "2015-01-01", "", ""])
    path = table_file(tmp_path, VEHICLE_HEADERS, rows)
    result = import_file(path)
    assert not result.ok and result.dataset is None
    got = {(e.row, e.column) for e in result.report.errors}
    assert {(3, "身份证号"), (4, "车辆价值(元)"), (5, "初次登记日期"), (2, "身份证号"), (6, "身份证号"),
            (7, "区划代码"), (8, "区划代码"), (9, "身份证号")} <= got
    by_row = {e.row: e for e in result.report.errors}
    assert "check digit" in by_row[3].reason
    assert "row 6" in next(e.reason for e in result.report.errors if e.row == 2 and e.column == "身份证号")
    assert "outside" in by_row[8].reason
    assert not ExternalDataset.objects.exists() and not ExternalRecord.objects.exists()
    assert not Hit.objects.exists()
    out = tmp_path / "errors.xlsx"
    result.report.write_xlsx(out)
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert sheet[0] == ["Row", "Column", "Value", "Reason"] and len(sheet) == len(result.report) + 1


def test_a_row_repeated_three_times_names_the_other_rows_in_the_plural(world, tmp_path):
    rows = vehicle_rows([(X[1], X[0], CUTOFF, "1")])
    rows += [list(rows[0]), list(rows[0])]  # the same car of the same person on rows 2, 3 and 4
    result = import_file(table_file(tmp_path, VEHICLE_HEADERS, rows))
    reasons = {e.row: e.reason for e in result.report.errors if e.column == "身份证号"}
    assert reasons[2].endswith("is also on rows 3、4"), reasons[2]


def test_import_refuses_a_file_without_the_required_columns(world, tmp_path):
    path = table_file(tmp_path, ["身份证号", "姓名"], [[X[1], X[0]]])
    with pytest.raises(Invalid, match="号牌号码"):
        import_file(path)
    with pytest.raises(Invalid):
        import_file(path, kind="cars")
    with pytest.raises(Invalid):
        import_file(path, source=" ")
    assert not ExternalDataset.objects.exists()


def test_import_needs_the_permission_in_the_area(world, tmp_path, make_user):
    from fupin.core.actor import Actor

    path = table_file(tmp_path, VEHICLE_HEADERS, vehicle_rows([(X[1], X[0], CUTOFF, "1")]))
    officer = Actor(make_user("department_officer", COUNTY_A))
    assert import_file(path, actor=officer).ok
    with pytest.raises(Forbidden):
        import_file(path, actor=officer, area=COUNTY_B)
    with pytest.raises(Forbidden):
        import_file(path, actor=Actor(make_user("village_cadre", VILLAGE_A)), area=VILLAGE_A[:9] + "000")


def test_the_import_job_writes_the_error_report(world, tmp_path, make_user):
    from fupin.core.actor import Actor
    from fupin.jobs.models import Job

    officer = Actor(make_user("county_office", COUNTY_A))
    bad = table_file(tmp_path, VEHICLE_HEADERS, vehicle_rows([("123", "x", CUTOFF, "1")]))
    job = actions.start_import(officer, bad, kind="vehicle", source="交警", as_of="2016-06-30", area_code=COUNTY_A)
    job.refresh_from_db()
    assert job.status == Job.FAILED and job.error_count == 1 and job.files.get().contains_personal_data
    assert not bad.exists()  # the uploaded file is not kept
    good = table_file(tmp_path, VEHICLE_HEADERS, vehicle_rows([(X[1], X[0], CUTOFF, "1")]), name="good.csv")
    job = actions.start_import(officer, good, kind="vehicle", source="交警", as_of="2016-06-30", area_code="")
    job.refresh_from_db()
    assert job.status == Job.SUCCEEDED, job.message
    assert job.result["match"]["before"] == 1
    assert ExternalDataset.objects.get().area_code == COUNTY_A  # the officer's own area by default


# --- the verification queue and the veto facts ----------------------------------------------------

def test_a_confirmed_veto_becomes_a_fact_the_rules_read(vehicles, make_user):
    from fupin.core.actor import Actor

    cadre = Actor(make_user("village_cadre", VILLAGE_A))
    township = Actor(make_user("township_officer", TOWNSHIP_A))
    hit = actions.decide(cadre, hit_of(vehicles, X), decision=rules.VETO)
    assert hit.status == rules.DECIDED and hit.fact_id is None  # a proposal until the township approves
    hit = actions.approve(township, hit, note="属实")
    fact = MemberFact.objects.get(source=f"comparison:{hit.pk}")
    assert hit.fact_id == fact.pk and hit.status == rules.APPROVED
    assert (fact.kind, fact.status, fact.value, fact.as_of) == ("car", MemberFact.CONFIRMED, Decimal("150000.00"),
                                                                CUTOFF - DAY)
    assert fact.member.id_number == X[1] and fact.household.number == "3607291002010001"
    _switch_on_car_veto()
    run = engine.run_rules(A6, 2016)
    outcome = RuleOutcome.objects.get(run=run, household__number="3607291002010001")
    assert f"car:{fact.pk}" in outcome.vetoes and not outcome.eligible
    hit = actions.archive(Actor(make_user("county_office", COUNTY_A)), hit)
    assert hit.status == rules.ARCHIVED


def test_a_veto_kept_with_a_reason(vehicles, make_user):
    from fupin.core.actor import Actor

    cadre = Actor(make_user("village_cadre", VILLAGE_A))
    township = Actor(make_user("township_officer", TOWNSHIP_A))
    hit = hit_of(vehicles, X)
    with pytest.raises(Invalid) as exc:
        actions.decide(cadre, hit, decision=rules.KEPT, reason="")
    assert exc.value.field == "reason"
    assert Hit.objects.get(pk=hit.pk).status == rules.OPEN
    hit = actions.decide(cadre, hit, decision=rules.KEPT, reason="车辆为务工用旧车，家庭确实困难")
    hit = actions.approve(township, hit)
    fact = MemberFact.objects.get(source=f"comparison:{hit.pk}")
    assert (fact.status, fact.reason) == (MemberFact.KEPT, "车辆为务工用旧车，家庭确实困难")
    _switch_on_car_veto()
    run = engine.run_rules(A6, 2016)
    assert "car" not in RuleOutcome.objects.get(run=run, household__number="3607291002010001").vetoes


def test_a_data_error(vehicles, make_user):
    from fupin.core.actor import Actor

    cadre = Actor(make_user("work_team", VILLAGE_A))
    hit = actions.decide(cadre, hit_of(vehicles, Z), decision=rules.ERROR, reason="号牌登记在他人名下，身份证号录错")
    assert hit.decision == rules.ERROR
    hit = actions.approve(Actor(make_user("township_officer", TOWNSHIP_A)), hit)
    assert MemberFact.objects.get(pk=hit.fact_id).status == MemberFact.ERROR
    rows = list(reports.opinion_rows(Hit.objects.all()))
    assert len(rows) == 1 and rows[0][11] == str(rules.DECISIONS[rules.ERROR]) and "录错" in rows[0][12]


def test_the_township_reviews_someone_elses_decision(vehicles, make_user):
    from fupin.core.actor import Actor

    county = Actor(make_user("county_office", COUNTY_A))
    hit = actions.decide(county, hit_of(vehicles, X), decision=rules.VETO)
    with pytest.raises(Invalid, match="yourself"):
        actions.approve(county, hit)
    township = Actor(make_user("township_officer", TOWNSHIP_A))
    with pytest.raises(Invalid):
        actions.send_back(township, hit, note="")
    hit = actions.send_back(township, hit, note="请补充车辆照片")
    assert (hit.status, hit.review_note) == (rules.OPEN, "请补充车辆照片")
    assert not MemberFact.objects.exists()
    with pytest.raises(Invalid):
        actions.archive(county, hit)
    with pytest.raises(Forbidden):  # a village cadre does not review
        actions.approve(Actor(make_user("village_cadre", VILLAGE_A)), hit)


def test_a_stale_decision_is_refused(vehicles):
    from fupin.core.errors import Conflict

    hit = hit_of(vehicles, X)
    actions.decide(SYSTEM, hit, decision=rules.VETO, version=hit.version)
    with pytest.raises(Conflict):
        actions.decide(SYSTEM, hit, decision=rules.ERROR, reason="x", version=hit.version)


def test_a_version_that_is_not_a_number_is_refused_as_stale(vehicles):
    from fupin.core.errors import Conflict

    hit = hit_of(vehicles, X)
    with pytest.raises(Conflict):
        actions.decide(SYSTEM, hit, decision=rules.VETO, version="abc")
    assert hit_of(vehicles, X).status == rules.OPEN


def test_the_county_archives_an_area_at_once(vehicles, make_user):
    from fupin.core.actor import Actor

    for person in (X, Z):
        actions.approve(SYSTEM, actions.decide(SYSTEM, hit_of(vehicles, person), decision=rules.VETO))
    county_b = Actor(make_user("county_office", COUNTY_B))
    assert actions.archive_area(county_b, COUNTY_B) == 0
    assert actions.archive_area(Actor(make_user("county_office", COUNTY_A)), COUNTY_A) == 2
    event = AuditEvent.objects.get(action="comparison.hit.archive_bulk")
    assert event.count == 2 and AuditItem.objects.filter(event=event).count() == 2
    assert Hit.objects.filter(status=rules.ARCHIVED).count() == 2


# --- the three forms ---------------------------------------------------------------------------------

def test_the_three_forms(vehicles):
    actions.decide(SYSTEM, hit_of(vehicles, X), decision=rules.KEPT, reason="家庭确实困难")
    qs = Hit.objects.all()
    check = list(reports.check_rows(qs))
    assert len(check) == 3 and check[0][5] in (X[0], Z[0], Y[0]) and check[0][2] == "石桥村"
    assert {r[6] for r in check} == {X[1], Y[1], Z[1]}  # the form carries the full ID number (logged export)
    rows = reports.summary(qs)
    kinds = [r for r in rows if r.level == "kind"]
    assert len(kinds) == 1 and kinds[0].village == "石桥村" and kinds[0].kind == "vehicle"
    c = kinds[0].counts
    assert (c["total"], c["households"], c["before"], c["after"], c["open"], c["kept"]) == (3, 3, 2, 1, 1, 1)
    assert [r.level for r in rows] == ["kind", "village", "township", "total"]
    assert rows[-1].counts["total"] == 3
    table = list(reports.summary_table(rows))
    assert table[-1][0] == "Total" and table[-1][3] == 3


# --- 低保 linkage (两项制度衔接) ------------------------------------------------------------------------

@pytest.fixture
def dibao(two_counties, tmp_path):
    CutoffDate.objects.create(area_prefix="36", date=CUTOFF, source="test")
    a1, a2 = ("低保甲", id_number(A6, "19500101", 101)), ("低保乙", id_number(A6, "19520101", 102))
    g1, g2 = ("一般甲", id_number(A6, "19550101", 103)), ("一般乙", id_number(A6, "19560101", 104))
    o1 = ("其他甲", id_number(A6, "19570101", 105))
    d1 = ("低保丙", id_number(A6, "19580101", 106))
    n1, n2 = ("名单甲", id_number(A6, "19590101", 107)), ("名单乙", id_number(A6, "19600101", 108))
    household(VILLAGE_A, "3607291002010101", [a1, a2], category="2")  # a 低保 household
    household(VILLAGE_A, "3607291002010102", [g1, g2], flags={g1[0]: {"dibao": True}})  # one member flagged
    household(VILLAGE_A, "3607291002010103", [o1])  # not marked, but on the list
    household(VILLAGE_A, "3607291002010104", [d1], category="2")  # marked, not on the list
    household(VILLAGE_B, "3607831002010101", [("龙南低保", id_number(B6, "19610101", 109))], category="2")
    rows = [[a1[1], a1[0], "2014-01-01", "300", ""], [g1[1], g1[0], "2014-01-01", "300", ""],
            [o1[1], o1[0], "2016-01-01", "300", ""], [n1[1], n1[0], "2016-01-01", "300", VILLAGE_A],
            [n2[1], n2[0], "2016-01-01", "300", ""]]
    path = table_file(tmp_path, DIBAO_HEADERS, rows)
    result = import_file(path, kind="dibao", source="全南县民政局 低保对象名单")
    assert result.ok, result.report.summary()
    return result.dataset


def test_linkage_both_ways_with_exact_counts(dibao):
    from fupin.accounts.scoping import Scope

    link = reports.linkage(Scope([A6]), dibao)
    assert link.counts == {
        "registry": 4, "matched": 2, "registry_only": 2,  # 低保甲 一般甲 | 低保乙 低保丙
        "list": 5, "list_registered": 3, "unmarked": 1, "unregistered": 2,  # 其他甲 | 名单甲 名单乙
        "households_registry": 3, "households_matched": 2, "households_registry_only": 1,
        "households_list_only": 1}
    assert link.rates == {"people": Decimal("40.0"), "households": Decimal("50.0"),
                          "registry_on_list": Decimal("50.0"), "list_in_registry": Decimal("60.0")}
    assert sorted(m.name for m in link.list_rows("registry_only")) == ["低保丙", "低保乙"]
    assert [h.member.name for h in link.list_rows("unmarked")] == ["其他甲"]
    assert sorted(r.name for r in link.list_rows("unregistered")) == ["名单乙", "名单甲"]
    assert [h.number for h in link.list_rows("households_registry_only")] == ["3607291002010104"]
    assert [h.number for h in link.list_rows("households_list_only")] == ["3607291002010103"]
    # every dibao hit is information only: the 民政 list never vetoes
    assert set(Hit.objects.filter(dataset=dibao).values_list("phase", flat=True)) == {rules.INFO}


def test_linkage_is_scoped(dibao):
    from fupin.accounts.scoping import Scope

    village = reports.linkage(Scope([VILLAGE_A]), dibao)
    assert village.counts["list"] == 4  # 名单乙 has no area: the county's, not the village's
    assert village.counts["unregistered"] == 1
    other = reports.linkage(Scope([B6]), dibao)
    assert other.counts["list"] == 0 and other.counts["matched"] == 0 and other.counts["registry"] == 0


def test_the_linkage_report_as_excel(dibao, tmp_path):
    from python_calamine import CalamineWorkbook

    from fupin.accounts.scoping import Scope

    out = tmp_path / "linkage.xlsx"
    n = reports.write_linkage(out, reports.linkage(Scope([A6]), dibao))
    assert n == 2 + 1 + 2 + 1 + 1
    wb = CalamineWorkbook.from_path(str(out))
    assert len(wb.sheet_names) == 6
    summary = wb.get_sheet_by_index(0).to_python()
    assert ["Linkage rate (people)", "40.0%"] in summary


# --- cut-off dates -----------------------------------------------------------------------------------

def test_cutoff_dates_are_data_kept_by_standards_editors(two_counties, make_user):
    """One cut-off model, identification's: comparison reads it."""
    from fupin.core.actor import Actor
    from fupin.identification import actions

    assert CutoffDate.objects.get(area_prefix="45").date == CUTOFF  # shipped: seed 003 (广西 2015)
    county = Actor(make_user("county_office", COUNTY_A))
    c = actions.save_cutoff(county, None, area_prefix=A6, date="2016-10-01", source="全南县文件")
    assert c.date == dt.date(2016, 10, 1)
    with pytest.raises(Forbidden):
        actions.save_cutoff(county, None, area_prefix="36", date="2016-10-01", source="x")
    with pytest.raises(Forbidden):
        actions.save_cutoff(Actor(make_user("township_officer", TOWNSHIP_A)), None, area_prefix=TOWNSHIP_A[:9],
                            date="2016-10-01", source="x")
    with pytest.raises(Invalid):
        actions.save_cutoff(county, None, area_prefix=A6, date="2016-10-02", source="again")
    with pytest.raises(Invalid):
        actions.save_cutoff(county, c, area_prefix=A6, date="2016-10-02", source="")
    c = actions.save_cutoff(county, c, area_prefix=A6, date="2016-10-02", source="改", version=c.version)
    assert c.version == 2
    assert AuditEvent.objects.filter(action__startswith="identification.cutoff.").count() == 2


def test_the_fast_id_check_agrees_with_the_registrys():
    """rules.valid_id_number (the import's fast path) accepts exactly what
    registry.rules.parse_id_number accepts."""
    import random

    from fupin.registry.rules import parse_id_number

    rng = random.Random(11643)
    today = dt.date.today()
    samples = [X[1], X[1].lower(), " " + X[1] + " ", X[1][:9] + " " + X[1][9:], X[1][:-1], X[1] + "1",
               "11010519491231002X", "11010519491231002x", "110105194912310021", "110105180001010019",
               id_number("110105", "18791231", 1), id_number("110105", "20990101", 1),
               id_number("110105", "20000230", 1), id_number("110105", "20000229", 1), "ABCDEFGHIJKLMNOPQR", ""]
    for _ in range(3000):
        body = f"{rng.randrange(110000, 660000)}{rng.randrange(1870, 2030)}{rng.randrange(0, 14):02d}" \
               f"{rng.randrange(0, 33):02d}{rng.randrange(0, 1000):03d}"
        samples.append(body + rng.choice("0123456789X"))
    accepted = 0
    for text in samples:
        try:
            expected = parse_id_number(text).number
        except ValueError:
            expected = None
        assert rules.valid_id_number(text, today) == expected, text
        accepted += expected is not None
    assert accepted > 100
