"""fupin close_observation [--area PREFIX] [--on DATE]: households whose policy
period after exit has ended move from exited_policy to exited (set-based, audited)."""

from django.core.management.base import BaseCommand, CommandError

from fupin.core import dates
from fupin.core.actor import Actor
from fupin.core.errors import ActionError


class Command(BaseCommand):
    help = "Close the observation / policy periods after exit that have ended (exited_policy → exited)."

    def add_arguments(self, parser):
        parser.add_argument("--area", default="", help="area code prefix (default: everywhere)")
        parser.add_argument("--on", default="", help="the day to judge (e.g. 2017-12-31 or 2017年12月31日; default today)")

    def handle(self, *args, **options):
        from fupin.exits import actions

        try:
            on = dates.typed_date(options["on"])
        except ValueError as exc:
            raise CommandError(f"--on: {exc}") from None
        try:
            n = actions.close_observation(Actor.system("cli"), options["area"], on)
        except ActionError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"{n} households moved from exited_policy to exited.")
