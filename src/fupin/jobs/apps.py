import os
import sys

from django.apps import AppConfig
from django.conf import settings
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


def runs_jobs(argv: list[str], environ) -> bool:
    """Whether this process is the job worker that runs the jobs: ``fupin db_worker``
    (Django's command line names the command right after the program), and with
    ``--reload`` (the default under DEBUG) the reloader's child, not its watching parent.
    A test, a migration or any other command is not."""
    if argv[1:2] != ["db_worker"]:
        return False
    options = argv[2:]
    reload = "--batch" not in options and (
        "--reload" in options or (settings.DEBUG and "--no-reload" not in options))
    from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

    return not reload or environ.get(DJANGO_AUTORELOAD_ENV) == "true"


class JobsConfig(AppConfig):
    name = "fupin.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self):
        connection_created.connect(_progress_connection, dispatch_uid="fupin.jobs.progress_connection")
        if runs_jobs(sys.argv, os.environ):
            # WeasyPrint's imports and fonts, loaded while the worker starts rather than by
            # the first job that renders a PDF (the procedures' documents)
            from fupin.core import pdf

            pdf.warm_up_in_background()
