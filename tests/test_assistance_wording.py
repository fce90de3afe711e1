"""The assistance pages in the words and units a county office reads (zh-hans UI): the
beneficiary column is not the vote's 赞成, people's names are 姓名, amounts carry 元,
the measure list has a 合计 over the whole filtered list, the measure form's step button
says what it does."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fupin.assistance import actions
from fupin.core import clock
from tests.conftest import SYSTEM
from tests.test_assistance import TODAY
from tests.test_assistance_pages import world  # noqa: F401 — the shared page fixture


def _thead(html: str, table_id: str) -> str:
    table = html.split(f'id="{table_id}"', 1)[1]
    return re.sub(r"<[^>]+>", " ", table.split("</thead>", 1)[0])


def _measure(h, amount, spent="0", type="employment", date=TODAY):
    return actions.record_measure(SYSTEM, household=h, type=type, date=date, amount_to_household=Decimal(amount),
                                  amount_spent=Decimal(spent), details={"job": "保洁"} if type == "employment" else {"description": "其他"})


def test_beneficiary_column_is_not_the_vote(world):
    c = world["c"]
    with clock.frozen(TODAY):
        m = _measure(world["h"], "1000")
        listing = c.get(reverse("assistance:measures")).content.decode()
        detail = c.get(reverse("assistance:measure", args=[m.pk])).content.decode()
    assert "赞成" not in _thead(listing, "measure-list")
    assert "赞成" not in detail


def test_people_name_columns_say_full_name(world):
    c, h = world["c"], world["h"]
    with clock.frozen(TODAY):
        post = actions.save_post(SYSTEM, None, kind="ranger", name="护林岗", area=world["village"],
                                 start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31), rule="ranger_agreement")
        actions.sign_agreement(SYSTEM, post, h.members.get(), dt.date(2024, 1, 1), dt.date(2024, 12, 31))
        team = actions.create_team(SYSTEM, village=world["village"], unit=world["unit"], start=dt.date(2024, 1, 1))
        actions.add_team_member(SYSTEM, team, world["helper"], "first_secretary", dt.date(2024, 1, 1))
        payments = c.get(reverse("assistance:payments") + "?month=2024-03").content.decode()
        helpers = c.get(reverse("assistance:helpers")).content.decode()
        team_page = c.get(reverse("assistance:team", args=[team.pk])).content.decode()
        helper_form = c.get(reverse("assistance:helper_create")).content.decode()
    for head in (_thead(payments, "payments"), _thead(team_page, "members"), helpers.split("</thead>")[0]):
        assert "姓名" in head and "名称" not in head
    assert "姓名" in helper_form


def test_amounts_carry_their_unit(world):
    c, h = world["c"], world["h"]
    with clock.frozen(TODAY):
        m = _measure(h, "1000", "250")
        post = actions.save_post(SYSTEM, None, kind="ranger", name="护林岗", area=world["village"],
                                 start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31), rule="ranger_agreement")
        actions.sign_agreement(SYSTEM, post, h.members.get(), dt.date(2024, 1, 1), dt.date(2024, 12, 31))
        listing = c.get(reverse("assistance:measures")).content.decode()
        detail = c.get(reverse("assistance:measure", args=[m.pk])).content.decode()
        card = c.get(reverse("registry:household", args=[h.pk])).content.decode()
        payments = c.get(reverse("assistance:payments") + "?month=2024-03").content.decode()
    assert "到户资金（元）" in _thead(listing, "measure-list") and "投入资金（元）" in _thead(listing, "measure-list")
    assert "1,000.00 元" in detail and "250.00 元" in detail
    panel = card.split('id="assistance-panel"', 1)[1]
    assert "1,000.00 元" in panel
    assert "833.33 元" in payments and re.search(r'id="payments-total">[^<]*元', payments)


def test_measure_list_total_covers_every_page_of_the_filter(world, settings):
    settings.PAGE_SIZE = 2
    c, h = world["c"], world["h"]
    with clock.frozen(TODAY):
        for amount, spent in (("100", "10"), ("200", "20"), ("300", "30")):
            _measure(h, amount, spent)
        _measure(h, "5000", "50", type="other", date=dt.date(2024, 2, 1))
        gone = _measure(h, "7000", "70")
        actions.withdraw_measure(SYSTEM, gone, "录入错误")
        page = c.get(reverse("assistance:measures") + "?type=employment").content.decode()
        with CaptureQueriesContext(connection) as all_types:
            everything = c.get(reverse("assistance:measures") + "?withdrawn=1").content.decode()
    foot = page.split('id="measure-totals"', 1)[1].split("</tr>", 1)[0]
    cells = re.sub(r"<[^>]+>", " ", foot)  # the text of the row, not its colspan="3"
    assert "合计" in cells and "600.00" in cells and "60.00" in cells and re.search(r"\b3 ", cells), cells
    foot = everything.split('id="measure-totals"', 1)[1].split("</tr>", 1)[0]
    assert "5,600.00" in foot and "110.00" in foot  # the withdrawn 7,000 is listed, not counted
    sums = [q["sql"] for q in all_types.captured_queries if "SUM(" in q["sql"].upper()
            and "assistance_measure" in q["sql"]]
    assert len(sums) == 1


def test_measure_form_step_button_says_what_it_does(world):
    c, h = world["c"], world["h"]
    with clock.frozen(TODAY):
        first = c.get(reverse("assistance:measure_create") + f"?household={h.pk}").content.decode()
        chosen = c.get(reverse("assistance:measure_create") + f"?household={h.pk}&type=employment").content.decode()
    for html in (first, chosen):
        button = re.search(r'<button[^>]*name="choose"[^>]*>([^<]*)</button>', html).group(1)
        assert button.strip() and button.strip() != "请选择"


@pytest.mark.usefixtures("english")
def test_measure_form_step_button_english(world):
    c, h = world["c"], world["h"]
    with clock.frozen(TODAY):
        first = c.get(reverse("assistance:measure_create") + f"?household={h.pk}").content.decode()
        chosen = c.get(reverse("assistance:measure_create") + f"?household={h.pk}&type=employment").content.decode()
    assert "Next: fill in the details</button>" in first
    assert "Change the type</button>" in chosen


def test_shipped_code_lists_cite_documents_by_name():
    """The assistance code lists are read from data/*.json at run time (no copy in the
    database; every data file is scanned by tests/test_shipped_wording.py)."""
    from fupin.assistance import catalog

    assert "《全南县2017年精准脱贫攻坚工作要点》" in catalog.standard("relocation_area_per_person")["source"]
