"""The documents' writes: a new version from the record as it is now, the PDF rendered
and stored the first time a document is read, and the background job that renders a
batch's documents before its zip is offered (documents.py reads; nothing else writes).

Rendering (WeasyPrint, through core.pdf's renderer, which the job keeps from one
document to the next) takes 0.15–0.5 s of CPU a document with HarfBuzz's subsetter
(docs/benchmarks.md, "PDF rendering"; much longer when WeasyPrint falls back to
fontTools), and a batch has many, so a batch's zip is never rendered inside a request:
its missing documents are rendered by a job (``start_rendering``, with progress on the
job's page) and the zip is then built from the stored files."""

from __future__ import annotations

import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fupin.accounts.scoping import require
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import ActionError, Conflict, Invalid, Unavailable

from .. import queries
from ..models import ProcedureBatch, StepDocument, StepRecord

log = logging.getLogger(__name__)

RENDER_JOB = "procedures.documents"


@transaction.atomic
def regenerate_document(actor: Actor, doc: StepDocument, *, note: str) -> StepDocument:
    """A new version of ``doc`` from the record as it is now (the stored versions stay).
    Needs the permission of the document's step in the batch's area.

    Two requests at once (a double click, two officers): the step's record is locked
    before the next number is read, so the second waits for the first and makes the
    version after it (each request carries its own reason and is audited). Should a
    version still collide (a writer that did not take the lock), the officer gets
    Conflict with a message, never an error page."""
    from ..documents import snapshot

    record = StepRecord.objects.select_for_update().get(pk=doc.record_id)
    batch = record.batch
    require(actor, batch.steps[record.index]["permission"], batch.area_code)
    note = (note or "").strip()
    if not note:
        raise Invalid(_("Give the reason for a new version."), field="note")
    last = StepDocument.objects.filter(record=record, code=doc.code).order_by("-version").first()
    data = snapshot(batch, record, doc.code)
    try:
        with transaction.atomic():
            new = StepDocument.objects.create(record=record, code=doc.code, title=doc.title,
                                              version=last.version + 1, data=data, created_by=actor.user,
                                              note=note[:200])
    except IntegrityError:
        raise Conflict(_("Another new version of this document was made at the same moment; nothing was done. "
                         "Reload the page to see it.")) from None
    audit.record(actor, "procedures.document.regenerate", obj=batch,
                 after={"step": record.code, "document": doc.code, "version": new.version, "reason": note,
                        "previous": last.version})
    return new


def render_document(actor: Actor, doc: StepDocument) -> StepDocument:
    """``doc`` with its stored PDF: rendered from its snapshot the first time it is read
    (a missing snapshot is taken now) and kept with its SHA-256; a stored file is never
    replaced. Anyone who may read the batch causes it (a download, the zip's job); the
    rendering is audited (``procedures.document.render``: who, which document and
    version, the SHA-256), the download itself is logged by its caller as an export.

    Two first downloads at once: the document's row is locked (only that row, not the
    batch, so officers' steps are not held up by a rendering) and read again; the
    second waits and finds the file the first stored. SQLite serialises writers.

    The file is written to storage before the row is saved: if anything after that
    fails (the save, the audit event, the commit), the file is deleted again, so a
    failure leaves no orphan in storage.

    It commits its own transaction and refuses to run inside a caller's (a durable
    block: RuntimeError before anything is rendered or written). A file in storage
    cannot be rolled back with a transaction and Django gives no hook on a rollback: if
    the caller's transaction were rolled back after this returned, the row would again
    have no file while the file stayed in storage (an orphan), and the caller would have
    read a state that was never committed. Its callers (``download_document``, the
    zip's job) call it outside any transaction. A stored document read again
    (``doc.file`` set) writes nothing and may be read anywhere."""
    from .. import documents

    batch = doc.record.batch
    require(actor, queries.VIEW, batch.area_code)
    if doc.file:
        return doc
    written = None
    try:
        with transaction.atomic(durable=True):
            locked = (StepDocument.objects.select_for_update(of=("self",)).select_related("record__batch")
                      .get(pk=doc.pk))
            if locked.file:
                return locked
            record = locked.record
            if not locked.data:
                locked.data = documents.snapshot(record.batch, record, locked.code)
            body = documents.render_pdf(locked)
            locked.sha256 = hashlib.sha256(body).hexdigest()
            locked.generated_at = clock.now()
            storage = locked.file.storage
            locked.file.save(documents.filename(locked), ContentFile(body), save=False)
            written = locked.file.name
            locked.save(update_fields=["file", "sha256", "generated_at", "data"])
            audit.record(actor, "procedures.document.render", obj=locked, area_code=batch.area_code,
                         after={"batch": batch.pk, "step": record.code, "document": locked.code,
                                "version": locked.version, "sha256": locked.sha256, "bytes": len(body),
                                "file": written})
    except BaseException:
        if written:
            _discard(storage, written)
        raise
    return locked


def download_document(actor: Actor, doc: StepDocument) -> tuple[StepDocument, bytes]:
    """The PDF of ``doc`` for a download — the page's and the API's (one place decides
    every answer), logged as an export (``procedures.document.download``):

    - not rendered yet: rendered and stored now (``render_document``);
    - the rendering fails: ``Unavailable`` (503) "could not be generated; try again
      later" — nothing is stored, the next download tries again;
    - the stored file cannot be read (gone from storage): ``Unavailable`` "could not be
      read; tell the administrator" — not rendered again, a stored document never
      changes;
    - a refusal (``NotFound``, ``Forbidden`` …) as it is.

    Nothing is logged as downloaded unless the PDF is returned. The rendering is looked
    up on the package (``actions.render_document``), as the zip's job does, so every
    rendering passes the same door."""
    from .. import actions, documents

    batch = doc.record.batch
    try:
        doc = actions.render_document(actor, doc)
    except ActionError:
        raise
    except Exception:
        log.exception("document %s of batch %s could not be rendered", doc.pk, batch.pk)
        raise Unavailable(_("The document could not be generated; try again later or tell the administrator.")) \
            from None
    try:
        body = documents.read_file(doc)
    except Exception:
        log.exception("the stored file of document %s of batch %s could not be read", doc.pk, batch.pk)
        raise Unavailable(_("A stored document could not be read; tell the administrator.")) from None
    documents.log_download(actor, batch, [doc])
    return doc, body


def _discard(storage, name: str) -> None:
    """Delete a file whose row was not saved (a failure must not hide the first error)."""
    try:
        storage.delete(name)
    except Exception:
        log.exception("the unsaved document file %s could not be deleted", name)


def start_rendering(actor: Actor, batch: ProcedureBatch):
    """A background job rendering the batch's documents that have no PDF yet (the latest
    version of each), so that its zip can be offered; its progress is one document at a
    time. The actor's own job for the batch that is still queued or running is returned
    instead of a second one."""
    from fupin.jobs import actions as jobs
    from fupin.jobs.models import Job

    from .. import documents
    from ..tasks import render_documents_task

    require(actor, queries.VIEW, batch.area_code)
    missing = documents.missing(documents.documents_of(batch))
    if not missing:
        raise Invalid(_("Every document of this batch is generated already."))
    running = Job.objects.filter(kind=RENDER_JOB, params__batch=batch.pk, created_by=actor.user,
                                 status__in=[Job.QUEUED, Job.RUNNING]).order_by("-created_at").first()
    if running is not None and actor.user is not None:
        return running
    return jobs.start(actor, render_documents_task, kind=RENDER_JOB,
                      title=(_("Documents of batch %(id)s: %(title)s") % {"id": batch.pk, "title": batch.title})[:200],
                      area_code=batch.area_code, params={"batch": batch.pk, "documents": len(missing)})
