"""core's one tabs tag (fupin.core.templatetags.core_tabs): a tab is shown only to a user who
may open its page (as its view says, or as the tab's own check says), the current one is
marked, in the one partial core/_tabs.html; ``may_open`` guards a single link."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import resolve, reverse

from fupin.comparison.templatetags.comparison_nav import TABS as COMPARISON_TABS
from fupin.core.templatetags.core_tabs import Tab, may_open, view_perms, visible_tabs
from fupin.monitoring.templatetags.monitoring_nav import TABS as MONITORING_TABS
from tests.conftest import COUNTY_A, VILLAGE_A

MONITORING = "fupin.monitoring.templatetags.monitoring_nav.TABS"


def _render(source: str, user, path: str, **context) -> str:
    request = RequestFactory().get(path)
    request.user = user
    request.resolver_match = resolve(path)
    return Template("{% load core_tabs %}" + source).render(Context({"request": request, **context}))


def _links(html: str) -> dict[str, str]:
    """href → the link's attributes before it, of each tab."""
    return {m.group(2): m.group(1) for m in re.finditer(r'<a class="nav-link([^"]*)"[^>]*href="([^"]+)"', html)}


@pytest.fixture
def leader(two_counties, make_user):
    """A leader may read the monitoring lists but not open applications nor department warnings."""
    user = make_user("leader", "360700000000")
    assert may_open(user, "monitoring:worklist") and may_open(user, "monitoring:index")
    assert not may_open(user, "monitoring:applications") and not may_open(user, "monitoring:warnings")
    return user


def test_a_tab_the_user_may_not_open_is_not_shown_and_the_current_one_is_marked(leader):
    html = _render(f'{{% tabs "{MONITORING}" %}}', leader, reverse("monitoring:worklist"))
    links = _links(html)
    assert set(links) == {reverse("monitoring:index"), reverse("monitoring:worklist")}
    assert "active" in links[reverse("monitoring:worklist")] and "active" not in links[reverse("monitoring:index")]
    assert html.count('aria-current="page"') == 1
    assert 'id="monitoring-tabs"' in html  # the list is named after the tabs' namespace


def test_the_current_tab_may_be_named_and_the_tabs_given_as_a_sequence(leader):
    html = _render('{% tabs tabs "monitoring:index" html_id="mine" %}', leader, reverse("monitoring:worklist"),
                   tabs=MONITORING_TABS)
    links = _links(html)
    assert "active" in links[reverse("monitoring:index")] and "active" not in links[reverse("monitoring:worklist")]
    assert 'id="mine"' in html


def test_a_tabs_own_check_decides(leader, make_user):
    office = make_user("county_office", COUNTY_A)
    tabs = (Tab("monitoring:index", "A"), Tab("monitoring:worklist", "B", check=lambda user: False),
            Tab("monitoring:warnings", "C", check=lambda user: True))
    assert [t["name"] for t in visible_tabs(office, tabs)] == ["monitoring:index", "monitoring:warnings"]
    # the check replaces the view's permission: shown to the leader, who may not open the page
    assert [t["name"] for t in visible_tabs(leader, tabs)] == ["monitoring:index", "monitoring:warnings"]


def test_any_one_of_a_views_permissions_opens_it(two_counties, make_user):
    """The comparison home opens with comparison.view or comparison.import: the tab reads
    both from the view (require_any's required_perms), not only the first."""
    assert len(view_perms("comparison:home")) > 1
    department = make_user("department_officer", COUNTY_A)
    shown = {t["name"] for t in visible_tabs(department, COMPARISON_TABS, "comparison:cutoffs")}
    assert shown == {"comparison:home", "comparison:cutoffs"}


def test_a_view_naming_no_permission_needs_a_check():
    with pytest.raises(ImproperlyConfigured):
        view_perms("healthz")


def test_may_open_guards_a_link(leader, make_user):
    source = '{% may_open "monitoring:applications" as ok %}{% if ok %}yes{% else %}no{% endif %}'
    assert _render(source, leader, reverse("monitoring:index")) == "no"
    cadre = make_user("village_cadre", VILLAGE_A)
    assert _render(source, cadre, reverse("monitoring:index")) == "yes"


def test_the_comparison_pages_mark_their_own_tab(two_counties, make_user, login):
    client = login(make_user("county_office", COUNTY_A))
    for name in ("home", "hits", "cutoffs"):
        html = client.get(reverse(f"comparison:{name}")).content.decode()
        nav = html[html.index('id="comparison-tabs"'):]
        links = _links(nav[:nav.index("</ul>")])
        assert reverse(f"comparison:{name}") in links, name
        assert [href for href, attrs in links.items() if "active" in attrs] == [reverse(f"comparison:{name}")]
