from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExitsConfig(AppConfig):
    name = "fupin.exits"
    label = "exits"
    verbose_name = _("Exit and return")

    def ready(self):
        from . import (
            demo,  # noqa: F401  (registers the demo county's exits step, after the registry's and assistance's)
            holds,
            hooks,  # noqa: F401  (the start check exits.criteria and the completion hook exits.return)
        )

        holds.register()  # 四个不摘: a household in its policy period after exit keeps its helper
