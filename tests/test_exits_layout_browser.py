"""Layout measured in a browser (Playwright, Debian's chromium, the live server, a
1366-pixel-wide window as in the usability walk, Chinese UI):

- the exit check's table fits its card: the status (贫困户（未脱贫）) stays on one line
  (it was squeezed to two characters a line) and the reason wraps inside the card
  instead of being cut at its right edge;
- the audit log's From/To date inputs are wide enough for a whole date (they were cut).

What holds in any font is read from the computed styles (the status cell does not wrap; the
reason may break anywhere); the widths themselves are those of the installed Chinese font, so
that part skips, with the reason, when `fc-list :lang=zh` lists no font. The date inputs'
width is set in rem (the root font size), the same in any font.

Skips, with the reason, when /usr/bin/chromium or the playwright package is missing."""

from __future__ import annotations

import re

import pytest

from .browser import NO_CJK_FONT, cjk_font, needs_chromium, sign_in
from .conftest import COUNTY_A, PASSWORD
from .test_exits import household, line

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    needs_chromium,
]


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def _sign_in(page, base: str, username: str, path: str) -> None:
    sign_in(page, base, username, PASSWORD, next_path=path)
    page.wait_for_url(re.compile(re.escape(path.split("?")[0])))


def test_exit_check_table_fits_its_card(live_server, two_counties, make_user, page):
    line(2023, 4000)
    for n in range(1, 4):  # fail on income in 2024 (not recorded) and 2023 (below the line): long reasons
        household(n=n, per_capita=3000 + n, year=2023)
    make_user("county_office", COUNTY_A, username="qn_layout")
    _sign_in(page, live_server.url, "qn_layout", "/exits/?year=2024")
    page.wait_for_selector("#exit-check td.exit-reason")
    sizes = page.evaluate("""() => {
        const table = document.querySelector('#exit-check');
        const box = table.closest('.table-responsive');
        const status = document.querySelector('#exit-check td.exit-status');
        const reason = document.querySelector('#exit-check td.exit-reason');
        const range = document.createRange();
        range.selectNodeContents(status);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
        const style = (el) => getComputedStyle(el);
        return {table: table.scrollWidth, box: box.clientWidth, statusLines: lines, status: status.innerText,
                statusWrap: style(status).whiteSpace, reasonWrap: style(reason).whiteSpace,
                reasonBreak: style(reason).overflowWrap};
    }""")
    # In any font: the status is one line (it does not wrap), the reason wraps and breaks anywhere.
    assert sizes["status"].startswith("贫困户")
    assert sizes["statusWrap"] == "nowrap", sizes
    assert (sizes["reasonWrap"], sizes["reasonBreak"]) == ("normal", "anywhere"), sizes
    # The widths are the installed font's.
    if cjk_font() is None:
        pytest.skip(NO_CJK_FONT)
    assert sizes["statusLines"] == 1, sizes
    assert sizes["table"] <= sizes["box"], sizes  # nothing runs past the card's right edge


def test_audit_date_filters_show_a_whole_date(live_server, two_counties, make_user, page):
    make_user("inspector", COUNTY_A, username="qn_inspector")
    _sign_in(page, live_server.url, "qn_inspector", "/audit/?since=2026-01-10&until=2026-11-23")
    for name in ("since", "until"):
        width = page.evaluate(f"() => document.querySelector('input[name={name}]').getBoundingClientRect().width")
        assert width >= 150, (name, width)
