from django.core.management.base import BaseCommand

from fupin.areas import actions
from fupin.core.actor import Actor


class Command(BaseCommand):
    help = "Load the shipped province/city/county/township codes (民政部 2025-12-31), or the part under --prefix."

    def add_arguments(self, parser):
        parser.add_argument("--prefix", default="", help="only this area and what is under it, e.g. 360729")

    def handle(self, *args, prefix, **options):
        created, renamed = actions.load_divisions(Actor.system(), prefix=prefix)
        self.stdout.write(f"{created} areas added, {renamed} renamed.")
