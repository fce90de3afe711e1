"""The monitoring pages as officers read them: the worklist's rules with labelled
parameters (not a Python dict), areas by name (one query for the page), labelled run
summaries, amounts in yuan; tabs only for the pages the user may open; labels on the
record page's inline forms."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fupin.areas import actions as areas
from fupin.areas.models import Area
from fupin.core.actor import Actor
from fupin.monitoring import actions, engine
from fupin.monitoring.models import MonitoredHousehold as M
from fupin.monitoring.models import WarningHit
from tests.conftest import COUNTY_A, SYSTEM, TOWNSHIP_A, VILLAGE_A
from tests.test_monitoring import LINE_2023, household, income
from tests.test_monitoring_wording import world  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("english")


GROUP_A = VILLAGE_A + "001"


def _text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _visible(html: str) -> str:
    """The page's text without its tags' attributes (a code kept in a title= is not shown)."""
    return re.sub(r"<[^>]*>", "<>", html)


def _below_line(first: int, count: int) -> None:
    for n in range(first, first + count):
        income(household(n), 2023, LINE_2023 - 1000 - n)


def test_worklist_rules_areas_runs_and_units_are_readable(world, login):
    _below_line(60, 1)
    engine.run_rules(world["county"], COUNTY_A, 2023)
    html = _text(login(world["county_user"]).get(reverse("monitoring:worklist")))
    shown = _visible(html)
    # The rules' parameters: labelled values, no Python dict, no raw codes of warning kinds.
    assert "{&#x27;" not in html and "warning_kinds" not in html and "min_amount" not in html
    rules_part = shown[shown.index("The rules (data)"):]
    for text in ("Kinds of department warning:", "Medical bill (paid by the household)", "Schooling costs",
                 "Share of the yearly household net income:<> 50%", "At least:<> 5,000.00 yuan",
                 "Drop on the year before, at least:<> 30%", "Line:<> Monitoring line (防返贫监测范围)",
                 "Households looked at:<> Exited, still receiving policies"):
        assert text in rules_part, text
    assert "Returned to poverty" not in rules_part  # the data's statuses, not a list in code
    # The hit's area by its names (township, village, group); the code only in a title.
    township = Area.objects.get(code=TOWNSHIP_A).name
    assert f"{township} 石桥村 第1村民小组" in shown
    assert GROUP_A not in shown and f'title="{GROUP_A}"' in html
    # Amounts in yuan, with their unit in the header.
    assert "Value (yuan)" in shown and "Threshold (yuan)" in shown
    assert f"{LINE_2023 - 1060:,.2f}" in shown and f"{LINE_2023:,.2f}" in shown
    # The run's summary is labelled and names its area.
    runs_part = shown[shown.index("Recent runs"):]
    assert "Area:<> <>全南县<> · <>Income year:<> 2023 · <>Worklist entries:<> 1" in runs_part
    assert "360729 ·" not in runs_part


def test_worklist_area_names_take_one_query_for_the_page(world, login):
    client = login(world["county_user"])
    _below_line(70, 1)
    engine.run_rules(world["county"], COUNTY_A, 2023)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("monitoring:worklist"))
    other = VILLAGE_A[:-1] + "9"
    areas._insert_levels([{"code": other, "name": "新屋村"}, {"code": other + "001", "name": "第1村民小组"}],
                         source="test", valid_from=None)
    for n, village in ((71, VILLAGE_A), (72, other)):
        income(household(n, village=village), 2023, LINE_2023 - 2000)
    engine.run_rules(world["county"], COUNTY_A, 2023)
    assert WarningHit.objects.filter(state=WarningHit.OPEN).count() == 3
    with CaptureQueriesContext(connection) as three:
        html = _text(client.get(reverse("monitoring:worklist")))
    assert "新屋村" in html
    assert len(three) == len(one), [q["sql"] for q in three.captured_queries]


def _tabs(html: str) -> set[str]:
    nav = html[html.index('id="monitoring-tabs"'):]
    nav = nav[:nav.index("</ul>")]
    return set(re.findall(r'href="([^"]+)"', nav))


@pytest.mark.parametrize(("role", "area", "expected"), [
    ("leader", "360700000000", {"index", "worklist"}),
    ("inspector", COUNTY_A, {"index", "worklist"}),
    ("village_cadre", VILLAGE_A, {"index", "worklist", "applications"}),
    ("county_office", COUNTY_A, {"index", "worklist", "applications", "warnings"}),
])
def test_tabs_only_for_pages_the_user_may_open(two_counties, make_user, login, role, area, expected):
    client = login(make_user(role, area))
    tabs = _tabs(_text(client.get(reverse("monitoring:worklist"))))
    names = ("index", "worklist", "applications", "warnings")
    assert tabs == {reverse(f"monitoring:{n}") for n in expected}
    for name in names:  # every tab shown opens; every page refused has no tab
        status = client.get(reverse(f"monitoring:{name}")).status_code
        assert (status == 200) == (name in expected), (name, status)


class _Form(HTMLParser):
    """Each form's fields a person fills in, and the labels of the page."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str | None]] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label" and a.get("for"):
            self.labelled.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            self.fields.append((a.get("name", ""), a.get("id")))


def _unlabelled(html: str) -> list[str]:
    form = _Form()
    form.feed(html[html.index("<main") if "<main" in html else 0:])
    return [name for name, id_ in form.fields if name and (id_ is None or id_ not in form.labelled)]


def test_record_page_names_the_area_and_labels_every_field(world, login):
    rec = actions.open_episode(SYSTEM, household(80), kind=M.SUDDEN, channel="visit", date=dt.date(2024, 1, 1),
                               who="李明", what="洪灾", risks=["disaster.flood"])
    html = _text(login(world["cadre_user"]).get(reverse("monitoring:record", args=[rec.pk])))
    assert rec.state == M.CANDIDATE
    township = Area.objects.get(code=TOWNSHIP_A).name
    assert f'id="record-area" title="{GROUP_A}">{township} 石桥村 第1村民小组<' in html
    for name in ("channel", "who", "amount", "given_by", "visitors", "findings", "consent_signed_by", "detail",
                 "reason"):
        assert f'name="{name}"' in html, name  # the forms are on the page (a candidate, the cadre may edit)
    assert _unlabelled(html) == []


def test_worklist_row_forms_are_labelled(world, login):
    _below_line(90, 1)
    engine.run_rules(world["county"], COUNTY_A, 2023)
    html = _text(login(world["cadre_user"]).get(reverse("monitoring:worklist")))
    assert 'name="kind"' in html and 'name="reason"' in html
    assert _unlabelled(html[html.index('id="hit-list"'):]) == []


def test_lists_show_area_names_not_codes(world, login):
    h = household(95)
    actions.open_episode(SYSTEM, h, kind=M.EDGE, channel="visit", date=dt.date(2024, 1, 1), who="x", what="y")
    actions.record_application(Actor(world["county_user"]), village=VILLAGE_A, name="来电人", what="失业",
                               phone="13800138001")
    client = login(world["county_user"])
    for url in (reverse("monitoring:index"), reverse("monitoring:applications")):
        shown = _visible(_text(client.get(url)))
        assert "石桥村" in shown and not re.search(rf"<>\s*{VILLAGE_A}(\d{{3}})?\s*<>", shown), url
