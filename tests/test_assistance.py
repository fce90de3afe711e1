"""Assistance (帮扶): who helps and the rules that keep them (不脱贫不脱钩), plans and
measures with the income ledger, visits and their photos, ranger posts and their pay,
六清 and the coverage lists."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from stdnum.cn import ric

from fupin.accounts.scoping import Scope
from fupin.areas import actions as area_actions
from fupin.areas.models import Area, Unit
from fupin.assistance import actions, catalog, holds, queries, rules
from fupin.assistance.models import Agreement, Helper, Link, Measure, Pairing, Visit, VisitPhoto
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Forbidden, Invalid
from fupin.registry import actions as registry_actions
from fupin.registry.models import Household, Income, VillageProfile
from tests.conftest import COUNTY_A, SYSTEM, TOWNSHIP_A, VILLAGE_A

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals


TODAY = dt.date(2024, 6, 15)
RULE = catalog.pay_rule("ranger_agreement")


def id_number(birth: str, seq: str, area: str = "360729") -> str:
    base = f"{area}{birth}{seq}"
    return base + ric.calc_check_digit(base + "0")


def make_household(number: str, *, status: str = "registered", head: str = "张三", seq: str = "031",
                   area_code: str = VILLAGE_A + "001") -> Household:
    h = registry_actions.create_household(SYSTEM, number=number, area_code=area_code, category="1", standard="1",
                                          main_cause="01", identified_year=2016, status=status,
                                          status_date=dt.date(2016, 3, 1))
    registry_actions.add_member(SYSTEM, h, name=head, id_number=id_number("19700315", seq), relation="01",
                                ethnicity="01", school_status="00", health="1")
    h.refresh_from_db()
    return h


@pytest.fixture
def frozen():
    with clock.frozen(TODAY):
        yield TODAY


@pytest.fixture
def county(two_counties, frozen):
    village = Area.objects.get(code=VILLAGE_A)
    unit = Unit.objects.get(area_code=COUNTY_A)
    poor = make_household("3607291002010001", head="张三", seq="031")
    # exited, its policy period over (no hold: tests/test_assistance_exit_hold.py has one in its period)
    exited = make_household("3607291002010002", status="exited", head="李四", seq="051")
    a = actions.save_helper(SYSTEM, None, name="王帮扶", area=village, unit=unit, post="干部", phone="13970010001")
    b = actions.save_helper(SYSTEM, None, name="刘帮扶", area=village, unit=unit, post="干部", phone="13970010002")
    return {"village": village, "unit": unit, "poor": poor, "exited": exited, "a": a, "b": b}


# --- who helps ---------------------------------------------------------------------------------

def test_a_change_of_helper_keeps_history(county):
    h, a, b = county["poor"], county["a"], county["b"]
    first = actions.pair(SYSTEM, h, a, dt.date(2023, 1, 1))
    second = actions.pair(SYSTEM, h, b, dt.date(2024, 3, 1), replace=True, reason="工作调动")
    first.refresh_from_db()
    assert first.end == dt.date(2024, 2, 29) and first.end_reason == "工作调动"
    assert second.end is None and second.start == dt.date(2024, 3, 1)
    history = list(Pairing.objects.filter(household=h).order_by("start").values_list("helper__name", "start", "end"))
    assert history == [("王帮扶", dt.date(2023, 1, 1), dt.date(2024, 2, 29)), ("刘帮扶", dt.date(2024, 3, 1), None)]
    assert AuditEvent.objects.filter(action="assistance.pairing.end", object_id=str(h.pk)).count() == 1
    with pytest.raises(Invalid):  # the same helper twice
        actions.pair(SYSTEM, h, b, dt.date(2024, 4, 1))
    with pytest.raises(Invalid):  # a change dated before the current pairing began
        actions.pair(SYSTEM, h, a, dt.date(2024, 2, 1), replace=True)


def test_last_helper_of_a_poor_household_cannot_be_unpaired(county):
    h, a, b = county["poor"], county["a"], county["b"]
    p = actions.pair(SYSTEM, h, a, dt.date(2023, 1, 1))
    with pytest.raises(Invalid) as exc:
        actions.unpair(SYSTEM, p, dt.date(2024, 5, 1))
    assert "不脱贫不脱钩" in str(exc.value.message) and exc.value.code == "hold"
    p.refresh_from_db()
    assert p.end is None
    # with a second helper, the first may go
    actions.pair(SYSTEM, h, b, dt.date(2024, 1, 1))
    actions.unpair(SYSTEM, p, dt.date(2024, 5, 1), "调离")
    p.refresh_from_db()
    assert p.end == dt.date(2024, 5, 1)


def test_exited_household_may_lose_its_helper(county):
    """After its policy period (status ``exited``) nothing holds its helper."""
    p = actions.pair(SYSTEM, county["exited"], county["a"], dt.date(2023, 1, 1))
    actions.unpair(SYSTEM, p, dt.date(2024, 5, 1))
    assert Pairing.objects.get(pk=p.pk).end == dt.date(2024, 5, 1)


def test_a_later_app_can_add_a_hold(county):
    """Monitoring will register its own hold: here a stand-in keeps the exited household."""
    p = actions.pair(SYSTEM, county["exited"], county["a"], dt.date(2023, 1, 1))
    from django.db.models import Q

    holds.register("test_monitored", check=lambda h: "正在监测" if h.number == county["exited"].number else None,
                   q=lambda: Q(number=county["exited"].number))
    try:
        with pytest.raises(Invalid, match="正在监测"):
            actions.unpair(SYSTEM, p, dt.date(2024, 5, 1))
        ids = set(Household.objects.filter(holds.needs_helper_q()).values_list("pk", flat=True))
        assert county["exited"].pk in ids
    finally:
        del holds.HOLDS["test_monitored"]


def _profile(village, status, year=2024):
    return VillageProfile.objects.create(village=village, area_code=village.code, year=year, status=status)


def test_a_unit_cannot_leave_a_village_before_it_is_delisted(county):
    village = county["village"]
    _profile(village, "poor", 2023)
    enterprise = area_actions.save_unit(SYSTEM, None, name="全南县绿源油茶公司", kind="private_enterprise",
                                        level="county", area=Area.objects.get(code=COUNTY_A))
    dept = actions.add_link(SYSTEM, kind="baocun", role="department", area=village, unit=county["unit"],
                            start=dt.date(2023, 1, 1))
    actions.add_link(SYSTEM, kind="baocun", role="enterprise", area=village, unit=enterprise,
                     start=dt.date(2023, 1, 1))
    with pytest.raises(Invalid) as exc:
        actions.end_link(SYSTEM, dept, dt.date(2024, 5, 1))
    assert "不脱贫不脱钩" in str(exc.value.message)
    with pytest.raises(Invalid):  # one department per village ("三个一")
        actions.add_link(SYSTEM, kind="baocun", role="department", area=village, unit=county["unit"],
                         start=dt.date(2024, 1, 1))
    with pytest.raises(Invalid):  # an enterprise cannot be the department
        actions.add_link(SYSTEM, kind="baocun", role="department", area=village, unit=enterprise,
                         start=dt.date(2024, 1, 1), replace=True)
    # a replacement is allowed: the old link ends the day before, kept
    new = actions.add_link(SYSTEM, kind="baocun", role="department", area=village,
                           unit=Unit.objects.get(area_code=COUNTY_A, name="全南县乡村振兴局"),
                           start=dt.date(2024, 2, 1), replace=True)
    dept.refresh_from_db()
    assert dept.end == dt.date(2024, 1, 31) and new.end is None
    _profile(village, "delisted", 2024)
    actions.end_link(SYSTEM, new, dt.date(2024, 6, 1), "出列")
    assert Link.objects.get(pk=new.pk).end == dt.date(2024, 6, 1)


def test_leader_contact_point_and_paired_areas(county):
    leader = actions.save_helper(SYSTEM, None, name="县委副书记", area=Area.objects.get(code=COUNTY_A),
                                 unit=county["unit"], post="副书记", level="county")
    actions.add_link(SYSTEM, kind="guadian", area=Area.objects.get(code=TOWNSHIP_A), person=leader,
                     start=dt.date(2023, 1, 1))
    with pytest.raises(Invalid):  # a contact point is held by a person
        actions.add_link(SYSTEM, kind="guadian", area=Area.objects.get(code=TOWNSHIP_A), unit=county["unit"],
                         start=dt.date(2023, 1, 1))
    city_unit = area_actions.save_unit(SYSTEM, None, name="赣州市某开发区", kind="government", level="city",
                                       area=Area.objects.get(code="360700000000"))
    link = actions.add_link(SYSTEM, kind="duikou", area=Area.objects.get(code=COUNTY_A), unit=city_unit,
                            start=dt.date(2023, 1, 1))
    assert link.area_code == COUNTY_A
    with pytest.raises(Invalid):  # 对口帮扶 is between areas, not to a village
        actions.add_link(SYSTEM, kind="duikou", area=county["village"], unit=city_unit, start=dt.date(2023, 1, 1))


def test_work_team_members_attendance_and_the_last_team(county):
    village = county["village"]
    _profile(village, "key")
    team = actions.create_team(SYSTEM, village=village, unit=county["unit"], start=dt.date(2023, 3, 1))
    sec = actions.add_team_member(SYSTEM, team, county["a"], "first_secretary", dt.date(2023, 3, 1))
    with pytest.raises(Invalid):  # one first secretary at a time
        actions.add_team_member(SYSTEM, team, county["b"], "first_secretary", dt.date(2023, 3, 1))
    actions.add_team_member(SYSTEM, team, county["b"], "member", dt.date(2023, 3, 1))
    actions.record_attendance(SYSTEM, sec, dt.date(2024, 2, 1), 22)
    actions.record_attendance(SYSTEM, sec, dt.date(2024, 2, 1), 20)  # corrected
    assert sec.attendance.get(month=dt.date(2024, 2, 1)).days == 20
    with pytest.raises(Invalid):
        actions.record_attendance(SYSTEM, sec, dt.date(2024, 2, 1), 30)  # February 2024 has 29 days
    assert not queries.villages_without_team(Scope([VILLAGE_A]), TODAY).exists()
    with pytest.raises(Invalid, match="work team"):
        actions.end_team(SYSTEM, team, dt.date(2024, 6, 1))
    actions.create_team(SYSTEM, village=village, unit=county["unit"], start=dt.date(2024, 6, 1))
    actions.end_team(SYSTEM, team, dt.date(2024, 6, 1))
    assert team.members.filter(end__isnull=True).count() == 0


# --- plans, measures, income ledger --------------------------------------------------------------

def test_measure_details_are_checked_against_the_type():
    with pytest.raises(Invalid) as exc:
        rules.clean_details("employment", {"place": "深圳"})
    assert exc.value.field == "job"
    with pytest.raises(Invalid):
        rules.clean_details("employment", {"job": "保洁", "colour": "red"})
    with pytest.raises(Invalid):
        rules.clean_details("credit", {"loan": "50000", "bank": "农商行", "term_months": "abc"})
    clean = rules.clean_details("credit", {"loan": "50000", "bank": "农商行", "term_months": "36",
                                           "interest_subsidy": "2200.5"})
    assert clean == {"loan": "50000.00", "bank": "农商行", "term_months": 36, "interest_subsidy": "2200.50"}
    assert rules.clean_details("employment", {"job": "车间工人", "workshop": "是"})["workshop"] is True
    assert rules.income_item("industry", {"branch": "livestock"}) == "livestock"
    assert rules.income_item("credit", {}) == ""


def test_relocation_area_per_person_is_the_seed_standard():
    std = catalog.standard("relocation_area_per_person")
    assert std["value"] == 25 and "《全南县2017年精准脱贫攻坚工作要点》" in std["source"]
    ok = rules.clean_details("relocation", {"site": "梦想家园员山小区", "persons": "4", "area_m2": "100"})
    assert rules.per_person_area(ok) == Decimal("25.00")
    with pytest.raises(Invalid) as exc:
        rules.clean_details("relocation", {"site": "梦想家园员山小区", "persons": "4", "area_m2": "101"})
    assert "25" in str(exc.value.message)


def test_measure_into_the_income_ledger_once(county):
    h = county["poor"]
    registry_actions.save_income(SYSTEM, h, 2024, wages=Decimal("3000"), crops=Decimal("500"))
    job = actions.record_measure(SYSTEM, household=h, type="employment", date=dt.date(2024, 4, 1),
                                 amount_to_household=Decimal("6000"), fund_source="county",
                                 details={"job": "扶贫车间", "monthly_wage": "1500", "months": "4", "workshop": True})
    pigs = actions.record_measure(SYSTEM, household=h, type="industry", date=dt.date(2024, 5, 1),
                                  amount_to_household=Decimal("1200"), amount_spent=Decimal("3000"),
                                  details={"project": "生猪养殖", "branch": "livestock", "link": "cooperative"})
    loan = actions.record_measure(SYSTEM, household=h, type="credit", date=dt.date(2024, 5, 2),
                                  amount_spent=Decimal("2200"),
                                  details={"loan": "50000", "bank": "农商行", "term_months": "36"})
    assert (job.income_item, pigs.income_item, loan.income_item) == ("wages", "livestock", "")
    income = actions.carry_to_income(SYSTEM, [job, pigs])
    assert income.wages == Decimal("9000.00") and income.livestock == Decimal("1200.00")
    assert income.crops == Decimal("500.00")  # the other items are kept
    assert income.per_capita == Decimal("10700.00")  # one member
    assert Income.objects.get(household=h, year=2024).total_income == Decimal("10700.00")
    assert AuditEvent.objects.filter(action="registry.income.save").count() == 2
    assert AuditEvent.objects.filter(action="assistance.measure.carry").count() == 1
    with pytest.raises(Invalid) as exc:  # never twice
        actions.carry_to_income(SYSTEM, [Measure.objects.get(pk=job.pk)])
    assert exc.value.code == "carried"
    assert Income.objects.get(household=h, year=2024).wages == Decimal("9000.00")
    with pytest.raises(Invalid):  # a loan is no income
        actions.carry_to_income(SYSTEM, [loan])


def test_an_amount_that_is_not_a_number_is_refused_naming_the_field(county):
    """"NaN" quantizes to NaN, and comparing it raised InvalidOperation out of the action."""
    for field in ("amount_to_household", "amount_spent"):
        for bad, message in (("NaN", "Not a number."), ("abc", "Not a number."), ("1e10", "The amount is too large."),
                             ("-1", "Amounts cannot be negative.")):
            with pytest.raises(Invalid) as refused:
                actions.record_measure(SYSTEM, household=county["poor"], type="employment", date=TODAY,
                                       details={"job": "保洁"}, **{field: bad})
            assert (refused.value.field, str(refused.value.message)) == (field, message), (field, bad)
    assert not Measure.all_objects.exists()


def test_carrying_creates_the_year_when_missing(county):
    h = county["poor"]
    m = actions.record_measure(SYSTEM, household=h, type="dividend", date=dt.date(2024, 1, 20),
                               amount_to_household=Decimal("800"), details={"asset": "村级光伏电站"})
    actions.carry_to_income(SYSTEM, [m])
    assert Income.objects.get(household=h, year=2024).dividends == Decimal("800.00")


def test_plan_progress(county):
    h = county["poor"]
    plan = actions.save_household_plan(SYSTEM, h, 2024, goals="年底人均纯收入超过4000元", causes=["01", "09"],
                                       measure_types=["employment", "health"], expected_income="12000")
    with pytest.raises(Invalid):
        actions.save_household_plan(SYSTEM, h, 2024, causes=["99"])
    with pytest.raises(Invalid):
        actions.save_household_plan(SYSTEM, h, 2024, measure_types=["flying"])
    actions.record_measure(SYSTEM, household=h, type="employment", date=dt.date(2024, 4, 1),
                           amount_to_household=Decimal("6000"), details={"job": "护林"})
    progress = queries.plan_progress(plan)
    assert (progress["planned_done"], progress["planned_total"]) == (1, 2)
    assert [p["done"] for p in progress["planned"]] == [True, False]
    assert len(progress["uncarried"]) == 1


def test_helper_records_measures_only_for_own_households(county, make_user):
    h, a = county["poor"], county["a"]
    user = make_user("helper", VILLAGE_A)
    Helper.objects.filter(pk=a.pk).update(user=user)
    me = Actor(user=user)
    with pytest.raises(Forbidden):
        actions.record_measure(me, household=h, type="other", date=TODAY, details={"description": "送米"})
    actions.pair(SYSTEM, h, a, dt.date(2024, 1, 1))
    m = actions.record_measure(me, household=h, type="other", date=TODAY, details={"description": "送米"})
    assert m.helper_id == a.pk and m.recorded_by == user
    with pytest.raises(Forbidden):  # not the helper of the other household
        actions.record_measure(me, household=county["exited"], type="other", date=TODAY,
                               details={"description": "x"})
    with pytest.raises(Invalid):
        actions.record_measure(me, household=h, type="other", date=TODAY + dt.timedelta(days=1),
                               details={"description": "future"})


# --- visits and photos -------------------------------------------------------------------------

def png_bytes(size=(8, 8)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_visit_with_photos_is_stored_safely(county, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    h, a = county["poor"], county["a"]
    user = make_user("helper", VILLAGE_A)
    Helper.objects.filter(pk=a.pk).update(user=user)
    actions.pair(SYSTEM, h, a, dt.date(2024, 1, 1))
    me = Actor(user=user)
    photo = SimpleUploadedFile("../../etc/passwd.svg", png_bytes(), content_type="image/svg+xml")
    v = actions.log_visit(me, household=h, helper=None, date=TODAY, findings="房屋漏雨", agreements="下周联系修缮",
                          files=[photo])
    p = v.photos.get()
    assert p.content_type == "image/png" and p.file.name.endswith(".png") and "passwd" not in p.file.name
    assert p.file.name.startswith("assistance/visits/") and (tmp_path / p.file.name).exists()
    assert (p.width, p.height) == (8, 8)


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "not a photo"),
    ("x.jpg", b"\xff\xd8\xff\xe0 this is not really a jpeg", "cannot be read"),
    ("x.png", b"GIF89a......", "not a photo"),
])
def test_visit_refuses_what_is_not_a_photo(county, name, data, reason):
    with pytest.raises(Invalid, match=reason):
        actions.log_visit(SYSTEM, household=county["poor"], helper=county["a"], date=TODAY, findings="x",
                          files=[SimpleUploadedFile(name, data)])
    assert not Visit.objects.exists() and not VisitPhoto.objects.exists()


def test_visit_photo_size_limit_is_a_setting(county):
    with override_settings(ASSISTANCE_PHOTO_MAX_BYTES=100):
        with pytest.raises(Invalid, match="larger"):
            actions.log_visit(SYSTEM, household=county["poor"], helper=county["a"], date=TODAY, findings="x",
                              files=[SimpleUploadedFile("a.png", png_bytes((64, 64)))])


def test_a_helper_logs_only_own_visits(county, make_user):
    user = make_user("helper", VILLAGE_A)
    with pytest.raises(Forbidden):
        actions.log_visit(Actor(user=user), household=county["poor"], helper=county["a"], date=TODAY, findings="x")


# --- ranger posts ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("absences", "pay", "pct", "may_end"), [
    (0, Decimal("833.33"), Decimal("0"), False),
    (1, Decimal("791.67"), Decimal("5"), False),
    (2, Decimal("750.00"), Decimal("10"), False),
    (3, Decimal("750.00"), Decimal("10"), True),
])
def test_ranger_deductions(absences, pay, pct, may_end):
    assert RULE["annual_pay"] == "10000.00" and "生态护林员森林管护补助协议" in RULE["source"]
    row = rules.month_pay(RULE, absences)
    assert row["monthly"] == Decimal("833.33")
    assert (row["pay"], row["deduct_percent"], row["may_end"]) == (pay, pct, may_end)


def test_agreement_inspections_month_pay_and_decision(county):
    village = county["village"]
    post = actions.save_post(SYSTEM, None, kind="ranger", name="石桥村护林岗1", area=village, start=dt.date(2024, 1, 1),
                             end=dt.date(2024, 12, 31), rule="ranger_agreement", mu="1500", east="石桥", south="河")
    assert post.annual_pay == Decimal("10000.00")
    member = county["poor"].members.get()
    agreement = actions.sign_agreement(SYSTEM, post, member, dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    with pytest.raises(Invalid):  # one holder at a time
        actions.sign_agreement(SYSTEM, post, county["exited"].members.get(), dt.date(2024, 3, 1),
                               dt.date(2024, 12, 31))
    for day, present in [(3, True), (10, False)]:  # March: one absence
        actions.record_inspection(SYSTEM, agreement, dt.date(2024, 3, day), present)
    for day in (5, 12):  # April: two
        actions.record_inspection(SYSTEM, agreement, dt.date(2024, 4, day), False)
    for day in (6, 13, 20):  # May: three
        actions.record_inspection(SYSTEM, agreement, dt.date(2024, 5, day), False)
    expected = {dt.date(2024, 2, 1): (0, "833.33"), dt.date(2024, 3, 1): (1, "791.67"),
                dt.date(2024, 4, 1): (2, "750.00"), dt.date(2024, 5, 1): (3, "750.00")}
    for month, (n, pay) in expected.items():
        row = next(r for r in queries.month_rows(Scope([VILLAGE_A]), month) if r.pk == agreement.pk)
        assert row.absences == n
        assert rules.month_pay(RULE, row.absences, post.annual_pay)["pay"] == Decimal(pay)
    with pytest.raises(Invalid):  # April's two absences do not allow ending
        actions.decide(SYSTEM, agreement, dt.date(2024, 4, 1), "end", "两次不在岗")
    with pytest.raises(Invalid):  # a decision needs its reason
        actions.decide(SYSTEM, agreement, dt.date(2024, 5, 1), "end", "")
    decision = actions.decide(SYSTEM, agreement, dt.date(2024, 5, 1), "end", "5月三次巡查不在岗，经林业站研究终止协议",
                              end_on=dt.date(2024, 5, 31))
    agreement.refresh_from_db()
    assert decision.absences == 3 and agreement.status == Agreement.ENDED and agreement.ended_on == dt.date(2024, 5, 31)
    assert not any(r.pk == agreement.pk for r in queries.month_rows(Scope([VILLAGE_A]), dt.date(2024, 6, 1)))
    assert AuditEvent.objects.filter(action="assistance.agreement.decide").exists()


# --- coverage and 六清 -------------------------------------------------------------------------------

def test_coverage_lists(county):
    village, h, a = county["village"], county["poor"], county["a"]
    _profile(village, "poor")
    sc = Scope([COUNTY_A[:6]])
    assert list(queries.households_without_helper(sc)) == [h]  # the exited one needs none
    assert list(queries.villages_without_team(sc, TODAY)) == [village]
    assert list(queries.villages_without_unit(sc, TODAY)) == [village]
    actions.pair(SYSTEM, h, a, dt.date(2024, 1, 1))
    assert not queries.households_without_helper(sc).exists()
    since = TODAY - dt.timedelta(days=60)
    assert [x.pk for x in queries.helpers_without_visit(sc, since)] == [a.pk]
    actions.log_visit(SYSTEM, household=h, helper=a, date=TODAY - dt.timedelta(days=10), findings="ok")
    assert not queries.helpers_without_visit(sc, since).exists()
    actions.create_team(SYSTEM, village=village, unit=county["unit"], start=dt.date(2024, 1, 1))
    actions.add_link(SYSTEM, kind="baocun", role="department", area=village, unit=county["unit"],
                     start=dt.date(2024, 1, 1))
    assert not queries.villages_without_team(sc, TODAY).exists()
    assert not queries.villages_without_unit(sc, TODAY).exists()
    plan = actions.save_household_plan(SYSTEM, h, 2024, goals="x", measure_types=["employment"])
    assert list(queries.plans_without_measures(sc, 2024)) == [plan]
    actions.record_measure(SYSTEM, household=h, type="employment", date=TODAY, details={"job": "护路"})
    assert not queries.plans_without_measures(sc, 2024).exists()


def test_six_clear(county):
    village, h, a = county["village"], county["poor"], county["a"]
    sc = Scope([COUNTY_A[:6]])
    actions.pair(SYSTEM, h, a, dt.date(2024, 1, 1))
    row = queries.six_clear(Household.objects.filter(pk=h.pk), 2024).get()
    assert [getattr(row, f) for f in queries.GAP_FIELDS] == [False, True, False, False, False, False]
    _profile(village, "poor")
    actions.save_household_plan(SYSTEM, h, 2024, goals="x")
    actions.record_measure(SYSTEM, household=h, type="other", date=TODAY, details={"description": "x"})
    actions.log_visit(SYSTEM, household=h, helper=a, date=TODAY, findings="ok")
    assert [r["gaps"] for r in queries.six_clear_by_village(sc, 2024)] == [[0, 0, 0, 0, 0, 1]]
    registry_actions.save_income(SYSTEM, h, 2024, wages=Decimal("5000"))
    assert not queries.six_clear_gaps(sc, 2024).exists()
    by_helper = queries.six_clear_by_helper(sc, 2024)
    assert [(r["helper"].pk, r["households"], r["gaps"]) for r in by_helper] == [(a.pk, 1, [0] * 6)]
    # the exited household without a helper is not counted; with a helper it is
    actions.pair(SYSTEM, county["exited"], a, dt.date(2024, 1, 1))
    assert queries.six_clear_gaps(sc, 2024).count() == 1
