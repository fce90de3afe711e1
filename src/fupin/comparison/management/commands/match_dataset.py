from django.core.management.base import BaseCommand, CommandError

from fupin.comparison import matching
from fupin.comparison.models import ExternalDataset
from fupin.core.actor import Actor


class Command(BaseCommand):
    help = ("Match data sets with the registry again (new hits for members registered since, and the hits "
            "nobody has decided re-classified against the current cut-off dates).")

    def add_arguments(self, parser):
        parser.add_argument("dataset", nargs="+", type=int, help="data set ids")

    def handle(self, *args, dataset, **options):
        for pk in dataset:
            try:
                ds = ExternalDataset.objects.get(pk=pk)
            except ExternalDataset.DoesNotExist:
                raise CommandError(f"No data set {pk}.") from None
            counts = matching.match_dataset(ds, Actor.system())
            self.stdout.write(f"Data set {pk}: {counts['hits']} hits ({counts['created']} new) in "
                              f"{counts['seconds']} s.")
