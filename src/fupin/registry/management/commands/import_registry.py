import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fupin.core.actor import Actor
from fupin.core.errors import ActionError
from fupin.registry.importers import errors_message, import_registry


class ImportCommand(BaseCommand):
    """An all-or-nothing import of a file from the command line (this one, and import_income's):
    a missing file refused, --dry-run, progress on stderr, every bad row reported (the full report
    written with --errors) and the command failed, the summary and (-v 2) the seconds by phase."""

    # import_file(actor, path, dry_run=, progress=) -> a result (importers._Result): the subclass's
    import_file = None

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
            sys.stderr.write("\r" + ngettext("%(step)s: %(done)s/%(total)s row", "%(step)s: %(done)s/%(total)s rows",
                                             total) % {"step": message, "done": done, "total": total})
            sys.stderr.flush()

        try:
            result = self.import_file(Actor.system(), file, dry_run=dry_run, progress=progress)
        except ActionError as exc:
            raise CommandError(str(exc.message)) from None
        if not quiet_progress and last[0]:
            sys.stderr.write("\n")
        if result.report:
            if errors:
                result.report.write_xlsx(errors)
            if options["verbosity"] >= 2:
                self.stderr.write(self._timings(result))
            raise CommandError(f"{errors_message(len(result.report))}\n{result.report.summary(20)}"
                               + ("\n" + _("The full report is in %(file)s.") % {"file": errors} if errors else ""))
        self.stdout.write(_("%(summary)s (%(seconds)s s)") % {"summary": result.summary(),
                                                              "seconds": f"{time.monotonic() - started:.1f}"})
        if options["verbosity"] >= 2:
            self.stdout.write(self._timings(result))

    @staticmethod
    def _timings(result) -> str:
        return _("Seconds by phase: %(phases)s") % {
            "phases": ", ".join(f"{k} {v}" for k, v in (result.timings or {}).items())}


class Command(ImportCommand):
    help = ("Import households and members from a file in the flat national exchange format (.xlsx or .csv, "
            "UTF-8 or GB18030). All or nothing: if any row is wrong nothing is written and every bad row is "
            "reported. Households that exist (same 户编号) are updated; members of theirs that are not in the "
            "file are left as they are.")
    import_file = staticmethod(import_registry)
