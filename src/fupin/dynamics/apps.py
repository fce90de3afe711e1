from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DynamicsConfig(AppConfig):
    name = "fupin.dynamics"
    label = "dynamics"
    verbose_name = _("Dynamic management")
