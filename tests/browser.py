"""What every browser test shares: Debian's chromium driven by Playwright (never
`playwright install`), its launch options, the skip when either is missing, and a
function-scoped ``browser`` fixture (declared in conftest.py, started by ``launch``).

Function-scoped on purpose: started after the database fixtures. A module-scoped
Playwright starts its greenlet first, and Django's connection seen from the test then
lacks the serialized data that serialized_rollback restores (procedure types, lines and
code lists shipped by migrations). Costs about a second per test.

Use: ``from .browser import needs_chromium, sync_api``, put ``needs_chromium`` in the
module's ``pytestmark`` and ask for the ``browser`` fixture."""

from __future__ import annotations

import os
import re
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

sync_api = pytest.importorskip("playwright.sync_api", reason="browser test needs the playwright package (dev extra)")


def launch():
    """The ``browser`` fixture's body (conftest.py): one chromium for one test."""
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def sign_in(page, base_url: str, username: str, password: str, *, next_path: str = "/") -> None:
    """Open ``next_path`` anonymously, be sent to the login form (LoginRequiredMiddleware)
    and sign in there."""
    page.goto(base_url + next_path)
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form button[type=submit]").click()
