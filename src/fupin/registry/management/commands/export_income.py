from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from fupin.core.actor import Actor
from fupin.core.errors import ActionError
from fupin.registry.income_exchange import export_income


class Command(BaseCommand):
    help = ("Export an area's income ledgers (经济收入一本账) in the income exchange format: .xlsx or .csv by the "
            "suffix of the output file. One row per household and year, ordered by household; the file imports "
            "back with `fupin import_income` without changing anything.")

    def add_arguments(self, parser):
        parser.add_argument("--area", required=True, help="area code (province, city, county, township or village)")
        parser.add_argument("--year", type=int, help="only this year (default: every year)")
        parser.add_argument("-o", "--output", required=True, help="the .xlsx or .csv file to write")

    def handle(self, *args, area, year, output, **options):
        try:
            count = export_income(Actor.system(), area, output, year=year)
        except ActionError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(ngettext("%(n)s row written to %(file)s.", "%(n)s rows written to %(file)s.", count)
                          % {"n": count, "file": output})
