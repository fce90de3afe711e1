from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "fupin.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring against a return to poverty")

    def ready(self):
        from . import demo, hooks  # noqa: F401  (the procedure hooks and the demo step register themselves)
