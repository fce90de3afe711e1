from django.core.management.base import BaseCommand

from fupin.registry.exporters import write_template


class Command(BaseCommand):
    help = ("Write the empty registry template in the flat national exchange format (one row per member; "
            "a second sheet 填写说明 explains every column and its allowed values).")

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, help="the .xlsx file to write")

    def handle(self, *args, output, **options):
        write_template(output)
        self.stdout.write(f"Template written to {output}.")
