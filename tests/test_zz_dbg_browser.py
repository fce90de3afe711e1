import os
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]="true"
from tests.test_browser import *  # noqa
from tests.test_browser import _sign_in
def test_dbg(live_server, county_a, desktop, phone):
    for name, (page, console) in (("desk", desktop), ("phone", phone)):
        _sign_in(page, live_server.url, "quannan_office", PASSWORD)
        page.wait_for_url(live_server.url + "/")
        page.screenshot(path=f"/tmp/shot_{name}.png")
        page.goto(live_server.url + "/areas/360729000000/")
        page.screenshot(path=f"/tmp/shot_{name}_areas.png", full_page=True)
        page.goto(live_server.url + "/accounts/login/")
    page, console = phone
    page.goto(live_server.url + "/")
    page.locator(".fp-topbar button").first.click()
    page.wait_for_timeout(600)
    page.screenshot(path="/tmp/shot_phone_menu.png")
