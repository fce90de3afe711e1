from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _

# How long a progress write waits for a lock on the job's row before it fails (instead of
# waiting for ever: see actions.Progress).
PROGRESS_LOCK_TIMEOUT = "10s"


def _progress_connection(sender, connection, **kwargs):
    from .actions import PROGRESS_DB

    if connection.alias == PROGRESS_DB and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, false)", [PROGRESS_LOCK_TIMEOUT])


class JobsConfig(AppConfig):
    name = "fupin.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self):
        connection_created.connect(_progress_connection, dispatch_uid="fupin.jobs.progress_connection")
