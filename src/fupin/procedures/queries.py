"""Scoped reads of procedures. A batch belongs to its area (village, township or
county): it is visible where the user may see the registry (``registry.view``) of
that area; its members and objections are read through the batch."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Subquery

from fupin.accounts.scoping import scope_for
from fupin.areas.models import Area
from fupin.registry.models import Household, Member

from . import rules
from .models import BatchMember, Objection, ProcedureBatch, ProcedureType, StepDocument, StepRecord

VIEW = "registry.view"


def types(active_only: bool = False):
    """Procedure types are national data, not owned by an area."""
    qs = ProcedureType.objects.all()
    return qs.filter(active=True) if active_only else qs


def batches(user, perm: str = VIEW):
    return scope_for(user, perm).filter(ProcedureBatch.objects.select_related("type", "area", "created_by"))


def member_counts(batch_ids) -> dict[int, dict[str, int]]:
    """{batch id: {state: households}} for a page of batches, in one GROUP BY."""
    out: dict[int, dict[str, int]] = {}
    rows = (BatchMember.objects.filter(batch_id__in=list(batch_ids)).order_by().values("batch_id", "state")
            .annotate(n=Count("id")))
    for r in rows:
        out.setdefault(r["batch_id"], {})[r["state"]] = r["n"]
    open_objections = (Objection.objects.filter(batch_id__in=list(batch_ids), status=Objection.OPEN).order_by()
                       .values("batch_id").annotate(n=Count("id")))
    for r in open_objections:
        out.setdefault(r["batch_id"], {})["objections"] = r["n"]
    return out


def batch(user, pk, perm: str = VIEW) -> ProcedureBatch:
    return scope_for(user, perm).get(ProcedureBatch.objects.select_related("type", "area", "created_by", "parent"),
                                     pk=pk)


def objection(user, pk, perm: str = VIEW) -> Objection:
    """An objection, scoped by its batch's area."""
    return scope_for(user, perm).get(Objection.objects.select_related("batch", "member__household", "record"),
                                     "batch__area_code", pk=pk)


def document(user, pk, perm: str = VIEW) -> StepDocument:
    """A step's document (any version), scoped by its batch's area."""
    return scope_for(user, perm).get(
        StepDocument.objects.select_related("record__batch__type", "record__batch__area", "created_by"),
        "record__batch__area_code", pk=pk)


def documents_job(user, batch: ProcedureBatch):
    """The newest job rendering ``batch``'s documents that the user may see (theirs, or
    their area's with ``jobs.view``), or None."""
    from fupin.jobs.queries import visible_jobs

    from .actions import RENDER_JOB

    return visible_jobs(user).filter(kind=RENDER_JOB, params__batch=batch.pk).order_by("-created_at").first()


def _head_id():
    return Subquery(Member.objects.filter(household=OuterRef("household_id"), active=True, relation="01")
                    .order_by("pk").values("id_number")[:1])


def members(batch: ProcedureBatch):
    return (batch.members.select_related("household", "household__village", "household__group", "moved_to")
            .annotate(head_id_number=_head_id()).order_by("area_code", "household__number"))


def records(batch: ProcedureBatch) -> dict[int, StepRecord]:
    return {r.index: r for r in batch.records.select_related("started_by", "closed_by").prefetch_related(
        "documents")}


def objections(batch: ProcedureBatch):
    return batch.objections.select_related("member__household", "record", "recorded_by", "resolved_by")


def notice_members(record: StepRecord):
    """The households a notice listed, with the head's ID number (shown masked)."""
    return (BatchMember.objects.filter(batch_id=record.batch_id, pk__in=record.listed)
            .select_related("household", "household__village", "household__group")
            .annotate(head_id_number=_head_id()).order_by("area_code", "household__number"))


def start_areas(user, perm: str):
    """Villages, townships and counties where the user may start a batch."""
    return scope_for(user, perm).filter(
        Area.objects.filter(valid_to__isnull=True, level__in=("village", "township", "county")), "code")


def eligible_households(user, ptype: ProcedureType, area: Area, perm: str, q: str = ""):
    """Households of ``area`` that may enter a batch of ``ptype``: inside the user's
    scope, in a status the type admits, and in no open procedure."""
    from fupin.registry.queries import search_households

    scope = scope_for(user, perm).narrow(area.prefix)
    busy = BatchMember.objects.filter(state__in=[rules.ACTIVE, rules.HELD], batch__status=rules.OPEN)
    statuses = ptype.definition.get("start", {}).get("statuses", [])
    qs = search_households(scope, q) if q else scope.filter(Household.objects.all())
    return (qs.filter(status__in=statuses).exclude(pk__in=busy.values("household_id"))
            .select_related("village", "group").order_by("area_code", "number"))


def household_batches(user, household: Household):
    """The procedures a household has been in (for its page)."""
    return scope_for(user, VIEW).filter(BatchMember.objects.filter(household=household)
                                        .select_related("batch", "batch__type"))
