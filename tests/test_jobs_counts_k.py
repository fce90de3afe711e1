"""A job's counts say what is true: a refused import counts its errors as errors and the
rows they are on as rows, in whole sentences; never more done than in all; a failed
job's bar keeps the progress it reached, drawn as failed, on the job's page and in the
list; a job that does not count rows does not say "rows"."""

from __future__ import annotations

import re

import pytest
from django.tasks import task
from django.test import Client
from django.urls import reverse

from fupin.core.actor import Actor
from fupin.core.tabular import ErrorReport, write_xlsx
from fupin.jobs import actions as jobs
from fupin.jobs.models import Job
from tests.conftest import COUNTY_A

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals


def _report(rows: list[int], limit: int = 100_000) -> ErrorReport:
    report = ErrorReport(limit=limit)
    for n, row in enumerate(rows):
        report.add(row, "身份证号", f"v{n}", "bad")
    return report


@task()
def refused_task(job_id: str) -> None:
    def body(progress):
        p = progress.params
        if p.get("total") is not None:
            progress.set_total(p["total"])
        kwargs = {k: p[k] for k in ("done", "total_arg") if k in p}
        if "total_arg" in kwargs:
            kwargs["total"] = kwargs.pop("total_arg")
        progress.fail_with_report(_report(p["rows"], p.get("limit", 100_000)), **kwargs)

    jobs.run(job_id, body)


@task()
def over_task(job_id: str) -> None:
    def body(progress):
        progress.set_total(progress.params["total"])
        progress.update(progress.params["done"])

    jobs.run(job_id, body)


def _start(user, fn, **params) -> Job:
    job = jobs.start(Actor(user=user), fn, kind="test.k", title="k", area_code=COUNTY_A, params=params)
    job.refresh_from_db()
    return job


def _page(user, job) -> str:
    client = Client()
    client.force_login(user)
    return client.get(reverse("jobs:detail", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()


def _part(html: str, ident: str) -> str | None:
    m = re.search(rf'<div class="[^"]*" id="{ident}">(.*?)</div>', html, re.S)
    return m.group(1).strip() if m else None


@pytest.mark.parametrize(("rows", "errors", "error_rows", "message", "line"), [
    ([3, 3, 3, 4, 4], 5, 2, "5 errors in 2 rows; nothing was imported. See the error report.", "5 errors in 2 rows"),
    ([7], 1, 1, "1 error in 1 row; nothing was imported. See the error report.", "1 error in 1 row"),
    ([7, 7, 7], 3, 1, "3 errors in 1 row; nothing was imported. See the error report.", "3 errors in 1 row"),
    ([0], 1, 0, "1 error in the file; nothing was imported. See the error report.", "1 error in the file"),
])
def test_a_refused_import_counts_rows_as_rows_and_errors_as_errors(two_counties, make_user, rows, errors,
                                                                   error_rows, message, line):
    user = make_user("county_office", COUNTY_A)
    job = _start(user, refused_task, rows=rows)
    assert (job.status, job.error_count, job.error_rows, job.message) == (Job.FAILED, errors, error_rows, message)
    html = _page(user, job)
    assert _part(html, "job-errors") == line
    assert _part(html, "job-counts") is None  # nothing was counted: nothing said about progress


@task()
def own_message_task(job_id: str) -> None:
    jobs.run(job_id, lambda progress: progress.fail_with_report(_report([2]), "自己的说明"))


@task()
def reported_task(job_id: str) -> None:
    def body(progress):
        progress.set_total(6)
        progress.update(6)
        progress.fail_with_report(_report([2, 5]))

    jobs.run(job_id, body)


def test_a_caller_s_own_message_is_kept(two_counties, make_user):
    user = make_user("county_office", COUNTY_A)
    job = _start(user, own_message_task)
    assert (job.message, job.error_rows) == ("自己的说明", 1)


def test_the_rows_read_never_exceed_the_total(two_counties, make_user):
    user = make_user("county_office", COUNTY_A)
    job = _start(user, refused_task, rows=[3], total=1, done=2)  # an estimate of 1 row, 2 read
    assert (job.done, job.total, job.percent) == (2, 2, 100)
    job = _start(user, refused_task, rows=[3], done=4, total_arg=9)  # the caller knows the file's rows
    assert (job.done, job.total, job.percent) == (4, 9, 44)
    job = _start(user, over_task, total=1, done=3)  # update past an estimate raises it
    assert (job.done, job.total) == (3, 3)
    job = _start(user, over_task, total=0, done=3)  # an unknown total stays unknown
    assert (job.done, job.total) == (3, 0)


def test_a_refused_import_without_counts_keeps_the_progress_it_reported(two_counties, make_user):
    user = make_user("county_office", COUNTY_A)
    job = _start(user, reported_task)
    assert (job.done, job.total, job.percent, job.error_rows) == (6, 6, 100, 2)  # was reset to 0 done


def _bar(html: str) -> tuple[str, str]:
    m = re.search(r'<div class="progress-bar([^"]*)" style="width: (\d+)%">', html)
    return m.group(1), m.group(2)


def test_a_failed_job_s_bar_keeps_the_progress_reached_drawn_as_failed(two_counties, make_user):
    user = make_user("county_office", COUNTY_A)
    job = Job.objects.create(kind="t", title="中途失败", area_code=COUNTY_A, created_by=user, status=Job.FAILED,
                             total=10, done=3)
    detail = _page(user, job)
    assert _bar(detail) == (" bg-danger", "30")
    assert _part(detail, "job-counts") == "Failed after 3 of 10"
    client = Client()
    client.force_login(user)
    listing = client.get(reverse("jobs:list")).content.decode()
    assert _bar(listing) == (" bg-danger", "30"), "the list draws a failed job as the job page does"
    done = Job.objects.create(kind="t", title="完成", area_code=COUNTY_A, created_by=user, status=Job.SUCCEEDED,
                              total=4, done=4)
    assert _bar(_page(user, done)) == ("", "100")


@pytest.mark.parametrize(("status", "total", "done", "shown"), [
    (Job.SUCCEEDED, 1, 1, "1 of 1 done"),  # a statistics refresh counts counties, not rows
    (Job.RUNNING, 200, 50, "50 of 200 done"),
    (Job.FAILED, 2, 2, "Failed after 2 of 2"),
    (Job.FAILED, 0, 0, None),
])
def test_the_counts_line_names_no_unit_it_does_not_know(two_counties, make_user, status, total, done, shown):
    user = make_user("county_office", COUNTY_A)
    job = Job.objects.create(kind="t", title="t", area_code=COUNTY_A, created_by=user, status=status,
                             total=total, done=done)
    html = _page(user, job)
    assert _part(html, "job-counts") == shown
    assert "rows" not in html


def test_the_job_api_gives_the_rows_with_errors(two_counties, make_user, api):
    user = make_user("county_office", COUNTY_A)
    job = _start(user, refused_task, rows=[3, 3, 4])
    body = api(user).get(f"/api/v1/jobs/{job.pk}").json()
    assert (body["error_count"], body["error_rows"]) == (3, 2)


# --- the comparison import: a 2-row Excel file with one bad row -------------------------------

def _vehicle_file(tmp_path, rows) -> str:
    from tests.test_comparison import VEHICLE_HEADERS

    path = tmp_path / "v_bad.xlsx"
    write_xlsx(path, VEHICLE_HEADERS, rows)
    return path


def test_the_estimate_of_an_excel_file_s_rows_is_its_data_rows(tmp_path):
    from fupin.comparison.importers import _count_rows

    path = _vehicle_file(tmp_path, [["1"] * 7, ["2"] * 7])
    assert _count_rows(path) == 2


def test_a_refused_comparison_import_says_the_rows_it_read_of_the_file_s(two_counties, make_user, tmp_path):
    from fupin.comparison import actions
    from tests.test_comparison import CUTOFF, X, vehicle_rows

    officer = make_user("county_office", COUNTY_A)
    rows = vehicle_rows([(X[1], X[0], CUTOFF, "80000"), ("12345", "王五", CUTOFF, "x")])
    path = _vehicle_file(tmp_path, rows)
    job = actions.start_import(Actor(officer), path, kind="vehicle", source="交警", as_of="2016-06-30",
                               area_code=COUNTY_A)
    job.refresh_from_db()
    assert job.status == Job.FAILED
    assert (job.done, job.total, job.error_rows) == (2, 2, 1)
    assert job.error_count >= 2  # the ID number and the value of row 3
    html = _page(officer, job)
    assert _part(html, "job-counts") == "Failed after 2 of 2"
    assert _part(html, "job-errors") == f"{job.error_count} errors in 1 row"


def test_errors_past_the_reports_limit_are_still_counted(two_counties, make_user):
    """A report keeps at most ``limit`` errors for its file; the job counts them all."""
    from fupin.core.tabular import ErrorReport

    report = ErrorReport(limit=3)
    for row in range(1, 11):
        report.add(row, "姓名", "", "empty")
    report.add(row=10, column="性别", value="x", reason="unknown")
    assert (len(report.errors), len(report), report.rows) == (3, 11, 10)
    assert "… and 6 more" in report.summary(5)
    report.clear()
    assert (len(report), report.rows, bool(report)) == (0, 0, False)
    user = make_user("county_office", COUNTY_A)
    job = _start(user, refused_task, rows=list(range(1, 11)), limit=3)
    assert (job.error_count, job.error_rows) == (10, 10)
    assert job.message == "10 errors in 10 rows; nothing was imported. See the error report."
