"""The audit event page's eye button in the browser: a role that lost ``pii.reveal`` after
the page was drawn (a stale page) clicks it and sees, in the row, why the number stays
masked — htmx swaps the 403 in for that button only (static/fupin/fupin.js) — and nothing is
logged."""

from __future__ import annotations

import pytest

from fupin.accounts import rules
from fupin.audit.models import AuditEvent
from fupin.core import masking

from .browser import needs_chromium, sign_in
from .conftest import COUNTY_A, PASSWORD
from .test_auditpii_masking import HEAD_ID, logged  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True),
              needs_chromium]


def test_a_stale_eye_button_shows_the_refusal_in_the_row(live_server, browser, logged, make_user,
                                                       monkeypatch):
    make_user("inspector", COUNTY_A, username="auditor")
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, live_server.url, "auditor", PASSWORD, next_path=f"/audit/{logged['member'].pk}/")
    row = page.locator('tr[data-field="id_number"]')
    assert masking.mask_id_number(HEAD_ID) in row.inner_text()
    # the role loses pii.reveal while the page is open
    monkeypatch.setitem(rules.PERMISSIONS, "inspector", rules.PERMISSIONS["inspector"] - {"pii.reveal"})
    row.locator("button[data-fp-swap-refusal]").click()
    refusal = page.locator('tr[data-field="id_number"] [role=alert]')
    refusal.wait_for()
    assert "无权" in refusal.inner_text()
    assert HEAD_ID not in page.content() and masking.mask_id_number(HEAD_ID) in row.inner_text()
    assert not AuditEvent.objects.filter(kind="read", action="pii.reveal").exists()
    context.close()
