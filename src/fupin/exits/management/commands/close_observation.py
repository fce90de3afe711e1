"""fupin close_observation [--area PREFIX] [--on YYYY-MM-DD]: households whose policy
period after exit has ended move from exited_policy to exited (set-based, audited)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from fupin.core.actor import Actor
from fupin.core.errors import ActionError


class Command(BaseCommand):
    help = "Close the observation / policy periods after exit that have ended (exited_policy → exited)."

    def add_arguments(self, parser):
        parser.add_argument("--area", default="", help="area code prefix (default: everywhere)")
        parser.add_argument("--on", default="", help="the day to judge (YYYY-MM-DD, default today)")

    def handle(self, *args, **options):
        from fupin.exits import actions

        on = None
        if options["on"]:
            try:
                on = dt.date.fromisoformat(options["on"])
            except ValueError:
                raise CommandError("--on is a date YYYY-MM-DD") from None
        try:
            n = actions.close_observation(Actor.system("cli"), options["area"], on)
        except ActionError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"{n} households moved from exited_policy to exited.")
