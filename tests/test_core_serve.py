"""`fupin serve` stops its job worker however the server is stopped: Ctrl-C or SIGTERM
(what a service manager or `kill` sends)."""

from __future__ import annotations

import os
import signal

import pytest
from django.core.management import call_command


class FakeWorker:
    pid = 4242

    def __init__(self, *args, **kwargs):
        self.signals = []
        FakeWorker.last = self

    def send_signal(self, signum):
        self.signals.append(signum)

    def wait(self, timeout=None):
        return 0


def test_sigterm_stops_the_worker(monkeypatch):
    from fupin.core.management.commands import serve

    previous = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(serve.subprocess, "Popen", FakeWorker)
    monkeypatch.setattr(serve, "call_command", lambda *a, **k: os.kill(os.getpid(), signal.SIGTERM))
    try:
        with pytest.raises(KeyboardInterrupt):
            call_command("serve", "127.0.0.1:0")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert FakeWorker.last.signals == [signal.SIGTERM]
