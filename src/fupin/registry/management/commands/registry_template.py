from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from fupin.registry import exporters


class TemplateCommand(BaseCommand):
    """An empty exchange template written from the command line (this one, and income_template's)."""

    write = None  # write(target): the subclass's template

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, help="the .xlsx file to write")

    def handle(self, *args, output, **options):
        self.write(output)
        self.stdout.write(_("Template written to %(file)s.") % {"file": output})


class Command(TemplateCommand):
    help = ("Write the empty registry template in the flat national exchange format (one row per member; "
            "a second sheet 填写说明 explains every column and its allowed values).")
    write = staticmethod(exporters.write_template)
