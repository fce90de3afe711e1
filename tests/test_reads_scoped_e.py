"""Reads in the right place: an import matches only records of the importer's area
(assistance/reimport.py), the exit check's default year is a scoped query
(exits.queries.default_year), "inside the post-exit policy period" has one definition
(exits.queries.in_period: the lists and the assistance hold agree), and the export of
unmasked personal numbers is one check (core.pii.may_export_unmasked)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from fupin.accounts.scoping import Scope
from fupin.areas.models import Area, Unit
from fupin.assistance import actions, importers, reimport
from fupin.assistance.models import Measure, Visit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.pii import may_export_unmasked
from fupin.core.tabular import write_xlsx
from fupin.dynamics import views as dynamics_views
from fupin.exits import actions as exit_actions
from fupin.exits import holds as exit_holds
from fupin.exits import queries as exit_queries
from fupin.registry import actions as registry
from fupin.registry.models import Household
from tests import test_assistance_pages
from tests.conftest import COUNTY_A, COUNTY_B, SYSTEM, TOWNSHIP_A, VILLAGE_A, VILLAGE_B
from tests.test_assistance import TODAY, make_household
from tests.test_exits import _exited, household

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals

world = test_assistance_pages.world  # a county office of A (logged in as ``c``), a helper, their poor household
EARLIER = TODAY - dt.timedelta(days=10)
D = dt.date


# --- 1. importing an export again: records of the importer's area only ---------------------------

@pytest.fixture
def moved(world, make_user):
    """Household h's measures and a visit recorded in county A, then h moved to county B:
    the records stay county A's (their area code is where they were done). County B's
    office imports rows naming them."""
    h = world["h"]
    with clock.frozen(TODAY):
        kept = actions.record_measure(SYSTEM, household=h, type="employment", date=EARLIER,
                                      amount_to_household=Decimal("1000"), details={"job": "保洁"})
        gone = actions.record_measure(SYSTEM, household=h, type="employment", date=EARLIER,
                                      amount_to_household=Decimal("2000"), details={"job": "保洁"})
        actions.withdraw_measure(SYSTEM, gone, "县A内部：重复录入")
        helper_b = actions.save_helper(SYSTEM, None, name="赵帮扶", area=Area.objects.get(code=VILLAGE_B),
                                       unit=Unit.objects.get(area_code=COUNTY_B), phone="13970020002")
        visit = actions.log_visit(SYSTEM, household=h, helper=helper_b, date=EARLIER, findings="看望")
        gone_visit = actions.log_visit(SYSTEM, household=h, helper=helper_b, date=EARLIER, findings="回访")
        actions.withdraw_visit(SYSTEM, gone_visit, "县A内部：走访记录有误")
        registry.update_household(SYSTEM, h, area_code=VILLAGE_B + "001")
    h.refresh_from_db()
    assert h.area_code.startswith(COUNTY_B[:6])
    assert {m.area_code[:6] for m in Measure.all_objects.all()} == {visit.area_code[:6]} == {COUNTY_A[:6]}
    return {"h": h, "kept": kept, "gone": gone, "visit": visit, "gone_visit": gone_visit, "helper_b": helper_b,
            "office_b": Actor(user=make_user("county_office", COUNTY_B))}


def _measure_row(h, amount: str, number: str) -> list[str]:
    return [h.number, "", "就业扶贫", EARLIER.isoformat(), amount, "0.00", "", "岗位=保洁", "", number]


def test_a_record_number_of_another_county_is_refused_not_matched(moved, tmp_path):
    h = moved["h"]
    path = tmp_path / "m.xlsx"
    write_xlsx(path, importers.headers("measures"), [
        _measure_row(h, "1000.00", str(moved["kept"].pk)), _measure_row(h, "2000.00", str(moved["gone"].pk))])
    notes: list[str] = []
    with clock.frozen(TODAY):
        counts, report = importers.import_file(moved["office_b"], "measures", path, notes)
    assert counts == {} and notes == []
    assert [(e.row, e.column, e.value) for e in report.errors] == [
        (2, "记录编号", str(moved["kept"].pk)), (3, "记录编号", str(moved["gone"].pk))]
    assert all(e.reason.startswith("no measure with this number for this household or village")
               for e in report.errors)
    assert not any("县A内部" in e.reason for e in report.errors)  # the withdrawal's reason is not shown
    assert Measure.all_objects.count() == 2

    path = tmp_path / "v.xlsx"
    write_xlsx(path, importers.headers("visits"), [
        [h.number, moved["helper_b"].phone, EARLIER.isoformat(), "看望", "", str(moved["visit"].pk)]])
    with clock.frozen(TODAY):
        counts, report = importers.import_file(moved["office_b"], "visits", path)
    assert counts == {} and [(e.row, e.column) for e in report.errors] == [(2, "记录编号")]
    assert report.errors[0].reason.startswith("no visit with this number for this household")
    assert Visit.all_objects.count() == 2


def test_a_row_without_a_number_is_not_matched_to_another_countys_record(moved, tmp_path):
    """Matched by its terms only against the importer's own records: county A's visits
    with the same terms (one in force, one withdrawn) are neither matched nor named, and
    the withdrawal's reason is not shown; the rows are county B's new visits."""
    h, phone = moved["h"], moved["helper_b"].phone
    path = tmp_path / "v.xlsx"
    write_xlsx(path, importers.headers("visits"), [[h.number, phone, EARLIER.isoformat(), "看望", "", ""],
                                                   [h.number, phone, EARLIER.isoformat(), "回访", "", ""]])
    notes: list[str] = []
    with clock.frozen(TODAY):
        counts, report = importers.import_file(moved["office_b"], "visits", path, notes)
    assert not report.errors and notes == []
    assert counts == {"visits_created": 2}
    new = Visit.objects.exclude(pk=moved["visit"].pk)
    assert sorted(new.values_list("findings", "area_code")) == [("回访", h.area_code), ("看望", h.area_code)]
    path = tmp_path / "m.xlsx"
    write_xlsx(path, importers.headers("measures"), [_measure_row(h, "2000.00", "")])
    with clock.frozen(TODAY):
        counts, report = importers.import_file(moved["office_b"], "measures", path, notes)
    assert not report.errors and notes == [] and counts == {"measures_created": 1}


def test_the_same_rows_still_match_in_the_records_own_county(world, tmp_path):
    """County A's office, re-importing its export, still has its records recognised."""
    h = world["h"]
    with clock.frozen(TODAY):
        m = actions.record_measure(SYSTEM, household=h, type="employment", date=EARLIER,
                                   amount_to_household=Decimal("1000"), details={"job": "保洁"})
        path = tmp_path / "m.xlsx"
        write_xlsx(path, importers.headers("measures"), [_measure_row(h, "1000.00", str(m.pk))])
        counts, report = importers.import_file(Actor(user=world["office"]), "measures", path)
    assert not report.errors and counts == {"measures_unchanged": 1}


def test_named_reads_in_the_scope_it_is_given(moved):
    chunk = [(2, {reimport.COLUMN: str(moved["kept"].pk)}), (3, {reimport.COLUMN: str(moved["gone"].pk)}),
             (4, {reimport.COLUMN: ""})]
    assert set(reimport.named("measures", chunk, Scope([COUNTY_A[:6]])).records) == {
        moved["kept"].pk, moved["gone"].pk}
    assert reimport.named("measures", chunk, Scope([COUNTY_B[:6]])).records == {}
    lazy = reimport.named("measures", chunk)
    with pytest.raises(RuntimeError):  # never read without a scope
        lazy.get(moved["kept"].pk)
    lazy.read(Scope([COUNTY_B[:6]]))
    assert lazy.get(moved["kept"].pk) is None


# --- 2. the exit check's default year: a scoped query ----------------------------------------------

def test_default_exit_year_reads_the_users_area_only(two_counties, make_user):
    a = household(VILLAGE_A, 1)
    b = household(VILLAGE_B, 2)
    for h, year in ((a, 2019), (a, 2021), (b, 2020)):
        registry.save_income(SYSTEM, h, year, wages=Decimal("9000"))
    office_a, office_b = make_user("county_office", COUNTY_A), make_user("county_office", COUNTY_B)
    with clock.frozen(D(2020, 6, 1)):
        # county B's 2020 incomes are not county A's; A's 2021 incomes are after this year
        assert exit_queries.default_year(office_a, COUNTY_A[:6]) == (2019, True)
        assert exit_queries.default_year(office_a, "") == (2019, True)
        assert exit_queries.default_year(office_b, COUNTY_B[:6]) == (2020, True)
        # an area asked for outside the scope reads nothing: last year
        assert exit_queries.default_year(office_b, COUNTY_A[:6]) == (2019, False)
        assert exit_queries.default_year(office_a, "360729101") == (2019, False)  # a township without incomes
    with clock.frozen(D(2022, 6, 1)):
        assert exit_queries.default_year(office_a, COUNTY_A[:6]) == (2021, True)


def test_the_check_page_opens_on_the_scoped_default_year(two_counties, make_user, login):
    b = household(VILLAGE_B, 2)
    registry.save_income(SYSTEM, b, 2020, wages=Decimal("9000"))
    a = household(VILLAGE_A, 1)
    registry.save_income(SYSTEM, a, 2018, wages=Decimal("9000"))
    c = login(make_user("county_office", COUNTY_A))
    with clock.frozen(D(2020, 6, 1)):
        r = c.get(reverse("exits:check"), {"area": COUNTY_A})
    assert r.status_code == 200 and r.context["year"] == 2018


# --- 3. inside the post-exit policy period: one definition ----------------------------------------

def test_the_hold_and_the_lists_agree_on_every_day(two_counties, make_user):
    """exits.queries.in_period (any household) and exits.queries.in_observation (a user's
    lists) are the one definition: on a past day a household closed since (exited) or
    returned since was in its period."""
    user = make_user("county_office", COUNTY_A)
    a = _exited(VILLAGE_A, 1, D(2017, 12, 10))  # the transition period: to 2025-12-31
    b = _exited(VILLAGE_A, 2, D(2020, 12, 1))
    registry.set_status(SYSTEM, b, "returned", D(2022, 3, 1), reason="因病")
    c = _exited(VILLAGE_B, 3, D(2019, 12, 1))  # county B: the hold sees it, county A's list does not
    with clock.frozen(D(2026, 1, 5)):
        assert exit_actions.close_observation(Actor(user=user), COUNTY_A[:6]) == 1
        a.refresh_from_db()
        assert a.status == "exited"
        expected = {D(2017, 12, 9): set(), D(2017, 12, 10): {a.pk}, D(2021, 6, 1): {a.pk, b.pk},
                    D(2022, 3, 1): {a.pk}, D(2025, 12, 31): {a.pk}, D(2026, 1, 1): set()}
        for on, pks in expected.items():
            held = set(exit_queries.in_period(Household.objects.all(), on).values_list("pk", flat=True))
            listed = set(exit_queries.in_observation(user, "", on).values_list("pk", flat=True))
            defined = set(exit_queries.in_period(Household.objects.filter(area_code__startswith=COUNTY_A[:6]), on)
                          .values_list("pk", flat=True))
            assert held - {c.pk} == listed == defined == pks, on
        assert c.pk in set(exit_queries.in_period(Household.objects.all(), D(2021, 6, 1)).values_list("pk", flat=True))


def test_the_hold_today_is_the_period_today(two_counties):
    h = _exited(VILLAGE_A, 1, D(2020, 11, 20))
    with clock.frozen(D(2024, 6, 15)):
        assert exit_holds.check(h) is not None
        row = exit_queries.in_period(Household.objects.filter(pk=h.pk), D(2024, 6, 15)).get()
        assert str(row.observation_until) in exit_holds.check(h)
    with clock.frozen(D(2026, 1, 2)):
        assert exit_holds.check(h) is None
        assert not exit_queries.in_period(Household.objects.filter(pk=h.pk), D(2026, 1, 2)).exists()


# --- 4. unmasked personal numbers in a file: one check ----------------------------------------------

def test_may_export_unmasked_needs_both_permissions_at_the_area(two_counties, make_user):
    from fupin.accounts import actions as accounts

    office = make_user("county_office", COUNTY_A)
    assert may_export_unmasked(office, VILLAGE_A) and may_export_unmasked(office, COUNTY_A)
    assert not may_export_unmasked(office, VILLAGE_B)
    assert not may_export_unmasked(office, "") and not may_export_unmasked(office, None)  # not the whole country
    cadre = make_user("village_cadre", VILLAGE_A)  # pii.reveal, no registry.export
    assert not may_export_unmasked(cadre, VILLAGE_A)
    split = make_user("village_cadre", VILLAGE_A)  # reveal at A, export (an inspector) only at B
    accounts.grant_role(SYSTEM, split, "inspector", COUNTY_B)
    split = type(split).objects.get(pk=split.pk)
    assert not may_export_unmasked(split, VILLAGE_A) and may_export_unmasked(split, VILLAGE_B)
    admin = make_user("admin", None)
    assert may_export_unmasked(admin, "") and may_export_unmasked(admin, VILLAGE_B)


def test_the_household_card_and_the_register_ask_it(two_counties, make_user, login):
    h = make_household("3607291002010001")
    office = make_user("county_office", COUNTY_A)
    cadre = make_user("village_cadre", VILLAGE_A)
    for user, allowed in ((office, True), (cadre, False)):
        c = login(user)
        assert c.get(reverse("registry:household", args=[h.pk])).context["can_full_pdf"] is allowed
        assert c.get(reverse("registry:register", args=[VILLAGE_A])).context["full_export"] is allowed


def test_the_dynamics_lists_ask_it_at_the_whole_country_too(two_counties, make_user):
    """A list of the whole country (prefix "") is unmasked only for a user holding both
    permissions there — not for one holding them somewhere (the check was ``None``:
    anywhere)."""
    office = make_user("county_office", COUNTY_A)
    assert dynamics_views._full(office, COUNTY_A[:6]) and dynamics_views._full(office, TOWNSHIP_A[:9])
    assert not dynamics_views._full(office, COUNTY_B[:6])
    assert not dynamics_views._full(office, "")
    assert dynamics_views._full(make_user("admin", None), "")
