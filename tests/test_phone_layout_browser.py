"""Layout on a phone (Playwright, Debian's chromium, the live server, 390×844 as in the
browser walk of the demo county, Chinese UI), and the wide layout kept on a desktop (1280):

- the assistance tabs: each label on one line (they were squeezed to one character a line);
- the household list: each row on one line, the table scrolling sideways in its own container
  with the head of household's column kept in view; the page is no longer thousands of pixels
  tall (20 rows were a 7,740-pixel page) and the body does not scroll sideways;
- the household card's income table: its labels on one line (the column was two characters
  wide), kept in view while the years scroll.

What holds in any font is read from the computed styles and line boxes (a label that does not
wrap is one line in any font); a width measured in characters is the installed Chinese font's,
so that part skips, with the reason, when `fc-list :lang=zh` lists no font.

Skips, with the reason, when /usr/bin/chromium or the playwright package is missing."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from fupin.registry import actions as registry

from .browser import NO_CJK_FONT, cjk_font, needs_chromium, sign_in
from .conftest import COUNTY_A, PASSWORD, SYSTEM, VILLAGE_A
from .test_assistance import id_number

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    needs_chromium,
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# How many lines an element's text takes: the distinct tops of its line boxes.
LINES_JS = """(el) => { const r = document.createRange(); r.selectNodeContents(el);
    return new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top))).size; }"""


def _page(browser, viewport, **extra):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=viewport, **extra)
    context.set_default_timeout(20_000)
    return context, context.new_page()


@pytest.fixture
def phone(browser):
    context, page = _page(browser, PHONE, is_mobile=True, has_touch=True)
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context, page = _page(browser, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def county_user(two_counties, make_user):
    return make_user("county_office", COUNTY_A, username="qn_phone")


def _open(page, base: str, path: str) -> None:
    sign_in(page, base, "qn_phone", PASSWORD, next_path=path)
    page.wait_for_url(re.compile(re.escape(path.split("?")[0]) + "$"))


def _household(n: int, **values):
    """A household with the list's longest labels: 特困供养贫困户, 自身发展动力不足,
    已脱贫（不再享受政策）."""
    fields = {"category": "3", "standard": "1", "main_cause": "11", "identified_year": 2016, "status": "exited",
              "status_date": dt.date(2019, 12, 1), **values}
    h = registry.create_household(SYSTEM, number=f"{VILLAGE_A}9{n:03d}", area_code=VILLAGE_A + "001", **fields)
    registry.add_member(SYSTEM, h, name=f"欧阳{n}", id_number=id_number("19700315", f"{n:03d}"), relation="01",
                        ethnicity="01", school_status="00", health="1")
    registry.add_member(SYSTEM, h, name=f"欧阳{n}妻", id_number=id_number("19720610", f"{500 + n:03d}"),
                        relation="02", ethnicity="01", school_status="00", health="1")
    h.refresh_from_db()
    return h


def test_assistance_tabs_keep_each_label_on_one_line(live_server, county_user, phone):
    _open(phone, live_server.url, "/assistance/helpers/")
    tabs = phone.locator(".fp-subnav .nav-link")
    assert tabs.count() >= 8
    for i in range(tabs.count()):
        tab = tabs.nth(i)
        label = tab.inner_text().strip()
        sizes = tab.evaluate("""(el) => { const s = getComputedStyle(el);
            return {h: el.getBoundingClientRect().height, line: parseFloat(s.lineHeight) || 1.5 * parseFloat(s.fontSize),
                    pad: parseFloat(s.paddingTop) + parseFloat(s.paddingBottom), wrap: s.whiteSpace}; }""")
        assert tab.evaluate(LINES_JS) == 1, (label, sizes)
        assert sizes["h"] - sizes["pad"] <= 1.5 * sizes["line"], (label, sizes)  # one line tall
        assert sizes["wrap"] == "nowrap", (label, sizes)
    # All of them on the screen: the strip wraps whole tabs, nothing scrolls out of sight.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    strip = phone.evaluate("(() => { const n = document.querySelector('.fp-subnav'); "
                           "return [n.scrollWidth, n.clientWidth]; })()")
    assert strip[0] <= strip[1], strip


def test_household_list_scrolls_its_table_not_the_page(live_server, county_user, phone, desktop):
    for n in range(1, 21):
        _household(n)
    _open(phone, live_server.url, "/registry/households/")
    rows = phone.locator("table tbody tr")
    assert rows.count() == 20
    sizes = phone.evaluate("""() => {
        const table = document.querySelector('.fp-main table');
        const box = table.closest('.table-responsive');
        const row = table.querySelector('tbody tr');
        return {doc: document.documentElement.scrollHeight, docWidth: document.documentElement.scrollWidth,
                table: table.scrollWidth, box: box.clientWidth, boxScroll: getComputedStyle(box).overflowX,
                row: row.getBoundingClientRect().height,
                cells: [...row.cells].map(c => getComputedStyle(c).whiteSpace)};
    }""")
    assert sizes["doc"] < 3000, sizes  # was 7,740 px for the demo's 20 rows
    assert sizes["docWidth"] <= PHONE["width"], sizes  # the body does not scroll sideways …
    assert sizes["table"] > sizes["box"] and sizes["boxScroll"] == "auto", sizes  # … the table does, in its box
    assert set(sizes["cells"]) == {"nowrap"}, sizes  # one line a row
    status = phone.locator("table tbody tr").first.locator("td").nth(6)
    assert status.inner_text().startswith("已脱贫")
    assert status.evaluate(LINES_JS) == 1

    # Scrolled to its end, the head of household's name is still in view, at the box's left edge.
    pinned = phone.evaluate("""() => {
        const box = document.querySelector('.fp-main .table-responsive');
        box.scrollLeft = box.scrollWidth;
        const head = box.querySelector('tbody tr td:nth-child(2)');
        return {box: box.getBoundingClientRect().left, head: head.getBoundingClientRect().left,
                scrolled: box.scrollLeft, name: head.innerText};
    }""")
    assert pinned["scrolled"] > 0 and pinned["name"].startswith("欧阳"), pinned
    assert abs(pinned["head"] - pinned["box"]) <= 1, pinned

    # On a desktop the wide layout is kept: the table fits, nothing is pinned.
    _open(desktop, live_server.url, "/registry/households/")
    wide = desktop.evaluate("""() => {
        const table = document.querySelector('.fp-main table');
        const box = table.closest('.table-responsive');
        const head = table.querySelector('tbody tr td:nth-child(2)');
        return {table: table.scrollWidth, box: box.clientWidth, head: getComputedStyle(head).position};
    }""")
    assert wide["table"] <= wide["box"] and wide["head"] == "static", wide


def test_household_card_income_labels_are_readable(live_server, county_user, phone):
    h = _household(1)
    for k, year in enumerate(range(2017, 2025)):  # eight years of five-digit sums: wider than a phone
        registry.save_income(SYSTEM, h, year, wages=Decimal(21000 + 100 * k), crops=Decimal(13500 + k),
                             other_production=Decimal(12000 + k), dibao=Decimal(4800), production_costs=Decimal(9000))
    _open(phone, live_server.url, f"/registry/households/{h.pk}/")
    cells = phone.locator("#income table tbody tr td:first-child")
    assert cells.count() >= 8
    labels = []
    for i in range(cells.count()):
        cell = cells.nth(i)
        text = cell.inner_text().strip()
        sizes = cell.evaluate("""(el) => { const s = getComputedStyle(el); const r = document.createRange();
            r.selectNodeContents(el); const text = r.getBoundingClientRect();
            return {width: el.getBoundingClientRect().width, text: text.width, font: parseFloat(s.fontSize),
                    wrap: s.whiteSpace, position: s.position}; }""")
        labels.append((text, sizes))
        # In any font: the label does not wrap, and stays in view while the years scroll.
        assert sizes["wrap"] == "nowrap" and sizes["position"] == "sticky", (text, sizes)
        assert cell.evaluate(LINES_JS) == 1, (text, sizes)
    assert any(t == "其他生产经营性收入" for t, _s in labels), labels
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if cjk_font() is None:
        pytest.skip(NO_CJK_FONT)
    # The widths are the installed font's: a label of n Chinese characters is n em wide (at
    # least four: the column was two characters wide).
    for text, sizes in labels:
        chars = len(re.findall(r"[\u4e00-\u9fff]", text))
        assert sizes["width"] >= min(chars, 4) * sizes["font"], (text, sizes)
        assert sizes["text"] >= 0.9 * chars * sizes["font"], (text, sizes)
