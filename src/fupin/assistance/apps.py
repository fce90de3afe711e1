from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "fupin.assistance"
    label = "assistance"
    verbose_name = _("Assistance")

    def ready(self):
        from fupin.core import pii

        from . import (
            demo,  # noqa: F401  (registers the demo county's assistance step, after the registry's)
            holds,  # the registry's hold (a poor household keeps its helper), and the monitoring one below
            home,  # noqa: F401  (registers the helper's home-page panel)
        )

        pii.register("assistance.helper", {"phone": "phone"})
        holds.register_monitoring()  # a household being monitored keeps its helper too
