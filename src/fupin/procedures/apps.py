from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "fupin.procedures"
    label = "procedures"
    verbose_name = _("Procedures")

    def ready(self):
        from fupin.core.pii import register

        from . import hooks  # noqa: F401  (the completion hooks register themselves)

        # An objector's contact is personal data: masked, revealed only through the logged reveal.
        register("procedures.objection", {"objector_contact": "phone"})
