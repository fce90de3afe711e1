"""Issue 6's "Done when" for household exits, walked in the browser (Playwright, Debian's
chromium, against the live server): "a batch of households goes through the whole exit
procedure with an objection in the first notice, and all eight documents come out
correct" — each step done by the role whose step it is:

- the village cadre of 石桥村 opens the exit check, ticks the households that pass every
  item (a failing household has no box), starts the batch, completes the nomination,
  records the appraisal with its votes, completes the verification, publishes the first
  notice and records an objection against one household;
- the township officer of 城厢镇 decides the objection (rejected, with the written
  answer), records the township review and runs the second notice;
- the county office of 全南县 approves, runs the announcement and files.

The settable clock moves the days: closing the first notice on its 7th day is refused
(the button is disabled; forced, the server answers 422), the 8th day closes it. Then
the eight documents are fetched from the batch page's links and their PDF text
(pdftotext) checked: the households' names, masked ID numbers only, the right dates.
The households end exited_policy with the exit year and are listed in observation.

Skips, with the reason, when /usr/bin/chromium, playwright or pdftotext is missing."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fupin.core import clock
from fupin.core.masking import mask_id_number
from fupin.procedures import rules as procedure_rules
from fupin.procedures.models import Objection, ProcedureBatch
from fupin.registry.models import Household, StatusChange

from .browser import needs_chromium
from .conftest import COUNTY_A, TOWNSHIP_A, VILLAGE_A
from .test_exits import household, line
from .test_identification_walk import Person

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)"),
]

D = dt.date
YEAR = 2024
CODES = ["exit_application", "appraisal_minutes", "vote_tally", "village_notice", "township_report",
         "township_notice", "county_report", "county_announcement"]
ID_RE = re.compile(r"\d{17}[\dX]")




@pytest.fixture
def walk(live_server, two_counties, make_user):
    make_user("county_office", COUNTY_A, username="quannan_office", full_name="全南县扶贫办张三")
    make_user("village_cadre", VILLAGE_A, username="shiqiao_cadre", full_name="石桥村李四")
    make_user("township_officer", TOWNSHIP_A, username="chengxiang_officer", full_name="城厢镇王五")
    line(YEAR, 4000)
    passing = [household(n=n, per_capita=pc, year=YEAR) for n, pc in ((1, 4300), (2, 4650), (3, 5120))]
    failing = household(n=4, per_capita=3999, year=YEAR)  # one yuan below the line
    return {"passing": passing, "failing": failing}


def _pdf_text(data: bytes, path: Path) -> str:
    path.write_bytes(data)
    assert data[:5] == b"%PDF-", data[:200]
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    path.with_suffix(".txt").write_text(text)
    return text


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_exit_walk(live_server, browser, walk, tmp_path):
    base = live_server.url
    cadre = Person(browser, base, "shiqiao_cadre")
    township = Person(browser, base, "chengxiang_officer")
    county = Person(browser, base, "quannan_office")
    passing, failing = walk["passing"], walk["failing"]

    # --- the exit check: the passing list, a batch started from it ---------------------------
    with clock.frozen(D(YEAR, 11, 1)):
        page = cadre.go(f"/exits/?area={VILLAGE_A}&year={YEAR}")
        table = page.locator("#exit-check")
        assert table.locator("input[name=household]").count() == 3  # the failing household has no box
        assert "3,999.00" in table.locator("tr", has_text=failing.number).inner_text()
        page.select_option("#f-result", "pass")
        with page.expect_navigation():
            page.locator("form[method=get] button.btn-primary").click()
        text = page.locator("#exit-check").inner_text()
        assert failing.number not in text and all(h.number in text for h in passing)
        for h in passing:
            page.check(f"input[name=household][value='{h.pk}']")
        page.fill("#f-title", "石桥村2024年贫困户退出")
        cadre.submit("form[action$='/exits/start/'] button.btn-primary")
    batch = ProcedureBatch.objects.get(title="石桥村2024年贫困户退出")
    batch_url = f"/procedures/batches/{batch.pk}/"
    assert page.url.endswith(batch_url)
    assert batch.type.code == "exit_2016"
    assert sorted(batch.members.values_list("household_id", flat=True)) == sorted(h.pk for h in passing)
    members = list(batch.members.order_by("household__number"))

    def act(person: Person, on: D, action: str, fill=None):
        with clock.frozen(on):
            p = person.go(batch_url)
            if fill:
                fill(p)
            person.submit(f"button[name=action][value={action}]")
        assert "alert-danger" not in p.content(), p.locator("main").inner_text()[:2000]
        return p

    def step() -> str:
        batch.refresh_from_db()
        return batch.current_step["code"] if batch.current_step else ""

    act(cadre, D(YEAR, 11, 2), "complete", lambda p: p.fill("textarea[name=notes]", "第一村民小组提名三户"))
    assert step() == "appraisal"

    def votes(p):
        p.fill("input[name=held_on]", "2024-11-04")
        p.fill("input[name=total]", "30")
        p.fill("input[name=present]", "25")
        p.fill("textarea[name=minutes]", "村民代表大会评议三户退出")
        for m, (yes, no, abstain) in zip(members, ((23, 2, 0), (20, 4, 1), (25, 0, 0)), strict=True):
            p.fill(f"input[name=for_{m.pk}]", str(yes))
            p.fill(f"input[name=against_{m.pk}]", str(no))
            p.fill(f"input[name=abstain_{m.pk}]", str(abstain))

    act(cadre, D(YEAR, 11, 4), "appraise", votes)
    assert step() == "verification"
    act(cadre, D(YEAR, 11, 5), "complete", lambda p: p.fill("textarea[name=notes]", "村委会和驻村工作队入户核实"))
    assert step() == "village_notice"
    act(cadre, D(YEAR, 11, 6), "publish")  # day 1 of 7: up to 12 November

    # --- an objection in the first notice, decided by the township -------------------------
    objected = members[1]
    with clock.frozen(D(YEAR, 11, 8)):
        cadre.go(batch_url)
        form = cadre.page.locator(f"form[action$='/procedures/batches/{batch.pk}/objections/']")
        form.locator("xpath=ancestor::details").locator("summary").click()
        cadre.page.select_option("select[name=member]", str(objected.pk))
        cadre.page.fill("input[name=received_on]", "2024-11-08")
        cadre.page.fill("textarea[name=content]", "该户收入不实，尚未稳定脱贫")
        cadre.page.fill("input[name=objector_name]", "村民甲")
        cadre.submit(f"form[action$='/procedures/batches/{batch.pk}/objections/'] button")
    objected.refresh_from_db()
    assert objected.state == procedure_rules.HELD
    objection = Objection.objects.get()
    with clock.frozen(D(YEAR, 11, 9)):
        township.go(batch_url)
        resolve = f"form[action$='/objections/{objection.pk}/resolve/']"
        township.page.select_option(f"{resolve} select[name=decision]", "rejected")
        township.page.fill(f"{resolve} textarea[name=text]", "经入户核实，该户务工收入属实，人均纯收入超过标准")
        township.submit(f"{resolve} button")
    objected.refresh_from_db()
    objection.refresh_from_db()
    assert objected.state == procedure_rules.ACTIVE and objection.status == "rejected"

    with clock.frozen(D(YEAR, 11, 12)):  # day 7 of 7: the notice cannot close yet
        p = cadre.go(batch_url)
        close = p.locator("button[name=action][value=close]")
        assert close.is_disabled()
        assert "2024-11-13" in p.locator("main").inner_text()
        close.evaluate("b => { b.disabled = false; }")  # even forced, the server refuses
        with p.expect_navigation():
            close.click()
        assert "2024-11-13" in p.locator("main").inner_text()
        refused = [e for e in cadre.console.errors if "status of 422" in e and f"/batches/{batch.pk}/act/" in e]
        assert len(refused) == 1
        cadre.console.errors.remove(refused[0])
    assert step() == "village_notice"
    act(cadre, D(YEAR, 11, 13), "close")
    assert step() == "township_review"

    act(township, D(YEAR, 11, 14), "decide", lambda p: p.fill("textarea[name=notes]", "城厢镇审核同意"))
    act(township, D(YEAR, 11, 15), "publish")  # second notice: 15 to 21 November
    with clock.frozen(D(YEAR, 11, 21)):
        assert township.go(batch_url).locator("button[name=action][value=close]").is_disabled()
    act(township, D(YEAR, 11, 22), "close")
    assert step() == "county_approval"
    act(county, D(YEAR, 11, 25), "decide")
    act(county, D(YEAR, 11, 26), "publish")  # announcement: 26 to 30 November
    with clock.frozen(D(YEAR, 11, 30)):
        assert county.go(batch_url).locator("button[name=action][value=close]").is_disabled()
    act(county, D(YEAR, 12, 1), "close")
    assert step() == "filing"
    act(county, D(YEAR, 12, 2), "complete", lambda p: p.fill("textarea[name=notes]", "已报市、省扶贫开发领导小组备案"))
    batch.refresh_from_db()
    assert batch.status == procedure_rules.DONE and batch.completed_on == D(YEAR, 12, 2)

    # --- the households: exited with the year, in observation ------------------------------
    for h in Household.objects.filter(pk__in=[h.pk for h in passing]):
        assert (h.status, h.exit_year, h.status_date) == ("exited_policy", YEAR, D(YEAR, 12, 2))
        assert StatusChange.objects.get(household=h, status="exited_policy").source == f"procedure:{batch.pk}"
    assert Household.objects.get(pk=failing.pk).status == "registered"
    with clock.frozen(D(YEAR, 12, 3)):
        page = county.go(f"/exits/observation/?area={VILLAGE_A}")
        text = page.locator("main").inner_text()
    assert all(h.number in text for h in passing) and failing.number not in text
    assert "2025-12-31" in text  # the 四个不摘 transition period

    # --- the eight documents, from the batch page ------------------------------------------
    with clock.frozen(D(YEAR, 12, 3)):
        page = county.go(batch_url)
        links = page.locator("a[href*='/documents/'][title]")
        hrefs = {links.nth(i).get_attribute("title"): links.nth(i).get_attribute("href") for i in range(links.count())}
        assert sorted(hrefs) == sorted(CODES)
        texts = {}
        for code in CODES:
            response = county.context.request.get(base + hrefs[code])
            assert response.status == 200, (code, response.status)
            texts[code] = _pdf_text(response.body(), tmp_path / f"{code}.pdf")
    names = [h.head_name for h in passing]
    ids = [h.members.get(relation="01").id_number for h in passing]
    for code, text in texts.items():
        flat = re.sub(r"\s+", "", text)
        assert not ID_RE.search(flat), (code, "an unmasked ID number", text)
        assert all(name in flat for name in names), (code, text)
        if code in ("exit_application", "village_notice", "township_notice", "county_announcement"):
            assert all(mask_id_number(i) in flat for i in ids), (code, text)
    flat = {code: re.sub(r"\s+", "", text) for code, text in texts.items()}
    # The documents' own numbers and dates (the issuer's date closes each one).
    golden = {
        "exit_application": ["建档立卡贫困户退出申请书", "4300.00", "4650.00", "5120.00", "2024年11月2日"],
        "appraisal_minutes": ["会议日期2024年11月4日", "应到30人，实到25人", "通过3户，未通过0户", "村民代表大会评议三户退出"],
        "vote_tally": ["应到代表30人，实到25人", "通过：3户。未通过：0户。", "2024年11月4日"],
        "village_notice": ["公示期7天，自2024年11月6日至2024年11月12日（含）", "3户6人", "4650.00"],
        "township_report": ["2024年11月6日至2024年11月12日", "该户收入不实", "经入户核实", "2024年11月14日"],
        "township_notice": ["公示期7天，自2024年11月15日至2024年11月21日（含）", "3户6人"],
        "county_report": ["2024年11月15日至2024年11月21日", "该户收入不实", "2024年11月25日"],
        "county_announcement": ["于2024年脱贫退出", "公告期5天，自2024年11月26日至2024年11月30日（含）", "3户6人"],
    }
    for code, wanted in golden.items():
        missing = [w for w in wanted if w not in flat[code]]
        assert not missing, (code, missing, texts[code])
    for code in ("village_notice", "township_notice", "county_announcement"):  # votes are not published
        assert "5120.00(2024)2024" in flat[code]
    for h, i, (yes, no, abstain) in zip(passing, ids, ((23, 2, 0), (20, 4, 1), (25, 0, 0)), strict=True):
        # each household's row of the tally: head, masked ID, size, for / against / abstaining, present
        row = rf"{h.head_name}\s+{re.escape(mask_id_number(i))}\s+2\s+{yes}\s+{no}\s+{abstain}\s+25\s"
        assert re.search(row, texts["vote_tally"]), (row, texts["vote_tally"])

    for person in (cadre, township, county):
        person.console.assert_clean()
        person.context.close()


