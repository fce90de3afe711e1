"""The import_dataset and match_dataset commands print a matching run's counts in the job's
sentence (tasks._match_message), the hits of an area with no identification cut-off date set
apart from those whose record has no date; the data set page shows the two apart too."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from fupin.comparison import matching
from fupin.comparison.models import ExternalDataset
from fupin.identification.models import CutoffDate
from tests import test_comparison as base
from tests.conftest import COUNTY_B, SYSTEM, VILLAGE_A, VILLAGE_B
from tests.test_cmpcount_match_counts import CITY, mixed  # noqa: F401 (a fixture)
from tests.test_comparison import A6, B_PERSON, CUTOFF, DAY, VEHICLE_HEADERS, X, Z

pytestmark = pytest.mark.usefixtures("english")


def test_import_dataset_prints_no_cut_off_apart_from_date_unknown(two_counties, tmp_path):
    """County A has a cut-off date (X before it, Z after it); county B has none (B_PERSON)."""
    CutoffDate.objects.create(area_prefix=A6, date=CUTOFF, source="test: county A only")
    base.household(VILLAGE_A, "3607291002010001", [X])
    base.household(VILLAGE_A, "3607291002010003", [Z])
    base.household(VILLAGE_B, "3607831002010001", [B_PERSON])
    path = base.table_file(tmp_path, VEHICLE_HEADERS, base.vehicle_rows([
        (X[1], X[0], CUTOFF - DAY, "150000"), (Z[1], Z[0], CUTOFF + DAY, "60000"),
        (B_PERSON[1], B_PERSON[0], CUTOFF - DAY, "70000")]))
    out = io.StringIO()
    call_command("import_dataset", "vehicle", str(path), source="交警", as_of="2016-06-30", area=CITY,
                 quiet_progress=True, stdout=out)
    ds = ExternalDataset.objects.get()
    printed = out.getvalue()
    assert "3 records imported" in printed  # its own line, with its own timing
    assert re.search(rf"^Data set {ds.pk} matched in [0-9.]+ s\. 3 hits \(3 new\): 1 before the cut-off, "
                     r"1 with no cut-off date set, 0 with the date unknown, 1 after, 0 for information\.$",
                     printed, re.MULTILINE), printed


def test_match_dataset_prints_no_cut_off_apart_from_date_unknown(mixed):
    out = io.StringIO()
    call_command("match_dataset", str(mixed.pk), stdout=out)
    assert re.fullmatch(rf"Data set {mixed.pk} matched in [0-9.]+ s\. 5 hits \(5 new\): 1 before the cut-off, "
                        r"2 with no cut-off date set, 1 with the date unknown, 1 after, 0 for information\.\n",
                        out.getvalue()), out.getvalue()
    # one hit is one hit
    out = io.StringIO()
    call_command("match_dataset", str(mixed.pk), stdout=out)
    assert "5 hits (0 new): 1 before the cut-off, 2 with no cut-off date set" in out.getvalue()


def _counts(page: str) -> dict[str, tuple[str, str, str]]:
    """The data set page's hit counts: code -> (label, the hit list's phase filter, count)."""
    return {code: (label, phase, n) for code, phase, label, n in re.findall(
        r'<tr data-count="(\w+)"><td><a href="[^"]*phase=(\w+)">([^<]*)</a></td><td class="text-end">(\d+)</td>',
        page)}


def test_the_data_set_page_shows_no_cut_off_apart_from_date_unknown(mixed, make_user, login):
    matching.match_dataset(mixed, SYSTEM)
    officer = login(make_user("county_office", CITY))  # an office over both counties
    response = officer.get(reverse("comparison:dataset", args=[mixed.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Date or cut-off unknown" not in page
    assert _counts(page) == {
        "before": ("Before the cut-off (may veto)", "before", "1"),
        "no_cutoff": ("No cut-off date set (needs a decision)", "no_cutoff", "2"),
        "undated": ("Date unknown (needs a decision)", "undated", "1"),
        "after": ("After the cut-off (never vetoes)", "after", "1"),
        "info": ("Information only", "info", "0"),
    }
    # a county's officer sees their county's hits only: county B has no cut-off date set
    b = login(make_user("county_office", COUNTY_B))
    counts = _counts(b.get(reverse("comparison:dataset", args=[mixed.pk])).content.decode())
    assert {k: v[2] for k, v in counts.items()} == {"before": "0", "no_cutoff": "2", "undated": "0", "after": "0",
                                                     "info": "0"}
