"""Background jobs of assistance: importing a file (all or nothing, with its report; rows
skipped on purpose — of records withdrawn or corrected since the export — are named in the
job's log)."""

from django.tasks import task
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from fupin.jobs.actions import run

from .importers import import_file

# The job's message names the counts in words (the keys stay the job's result and the audit event's).
COUNT_LABELS = {
    "helpers_created": gettext_lazy("new helpers"),
    "pairings_created": gettext_lazy("new pairings"),
    "pairings_ended": gettext_lazy("pairings ended"),
    "pairings_unchanged": gettext_lazy("pairings already recorded"),
    "teams_created": gettext_lazy("new work teams"),
    "members_created": gettext_lazy("new team members"),
    "members_unchanged": gettext_lazy("team members already recorded"),
    "measures_created": gettext_lazy("new measures"),
    "measures_unchanged": gettext_lazy("measures already recorded"),
    "measures_withdrawn_skipped": gettext_lazy("withdrawn measures skipped"),
    "measures_changed_skipped": gettext_lazy("measures changed since the export (rows skipped)"),
    "visits_created": gettext_lazy("new visits"),
    "visits_unchanged": gettext_lazy("visits already recorded"),
    "visits_withdrawn_skipped": gettext_lazy("withdrawn visits skipped"),
    "visits_changed_skipped": gettext_lazy("visits changed since the export (rows skipped)"),
}


@task()
def import_task(job_id: str) -> None:
    def body(progress):
        notes: list[str] = []
        counts, report = import_file(progress.actor, progress.params["kind"], progress.params["path"], notes)
        if report:
            progress.fail_with_report(report)
            return
        if notes:  # rows skipped on purpose (withdrawn or corrected records are kept as they are), each named
            progress.log("\n".join(notes))
        total = sum(counts.values())
        progress.set_total(total)
        message = ", ".join(f"{COUNT_LABELS.get(k, k)}: {v}" for k, v in sorted(counts.items())) or _("Nothing new.")
        if notes:
            message = ngettext("%(counts)s. %(n)s row was skipped: an import neither restores a withdrawn record nor "
                               "changes a recorded one (see the log).",
                               "%(counts)s. %(n)s rows were skipped: an import neither restores a withdrawn record "
                               "nor changes a recorded one (see the log).", len(notes)) % {
                "counts": message, "n": len(notes)}
        progress.update(total, message=message)
        progress.succeed(counts)

    run(job_id, body)
