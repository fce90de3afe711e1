"""Background jobs of assistance: importing a file (all or nothing, with its report)."""

from django.tasks import task
from django.utils.translation import gettext as _

from fupin.jobs.actions import run

from .importers import import_file


@task()
def import_task(job_id: str) -> None:
    def body(progress):
        counts, report = import_file(progress.actor, progress.params["kind"], progress.params["path"])
        if report:
            progress.fail_with_report(
                report, _("%(n)s rows are wrong; nothing was imported. See the error report.") % {"n": len(report)})
            return
        total = sum(counts.values())
        progress.set_total(total)
        progress.update(total, message=", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or _("Nothing new."))
        progress.succeed(counts)

    run(job_id, body)
