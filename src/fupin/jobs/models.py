import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


def errors_text(errors: int, rows: int) -> str:
    """A refused import's errors counted as errors and its rows as rows: “1 error in 1 row”,
    “5 errors in 2 rows”, “1 error in the file” (an error of the file as a whole, on no row)."""
    if not rows:
        return ngettext("%(n)s error in the file", "%(n)s errors in the file", errors) % {"n": errors}
    if rows == 1:
        return ngettext("%(errors)s error in %(rows)s row", "%(errors)s errors in %(rows)s row",
                        errors) % {"errors": errors, "rows": rows}
    # more rows than one: as many errors at least, so the errors are plural too
    return ngettext("%(errors)s errors in %(rows)s row", "%(errors)s errors in %(rows)s rows",
                    rows) % {"errors": errors, "rows": rows}


class Job(models.Model):
    """A long piece of work run by the job worker, with its progress, log and result files."""

    QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
    STATUS_CHOICES = [
        (QUEUED, _("Queued")),
        (RUNNING, _("Running")),
        (SUCCEEDED, _("Succeeded")),
        (FAILED, _("Failed")),
    ]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=STATUS_CHOICES, default=QUEUED, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="jobs", verbose_name=_("started by"))
    area_code = models.CharField(_("area code"), max_length=15, blank=True, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    total = models.PositiveBigIntegerField(_("total"), default=0)
    done = models.PositiveBigIntegerField(_("done"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    error_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    log = models.TextField(_("log"), blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    # The language active when the job was started (its user's): the runner writes the job's
    # messages, log and reports in it (actions.run). Blank: the server's default.
    language = models.CharField(max_length=15, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    @property
    def percent(self) -> int:
        """How far the job got: 100 when it succeeded; otherwise ``done`` of ``total`` (a
        failed job keeps the progress it reached: its bar is drawn in red, see
        templates/jobs/_bar.html); 0 while nothing is counted."""
        if self.status == self.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def errors_text(self) -> str:
        return errors_text(self.error_count, self.error_rows)

    @property
    def is_active(self) -> bool:
        return self.status in (self.QUEUED, self.RUNNING)


def job_file_path(instance, filename):
    return f"jobs/{instance.job_id}/{filename}"


class JobFile(models.Model):
    """A file a job produced: an export, an error report, a generated document."""

    job = models.ForeignKey(Job, models.CASCADE, related_name="files")
    label = models.CharField(_("label"), max_length=200)
    file = models.FileField(upload_to=job_file_path, max_length=300)
    contains_personal_data = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.label
