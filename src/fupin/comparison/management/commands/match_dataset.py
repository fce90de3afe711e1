from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from fupin.comparison import matching, tasks
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
            # the job's sentence (tasks.match_dataset_task): no cut-off date set apart from date unknown
            self.stdout.write(_("Data set %(pk)s matched in %(seconds)s s. %(counts)s") % {
                "pk": pk, "seconds": counts["seconds"], "counts": tasks._match_message(counts)})
