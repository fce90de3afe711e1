"""Importing an export again after its records changed (assistance/reimport.py): the
export carries each measure's and visit's record number (记录编号), so a row of a record
corrected since is that record's — skipped with a note in the job's log, never a second
live record and never an overwrite of the correction — while a new row of the same file
is imported."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from fupin.assistance import actions, importers, reimport
from fupin.assistance.models import Measure, Visit
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.tabular import write_xlsx
from fupin.jobs.models import Job
from tests import test_assistance_pages
from tests.conftest import SYSTEM
from tests.test_assistance import TODAY

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals

world = test_assistance_pages.world  # a county office (logged in as ``c``), a helper, their poor household
EARLIER = TODAY - dt.timedelta(days=10)


def _export(client, kind: str) -> list[list[str]]:
    """The export page's file, as rows of text (header row first)."""
    data = b"".join(client.get(reverse("assistance:exchange_export", args=[kind])).streaming_content)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    return [[str(cell) for cell in row] for row in rows]


def _import(client, kind: str, rows: list[list[str]]) -> Job:
    """Import the rows (header row first) through the import page: a job."""
    buf = io.BytesIO()
    write_xlsx(buf, rows[0], rows[1:])
    r = client.post(reverse("assistance:exchange"), {"kind": kind, "file": SimpleUploadedFile(f"{kind}.xlsx",
                                                                                              buf.getvalue())})
    assert r.status_code == 302, r.content.decode()[:500]
    return Job.objects.get(pk=r["Location"].rstrip("/").rsplit("/", 1)[1])


def _measure(world, **kw):
    values = {"household": world["h"], "type": "employment", "date": EARLIER, "amount_to_household": Decimal("1000"),
              "details": {"job": "保洁"}, **kw}
    return actions.record_measure(SYSTEM, **values)


def test_the_export_carries_the_record_numbers(world):
    with clock.frozen(TODAY):
        m = _measure(world)
        v = actions.log_visit(SYSTEM, household=world["h"], helper=world["helper"], date=EARLIER, findings="看望")
        for kind, record in (("measures", m), ("visits", v)):
            rows = _export(world["c"], kind)
            assert rows[0] == importers.headers(kind) and rows[0][-1] == reimport.COLUMN == "记录编号"
            assert [row[-1] for row in rows[1:]] == [str(record.pk)]


def test_an_old_export_of_a_corrected_measure_does_not_double_it(world):
    office = Actor(user=world["office"])
    with clock.frozen(TODAY):
        m = _measure(world)
        old = _export(world["c"], "measures")
        actions.correct_measure(office, m, type="employment", date=EARLIER, amount_to_household="1200",
                                details={"job": "保洁员"}, note="金额更正")
        # the same file with one new row (no record number: a measure not recorded yet)
        new_row = [world["h"].number, "", "就业扶贫", TODAY.isoformat(), "300", "", "", "岗位=护路", "新增", ""]
        job = _import(world["c"], "measures", [*old, new_row])
    assert job.status == Job.SUCCEEDED, job.message
    live = Measure.objects.filter(household=world["h"]).order_by("pk")
    assert live.count() == 2 and Measure.all_objects.count() == 2
    m.refresh_from_db()
    assert (m.amount_to_household, m.details["job"], m.note) == (Decimal("1200.00"), "保洁员", "金额更正")
    added = live.exclude(pk=m.pk).get()
    assert (added.amount_to_household, added.details["job"], added.date) == (Decimal("300.00"), "护路", TODAY)
    assert job.result == {"measures_changed_skipped": 1, "measures_created": 1}
    assert (f"Row 2: measure no. {m.pk} was corrected on {TODAY} and the row holds another version (the file is "
            "older than the correction, or was edited); an import never overwrites a recorded measure, the row "
            "was skipped.") in job.log
    assert "1 row was skipped" in job.message
    # the correction is the only change of the measure: the import wrote no update
    assert AuditEvent.objects.filter(action="assistance.measure.update", object_id=str(m.pk)).count() == 1


def test_an_old_export_of_a_corrected_visit_does_not_double_it(world):
    office = Actor(user=world["office"])
    with clock.frozen(TODAY):
        v = actions.log_visit(SYSTEM, household=world["h"], helper=world["helper"], date=EARLIER, findings="看望")
        old = _export(world["c"], "visits")
        actions.correct_visit(office, v, date=EARLIER, findings="看望，房屋已修缮", agreements="下月再访")
        new_row = [world["h"].number, world["helper"].phone, TODAY.isoformat(), "了解就业", "", ""]
        job = _import(world["c"], "visits", [*old, new_row])
    assert job.status == Job.SUCCEEDED, job.message
    assert Visit.all_objects.count() == 2
    v.refresh_from_db()
    assert (v.findings, v.agreements) == ("看望，房屋已修缮", "下月再访")
    assert Visit.objects.exclude(pk=v.pk).get().findings == "了解就业"
    assert job.result == {"visits_changed_skipped": 1, "visits_created": 1}
    assert f"Row 2: visit no. {v.pk} was corrected on {TODAY}" in job.log


def test_an_unchanged_export_is_unchanged_and_an_edited_row_is_skipped(world):
    with clock.frozen(TODAY):
        kept, edited = _measure(world), _measure(world, amount_to_household=Decimal("2000"))
        rows = _export(world["c"], "measures")
        assert _import(world["c"], "measures", rows).result == {"measures_unchanged": 2}
        at = [row[-1] for row in rows].index(str(edited.pk))
        rows[at][4] = "2500"  # the file edited: an import is not a correction
        job = _import(world["c"], "measures", rows)
    assert job.status == Job.SUCCEEDED and job.result == {"measures_changed_skipped": 1, "measures_unchanged": 1}
    assert (f"Row {at + 1}: the row differs from measure no. {edited.pk} as recorded (the file was edited); an "
            "import never changes a recorded measure — correct it on its page. The row was skipped.") in job.log
    assert Measure.objects.get(pk=edited.pk).amount_to_household == Decimal("2000.00")
    assert Measure.all_objects.count() == 2 and Measure.objects.get(pk=kept.pk).updated_at is None


def test_a_wrong_record_number_is_named_and_nothing_is_imported(world, tmp_path):
    """A number not of this household's measures (or visits), not a number, or given twice:
    the error report names row and column; all or nothing."""
    from tests.test_assistance import make_household

    with clock.frozen(TODAY):
        m = _measure(world)
        elsewhere = _measure(world, household=world["other"])
        actions.log_visit(SYSTEM, household=world["h"], helper=world["helper"], date=EARLIER, findings="看望")
        other_v = actions.log_visit(SYSTEM, household=world["other"], helper=world["helper"], date=EARLIER,
                                    findings="看望")
        third = make_household("3607291002010019", head="冯三", seq="191")
        h = world["h"].number
        row = [h, "", "就业扶贫", EARLIER.isoformat(), "1000.00", "0.00", "", "岗位=保洁", ""]
        path = tmp_path / "m.xlsx"
        write_xlsx(path, importers.headers("measures"), [
            [*row, str(m.pk)], [*row, str(m.pk)], [*row, str(elsewhere.pk)], [*row, "12a"],
            [*row, str(10**30)], [third.number, *row[1:], ""]])
        counts, report = importers.import_file(SYSTEM, "measures", path)
        assert counts == {}
        assert {(e.row, e.column) for e in report.errors} == {(3, "记录编号"), (4, "记录编号"), (5, "记录编号"),
                                                               (6, "记录编号")}
        reasons = {e.row: e.reason for e in report.errors}
        assert reasons[3] == "this record number is in the file twice"
        assert reasons[4].startswith("no measure with this number for this household or village")
        assert reasons[5].startswith("not a record number")
        path = tmp_path / "v.xlsx"
        write_xlsx(path, importers.headers("visits"), [
            [h, world["helper"].phone, EARLIER.isoformat(), "看望", "", str(other_v.pk)],
            [h, world["helper"].phone, EARLIER.isoformat(), "看望", "", str(m.pk + 1000)]])
        counts, report = importers.import_file(SYSTEM, "visits", path)
        assert counts == {} and [(e.row, e.column) for e in report.errors] == [(2, "记录编号"), (3, "记录编号")]
        assert report.errors[0].reason.startswith("no visit with this number for this household")
    assert Measure.all_objects.count() == 2 and Visit.all_objects.count() == 2


def test_an_amount_that_cannot_be_stored_is_named_with_its_reason(world, tmp_path):
    """The report says why (negative, too large, not a number), as the pages do."""
    h = world["h"].number
    row = [h, "", "就业扶贫", EARLIER.isoformat(), "1000.00", "0.00", "", "岗位=保洁", "", ""]
    path = tmp_path / "m.xlsx"
    write_xlsx(path, importers.headers("measures"), [
        [*row[:4], "-5", *row[5:]], [*row[:5], "1e12", *row[6:]], [*row[:4], "NaN", *row[5:]]])
    with clock.frozen(TODAY):
        counts, report = importers.import_file(SYSTEM, "measures", path)
    assert counts == {} and [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "到户金额", "Amounts cannot be negative."), (3, "投入金额", "The amount is too large."),
        (4, "到户金额", "Not a number.")]
