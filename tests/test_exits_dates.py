"""Dates typed into the exits app are read by core.dates.parse_date (2017/1/5 and
2017年1月5日 as well as 2017-01-05): the return-to-poverty form, the policy-period form,
the observation list's day and ``close_observation --on``. A date that is not one is
refused with a message naming it (the observation list: today's list, saying so), never
a server error and never silently another day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from fupin.audit.models import AuditEvent
from fupin.core import clock, dates
from fupin.exits.models import PolicyPeriod, ReturnCase
from fupin.registry.models import Household
from tests.conftest import COUNTY_A, VILLAGE_A
from tests.test_exits import _exited

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals

TODAY = dt.date(2024, 11, 20)
GARBAGE_DATES = ["2024-13-45", "2024-02-30", "abc", "1850-01-01", "99999-01-01", "2024-1-1-1", "%", "0000-00-00"]


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def office(two_counties, make_user, login):
    return login(make_user("county_office", COUNTY_A))


def _observed(n: int, exited_on: dt.date) -> Household:
    return _exited(VILLAGE_A, n, exited_on)


# --- the reader ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2017-01-05", "2017/1/5", "2017年1月5日", "2017.1.5", " 20170105 ", "２０１７/１/５"])
def test_typed_date_accepts_the_spellings_people_write(text):
    assert dates.typed_date(text) == dt.date(2017, 1, 5)


@pytest.mark.parametrize("text", [None, "", "   "])
def test_nothing_typed_is_no_date(text):
    assert dates.typed_date(text) is None


@pytest.mark.parametrize(("text", "reason"), [("2017-02-30", "not a real date"), ("1850-01-01", "before 1880"),
                                              ("abc", "not a date")])
def test_a_refused_date_is_named_with_the_reason(text, reason):
    with pytest.raises(ValueError, match=f"The date “{text}” was not understood: .*{reason}"):
        dates.typed_date(text)


# --- the return-to-poverty form --------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["2024/11/1", "2024年11月1日"])
def test_return_form_accepts_the_date_as_people_write_it(office, typed):
    h = _observed(31, dt.date(2020, 12, 1))
    r = office.post(f"/exits/households/{h.pk}/return/", {"cause": "04", "reason": "房屋倒塌", "occurred_on": typed})
    assert r.status_code == 302, r.content.decode()[-2000:]
    assert ReturnCase.objects.get(household=h).occurred_on == dt.date(2024, 11, 1)


def test_return_form_refuses_a_date_that_is_not_one_with_the_message(office):
    h = _observed(32, dt.date(2020, 12, 1))
    r = office.post(f"/exits/households/{h.pk}/return/", {"reason": "房屋倒塌", "occurred_on": "2024-02-30"})
    assert r.status_code == 200
    assert "The date “2024-02-30” was not understood: not a real date." in r.content.decode()
    assert not ReturnCase.objects.filter(household=h).exists()


# --- the policy-period form ------------------------------------------------------------------------------

def _period(c, until: str):
    return c.post("/exits/periods/new/", {
        "name": "全南县过渡期", "area_prefix": "360729", "from_year": "2024", "to_year": "", "kind": "transition",
        "years": "", "until": until, "source": "全南县文件", "note": ""})


def test_period_form_reads_the_end_date_as_people_write_it(office):
    assert _period(office, "2026年12月31日").status_code == 302
    assert PolicyPeriod.objects.get(name="全南县过渡期").until == dt.date(2026, 12, 31)


def test_period_form_refuses_an_impossible_end_date_with_the_message(office):
    r = _period(office, "1850/1/1")
    assert r.status_code == 200
    assert "The date “1850/1/1” was not understood: a date before 1880 is impossible here." in r.content.decode()
    assert not PolicyPeriod.objects.filter(name="全南县过渡期").exists()


# --- the observation list ----------------------------------------------------------------------------------

def test_observation_list_reads_the_day_as_people_write_it(office):
    r = office.get("/exits/observation/", {"on": "2024/1/5"})
    assert r.status_code == 200 and r.context["on"] == dt.date(2024, 1, 5)
    assert "was not understood" not in r.content.decode()


def test_observation_list_for_a_date_not_understood_is_today_with_a_message(office):
    """It used to be today's list without a word: the user saw another day than they asked for."""
    h = _observed(33, dt.date(2021, 12, 1))  # national transition period: until 2025-12-31
    r = office.get("/exits/observation/", {"on": "2024-02-30"})
    body = r.content.decode()
    assert r.status_code == 200 and r.context["on"] == TODAY and h.number in body
    assert "The date “2024-02-30” was not understood: not a real date. Showing 2024-11-20 instead." in body


def test_observation_export_of_a_date_not_understood_is_the_page_with_the_message(office):
    _observed(34, dt.date(2021, 12, 1))
    r = office.get("/exits/observation/", {"on": "31/12/2024", "format": "xlsx"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html")
    assert "The date “31/12/2024” was not understood" in r.content.decode()
    assert not AuditEvent.objects.filter(action="exits.observation.export").exists()
    r = office.get("/exits/observation/", {"on": "2024年11月1日", "format": "xlsx"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    b"".join(r.streaming_content)
    assert AuditEvent.objects.filter(action="exits.observation.export", note="on 2024-11-01").exists()


@pytest.mark.parametrize("on", GARBAGE_DATES)
@pytest.mark.parametrize("url", ["/exits/observation/"])
def test_a_garbage_date_is_a_page_with_a_message_never_a_500(office, url, on):
    for query in ({"on": on}, {"on": on, "format": "xlsx"}):
        r = office.get(url, query)
        assert r.status_code == 200, (query, r.status_code)
        assert "was not understood" in r.content.decode()


# --- close_observation --on ---------------------------------------------------------------------------------

def test_close_observation_command_reads_the_day_as_people_write_it(two_counties):
    h = _observed(35, dt.date(2021, 12, 1))
    call_command("close_observation", "--area", "360729", "--on", "2026年1月5日")
    h.refresh_from_db()
    assert h.status == "exited" and h.status_date == dt.date(2026, 1, 1)


@pytest.mark.parametrize("on", ["2026-02-30", "tomorrow"])
def test_close_observation_command_names_a_date_it_cannot_read(two_counties, on):
    h = _observed(36, dt.date(2021, 12, 1))
    with pytest.raises(CommandError, match=f"--on: The date “{on}” was not understood"):
        call_command("close_observation", "--area", "360729", "--on", on)
    h.refresh_from_db()
    assert h.status == "exited_policy"
