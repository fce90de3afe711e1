"""Pages of the procedure engine: batches in scope, starting a batch, a batch with its
steps timeline, the current step's form, objections; the printable notice; the
procedure types (read by all, edited by administrators)."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.scoping import can, scope_for
from fupin.areas.rules import LEVEL_LABELS
from fupin.core.actor import Actor
from fupin.core.errors import ActionError, Forbidden, NotFound, Unavailable
from fupin.core.views_util import get_or_404, require_perm
from fupin.registry import codes

from . import actions, documents, labels, queries, rules
from .forms import CopyTypeForm, ObjectionForm, ResolveForm, TypeForm
from .models import BatchMember, Objection, ProcedureType, StepDocument

log = logging.getLogger(__name__)

VIEW = queries.VIEW


def _can_act_somewhere(user) -> bool:
    return any(can(user, perm) for perm in actions.ACT_PERMISSIONS)


# --- list and start ----------------------------------------------------------------------

@require_perm(VIEW)
def batch_list(request):
    qs = queries.batches(request.user)
    status, type_code, q = request.GET.get("status", ""), request.GET.get("type", ""), request.GET.get("q", "").strip()
    if status in (rules.OPEN, rules.DONE, rules.CANCELLED):
        qs = qs.filter(status=status)
    if type_code:
        qs = qs.filter(type__code=type_code)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(area__name__icontains=q) | Q(area_code__startswith=q))
    page = Paginator(qs.order_by("-created_at", "-id"), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    counts = queries.member_counts(b.pk for b in page)
    for b in page:
        b.counts = counts.get(b.pk, {})
    return render(request, "procedures/list.html", {
        "page_obj": page, "status": status, "type_code": type_code, "q": q, "types": queries.types(),
        "statuses": [(rules.OPEN, _("In progress")), (rules.DONE, _("Completed")), (rules.CANCELLED, _("Cancelled"))],
        "can_start": _can_act_somewhere(request.user)})


def start(request):
    """Choose a type and an area, then the households (status and not in another
    procedure), and start the batch."""
    if not _can_act_somewhere(request.user):
        raise Forbidden()
    params = request.POST if request.method == "POST" else request.GET
    ptypes = queries.types(active_only=True)
    ptype = ptypes.filter(code=params.get("type", "")).first() or ptypes.first()
    perm = (ptype.definition.get("start", {}).get("permission") if ptype else None) or "procedures.village"
    area, area_error, candidates = None, "", None
    code = params.get("area", "").strip()
    if code:
        area = queries.start_areas(request.user, perm).filter(code=code).first()
        if area is None:
            area_error = _("Not a village, township or county where you may start this procedure.")
    q = params.get("q", "").strip()
    if area is not None and ptype is not None:
        candidates = list(queries.eligible_households(request.user, ptype, area, perm, q)[:2000])
        for h in candidates:
            h.status_label = codes.label("status", h.status)
    if request.method == "POST" and area is not None and ptype is not None:
        try:
            batch = actions.start_batch(Actor.from_request(request), ptype, area, request.POST.getlist("households"),
                                        title=request.POST.get("title", ""))
        except NotFound:
            raise
        except ActionError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("The batch has started with %(n)s households.") % {
                "n": batch.members.count()})
            return redirect("procedures:batch", pk=batch.pk)
    return render(request, "procedures/start.html", {
        "ptypes": ptypes, "ptype": ptype, "area": area, "area_code": code, "area_error": area_error,
        "candidates": candidates, "q": q,
        "home_areas": queries.start_areas(request.user, perm).filter(
            code__in=[p.ljust(12, "0") for p in scope_for(request.user, perm).prefixes if len(p) <= 12])})


# --- a batch -----------------------------------------------------------------------------

def _timeline(batch, records):
    out = []
    for i, step in enumerate(batch.steps):
        record = records.get(i)
        if record is not None and record.closed:
            state = "done"
        elif batch.status == rules.OPEN and i == batch.step_index:
            state = "current"
        elif record is None and batch.parent_id and i < batch.step_index:
            state = "parent"  # done in the batch this one continues
        else:
            state = "future" if batch.status == rules.OPEN else "skipped"
        row = {"index": i, "step": step, "record": record, "state": state,
               "name": labels.localized(step),
               "level": LEVEL_LABELS.get(step["level"], step["level"])}
        if step["kind"] == rules.NOTICE and record is not None and record.started:
            row["last_day"] = rules.notice_last_day(record.started, step["days"])
            row["earliest_close"] = rules.notice_earliest_close(record.started, step["days"])
        if step["kind"] == rules.APPRAISAL and record is not None:
            row["meeting"] = getattr(record, "meeting", None) if _has_meeting(record) else None
        out.append(row)
    return out


def _has_meeting(record) -> bool:
    from .models import AppraisalMeeting

    try:
        return record.meeting is not None
    except AppraisalMeeting.DoesNotExist:
        return False


def _member_rows(members, posted):
    rows = []
    for m in members:
        rows.append({
            "m": m,
            "for": posted.get(f"for_{m.pk}", ""), "against": posted.get(f"against_{m.pk}", ""),
            "abstain": posted.get(f"abstain_{m.pk}", ""),
            "reject": posted.get(f"reject_{m.pk}") == "on", "reason": posted.get(f"reason_{m.pk}", ""),
        })
    return rows


def _detail_context(request, batch, posted=None):
    posted = posted or {}
    records = queries.records(batch)
    members = list(queries.members(batch))
    step = batch.current_step
    record = records.get(batch.step_index) if step else None
    counts = queries.member_counts([batch.pk]).get(batch.pk, {})
    ctx = {
        "batch": batch, "timeline": _timeline(batch, records), "members": members,
        "counts": counts,
        "objections": list(queries.objections(batch)), "step": step, "record": record,
        "step_label": labels.localized(step) if step else "",
        "children": batch.children.all(), "posted": posted, "today": actions._today(),
        "count_rows": [(label, counts[state]) for state, label in BatchMember.STATE_CHOICES if counts.get(state)],
        "objection_form": ObjectionForm(), "resolve_form": ResolveForm(),
    }
    if step is not None:
        ctx["can_act"] = can(request.user, step["permission"], batch.area_code)
        ctx["active_rows"] = _member_rows([m for m in members if m.state == rules.ACTIVE], posted)
        if step["kind"] == rules.APPRAISAL:
            ctx["rule_text"] = rules.rule_text(step["pass_rule"])
        if step["kind"] == rules.NOTICE and record is not None and record.started:
            ctx["last_day"] = rules.notice_last_day(record.started, step["days"])
            ctx["earliest_close"] = rules.notice_earliest_close(record.started, step["days"])
            ctx["may_close"] = rules.notice_may_close(record.started, step["days"], actions._today())
            ctx["can_raise"] = can(request.user, step.get("objection_permission") or step["permission"],
                                   batch.area_code) and ctx["today"] <= ctx["last_day"]
            listed = set(record.listed)
            ctx["listed_members"] = [m for m in members if m.pk in listed and m.state in (rules.ACTIVE, rules.HELD)]
    _documents_context(request, batch, ctx)
    for o in ctx["objections"]:
        sdef = batch.steps[o.record.index]
        o.can_resolve = o.status == Objection.OPEN and can(
            request.user, sdef.get("resolve_permission") or sdef["permission"], batch.area_code)
        o.step_name = labels.localized(sdef)
    return ctx


def _documents_context(request, batch, ctx) -> None:
    """The documents of each step (every version, newest first) and whether the user may
    make a new version (the step's permission in the batch's area)."""
    docs = documents.documents_of(batch)
    by_index: dict[int, list] = {}
    for d in sorted(docs, key=lambda d: (d.record.index, d.code, -d.version)):
        d.can_regenerate = can(request.user, batch.steps[d.record.index]["permission"], batch.area_code)
        d.is_latest = not by_index.get(d.record.index) or by_index[d.record.index][-1].code != d.code
        by_index.setdefault(d.record.index, []).append(d)
    for row in ctx["timeline"]:
        row["docs"] = by_index.get(row["index"], [])
    ctx["documents"] = docs


@require_perm(VIEW)
def batch_detail(request, pk):
    batch = queries.batch(request.user, pk)
    return render(request, "procedures/batch.html", _detail_context(request, batch))


def _ints(values):
    out = []
    for v in values:
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            continue
    return out


def _act_data(request, batch) -> dict:
    post, action = request.POST, request.POST.get("action", "")
    data = {"step": post.get("step", ""), "action": action, "version": post.get("version") or None,
            "notes": post.get("notes", "")}
    active = [m.pk for m in batch.members.filter(state=rules.ACTIVE)]
    if action == "appraise":
        data.update(held_on=post.get("held_on") or None, total=post.get("total"), present=post.get("present"),
                    minutes=post.get("minutes", ""),
                    votes={pk: [post.get(f"{k}_{pk}") or 0 for k in ("for", "against", "abstain")] for pk in active
                           if any(post.get(f"{k}_{pk}", "").strip() for k in ("for", "against", "abstain"))})
    elif action == "decide":
        data["rejected"] = {pk: post.get(f"reason_{pk}", "") for pk in active if post.get(f"reject_{pk}") == "on"}
    elif action == "withdraw":
        data.update(members=_ints(post.getlist("members")), reason=post.get("reason", ""))
    return data


@require_POST
@require_perm(VIEW)
def act(request, pk):
    batch = queries.batch(request.user, pk)
    try:
        actions.act(Actor.from_request(request), batch, **_act_data(request, batch))
    except NotFound:
        raise
    except ActionError as exc:
        messages.error(request, str(exc.message))
        batch.refresh_from_db()
        return render(request, "procedures/batch.html", _detail_context(request, batch, request.POST),
                      status=exc.status)
    messages.success(request, _("Done."))
    return redirect("procedures:batch", pk=batch.pk)


@require_POST
@require_perm(VIEW)
def objection_raise(request, pk):
    batch = queries.batch(request.user, pk)
    form = ObjectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}"
                                         for f, e in form.errors.items()))
        return redirect("procedures:batch", pk=batch.pk)
    try:
        actions.raise_objection(Actor.from_request(request), batch, form.cleaned_data["member"],
                                content=form.cleaned_data["content"],
                                objector_name=form.cleaned_data["objector_name"],
                                objector_contact=form.cleaned_data["objector_contact"],
                                received_on=form.cleaned_data["received_on"])
    except NotFound:
        raise
    except ActionError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The objection is recorded; the household is held until it is decided."))
    return redirect("procedures:batch", pk=batch.pk)


@require_POST
@require_perm(VIEW)
def objection_resolve(request, pk):
    objection = queries.objection(request.user, pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision and write the answer or the reason."))
        return redirect("procedures:batch", pk=objection.batch_id)
    try:
        actions.resolve_objection(Actor.from_request(request), objection,
                                  upheld=form.cleaned_data["decision"] == "upheld", text=form.cleaned_data["text"])
    except NotFound:
        raise
    except ActionError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The objection is decided."))
    return redirect("procedures:batch", pk=objection.batch_id)


@require_perm(VIEW)
def notice(request, pk, index):
    """The printable list of a notice step: names and villages, ID numbers masked."""
    batch = queries.batch(request.user, pk)
    if index >= len(batch.steps) or batch.steps[index]["kind"] != rules.NOTICE:
        raise Http404
    record = get_or_404(batch.records.filter(started__isnull=False), index=index)
    step = batch.steps[index]
    return render(request, "procedures/notice.html", {
        "batch": batch, "step": step, "record": record, "members": queries.notice_members(record),
        "last_day": rules.notice_last_day(record.started, step["days"])})


# --- documents ---------------------------------------------------------------------------

def _pdf(body: bytes, name: str, *, inline: bool = True, content_type: str = "application/pdf") -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{escape_uri_path(name)}"
    return response


def _document(request, pk, doc_pk) -> tuple:
    batch = queries.batch(request.user, pk)
    doc = get_or_404(StepDocument.objects.filter(record__batch=batch).select_related("record"), pk=doc_pk)
    return batch, doc


@require_perm(VIEW)
def document(request, pk, doc_pk):
    """A step's document as PDF (rendered from its snapshot and stored the first time).
    It lists people: the download is logged as an export. actions.download_document
    decides every answer, the API's too; one it cannot give now (Unavailable) is a
    message on the batch's page."""
    batch, doc = _document(request, pk, doc_pk)
    doc.record.batch = batch
    try:
        doc, body = actions.download_document(Actor.from_request(request), doc)
    except Unavailable as exc:
        messages.error(request, str(exc.message))
        return redirect("procedures:batch", pk=batch.pk)
    return _pdf(body, documents.filename(doc))


@require_perm(VIEW)
def documents_zip(request, pk):
    """The latest version of every document of a batch in one zip, built from the stored
    PDFs (logged as one export). Nothing is rendered here: while some document has no
    PDF yet, this sends the officer to ``documents_prepare``, where a background job
    renders them (about a second a document) and then offers the zip."""
    batch = queries.batch(request.user, pk)
    docs = documents.latest(documents.documents_of(batch))
    if not docs:
        raise Http404
    if documents.missing(docs):
        return redirect("procedures:documents_prepare", pk=batch.pk)
    try:
        body = documents.zip_bytes(docs)
    except OSError:  # a stored file gone from storage
        log.exception("documents of batch %s could not be read", batch.pk)
        messages.error(request, _("A stored document could not be read; tell the administrator."))
        return redirect("procedures:batch", pk=batch.pk)
    documents.log_download(Actor.from_request(request), batch, docs)
    return _pdf(body, f"batch-{batch.pk}-documents.zip", inline=False, content_type="application/zip")


@require_perm(VIEW)
def documents_prepare(request, pk):
    """Before the zip: how many of the batch's documents are generated, the job that
    generates the others (started here with POST; its progress refreshes this page),
    and the zip once every document is stored."""
    batch = queries.batch(request.user, pk)
    docs = documents.latest(documents.documents_of(batch))
    if not docs:
        raise Http404
    if request.method == "POST":
        try:
            actions.start_rendering(Actor.from_request(request), batch)
        except (NotFound, Forbidden):
            raise
        except ActionError as exc:
            messages.error(request, str(exc.message))
        return redirect("procedures:documents_prepare", pk=batch.pk)
    missing = documents.missing(docs)
    template = "procedures/_documents_prepare.html" if request.headers.get("HX-Request") else \
        "procedures/documents_prepare.html"
    return render(request, template, {"batch": batch, "total": len(docs), "missing": missing,
                                      "ready": len(docs) - len(missing), "job": queries.documents_job(request.user, batch)})


@require_POST
@require_perm(VIEW)
def document_regenerate(request, pk, doc_pk):
    """A new version of a document from the record as it is now (the stored ones stay)."""
    batch, doc = _document(request, pk, doc_pk)
    try:
        new = actions.regenerate_document(Actor.from_request(request), doc, note=request.POST.get("note", ""))
    except (NotFound, Forbidden):
        raise
    except ActionError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Version %(v)s of “%(title)s” is made from the record as it is now; the earlier "
                                    "versions are kept.") % {"v": new.version, "title": new.title})
    return redirect("procedures:batch", pk=batch.pk)


# --- types -------------------------------------------------------------------------------

@require_perm(VIEW)
def type_list(request):
    ptypes = list(queries.types())
    for t in ptypes:
        t.purpose_label = labels.purpose_label(t.purpose)
    return render(request, "procedures/types.html", {
        "ptypes": ptypes, "can_edit": can(request.user, "procedures.types")})


@require_perm(VIEW)
def type_detail(request, code):
    ptype = get_or_404(queries.types(), code=code)
    can_edit = can(request.user, "procedures.types")
    form = TypeForm(initial={"definition": json.dumps(ptype.definition, ensure_ascii=False, indent=2),
                             "active": ptype.active})
    if request.method == "POST":
        if not can_edit:
            raise Forbidden()
        form = TypeForm(request.POST)
        if form.is_valid():
            try:
                actions.save_type(Actor.from_request(request), ptype, form.cleaned_data["definition"],
                                  active=form.cleaned_data["active"])
            except ActionError as exc:
                for message in exc.details.get("errors") or [str(exc.message)]:
                    form.add_error("definition", message)
            else:
                messages.success(request, _("The procedure type is saved. Running batches keep the steps they "
                                            "started with."))
                return redirect("procedures:type", code=ptype.code)
    titles = rules.document_titles(ptype.definition)
    steps = [{**s, "label": labels.localized(s), "kind_label": labels.kind_label(s),
              "level_label": LEVEL_LABELS.get(s["level"], s["level"]),
              "permission_label": labels.permission_label(s.get("permission", "")),
              "document_labels": [labels.localized(titles[d]) if d in titles else d for d in s.get("documents", [])]}
             for s in ptype.steps]
    start = ptype.definition.get("start") or {}
    return render(request, "procedures/type.html", {
        "ptype": ptype, "steps": steps, "form": form, "can_edit": can_edit, "copy_form": CopyTypeForm(),
        "documents": titles, "purpose_label": labels.purpose_label(ptype.purpose),
        "start_statuses": labels.status_labels(start.get("statuses")),
        "start_checks": [(c, labels.check_label(c)) for c in start.get("checks", [])],
        "on_complete": ptype.definition.get("on_complete") or {},
        "on_complete_label": labels.hook_label(ptype.definition.get("on_complete"))})


@require_POST
@require_perm("procedures.types")
def type_copy(request, code):
    ptype = get_or_404(ProcedureType.objects.all(), code=code)
    form = CopyTypeForm(request.POST)
    if form.is_valid():
        try:
            new = actions.copy_type(Actor.from_request(request), ptype, form.cleaned_data["code"])
        except ActionError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Copied. Edit the new type, then switch it on."))
            return redirect("procedures:type", code=new.code)
    else:
        messages.error(request, _("Give the code of the new type."))
    return redirect("procedures:type", code=ptype.code)

