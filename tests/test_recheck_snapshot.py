"""一年一核: the snapshot a closed round froze can be read. The round's page shows it (the tab
``show=snapshot``: household number, head, village, status, category, main cause, size and the
year's per-capita income as frozen, paginated, scoped to the reader's area like the records) and
exports it to Excel (names of people: ``registry.export``, the households of the user's export
areas, logged as an export). The household card lists the household's re-check records by year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from fupin.areas import actions as areas
from fupin.areas.models import Area
from fupin.audit.models import AuditEvent
from fupin.core.tabular import read_table
from fupin.registry import actions
from fupin.registry.demo import id_check_digit
from fupin.registry.models import RecheckRecord
from tests.conftest import COUNTY_A, SYSTEM, TOWNSHIP_A, VILLAGE_A

pytestmark = pytest.mark.usefixtures("english")

VILLAGE_2 = "360729101201"  # in another township of county A
YEAR = 2025


def _household(number, area_code, birth):
    h = actions.create_household(SYSTEM, number=number, area_code=area_code, main_cause="01", identified_year=2016,
                                 category="2", status_date=dt.date(2016, 6, 1))
    first = f"360729{birth}101"
    actions.add_member(SYSTEM, h, name=f"户主{number}", id_number=first + id_check_digit(first), relation="01")
    h.refresh_from_db()
    return h


@pytest.fixture
def closed(two_counties):
    areas._insert_levels([{"code": VILLAGE_2, "name": "溪口村"}], source="test", valid_from=None)
    hs = [_household(f"A{i}", VILLAGE_A + "001", f"1970010{i}") for i in range(1, 4)]
    hs += [_household(f"B{i}", VILLAGE_2, f"1980010{i}") for i in range(1, 3)]
    actions.save_income(SYSTEM, hs[0], YEAR, wages=Decimal("6000"), production_costs=Decimal("0"))
    rnd = actions.open_recheck(SYSTEM, Area.objects.get(code=COUNTY_A), YEAR)
    actions.record_recheck(SYSTEM, RecheckRecord.objects.get(round=rnd, household=hs[0]), "新生儿一名")
    actions.close_recheck(SYSTEM, rnd, force=True)
    # changed afterwards: the snapshot keeps the year as it stood
    actions.set_status(SYSTEM, hs[1], "exited_policy", dt.date(2026, 1, 5))
    return {"round": rnd, "households": hs}


def _snapshot_page(client, rnd, **params):
    return client.get(reverse("registry:recheck", args=[rnd.pk]), {"show": "snapshot", **params})


def test_the_closed_rounds_page_shows_its_snapshot(closed, make_user, login):
    rnd = closed["round"]
    office = login(make_user("county_office", COUNTY_A))
    page = _snapshot_page(office, rnd)
    assert page.status_code == 200 and page.context["show"] == "snapshot"
    rows = {s.household.number: s for s in page.context["page_obj"]}
    assert set(rows) == {"A1", "A2", "A3", "B1", "B2"}
    a1 = rows["A1"]
    assert (a1.household.head_name, a1.village_name, a1.status_label, a1.size, a1.per_capita) == (
        "户主A1", "石桥村", "Registered, not yet exited", 1, Decimal("6000.00"))
    assert rows["A2"].status_label == "Registered, not yet exited"  # frozen: exited only after the close
    html = page.content.decode()
    assert "Year-end snapshot" in html and "6,000.00" in html and "溪口村" in html
    # the village filter and the search narrow it, as the records
    assert {s.household.number for s in _snapshot_page(office, rnd, village=VILLAGE_2).context["page_obj"]} == {
        "B1", "B2"}
    assert [s.household.number for s in _snapshot_page(office, rnd, q="A3").context["page_obj"]] == ["A3"]


def test_the_snapshot_is_paginated_and_scoped_like_the_records(closed, make_user, login, settings):
    settings.PAGE_SIZE = 2
    rnd = closed["round"]
    office = login(make_user("county_office", COUNTY_A))
    page = _snapshot_page(office, rnd, page=3).context["page_obj"]
    assert page.paginator.count == 5 and page.number == 3 and [s.household.number for s in page] == ["B2"]
    cadre = login(make_user("village_cadre", VILLAGE_A))
    page = _snapshot_page(cadre, rnd).context["page_obj"]
    assert page.paginator.count == 3 and {s.household.number for s in page} <= {"A1", "A2", "A3"}


def test_an_open_round_has_no_snapshot_tab(closed, make_user, login):
    rnd = actions.open_recheck(SYSTEM, Area.objects.get(code=COUNTY_A), YEAR + 1)
    office = login(make_user("county_office", COUNTY_A))
    page = _snapshot_page(office, rnd)
    assert page.context["show"] == "unchecked" and "Year-end snapshot" not in page.content.decode()
    assert "Year-end snapshot" in _snapshot_page(office, closed["round"]).content.decode()


def _export(client, rnd, **params):
    return client.get(reverse("registry:recheck", args=[rnd.pk]), {"show": "snapshot", "format": "xlsx", **params})


def _table(response, tmp_path):
    path = tmp_path / "snapshot.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    table = read_table(path)
    return table.headers, [row for _n, row in table.rows]


def test_the_export_holds_the_snapshot_and_is_logged(closed, make_user, login, tmp_path):
    rnd = closed["round"]
    office = login(make_user("county_office", COUNTY_A))
    assert _snapshot_page(office, rnd).context["can_export"]
    response = _export(office, rnd)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    headers, rows = _table(response, tmp_path)
    assert headers[:3] == ["Household number", "Head of household", "Village"] and "2025" in headers[-1]
    by_number = {r["Household number"]: r for r in rows}
    assert set(by_number) == {"A1", "A2", "A3", "B1", "B2"}
    assert by_number["A1"]["Head of household"] == "户主A1" and by_number["A1"]["Village"] == "石桥村"
    assert by_number["A2"]["Status"] == "Registered, not yet exited" and by_number["A1"][headers[-1]] in ("6000", "6000.0")
    event = AuditEvent.objects.get(kind="export", action="registry.export")
    assert event.count == 5 and event.area_code == COUNTY_A and str(YEAR) in event.note


def test_the_export_holds_the_users_export_area_only(closed, make_user, login, tmp_path):
    officer = login(make_user("township_officer", TOWNSHIP_A))
    _headers, rows = _table(_export(officer, closed["round"]), tmp_path)
    assert {r["Household number"] for r in rows} == {"A1", "A2", "A3"}
    event = AuditEvent.objects.get(kind="export", action="registry.export")
    assert event.count == 3 and event.area_code == TOWNSHIP_A


def test_the_export_needs_registry_export(closed, make_user, login):
    cadre = login(make_user("village_cadre", VILLAGE_A))  # sees the round, may not export
    assert not _snapshot_page(cadre, closed["round"]).context["can_export"]
    assert _export(cadre, closed["round"]).status_code == 403
    assert not AuditEvent.objects.filter(kind="export").exists()


def test_the_household_card_lists_its_rechecks_by_year(closed, make_user, login):
    a1, a2 = closed["households"][:2]
    actions.open_recheck(SYSTEM, Area.objects.get(code=VILLAGE_A), YEAR + 1)  # another year, still open
    cadre = login(make_user("village_cadre", VILLAGE_A))
    page = cadre.get(reverse("registry:household", args=[a1.pk]))
    rows = page.context["rechecks"]
    assert [(r.round.year, r.checked) for r in rows] == [(YEAR + 1, False), (YEAR, True)]
    assert rows[1].changes == "新生儿一名" and rows[1].checked_at is not None
    section = page.content.decode().split('id="rechecks"')[1].split('id="assistance"')[0]
    assert "Yearly re-check" in section and "新生儿一名" in section and str(YEAR) in section
    assert "Not checked yet" in section and reverse("registry:recheck", args=[closed["round"].pk]) in section
    other = cadre.get(reverse("registry:household", args=[a2.pk])).content.decode()
    assert "新生儿一名" not in other.split('id="rechecks"')[1].split('id="assistance"')[0]


def test_a_card_without_a_recheck_says_so(two_counties, make_user, login):
    h = _household("Z1", VILLAGE_A + "001", "19900101")
    page = login(make_user("village_cadre", VILLAGE_A)).get(reverse("registry:household", args=[h.pk]))
    assert "No yearly re-check of this household yet." in page.content.decode()


def test_a_snapshot_larger_than_an_excel_sheet_is_refused_not_cut(closed, make_user, login, monkeypatch):
    from fupin.registry import views_recheck

    monkeypatch.setattr(views_recheck, "XLSX_MAX_ROWS", 4)  # (the round's snapshot holds 5)
    office = login(make_user("county_office", COUNTY_A))
    response = _export(office, closed["round"])
    assert response.status_code == 302 and "show=snapshot" in response["Location"]
    assert not AuditEvent.objects.filter(kind="export").exists()

