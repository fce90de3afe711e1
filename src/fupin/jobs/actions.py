"""Every write to jobs. A job function (a ``django.tasks`` task) receives the job id,
reports progress through ``Progress``, and its outcome is recorded here.

A job runs in the language of the user who started it (``start`` records it, ``run``
switches to it), not in the worker's. On PostgreSQL its progress is written through a
connection of its own (``PROGRESS_DB``), so that the job's page sees it at once even while
the job's body is inside one long transaction; see ``Progress``."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import Case, F, PositiveBigIntegerField, Value, When
from django.db.models.functions import Concat, Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import ActionError

from .models import Job, JobFile, errors_text

log = logging.getLogger(__name__)

# The database alias Progress writes through on PostgreSQL (settings.py defines it there
# only: the same database as "default", a second connection).
PROGRESS_DB = "progress"


def start(actor: Actor, task, *, kind: str, title: str, area_code: str = "", params: dict | None = None) -> Job:
    """Create a job and hand it to the worker. The caller has checked permission. The
    language active now (the user's, from the request) is the job's: ``run`` writes its
    messages, log and reports in it, whatever language the worker runs in. A title longer
    than the list holds (a file's name in it, say) is cut, not refused."""
    title = str(title)[:Job._meta.get_field("title").max_length]
    job = Job.objects.create(kind=kind, title=title, area_code=area_code, params=params or {},
                             created_by=actor.user, language=(translation.get_language() or "")[:15])
    audit.record(actor, "jobs.start", obj=job, area_code=area_code, after={"kind": kind, "params": params or {}})
    result = task.enqueue(str(job.pk))
    Job.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id))
    job.refresh_from_db()
    return job


class NoProgress:
    """Stands in for Progress when a job's body runs outside a job (a command, a test):
    the same methods, reporting nowhere."""

    def set_total(self, total: int) -> None:
        pass

    def update(self, done: int, **kwargs) -> None:
        pass

    def log(self, line: str) -> None:
        pass


def _progress_db() -> str:
    """The alias Progress writes through: ``PROGRESS_DB`` on PostgreSQL, when the job starts
    outside a transaction (so that its row, created by ``start``, is committed and the other
    connection sees it: the worker's case); otherwise the default connection. SQLite has
    no second alias: a second connection writing while the job's own transaction is open
    would wait for the file's one writer, the job itself, and never get in. The test suite
    turns it off (``FUPIN_JOBS_PROGRESS_CONNECTION = False``: Django's test cases refuse any
    alias a test does not declare, the live server's threads too); the tests of the progress
    connection turn it on."""
    if not getattr(settings, "FUPIN_JOBS_PROGRESS_CONNECTION", True):
        return DEFAULT_DB_ALIAS
    if PROGRESS_DB not in settings.DATABASES or connections[PROGRESS_DB].vendor != "postgresql":
        return DEFAULT_DB_ALIAS
    if connection.in_atomic_block:  # (a test's transaction, or a caller's): the job's row is not committed yet
        return DEFAULT_DB_ALIAS
    try:  # (a second connection the server refuses — too many clients, say — must not lose the job)
        connections[PROGRESS_DB].ensure_connection()
    except DatabaseError:
        log.warning("job progress connection unavailable: progress goes through the default connection",
                    exc_info=True)
        return DEFAULT_DB_ALIAS
    return PROGRESS_DB


class Progress:
    """Used inside a job function to report progress, log lines and files.

    Every write of the job's row and files goes through ``self.db``. On PostgreSQL that is
    a connection of its own (``PROGRESS_DB``), in autocommit: a job whose body works inside
    one ``transaction.atomic`` (the comparison and registry imports, matching, the warning
    run) shows its progress while it runs, not at its commit, and a body that fails and
    rolls its transaction back does not take the progress and log it reported with it.
    (The body must therefore never write its own ``Job`` row through the default
    connection inside a transaction: the progress connection would wait for that
    transaction, which waits for it; ``lock_timeout`` on that connection turns such a
    wait into an error, see apps.py.)

    On SQLite the writes go through the default connection: the database has one writer
    at a time, and a second connection would wait for the job's own transaction to end.
    There, progress reported inside a transaction is seen when it commits, and is undone
    with it when it rolls back (the runner's FAILED and its message are written after the
    rollback, so they stay)."""

    def __init__(self, job_id: str):
        self.job = Job.objects.select_related("created_by").get(pk=job_id)
        self.db = _progress_db()
        self._last = None

    def _job(self):
        return Job.objects.using(self.db).filter(pk=self.job.pk)

    @property
    def actor(self) -> Actor:
        return Actor(user=self.job.created_by, channel="job")

    @property
    def params(self) -> dict:
        return self.job.params

    def begin(self, total: int = 0, message: str = "") -> None:
        self._job().update(status=Job.RUNNING, started_at=clock.now(), total=total, message=message[:500])

    def set_total(self, total: int) -> None:
        self._job().update(total=total)

    def update(self, done: int, *, message: str | None = None, errors: int | None = None) -> None:
        """``done`` so far. A known total (an estimate, say) is raised to ``done`` when the
        job did more: the page never says more done than there are."""
        values = {"done": done, "total": _at_least(done)}
        if message is not None:
            values["message"] = message[:500]
        if errors is not None:
            values["error_count"] = errors
        self._job().update(**values)

    def log(self, line: str) -> None:
        stamp = timezone.localtime(clock.now()).strftime("%H:%M:%S")  # the time the page shows
        self._job().update(log=Concat(F("log"), Value(f"[{stamp}] {line}\n")))

    def attach(self, path: str | Path, label: str, *, personal: bool = False) -> JobFile:
        path = Path(path)
        with path.open("rb") as fh:
            jf = JobFile(job_id=self.job.pk, label=label, contains_personal_data=personal)
            jf.file.save(path.name, File(fh), save=False)
            jf.save(using=self.db)
        return jf

    def succeed(self, result: dict | None = None, message: str = "") -> None:
        values = {"status": Job.SUCCEEDED, "finished_at": clock.now(), "result": result}
        if message:
            values["message"] = message[:500]
        self._job().update(**values)

    def fail(self, message: str, result: dict | None = None) -> None:
        self._job().update(status=Job.FAILED, finished_at=clock.now(), message=message[:500], result=result)

    def fail_with_report(self, report, message: str | None = None, *, done: int | None = None,
                         total: int | None = None, personal: bool = False, result: dict | None = None) -> None:
        """An import refused: attach its error report (an ErrorReport) as a spreadsheet,
        count its errors and the rows they are on, fail the job with ``message`` (by default
        ``refusal_message``: “5 errors in 2 rows; nothing was imported …”). ``done`` and
        ``total``, when given, are how far the job got (the rows read of the file's rows;
        the total is raised to ``done`` when smaller); otherwise the progress the job
        reported stays as it was."""
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "errors.xlsx"
            report.write_xlsx(out)
            self.attach(out, _("Error report"), personal=personal)
        errors, rows = len(report), report.rows
        values = {"error_count": errors, "error_rows": rows}
        if total is not None:
            values["total"] = total
        if done is not None:  # the rows read: never more than the file's rows
            values["done"] = done
            values["total"] = Greatest(Value(total) if total is not None else F("total"), Value(done),
                                       output_field=PositiveBigIntegerField())
        self._job().update(**values)
        self.fail(message if message is not None else refusal_message(errors, rows), result=result)


def _at_least(done: int):
    """The job's total, raised to ``done`` when it is known (not 0) and smaller."""
    return Case(When(total__gt=0, total__lt=done, then=Value(done)), default=F("total"),
                output_field=PositiveBigIntegerField())


def refusal_message(errors: int, rows: int) -> str:
    """The message of a refused import: its errors and rows (``models.errors_text``), and
    that nothing was imported."""
    return _("%(errors)s; nothing was imported. See the error report.") % {"errors": errors_text(errors, rows)}


def run(job_id: str, body) -> None:
    """Run ``body(progress)`` as the job: marks it running, then succeeded or failed.
    An exception fails the job with its message; whatever ``body`` wrote in its own
    transaction is rolled back by it (not the progress it reported, on PostgreSQL: see
    ``Progress``). A refusal (ActionError: a file without a required column, say) is the
    user's to read and goes to the job's log as it is; anything else is a fault of the
    system: its traceback goes to the server's log, not to the page officers read, and the
    job's log says where to find it. All of it runs in the language the job was started in
    (``Job.language``; the worker's own when none was recorded)."""
    progress = Progress(job_id)
    language = progress.job.language
    with translation.override(language) if language else contextlib.nullcontext():
        _run(job_id, progress, body)


def _run(job_id: str, progress: Progress, body) -> None:
    try:
        progress.begin()
        body(progress)
    except ActionError as exc:
        progress.log(str(exc.message))
        progress.fail(str(exc.message))
        return
    except Exception as exc:  # a job must end in a state the user can see
        log.exception("job %s failed", job_id)
        try:
            progress.log(_("The job stopped on an unexpected error (%(error)s). The administrator finds the "
                           "details in the server log under job %(job)s.")
                         % {"error": exc.__class__.__name__, "job": job_id})
            progress.fail(str(exc) or exc.__class__.__name__)
        except DatabaseError:  # the progress connection itself broke: the default one says it failed
            log.exception("job %s: its progress connection failed too", job_id)
            connections[progress.db].close()
            progress.db = DEFAULT_DB_ALIAS
            progress.fail(str(exc) or exc.__class__.__name__)
        return
    job = Job.objects.using(progress.db).get(pk=job_id)
    if job.status == Job.RUNNING:
        progress.succeed(job.result, message=job.message or _("Done"))


@transaction.atomic
def delete_files(actor: Actor, job: Job) -> None:
    for jf in job.files.all():
        jf.file.delete(save=False)
        jf.delete()
    audit.record(actor, "jobs.delete_files", obj=job)
