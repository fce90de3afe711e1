"""Background jobs of procedures: rendering a batch's documents before its zip is
offered (started by actions.start_rendering; the job calls actions.render_document for
each document, so every rendering is checked and audited like a download's)."""

from __future__ import annotations

import logging

from django.tasks import task
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fupin.accounts.scoping import require
from fupin.jobs.actions import run

from . import actions, documents, queries
from .models import ProcedureBatch

log = logging.getLogger(__name__)


@task()
def render_documents_task(job_id: str) -> None:
    def body(progress):
        batch = ProcedureBatch.objects.select_related("type", "area").get(pk=progress.params["batch"])
        actor = progress.actor
        require(actor, queries.VIEW, batch.area_code)  # the starter may have lost the right meanwhile
        docs = documents.missing(documents.documents_of(batch))
        progress.set_total(len(docs))
        failed = []
        for i, doc in enumerate(docs, 1):
            try:
                actions.render_document(actor, doc)
            except Exception:  # one document failing does not stop the others
                log.exception("document %s of batch %s could not be rendered", doc.pk, batch.pk)
                failed.append(doc)
                progress.log(_("%(file)s could not be generated.") % {"file": documents.filename(doc)})
            progress.update(i, message=_("%(done)s of %(total)s documents generated.") % {
                "done": i - len(failed), "total": len(docs)}, errors=len(failed))
        result = {"batch": batch.pk, "rendered": len(docs) - len(failed), "failed": len(failed)}
        if failed:
            progress.fail(ngettext("%(n)s document could not be generated; try again later or tell the "
                                   "administrator.",
                                   "%(n)s documents could not be generated; try again later or tell the "
                                   "administrator.", len(failed)) % {"n": len(failed)}, result=result)
            return
        progress.succeed(result, message=_("The documents are generated: the zip can be downloaded."))

    run(job_id, body)
