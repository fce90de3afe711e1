"""A matching run counts the hits of an area with no identification cut-off date set
("no_cutoff") apart from those whose record has no date while a cut-off is set ("undated"),
as the statistics of the check do: in match_dataset's counts, in the job's message and in
the audit event (whose page labels both, and says of a match logged before they were counted
apart that its "undated" holds both)."""

from __future__ import annotations

import pytest

from fupin.audit import actions as audit
from fupin.audit.models import AuditEvent
from fupin.comparison import actions, matching, rules, tasks
from fupin.comparison.models import ExternalRecord, Hit
from fupin.identification.models import CutoffDate
from fupin.jobs.models import Job
from tests import test_comparison as base
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A, VILLAGE_B
from tests.test_comparison import A6, B6, B_PERSON, CUTOFF, DAY, VEHICLE_HEADERS, X, Y, Z, id_number
from tests.test_present_audit_fields import rows

pytestmark = pytest.mark.usefixtures("english")

CITY = "360700000000"  # 赣州市: county A (a cut-off date set) and county B (none)
B_UNDATED = ("龙南二", id_number(B6, "19680808", 71))


@pytest.fixture
def mixed(two_counties, tmp_path):
    """A city's vehicle data set, not matched yet. County A has a cut-off date: X before it, Z
    after it, Y's record without a date. County B has none: B_PERSON dated, B_UNDATED not."""
    CutoffDate.objects.create(area_prefix=A6, date=CUTOFF, source="test: county A only")
    base.household(VILLAGE_A, "3607291002010001", [X])
    base.household(VILLAGE_A, "3607291002010002", [Y])
    base.household(VILLAGE_A, "3607291002010003", [Z])
    base.household(VILLAGE_B, "3607831002010001", [B_PERSON])
    base.household(VILLAGE_B, "3607831002010002", [B_UNDATED])
    path = base.table_file(tmp_path, VEHICLE_HEADERS, base.vehicle_rows([
        (X[1], X[0], CUTOFF - DAY, "150000"), (Y[1], Y[0], CUTOFF - DAY, "80000"),
        (Z[1], Z[0], CUTOFF + DAY, "60000"), (B_PERSON[1], B_PERSON[0], CUTOFF - DAY, "70000"),
        (B_UNDATED[1], B_UNDATED[0], CUTOFF - DAY, "50000")]))
    result = base.import_file(path, area=CITY, match=False)
    assert result.ok, result.report.summary()
    # the records without a date (every kind that may veto asks for one in its file; a
    # department's data loaded otherwise may still lack it)
    assert ExternalRecord.objects.filter(dataset=result.dataset,
                                         id_number__in=[Y[1], B_UNDATED[1]]).update(event_date=None) == 2
    return result.dataset


def test_the_counts_say_no_cut_off_apart_from_date_unknown(mixed):
    counts = matching.match_dataset(mixed, SYSTEM)
    assert {k: v for k, v in counts.items() if k != "seconds"} == {
        "created": 5, "hits": 5, "before": 1, "no_cutoff": 2, "undated": 1, "after": 1, "info": 0}
    # as the hits are stored (both UNDATED, told apart by their cut-off)
    assert sorted(Hit.objects.filter(dataset=mixed, phase=rules.UNDATED).values_list("cutoff", flat=True),
                  key=str) == [CUTOFF, None, None]
    event = AuditEvent.objects.get(action="comparison.match", object_id=str(mixed.pk))
    assert (event.after["no_cutoff"], event.after["undated"], event.after["hits"]) == (2, 1, 5)


def test_the_job_message_names_each(mixed):
    job = actions.start_match(SYSTEM, mixed)
    job.refresh_from_db()
    assert job.status == Job.SUCCEEDED, job.message
    assert job.message == ("5 hits (5 new): 1 before the cut-off, 2 with no cut-off date set, "
                           "1 with the date unknown, 1 after, 0 for information.")
    assert (job.result["no_cutoff"], job.result["undated"]) == (2, 1)
    # county B's cut-off set, matching again sorts its hits: its undated record is now date unknown
    CutoffDate.objects.create(area_prefix=B6, date=CUTOFF, source="test: county B")
    job = actions.start_match(SYSTEM, mixed)
    job.refresh_from_db()
    assert job.message == ("5 hits (0 new): 2 before the cut-off, 0 with no cut-off date set, "
                           "2 with the date unknown, 1 after, 0 for information.")


def test_the_message_of_one_hit_and_of_counts_kept_from_before():
    """Counts stored before the split (a job's result) have no no_cutoff: 0; one hit is one hit."""
    old = {"created": 1, "hits": 1, "before": 0, "undated": 1, "after": 0, "info": 0, "seconds": 0.1}
    assert tasks._match_message(old) == ("1 hit (1 new): 0 before the cut-off, 0 with no cut-off date set, "
                                         "1 with the date unknown, 0 after, 0 for information.")


def test_the_audit_page_labels_both_and_reads_an_old_event(two_counties, make_user, login):
    inspector = login(make_user("inspector", COUNTY_A))

    def shown(after):
        event = audit.record(SYSTEM, "comparison.match", object_type="comparison.externaldataset", object_id="1",
                             area_code=VILLAGE_A, after=after)
        return rows(inspector, event)

    new = shown({"created": 3, "hits": 3, "before": 0, "no_cutoff": 2, "undated": 1, "after": 0, "info": 0})
    assert new["no_cutoff"] == ("No cut-off date set (needs a decision)", "", "2")
    assert new["undated"] == ("Date unknown (needs a decision)", "", "1")
    old = shown({"created": 3, "hits": 3, "before": 0, "undated": 3, "after": 0, "info": 0})
    assert "no_cutoff" not in old
    assert old["undated"] == ("Date unknown (needs a decision)", "",
                              "3 (with the hits that had no cut-off date set: logged before the two were "
                              "counted apart)")
