"""Brief L: the exit criteria read as a table (no raw JSON but for an administrator, the
sources wrapped), and the exit check's reasons joined the way the language joins clauses
(no ASCII "; " inside Chinese text)."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import translation

from fupin.core import clock
from fupin.exits import queries, rules
from fupin.exits.models import ExitCriteria
from tests.conftest import COUNTY_A
from tests.test_exits import household, line

TODAY = dt.date(2024, 11, 20)
RAW = ('"code"', '"params"', '"year_offset"', '"consecutive_years"', '"renovated_passes"')


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(TODAY):
        yield


def _national() -> ExitCriteria:
    return ExitCriteria.objects.get(area_prefix="", from_year=2014)


def _page(client, obj) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    r = client.get(f"/exits/criteria/{obj.pk}/")
    assert r.status_code == 200
    return html.unescape(r.content.decode())


def _table(body: str) -> str:
    start = body.index('class="table table-sm small mb-0 criteria-items"')
    return body[start:body.index("</table>", start)]


@pytest.mark.parametrize("role", ["leader", "helper", "village_cadre", "inspector"])
def test_a_read_only_criteria_page_is_a_table_without_json(two_counties, make_user, login, role):
    """Who may not edit the national criteria sees each item's label, its parameters in
    words and its source — never the JSON the screenshot showed."""
    area = "360729100000" if role == "village_cadre" else COUNTY_A
    body = _page(login(make_user(role, area)), _national())
    for raw in RAW:
        assert raw not in body, raw
    assert 'id="criteria-json"' not in body and "<textarea" not in body
    table = _table(body)
    for label in rules.ITEMS.values():
        with translation.override("en"):
            assert str(label) in table, label
    with translation.override("en"):
        assert "Years in a row above the line" in table and "An income equal to the line passes" in table
    # every item's source is in the table, in a cell that wraps
    cells = re.findall(r'<td class="criteria-source" style="([^"]*)">([^<]*)</td>', table)
    assert [text for _style, text in cells] == [i.get("source") or "—" for i in _national().items]
    assert all(style == "white-space: normal; overflow-wrap: anywhere" for style, _text in cells)


def test_an_administrator_also_gets_the_json_folded(two_counties, make_user, login):
    """An administrator whose role does not cover the national row (held at the province)
    reads the page read-only: the table, and the items as JSON in a closed <details>."""
    admin = make_user("admin", "360000000000")
    body = _page(login(admin), _national())
    assert "<textarea" not in body  # read-only: the province's administrator does not edit national rows
    details = body[body.index('<details class="mt-2" id="criteria-json">'):body.index("</details>")]
    assert '"code": "income"' in details and '"year_offset": 0' in details
    assert "<details open" not in body
    assert "Years in a row above the line" in _table(body)


def test_the_editor_sees_the_table_above_the_form(two_counties, make_user, login):
    office = make_user("county_office", COUNTY_A)
    c = login(office)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    r = c.post("/exits/criteria/new/", {"name": "全南县退出标准", "area_prefix": "360729", "from_year": "2024",
                                        "source": "全南县文件",
                                        "items": '[{"code": "water", "params": {}, "source": "全南县水利局文件"}]'})
    assert r.status_code == 302
    body = _page(c, ExitCriteria.objects.get(area_prefix="360729"))
    table = _table(body)
    assert "Safe drinking water" in table and "全南县水利局文件" in table
    assert 'name="items"' in body  # the form to change it is still there


def test_the_list_page_wraps_the_sources(two_counties, make_user, login):
    c = login(make_user("leader", COUNTY_A))
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = html.unescape(c.get("/exits/criteria/").content.decode())
    table = _table(body)
    source = _national().items[0]["source"]
    assert f'<td class="criteria-source" style="white-space: normal; overflow-wrap: anywhere">{source}</td>' in table


# --- joins ------------------------------------------------------------------------------------------------

def test_income_years_are_joined_as_clauses():
    incomes = [(2026, None, Decimal("4600")), (2025, Decimal("5000"), Decimal("4600"))]
    with translation.override("zh-hans"):
        ok, text = rules.income_text(incomes, inclusive=False)
    assert not ok
    assert "; " not in text and ";" not in text
    assert text == "2026 年：未录入收入（标准线 4,600.00 元）；2025 年：人均纯收入 5,000.00 元 > 标准线 4,600.00 元"
    with translation.override("en"):
        _ok, text = rules.income_text(incomes, inclusive=False)
    assert text == ("2026: no income recorded (line 4,600.00 yuan); "
                    "2025: per-capita net income 5,000.00 yuan > line 4,600.00 yuan")


def test_the_start_checks_failed_items_are_joined_as_the_language_joins_them(two_counties):
    """The engine's refusal lists each failed item ("item: why"), joined by the language's
    clause separator — ； in Chinese, "; " in English (each item is a clause: "item: why")."""
    line(2024, 4000)
    h = household(n=1, per_capita=3999, year=2024, danger_grade="D")
    with translation.override("en"):
        text = queries.failing([h.pk], "", 2024)[h.pk]
    assert text == ("Per-capita net income: 2024: per-capita net income 3,999.00 yuan < line 4,000.00 yuan; "
                    "Safe housing: dangerous-house grade D, not renovated")
    with translation.override("zh-hans"):
        text = queries.failing([h.pk], "", 2024)[h.pk]
    assert text == "人均纯收入：2024 年：人均纯收入 3,999.00 元 < 标准线 4,000.00 元；住房安全：危房等级 D，未改造"


def test_the_check_page_says_item_and_reason_through_the_catalogue(two_counties, make_user, login):
    """The "why not" column writes "item: reason" with the language's colon (the translated
    pattern), as the criteria table writes "parameter: value"."""
    line(2024, 4000)
    bad = household(n=2, per_capita=3999, year=2024)
    c = login(make_user("county_office", COUNTY_A))
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    body = html.unescape(c.get("/exits/", {"year": "2024", "result": "fail"}).content.decode())
    assert bad.number in body
    assert "<div>人均纯收入：2024 年：人均纯收入 3,999.00 元 < 标准线 4,000.00 元</div>" in body
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    body = html.unescape(c.get("/exits/criteria/").content.decode())
    assert "<div>连续高于标准线的年数：1</div>" in body
