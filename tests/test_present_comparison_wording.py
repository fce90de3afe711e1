"""A hit that cannot be sorted before or after the identification cut-off because no cut-off
date is set for its area says so (and links to the cut-off dates where the user may set
one), instead of "date unknown" (日期不详), which stays for a record that truly has no date:
the statistics of the check count the two apart, on the page and in the Excel form; the hit's
page and the queue say which it is."""

from __future__ import annotations

import io
import tempfile

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from fupin.comparison import rules
from fupin.comparison.models import Hit
from fupin.identification.models import CutoffDate
from tests import test_comparison as base
from tests.conftest import COUNTY_A, VILLAGE_A
from tests.test_comparison import (
    CUTOFF,
    DAY,
    VEHICLE_HEADERS,
    X,
    Y,
    hit_of,
    import_file,
    table_file,
    vehicle_rows,
)

pytestmark = pytest.mark.usefixtures("english")

NO_CUTOFF = "No cut-off date set"


@pytest.fixture
def uncut(two_counties, tmp_path):
    """County A's vehicles matched while no cut-off date is set anywhere."""
    base.household(VILLAGE_A, "3607291002010001", [X])
    base.household(VILLAGE_A, "3607291002010002", [Y])
    path = table_file(tmp_path, VEHICLE_HEADERS, vehicle_rows([(X[1], X[0], CUTOFF - DAY, "150000"),
                                                               (Y[1], Y[0], CUTOFF + DAY, "80000")]))
    result = import_file(path)
    assert result.ok, result.report.summary()
    assert set(Hit.objects.values_list("phase", "cutoff")) == {(rules.UNDATED, None)}
    return result.dataset


def _counts(page) -> dict:
    rows = page.context["rows"]
    assert rows[-1].level == "total"
    return rows[-1].counts


def _xlsx(response) -> list[list]:
    data = b"".join(response.streaming_content)
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as fh:
        fh.write(io.BytesIO(data).getvalue())
        fh.flush()
        return CalamineWorkbook.from_path(fh.name).get_sheet_by_index(0).to_python()


def test_the_statistics_say_no_cut_off_is_set_and_link_to_where_it_is_set(uncut, make_user, login):
    office = login(make_user("county_office", COUNTY_A))  # may set cut-off dates (standards.edit)
    page = office.get(reverse("comparison:forms"))
    body = page.content.decode()
    assert (_counts(page)["no_cutoff"], _counts(page)["undated"]) == (2, 0)
    assert f'data-count="no_cutoff"><a href="{reverse("comparison:cutoffs")}">{NO_CUTOFF}</a>' in body
    assert ("No identification cut-off date is set for the area of 2 hits, so they cannot be sorted before or "
            "after the cut-off") in body
    notice = body[body.index('data-notice="no-cutoff"'):]
    assert f'<a href="{reverse("comparison:cutoffs")}">Set the cut-off date</a>' in notice[:notice.index("</div>")]
    # the Excel form counts them apart too
    sheet = _xlsx(office.get(reverse("comparison:form_export", args=["summary"])))
    headers = sheet[0]
    assert NO_CUTOFF in headers and "Date unknown" in headers
    assert (sheet[-1][headers.index(NO_CUTOFF)], sheet[-1][headers.index("Date unknown")]) == (2, 0)


def test_who_may_not_set_a_cut_off_gets_no_link(uncut, make_user, login):
    cadre = login(make_user("village_cadre", VILLAGE_A))
    body = cadre.get(reverse("comparison:forms")).content.decode()
    assert f'data-count="no_cutoff">{NO_CUTOFF}</th>' in body
    assert "No identification cut-off date is set" in body
    assert reverse("comparison:cutoffs") + '">Set the cut-off date' not in body
    assert "The office that sets the identification standards sets it." in body


def test_with_a_cut_off_the_hits_are_sorted_and_only_an_undated_record_is_date_unknown(uncut, make_user, login):
    CutoffDate.objects.create(area_prefix="36", date=CUTOFF, source="test")
    base.matching.match_dataset(uncut, base.SYSTEM)
    assert hit_of(uncut, X).phase == rules.BEFORE and hit_of(uncut, Y).phase == rules.AFTER
    # a record without a date (a kind whose date column may be left empty): undated, its cut-off known
    Hit.objects.filter(pk=hit_of(uncut, X).pk).update(event_date=None, phase=rules.UNDATED)
    office = login(make_user("county_office", COUNTY_A))
    page = office.get(reverse("comparison:forms"))
    assert (_counts(page)["no_cutoff"], _counts(page)["undated"], _counts(page)["after"]) == (0, 1, 1)
    assert 'data-notice="no-cutoff"' not in page.content.decode()
    detail = office.get(reverse("comparison:hit", args=[hit_of(uncut, X).pk])).content.decode()
    assert "The record has no date" in detail and "No identification cut-off date is set" not in detail
    assert CUTOFF.isoformat() in detail
    queue = office.get(reverse("comparison:hits")).content.decode()
    assert ">Date unknown</span>" in queue and f">{NO_CUTOFF}</span>" not in queue


def test_the_hit_and_the_queue_say_no_cut_off_is_set(uncut, make_user, login):
    office = login(make_user("county_office", COUNTY_A))
    hit = hit_of(uncut, X)
    detail = office.get(reverse("comparison:hit", args=[hit.pk])).content.decode()
    assert "No identification cut-off date is set for this household's area" in detail
    assert f'<dd class="col-sm-8">{NO_CUTOFF}</dd>' in detail  # not "—"
    assert f'<a href="{reverse("comparison:cutoffs")}">Set the cut-off date</a>' in detail
    assert "The record has no date" not in detail
    cadre = login(make_user("village_cadre", VILLAGE_A))
    detail = cadre.get(reverse("comparison:hit", args=[hit.pk])).content.decode()
    assert "No identification cut-off date is set" in detail and "Set the cut-off date" not in detail
    queue = office.get(reverse("comparison:hits")).content.decode()
    assert f">{NO_CUTOFF}</span>" in queue and ">Date unknown</span>" not in queue
