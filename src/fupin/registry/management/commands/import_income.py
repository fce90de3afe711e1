import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from fupin.core.actor import Actor
from fupin.core.errors import ActionError
from fupin.registry.importers import errors_message
from fupin.registry.income_exchange import import_income


class Command(BaseCommand):
    help = ("Import income ledgers (经济收入一本账) from a file with one row per household and year (.xlsx or .csv, "
            "UTF-8 or GB18030; `fupin income_template` writes the empty one). All or nothing: if any row is wrong "
            "nothing is written and every bad row is reported. A household's year already recorded is updated "
            "(per-capita net income computed again); a row that changes nothing is left as it is.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
        parser.add_argument("--errors", help="write the error report to this .xlsx file")
        parser.add_argument("--quiet-progress", action="store_true", help="do not show progress on stderr")

    def handle(self, *args, file, dry_run, errors, quiet_progress, **options):
        if not Path(file).is_file():
            raise CommandError(_("No such file: %(file)s") % {"file": file})
        started = time.monotonic()
        last = [0.0]

        def progress(done, total, message):
            if quiet_progress or time.monotonic() - last[0] < 2:
                return
            last[0] = time.monotonic()
            sys.stderr.write(f"\r{message}: {done}/{total}")
            sys.stderr.flush()

        try:
            result = import_income(Actor.system(), file, dry_run=dry_run, progress=progress)
        except ActionError as exc:
            raise CommandError(str(exc.message)) from None
        if not quiet_progress and last[0]:
            sys.stderr.write("\n")
        timings = ", ".join(f"{k} {v}" for k, v in (result.timings or {}).items())
        if result.report:
            if errors:
                result.report.write_xlsx(errors)
            message = f"{errors_message(len(result.report))}\n{result.report.summary(20)}"
            if errors:
                message += "\n" + _("The full report is in %(file)s.") % {"file": errors}
            raise CommandError(message)
        self.stdout.write(_("%(summary)s (%(seconds)s s)") % {"summary": result.summary(),
                                                              "seconds": f"{time.monotonic() - started:.1f}"})
        if options["verbosity"] >= 2:
            self.stdout.write(_("Seconds by phase: %(timings)s") % {"timings": timings})
