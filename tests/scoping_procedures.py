"""Scoping cases for the procedure pages and API (see tests/test_scoping_routes.py):
county B's batch, at its first notice with an objection, is invisible to county A."""

from __future__ import annotations

import datetime as dt

from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.procedures import actions
from fupin.procedures.models import BatchMember, ProcedureBatch
from tests.conftest import SYSTEM, VILLAGE_A, VILLAGE_B
from tests.test_procedures import advance, make_households, start
from tests.test_scoping_routes import FORBIDDEN, LIST, NO_EFFECT, NOT_FOUND, OWN, Case, register


def batch_b(w) -> ProcedureBatch:
    """County B's batch: two households of 龙岗村, the village notice up since today, one objection."""
    if not hasattr(w, "proc_batch_b"):
        today = clock.today()
        households = make_households(VILLAGE_B, 2, names={1: "龙南甲", 2: "龙南乙"})
        batch = start(SYSTEM, households, area=VILLAGE_B, on=today - dt.timedelta(days=10))
        advance(SYSTEM, batch, until="village_notice", on=today - dt.timedelta(days=10))
        with clock.frozen(today):
            actions.act(SYSTEM, batch, step="village_notice", action="publish")
            member = batch.members.order_by("pk").first()
            w.proc_objection_b = actions.raise_objection(SYSTEM, batch, member.pk, content="龙南 异议")
        w.proc_batch_b, w.proc_member_b = batch, member
    return w.proc_batch_b


def objection_b(w):
    batch_b(w)
    return w.proc_objection_b


def with_batch_b(query: dict | None = None):
    def make(w):
        batch_b(w)
        return dict(query or {})

    return make


def fresh_b(w, n: int = 10):
    """A household of county B in no procedure (for starting a batch)."""
    if not hasattr(w, "proc_fresh_b"):
        w.proc_fresh_b = make_households(VILLAGE_B, 1, names={n: "龙南丙"}, start=n)[0]
    return w.proc_fresh_b


def _started(household_getter):
    return lambda w: BatchMember.objects.filter(household=household_getter(w)).exists()


def _eligible_b(query):
    def make(w):
        fresh_b(w)
        return query

    return make


register("procedures:list",
         Case(LIST, query=with_batch_b()),
         Case(LIST, query=with_batch_b({"q": "龙岗"})),
         Case(LIST, query=with_batch_b({"q": "360783"})),
         Case(LIST, role="village_cadre", area=VILLAGE_A, query=with_batch_b()))
register("procedures:start",
         Case(LIST, query=_eligible_b({"type": "identification_2014", "area": VILLAGE_B})),
         Case(FORBIDDEN, role="helper", area=VILLAGE_A, witness=False),
         Case(NO_EFFECT, method="post", effect=_started(fresh_b),
              data=lambda w: {"type": "identification_2014", "area": VILLAGE_B, "households": [fresh_b(w).pk]}),
         Case(NO_EFFECT, method="post", effect=_started(fresh_b), witness=False,
              note="county B's household in a county-A batch",
              data=lambda w: {"type": "identification_2014", "area": VILLAGE_A,
                              "households": [make_households(VILLAGE_A, 1, start=20)[0].pk, fresh_b(w).pk]}))
register("procedures:batch",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": batch_b(w).pk}),
         Case(NOT_FOUND, kwargs=lambda w: {"pk": batch_b(w).pk}, role="village_cadre", area=VILLAGE_A))
register("procedures:act",
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": batch_b(w).pk},
              data=lambda w: {"step": "village_notice", "action": "withdraw", "members": [w.proc_member_b.pk],
                              "reason": "x"}))
register("procedures:objection_raise",
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": batch_b(w).pk},
              data=lambda w: {"member": w.proc_member_b.pk, "content": "异议"}))
register("procedures:objection_resolve",
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": objection_b(w).pk},
              data=lambda w: {"decision": "rejected", "text": "答复"}))
register("procedures:notice",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": batch_b(w).pk, "index": 4}),
         Case(NOT_FOUND, kwargs=lambda w: {"pk": batch_b(w).pk, "index": 4}, role="helper", area=VILLAGE_A))
register("procedures:types", Case(OWN))
register("procedures:type", Case(OWN, kwargs=lambda w: {"code": "identification_2014"}))
register("procedures:type_copy",
         Case(FORBIDDEN, method="post", kwargs=lambda w: {"code": "identification_2014"},
              data=lambda w: {"code": "copy_a"}, witness=False))

register("GET /api/v1/procedures/types", Case(OWN))
register("GET /api/v1/procedures/batches",
         Case(LIST, query=with_batch_b()),
         Case(LIST, query=with_batch_b({"area": "360783"})),
         Case(LIST, role="inspector", query=with_batch_b()))
register("POST /api/v1/procedures/batches",
         Case(NO_EFFECT, status=404, effect=_started(fresh_b),
              data=lambda w: {"type": "identification_2014", "area_code": VILLAGE_B, "households": [fresh_b(w).pk]}),
         Case(NO_EFFECT, status=422, effect=_started(fresh_b), witness=False,
              note="county B's household in a county-A batch",
              data=lambda w: {"type": "identification_2014", "area_code": VILLAGE_A,
                              "households": [fresh_b(w).pk]}))
register("GET /api/v1/procedures/batches/{batch_id}", Case(NOT_FOUND, kwargs=lambda w: {"batch_id": batch_b(w).pk}))
register("POST /api/v1/procedures/batches/{batch_id}/act",
         Case(NOT_FOUND, kwargs=lambda w: {"batch_id": batch_b(w).pk},
              data=lambda w: {"step": "village_notice", "action": "close"}))
register("POST /api/v1/procedures/batches/{batch_id}/objections",
         Case(NOT_FOUND, kwargs=lambda w: {"batch_id": batch_b(w).pk},
              data=lambda w: {"member": w.proc_member_b.pk, "content": "异议"}))
register("POST /api/v1/procedures/objections/{objection_id}/resolve",
         Case(NOT_FOUND, kwargs=lambda w: {"objection_id": objection_b(w).pk},
              data=lambda w: {"upheld": False, "text": "答复"}))


# --- documents (issue 6) ------------------------------------------------------------------

def _stored_docs_b(w):
    """County B's batch with its documents stored (a small stand-in file, so the
    witness's download does not render PDFs)."""
    from django.core.files.base import ContentFile

    from fupin.procedures.models import StepDocument

    if not hasattr(w, "proc_docs_b"):
        docs = list(StepDocument.objects.filter(record__batch=batch_b(w)).order_by("pk"))
        for d in docs:
            if not d.file:
                d.file.save(f"scoping-{d.pk}.pdf", ContentFile("%PDF-1.4 龙南 test".encode()), save=True)
        w.proc_docs_b = docs
    return w.proc_docs_b


def _doc_b(w) -> dict:
    return {"pk": batch_b(w).pk, "doc_pk": _stored_docs_b(w)[-1].pk}


def _new_version_b(w) -> bool:
    from fupin.procedures.models import StepDocument

    return StepDocument.objects.filter(record__batch=batch_b(w), version__gt=1).exists()


register("procedures:document",
         Case(NOT_FOUND, kwargs=_doc_b),
         Case(NOT_FOUND, kwargs=_doc_b, role="helper", area=VILLAGE_A))
register("procedures:documents_zip",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": batch_b(w).pk} if _stored_docs_b(w) else {}))
register("procedures:document_regenerate",
         Case(NOT_FOUND, method="post", kwargs=_doc_b, data=lambda w: {"note": "龙南 更正"}),
         Case(NO_EFFECT, method="post", kwargs=_doc_b, data=lambda w: {"note": "龙南 更正"}, effect=_new_version_b,
              status=404))


# --- the zip's job and the documents API (brief C) -------------------------------------------------

def _one_missing_b(w) -> dict:
    """County B's batch with every document stored but one (the witness's job then
    renders a single PDF)."""
    from django.core.files.base import ContentFile

    from fupin.procedures import documents

    if not hasattr(w, "proc_one_missing_b"):
        latest = documents.latest(documents.documents_of(batch_b(w)))
        for d in latest[:-1]:
            if not d.file:
                d.file.save(f"scoping-{d.pk}.pdf", ContentFile("%PDF-1.4 龙南 test".encode()), save=True)
        w.proc_one_missing_b = latest[-1]
    return {"pk": batch_b(w).pk}


def _render_job_b(w) -> bool:
    from fupin.jobs.models import Job
    from fupin.procedures.actions import RENDER_JOB

    return Job.objects.filter(kind=RENDER_JOB, params__batch=batch_b(w).pk).exists()


register("procedures:documents_prepare",
         Case(NOT_FOUND, kwargs=_one_missing_b),
         Case(NOT_FOUND, kwargs=_one_missing_b, role="helper", area=VILLAGE_A),
         Case(NO_EFFECT, method="post", kwargs=_one_missing_b, effect=_render_job_b, status=404))
register("GET /api/v1/procedures/batches/{batch_id}/documents",
         Case(NOT_FOUND, kwargs=lambda w: {"batch_id": batch_b(w).pk}),
         Case(NOT_FOUND, kwargs=lambda w: {"batch_id": batch_b(w).pk}, role="village_cadre", area=VILLAGE_A))
register("GET /api/v1/procedures/documents/{document_id}",
         Case(NOT_FOUND, kwargs=lambda w: {"document_id": _stored_docs_b(w)[-1].pk}),
         Case(NO_EFFECT, kwargs=lambda w: {"document_id": _stored_docs_b(w)[-1].pk}, status=404,
              effect=lambda w: AuditEvent.objects.filter(action="procedures.document.download").exists()))
