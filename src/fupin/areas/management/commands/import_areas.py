from django.core.management.base import BaseCommand, CommandError

from fupin.areas import actions
from fupin.core.actor import Actor
from fupin.core.errors import ActionError


class Command(BaseCommand):
    help = ("Import villages (and village groups) from the official village-level code file (CSV or XLSX with "
            "columns 统计用区划代码 or 代码, 名称, optional 城乡分类代码). All or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
        parser.add_argument("--errors", help="write the error report to this .xlsx file")

    def handle(self, *args, file, dry_run, errors, **options):
        try:
            created, renamed, report = actions.import_areas(Actor.system(), file, dry_run=dry_run)
        except ActionError as exc:
            raise CommandError(str(exc.message)) from None
        if report:
            if errors:
                report.write_xlsx(errors)
            raise CommandError(f"{len(report)} bad rows; nothing was imported.\n{report.summary(20)}")
        if dry_run:
            self.stdout.write("The file is valid (dry run: nothing written).")
        else:
            self.stdout.write(f"{created} areas added, {renamed} renamed.")
