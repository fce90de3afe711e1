import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from fupin.comparison import importers, matching, rules, tasks
from fupin.core.actor import Actor
from fupin.core.errors import ActionError


class Command(BaseCommand):
    help = ("Import another department's data set (vehicles, real estate, 民政 低保 list …) from an .xlsx or .csv "
            "file, then match it with the registry. All or nothing: if any row is wrong nothing is written and "
            "every bad row is reported. Kinds: " + ", ".join(rules.kinds()))

    def add_arguments(self, parser):
        parser.add_argument("kind", help="the kind of data set: " + ", ".join(rules.kinds()))
        parser.add_argument("file")
        parser.add_argument("--source", required=True, help="the department and document the data comes from")
        parser.add_argument("--as-of", required=True, help="the day the data describes, YYYY-MM-DD")
        parser.add_argument("--area", default="", help="the area covered (a current area code); default: "
                                                       "the whole country")
        parser.add_argument("--name", default="", help="a name for the data set")
        parser.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
        parser.add_argument("--no-match", action="store_true", help="do not match with the registry now")
        parser.add_argument("--errors", help="write the error report to this .xlsx file")
        parser.add_argument("--quiet-progress", action="store_true", help="do not show progress on stderr")

    def handle(self, *args, kind, file, source, as_of, area, name, dry_run, no_match, errors, quiet_progress,
               **options):
        started = time.monotonic()
        last = [0.0]

        def progress(done, total, message):
            if quiet_progress or time.monotonic() - last[0] < 2:
                return
            last[0] = time.monotonic()
            sys.stderr.write(f"\r{message}: {done}/{total} rows")
            sys.stderr.flush()

        actor = Actor.system()
        try:
            result = importers.import_dataset(actor, file, kind=kind, source=source, as_of=as_of, area_code=area,
                                              name=name, dry_run=dry_run, progress=progress)
        except ActionError as exc:
            raise CommandError(str(exc.message)) from None
        if not quiet_progress and last[0]:
            sys.stderr.write("\n")
        if result.report:
            if errors:
                result.report.write_xlsx(errors)
            raise CommandError(f"{len(result.report)} errors; nothing was imported.\n{result.report.summary(20)}"
                               + (f"\nThe full report is in {errors}." if errors else ""))
        seconds = time.monotonic() - started
        self.stdout.write(f"{result.summary()} ({seconds:.1f} s; phases: "
                          + ", ".join(f"{k} {v}" for k, v in result.timings.items()) + ")")
        if result.dataset is None or no_match:
            if result.dataset is not None:
                self.stdout.write(f"Data set {result.dataset.pk}.")
            return
        counts = matching.match_dataset(result.dataset, actor)
        # the job's sentence (tasks.import_dataset_task): no cut-off date set apart from date unknown
        self.stdout.write(_("Data set %(pk)s matched in %(seconds)s s. %(counts)s") % {
            "pk": result.dataset.pk, "seconds": counts["seconds"], "counts": tasks._match_message(counts)})
