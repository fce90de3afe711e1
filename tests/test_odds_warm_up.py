"""WeasyPrint's imports and fonts are loaded in the background when a long-lived process
starts (``fupin serve``, the job worker ``fupin db_worker``), so that the first PDF a user
asks for does not pay them; not in tests, migrations or any other command."""

from __future__ import annotations

import os
import signal
import sys

import pytest
from django.apps import apps
from django.core.management import call_command

from fupin.core import pdf
from fupin.jobs.apps import runs_jobs


@pytest.fixture
def warm_ups(monkeypatch):
    started = []
    monkeypatch.setattr(pdf, "warm_up_in_background", lambda: started.append(True))
    return started


class FakeWorker:
    pid = 4242

    def __init__(self, *args, **kwargs):
        pass

    def send_signal(self, signum):
        pass

    def wait(self, timeout=None):
        return 0


def _serve(monkeypatch, argv):
    from fupin.core.management.commands import serve

    monkeypatch.setattr(sys, "argv", argv)
    monkeypatch.setattr(serve.subprocess, "Popen", FakeWorker)

    def runserver(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(serve, "call_command", runserver)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(KeyboardInterrupt):
            call_command("serve", "127.0.0.1:0")
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_serve_warms_up_the_pdf_renderer(monkeypatch, warm_ups):
    _serve(monkeypatch, ["fupin", "serve", "127.0.0.1:0"])
    assert warm_ups == [True]


def test_serve_called_by_a_test_or_another_command_does_not(monkeypatch, warm_ups):
    _serve(monkeypatch, ["pytest", "tests/test_odds_warm_up.py"])
    assert warm_ups == []


def test_the_job_worker_warms_up_when_its_app_is_ready(monkeypatch, warm_ups):
    monkeypatch.setattr(sys, "argv", ["/srv/fupin/cli.py", "db_worker"])  # how serve starts it
    apps.get_app_config("jobs").ready()
    assert warm_ups == [True]


@pytest.mark.parametrize("argv", [
    ["fupin", "migrate"], ["fupin", "serve"], ["fupin", "import_registry", "x.xlsx"], ["fupin", "demo"],
    ["pytest", "-q", "db_worker"], ["fupin"], ["manage.py", "test"],
])
def test_other_commands_and_tests_do_not(monkeypatch, warm_ups, argv):
    monkeypatch.setattr(sys, "argv", argv)
    apps.get_app_config("jobs").ready()
    assert warm_ups == []
    assert not runs_jobs(argv, {})


def test_this_test_run_is_no_worker():
    assert not runs_jobs(sys.argv, os.environ)


@pytest.mark.parametrize(("argv", "debug", "environ", "worker"), [
    (["fupin", "db_worker"], False, {}, True),
    (["fupin", "db_worker", "--queue-name", "*"], False, {}, True),
    # with the reloader (asked for, or by default under DEBUG) its child runs the jobs, not the parent
    (["fupin", "db_worker", "--reload"], False, {}, False),
    (["fupin", "db_worker", "--reload"], False, {"RUN_MAIN": "true"}, True),
    (["fupin", "db_worker"], True, {}, False),
    (["fupin", "db_worker"], True, {"RUN_MAIN": "true"}, True),
    (["fupin", "db_worker", "--no-reload"], True, {}, True),
    (["fupin", "db_worker", "--batch"], True, {}, True),  # --batch turns the reloader off
])
def test_which_process_runs_the_jobs(settings, argv, debug, environ, worker):
    settings.DEBUG = debug
    assert runs_jobs(argv, environ) is worker


def test_a_failed_warm_up_is_logged_not_raised(monkeypatch, caplog):
    def broken():
        raise OSError("no fonts")

    monkeypatch.setattr(pdf, "warm_up", broken)
    thread = pdf.warm_up_in_background()
    thread.join(10)
    assert thread.daemon and not thread.is_alive()
    assert "PDF warm-up failed" in caplog.text
