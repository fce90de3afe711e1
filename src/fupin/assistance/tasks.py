"""Background jobs of assistance: importing a file (all or nothing, with its report; rows
skipped on purpose are named in the job's log)."""

from django.tasks import task
from django.utils.translation import gettext as _

from fupin.jobs.actions import run

from .importers import import_file


@task()
def import_task(job_id: str) -> None:
    def body(progress):
        notes: list[str] = []
        counts, report = import_file(progress.actor, progress.params["kind"], progress.params["path"], notes)
        if report:
            progress.fail_with_report(
                report, _("%(n)s rows are wrong; nothing was imported. See the error report.") % {"n": len(report)})
            return
        if notes:  # rows skipped on purpose (a withdrawn record is not restored), each named; one write
            progress.log("\n".join(notes))
        total = sum(counts.values())
        progress.set_total(total)
        message = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or _("Nothing new.")
        if notes:
            message = _("%(counts)s. %(n)s rows match withdrawn records and were skipped: a withdrawn record is not "
                        "restored (see the log).") % {"counts": message, "n": len(notes)}
        progress.update(total, message=message)
        progress.succeed(counts)

    run(job_id, body)
