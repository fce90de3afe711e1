"""A job speaks the language of the user who started it, not the worker's: ``start``
records the language active then, ``run`` writes the job's messages, log and reports in
it. The task here is enqueued without running (as the database backend does) and then run
the way the worker runs it, under another language (the worker's is the server's default)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from fupin.core.actor import Actor
from fupin.core.tabular import ErrorReport
from fupin.jobs import actions as jobs
from fupin.jobs.models import Job
from tests.conftest import COUNTY_A


@task()
def refused_task(job_id: str) -> None:
    def body(progress):
        report = ErrorReport()
        report.add(2, "身份证号", "36072919800101001X", _("the person lives outside your area"))
        progress.fail_with_report(report)  # the default message: refusal_message

    jobs.run(job_id, body)


@task()
def broken_task(job_id: str) -> None:
    def body(progress):
        raise RuntimeError("boom")

    jobs.run(job_id, body)


@task()
def quiet_task(job_id: str) -> None:
    jobs.run(job_id, lambda progress: progress.update(1))  # succeeds with the runner's "Done"


class Later:
    """Stands in for a task backend that queues: ``start`` enqueues, the test runs it later."""

    def __init__(self, fn):
        self.fn, self.job_id = fn, None

    def enqueue(self, job_id):
        self.job_id = job_id
        return SimpleNamespace(id="later")

    def run_as_worker(self, language: str) -> Job:
        with translation.override(language):
            self.fn.call(self.job_id)
            assert translation.get_language() == language  # the worker's language is back afterwards
        return Job.objects.get(pk=self.job_id)


def _start(user, fn, language: str) -> tuple[Job, Later]:
    later = Later(fn)
    with translation.override(language):
        job = jobs.start(Actor(user=user), later, kind="test.lang", title="t", area_code=COUNTY_A)
    assert job.status == Job.QUEUED  # nothing ran yet
    return job, later


def _in(language: str, text_fn):
    with translation.override(language):
        return text_fn()


# (the user's language, the worker's)
LANGUAGES = [("en", "zh-hans"), ("zh-hans", "en")]


@pytest.mark.parametrize(("language", "worker"), LANGUAGES)
def test_start_records_the_language_active_then(two_counties, make_user, language, worker):
    job, _later = _start(make_user("county_office", COUNTY_A), quiet_task, language)
    assert Job.objects.get(pk=job.pk).language == language


@pytest.mark.parametrize(("language", "worker"), LANGUAGES)
def test_a_refused_import_reports_in_the_language_of_its_user(two_counties, make_user, language, worker):
    job, later = _start(make_user("county_office", COUNTY_A), refused_task, language)
    job = later.run_as_worker(worker)
    expected = _in(language, lambda: jobs.refusal_message(1, 1))
    assert expected != _in(worker, lambda: jobs.refusal_message(1, 1))  # the catalogue has both
    assert (job.status, job.message) == (Job.FAILED, expected)
    report = job.files.get()
    assert report.label == _in(language, lambda: _("Error report"))
    rows = CalamineWorkbook.from_path(report.file.path).get_sheet_by_index(0).to_python()
    assert rows[0][0] == _in(language, lambda: _("Row")) and rows[0][3] == _in(language, lambda: _("Reason"))
    assert rows[1][3] == _in(language, lambda: _("the person lives outside your area"))


@pytest.mark.parametrize(("language", "worker"), LANGUAGES)
def test_an_unexpected_error_is_logged_in_the_language_of_its_user(two_counties, make_user, language, worker):
    job, later = _start(make_user("county_office", COUNTY_A), broken_task, language)
    job = later.run_as_worker(worker)
    line = _in(language, lambda: _("The job stopped on an unexpected error (%(error)s). The administrator finds "
                                   "the details in the server log under job %(job)s.")
               % {"error": "RuntimeError", "job": job.pk})
    assert (job.status, job.message) == (Job.FAILED, "boom")
    assert job.log.split("] ", 1)[1].strip() == line


@pytest.mark.parametrize(("language", "worker"), LANGUAGES)
def test_a_job_that_succeeds_says_done_in_the_language_of_its_user(two_counties, make_user, language, worker):
    job, later = _start(make_user("county_office", COUNTY_A), quiet_task, language)
    job = later.run_as_worker(worker)
    assert (job.status, job.message) == (Job.SUCCEEDED, _in(language, lambda: _("Done")))


def test_a_job_without_a_recorded_language_runs_in_the_workers(two_counties, make_user):
    """(a job queued before jobs 0003)"""
    job, later = _start(make_user("county_office", COUNTY_A), quiet_task, "en")
    Job.objects.filter(pk=job.pk).update(language="")
    job = later.run_as_worker("zh-hans")
    assert job.message == _in("zh-hans", lambda: _("Done")) == "已完成"
