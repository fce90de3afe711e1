"""Step documents when two requests come at the same moment: two "new version" clicks
(a double click, two officers) and two first downloads of a document that has no PDF
yet. Each gets an answer, never an IntegrityError (a 500 page); rendering is an action
(views call actions; nothing else writes)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from fupin.audit.models import AuditEvent
from fupin.core.actor import Actor
from fupin.core.errors import Conflict, Forbidden
from fupin.procedures import actions, documents
from fupin.procedures.models import StepDocument
from tests import test_procedures_documents as documents_tests
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A
from tests.test_procedures import advance, make_households, start

D = dt.date
POSTGRES_ONLY = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="two transactions at once need PostgreSQL (SQLite serialises writers)")


english, media = documents_tests.english, documents_tests.media  # (autouse: English messages, own media)


def _batch_with_documents():
    batch = start(SYSTEM, make_households(VILLAGE_A, 2))
    advance(SYSTEM, batch, on=D(2024, 2, 1))
    return batch


def _doc(batch, code: str = "application") -> StepDocument:
    return StepDocument.objects.select_related("record").get(record__batch=batch, code=code, version=1)


def _versions(doc) -> list[int]:
    return sorted(StepDocument.objects.filter(record=doc.record, code=doc.code).values_list("version", flat=True))


def _slow(monkeypatch, name: str, seconds: float = 0.4) -> list:
    """Make documents.<name> slow (the second request then surely arrives while the first
    is inside it) and count its calls."""
    original, calls = getattr(documents, name), []

    def slow(*args, **kwargs):
        calls.append(1)
        time.sleep(seconds)
        return original(*args, **kwargs)

    monkeypatch.setattr(documents, name, slow)
    return calls


def _at_once(work, n: int = 2) -> list:
    """Run ``work(i)`` in ``n`` threads released together; each closes its connection."""
    barrier, results = threading.Barrier(n), [None] * n

    def run(i):
        from django.db import connection as conn

        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # reported, and asserted on by the test
            results[i] = exc
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


# --- (1) two new versions --------------------------------------------------------------------

def test_two_new_versions_one_after_the_other_are_the_next_two_numbers(two_counties, make_user, login):
    batch = _batch_with_documents()
    doc = _doc(batch)
    assert actions.regenerate_document(SYSTEM, doc, note="第一次更正").version == 2
    assert actions.regenerate_document(SYSTEM, doc, note="第二次更正").version == 3
    client = login(make_user("county_office", COUNTY_A))
    url = reverse("procedures:document_regenerate", args=[batch.pk, doc.pk])
    for _ in range(2):  # a double click through the page: the next two numbers, each with a message
        assert client.post(url, {"note": "更正"}).status_code == 302
    assert _versions(doc) == [1, 2, 3, 4, 5]
    assert list(AuditEvent.objects.filter(action="procedures.document.regenerate").order_by("id")
                .values_list("after__version", flat=True)) == [2, 3, 4, 5]


def test_a_version_that_still_collides_is_a_message_not_an_error(two_counties, make_user, login, monkeypatch):
    """A writer that did not take the lock makes the same number first: Conflict with a
    message (it was an IntegrityError, a 500 page), and nothing is kept."""
    batch = _batch_with_documents()
    doc = _doc(batch)
    original = documents.snapshot

    def another_writer_first(b, record, code):
        last = StepDocument.objects.filter(record=record, code=code).order_by("-version").first()
        StepDocument.objects.create(record=record, code=code, title=doc.title, version=last.version + 1)
        return original(b, record, code)

    monkeypatch.setattr(documents, "snapshot", another_writer_first)
    with pytest.raises(Conflict) as exc:
        actions.regenerate_document(SYSTEM, doc, note="更正")
    assert "at the same moment" in str(exc.value.message)
    assert _versions(doc) == [1]
    client = login(make_user("county_office", COUNTY_A))
    response = client.post(reverse("procedures:document_regenerate", args=[batch.pk, doc.pk]), {"note": "更正"})
    assert response.status_code == 302
    with translation.override("zh-hans"):  # (the page speaks the user's language: Chinese by default)
        shown = {str(exc.value.message), translation.gettext(str(exc.value.message))}
    assert any(str(m) in shown for m in get_messages(response.wsgi_request))
    assert _versions(doc) == [1]
    assert not AuditEvent.objects.filter(action="procedures.document.regenerate").exists()


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_new_versions_at_the_same_moment_both_succeed(two_counties, make_user, monkeypatch):
    """The second waits for the first (the step's record is locked) and makes the next
    number; before, both read version 1 and the second hit the unique constraint."""
    batch = _batch_with_documents()
    doc = _doc(batch)
    officers = [Actor(make_user("county_office", COUNTY_A)), Actor(make_user("county_office", COUNTY_A))]
    _slow(monkeypatch, "snapshot")
    results = _at_once(lambda i: actions.regenerate_document(officers[i], doc, note=f"更正{i}"))
    assert not any(isinstance(r, IntegrityError) for r in results), results
    assert all(isinstance(r, StepDocument) for r in results), results
    assert sorted(r.version for r in results) == [2, 3]
    assert _versions(doc) == [1, 2, 3]
    assert AuditEvent.objects.filter(action="procedures.document.regenerate").count() == 2


# --- (2) the first download renders through an action ----------------------------------------------

def test_downloads_render_through_the_action_once(two_counties, make_user, login, media, monkeypatch):
    batch = _batch_with_documents()
    doc = _doc(batch)
    assert not doc.file
    original, called = actions.render_document, []

    def spy(actor, d):
        called.append(d.pk)
        return original(actor, d)

    monkeypatch.setattr(actions, "render_document", spy)
    renders = _slow(monkeypatch, "render_pdf", 0)
    client = login(make_user("county_office", COUNTY_A))
    url = reverse("procedures:document", args=[batch.pk, doc.pk])
    bodies = [client.get(url).content for _ in range(2)]
    assert called == [doc.pk, doc.pk] and len(renders) == 1  # the second download reads the stored file
    doc.refresh_from_db()
    assert bodies[0] == bodies[1] and bodies[0].startswith(b"%PDF")
    assert doc.sha256 == hashlib.sha256(bodies[0]).hexdigest()
    assert StepDocument.objects.filter(record=doc.record, code=doc.code).count() == 1
    assert len(list(media.rglob("*.pdf"))) == 1
    assert AuditEvent.objects.filter(action="procedures.document.download", kind="export").count() == 2
    # the zip's job goes through the same action: every latest document not stored yet,
    # each rendered once; the zip itself renders nothing
    called.clear()
    latest = documents.latest(documents.documents_of(batch))
    zip_url = reverse("procedures:documents_zip", args=[batch.pk])
    assert client.get(zip_url).status_code == 302 and called == []
    assert client.post(reverse("procedures:documents_prepare", args=[batch.pk])).status_code == 302
    assert sorted(called) == sorted(d.pk for d in latest if d.pk != doc.pk)
    assert len(renders) == len(latest) and len(list(media.rglob("*.pdf"))) == len(latest)
    called.clear()
    assert client.get(zip_url).status_code == 200 and called == []
    assert AuditEvent.objects.filter(action="procedures.document.download", kind="export").count() == 3
    assert AuditEvent.objects.filter(action="procedures.document.render").count() == len(latest)


def test_rendering_needs_the_right_to_read_the_batch(two_counties, make_user):
    doc = _doc(_batch_with_documents())
    outsider = Actor(make_user("county_office", "360783000000"))
    with pytest.raises(Forbidden):
        actions.render_document(outsider, doc)
    doc.refresh_from_db()
    assert not doc.file and not doc.sha256


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_first_downloads_at_the_same_moment_render_once(two_counties, make_user, media, monkeypatch):
    """Both get the same PDF; it is rendered and stored once (no second file, no crash)."""
    batch = _batch_with_documents()
    doc = _doc(batch)
    user = make_user("county_office", COUNTY_A)
    clients = [Client(), Client()]
    for c in clients:
        c.force_login(user)
    renders = _slow(monkeypatch, "render_pdf")
    url = reverse("procedures:document", args=[batch.pk, doc.pk])
    results = _at_once(lambda i: clients[i].get(url))
    assert all(getattr(r, "status_code", None) == 200 for r in results), results
    assert results[0].content == results[1].content and results[0].content.startswith(b"%PDF")
    assert len(renders) == 1
    doc.refresh_from_db()
    assert doc.sha256 == hashlib.sha256(results[0].content).hexdigest()
    assert StepDocument.objects.filter(record=doc.record, code=doc.code).count() == 1
    assert len(list(media.rglob("*.pdf"))) == 1
    assert AuditEvent.objects.filter(action="procedures.document.download", kind="export").count() == 2
