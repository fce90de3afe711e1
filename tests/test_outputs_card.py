"""The household card (户卡) as a page and as a PDF: the PDF shows what the page shows
about the helper, plan, measures and visits, the members' insurance and support, names
on one line; a person's name is labelled 姓名 (not 名称, a place's name); a group of one
income item is shown once."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse

from fupin.areas.models import Area, Unit
from fupin.assistance import actions as assistance
from fupin.registry import actions
from fupin.registry.models import Member
from fupin.registry.views.common import income_table
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A
from tests.test_registry_pages import page, world  # noqa: F401  (the fixture)

HELPER = "周帮扶"
MEMBER = "欧阳明"  # three characters, only in the member table


def pdf_lines(body: bytes) -> list[str]:
    """The PDF's text as laid out on the page, line by line (a cell's wrapped text is on
    several lines)."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed: the text cannot be read back")
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=body, capture_output=True, check=True)
    return out.stdout.decode().splitlines()


def pdf_flat(body: bytes) -> str:
    """The PDF's text in reading order without any white space (a cell's text in one piece)."""
    pdf_lines(body)  # (skips without pdftotext)
    out = subprocess.run(["pdftotext", "-", "-"], input=body, capture_output=True, check=True)
    return "".join(out.stdout.decode().split())


@pytest.fixture
def card(world):
    h = world["h"]
    actions.add_member(SYSTEM, h, name=MEMBER, relation="03", sex="1", no_id_reason="3", ethnicity="01",
                       school_status="00", health="1", birth_date="2001-04-05")
    Member.objects.filter(household=h, name="李四").update(dibao=True, medical_insurance=True)
    village = Area.objects.get(code=VILLAGE_A)
    helper = assistance.save_helper(SYSTEM, None, name=HELPER, area=village,
                                    unit=Unit.objects.get(area_code=COUNTY_A), post="科员", phone="13970010001")
    assistance.pair(SYSTEM, h, helper, dt.date(2024, 1, 1))
    assistance.save_household_plan(SYSTEM, h, 2024, goals="发展养殖增收", measure_types=["employment"])
    assistance.record_measure(SYSTEM, household=h, type="employment", date=dt.date(2024, 3, 2),
                              amount_to_household=Decimal("1200"), details={"job": "保洁"})
    assistance.log_visit(SYSTEM, household=h, helper=helper, date=dt.date(2024, 3, 9), findings="看望老人")
    h.refresh_from_db()
    return h


def test_the_pdf_shows_helper_plan_measures_visits_and_flags(world, card):
    response = world["client"].get(reverse("registry:household_pdf", args=[card.pk]))
    assert response.status_code == 200
    lines = pdf_lines(response.content)
    text = "\n".join(lines)
    # 帮扶责任人与帮扶措施: the helper with unit and post, the plan, the measure, the visit
    section = text[text.index("帮扶责任人与帮扶措施"):]
    assert HELPER in section and "科员" in section and "现在" in section  # paired until now
    assert "发展养殖增收" in section and "看望老人" in section and "1,200.00" in section
    assert "请查阅" not in text  # no longer only "see the assistance records"
    # the members' insurance and support, in their own column
    flat = pdf_flat(response.content)
    members = flat[flat.index("家庭成员"):flat.index("各年度收入")]
    assert "保险与保障" in members and "医保、低保" in members
    # a three-character name on one line (the narrow column broke it one character a line)
    assert any(MEMBER in line for line in lines), [line for line in lines if MEMBER[0] in line]


def test_the_pdf_without_assistance_records_says_so(world):
    response = world["client"].get(reverse("registry:household_pdf", args=[world["h"].pk]))
    text = "\n".join(pdf_lines(response.content))
    section = text[text.index("帮扶责任人与帮扶措施"):]
    assert "尚无帮扶责任人" in section and "未登记帮扶措施" in section


def test_a_person_s_name_is_labelled_姓名_on_the_card_and_in_the_pdf(world, card):
    html = page(world["client"], reverse("registry:household", args=[card.pk]))
    members = html[html.index('id="members"'):html.index('id="income"')]
    header = members[members.index("<thead>"):members.index("</thead>")]
    assert "<th>姓名</th>" in header and "名称" not in header
    response = world["client"].get(reverse("registry:household_pdf", args=[card.pk]))
    text = "\n".join(pdf_lines(response.content))
    members_pdf = text[text.index("家庭成员"):text.index("各年度收入")]
    assert "姓名" in members_pdf and "名称" not in members_pdf


def test_a_person_s_name_is_labelled_姓名_in_the_duplicates_queue(world):
    from fupin.registry.models import DuplicateCandidate

    h, other = world["h"], world["other"]
    a = h.members.get(relation="01")
    b = other.members.get(relation="01")
    DuplicateCandidate.objects.create(a=a, b=b, area_code=a.area_code, reason="name_birth")
    html = page(world["client"], reverse("registry:duplicates"))
    assert '<th class="w-25">姓名</th>' in html and '<th class="w-25">名称</th>' not in html


def test_a_group_of_one_item_is_shown_once(world):
    h = world["h"]
    actions.save_income(SYSTEM, h, 2023, wages=10000, crops=3000, dibao=1200)
    table = income_table(list(h.incomes.all()))
    labels = [str(r["label"]) for r in table["rows"]]
    assert labels.count("工资性收入") == 1  # the group is its one item (wages)
    assert "生产经营性收入" in labels and "种植业收入" in labels  # a group of several keeps its items
    html = page(world["client"], reverse("registry:household", args=[h.pk]))
    income = html[html.index('id="income"'):html.index('id="history"')]
    assert income.count("工资性收入") == 1 and income.count("10,000.00") == 1  # (total: 14,200.00)
    income_page = page(world["client"], reverse("registry:household_income", args=[h.pk]))
    by_year = income_page[income_page.index("fp-income"):]
    assert by_year.count("工资性收入") == 1
    response = world["client"].get(reverse("registry:household_pdf", args=[h.pk]))
    text = "\n".join(pdf_lines(response.content))
    assert text[text.index("各年度收入"):text.index("状态变更")].count("工资性收入") == 1
