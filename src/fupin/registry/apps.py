from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "fupin.registry"
    label = "registry"
    verbose_name = _("Registry (建档立卡)")

    def ready(self):
        from fupin.core import pii

        from . import (
            demo,  # noqa: F401  (registers the demo county's registry step)
            home,  # noqa: F401  (registers the home-page panel)
        )

        pii.register("registry.household", {"phone": "phone", "bank_account": "bank_account"})
        pii.register("registry.member", {"id_number": "id_number", "phone": "phone"})
