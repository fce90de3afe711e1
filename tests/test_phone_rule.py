"""One rule for phone numbers, worded in one place (registry.rules): every action that takes a
phone refuses a bad one naming the value and the rule, every import names the rule for the
cell its report names, and the data-quality check finds exactly the numbers the rule refuses."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from fupin.accounts import actions as accounts
from fupin.areas.models import Area, Unit
from fupin.assistance import actions as assistance
from fupin.assistance import importers as assistance_importers
from fupin.core.actor import Actor
from fupin.core.errors import Invalid
from fupin.core.tabular import write_xlsx
from fupin.monitoring import actions as monitoring
from fupin.registry import exchange, quality
from fupin.registry.models import Household
from fupin.registry.rules import PHONE_RULE, is_valid_phone, phone_cell_problem, phone_problem
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A
from tests.test_registry_quality import few_areas, make_household  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")

BAD = "0797-12ab"
RULE = "give an 11-digit mobile number or a 7–12 digit landline number"
REFUSAL = f"“{BAD}” is not a phone number: {RULE}."
CELL = f"not a phone number: {RULE}"


def test_the_rule_and_its_refusals():
    assert str(PHONE_RULE) == "An 11-digit mobile number or a 7–12 digit landline number."
    assert phone_problem(BAD) == REFUSAL and phone_cell_problem(BAD) == CELL
    for good in ("13970010000", "0797-8321234", "0797 832 1234", "8321234"):
        assert phone_problem(good) is None and phone_cell_problem(good) is None


def _refusal(fn) -> Invalid:
    with pytest.raises(Invalid) as exc:
        fn()
    assert exc.value.field == "phone"
    return exc.value


def test_a_user_is_refused_a_bad_phone_in_the_rules_words(two_counties, make_user, login):
    exc = _refusal(lambda: accounts.create_user(SYSTEM, username="p.user", role="helper", area_code=VILLAGE_A,
                                                phone=BAD))
    assert str(exc.message) == REFUSAL
    page = login(make_user("county_office", COUNTY_A)).get(reverse("accounts:user_create")).content.decode()
    assert html.escape(str(PHONE_RULE)) in page  # the users page says the rule in its words


def test_an_application_is_refused_a_bad_phone_in_the_rules_words(two_counties):
    public = Actor(user=None, ip="192.0.2.1", channel="web")
    exc = _refusal(lambda: monitoring.submit_application(public, village=VILLAGE_A, name="申请人", phone=BAD,
                                                         what="因病"))
    assert str(exc.message) == REFUSAL
    exc = _refusal(lambda: monitoring.record_application(SYSTEM, village=VILLAGE_A, name="来电人", phone=BAD,
                                                         what="因病"))
    assert str(exc.message) == REFUSAL


def test_a_helper_is_refused_a_bad_phone_in_the_rules_words(two_counties):
    village = Area.objects.get(code=VILLAGE_A, valid_to__isnull=True)
    exc = _refusal(lambda: assistance.save_helper(SYSTEM, None, name="王帮扶", area=village, level="county",
                                                  phone=BAD))
    assert str(exc.message) == REFUSAL


def test_the_assistance_import_names_the_rule_for_a_bad_phone(two_counties, tmp_path):
    unit = Unit.objects.get(area_code="360729000000")
    headers = assistance_importers.headers("teams")
    rows = []
    for phone in (BAD, ""):
        row = dict.fromkeys(headers, "")
        row.update({"村代码": VILLAGE_A, "派出单位": unit.name, "进驻日期": "2017-03-01", "姓名": "王队员",
                    "手机": phone, "队内角色": "工作队员"})
        rows.append([row[h] for h in headers])
    path = tmp_path / "teams.xlsx"
    write_xlsx(path, headers, rows)
    counts, report = assistance_importers.import_file(SYSTEM, "teams", path)
    assert counts == {}
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors if e.column == "手机"] == [
        (2, "手机", BAD, CELL), (3, "手机", "", "required, but empty")]


def test_the_registry_import_names_the_rule_for_a_bad_phone():
    for col in (c for c in exchange.COLUMNS if c.kind == "phone"):
        with pytest.raises(ValueError) as exc:
            exchange.parse_cell(col, BAD)
        assert str(exc.value) == CELL
        assert exchange.parse_cell(col, "0797-8321234") == "0797-8321234"
    explained = {row[0]: row[3] for row in exchange.explanation_rows()}
    assert explained["联系电话"] == explained["成员联系电话"] == str(PHONE_RULE)


def test_the_quality_check_refuses_what_the_rule_refuses(few_areas):
    h = make_household("360729100201001").h
    values = ["13970010000", "0797-8321234", "0797 832 1234", "8321234", "123456789012", "123456",
              "1234567890123", "1390000111a", "１３９７００１００００", "139\t70010000", "--", " ", "-8321234-", BAD]
    for value in values:
        Household.objects.filter(pk=h.pk).update(phone=value)
        flagged = quality._phone_bad(Household.objects.filter(pk=h.pk)).exists()
        assert flagged == (not is_valid_phone(value)), value


def test_the_templates_explain_the_rule_in_its_words():
    from django.utils import translation

    from fupin.accounts import importers as user_importers

    with translation.override("zh-hans"):
        rule = str(PHONE_RULE)
        registry = {row[0]: row[3] for row in exchange.explanation_rows()}
    assert rule == "11 位手机号或 7—12 位固定电话。"
    assert {row[0]: row[2] for row in user_importers.explanation_rows()}["手机"] == rule
    assert registry["联系电话"] == rule
