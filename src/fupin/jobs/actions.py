"""Every write to jobs. A job function (a ``django.tasks`` task) receives the job id,
reports progress through ``Progress``, and its outcome is recorded here."""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.db.models import Case, F, PositiveBigIntegerField, Value, When
from django.db.models.functions import Concat, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import ActionError

from .models import Job, JobFile, errors_text

log = logging.getLogger(__name__)


def start(actor: Actor, task, *, kind: str, title: str, area_code: str = "", params: dict | None = None) -> Job:
    """Create a job and hand it to the worker. The caller has checked permission."""
    job = Job.objects.create(kind=kind, title=title, area_code=area_code, params=params or {},
                             created_by=actor.user)
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


class Progress:
    """Used inside a job function to report progress, log lines and files."""

    def __init__(self, job_id: str):
        self.job = Job.objects.select_related("created_by").get(pk=job_id)
        self._last = None

    @property
    def actor(self) -> Actor:
        return Actor(user=self.job.created_by, channel="job")

    @property
    def params(self) -> dict:
        return self.job.params

    def begin(self, total: int = 0, message: str = "") -> None:
        Job.objects.filter(pk=self.job.pk).update(status=Job.RUNNING, started_at=clock.now(), total=total,
                                                  message=message[:500])

    def set_total(self, total: int) -> None:
        Job.objects.filter(pk=self.job.pk).update(total=total)

    def update(self, done: int, *, message: str | None = None, errors: int | None = None) -> None:
        """``done`` so far. A known total (an estimate, say) is raised to ``done`` when the
        job did more: the page never says more done than there are."""
        values = {"done": done, "total": _at_least(done)}
        if message is not None:
            values["message"] = message[:500]
        if errors is not None:
            values["error_count"] = errors
        Job.objects.filter(pk=self.job.pk).update(**values)

    def log(self, line: str) -> None:
        stamp = timezone.localtime(clock.now()).strftime("%H:%M:%S")  # the time the page shows
        Job.objects.filter(pk=self.job.pk).update(log=Concat(F("log"), Value(f"[{stamp}] {line}\n")))

    def attach(self, path: str | Path, label: str, *, personal: bool = False) -> JobFile:
        path = Path(path)
        with path.open("rb") as fh:
            jf = JobFile(job=self.job, label=label, contains_personal_data=personal)
            jf.file.save(path.name, File(fh), save=True)
        return jf

    def succeed(self, result: dict | None = None, message: str = "") -> None:
        values = {"status": Job.SUCCEEDED, "finished_at": clock.now(), "result": result}
        if message:
            values["message"] = message[:500]
        Job.objects.filter(pk=self.job.pk).update(**values)

    def fail(self, message: str, result: dict | None = None) -> None:
        Job.objects.filter(pk=self.job.pk).update(status=Job.FAILED, finished_at=clock.now(), message=message[:500],
                                                  result=result)

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
        Job.objects.filter(pk=self.job.pk).update(**values)
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
    transaction is rolled back by it. A refusal (ActionError: a file without a required
    column, say) is the user's to read and goes to the job's log as it is; anything else
    is a fault of the system: its traceback goes to the server's log, not to the page
    officers read, and the job's log says where to find it."""
    progress = Progress(job_id)
    progress.begin()
    try:
        body(progress)
    except ActionError as exc:
        progress.log(str(exc.message))
        progress.fail(str(exc.message))
        return
    except Exception as exc:  # a job must end in a state the user can see
        log.exception("job %s failed", job_id)
        progress.log(_("The job stopped on an unexpected error (%(error)s). The administrator finds the details "
                       "in the server log under job %(job)s.") % {"error": exc.__class__.__name__, "job": job_id})
        progress.fail(str(exc) or exc.__class__.__name__)
        return
    job = Job.objects.get(pk=job_id)
    if job.status == Job.RUNNING:
        progress.succeed(job.result, message=job.message or _("Done"))


@transaction.atomic
def delete_files(actor: Actor, job: Job) -> None:
    for jf in job.files.all():
        jf.file.delete(save=False)
        jf.delete()
    audit.record(actor, "jobs.delete_files", obj=job)
