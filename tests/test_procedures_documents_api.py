"""The step documents through the API: the list of a batch's documents (step, kind,
version, SHA-256, when rendered) and the PDF itself — the same stored file the batch
page gives, ID numbers masked, each download logged as an export; outside the token
owner's area: 404 (see also tests/scoping_procedures.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fupin.audit.models import AuditEvent
from fupin.procedures import actions, documents
from fupin.procedures.models import StepDocument
from fupin.registry.models import Member
from tests import test_procedures_documents as documents_tests
from tests.conftest import COUNTY_A, COUNTY_B, SYSTEM, VILLAGE_A
from tests.test_procedures import advance, make_households, start

D = dt.date
API = "/api/v1/procedures"

media = documents_tests.media  # (autouse: a media directory of the test's own)
pytestmark = pytest.mark.usefixtures("english")  # the pages and the job speak English (settings.LANGUAGE_CODE)


@pytest.fixture
def batch(two_counties):
    b = start(SYSTEM, make_households(VILLAGE_A, 2))
    advance(SYSTEM, b, on=D(2024, 2, 1))
    return b


def test_the_list_names_step_kind_version_and_hash_once_rendered(batch, make_user, api):
    client = api(make_user("county_office", COUNTY_A))
    docs = documents.documents_of(batch)
    doc = docs[0]
    r = client.get(f"{API}/batches/{batch.pk}/documents")
    assert r.status_code == 200
    rows = r.json()
    assert [row["id"] for row in rows] == [d.pk for d in docs]
    first = rows[0]
    assert (first["step"], first["step_index"], first["kind"], first["version"], first["latest"]) == (
        doc.record.code, doc.record.index, doc.code, 1, True)
    assert first["sha256"] is None and first["rendered_at"] is None  # not downloaded yet
    body = client.get(f"{API}/documents/{doc.pk}").content
    doc.refresh_from_db()
    again = client.get(f"{API}/batches/{batch.pk}/documents").json()[0]
    assert again["sha256"] == doc.sha256 and len(again["sha256"]) == 64 and again["rendered_at"] is not None
    assert body.startswith(b"%PDF")
    # a new version: listed after the first, which is no longer the latest
    new = actions.regenerate_document(SYSTEM, doc, note="更正")
    rows = {row["id"]: row for row in client.get(f"{API}/batches/{batch.pk}/documents").json()}
    assert rows[new.pk]["version"] == 2 and rows[new.pk]["latest"] and rows[new.pk]["note"] == "更正"
    assert not rows[doc.pk]["latest"]


def test_the_pdf_is_the_pages_file_masked_and_each_download_is_an_export(batch, make_user, api, login):
    user = make_user("county_office", COUNTY_A)
    doc = StepDocument.objects.get(record__batch=batch, code="application")
    page = login(user).get(reverse("procedures:document", args=[batch.pk, doc.pk]))
    r = api(user).get(f"{API}/documents/{doc.pk}")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    assert r.content == page.content  # the stored file: rendered once
    doc.refresh_from_db()
    html = documents.render_html(doc)
    for m in Member.objects.filter(household__procedure_memberships__batch=batch):
        assert m.id_number not in html and m.id_number[:6] + "*" * 8 + m.id_number[-4:] in html
    extracted = documents_tests.extracted_text(r.content)
    if extracted is not None:
        assert not any(m.id_number in extracted for m in Member.objects.all())
    events = AuditEvent.objects.filter(action="procedures.document.download").order_by("id")
    assert [(e.kind, e.channel, e.count) for e in events] == [("export", "web", 2), ("export", "api", 2)]
    assert "application v1" in events.last().note
    assert AuditEvent.objects.filter(action="procedures.document.render").count() == 1


def test_outside_the_area_or_garbage_is_404_and_a_failed_rendering_503(batch, make_user, api, monkeypatch):
    doc = StepDocument.objects.filter(record__batch=batch).first()
    other = api(make_user("county_office", COUNTY_B))
    for url in (f"{API}/batches/{batch.pk}/documents", f"{API}/documents/{doc.pk}"):
        r = other.get(url)
        assert r.status_code == 404 and r.json()["code"] == "not_found", url
    assert not AuditEvent.objects.filter(action__startswith="procedures.document.").exists()
    client = api(make_user("county_office", COUNTY_A))
    for url in (f"{API}/batches/99999999999999999999/documents", f"{API}/documents/99999999999999999999",
                f"{API}/documents/0"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"{API}/documents/abc").status_code == 422

    def broken(doc, data=None):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(documents, "render_pdf", broken)
    r = client.get(f"{API}/documents/{doc.pk}", headers={"Accept-Language": "en"})
    assert r.status_code == 503 and r.json() == {
        "code": "unavailable",
        "message": "The document could not be generated; try again later or tell the administrator."}
    assert not AuditEvent.objects.filter(action="procedures.document.download").exists()
