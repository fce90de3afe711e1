from django.conf import settings
from django.core.management.base import BaseCommand

from fupin.accounts import rules
from fupin.core import demo


class Command(BaseCommand):
    help = "Build the demo county (全南县) with users for every role. Deterministic with --seed."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2017)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the database has users")

    def handle(self, *args, seed, if_empty, **options):
        if if_empty and not demo.is_empty():
            self.stdout.write("The database already has data; demo not loaded.")
            return
        context = demo.build(seed)
        self.stdout.write(f"Demo county built (seed {seed}): {len(context['villages'])} villages.")
        for line in context.get("summary", []):
            self.stdout.write(line)
        self.stdout.write(f"Demo accounts (password for all: {demo.DEMO_PASSWORD}):")
        for username, role, code in context["users"]:
            self.stdout.write(f"  {username:<16} {rules.ROLES[role]!s:<24} {code}")
        self.stdout.write(f"Data directory: {settings.DATA_DIR}")
