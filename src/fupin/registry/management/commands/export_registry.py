from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from fupin.core.actor import Actor
from fupin.core.errors import ActionError
from fupin.registry.exporters import export_registry


class ExportCommand(BaseCommand):
    """An area's export to a file from the command line (this one, and export_income's): --area,
    the export's own options, -o; a refusal fails the command; the rows written."""

    def add_arguments(self, parser):
        parser.add_argument("--area", required=True, help="area code (province, city, county, township or village)")
        self.add_options(parser)
        parser.add_argument("-o", "--output", required=True, help="the .xlsx or .csv file to write")

    def add_options(self, parser) -> None:
        """The export's own options (between --area and -o)."""

    def export(self, area: str, output: str, options: dict) -> int:
        """Write the file as the system; return the rows written."""
        raise NotImplementedError

    def handle(self, *args, area, output, **options):
        try:
            count = self.export(area, output, options)
        except ActionError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(ngettext("%(n)s row written to %(file)s.", "%(n)s rows written to %(file)s.", count)
                          % {"n": count, "file": output})


class Command(ExportCommand):
    help = ("Export an area's registry in the flat national exchange format: .xlsx or .csv by the suffix of "
            "the output file. One row per active member, ordered by household.")

    def export(self, area, output, options):
        return export_registry(Actor.system(), area, output)
