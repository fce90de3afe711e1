"""Navigation as the roles walk it: a helper finds their households (the menu and a panel
on the home page), and no link leads to a 403 — a link is shown only to a user who may
follow it, and following it as that user answers 200."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.test import RequestFactory
from django.urls import reverse

from fupin.areas.models import Area, Unit
from fupin.assistance import actions
from fupin.assistance.models import Helper
from fupin.core import clock
from fupin.core.context import shell
from fupin.identification.models import RuleSet
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A
from tests.test_assistance import TODAY, make_household

pytestmark = pytest.mark.usefixtures("english")  # pages read in their English originals

PROVINCE = "360000000000"
MINE = reverse("assistance:mine")


class _Element(HTMLParser):
    """The text and the links (in order) inside the element with a given id."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self, element_id: str):
        super().__init__()
        self.element_id, self.depth, self.found = element_id, 0, False
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.depth == 0 and a.get("id") == self.element_id:
            self.found = True
            self.depth = 1
            return
        if self.depth and tag not in self.VOID:
            self.depth += 1
        if self.depth and tag == "a" and a.get("href"):
            self.links.append(a["href"])

    def handle_endtag(self, tag):
        if self.depth and tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)


def _element(html: str, element_id: str) -> _Element:
    parser = _Element(element_id)
    parser.feed(html)
    assert parser.found, f"no element #{element_id}"
    return parser


def _hrefs(html: str) -> set[str]:
    return set(re.findall(r'href="([^"#]+)"', html.replace("&amp;", "&")))


def _tabs(html: str) -> set[str]:
    """The addresses of the page's tabs (the nav-tabs list)."""
    found = re.search(r'<ul class="nav nav-tabs[^"]*"[^>]*>(.*?)</ul>', html, re.S)
    assert found, "the page has no tabs"
    return _hrefs(found.group(1))


def _menu(user) -> set[str]:
    request = RequestFactory().get("/")
    request.user = user
    return {i["href"] for s in shell(request)["menu"] for i in s["items"]}


@pytest.fixture
def world(two_counties, make_user, login):
    """石桥村 with six households paired with 王帮扶 (a helper whose account is linked), one
    paired with 刘帮扶, and a county office, a village cadre, a department officer and a
    province leader."""
    with clock.frozen(TODAY):
        village = Area.objects.get(code=VILLAGE_A)
        unit = Unit.objects.get(area_code=COUNTY_A)
        helper_user = make_user("helper", VILLAGE_A, full_name="王帮扶")
        mine_helper = actions.save_helper(SYSTEM, None, name="王帮扶", area=village, unit=unit)
        Helper.objects.filter(pk=mine_helper.pk).update(user=helper_user)
        other_helper = actions.save_helper(SYSTEM, None, name="刘帮扶", area=village, unit=unit)
        mine = [make_household(f"36072910020100{i:02d}", head=f"户主{i}", seq=f"{i:02d}1") for i in range(1, 7)]
        for h in mine:
            actions.pair(SYSTEM, h, mine_helper, dt.date(2024, 1, 1))
        other = make_household("3607291002010099", head="李四", seq="991")
        actions.pair(SYSTEM, other, other_helper, dt.date(2024, 1, 1))
        # visited: mine[0] lately, mine[1] long ago; the other four never
        actions.log_visit(SYSTEM, household=mine[0], helper=mine_helper, date=dt.date(2024, 6, 1), findings="看望")
        actions.log_visit(SYSTEM, household=mine[1], helper=mine_helper, date=dt.date(2024, 2, 1), findings="看望")
        users = {
            "helper": helper_user,
            "office": make_user("county_office", COUNTY_A),
            "cadre": make_user("village_cadre", VILLAGE_A),
            "department": make_user("department_officer", COUNTY_A),
            "leader": make_user("leader", PROVINCE),
            "unlinked_helper": make_user("helper", VILLAGE_A, full_name="赵未关联"),
        }
        yield {"mine": mine, "other": other, "users": users, "c": {k: login(u) for k, u in users.items()}}


# --- 1. a helper finds their households ---------------------------------------------------------

def test_my_households_is_in_the_menu_of_whoever_may_open_it(world):
    users, c = world["users"], world["c"]
    for role in ("helper", "cadre", "office"):
        assert MINE in _menu(users[role]), role
        assert c[role].get(MINE).status_code == 200, role
    for role in ("department", "leader"):
        assert MINE not in _menu(users[role]), role
        assert c[role].get(MINE).status_code == 403, role


def test_the_helper_home_page_shows_their_households(world):
    c, mine, other = world["c"]["helper"], world["mine"], world["other"]
    with clock.frozen(TODAY):
        html = c.get("/").content.decode()
    panel = _element(html, "helper-home")
    text = " ".join(" ".join(panel.text).split())
    assert "All 6 households paired with you" in text
    # the five longest unvisited first: the four never visited, then the one visited in February
    listed = [int(m.group(1)) for href in panel.links if (m := re.fullmatch(r"/registry/households/(\d+)/", href))]
    assert listed == [h.pk for h in mine[2:]] + [mine[1].pk]
    assert other.pk not in listed and other.head_name not in text
    assert "Last visit: 2024-02-01" in text
    # before the area's numbers, so that it is the first thing on a phone
    assert html.index('id="helper-home"') < html.index("Registered households by status")
    for href in panel.links:
        assert c.get(href).status_code == 200, href
    assert MINE in panel.links
    assert reverse("assistance:visit_log") + f"?household={mine[2].pk}" in panel.links


def test_a_helper_whose_account_is_not_linked_is_told_what_to_do(world):
    panel = _element(world["c"]["unlinked_helper"].get("/").content.decode(), "helper-home")
    assert "You are not recorded as a helper" in " ".join(panel.text)
    assert panel.links == []


@pytest.mark.parametrize("role", ["office", "cadre", "department", "leader"])
def test_who_is_no_helper_gets_no_helper_panel(world, role):
    assert 'id="helper-home"' not in world["c"][role].get("/").content.decode()


# --- 2. no link leads to a 403 ------------------------------------------------------------------

def _card_actions(c, household) -> set[str]:
    html = c.get(reverse("registry:household", args=[household.pk])).content.decode()
    assert 'id="assistance-panel"' in html
    wanted = {reverse("assistance:visit_log") + f"?household={household.pk}",
              reverse("assistance:measure_create") + f"?household={household.pk}"}
    return wanted & _hrefs(html)


def test_the_card_of_another_helpers_household_offers_no_visit_or_measure(world):
    c, other = world["c"]["helper"], world["other"]
    assert c.get(reverse("assistance:visit_log") + f"?household={other.pk}").status_code == 403
    assert c.get(reverse("assistance:measure_create") + f"?household={other.pk}").status_code == 403
    assert _card_actions(c, other) == set()


@pytest.mark.parametrize(("role", "which"), [("helper", "mine"), ("cadre", "other"), ("office", "other")])
def test_the_card_offers_visit_and_measure_to_who_may_record_them(world, role, which):
    c = world["c"][role]
    household = world["mine"][0] if which == "mine" else world["other"]
    links = _card_actions(c, household)
    assert len(links) == 2
    for href in links:
        assert c.get(href).status_code == 200, href


def _ruleset_links_to_cutoffs(c) -> bool:
    rs = RuleSet.objects.get(area_prefix="")
    r = c.get(reverse("identification:ruleset", args=[rs.pk]))
    assert r.status_code == 200
    return reverse("comparison:cutoffs") in _hrefs(r.content.decode())


@pytest.mark.parametrize("role", ["helper", "leader"])
def test_a_rule_set_links_the_cutoffs_only_for_who_may_open_them(world, role):
    c = world["c"][role]
    assert c.get(reverse("comparison:cutoffs")).status_code == 403
    assert not _ruleset_links_to_cutoffs(c)


@pytest.mark.parametrize("role", ["office", "department", "cadre"])
def test_a_rule_set_links_the_cutoffs_for_who_may_open_them(world, role):
    c = world["c"][role]
    assert _ruleset_links_to_cutoffs(c)
    assert c.get(reverse("comparison:cutoffs")).status_code == 200


TABS = ("home", "hits", "forms", "linkage", "cutoffs")


def test_the_department_officer_sees_only_the_tabs_it_may_open(world):
    c = world["c"]["department"]
    r = c.get(reverse("comparison:cutoffs"))
    assert r.status_code == 200
    tabs = _tabs(r.content.decode())
    assert tabs == {reverse("comparison:home"), reverse("comparison:cutoffs")}
    for name in ("hits", "forms", "linkage"):
        assert c.get(reverse(f"comparison:{name}")).status_code == 403, name
    for href in tabs:
        assert c.get(href).status_code == 200, href


@pytest.mark.parametrize("role", ["office", "cadre", "department"])
def test_every_comparison_tab_shown_opens(world, role):
    """On every comparison page the user may open, each tab shown opens (200), and each tab
    not shown is one the user may not open (403)."""
    c = world["c"][role]
    everything = {reverse(f"comparison:{name}") for name in TABS}
    for page in everything:
        r = c.get(page)
        if r.status_code == 403:
            continue
        assert r.status_code == 200, page
        shown = _tabs(r.content.decode())
        assert shown <= everything
        for href in everything:
            assert c.get(href).status_code == (200 if href in shown else 403), (page, href)
