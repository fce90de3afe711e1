from django.core.management.base import BaseCommand, CommandError

from fupin.core.actor import Actor
from fupin.core.errors import ActionError
from fupin.registry import stats


class Command(BaseCommand):
    help = ("Refresh the statistics rollup of an area (every county in it, then its city, province "
            "and the whole country). Without --area: every county with registry data. With --changed: "
            "only the counties written to since their last refresh (cheap; run it from cron, e.g. every "
            "15 minutes, so edits reach the province figures).")

    def add_arguments(self, parser):
        parser.add_argument("--area", default="", help="a 12-digit area code (a county is the unit of work)")
        parser.add_argument("--changed", action="store_true",
                            help="only the counties changed since their rollup was refreshed")

    def handle(self, *args, area, changed=False, **options):
        area = area.strip()
        if area and not (len(area) == 12 and area.isdecimal()):
            raise CommandError("--area: a 12-digit area code")

        def on_county(i, total, county):
            if options["verbosity"] > 1:
                self.stdout.write(f"  {i}/{total} {county}")

        try:
            refresh = stats.refresh_changed if changed else stats.refresh
            result = refresh(Actor.system(), area, on_county=on_county)
        except ActionError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(stats.refreshed_message(result))
