"""Pages of the data comparison: data sets and their import, matching, the
verification queue, the seed's three forms, the 低保 linkage report and the cut-off
dates. Hits need ``comparison.view`` in their area; every view of hits, forms or the
linkage report is logged as a read, every download as an export (谁核查谁保密)."""

from __future__ import annotations

import tempfile
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.scoping import can, scope_for
from fupin.audit import actions as audit
from fupin.audit.models import AuditEvent
from fupin.core.actor import Actor
from fupin.core.errors import ActionError, Forbidden, NotFound
from fupin.core.tabular import write_xlsx
from fupin.core.uploads import save_upload
from fupin.core.views_util import require_perm
from fupin.identification import actions as identification_actions
from fupin.jobs.queries import visible_jobs

from . import actions, queries, reports, rules
from .forms import CutoffForm, DecisionForm, ImportForm, ReviewForm
from .models import ExternalDataset

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def require_any(*perms):
    """The page needs one of ``perms`` somewhere."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not any(can(request.user, p) for p in perms):
                raise Forbidden()
            return view(request, *args, **kwargs)

        wrapped.required_perm = perms[0]
        wrapped.required_perms = perms  # any one opens the page (core_tabs reads it to show the tab)
        return wrapped

    return decorator


def _form_error(form, exc: ActionError) -> None:
    field = {"area_code": "area"}.get(exc.field, exc.field)
    form.add_error(field if field in form.fields else None, str(exc.message))


def _actor(request) -> Actor:
    return Actor.from_request(request)


def _xlsx_response(build, filename: str) -> FileResponse:
    """Write the workbook to a temporary file (constant memory) and send it."""
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)
    tmp.close()
    path = Path(tmp.name)
    build(path)
    handle = path.open("rb")
    path.unlink()  # the open handle keeps the data until the response is sent
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)


def _area_names(codes) -> dict[str, str]:
    return reports.area_names(c for c in codes if c)


# --- home and data sets ----------------------------------------------------------------

@require_any(rules.VIEW, rules.IMPORT)
def home(request):
    datasets = list(queries.visible_datasets(request.user)[:50])
    names = _area_names(d.area_code for d in datasets)
    for d in datasets:
        d.area_name = names.get(d.area_code, d.area_code or _("The whole country"))
    can_view = can(request.user, rules.VIEW)
    jobs = (visible_jobs(request.user).filter(kind__in=[actions.IMPORT_JOB, actions.MATCH_JOB, actions.LINKAGE_JOB])
            .select_related("created_by").order_by("-created_at")[:10])
    return render(request, "comparison/home.html", {
        "datasets": datasets, "can_view": can_view, "can_import": can(request.user, rules.IMPORT),
        "queue": queries.queue_counts(request.user) if can_view else None,
        "linkage_datasets": [d for d in datasets if d.kind_def.linkage] if can_view else [],
        "jobs": jobs, "kinds": rules.kinds().values()})


@require_perm(rules.IMPORT)
def import_page(request):
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user,
                      initial={"area": _home(request.user, rules.IMPORT)})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        path = save_upload(upload, "comparison")
        try:
            job = actions.start_import(_actor(request), path, kind=form.cleaned_data["kind"],
                                       source=form.cleaned_data["source"], as_of=form.cleaned_data["as_of"],
                                       area_code=form.cleaned_data["area"], name=form.cleaned_data["name"],
                                       file_name=upload.name, dry_run=form.cleaned_data["dry_run"])
        except ActionError as exc:
            path.unlink(missing_ok=True)
            if exc.status == 403:
                raise
            _form_error(form, exc)
        else:
            return redirect("jobs:detail", pk=job.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "comparison/import.html", {"form": form, "kinds": rules.kinds().values()},
                  status=status)


def _home(user, perm) -> str:
    scope = scope_for(user, perm)
    if scope.is_empty or scope.is_everything:
        return ""
    return rules.padded(min(scope.prefixes, key=len))


@require_any(rules.VIEW, rules.IMPORT)
def template(request, kind):
    try:
        k = rules.kind(kind)
    except ValueError:
        raise NotFound() from None

    def build(path):
        write_xlsx(path, k.headers, [], sheet_name=k.zh,
                   extra_sheets={"填写说明": ([_("Column"), _("Required"), _("Type")],
                                          [[c.header, _("Yes") if c.required else "", c.type] for c in k.columns])})

    return _xlsx_response(build, f"{kind}-template.xlsx")


@require_any(rules.VIEW, rules.IMPORT)
def dataset(request, pk):
    ds = queries.dataset_or_404(request.user, pk)
    counts = queries.dataset_counts(request.user, ds)
    audit.record_read(_actor(request), "comparison.dataset.view", obj=ds, area_code=ds.area_code)
    history = (AuditEvent.objects.filter(object_type="comparison.externaldataset", object_id=str(ds.pk))
               .exclude(kind="read").order_by("-at")[:20])
    return render(request, "comparison/dataset.html", {
        "dataset": ds, "counts": counts, "kind": ds.kind_def,
        "area_name": _area_names([ds.area_code]).get(ds.area_code, ds.area_code or _("The whole country")),
        # the undated hits told apart by their cut-off (as a matching run counts them); each
        # links to the hit list filtered by the same code (queries.filtered_hits)
        "phases": [(code, label, counts["phases"][code]) for code, label in rules.MATCH_COUNTS.items()],
        "statuses": [(code, label, counts["statuses"][code]) for code, label in rules.STATUSES.items()],
        "can_view": can(request.user, rules.VIEW),
        "can_match": actions.allowed(_actor(request), rules.IMPORT, ds.area_code),
        "history": history if counts["whole"] else []})


@require_POST
@require_perm(rules.IMPORT)
def match(request, pk):
    ds = queries.dataset_or_404(request.user, pk)
    job = actions.start_match(_actor(request), ds)
    return redirect("jobs:detail", pk=job.pk)


# --- the verification queue ---------------------------------------------------------------

@require_perm(rules.VIEW)
def hits(request):
    qs = queries.filtered_hits(request.user, request.GET).select_related("member", "household", "dataset", "record")
    page = Paginator(qs.order_by("area_code", "household_id", "kind", "id"), settings.PAGE_SIZE).get_page(
        request.GET.get("page"))
    names = _area_names(h.area_code[:12] for h in page)
    for h in page:
        h.village_name = names.get(h.area_code[:12], h.area_code[:12])
    audit.record_read(_actor(request), "comparison.hits.view", object_type="comparison.hit",
                      area_code=_home(request.user, rules.VIEW), count=len(page.object_list),
                      note=request.GET.urlencode()[:500])
    datasets = queries.visible_datasets(request.user)[:100]
    return render(request, "comparison/hits.html", {
        "page_obj": page, "filters": {k: request.GET.get(k, "") for k in (*queries.FILTERS, "queue", "q")},
        "phases": rules.MATCH_COUNTS.items(), "statuses": rules.STATUSES.items(), "decisions": rules.DECISIONS.items(),
        "kinds": rules.kinds().values(), "datasets": datasets})


@require_perm(rules.VIEW)
def hit(request, pk, decision_form=None, review_form=None, status=200):
    h = queries.hit_or_404(request.user, pk)
    audit.record_read(_actor(request), "comparison.hit.view", obj=h, area_code=h.area_code)
    kind = rules.kinds().get(h.kind)
    columns = []
    if kind:
        data = h.record.data or {}
        columns = [(c.header, data.get(c.field)) for c in kind.extra_columns if data.get(c.field) not in (None, "")]
    user = request.user
    can_decide = can(user, rules.DECIDE, h.area_code) and h.needs_decision and h.status in (rules.OPEN,
                                                                                             rules.DECIDED)
    can_review = can(user, rules.REVIEW, h.area_code) and h.status == rules.DECIDED
    history = (AuditEvent.objects.filter(object_type="comparison.hit", object_id=str(h.pk)).exclude(kind="read")
               .order_by("-at")[:20])
    return render(request, "comparison/hit.html", {
        "hit": h, "kind": kind, "columns": columns,
        "village_name": _area_names([h.area_code[:12]]).get(h.area_code[:12], h.area_code),
        "decision_form": decision_form or (DecisionForm(initial={"decision": h.decision, "reason": h.reason,
                                                                 "version": h.version}) if can_decide else None),
        "review_form": review_form or (ReviewForm(initial={"version": h.version}) if can_review else None),
        "can_set_cutoff": can(user, rules.EDIT_CUTOFF, h.area_code),
        "own_decision": h.decided_by_id == user.pk,
        "can_archive": can(user, rules.ARCHIVE, h.area_code) and h.status == rules.APPROVED,
        "history": history}, status=status)


@require_POST
@require_perm(rules.DECIDE)
def decide(request, pk):
    h = queries.hit_or_404(request.user, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            actions.decide(_actor(request), h, decision=form.cleaned_data["decision"],
                           reason=form.cleaned_data["reason"], version=form.cleaned_data["version"])
        except ActionError as exc:
            if exc.status == 403:
                raise
            _form_error(form, exc)
        else:
            messages.success(request, _("Decision recorded; the township reviews it next."))
            return redirect("comparison:hit", pk=h.pk)
    return hit(request, pk, decision_form=form, status=400)


@require_POST
@require_perm(rules.REVIEW)
def review(request, pk):
    h = queries.hit_or_404(request.user, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == "approve":
                actions.approve(_actor(request), h, note=data["note"], version=data["version"])
                messages.success(request, _("Decision approved."))
            else:
                actions.send_back(_actor(request), h, note=data["note"], version=data["version"])
                messages.success(request, _("Sent back to the village."))
        except ActionError as exc:
            if exc.status == 403:
                raise
            _form_error(form, exc)
        else:
            return redirect("comparison:hit", pk=h.pk)
    return hit(request, pk, review_form=form, status=400)


@require_POST
@require_perm(rules.ARCHIVE)
def archive(request, pk):
    h = queries.hit_or_404(request.user, pk)
    try:
        actions.archive(_actor(request), h, version=request.POST.get("version"))
    except ActionError as exc:
        if exc.status == 403:
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Archived."))
    return redirect("comparison:hit", pk=h.pk)


@require_POST
@require_perm(rules.ARCHIVE)
def archive_area(request):
    """Archive every approved hit of an area (and data set) in the user's area."""
    area = request.POST.get("area", "").strip() or _home(request.user, rules.ARCHIVE)
    ds = None
    dataset = request.POST.get("dataset", "").strip()
    if dataset:  # a bulk write: a data set that is not an id is refused, never widened to every data set
        if not (dataset.isascii() and dataset.isdigit()):
            messages.error(request, _("Nothing was archived: the data set “%(value)s” is not a data set's number.")
                           % {"value": dataset[:40]})
            return redirect("comparison:forms")
        ds = queries.dataset_or_404(request.user, int(dataset))
    if not can(request.user, rules.ARCHIVE, area or None) or (not area and not scope_for(
            request.user, rules.ARCHIVE).is_everything):
        raise NotFound()
    n = actions.archive_area(_actor(request), area, dataset=ds)
    messages.success(request, _("%(n)s approved hits archived.") % {"n": n})
    return redirect(request.POST.get("next") if str(request.POST.get("next", "")).startswith("/comparison/")
                    else "comparison:forms")


# --- the three forms ------------------------------------------------------------------------

@require_perm(rules.VIEW)
def forms_page(request):
    qs = queries.filtered_hits(request.user, request.GET)
    rows = reports.summary(qs)
    audit.record_read(_actor(request), "comparison.forms.view", object_type="comparison.hit",
                      area_code=_home(request.user, rules.VIEW), count=len(rows), note=request.GET.urlencode()[:500])
    total = rows[-1].counts if rows and rows[-1].level == "total" else {}
    return render(request, "comparison/forms.html", {
        "rows": rows, "labels": reports.summary_labels(), "keys": list(reports.SUMMARY_COUNTS),
        # hits no cut-off date sorts (none is set for their area), and whether the user may set one
        "no_cutoff": total.get(rules.NO_CUTOFF, 0), "no_cutoff_key": rules.NO_CUTOFF,
        "can_set_cutoff": can(request.user, rules.EDIT_CUTOFF),
        "forms": reports.FORMS.items(), "query": request.GET.urlencode(),
        "filters": {k: request.GET.get(k, "") for k in queries.FILTERS},
        "datasets": queries.visible_datasets(request.user)[:100], "kinds": rules.kinds().values(),
        "can_archive": can(request.user, rules.ARCHIVE), "approved": qs.filter(status=rules.APPROVED).count()})


@require_perm(rules.VIEW)
def form_export(request, form):
    if form not in reports.FORMS:
        raise NotFound()
    queries.check_filters(request.user, request.GET)
    qs = queries.filtered_hits(request.user, request.GET)
    count = [0]

    def build(path):
        count[0] = reports.write_form(path, form, qs)

    response = _xlsx_response(build, f"comparison-{form}.xlsx")
    audit.record_export(_actor(request), f"comparison.form.{form}", area_code=_home(request.user, rules.VIEW),
                        count=count[0], note=request.GET.urlencode()[:500])
    return response


# --- 两项制度衔接 ----------------------------------------------------------------------------

def _linkage_dataset(request) -> ExternalDataset | None:
    candidates = queries.visible_datasets(request.user).filter(
        kind__in=[k.code for k in rules.linkage_kinds()])
    pk = request.GET.get("dataset", "")
    if pk:
        return queries._get(candidates, pk)
    return candidates.first()


@require_perm(rules.VIEW)
def linkage(request):
    ds = _linkage_dataset(request)
    context = {"dataset": ds, "datasets": queries.visible_datasets(request.user).filter(
        kind__in=[k.code for k in rules.linkage_kinds()])[:50], "lists": reports.LISTS.items()}
    if ds is not None:
        link = reports.linkage(queries.view_scope(request.user), ds)
        chosen = request.GET.get("list", "registry_only")
        if chosen not in reports.LISTS:
            chosen = "registry_only"
        page = Paginator(link.list_rows(chosen), settings.PAGE_SIZE).get_page(request.GET.get("page"))
        names = _area_names(o.area_code[:12] for o in page)
        for o in page:
            o.village_name = names.get(o.area_code[:12], o.area_code[:12])
        context.update(link=link, chosen=chosen, page_obj=page, labels=reports.linkage_labels(),
                       rate_labels=reports.rate_labels(), flag=link.kind.linkage["member_flag"],
                       counts=[(reports.linkage_labels()[k], v) for k, v in link.counts.items()],
                       rates=[(reports.rate_labels()[k], v) for k, v in link.rates.items()])
        audit.record_read(_actor(request), "comparison.linkage.view", obj=ds, area_code=_home(request.user, rules.VIEW),
                          note=chosen)
    return render(request, "comparison/linkage.html", context)


@require_POST
@require_perm(rules.VIEW)
def linkage_export(request, pk):
    """The report with every list, made by a job (the file's download is logged again)."""
    ds = queries._get(queries.visible_datasets(request.user).filter(
        kind__in=[k.code for k in rules.linkage_kinds()]), pk)
    job = actions.start_linkage_export(_actor(request), ds)
    return redirect("jobs:detail", pk=job.pk)


# --- cut-off dates ------------------------------------------------------------------------------

@require_any(rules.VIEW, rules.IMPORT, rules.EDIT_CUTOFF)
def cutoffs(request):
    can_edit = can(request.user, rules.EDIT_CUTOFF)
    form = CutoffForm(request.POST or None) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise Forbidden()
        if form.is_valid():
            try:
                identification_actions.save_cutoff(_actor(request), None, **{k: v for k, v in form.cleaned_data.items()
                                                               if k != "version"})
            except ActionError as exc:
                if exc.status == 403:
                    raise
                _form_error(form, exc)
            else:
                messages.success(request, _("Cut-off date saved. Run the matching of the data sets again to "
                                            "re-classify their undecided hits."))
                return redirect("comparison:cutoffs")
    items = list(queries.cutoffs_for(request.user))
    names = _area_names(c.area_code for c in items)
    for c in items:
        c.area_name = names.get(c.area_code, c.area_prefix or _("The whole country"))
        c.editable = can(request.user, rules.EDIT_CUTOFF, c.area_code) if c.area_code else scope_for(
            request.user, rules.EDIT_CUTOFF).is_everything
    return render(request, "comparison/cutoffs.html", {"cutoffs": items, "form": form},
                  status=400 if request.method == "POST" else 200)


@require_perm(rules.EDIT_CUTOFF)
def cutoff_edit(request, pk):
    obj = queries.cutoff_or_404(request.user, pk)
    if not (can(request.user, rules.EDIT_CUTOFF, obj.area_code) if obj.area_code
            else scope_for(request.user, rules.EDIT_CUTOFF).is_everything):
        raise Forbidden()
    form = CutoffForm(request.POST or None, initial={"area_prefix": obj.area_prefix, "date": obj.date,
                                                     "source": obj.source, "note": obj.note, "version": obj.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            identification_actions.save_cutoff(_actor(request), obj, area_prefix=data["area_prefix"], date=data["date"],
                                source=data["source"], note=data["note"], version=data["version"])
        except ActionError as exc:
            if exc.status == 403:
                raise
            _form_error(form, exc)
        else:
            messages.success(request, _("Cut-off date saved. Run the matching of the data sets again to "
                                        "re-classify their undecided hits."))
            return redirect("comparison:cutoffs")
    return render(request, "comparison/cutoff_form.html", {"form": form, "cutoff": obj},
                  status=400 if request.method == "POST" else 200)


@require_POST
@require_perm(rules.EDIT_CUTOFF)
def cutoff_delete(request, pk):
    obj = queries.cutoff_or_404(request.user, pk)
    identification_actions.delete_cutoff(_actor(request), obj)
    messages.success(request, _("Cut-off date deleted."))
    return redirect("comparison:cutoffs")

