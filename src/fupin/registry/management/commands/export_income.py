from fupin.core.actor import Actor
from fupin.registry.income_exchange import export_income
from fupin.registry.management.commands.export_registry import ExportCommand


class Command(ExportCommand):
    help = ("Export an area's income ledgers (经济收入一本账) in the income exchange format: .xlsx or .csv by the "
            "suffix of the output file. One row per household and year, ordered by household; the file imports "
            "back with `fupin import_income` without changing anything.")

    def add_options(self, parser):
        parser.add_argument("--year", type=int, help="only this year (default: every year)")

    def export(self, area, output, options):
        return export_income(Actor.system(), area, output, year=options["year"])
