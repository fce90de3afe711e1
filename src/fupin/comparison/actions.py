"""Every write of the data comparison: starting an import or a matching
job, and the verification queue (village decision → township review → county archive).
Each checks permission at the record's area, validates, writes and records the audit
event. The bulk import is in importers.py (the cut-off dates are identification's:
identification.actions.save_cutoff), the set-based matching in matching.py.

An approved decision becomes a veto fact of identification (``MemberFact``, source
``comparison:<hit id>``), written through identification's own actions (add_fact,
decide_fact): confirmed vetoes, kept (with its reason) and data errors never do.
Hits after the cut-off are recorded for information only and are never decided."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from fupin.accounts.scoping import home_code, require, scope_for
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Forbidden, Invalid, check_version
from fupin.core.uploads import sent_name

from . import rules
from .models import ExternalDataset, Hit

IMPORT_JOB, MATCH_JOB, LINKAGE_JOB = "comparison.import", "comparison.match", "comparison.linkage"
HIT_FIELDS = ["status", "decision", "reason", "review_note", "fact_id"]


# --- import and matching jobs ----------------------------------------------------------

def check_import(actor: Actor, *, kind: str, source: str, as_of, area_code: str = ""):
    """The import's parameters, checked: (Kind, source, as-of date, area code)."""
    try:
        k = rules.kind(kind)
    except ValueError as exc:
        raise Invalid(str(exc), field="kind") from None
    source = (source or "").strip()
    if not source:
        raise Invalid(_("Name the source of the data set (department, document)."), field="source")
    try:
        as_of = rules.parse_date(as_of)
    except ValueError as exc:
        raise Invalid(_("As-of date: %(reason)s") % {"reason": exc}, field="as_of") from None
    if as_of > clock.today():
        raise Invalid(_("The as-of date is in the future."), field="as_of")
    area_code = (area_code or "").strip()
    if not area_code and not actor.is_system:
        area_code = home_code(actor.user, rules.IMPORT)
    if area_code:
        if not Area.objects.filter(code=area_code, valid_to__isnull=True).exclude(level=area_rules.GROUP).exists():
            raise Invalid(_("No current area has the code %(code)s.") % {"code": area_code}, field="area_code")
    if not actor.is_system and (scope_for(actor.user, rules.IMPORT).is_empty
                                or not allowed(actor, rules.IMPORT, area_code)):
        raise Forbidden()
    return k, source, as_of, area_code


def allowed(actor: Actor, perm: str, area_code: str) -> bool:
    """Whether the actor may do ``perm`` at ``area_code`` ('' = the whole country)."""
    if actor.is_system:
        return True
    scope = scope_for(actor.user, perm)
    return scope.is_everything if not area_code else scope.contains(area_code)


def start_import(actor: Actor, path, *, kind: str, source: str, as_of, area_code: str = "", name: str = "",
                 file_name: str = "", dry_run: bool = False):
    """Import a data set as a job. ``file_name``: the name the file was sent with, kept (the
    job's title and data, the data set's file) as core.uploads.sent_name shows it."""
    from fupin.jobs import actions as jobs

    from .tasks import import_dataset_task

    k, source, as_of, area_code = check_import(actor, kind=kind, source=source, as_of=as_of, area_code=area_code)
    file_name = sent_name(file_name, ExternalDataset._meta.get_field("file_name").max_length)
    title = (_("Check %(kind)s: %(name)s") if dry_run else _("Import %(kind)s: %(name)s")) % {
        "kind": k.zh, "name": file_name or name}
    return jobs.start(actor, import_dataset_task, kind=IMPORT_JOB, title=title, area_code=area_code,
                      params={"path": str(path), "kind": k.code, "source": source, "as_of": as_of.isoformat(),
                              "area_code": area_code, "name": name, "file_name": file_name, "dry_run": dry_run})


def start_match(actor: Actor, dataset: ExternalDataset):
    from fupin.jobs import actions as jobs

    from .tasks import match_dataset_task

    if not actor.is_system and not allowed(actor, rules.IMPORT, dataset.area_code):
        raise Forbidden()
    return jobs.start(actor, match_dataset_task, kind=MATCH_JOB,
                      title=(_("Match %(name)s with the registry") % {"name": dataset.name}),
                      area_code=dataset.area_code, params={"dataset": dataset.pk})


def start_linkage_export(actor: Actor, dataset: ExternalDataset):
    """The linkage report as a file (a job: a province's lists are long). The caller has
    checked that the user sees the data set; the job lists what the user may see."""
    from fupin.jobs import actions as jobs

    from .tasks import linkage_export_task

    if not actor.is_system and scope_for(actor.user, rules.VIEW).is_empty:
        raise Forbidden()
    return jobs.start(actor, linkage_export_task, kind=LINKAGE_JOB,
                      title=(_("Linkage report: %(name)s") % {"name": dataset.name}),
                      area_code="" if actor.is_system else home_code(actor.user, rules.VIEW),
                      params={"dataset": dataset.pk})


# --- the verification queue ---------------------------------------------------------------

def _locked(hit: Hit) -> Hit:
    return Hit.objects.select_for_update().select_related("member", "household").get(pk=hit.pk)


def _save(actor: Actor, hit: Hit, action: str, before: dict, fields: list[str]) -> Hit:
    hit.version = F("version") + 1
    hit.save(update_fields=[*fields, "version"])
    hit.refresh_from_db()
    audit.record(actor, action, obj=hit, area_code=hit.area_code, before=before,
                 after=audit.snapshot(hit, HIT_FIELDS))
    return hit


@transaction.atomic
def decide(actor: Actor, hit: Hit, *, decision: str, reason: str = "", version=None) -> Hit:
    """The village's decision on a hit before the cut-off: veto confirmed, kept despite
    the hit (a written reason is required) or a data error. It can be changed until the
    township has reviewed it."""
    hit = _locked(hit)
    require(actor, rules.DECIDE, hit.area_code)
    check_version(hit, version)
    if hit.phase not in rules.NEEDS_DECISION:
        raise Invalid(_("This hit is dated after the identification cut-off (or is information only): it never "
                        "vetoes and needs no decision."), field="decision")
    if hit.status not in (rules.OPEN, rules.DECIDED):
        raise Invalid(_("The township has reviewed this hit already; it cannot be decided again."),
                      field="decision")
    try:
        reason = rules.check_decision(decision, reason)
    except ValueError as exc:
        raise Invalid(str(exc), field="reason" if decision in rules.DECISIONS else "decision") from None
    before = audit.snapshot(hit, HIT_FIELDS)
    hit.status, hit.decision, hit.reason = rules.DECIDED, decision, reason
    hit.decided_by, hit.decided_at = actor.user, clock.now()
    return _save(actor, hit, "comparison.hit.decide", before,
                 ["status", "decision", "reason", "decided_by", "decided_at"])


@transaction.atomic
def approve(actor: Actor, hit: Hit, *, note: str = "", version=None) -> Hit:
    """The township approves the village's decision; it becomes a veto fact."""
    hit = _locked(hit)
    require(actor, rules.REVIEW, hit.area_code)
    check_version(hit, version)
    if hit.status != rules.DECIDED:
        raise Invalid(_("Only a hit the village has decided can be approved."), field="status")
    if not actor.is_system and not rules.may_review(hit.decided_by_id, actor.user.pk):
        raise Invalid(_("You decided this hit yourself; another officer reviews it."), field="status")
    before = audit.snapshot(hit, HIT_FIELDS)
    hit.status, hit.review_note = rules.APPROVED, (note or "").strip()
    hit.reviewed_by, hit.reviewed_at = actor.user, clock.now()
    hit.fact = _write_fact(actor, hit)
    return _save(actor, hit, "comparison.hit.approve", before,
                 ["status", "review_note", "reviewed_by", "reviewed_at", "fact"])


@transaction.atomic
def send_back(actor: Actor, hit: Hit, *, note: str, version=None) -> Hit:
    """The township sends a decision back to the village, saying why."""
    hit = _locked(hit)
    require(actor, rules.REVIEW, hit.area_code)
    check_version(hit, version)
    if hit.status != rules.DECIDED:
        raise Invalid(_("Only a hit the village has decided can be sent back."), field="status")
    note = (note or "").strip()
    if not note:
        raise Invalid(_("Say why the decision goes back to the village."), field="note")
    before = audit.snapshot(hit, HIT_FIELDS)
    hit.status, hit.review_note = rules.OPEN, note
    hit.reviewed_by, hit.reviewed_at = actor.user, clock.now()
    return _save(actor, hit, "comparison.hit.send_back", before, ["status", "review_note", "reviewed_by",
                                                                   "reviewed_at"])


@transaction.atomic
def archive(actor: Actor, hit: Hit, *, version=None) -> Hit:
    hit = _locked(hit)
    require(actor, rules.ARCHIVE, hit.area_code)
    check_version(hit, version)
    if hit.status != rules.APPROVED:
        raise Invalid(_("Only a hit the township has approved can be archived."), field="status")
    before = audit.snapshot(hit, HIT_FIELDS)
    hit.status, hit.archived_by, hit.archived_at = rules.ARCHIVED, actor.user, clock.now()
    return _save(actor, hit, "comparison.hit.archive", before, ["status", "archived_by", "archived_at"])


@transaction.atomic
def archive_area(actor: Actor, area_code: str, *, dataset: ExternalDataset | None = None) -> int:
    """The county archives every approved hit of an area (set-based: one UPDATE, one
    bulk audit event listing the hits)."""
    require(actor, rules.ARCHIVE, area_code or None)
    qs = Hit.objects.filter(status=rules.APPROVED)
    if not actor.is_system:
        qs = scope_for(actor.user, rules.ARCHIVE).filter(qs)
    prefix = rules.area_prefix(area_code)
    if prefix:
        qs = qs.filter(area_code__startswith=prefix)
    if dataset is not None:
        qs = qs.filter(dataset=dataset)
    now = clock.now()
    n = qs.update(status=rules.ARCHIVED, archived_by=actor.user, archived_at=now, version=F("version") + 1)
    if not n:
        return 0
    event = audit.record(actor, "comparison.hit.archive_bulk", kind="bulk", object_type="comparison.hit",
                         area_code=area_code, count=n, after={"status": rules.ARCHIVED},
                         note=dataset.name if dataset else "")
    sql, params = (Hit.objects.filter(status=rules.ARCHIVED, archived_at=now, archived_by=actor.user).order_by()
                   .annotate(hit_id=F("id")).values("hit_id").query.sql_with_params())
    audit.record_items_select(event, f"SELECT h.hit_id AS object_id, 'archived' AS change FROM ({sql}) h",  # noqa: S608
                              params)
    return n


def _write_fact(actor: Actor, hit: Hit):
    """The approved decision as an identification fact (created or re-decided)."""
    from fupin.identification import actions as identification
    from fupin.identification.models import MemberFact

    kind = rules.kinds()[hit.kind]
    if not kind.veto_fact:
        return None
    status = rules.FACT_STATUS[hit.decision]
    reason = hit.reason
    fact = MemberFact.objects.filter(source=f"comparison:{hit.pk}").first()
    if fact is None:
        record = hit.record
        detail = " ".join(x for x in (kind.zh, record.key, hit.dataset.name) if x)[:200]
        fact = identification.add_fact(actor, hit.household, member=hit.member, kind=kind.veto_fact,
                                       value=hit.amount, as_of=hit.event_date, detail=detail,
                                       source=f"comparison:{hit.pk}")
    return identification.decide_fact(actor, fact, status=status, reason=reason)
