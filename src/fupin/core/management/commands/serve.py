import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from fupin.core import pdf


class Command(BaseCommand):
    help = "Start the web server and the background job worker together."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        db = settings.DATABASES["default"]
        where = db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"{db['ENGINE']} {db.get('HOST')}/{db['NAME']}"
        self.stdout.write(f"fupin on http://{addrport}/  (database: {where}; data: {settings.DATA_DIR})")
        worker = subprocess.Popen([sys.executable, "-m", "fupin.cli", "db_worker"], env=os.environ.copy())
        self.stdout.write(f"job worker started (pid {worker.pid})")
        if sys.argv[1:2] == ["serve"]:
            # WeasyPrint's imports and fonts, loaded while the server starts rather than by the
            # first PDF a user asks for; not when a test or another command calls this one.
            pdf.warm_up_in_background()

        def stop(signum, frame):  # SIGTERM (a service manager, kill) stops the server as Ctrl-C does
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            call_command("runserver", addrport, use_reloader=False, skip_checks=False)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
