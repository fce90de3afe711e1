from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComparisonConfig(AppConfig):
    name = "fupin.comparison"
    label = "comparison"
    verbose_name = _("Cross-department data check")
