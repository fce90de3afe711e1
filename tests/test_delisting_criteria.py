"""The delisting criteria pages (issue 6): a page per village- and county-criteria row to
change thresholds, required checklist items, notice days and sample sizes with their
sources — ``standards.edit`` at the row's area (a county its own rows; national rows
only an administrator), validated, audited."""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser

import pytest

from fupin.audit.models import AuditEvent
from fupin.delisting import actions
from fupin.delisting.models import CountyCriteria, VillageCriteria
from tests.conftest import COUNTY_A, VILLAGE_A

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals


def _form(obj, fields, **over) -> dict:
    data = {}
    for f in fields:
        v = getattr(obj, f)
        data[f] = ", ".join(v) if isinstance(v, list) else ("" if v is None else str(v))
    data.update(over)
    return data


@pytest.fixture
def own(two_counties):
    return VillageCriteria.objects.get(area_prefix="360729")


@pytest.fixture
def office(two_counties, make_user, login):
    return login(make_user("county_office", COUNTY_A))


def test_criteria_list_and_read_only_national(office, own):
    r = office.get("/delisting/criteria/")
    body = r.content.decode()
    national_v = VillageCriteria.objects.get(area_prefix="")
    national_c = CountyCriteria.objects.get(area_prefix="")
    assert r.status_code == 200
    for kind, obj in (("village", own), ("village", national_v), ("county", national_c)):
        assert f"/delisting/criteria/{kind}/{obj.pk}/" in body
    r = office.get(f"/delisting/criteria/county/{national_c.pk}/")
    assert r.status_code == 200 and 'id="criteria-view"' in r.content.decode()  # read only for a county
    assert 'id="criteria-form"' in office.get(f"/delisting/criteria/village/{own.pk}/").content.decode()
    assert office.get(f"/delisting/criteria/nonsense/{own.pk}/").status_code == 404
    assert office.get(f"/delisting/criteria/county/{own.pk + 1000}/").status_code == 404


class _Table(HTMLParser):
    """The text of each body cell of one table (by id), row by row."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id, self.inside, self.depth, self.rows, self.cell = table_id, False, 0, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.depth += 1
            self.inside = self.inside or dict(attrs).get("id") == self.table_id
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag == "td":
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.depth -= 1
            self.inside = self.inside and self.depth > 0
        elif self.inside and tag == "td" and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _cells(body: str, table_id: str) -> dict[str, list[str]]:
    """{a row's first cell (the criteria's name): the row's cells} of the table with this id."""
    parser = _Table(table_id)
    parser.feed(body)
    return {row[0]: row for row in parser.rows if row}


def test_criteria_list_area_column_names_the_area(office, own):
    """The Area column (the second) holds the area's name and prefix, “whole country” for a
    national row: read in its own cell, not anywhere on the page (the names of the
    criteria hold the same words: “全南县…”, “全国…”)."""
    body = office.get("/delisting/criteria/").content.decode()
    village, county = _cells(body, "village-criteria"), _cells(body, "county-criteria")
    national_v = VillageCriteria.objects.get(area_prefix="")
    national_c = CountyCriteria.objects.get(area_prefix="")
    assert village[own.name][1] == "全南县 360729"
    assert village[national_v.name][1] == "whole country"
    assert county[national_c.name][1] == "whole country"


def test_county_edits_its_own_village_criteria_audited(office, own):
    data = _form(own, actions.VILLAGE_CRITERIA_FIELDS, incidence_max="1.50", notice_days="10",
                 notice_days_source="全南县文件：公示10天", checklist_items="road, power")
    r = office.post(f"/delisting/criteria/village/{own.pk}/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    own.refresh_from_db()
    assert (own.incidence_max, own.notice_days, own.checklist_items) == (Decimal("1.50"), 10, ["road", "power"])
    event = AuditEvent.objects.get(action="delisting.criteria.village.change")
    assert event.before["notice_days"] != 10 and event.after["notice_days"] == 10


@pytest.mark.parametrize(("over", "message"), [
    ({"incidence_max": "101"}, "from 0 to 100"),
    ({"incidence_max": "abc"}, "Not a number"),
    ({"incidence_max": "1.234"}, "two decimals"),
    ({"incidence_source": ""}, "Name the source document"),
    ({"notice_days": "0"}, "from 1 to 60"),
    ({"notice_days_source": ""}, "Name the source document"),
    ({"checklist_items": "road, no_such_item"}, "Unknown checklist items: no_such_item"),
    ({"eligible_statuses": ""}, "at least one village status"),
    ({"to_year": "2000"}, "The last year is before the first"),
    ({"name": ""}, "Give the criteria a name"),
])
def test_village_criteria_refusals(office, own, over, message):
    before = VillageCriteria.objects.filter(pk=own.pk).values().get()
    r = office.post(f"/delisting/criteria/village/{own.pk}/", _form(own, actions.VILLAGE_CRITERIA_FIELDS, **over))
    assert r.status_code == 200 and message in r.content.decode()
    assert VillageCriteria.objects.filter(pk=own.pk).values().get() == before
    assert not AuditEvent.objects.filter(action__startswith="delisting.criteria.").exists()


def test_national_rows_only_an_administrator(office, own, make_user, login):
    national = CountyCriteria.objects.get(area_prefix="")
    before = CountyCriteria.objects.filter(pk=national.pk).values().get()
    data = _form(national, actions.COUNTY_CRITERIA_FIELDS, approval_min="95.00", sample_villages="12")
    assert office.post(f"/delisting/criteria/county/{national.pk}/", data).status_code == 403
    assert CountyCriteria.objects.filter(pk=national.pk).values().get() == before
    # an inspector (the assessment's surveys) cannot change the bar either
    inspector = login(make_user("inspector", COUNTY_A))
    assert inspector.post(f"/delisting/criteria/village/{own.pk}/",
                          _form(own, actions.VILLAGE_CRITERIA_FIELDS, notice_days="9")).status_code == 403
    own.refresh_from_db()
    assert own.notice_days != 9
    admin = login(make_user("admin", None))
    r = admin.post(f"/delisting/criteria/county/{national.pk}/", data)
    assert r.status_code == 302
    national.refresh_from_db()
    assert (national.approval_min, national.sample_villages) == (Decimal("95.00"), 12)
    assert AuditEvent.objects.filter(action="delisting.criteria.county.change").count() == 1
    r = admin.post(f"/delisting/criteria/county/{national.pk}/",
                   _form(national, actions.COUNTY_CRITERIA_FIELDS, sample_registered="0"))
    assert r.status_code == 200 and "from 1 to 1000" in r.content.decode()


def test_a_village_cadre_cannot_edit(two_counties, own, make_user, login):
    cadre = login(make_user("village_cadre", VILLAGE_A))
    assert cadre.get(f"/delisting/criteria/village/{own.pk}/").status_code == 200
    assert cadre.post(f"/delisting/criteria/village/{own.pk}/",
                      _form(own, actions.VILLAGE_CRITERIA_FIELDS, notice_days="9")).status_code == 403


@pytest.mark.parametrize(("over", "message"), [
    ({"name": "名" * 101}, "At most 100 characters"),  # PostgreSQL would refuse the row
    ({"eligible_statuses": "poor, pooor"}, "Unknown village status"),  # a typo would stop every exit
])
def test_village_criteria_refusals_review(office, own, over, message):
    before = VillageCriteria.objects.filter(pk=own.pk).values().get()
    r = office.post(f"/delisting/criteria/village/{own.pk}/", _form(own, actions.VILLAGE_CRITERIA_FIELDS, **over))
    assert r.status_code == 200 and message in r.content.decode()
    assert VillageCriteria.objects.filter(pk=own.pk).values().get() == before
