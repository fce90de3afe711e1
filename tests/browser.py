"""What every browser test shares: Debian's chromium driven by Playwright (never
`playwright install`), its launch options, the skip when either is missing, and a
function-scoped ``browser`` fixture (declared in conftest.py, started by ``launch``).

Function-scoped on purpose: started after the database fixtures. A module-scoped
Playwright starts its greenlet first, and Django's connection seen from the test then
lacks the serialized data that serialized_rollback restores (procedure types, lines and
code lists shipped by migrations). Costs about a second per test.

Use: ``from .browser import needs_chromium, sync_api``, put ``needs_chromium`` in the
module's ``pytestmark`` and ask for the ``browser`` fixture. A measurement that depends on
the widths of Chinese text skips (``NO_CJK_FONT``) when ``cjk_font()`` finds no such font."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the tests' own ORM calls would
# otherwise trip Django's async-safety check.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser test needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")


def cjk_font() -> str | None:
    """A font family fontconfig (which chromium asks) offers for Chinese, None when there is
    none: text measured in the Chinese UI is laid out in whatever font is installed."""
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=60,
                                check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return next((line.strip() for line in listed.splitlines() if line.strip()), None)


NO_CJK_FONT = ("the Chinese text's widths depend on the installed font and `fc-list :lang=zh` lists none "
               "(apt-get install fonts-noto-cjk)")

sync_api = pytest.importorskip("playwright.sync_api", reason="browser test needs the playwright package (dev extra)")


def launch():
    """The ``browser`` fixture's body (conftest.py): one chromium for one test."""
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            close_playwright_connections()
            wait_for_live_server_requests()


def close_playwright_connections() -> None:
    """Close the database connections the test made while Playwright ran.

    Between two of Playwright's sync calls the test's thread has an event loop marked
    running (playwright/_impl/_greenlets.py), so Django, seeing "async" code, keeps the
    connections made meanwhile (the test's own ORM calls: households, users, checks) apart
    from the thread's usual one (asgiref's Local with thread_critical: a context variable).
    Nothing closed them: on PostgreSQL the test database could then not be dropped at the
    end of the run ("… is being accessed by other users"). Called while the loop is still
    marked running (right after a sync call), so that ``connections`` are those ones; the
    thread's usual connection, the test's, is left alone."""
    import asyncio

    from django.db import connections

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop marked running: the connections are the thread's usual ones
        return
    connections.close_all()


def wait_for_live_server_requests(timeout: float = 120) -> None:
    """Let the live server finish the requests still running once the browser is closed (a
    page the test stopped waiting for: a PDF rendered on a busy machine). Each such request
    holds a database connection until it ends: the test's database would be emptied under it,
    and at the end of the run, on PostgreSQL, it could not be dropped. The server's request
    threads are named after socketserver's ``process_request_thread``."""
    import threading
    import time

    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and "process_request_thread" in thread.name:
            thread.join(max(0.0, deadline - time.monotonic()))


def sign_in(page, base_url: str, username: str, password: str, *, next_path: str = "/") -> None:
    """Open ``next_path`` anonymously, be sent to the login form (LoginRequiredMiddleware)
    and sign in there."""
    page.goto(base_url + next_path)
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form button[type=submit]").click()
