"""The procedures app's twins and loose ends: the page's and the API's document download
answered by one action (the same answers for a failed rendering, a stored file gone
and a refusal); ``unavailable`` (503) among the core API errors and in docs/api.md;
one function naming the type's data in the user's language; the hooks' and checks'
words in labels.py only; ``documents.missing`` deciding what the zip waits for;
``render_document`` never half-done inside a caller's transaction; the type page
naming its steps, not their codes."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import translation

from fupin.audit.models import AuditEvent
from fupin.core import errors
from fupin.core.actor import Actor
from fupin.core.errors import ActionError, Conflict
from fupin.procedures import actions, documents, hooks, labels
from fupin.procedures import api as procedures_api
from fupin.procedures.models import ProcedureBatch, ProcedureType, StepDocument
from tests import test_procedures_documents as documents_tests
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A
from tests.test_procedures import advance, make_households, start

D = dt.date
API = "/api/v1/procedures"
ROOT = Path(__file__).resolve().parents[1]

media = documents_tests.media  # (autouse: a media directory of the test's own)

GENERATED = "The document could not be generated; try again later or tell the administrator."
UNREADABLE = "A stored document could not be read; tell the administrator."


@pytest.fixture
def fake_pdf(monkeypatch) -> list:
    """A quick stand-in for WeasyPrint; the list holds the codes rendered, in order."""
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


def _page(client, batch, doc):
    return client.get(reverse("procedures:document", args=[batch.pk, doc.pk]))


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _downloads() -> int:
    return AuditEvent.objects.filter(action="procedures.document.download").count()


# --- 1. one action answers the page's and the API's download ------------------------------------

@pytest.mark.usefixtures("english")
def test_the_page_and_the_api_download_through_one_action(batch, officer, login, api, fake_pdf, monkeypatch):
    calls = []
    original = actions.download_document

    def spy(actor, doc):
        calls.append((actor.channel, doc.pk))
        return original(actor, doc)

    monkeypatch.setattr(actions, "download_document", spy)
    doc = _latest(batch)[0]
    page = _page(login(officer), batch, doc)
    r = api(officer).get(f"{API}/documents/{doc.pk}")
    assert page.status_code == r.status_code == 200 and page.content == r.content
    assert calls == [("web", doc.pk), ("api", doc.pk)]
    assert fake_pdf == [doc.code] and _downloads() == 2  # rendered once, each download an export


@pytest.mark.usefixtures("english")
def test_a_failed_rendering_is_the_same_answer_on_the_page_and_the_api(batch, officer, login, api, monkeypatch,
                                                                      media):
    def broken(doc, data=None):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(documents, "render_pdf", broken)
    doc = _latest(batch)[0]
    page = _page(login(officer), batch, doc)
    assert page.status_code == 302 and page["Location"] == reverse("procedures:batch", args=[batch.pk])
    assert _messages(page) == [GENERATED]
    r = api(officer).get(f"{API}/documents/{doc.pk}", headers={"Accept-Language": "en"})
    assert r.status_code == 503 and r.json() == {"code": "unavailable", "message": GENERATED}
    doc.refresh_from_db()
    assert not doc.file and not list(media.rglob("*.pdf")) and _downloads() == 0


@pytest.mark.usefixtures("english")
def test_a_stored_file_gone_is_the_same_answer_and_is_not_rendered_again(batch, officer, login, api, fake_pdf):
    doc = actions.render_document(SYSTEM, _latest(batch)[0])
    sha256 = doc.sha256
    doc.file.storage.delete(doc.file.name)
    page = _page(login(officer), batch, doc)
    assert page.status_code == 302 and page["Location"] == reverse("procedures:batch", args=[batch.pk])
    assert _messages(page) == [UNREADABLE]  # what the zip says of a file gone, not "try again later"
    r = api(officer).get(f"{API}/documents/{doc.pk}", headers={"Accept-Language": "en"})
    assert r.status_code == 503 and r.json() == {"code": "unavailable", "message": UNREADABLE}
    doc.refresh_from_db()
    assert fake_pdf == [doc.code] and doc.sha256 == sha256  # a stored document is never rendered again
    assert _downloads() == 0


@pytest.mark.usefixtures("english")
def test_a_refusal_while_rendering_is_the_same_answer_on_the_page_and_the_api(batch, officer, login, api,
                                                                             monkeypatch):
    def refused(doc, data=None):
        raise Conflict()

    monkeypatch.setattr(documents, "render_pdf", refused)
    doc = _latest(batch)[0]
    page = _page(login(officer), batch, doc)
    r = api(officer).get(f"{API}/documents/{doc.pk}", headers={"Accept-Language": "en"})
    assert page.status_code == r.status_code == Conflict.status  # a refusal, not "could not be generated"
    assert str(Conflict.default_message) in page.content.decode() and r.json()["code"] == "conflict"
    assert _downloads() == 0


# --- 2. unavailable is a core API error, in the docs' table ------------------------------------------

def test_unavailable_is_a_core_error_listed_in_the_api_docs():
    assert (errors.Unavailable.status, errors.Unavailable.code) == (503, "unavailable")
    assert not [name for name, value in vars(procedures_api).items() if isinstance(value, type)
                and issubclass(value, ActionError) and value.__module__ == procedures_api.__name__]
    table = (ROOT / "docs" / "api.md").read_text(encoding="utf-8").split("## Errors", 1)[1].split("\n\n## ", 1)[0]
    rows = {code: int(status) for status, code in re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|", table, re.M)}
    core = {cls.code: cls.status for cls in vars(errors).values()
            if isinstance(cls, type) and issubclass(cls, ActionError) and cls is not ActionError}
    assert core and rows.items() >= core.items()


# --- 3. one function names the type's data in the user's language -----------------------------------

def test_models_name_the_data_through_labels_localized(two_counties, monkeypatch):
    ptype = ProcedureType.objects.get(code="identification_2014")
    batch = start(SYSTEM, make_households(VILLAGE_A, 1))  # open: it has a current step
    with translation.override("en"):
        assert ptype.label == ptype.name_en and batch.current_step_label == batch.current_step["name_en"]
    assert ptype.label == ptype.name and batch.type_label == batch.definition["name"]
    monkeypatch.setattr(labels, "localized", lambda data, key="name": f"<{data.get(key)}>")
    batch = ProcedureBatch.objects.get(pk=batch.pk)
    assert ptype.label == f"<{ptype.name}>" and batch.type_label == f"<{batch.definition['name']}>"
    assert batch.current_step_label == f"<{batch.current_step['name']}>"


# --- 4. what a hook does or a check requires: labels.py, nowhere else ---------------------------------

def test_every_registered_hook_and_check_is_described_in_labels_only():
    assert not [name for name in vars(hooks) if name.endswith("_LABELS")]  # no second, unused registry
    assert hooks.CHECKS and set(hooks.CHECKS) <= set(labels.CHECKS)
    assert set(hooks.HOOKS) - {"registry.set_status"} <= set(labels.HOOKS)  # set_status: named by its status
    for name in hooks.CHECKS:
        assert labels.check_label(name) == str(labels.CHECKS[name])
    for name in set(hooks.HOOKS) - {"registry.set_status"}:
        assert labels.hook_label({"hook": name}) == str(labels.HOOKS[name])
    with pytest.raises(TypeError):
        hooks.hook("app.labelled", label="words")


# --- 5. documents.missing decides what the zip waits for -------------------------------------------

@pytest.mark.usefixtures("english")
def test_the_zip_and_the_prepare_page_ask_documents_missing(batch, officer, login, fake_pdf, monkeypatch):
    for d in _latest(batch):
        actions.render_document(SYSTEM, d)
    latest = _latest(batch)
    asked = []

    def missing(docs):
        asked.append(sorted(d.pk for d in docs))
        return latest[:1]

    monkeypatch.setattr(documents, "missing", missing)
    client = login(officer)
    prepare = reverse("procedures:documents_prepare", args=[batch.pk])
    response = client.get(reverse("procedures:documents_zip", args=[batch.pk]))
    assert response.status_code == 302 and response["Location"] == prepare
    page = client.get(prepare).content.decode()
    assert f"{len(latest) - 1} of {len(latest)} documents are generated" in page
    assert asked == [sorted(d.pk for d in latest)] * 2 and _downloads() == 0


def test_missing_is_the_latest_version_of_each_document_without_a_file(batch, fake_pdf):
    docs = _latest(batch)
    actions.render_document(SYSTEM, docs[0])
    new = actions.regenerate_document(SYSTEM, docs[1], note="更正")
    actions.render_document(SYSTEM, docs[1])  # an old version stored: its newer one is still missing
    assert [d.pk for d in documents.missing(documents.documents_of(batch))] == [new.pk] + [d.pk for d in docs[2:]]


# --- 6. render_document: never half-done inside a caller's transaction ------------------------------

def test_rendering_refuses_to_run_inside_a_callers_transaction(batch, officer, fake_pdf, media):
    doc = _latest(batch)[0]
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.render_document(Actor(officer), doc)
    assert fake_pdf == [] and not list(media.rglob("*.pdf"))  # refused before anything was rendered or written
    doc.refresh_from_db()
    assert not doc.file and not doc.sha256 and doc.generated_at is None
    assert not AuditEvent.objects.filter(action="procedures.document.render").exists()


def test_a_stored_document_is_read_inside_a_transaction(batch, officer, fake_pdf):
    stored = actions.render_document(Actor(officer), _latest(batch)[0])
    with transaction.atomic():
        again = actions.render_document(Actor(officer), StepDocument.objects.get(pk=stored.pk))
    assert again.file.name == stored.file.name and fake_pdf == [stored.code]


def test_a_file_written_whose_save_fails_leaves_no_file_and_no_row(batch, officer, monkeypatch, media, fake_pdf):
    doc = _latest(batch)[0]
    StepDocument.objects.filter(pk=doc.pk).update(data={})  # the snapshot is taken at the rendering
    doc.refresh_from_db()
    save, written = StepDocument.save, []

    def failing_save(self, *args, **kwargs):
        if "file" in (kwargs.get("update_fields") or ()):
            written.append((media / self.file.name).is_file())
            raise DatabaseError("disk full")
        return save(self, *args, **kwargs)

    monkeypatch.setattr(StepDocument, "save", failing_save)
    with pytest.raises(DatabaseError):
        actions.render_document(Actor(officer), doc)
    assert written == [True]  # the file was in storage when the save failed …
    assert not list(media.rglob("*.pdf"))  # … and is gone
    doc.refresh_from_db()
    assert (doc.file.name, doc.sha256, doc.generated_at, doc.data) == ("", "", None, {})
    assert not AuditEvent.objects.filter(action="procedures.document.render").exists()


# --- 7. the type page names its steps; the code only in a title, for administrators --------------

def _steps(page: str) -> str:
    return page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


@pytest.mark.parametrize("role", ["county_office", "admin"])
def test_the_type_page_shows_step_labels_not_codes(two_counties, make_user, login, role):
    user = make_user(role, COUNTY_A if role != "admin" else None)
    ptype = ProcedureType.objects.get(code="identification_2014")
    body = _steps(login(user).get(reverse("procedures:type", args=[ptype.code])).content.decode())
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[1] for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
    assert [c.strip() for c in cells] == [s["name"] for s in ptype.steps]  # the label alone, no code beside it
    titles = re.findall(r'<td title="([^"]*)">', body)
    assert titles == ([s["code"] for s in ptype.steps] if role == "admin" else [])
    assert "<code>" not in body
