"""A helper on a phone (Playwright, 390×844, Debian's chromium, against the live
server): signs in, opens "my households", logs a visit with a photo (a phone's JPEG: it
is stored upright, without its EXIF and GPS position), and records a measure — each page
fits the screen and the browser's console stays clean.

Launch options and fixtures as in tests/test_browser.py; skips, with the reason, when
/usr/bin/chromium or the playwright package is missing."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest

from fupin.areas.models import Area, Unit
from fupin.assistance import actions
from fupin.assistance.models import Helper, Measure, Visit

from .browser import needs_chromium
from .conftest import COUNTY_A, PASSWORD, SYSTEM, VILLAGE_A
from .test_assistance import make_household

pytestmark = [
    pytest.mark.browser,
    # Transactional (the live server's thread sees the data), with serialized_rollback:
    # the data the migrations ship (procedure types, lines, code lists …) is restored even
    # when an earlier transactional test emptied the database.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    needs_chromium,
]




@pytest.fixture
def shipped_data():
    """The data the migrations load is there (restored by serialized_rollback)."""
    from fupin.identification.models import Line
    from fupin.procedures.models import ProcedureType

    assert ProcedureType.objects.exists() and Line.objects.exists(), "the migrations' data was not restored"


class Console:
    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text} @ {m.location}")
                if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} {r.failure}"))

    def assert_clean(self):
        assert self.errors == [], "browser console errors:\n" + "\n".join(self.errors)


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True, device_scale_factor=3)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page, Console(page)
    context.close()


@pytest.fixture
def helper_world(shipped_data, two_counties, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the photos go to a temporary folder
    user = make_user("helper", VILLAGE_A, username="shiqiao_helper", full_name="王帮扶")
    village = Area.objects.get(code=VILLAGE_A)
    helper = actions.save_helper(SYSTEM, None, name="王帮扶", area=village, unit=Unit.objects.get(area_code=COUNTY_A),
                                 phone="13970010001")
    Helper.objects.filter(pk=helper.pk).update(user=user)
    household = make_household("3607291002010001", head="张三")
    actions.pair(SYSTEM, household, helper, dt.date(2024, 1, 1))
    return {"user": user, "helper": helper, "household": household}


def _phone_photo(path: Path) -> Path:
    """A JPEG as a phone writes it: taken turned (EXIF orientation 6), with the camera and
    the GPS position in its EXIF."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (24.0, 44.0, 10.0), 3: "E", 4: (114.0, 31.0, 20.0)}
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 120, 60)).save(buf, "JPEG", exif=exif.tobytes())
    path.write_bytes(buf.getvalue())
    return path


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{page.url} is wider than the phone"


def test_helper_logs_a_visit_with_a_photo_and_records_a_measure(live_server, helper_world, phone, tmp_path):
    page, console = phone
    base = live_server.url
    household = helper_world["household"]

    page.goto(base + "/assistance/mine/")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", "shiqiao_helper")
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/assistance/mine/$"))
    card = page.locator(f"#h{household.pk}")
    assert "张三" in card.inner_text()
    _fits(page)

    # Log a visit with a photo.
    card.get_by_role("link", name=re.compile("走访|Log a visit")).click()
    page.wait_for_url(re.compile(r"/assistance/visits/new/"))
    _fits(page)
    assert page.locator("#id_household").input_value() == str(household.pk)
    page.fill("#id_findings", "房顶漏雨，老人身体尚可。")
    page.fill("#id_agreements", "下周联系村委修缮屋顶。")
    page.set_input_files("#id_photos", str(_phone_photo(tmp_path / "roof.jpg")))
    page.locator("#visit-form button").click()
    page.wait_for_url(re.compile(r"/assistance/mine/"))
    visit = Visit.objects.get(household=household)
    assert visit.helper == helper_world["helper"] and visit.findings.startswith("房顶漏雨")
    photo = visit.photos.get()
    assert photo.content_type == "image/jpeg" and (photo.width, photo.height) == (240, 320)  # stood upright
    stored = photo.file.read()
    assert b"PhoneMaker" not in stored and b"Exif" not in stored  # no camera, no GPS position

    # Record a measure: choose the type, then its own details are asked.
    page.locator(f"#h{household.pk}").get_by_role("link", name=re.compile("措施|Record a measure")).click()
    page.wait_for_url(re.compile(r"/assistance/measures/new/"))
    page.select_option("#id_type", "employment")
    page.locator("button[name=choose]").click()
    page.wait_for_selector("#id_d_job")
    _fits(page)
    page.fill("#id_d_job", "扶贫车间缝纫工")
    page.fill("#id_d_monthly_wage", "2200")
    page.check("#id_d_workshop")
    page.fill("#id_amount_to_household", "6600")
    page.locator("button[name=save]").click()
    page.wait_for_url(re.compile(r"/assistance/mine/"))
    measure = Measure.objects.get(household=household)
    assert measure.type == "employment" and measure.details["workshop"] is True
    assert str(measure.amount_to_household) == "6600.00" and measure.income_item == "wages"
    assert measure.recorded_by == helper_world["user"]

    # The visit's page shows the photo through the scoped view.
    page.goto(base + f"/assistance/visits/{visit.pk}/")
    img = page.locator("main img")
    assert img.evaluate("i => i.complete && i.naturalWidth") == 240
    _fits(page)
    console.assert_clean()
