from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DelistingConfig(AppConfig):
    name = "fupin.delisting"
    label = "delisting"
    verbose_name = _("Village and county delisting")

    def ready(self):
        from . import demo  # noqa: F401  (registers the demo county's delisting step)
