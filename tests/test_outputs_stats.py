"""The statistics page's tables end with a 合计 row, the same from the live count and from
the rollup; the headline cards say which statuses they leave out (those off the register),
so that the table by status, which counts them, can be read against the cards."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fupin.registry import codes, stats
from fupin.registry.models import Household, Member
from tests.conftest import COUNTY_A, SYSTEM, TOWNSHIP_A
from tests.test_registry_stats import registry_a  # noqa: F401  (the fixture)

TABLES = ("by-status", "by-category", "by-cause", "areas-1", "areas-2", "on-date-status", "on-date-areas")


def totals(html: str) -> dict[str, list[str]]:
    """{table: the cells of its 合计 row after the label} of every table that has one."""
    out = {}
    for name in TABLES:
        m = re.search(rf'data-total="{name}">(.*?)</tr>', html, re.S)
        if m:
            cells = re.findall(r"<td[^>]*>([^<]*)</td>", m.group(1))
            assert cells[0] in ("合计", "Total"), cells
            out[name] = [c.replace(",", "") for c in cells[1:]]
    return out


def stats_page(client, **params) -> str:
    response = client.get(reverse("registry:stats"), {"area": COUNTY_A, "date": "2018-12-31", **params})
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def client(registry_a, make_user, login):
    return login(make_user("county_office", COUNTY_A))


def test_every_table_has_a_total_row_that_adds_up(client):
    html = stats_page(client, source="live")
    t = totals(html)
    assert set(t) == set(TABLES), set(t)
    in_county = Household.objects.filter(area_code__startswith=COUNTY_A[:6])
    on_register = in_county.exclude(status__in=codes.OFF_REGISTER_STATUSES)
    people = Member.objects.filter(active=True, household__in=in_county).count()
    # by status: every household, in every status
    assert t["by-status"] == [str(in_county.count()), str(people)]
    # by category and by main cause: the households on the register, each once
    registered = str(on_register.count())
    villages = t["areas-2"][1:]  # (after the empty "in" column)
    assert t["by-category"][0] == t["by-cause"][0] == t["areas-1"][0] == villages[0] == registered
    assert t["by-cause"][3] == "—"  # named causes: up to three a household, no sum
    # the townships' table and the villages' table add up to the same
    assert t["areas-1"] == villages
    # on 2018-12-31 (from the history): every household that existed then
    assert t["on-date-status"][0] == str(in_county.count())


@pytest.mark.usefixtures("english")
def test_the_cards_say_what_they_leave_out(client):
    html = stats_page(client, source="live")
    note = re.search(r"<p [^>]*data-left-out-statuses>(.*?)</p>", html, re.S).group(1)
    for status in codes.OFF_REGISTER_STATUSES:  # named from the code list
        assert codes.label("status", status) in note, status
    off = Household.objects.filter(area_code__startswith=COUNTY_A[:6], status__in=codes.OFF_REGISTER_STATUSES)
    people = Member.objects.filter(active=True, household__in=off).count()
    assert off.count() and f"households: {off.count()}, people: {people}" in note, note
    t = totals(html)
    cards = re.findall(r'<div class="fp-stat">([\d,]+)</div>', html)
    assert int(cards[0].replace(",", "")) + off.count() == int(t["by-status"][0])


@pytest.mark.parametrize("area", [COUNTY_A, TOWNSHIP_A])
def test_live_and_rollup_give_the_same_totals(client, area):
    stats.refresh(SYSTEM, COUNTY_A)
    live = totals(stats_page(client, source="live", area=area))
    assert {"by-status", "by-category", "by-cause", "areas-1"} <= set(live)
    rollup_html = stats_page(client, source="rollup", area=area)
    assert "bi-database" in rollup_html and "bi-lightning" not in rollup_html  # (from the rollup indeed)
    assert totals(rollup_html) == live
