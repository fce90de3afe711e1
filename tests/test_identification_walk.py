"""Issue 4's "Done when", walked in the browser (Playwright, Debian's chromium, against
the live server): a county officer of 全南县 — with a village cadre of 石桥村 and a
township officer of 城厢镇 where a step is theirs —

1. sets the year's lines, among them a 浙江-style derived line (max(1.5 × last year's
   低保, 40 % × last year's rural income)), and the area's identification cut-off date;
2. runs the rules with the progress bar (the ImmediateBackend of the test settings
   finishes the job at once: the bar shows 100 % and the run is done), sees the flagged
   households with the one-sentence reason, runs a what-if;
3. takes a batch of households through the identification procedure with both notices
   and an objection (the settable clock moves the days: the first notice from 1 March
   cannot close on 7 March, closes on 8 March);
4. imports a vehicle data set and a 民政 低保 list (xlsx files written by the test);
5. works the verification queue (village decision, township review, county archive);
6. downloads the three forms and the linkage report.

The browser's console must stay clean throughout. Skips, with the reason, when
/usr/bin/chromium or the playwright package is missing."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from fupin.audit.models import AuditEvent
from fupin.comparison import rules as comparison_rules
from fupin.comparison.models import ExternalDataset, Hit
from fupin.core import clock
from fupin.core.tabular import write_xlsx
from fupin.identification.models import CutoffDate, Line, RuleRun
from fupin.procedures import rules as procedure_rules
from fupin.procedures.models import Objection, ProcedureBatch
from fupin.registry.models import Household, Income, Member

from .browser import needs_chromium
from .conftest import COUNTY_A, PASSWORD, TOWNSHIP_A, VILLAGE_A
from .test_comparison import CUTOFF, DAY, DIBAO_HEADERS, VEHICLE_HEADERS, X, Y, Z, household, vehicle_rows
from .test_procedures import make_households

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]

D = dt.date
YEAR = 2016




class Console:
    """Console errors, uncaught page errors and failed requests seen by one page."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text} @ {m.location}")
                if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} {r.failure}"))

        self.downloads: set[str] = set()
        page.on("download", lambda d: self.downloads.add(d.url))

    def assert_clean(self):
        # A download ends its navigation as "aborted" in chromium: not an error.
        errors = [e for e in self.errors
                  if not any(e == f"request failed: {url} net::ERR_ABORTED" for url in self.downloads)]
        assert errors == [], "browser console errors:\n" + "\n".join(errors)


class Person:
    """One signed-in user in a browser context of their own."""

    def __init__(self, browser, base: str, username: str):
        self.context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True,
                                           viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.console = Console(self.page)
        self.base = base
        self.page.goto(base + "/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.locator("form button[type=submit]").click()
        self.page.wait_for_url(lambda url: "/accounts/login/" not in url)

    def go(self, path: str):
        response = self.page.goto(self.base + path)
        assert response.status == 200, (path, response.status)
        return self.page

    def submit(self, selector: str = "main form[method=post] button.btn-primary"):
        with self.page.expect_navigation():
            self.page.locator(selector).first.click()
        return self.page

    def download(self, locator) -> Path:
        with self.page.expect_download() as info:
            locator.click()
        download = info.value
        assert download.failure() is None, download.failure()
        return Path(download.path())


def _sheet(path: Path) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def _xlsx(tmp_path: Path, name: str, headers, rows) -> Path:
    path = tmp_path / name
    with path.open("wb") as fh:
        write_xlsx(fh, headers, rows)
    return path


@pytest.fixture
def walk(live_server, two_counties, make_user):
    make_user("county_office", COUNTY_A, username="quannan_office", full_name="全南县扶贫办张三")
    make_user("village_cadre", VILLAGE_A, username="shiqiao_cadre", full_name="石桥村李四")
    make_user("township_officer", TOWNSHIP_A, username="chengxiang_officer", full_name="城厢镇王五")
    # The registry: X's, Y's and Z's households, each with a 2016 income; Z's
    # household is measured against the provincial (low-income) line.
    hx = household(VILLAGE_A, "3607291002010001", [X])
    hy = household(VILLAGE_A, "3607291002010002", [Y])
    hz = household(VILLAGE_A, "3607291002010003", [Z])
    Household.objects.filter(pk=hz.pk).update(standard="2")
    for h, per_capita in ((hx, "1000"), (hy, "5000"), (hz, "4000")):
        Income.objects.create(household=h, area_code=h.area_code, year=YEAR, household_size=h.size,
                              per_capita=Decimal(per_capita))
    # Three households waiting for identification (status "identified").
    candidates = make_households(VILLAGE_A, 3, names={1: "李明", 2: "王芳", 3: "赵强"})
    return {"hx": hx, "hy": hy, "hz": hz, "candidates": candidates}


# serialized_rollback: the migrated data (standards, procedure types) is restored even
# when an earlier transactional test emptied the database.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_issue_4_walk(live_server, browser, walk, tmp_path):
    base = live_server.url
    county = Person(browser, base, "quannan_office")
    page = county.page

    # --- 1. the year's lines, a 浙江-style derived line, the cut-off date ----------------
    for kind, value, per in (("dibao", "300", "month"), ("rural_income", "8000", "year")):
        county.go("/identification/lines/new/")
        page.select_option("#id_kind", kind)
        page.fill("#id_area", COUNTY_A[:6])
        page.fill("#id_year", "2015")
        page.select_option("#id_method", "fixed")
        page.fill("#id_value", value)
        page.select_option("#id_per", per)
        page.fill("#id_source", "全南县 2015 年文件")
        county.submit()
        assert re.search(r"/identification/lines/\d+/$", page.url), page.url
    county.go("/identification/lines/new/")
    page.select_option("#id_kind", "provincial")
    page.fill("#id_area", COUNTY_A[:6])
    page.fill("#id_year", str(YEAR))
    page.select_option("#id_method", "derived")
    page.select_option("#id_preset", "zhejiang_low_income")
    county.submit()
    derived = Line.objects.get(kind="provincial", area_prefix=COUNTY_A[:6], year=YEAR)
    # max(1.5 × 3,600, 40 % × 8,000) = max(5,400, 3,200)
    assert derived.is_derived and derived.annual_value == Decimal("5400.00")
    text = page.locator("main").inner_text()
    assert "5,400.00" in text and "3,200.00" in text

    county.go("/comparison/cutoffs/")
    page.fill("#id_area_prefix", COUNTY_A[:6])
    page.fill("#id_date", CUTOFF.isoformat())
    page.fill("#id_source", "全南县精准识别工作方案")
    county.submit()
    assert CutoffDate.objects.get(area_prefix=COUNTY_A[:6]).date == CUTOFF

    # --- 2. the rules, with the progress bar; flagged households; a what-if --------------
    county.go("/identification/runs/new/")
    page.fill("#id_area", COUNTY_A)
    page.fill("#id_year", str(YEAR))
    county.submit()
    assert re.search(r"/identification/runs/\d+/$", page.url), page.locator("main").inner_text()[:3000]
    run = RuleRun.objects.get(kind=RuleRun.REAL)
    assert page.url.endswith(f"/identification/runs/{run.pk}/")
    assert run.status == RuleRun.DONE and run.job.percent == 100
    bar = page.locator("#run-status .progress-bar")
    assert bar.inner_text().strip() == "100%"
    assert page.locator("#run-status .badge.text-bg-success").count() == 1
    flagged = page.locator("#run-status a[href$='/outcomes/']")
    assert flagged.inner_text().strip() == str(run.flagged)
    with page.expect_navigation():
        flagged.click()
    rows = page.locator("main table tbody tr")
    text = page.locator("main").inner_text()
    hx, hy, hz = walk["hx"], walk["hy"], walk["hz"]
    assert hy.number in text  # registered, income above the national line: flagged
    assert hx.number not in text and hz.number not in text  # below their lines: eligible, as registered
    reason = rows.filter(has_text=hy.number).locator(".outcome-reason").inner_text()
    assert "5,000" in reason and "2,952" in reason, reason  # the income and the line, in one sentence

    county.go(f"/identification/runs/simulate/?area={COUNTY_A}&year={YEAR}")
    page.select_option("#id_line_kind", "national")
    page.fill("#id_line_value", "5500")
    county.submit()
    sim = RuleRun.objects.get(kind=RuleRun.SIMULATION)
    assert sim.status == RuleRun.DONE and sim.changed == 1 and sim.based_on_id == run.pk
    assert page.locator("#run-changed").inner_text().strip() == "1"
    assert "石桥村" in page.locator("#changes-by-village").inner_text()
    assert Line.objects.get(kind="national", area_prefix="", year=YEAR).annual_value == Decimal("2952")  # nothing applied

    # --- 3. a batch through the identification procedure ------------------------------
    cadre = Person(browser, base, "shiqiao_cadre")
    township = Person(browser, base, "chengxiang_officer")
    candidates = walk["candidates"]
    with clock.frozen(D(2024, 2, 1)):
        county.go(f"/procedures/start/?type=identification_2014&area={VILLAGE_A}")
        page.fill("input[name=title]", "石桥村2024年识别")
        county.submit("main form[method=post] button.btn-primary")
    batch = ProcedureBatch.objects.get(title="石桥村2024年识别")
    assert page.url.endswith(f"/procedures/batches/{batch.pk}/")
    assert sorted(batch.members.values_list("household_id", flat=True)) == sorted(h.pk for h in candidates)
    batch_url = f"/procedures/batches/{batch.pk}/"

    def act(person: Person, on: D, action: str, fill=None):
        with clock.frozen(on):
            p = person.go(batch_url)
            if fill:
                fill(p)
            person.submit(f"button[name=action][value={action}]")
        return p

    def step() -> str:
        batch.refresh_from_db()
        return batch.current_step["code"] if batch.current_step else ""

    act(cadre, D(2024, 2, 2), "complete")  # application
    act(cadre, D(2024, 2, 2), "complete")  # household visit and data entry
    act(county, D(2024, 2, 3), "complete")  # cross-department check (county)
    assert step() == "appraisal"
    members = list(batch.members.order_by("pk"))

    def votes(p):
        p.fill("input[name=held_on]", "2024-02-05")
        p.fill("input[name=total]", "30")
        p.fill("input[name=present]", "24")
        p.fill("textarea[name=minutes]", "村民代表大会评议三户")
        for m in members:
            p.fill(f"input[name=for_{m.pk}]", "20")
            p.fill(f"input[name=against_{m.pk}]", "4")
            p.fill(f"input[name=abstain_{m.pk}]", "0")

    act(cadre, D(2024, 2, 5), "appraise", votes)
    assert step() == "village_notice"
    act(cadre, D(2024, 3, 1), "publish")
    with clock.frozen(D(2024, 3, 2)):  # an objection against 王芳's household holds it
        cadre.go(batch_url)
        form = cadre.page.locator(f"form[action$='/procedures/batches/{batch.pk}/objections/']")
        form.locator("xpath=ancestor::details").locator("summary").click()  # the form is folded
        cadre.page.select_option("select[name=member]", str(members[1].pk))
        cadre.page.fill("input[name=received_on]", "2024-03-02")
        cadre.page.fill("textarea[name=content]", "家中有财政供养人员")
        cadre.page.fill("input[name=objector_name]", "匿名")
        cadre.submit(f"form[action$='/procedures/batches/{batch.pk}/objections/'] button")
    assert [m.state for m in batch.members.order_by("pk")] == [procedure_rules.ACTIVE, procedure_rules.HELD,
                                                                procedure_rules.ACTIVE]
    with clock.frozen(D(2024, 3, 7)):  # day 7 of 7: the notice cannot close yet
        p = cadre.go(batch_url)
        close = p.locator("button[name=action][value=close]")
        assert close.is_disabled()
        assert "2024-03-08" in p.locator("main").inner_text()
        close.evaluate("b => { b.disabled = false; }")  # even forced, the server refuses
        with p.expect_navigation():
            close.click()
        assert "2024-03-08" in p.locator("main").inner_text()
        refused = [e for e in cadre.console.errors if "status of 422" in e and f"/batches/{batch.pk}/act/" in e]
        assert len(refused) == 1  # the refusal (422) is the browser's only complaint
        cadre.console.errors.remove(refused[0])
    assert step() == "village_notice"
    act(cadre, D(2024, 3, 8), "close")
    assert step() == "township_review"  # the rest of the batch went on; 王芳's household is held
    objection = Objection.objects.get()
    with clock.frozen(D(2024, 3, 9)):
        cadre.go(batch_url)
        cadre.page.select_option(f"form[action$='/objections/{objection.pk}/resolve/'] select[name=decision]",
                                 "upheld")
        cadre.page.fill(f"form[action$='/objections/{objection.pk}/resolve/'] textarea[name=text]",
                        "经核实，其子为乡镇公务员")
        cadre.submit(f"form[action$='/objections/{objection.pk}/resolve/'] button")
    assert batch.members.get(pk=members[1].pk).state == procedure_rules.WITHDRAWN
    act(township, D(2024, 3, 10), "decide")  # township review
    act(township, D(2024, 3, 11), "publish")  # second notice, 7 days
    act(township, D(2024, 3, 18), "close")
    act(county, D(2024, 3, 19), "decide")  # county approval
    act(county, D(2024, 3, 20), "publish")  # announcement, 5 days
    act(county, D(2024, 3, 25), "close")
    batch.refresh_from_db()
    assert batch.status == procedure_rules.DONE and batch.completed_on == D(2024, 3, 25)
    statuses = {h.pk: h.status for h in Household.objects.filter(pk__in=[h.pk for h in candidates])}
    assert statuses == {candidates[0].pk: "registered", candidates[1].pk: "identified",
                        candidates[2].pk: "registered"}

    # --- 4. a vehicle data set and a 低保 list ----------------------------------------
    vehicles = _xlsx(tmp_path, "车辆.xlsx", VEHICLE_HEADERS, vehicle_rows([
        (X[1], X[0], CUTOFF - DAY, "150000"), (Y[1], Y[0], CUTOFF + DAY, "80000")]))
    Member.objects.filter(id_number=Z[1]).update(dibao=True)
    dibao = _xlsx(tmp_path, "低保.xlsx", DIBAO_HEADERS, [[X[1], X[0], "2014-01-01", "300", ""],
                                                        [Z[1], Z[0], "2014-01-01", "300", ""]])
    for kind, path, source, name in (("vehicle", vehicles, "全南县公安局交警大队", "全南 车辆 2016"),
                                     ("dibao", dibao, "全南县民政局", "全南 低保 2016")):
        county.go("/comparison/import/")
        page.select_option("#id_kind", kind)
        page.set_input_files("#id_file", str(path))
        page.fill("#id_source", source)
        page.fill("#id_as_of", "2016-06-30")
        page.select_option("#id_area", COUNTY_A)
        page.fill("#id_name", name)
        county.submit()
        assert "/jobs/" in page.url
    car_set = ExternalDataset.objects.get(name="全南 车辆 2016")
    dibao_set = ExternalDataset.objects.get(name="全南 低保 2016")
    assert (car_set.record_count, dibao_set.record_count) == (2, 2)
    before = Hit.objects.get(dataset=car_set, member__id_number=X[1])
    after = Hit.objects.get(dataset=car_set, member__id_number=Y[1])
    assert (before.phase, before.status) == (comparison_rules.BEFORE, comparison_rules.OPEN)  # one day before
    assert after.phase == comparison_rules.AFTER  # one day after: never vetoes

    # --- 5. the verification queue: village decision, township review, county archive ----
    cadre.go("/comparison/hits/?queue=decide")
    queue = cadre.page.locator("main").inner_text()
    assert X[0] in queue and Y[0] not in queue and X[1] not in queue  # ID numbers masked
    with cadre.page.expect_navigation():
        cadre.page.get_by_role("link", name=X[0]).first.click()
    cadre.page.check("input[name=decision][value=kept]")
    cadre.page.fill("textarea[name=reason]", "家庭确实困难，车辆为营运贷款购买")
    cadre.submit(f"form[action$='/hits/{before.pk}/decide/'] button")
    before.refresh_from_db()
    assert (before.status, before.decision) == (comparison_rules.DECIDED, comparison_rules.KEPT)

    township.go(f"/comparison/hits/{before.pk}/")
    township.page.check("input[name=action][value=approve]")
    township.submit(f"form[action$='/hits/{before.pk}/review/'] button")
    before.refresh_from_db()
    assert before.status == comparison_rules.APPROVED and before.fact.status == "kept"

    county.go(f"/comparison/hits/{before.pk}/")
    county.submit(f"form[action$='/hits/{before.pk}/archive/'] button")
    before.refresh_from_db()
    assert before.status == comparison_rules.ARCHIVED

    # --- 6. the three forms and the linkage report --------------------------------------
    county.go("/comparison/forms/")
    links = page.locator("main a[href*='/comparison/forms/'][href*='.xlsx']")
    assert links.count() == 3
    sheets = {}
    for i in range(3):
        href = links.nth(i).get_attribute("href")
        sheets[href.split("/forms/")[1].split(".xlsx")[0]] = _sheet(county.download(links.nth(i)))
    assert set(sheets) == {"check", "opinions", "summary"}
    assert {X[1], Y[1]} <= {r[6] for r in sheets["check"][1:]}  # the form is internal: full ID numbers
    assert any("家庭确实困难，车辆为营运贷款购买" in [str(c) for c in r] for r in sheets["opinions"][1:])
    assert AuditEvent.objects.filter(kind="export", action__startswith="comparison.form.").count() == 3

    county.go(f"/comparison/linkage/?dataset={dibao_set.pk}")
    county.submit(f"form[action$='/linkage/{dibao_set.pk}/export/'] button")
    assert "/jobs/" in page.url
    report = _sheet(county.download(page.locator("main a[href*='/files/']").first))
    values = [r[1] for r in report[1:]]
    assert values[:7] == [1, 1, 0, 2, 2, 1, 0]  # Z marked and listed; X listed, registered, not marked
    assert AuditEvent.objects.filter(kind="export", action="comparison.linkage.export").exists()

    for person in (county, cadre, township):
        person.console.assert_clean()
        person.context.close()
