"""The dynamic-management page in a browser (Playwright, Debian's chromium, against the
live server): a county office user opens the page from the menu's URL, both charts are
drawn (ECharts canvases, no inline script: CSP), the balance warning of a year with a
correction shows, and the console stays clean.

Launch options as in tests/test_browser.py; skips, with the reason, when
/usr/bin/chromium or the playwright package is missing."""

from __future__ import annotations

import re

import pytest

from .browser import needs_chromium
from .conftest import COUNTY_A, PASSWORD
from .test_dynamics import Y1, Y2, county  # noqa: F401  (the hand-built county)

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url} {r.failure}"))
    yield page, errors
    context.close()


def test_dynamics_page_draws_its_charts(live_server, transactional_db, county, make_user, page):
    page, errors = page
    make_user("county_office", COUNTY_A, username="qn_dynamics")
    page.goto(f"{live_server.url}/dynamics/?area={COUNTY_A}&year={Y2}")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", "qn_dynamics")
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/dynamics/"))
    page.wait_for_selector("#chart-waterfall canvas")
    page.wait_for_selector("#chart-years canvas")
    assert page.locator("[data-balance=warning]").count() == 1
    # the year picker goes to the other year (auto-submit, no inline handler)
    page.select_option("#dyn-year", str(Y1))
    page.wait_for_url(re.compile(rf"year={Y1}"))
    page.wait_for_selector("#chart-waterfall canvas")
    assert page.locator("[data-balance=ok]").count() == 1
    assert errors == [], "browser console errors:\n" + "\n".join(errors)
