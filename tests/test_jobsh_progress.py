"""A job's progress is seen while the job runs, even when its body works inside one
transaction (the comparison import): on PostgreSQL ``Progress`` writes through a
connection of its own (the "progress" alias: in tests a MIRROR of the default test
database, not a second one), which commits at once; and a body that fails and rolls its
transaction back does not take that progress, nor the job's FAILED and its message, with
it. On SQLite there is one writer at a time: progress goes through the default connection.

Tests that run a job outside a test transaction (``transaction=True``) on PostgreSQL
declare the alias: ``databases="__all__"``."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import OperationalError, connection, connections, transaction
from django.tasks import task

from fupin.comparison import actions as comparison
from fupin.comparison import importers
from fupin.comparison.models import ExternalDataset
from fupin.core.actor import Actor
from fupin.jobs import actions as jobs
from fupin.jobs.models import Job
from tests.conftest import COUNTY_A
from tests.test_comparison import CUTOFF, VEHICLE_HEADERS, X, Y, Z, table_file, vehicle_rows
from tests.test_comparison import world as world  # (a fixture)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer at a time: progress goes through the job's own connection and is seen at commit")
# Outside a test transaction, as the worker runs a job (its Job row committed before it starts).
committed = pytest.mark.django_db(transaction=True, serialized_rollback=True, databases="__all__")


@pytest.fixture(autouse=True)
def progress_connection(settings):
    """The rest of the suite writes progress through the default connection (tests/settings.py).
    The progress connection is closed after each test (left open, the test database could not
    be dropped at the end of the run)."""
    settings.FUPIN_JOBS_PROGRESS_CONNECTION = True
    yield
    if jobs.PROGRESS_DB in connections:
        connections[jobs.PROGRESS_DB].close()


def elsewhere(read):
    """``read()`` through another connection (the job's page, in another thread), now."""
    out = []

    def run():
        try:
            out.append(read())
        finally:
            connections.close_all()  # this thread's

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return out[0]


def seen_elsewhere(job_pk) -> dict:
    """The job as another connection sees it now."""
    return elsewhere(lambda: Job.objects.filter(pk=job_pk).values("status", "done", "total", "message", "log").get())


def _job(**extra) -> Job:
    return Job.objects.create(**{"kind": "test.progress", "title": "t", "area_code": COUNTY_A, **extra})


# --- the alias ------------------------------------------------------------------------------

def test_the_progress_alias_is_the_test_database_on_postgresql_only():
    if connection.vendor == "postgresql":
        progress = connections[jobs.PROGRESS_DB].settings_dict
        assert progress["TEST"]["MIRROR"] == "default"
        assert progress["NAME"] == connection.settings_dict["NAME"]  # the test database, not a second one
        assert progress["NAME"].startswith("test_")
    else:
        assert jobs.PROGRESS_DB not in settings.DATABASES


@postgresql_only
@pytest.mark.django_db(databases="__all__")
def test_a_progress_write_waits_for_a_lock_ten_seconds_at_most():
    """(only a body writing its own Job row inside its transaction would make it wait: an
    error then, not a job hanging for ever)"""
    for alias, expected in ((jobs.PROGRESS_DB, "10s"), ("default", "0")):
        with connections[alias].cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == expected, alias


def test_inside_a_test_transaction_progress_uses_the_default_connection(db):
    """(the job's row, created inside the test's transaction, is seen by that connection only)"""
    job = _job()
    progress = jobs.Progress(str(job.pk))
    assert progress.db == "default"
    progress.update(2, message="two")
    job.refresh_from_db()
    assert (job.done, job.message) == (2, "two")


@task()
def plain_task(job_id: str) -> None:
    def body(progress):
        progress.set_total(2)
        progress.log("one line")
        progress.update(2, message="two of two")

    jobs.run(job_id, body)


@pytest.mark.django_db(databases="__all__")
def test_a_test_declaring_every_database_still_runs_jobs(make_user, two_counties):
    job = jobs.start(Actor(user=make_user("county_office", COUNTY_A)), plain_task, kind="t", title="t",
                     area_code=COUNTY_A)
    assert (job.status, job.done, job.total, job.message) == (Job.SUCCEEDED, 2, 2, "two of two")
    assert job.log.endswith("one line\n")


@postgresql_only
@committed
def test_a_job_whose_progress_connection_is_refused_still_ends_done(make_user, two_counties, monkeypatch):
    """A server that refuses the second connection (too many clients, say) must not leave the
    job queued for ever: progress then goes through the default connection."""
    def refused(*args, **kwargs):
        raise OperationalError("too many clients already")

    connections[jobs.PROGRESS_DB].close()
    monkeypatch.setattr(connections[jobs.PROGRESS_DB], "ensure_connection", refused)
    job = jobs.start(Actor(user=make_user("county_office", COUNTY_A)), plain_task, kind="t", title="t",
                     area_code=COUNTY_A)
    job.refresh_from_db()
    assert (job.status, job.done, job.message) == (Job.SUCCEEDED, 2, "two of two")


# --- progress inside a transaction ----------------------------------------------------------------

@postgresql_only
@committed
def test_progress_inside_a_transaction_is_seen_before_it_commits():
    job = _job()
    progress = jobs.Progress(str(job.pk))
    assert progress.db == jobs.PROGRESS_DB
    with pytest.raises(RuntimeError), transaction.atomic():
        _job(title="written by the body, in its transaction")
        progress.begin(message="started")
        assert seen_elsewhere(job.pk)["status"] == Job.RUNNING
        progress.set_total(10)
        progress.update(4, message="4 of 10")
        progress.log("a line")
        now = seen_elsewhere(job.pk)
        assert (now["done"], now["total"], now["message"]) == (4, 10, "4 of 10")
        assert now["log"].endswith("a line\n")
        assert Job.objects.count() == 2 and elsewhere(Job.objects.count) == 1  # the body's own row: not yet
        raise RuntimeError("the body fails: its transaction is rolled back")
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.message) == (Job.RUNNING, 4, 10, "4 of 10")  # not rolled back
    assert job.log.endswith("a line\n")
    assert Job.objects.count() == 1


@task()
def atomic_failing_task(job_id: str) -> None:
    def body(progress):
        with transaction.atomic():
            _job(title="rolled back")
            progress.set_total(10)
            progress.update(7, message="7 of 10")
            progress.log("reached 7")
            raise ValueError("row 8 is bad")

    jobs.run(job_id, body)


@postgresql_only
@committed
def test_a_body_rolled_back_leaves_the_job_failed_with_its_message_and_progress(make_user, two_counties):
    job = jobs.start(Actor(user=make_user("county_office", COUNTY_A)), atomic_failing_task, kind="t", title="t",
                     area_code=COUNTY_A)
    job.refresh_from_db()
    assert (job.status, job.message, job.done, job.total) == (Job.FAILED, "row 8 is bad", 7, 10)
    assert "reached 7" in job.log and "ValueError" in job.log
    assert not Job.objects.filter(title="rolled back").exists()


# --- the comparison import: one transaction ------------------------------------------------------

@pytest.fixture
def watched(monkeypatch):
    """Every Progress.update the job makes inside a transaction, with what another connection
    saw right after it."""
    calls = []
    update = jobs.Progress.update

    def watching(self, done, **kwargs):
        update(self, done, **kwargs)
        if connection.in_atomic_block:
            calls.append((done, kwargs.get("message"), seen_elsewhere(self.job.pk)))

    monkeypatch.setattr(jobs.Progress, "update", watching)
    return calls


def _vehicle_file(tmp_path, name="cars.csv"):
    return table_file(tmp_path, VEHICLE_HEADERS, vehicle_rows([(X[1], X[0], CUTOFF, "1"), (Y[1], Y[0], CUTOFF, "2"),
                                                               (Z[1], Z[0], CUTOFF, "3")]), name=name)


def _import(make_user, path) -> Job:
    officer = Actor(make_user("county_office", COUNTY_A))
    job = comparison.start_import(officer, path, kind="vehicle", source="交警", as_of="2016-06-30",
                                  area_code=COUNTY_A)
    job.refresh_from_db()
    return job


@postgresql_only
@committed
def test_the_comparison_import_shows_its_progress_from_inside_its_transaction(world, make_user, tmp_path,
                                                                              watched):
    job = _import(make_user, _vehicle_file(tmp_path))
    assert job.status == Job.SUCCEEDED, job.message
    assert watched, "the import reports progress inside its transaction"
    for done, message, seen in watched:
        assert (seen["done"], seen["message"]) == (done, message)  # seen before the import committed
    assert watched[-1][0] == 3


@postgresql_only
@committed
def test_a_comparison_import_that_breaks_keeps_the_progress_it_reported(world, make_user, tmp_path, monkeypatch):
    def broken(self):
        raise RuntimeError("the checks broke")

    monkeypatch.setattr(importers._Checks, "run", broken)
    job = _import(make_user, _vehicle_file(tmp_path))
    assert (job.status, job.message) == (Job.FAILED, "the checks broke")
    assert (job.done, job.total) == (3, 3)  # the rows read, reported inside the rolled-back transaction
    assert "RuntimeError" in job.log
    assert not ExternalDataset.objects.exists()


def test_a_comparison_import_that_breaks_fails_its_job_on_either_database(world, make_user, tmp_path, monkeypatch):
    """(in the test's transaction: the default connection, as on SQLite)"""
    def broken(self):
        raise RuntimeError("the checks broke")

    monkeypatch.setattr(importers._Checks, "run", broken)
    job = _import(make_user, _vehicle_file(tmp_path))
    assert (job.status, job.message) == (Job.FAILED, "the checks broke")
    assert "RuntimeError" in job.log and job.finished_at is not None
    assert not ExternalDataset.objects.exists()
