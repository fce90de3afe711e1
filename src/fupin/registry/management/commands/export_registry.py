from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from fupin.core.actor import Actor
from fupin.core.errors import ActionError
from fupin.registry.exporters import export_registry


class Command(BaseCommand):
    help = ("Export an area's registry in the flat national exchange format: .xlsx or .csv by the suffix of "
            "the output file. One row per active member, ordered by household.")

    def add_arguments(self, parser):
        parser.add_argument("--area", required=True, help="area code (province, city, county, township or village)")
        parser.add_argument("-o", "--output", required=True, help="the .xlsx or .csv file to write")

    def handle(self, *args, area, output, **options):
        try:
            count = export_registry(Actor.system(), area, output)
        except ActionError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(ngettext("%(n)s row written to %(file)s.", "%(n)s rows written to %(file)s.", count)
                          % {"n": count, "file": output})
