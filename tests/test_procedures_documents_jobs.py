"""A batch's documents in one zip without rendering inside the request: the documents
not rendered yet are rendered by a background job (with progress) and the zip is then
offered from the stored files. Every rendering is an audit event (who, which
document, version, SHA-256); a rendering whose save fails leaves no file behind."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile

import pytest
from django.contrib.messages import get_messages
from django.db import DatabaseError
from django.urls import reverse

from fupin.audit.models import AuditEvent
from fupin.core.actor import Actor
from fupin.core.errors import Forbidden, Invalid
from fupin.jobs.models import Job
from fupin.procedures import actions, documents
from fupin.procedures.actions import rendering
from fupin.procedures.models import StepDocument
from tests import test_procedures_documents as documents_tests
from tests.conftest import COUNTY_A, COUNTY_B, SYSTEM, VILLAGE_A
from tests.test_procedures import advance, make_households, start

D = dt.date

media = documents_tests.media  # (autouse: a media directory of the test's own)
pytestmark = pytest.mark.usefixtures("english")  # the pages and the job speak English (settings.LANGUAGE_CODE)


@pytest.fixture
def fake_pdf(monkeypatch) -> list:
    """A quick stand-in for WeasyPrint (what is tested here is when and where a PDF is
    made and kept, not its text); the list holds the codes rendered, in order."""
    rendered = []

    def render_pdf(doc, data=None):
        rendered.append(doc.code)
        return f"%PDF-1.4 {doc.code} v{doc.version}".encode()

    monkeypatch.setattr(documents, "render_pdf", render_pdf)
    return rendered


@pytest.fixture
def batch(two_counties):
    b = start(SYSTEM, make_households(VILLAGE_A, 2))
    advance(SYSTEM, b, on=D(2024, 2, 1))
    return b


@pytest.fixture
def officer(make_user):
    return make_user("county_office", COUNTY_A)


def _latest(batch) -> list[StepDocument]:
    return documents.latest(documents.documents_of(batch))


def _zip_names(response) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return sorted(zipfile.ZipFile(io.BytesIO(body)).namelist())


# --- (1) the zip: a background job renders, the request never does ------------------------------

def test_the_zip_never_renders_inside_the_request(batch, officer, login, fake_pdf, media):
    client = login(officer)
    response = client.get(reverse("procedures:documents_zip", args=[batch.pk]))
    prepare = reverse("procedures:documents_prepare", args=[batch.pk])
    assert response.status_code == 302 and response["Location"] == prepare
    assert fake_pdf == [] and not list(media.rglob("*.pdf"))  # nothing rendered, nothing written
    assert not StepDocument.objects.filter(record__batch=batch).exclude(file="").exists()
    assert not AuditEvent.objects.filter(action__in=["procedures.document.download",
                                                     "procedures.document.render"]).exists()
    page = client.get(prepare)
    total = len(_latest(batch))
    text = page.content.decode()
    assert page.status_code == 200 and f"0 of {total} documents are generated" in text
    assert f"Generate {total} documents" in text and not Job.objects.exists()
    assert fake_pdf == []  # looking at the page renders nothing either


def test_the_job_renders_the_missing_documents_then_the_zip_is_offered(batch, officer, login, fake_pdf, media):
    client = login(officer)
    first = _latest(batch)[0]
    client.get(reverse("procedures:document", args=[batch.pk, first.pk]))  # one rendered already
    assert fake_pdf == [first.code]
    prepare = reverse("procedures:documents_prepare", args=[batch.pk])
    response = client.post(prepare)
    assert response.status_code == 302 and response["Location"] == prepare
    job = Job.objects.get(kind=actions.RENDER_JOB)
    latest = _latest(batch)
    assert (job.status, job.created_by, job.area_code, job.params["batch"]) == (
        Job.SUCCEEDED, officer, batch.area_code, batch.pk)
    assert job.total == job.done == len(latest) - 1 and job.error_count == 0  # progress: one per document
    assert job.result == {"batch": batch.pk, "rendered": len(latest) - 1, "failed": 0}
    assert sorted(fake_pdf) == sorted(d.code for d in latest)  # each rendered once, the first not again
    assert all(d.file for d in _latest(batch))
    page = client.get(prepare).content.decode()
    zip_url = reverse("procedures:documents_zip", args=[batch.pk])
    assert f"{len(latest)} of {len(latest)} documents are generated" in page and zip_url in page
    response = client.get(zip_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert _zip_names(response) == sorted(documents.filename(d) for d in latest)
    export = AuditEvent.objects.filter(action="procedures.document.download").latest("id")
    assert export.kind == "export" and export.user == officer and f"batch {batch.pk}" in export.note
    renders = AuditEvent.objects.filter(action="procedures.document.render")
    assert renders.count() == len(latest) and {e.user for e in renders} == {officer}
    assert {e.channel for e in renders} == {"web", "job"}  # the first download, then the job


def test_a_stored_file_gone_from_storage_is_a_message_not_an_error(batch, officer, login, fake_pdf):
    for d in _latest(batch):
        actions.render_document(SYSTEM, d)
    gone = _latest(batch)[0]
    gone.file.storage.delete(gone.file.name)
    response = login(officer).get(reverse("procedures:documents_zip", args=[batch.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("procedures:batch", args=[batch.pk])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "A stored document could not be read; tell the administrator."]
    assert not AuditEvent.objects.filter(action="procedures.document.download").exists()


def test_a_job_under_way_is_shown_not_started_twice(batch, officer, login, fake_pdf):
    running = Job.objects.create(kind=actions.RENDER_JOB, title="x", created_by=officer, area_code=batch.area_code,
                                 params={"batch": batch.pk}, status=Job.RUNNING, total=4, done=1,
                                 message="1 of 4 documents generated.")
    client = login(officer)
    prepare = reverse("procedures:documents_prepare", args=[batch.pk])
    fragment = client.get(prepare, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-get="' + prepare in fragment and "25%" in fragment and "1 of 4 documents generated." in fragment
    assert "<form" not in fragment and "<html" not in fragment
    assert actions.start_rendering(Actor(officer), batch) == running
    assert client.post(prepare).status_code == 302
    assert Job.objects.count() == 1 and fake_pdf == []
    running.status = Job.SUCCEEDED
    running.save()
    assert actions.start_rendering(Actor(officer), batch) != running  # finished: a new one


def test_a_document_that_fails_fails_the_job_with_a_message_the_others_are_kept(batch, officer, login,
                                                                                 monkeypatch, fake_pdf):
    latest = _latest(batch)
    bad = latest[1].code
    good = documents.render_pdf

    def render_pdf(doc, data=None):
        if doc.code == bad:
            raise RuntimeError("fonts missing")
        return good(doc, data)

    monkeypatch.setattr(documents, "render_pdf", render_pdf)
    client = login(officer)
    prepare = reverse("procedures:documents_prepare", args=[batch.pk])
    client.post(prepare)
    job = Job.objects.get(kind=actions.RENDER_JOB)
    assert job.status == Job.FAILED and job.error_count == 1 and job.done == len(latest)
    assert job.message == "1 document could not be generated; try again later or tell the administrator."
    assert [d.code for d in _latest(batch) if not d.file] == [bad]
    page = client.get(prepare).content.decode()
    assert job.message in page and "Generate 1 document" in page
    assert client.get(reverse("procedures:documents_zip", args=[batch.pk]))["Location"] == prepare


def test_only_a_reader_of_the_batch_starts_the_job_and_only_when_something_is_missing(batch, officer, make_user,
                                                                                      fake_pdf):
    with pytest.raises(Forbidden):
        actions.start_rendering(Actor(make_user("county_office", COUNTY_B)), batch)
    assert not Job.objects.exists()
    actions.start_rendering(Actor(officer), batch)
    with pytest.raises(Invalid) as exc:
        actions.start_rendering(Actor(officer), batch)
    assert str(exc.value.message) == "Every document of this batch is generated already."


# --- (2) a rendering is audited --------------------------------------------------------------------

def test_rendering_records_who_which_document_version_and_hash(batch, officer, fake_pdf):
    doc = _latest(batch)[0]
    new = actions.regenerate_document(SYSTEM, doc, note="更正")
    rendered = actions.render_document(Actor(officer), new)
    event = AuditEvent.objects.get(action="procedures.document.render")
    body = f"%PDF-1.4 {new.code} v2".encode()
    assert event.user == officer and event.area_code == batch.area_code
    assert (event.object_type, event.object_id) == ("procedures.stepdocument", str(new.pk))
    assert event.after["document"] == new.code and event.after["version"] == 2
    assert event.after["sha256"] == rendered.sha256 == hashlib.sha256(body).hexdigest()
    assert event.after["batch"] == batch.pk and event.after["file"] == rendered.file.name
    actions.render_document(Actor(officer), new)  # stored already: read, not rendered, not audited again
    assert AuditEvent.objects.filter(action="procedures.document.render").count() == 1


# --- (3) no orphaned file when the save fails ---------------------------------------------------------

def test_a_failed_save_after_the_file_was_written_leaves_no_file(batch, officer, monkeypatch, media, fake_pdf):
    doc = _latest(batch)[0]
    save = StepDocument.save

    def failing_save(self, *args, **kwargs):
        if "file" in (kwargs.get("update_fields") or ()):
            raise DatabaseError("disk full")
        return save(self, *args, **kwargs)

    monkeypatch.setattr(StepDocument, "save", failing_save)
    with pytest.raises(DatabaseError):
        actions.render_document(Actor(officer), doc)
    assert fake_pdf == [doc.code]  # it was rendered and written …
    assert not list(media.rglob("*.pdf"))  # … and deleted again
    doc.refresh_from_db()
    assert not doc.file and not doc.sha256
    assert not AuditEvent.objects.filter(action="procedures.document.render").exists()
    monkeypatch.setattr(StepDocument, "save", save)
    stored = actions.render_document(Actor(officer), doc)
    assert [p.name for p in media.rglob("*.pdf")] == [stored.file.name.rsplit("/", 1)[-1]]


def test_a_failure_after_the_save_in_the_same_transaction_leaves_no_file(batch, officer, login, monkeypatch, media,
                                                                        fake_pdf):
    """The audit event is part of the rendering: if it cannot be written, the row's save
    is rolled back and the file deleted; the page answers with a message."""
    doc = _latest(batch)[0]
    client = login(officer)

    def no_audit(*args, **kwargs):
        raise DatabaseError("audit table locked")

    monkeypatch.setattr(rendering.audit, "record", no_audit)
    response = client.get(reverse("procedures:document", args=[batch.pk, doc.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("procedures:batch", args=[batch.pk])
    assert fake_pdf == [doc.code] and not list(media.rglob("*.pdf"))
    doc.refresh_from_db()
    assert not doc.file
