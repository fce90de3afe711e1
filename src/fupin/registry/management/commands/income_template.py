from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from fupin.registry.income_exchange import write_template


class Command(BaseCommand):
    help = ("Write the empty income ledger template (经济收入一本账: one row per household and year, one column per "
            "income item; a second sheet 填写说明 explains every column).")

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, help="the .xlsx file to write")

    def handle(self, *args, output, **options):
        write_template(output)
        self.stdout.write(_("Template written to %(file)s.") % {"file": output})
