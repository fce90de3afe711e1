"""The browser test: Debian's chromium, driven by Playwright, against the live server.

A county poverty office user of 全南县 (360729) signs in through the real login form,
follows the left menu and checks what is seen — and that nothing of 龙南市 (360783)
shows. The browser's console must stay free of errors: a script or style blocked by
the Content-Security-Policy, or a vendored static file that does not load, shows up
there.

Runs with the rest of the suite (``make test``); ``-m browser`` selects only these.
Skips, with the reason, when /usr/bin/chromium or the playwright package is missing
(.ci/run installs both, so CI never skips).
"""

from __future__ import annotations

import re

import pytest

from fupin.jobs.models import Job

from .browser import needs_chromium, sign_in
from .conftest import COUNTY_A, COUNTY_B, PASSWORD, TOWNSHIP_A

pytestmark = [
    pytest.mark.browser,
    # Transactional (the live server's thread sees the data), with serialized_rollback:
    # the data the migrations ship (procedure types, lines, code lists …) is restored even
    # when an earlier transactional test emptied the database.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    needs_chromium,
]


# Everything of county B that must never reach a county A user.
COUNTY_B_MARKERS = ["龙南", "360783", "武当镇", "杨村镇", "longnan"]
TOWNSHIPS_A = ["城厢镇", "大吉山镇", "陂头镇", "金龙镇", "南迳镇", "龙源坝镇", "中寨乡", "社迳乡", "龙下乡"]




@pytest.fixture
def shipped_data():
    """The data the migrations load is there (restored by serialized_rollback)."""
    from fupin.identification.models import Line
    from fupin.procedures.models import ProcedureType

    assert ProcedureType.objects.exists() and Line.objects.exists(), "the migrations' data was not restored"


class Console:
    """Console errors, uncaught page errors and CSP violations seen by one page."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text} @ {m.location}")
                if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} {r.failure}"))

    def assert_clean(self):
        assert self.errors == [], "browser console errors:\n" + "\n".join(self.errors)


def _open(browser, **context_args):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_args)
    context.set_default_timeout(15_000)
    page = context.new_page()
    return context, page, Console(page)


@pytest.fixture
def desktop(browser):
    context, page, console = _open(browser, viewport={"width": 1280, "height": 900})
    yield page, console
    context.close()


@pytest.fixture
def phone(browser):
    context, page, console = _open(browser, viewport={"width": 390, "height": 844}, is_mobile=True,
                                   has_touch=True, device_scale_factor=3)
    yield page, console
    context.close()


@pytest.fixture
def county_a(shipped_data, two_counties, make_user):
    """A county-office user of 全南县, and, for contrast, people and jobs of both counties."""
    user = make_user("county_office", COUNTY_A, username="quannan_office", full_name="全南县扶贫办张三")
    make_user("township_officer", TOWNSHIP_A, username="chengxiang_officer")
    other = make_user("county_office", COUNTY_B, username="longnan_office", full_name="龙南市扶贫办李四")
    Job.objects.create(kind="areas.import", title="全南县村级区划导入", area_code=COUNTY_A, created_by=user)
    Job.objects.create(kind="areas.import", title="龙南市村级区划导入", area_code=COUNTY_B, created_by=other)
    return user


def _text(page) -> str:
    return page.locator("body").inner_text()


def _assert_nothing_of_b(page):
    text, html = _text(page), page.content()
    for marker in COUNTY_B_MARKERS:
        assert marker not in text, f"{marker!r} of county B visible on {page.url}"
        assert marker not in html, f"{marker!r} of county B in the HTML of {page.url}"


_sign_in = sign_in


def _follow_menu(page, href):
    link = page.locator(f"#fp-menu a.nav-link[href='{href}']")
    link.click()
    page.wait_for_url(re.compile(re.escape(href) + r"$"))
    assert page.locator(f"#fp-menu a.nav-link.active[href='{href}']").count() == 1, f"menu item {href} not active"


def test_county_user_signs_in_and_sees_only_the_county(live_server, county_a, desktop):
    page, console = desktop
    base = live_server.url

    # The login page: Chinese by default.
    page.goto(base + "/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("label[for=id_username]").is_visible()
    assert page.locator("label[for=id_password]").is_visible()
    assert page.locator("#id_password").get_attribute("type") == "password"
    assert page.locator("input[name=csrfmiddlewaretoken]").count() == 1
    assert "登录" in page.title()
    assert "密码" in page.locator("label[for=id_password]").inner_text()

    # Static files are served and the scripts are allowed by the CSP (a 404 or a
    # blocked script shows in the console).
    console.assert_clean()
    assert page.evaluate("typeof bootstrap") == "object", "bootstrap.bundle.min.js did not run"
    assert page.evaluate("typeof htmx") == "object", "htmx.min.js did not run"

    _sign_in(page, base, "quannan_office", PASSWORD)
    page.wait_for_url(base + "/")
    assert page.locator("#fp-menu").is_visible()
    # fupin.css applied: the dark sidebar.
    assert page.locator(".fp-sidebar").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(31, 45, 61)"
    header = page.locator("main h1").inner_text()
    assert "全南县" in header
    assert "全南县扶贫办张三" in page.locator(".fp-topbar").inner_text()
    _assert_nothing_of_b(page)

    # 区划: the county is the root of what this user sees.
    _follow_menu(page, "/areas/")
    rows = page.locator("main table tbody tr")
    assert rows.count() == 1
    assert "全南县" in rows.first.inner_text()
    _assert_nothing_of_b(page)

    page.locator("main table a", has_text="全南县").click()
    page.wait_for_url(re.compile(r"/areas/360729000000/$"))
    assert "全南县" in page.locator("main h1").inner_text()
    township_names = page.locator("main table tbody tr td:nth-child(2)").all_inner_texts()
    assert sorted(township_names) == sorted(TOWNSHIPS_A)
    assert "全南县乡村振兴局" in _text(page)  # the unit in the county
    _assert_nothing_of_b(page)

    # Drill down to the village of 城厢镇 and its groups.
    page.locator("main table a", has_text="城厢镇").click()
    page.wait_for_url(re.compile(r"/areas/360729100000/$"))
    assert "石桥村" in _text(page)
    _assert_nothing_of_b(page)

    # A search across the whole tree finds nothing of county B either.
    _follow_menu(page, "/areas/")
    page.fill("main form input[name=q]", "龙南")
    page.locator("main form button").click()
    page.wait_for_url(re.compile(r"q="))
    assert page.locator("main table tbody tr td a").count() == 0

    # 单位
    _follow_menu(page, "/areas/units/")
    assert "全南县乡村振兴局" in _text(page)
    _assert_nothing_of_b(page)

    # 用户: the county's users, not the neighbour's.
    _follow_menu(page, "/accounts/users/")
    names = page.locator("main table tbody tr td:first-child").all_inner_texts()
    assert sorted(names) == ["chengxiang_officer", "quannan_office"]
    _assert_nothing_of_b(page)

    # 后台任务
    _follow_menu(page, "/jobs/")
    assert "全南县村级区划导入" in _text(page)
    _assert_nothing_of_b(page)

    console.assert_clean()

    # A county B address typed by hand is not found (the browser logs that 404 as a
    # console error, so this comes after the console check).
    response = page.goto(base + "/areas/360783000000/")
    assert response.status == 404
    assert "龙南市" not in _text(page)
    assert page.locator("#fp-menu").count() == 1  # the error page keeps the shell


def test_wrong_password_shows_the_error(live_server, county_a, desktop):
    page, console = desktop
    _sign_in(page, live_server.url, "quannan_office", "Not-the-password-1!")
    page.wait_for_load_state()
    console.assert_clean()
    assert "/accounts/login/" in page.url
    alert = page.locator("form .alert-danger[role=alert]")
    assert alert.is_visible()
    message = alert.inner_text()
    assert "5" in message and "15" in message  # failures allowed and lock minutes
    assert "密码" in message
    # The user name is kept, the password is not.
    assert page.locator("#id_username").input_value() == "quannan_office"
    assert page.locator("#id_password").input_value() == ""
    assert page.locator("#fp-menu").count() == 0

    # The right password still works afterwards.
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(live_server.url + "/")
    assert page.locator("#fp-menu").count() == 1
    console.assert_clean()


def test_phone_menu_toggle(live_server, county_a, phone):
    page, console = phone
    _sign_in(page, live_server.url, "quannan_office", PASSWORD)
    page.wait_for_url(live_server.url + "/")
    console.assert_clean()

    menu = page.locator("#fp-menu")
    toggle = page.locator(".fp-topbar button[data-bs-toggle=offcanvas][data-bs-target='#fp-menu']")
    assert toggle.is_visible()
    assert not menu.is_visible(), "the menu should be folded away on a phone"
    # Nothing sticks out sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    toggle.click()
    page.wait_for_selector("#fp-menu.show", state="visible")
    link = menu.locator("a.nav-link[href='/areas/']")
    assert link.is_visible()
    box = menu.bounding_box()
    assert box["x"] >= -1 and box["x"] + box["width"] <= 391

    # The close button folds it away again.
    menu.locator("[data-bs-dismiss=offcanvas]").click()
    page.wait_for_selector("#fp-menu", state="hidden")

    # Open again and follow a link.
    toggle.click()
    page.wait_for_selector("#fp-menu.show", state="visible")
    link.click()
    page.wait_for_url(re.compile(r"/areas/$"))
    assert not menu.is_visible()
    assert "全南县" in page.locator("main table").inner_text()
    _assert_nothing_of_b(page)
    console.assert_clean()
