from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComparisonConfig(AppConfig):
    name = "fupin.comparison"
    label = "comparison"
    verbose_name = _("Cross-department data check")

    def ready(self):
        from fupin.core import pii

        # A record's ID number is revealed (logged) like a member's, in the record's area.
        pii.register("comparison.externalrecord", {"id_number": "id_number"})
