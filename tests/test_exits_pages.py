"""The exits pages and API: the area's check with the items as columns and the
“passes all” filter, starting an exit batch from it, a household's check, the
observation list and its logged Excel export, closing ended periods, starting a
return case, the criteria pages, and the API lists."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.utils import translation
from openpyxl import load_workbook

from fupin.accounts import actions as accounts
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.exits.models import ExitCriteria, PolicyPeriod, ReturnCase
from fupin.procedures.models import BatchMember
from fupin.registry import actions as registry
from fupin.registry.models import Household
from tests.conftest import COUNTY_A, COUNTY_B, SYSTEM, TOWNSHIP_B, VILLAGE_A, VILLAGE_B
from tests.test_exits import _exited, household, line

TODAY = dt.date(2024, 11, 20)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"), clock.frozen(TODAY):
        yield


@pytest.fixture
def world(two_counties, make_user, login):
    line(2024, 4000)
    good = household(n=1, per_capita=4001, year=2024)
    bad = household(n=2, per_capita=3999, year=2024)
    household(VILLAGE_B, 3, per_capita=5000, year=2024)
    office = make_user("county_office", COUNTY_A)
    client = login(office)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return {"good": good, "bad": bad, "office": office, "client": client}


def test_check_page_shows_items_as_columns_and_filters(world):
    c = world["client"]
    r = c.get("/exits/", {"area": [COUNTY_A[:6] + "000000", VILLAGE_A[:9] + "000", VILLAGE_A]})
    body = r.content.decode()
    assert r.status_code == 200
    assert "Per-capita net income" in body and "Safe drinking water" in body
    assert world["good"].number in body and world["bad"].number in body
    assert "2024: per-capita net income 3,999.00 yuan &lt; line 4,000.00 yuan" in body
    assert "360783" not in body
    r = c.get("/exits/", {"result": "pass"})
    assert world["good"].number in r.content.decode() and world["bad"].number not in r.content.decode()


def test_start_exit_batch_from_the_page(world):
    c = world["client"]
    r = c.post("/exits/start/", {"area": VILLAGE_A, "household": [world["good"].pk]})
    assert r.status_code == 302 and "/procedures/batches/" in r["Location"]
    assert BatchMember.objects.filter(household=world["good"]).exists()
    r = c.post("/exits/start/", {"area": VILLAGE_A, "household": [world["bad"].pk]}, follow=True)
    assert "do not meet the conditions" in r.content.decode()
    assert not BatchMember.objects.filter(household=world["bad"]).exists()


def test_household_page_shows_the_check_item_by_item(world):
    r = world["client"].get(f"/exits/households/{world['bad'].pk}/", {"year": 2024})
    body = r.content.decode()
    assert r.status_code == 200 and "exit-items" in body
    assert "3,999.00 yuan &lt; line 4,000.00 yuan" in body and "every member insured" in body


def test_observation_page_export_and_close(world):
    PolicyPeriod.objects.create(name="test", area_prefix="360729", from_year=2023, kind="observation", years=1,
                                source="test")
    h = household(n=5)
    registry.set_status(SYSTEM, h, "exited_policy", dt.date(2023, 12, 20))
    old = household(n=6)
    registry.set_status(SYSTEM, old, "exited_policy", dt.date(2019, 12, 1))  # national transition period: until 2025-12-31
    c = world["client"]
    r = c.get("/exits/observation/")
    body = r.content.decode()
    assert h.number in body and "2024-12-19" in body and old.number in body
    r = c.get("/exits/observation/", {"format": "xlsx"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    b"".join(r.streaming_content)
    assert AuditEvent.objects.filter(action="exits.observation.export", kind="export", count=2).exists()
    with clock.frozen(dt.date(2024, 12, 21)):
        r = c.post("/exits/observation/close/", {})
    assert r.status_code == 302
    h.refresh_from_db(), old.refresh_from_db()
    assert h.status == "exited" and h.status_date == dt.date(2024, 12, 20)
    assert old.status == "exited_policy"  # until 31 Dec 2025


def _observed(village: str = VILLAGE_A, n: int = 20) -> Household:
    """An exited household in the national transition period (until 2025-12-31)."""
    return _exited(village, n, dt.date(2021, 12, 1))


def _export_numbers(response) -> list[str]:
    rows = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True)
    return [row[0] for row in list(rows)[1:]]


def _export_events():
    return AuditEvent.objects.filter(action="exits.observation.export", kind="export")


def test_observation_export_needs_registry_export(world, make_user, login):
    """Personal data: a helper (registry.view, not registry.export) sees the list but gets
    neither the Excel button nor the file (403, nothing logged), as on /dynamics/."""
    h = _observed()
    helper = login(make_user("helper", COUNTY_A))
    page = helper.get("/exits/observation/")
    assert page.status_code == 200 and h.number in page.content.decode()
    assert "format=xlsx" not in page.content.decode()
    assert helper.get("/exits/observation/", {"format": "xlsx"}).status_code == 403
    assert helper.get("/exits/observation/", {"format": "xlsx", "area": VILLAGE_A}).status_code == 403
    assert not _export_events().exists()
    c = world["client"]
    assert "format=xlsx" in c.get("/exits/observation/").content.decode()
    r = c.get("/exits/observation/", {"format": "xlsx", "area": VILLAGE_A})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    assert _export_numbers(r) == [h.number]
    event = _export_events().get()
    assert (event.count, event.area_code, event.user_id) == (1, VILLAGE_A, world["office"].pk)


def test_observation_export_holds_only_the_export_scope(world, make_user, login):
    """County A's office asking for county B's area gets county A's list (an area outside
    the scope is ignored) and none of B's households; B's own office gets B's. A user who
    sees both counties but may export only in county B's township gets only B's."""
    a, b = _observed(), _observed(VILLAGE_B, 21)
    r = world["client"].get("/exits/observation/", {"format": "xlsx", "area": COUNTY_B})
    assert r.status_code == 200 and _export_numbers(r) == [a.number]
    assert _export_events().get().area_code == COUNTY_A
    office_b = login(make_user("county_office", COUNTY_B))
    assert _export_numbers(office_b.get("/exits/observation/", {"format": "xlsx"})) == [b.number]
    mixed = make_user("helper", COUNTY_A)
    accounts.grant_role(SYSTEM, mixed, "township_officer", TOWNSHIP_B)
    c = login(mixed)
    page = c.get("/exits/observation/").content.decode()
    assert a.number in page and b.number in page
    assert c.get("/exits/observation/", {"format": "xlsx", "area": VILLAGE_A}).status_code == 403
    assert _export_numbers(c.get("/exits/observation/", {"format": "xlsx"})) == [b.number]


def test_return_case_from_the_page(world):
    h = household(n=7)
    registry.set_status(SYSTEM, h, "exited_policy", dt.date(2020, 12, 1))
    c = world["client"]
    assert c.get(f"/exits/households/{h.pk}/return/").status_code == 200
    r = c.post(f"/exits/households/{h.pk}/return/", {"cause": "04", "reason": "房屋倒塌",
                                                     "occurred_on": "2024-11-01"})
    assert r.status_code == 302
    case = ReturnCase.objects.get(household=h)
    assert case.reason == "因灾：房屋倒塌" and case.occurred_on == dt.date(2024, 11, 1)
    assert "房屋倒塌" in c.get("/exits/returns/").content.decode()
    # A registered household: the engine refuses (its status), the form says why.
    r = c.post(f"/exits/households/{world['good'].pk}/return/", {"reason": "x", "occurred_on": "2024-11-01"})
    assert r.status_code == 200 and "cannot enter this procedure" in r.content.decode()


def test_criteria_pages(world, make_user, login):
    c = world["client"]
    r = c.get("/exits/criteria/")
    assert "稳定超过当年省定扶贫标准" in r.content.decode()
    national = ExitCriteria.objects.get(area_prefix="", from_year=2014)
    assert c.get(f"/exits/criteria/{national.pk}/").status_code == 200
    r = c.post("/exits/criteria/new/", {"name": "全南县退出标准", "area_prefix": "360729", "from_year": "2024",
                                        "source": "全南县文件", "items": '[{"code": "water", "params": {}, "source": "s"}]'})
    assert r.status_code == 302
    variant = ExitCriteria.objects.get(area_prefix="360729")
    assert variant.item("water") and not variant.item("income")
    r = c.post("/exits/criteria/new/", {"name": "x", "area_prefix": "360729", "from_year": "2025", "source": "s",
                                        "items": "not json"})
    assert "not valid JSON" in r.content.decode()
    # The check now uses the county's variant: income is not an item there.
    assert world["bad"].number in world["client"].get("/exits/", {"result": "pass"}).content.decode()


def test_api_lists(world, api):
    client = api(world["office"])
    r = client.get("/api/v1/exits/check", {"result": "fail", "year": 2024})
    data = r.json()
    assert r.status_code == 200 and data["count"] == 1 and data["items"][0]["number"] == world["bad"].number
    # The API answers in the default language (Chinese): the catalogue's sentence.
    assert data["items"][0]["items"][0]["text"] == "2024 年：人均纯收入 3,999.00 元 < 标准线 4,000.00 元"
    h = household(n=8)
    registry.set_status(SYSTEM, h, "exited_policy", dt.date(2022, 6, 1))
    r = client.get("/api/v1/exits/observation", {"on": "2024-01-01"})
    data = r.json()
    assert data["count"] == 1 and data["items"][0]["observation_until"] == "2025-12-31"
    assert Household.objects.filter(pk=h.pk, status="exited_policy").exists()


def _period_post(c, path, **over):
    data = {"name": "全南县脱贫户观察期", "area_prefix": "360729", "from_year": "2024", "to_year": "", "kind": "observation",
            "years": "2", "until": "", "source": "全南县文件", "note": ""}
    data.update(over)
    return c.post(path, data)


def test_policy_period_pages_create_edit_audited(world):
    c = world["client"]
    assert c.get("/exits/periods/new/").status_code == 200
    r = _period_post(c, "/exits/periods/new/")
    assert r.status_code == 302
    period = PolicyPeriod.objects.get(area_prefix="360729", from_year=2024)
    assert (period.years, period.until, period.kind) == (2, None, "observation")
    assert r["Location"] == f"/exits/periods/{period.pk}/"
    assert 'name="years"' in c.get(r["Location"]).content.decode()
    r = _period_post(c, f"/exits/periods/{period.pk}/", years="", until="2026-12-31", kind="transition")
    assert r.status_code == 302
    period.refresh_from_db()
    assert (period.years, period.until, period.kind) == (None, dt.date(2026, 12, 31), "transition")
    events = list(AuditEvent.objects.filter(action__startswith="exits.period.").order_by("pk")
                  .values_list("action", flat=True))
    assert events == ["exits.period.create", "exits.period.change"]
    # The listing links to it.
    assert f"/exits/periods/{period.pk}/" in c.get("/exits/criteria/").content.decode()


@pytest.mark.parametrize(("over", "message"), [
    ({"years": "2", "until": "2026-12-31"}, "either lasts a number of years or ends on a date"),
    ({"years": "", "until": ""}, "either lasts a number of years or ends on a date"),
    ({"years": "0"}, "between 1 and 20"),
    ({"source": ""}, "Name the source document"),
    ({"name": ""}, "Give the period a name"),
    ({"to_year": "2020"}, "The last year is before the first"),
    ({"years": "", "until": "2026-02-30"}, "The date “2026-02-30” was not understood: not a real date."),
    ({"area_prefix": "3607"}, None),  # a city prefix: county A's office may not
])
def test_policy_period_refusals(world, over, message):
    r = _period_post(world["client"], "/exits/periods/new/", **over)
    if message is None:
        assert r.status_code == 403
    else:
        assert r.status_code == 200 and message in r.content.decode()
    assert not PolicyPeriod.objects.filter(name="全南县脱贫户观察期").exists()


def test_policy_period_scoping_national_only_admin(world, make_user, login):
    c = world["client"]
    national = PolicyPeriod.objects.get(area_prefix="", from_year=2014)
    r = c.get(f"/exits/periods/{national.pk}/")
    assert r.status_code == 200 and 'name="years"' not in r.content.decode()  # read only
    before = (national.until, national.area_prefix)
    assert _period_post(c, f"/exits/periods/{national.pk}/", area_prefix="360729").status_code == 403
    national.refresh_from_db()
    assert (national.until, national.area_prefix) == before
    assert _period_post(c, "/exits/periods/new/", area_prefix="360783").status_code == 403  # county B
    own = _period_post(c, "/exits/periods/new/")
    own_pk = int(own["Location"].rstrip("/").rsplit("/", 1)[1])
    assert _period_post(c, f"/exits/periods/{own_pk}/", area_prefix="").status_code == 403  # made national
    assert PolicyPeriod.objects.get(pk=own_pk).area_prefix == "360729"
    assert _period_post(c, "/exits/periods/new/").status_code == 200  # the same area and year again
    assert PolicyPeriod.objects.filter(area_prefix="360729").count() == 1
    admin = login(make_user("admin", None))
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    r = _period_post(admin, f"/exits/periods/{national.pk}/", name=national.name, area_prefix="", from_year="2014",
                     to_year="2025", kind="transition", years="", until="2026-06-30", source=national.source)
    assert r.status_code == 302
    national.refresh_from_db()
    assert national.until == dt.date(2026, 6, 30)
    # A cadre (no standards.edit) cannot open the form.
    cadre = login(make_user("village_cadre", VILLAGE_A))
    assert cadre.get("/exits/periods/new/").status_code == 403


def test_criteria_national_row_refused_to_a_county(world):
    national = ExitCriteria.objects.get(area_prefix="", from_year=2014)
    r = world["client"].post(f"/exits/criteria/{national.pk}/", {
        "name": national.name, "area_prefix": "", "from_year": "2014", "source": national.source,
        "items": '[{"code": "water", "params": {}, "source": "s"}]'})
    assert r.status_code == 403
    national.refresh_from_db()
    assert national.item("income")


# --- the exit year the check opens on, and its layout ------------------------------------------------

@pytest.fixture
def last_year_only(two_counties, make_user, login):
    """Incomes of county A recorded for 2023 only (2024's not entered yet); county B has 2024's."""
    line(2023, 4000)
    line(2024, 4100)
    passing = household(n=11, per_capita=4500, year=2023)
    household(VILLAGE_B, 12, per_capita=5000, year=2024)
    client = login(make_user("county_office", COUNTY_A))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return {"client": client, "passing": passing}


def test_check_opens_on_the_latest_year_with_incomes_in_the_users_area(last_year_only):
    """It opened on this year, whose incomes are not recorded yet: nearly every household
    failed on 'no income recorded'. County B's 2024 incomes do not count for county A."""
    r = last_year_only["client"].get("/exits/")
    body = r.content.decode()
    assert r.context["year"] == 2023
    assert 'id="f-year" name="year" value="2023"' in body
    assert "Exit year 2023 is shown: the latest year with incomes recorded in this area." in body
    assert r.context["rows"][0].ok_all and "no income recorded" not in body
    r = last_year_only["client"].get("/exits/", {"year": "2024"})  # asked for: no explanation
    assert r.context["year"] == 2024 and 'id="year-note"' not in r.content.decode()


def test_check_opens_on_last_year_when_the_area_has_no_income(two_counties, make_user, login):
    household(n=13)
    household(VILLAGE_B, 14, per_capita=5000, year=2024)  # another county's: not the user's area
    client = login(make_user("county_office", COUNTY_A))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    r = client.get("/exits/")
    assert r.context["year"] == 2023
    assert "No income is recorded in this area yet: last year, 2023, is shown." in r.content.decode()


def test_check_table_keeps_short_columns_on_one_line_and_wraps_the_reason(world):
    body = world["client"].get("/exits/", {"year": "2024"}).content.decode()
    table = body[body.index('id="exit-check"'):body.index("</table>")]
    assert 'class="small text-nowrap exit-status"' in table
    assert 'class="small exit-reason" style="white-space: normal; overflow-wrap: anywhere"' in table
    assert "min-width: 24rem" not in table  # the reason's width pushed the table past the card's edge


def test_criteria_page_shows_parameters_as_labelled_values(world):
    from django.utils import translation

    with translation.override("en"):
        html = world["client"].get("/exits/criteria/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for raw in ("consecutive_years=", "year_offset=", "renovated_passes=", "inclusive=", "{'"):
        assert raw not in html, raw
    for shown in ("Years in a row above the line", "the exit year", "A renovated house counts as safe",
                  "the line of the household&#x27;s identification standard"):
        assert shown in html, shown


def test_item_parameters_read_in_words():
    from django.utils import translation

    from fupin.exits.views import describe_item_params

    with translation.override("en"):
        shown = dict(describe_item_params({"line": "provincial", "year_offset": -2, "inclusive": True,
                                           "grades": ["C", "D"], "custom": [1, 2]}))
    assert shown["Income year"] == "2 years before the exit year"
    assert shown["An income equal to the line passes"] == "yes"
    assert "provincial" in shown["Line"].lower() and "custom" in shown
