from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentificationConfig(AppConfig):
    name = "fupin.identification"
    label = "identification"
    verbose_name = _("Standards and identification")

    def ready(self):
        from . import demo  # noqa: F401  (registers the demo step: example lines, rules, a run)
