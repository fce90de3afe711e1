"""Pages of the monitoring app: monitored households of an area and each household's
monitoring record, the warning worklist, the applications inbox, departments' warning
files, the Excel export, and the public application form (anonymous)."""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.scoping import can, scope_for
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import ActionError, Invalid, NotFound
from fupin.core.tabular import write_xlsx
from fupin.core.uploads import save_upload
from fupin.core.views_util import require_perm
from fupin.procedures.models import BatchMember
from fupin.registry.models import Household
from fupin.registry.views.common import chooser, chosen_area, top_area

from . import actions, importers, queries, rules
from .forms import (
    AcceptForm,
    CallForm,
    HitStartForm,
    OpenForm,
    PublicApplicationForm,
    ReasonForm,
    RunForm,
    WarningUploadForm,
    new_stamp,
)
from .models import Application, Discovery, WarningHit
from .models import MonitoredHousehold as M

VIEW, EDIT, WARN = "registry.view", "monitoring.edit", "monitoring.warn"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _actor(request) -> Actor:
    return Actor.from_request(request)


def _area_context(request, perm: str = VIEW):
    scope = scope_for(request.user, perm)
    area = chosen_area(request, scope)
    return (area.prefix if area else ""), area, {"chooser": chooser(scope, area), "area": area}


def _error(request, form, exc: ActionError) -> None:
    if isinstance(exc, NotFound):
        raise Http404 from exc
    if form is not None and exc.field in form.fields:
        form.add_error(exc.field, str(exc.message))
    elif form is not None:
        form.add_error(None, str(exc.message))
    else:
        messages.error(request, str(exc.message))


def _settle(request) -> None:
    """Record what identification procedures decided (rejections) in the user's area;
    idempotent and set-based (see actions.settle)."""
    for prefix in scope_for(request.user, VIEW).prefixes:
        actions.settle(Actor.system("system"), prefix)


def _household_in(request, number: str, perm: str = EDIT) -> Household:
    number = (number or "").strip()
    return scope_for(request.user, perm).get(Household.objects.all(), number=number)


def _place(*groups) -> None:
    """Give each object of ``groups`` (lists of rows with an ``area_code``) its area's name
    as ``place``: one query for the whole page (queries.place_names)."""
    names = queries.place_names(obj.area_code for group in groups for obj in group)
    for group in groups:
        for obj in group:
            obj.place = names.get(obj.area_code, obj.area_code)


def _label(rec) -> None:
    """The risks' and the procedure states' labels for a page (the rows carry codes)."""
    states = dict(BatchMember.STATE_CHOICES)
    rec.risk_list = [(x, rules.risk_label(x.code)) for x in rec.risks.all()]
    rec.ident_label = states.get(rec.ident_state, rec.ident_state or "")
    rec.clear_label = states.get(rec.clear_state, rec.clear_state or "")


# --- monitored households ----------------------------------------------------------------

FILTERS = ("state", "kind", "risk", "helped_first")


@require_perm(VIEW)
def index(request):
    _settle(request)
    prefix, _area, ctx = _area_context(request)
    f = {k: request.GET.get(k, "") for k in FILTERS}
    qs = queries.record_list(request.user, prefix=prefix, **f).order_by("area_code", "-id")
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    for r in page:
        _label(r)
    _place(page)
    return render(request, "monitoring/index.html", {
        **ctx, "page_obj": page, "filters": f, "kinds": M.KIND_CHOICES, "states": M.STATE_CHOICES,
        "risks": rules.risk_choices(), "counts": queries.state_counts(request.user, prefix),
        "can_edit": can(request.user, EDIT), "query": request.GET.urlencode()})


@require_perm(VIEW)
def export(request):
    prefix, area, _ctx = _area_context(request)
    f = {k: request.GET.get(k, "") for k in FILTERS}
    qs = queries.record_list(request.user, prefix=prefix, **f).order_by("area_code", "id")
    headers = [_("Household number"), _("Head of household"), _("Area code"), _("Kind"), _("State"), _("Risks"),
               _("Monitored since"), _("Risk cleared on"), _("Helped first (先救后核)"),
               _("Social protection (兜底保障)")]
    yes = _("Yes")

    def rows():
        for r in qs.iterator(chunk_size=2000):  # prefetches the risks chunk by chunk
            yield [r.household.number, r.household.head_name, r.area_code, r.get_kind_display(), r.get_state_display(),
                   "、".join(rules.risk_label(x.code) for x in r.risks.all()),
                   r.since.isoformat() if r.since else "", r.cleared_on.isoformat() if r.cleared_on else "",
                   yes if r.helped_first else "", yes if r.social_protection else ""]

    tmp = tempfile.TemporaryFile()
    write_xlsx(tmp, headers, rows(), sheet_name=_("Monitored households"))
    tmp.seek(0)
    audit.record_export(_actor(request), "monitoring.export", area_code=area.code if area else "", count=qs.count())
    response = StreamingHttpResponse(iter(lambda: tmp.read(65536), b""), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="monitoring.xlsx"'
    return response


@require_perm(EDIT)
def new(request):
    form = OpenForm(request.POST or None, initial={"date": clock.today(), "household": request.GET.get("household")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            h = _household_in(request, d["household"])
            record = actions.open_episode(_actor(request), h, kind=d["kind"], channel=d["channel"], date=d["date"],
                                          who=d["who"], what=d["what"], risks=d["risks"])
            return redirect("monitoring:record", record.pk)
        except NotFound:
            form.add_error("household", _("No household with this number in your area."))
        except ActionError as exc:
            _error(request, form, exc)
    return render(request, "monitoring/new.html", {"form": form})


@require_perm(VIEW)
def record(request, pk):
    _settle(request)
    rec = queries.record(request.user, pk)
    _label(rec)
    _place([rec])
    items = actions.clearance_items(rec) if rec.state == M.MONITORED else []
    return render(request, "monitoring/record.html", {
        "rec": rec, "risks": rec.risk_list, "discoveries": rec.discoveries.select_related("recorded_by"),
        "visits": rec.visits.all(), "help": rec.help.all(), "items": items,
        "refusal": rules.clearance_refusal(items) if items else "",
        "can_edit": can(request.user, EDIT, rec.area_code), "risk_choices": rules.risk_choices(),
        "channels": Discovery.CHANNEL_CHOICES, "today": clock.today(), "max_risks": rules.max_risks(),
        "other": queries.records(request.user).filter(household=rec.household).exclude(pk=rec.pk)})


@require_POST
@require_perm(EDIT)
def record_action(request, pk):
    """Every change made from a household's monitoring record (one form per action)."""
    rec = queries.record(request.user, pk, EDIT)
    a, p, act = _actor(request), request.POST, request.POST.get("action", "")
    try:
        if act == "risk":
            actions.add_risk(a, rec, p.get("code", ""), detail=p.get("detail", ""), noted_on=p.get("date") or None)
        elif act == "resolve":
            risk = rec.risks.filter(pk=p.get("risk") if str(p.get("risk", "")).isdecimal() else 0).first()
            if risk is None:
                raise Invalid(_("Choose a risk."), field="risk")
            actions.resolve_risk(a, risk, date=p.get("date") or None)
        elif act == "help":
            actions.record_help(a, rec, date=p.get("date"), what=p.get("what", ""), amount=p.get("amount") or 0,
                                given_by=p.get("given_by", ""))
        elif act == "visit":
            actions.record_visit(a, rec, date=p.get("date"), visitors=p.get("visitors", ""),
                                 findings=p.get("findings", ""), consent_signed=p.get("consent") == "on",
                                 consent_signed_by=p.get("consent_signed_by", ""))
        elif act == "discovery":
            actions.add_discovery(a, rec, channel=p.get("channel", ""), date=p.get("date"), who=p.get("who", ""),
                                  what=p.get("what", ""))
        elif act == "protection":
            actions.set_social_protection(a, rec, p.get("value") == "1")
        elif act == "withdraw":
            actions.withdraw_candidate(a, rec, reason=p.get("reason", ""))
        elif act in ("identify", "clear"):
            area = Area.objects.get(code=rec.household.village.code)
            start = actions.start_identification if act == "identify" else actions.start_clearance
            batch = start(a, area, [rec])
            messages.success(request, _("The procedure has started."))
            return redirect("procedures:batch", batch.pk)
        else:
            raise Invalid(_("Unknown action."))
        messages.success(request, _("Saved."))
    except ActionError as exc:
        _error(request, None, exc)
    return redirect("monitoring:record", rec.pk)


# --- the worklist --------------------------------------------------------------------------

@require_perm(VIEW)
def worklist(request):
    prefix, area, ctx = _area_context(request)
    state = request.GET.get("state", WarningHit.OPEN)
    rule = request.GET.get("rule", "")
    qs = queries.worklist(request.user, prefix=prefix, rule=rule, state=state)
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    for h in page:
        h.rule_label = rules.warning_rule_label(h.rule)
    runs = list(queries.runs(request.user).select_related("job")[:5])
    _place(page, runs)
    run_area = area or top_area(scope_for(request.user, WARN))
    warning_rules = [{"code": r["code"], "label": rules.warning_rule_label(r["code"]),
                      "params": rules.describe_rule_params(r), "statuses": rules.describe_rule_statuses(r),
                      "source": r.get("source", "")} for r in rules.warning_rules()]
    return render(request, "monitoring/worklist.html", {
        **ctx, "page_obj": page, "state": state, "rule": rule, "states": WarningHit.STATE_CHOICES,
        "rules": [(r["code"], r["label"]) for r in warning_rules],
        "warning_rules": warning_rules, "runs": runs, "run_form": RunForm(initial={"year": clock.today().year - 1}),
        "run_area": run_area, "can_warn": run_area is not None and can(request.user, WARN, run_area.code),
        "can_edit": can(request.user, EDIT),
        "start_form": HitStartForm()})


@require_POST
@require_perm(WARN)
def run(request):
    code = request.POST.get("area", "")
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an income year."))
        return redirect("monitoring:worklist")
    try:
        if not area_rules.is_valid_code(code):
            raise NotFound()
        area = scope_for(request.user, WARN).get(Area.objects.filter(valid_to__isnull=True), "code", code=code)
        job = actions.start_warning_run(_actor(request), area, form.cleaned_data["year"])
    except ActionError as exc:
        _error(request, None, exc)
        return redirect("monitoring:worklist")
    return redirect("jobs:detail", job.pk)


@require_POST
@require_perm(EDIT)
def hit_action(request, pk):
    hit = queries.hit(request.user, pk)
    try:
        if request.POST.get("action") == "dismiss":
            actions.dismiss_hit(_actor(request), hit, reason=request.POST.get("reason", ""))
        else:
            form = HitStartForm(request.POST)
            if not form.is_valid():
                raise Invalid(_("Choose the kind of monitored household."), field="kind")
            rec = actions.start_from_hit(_actor(request), hit, kind=form.cleaned_data["kind"],
                                         risks=form.cleaned_data["risks"])
            return redirect("monitoring:record", rec.pk)
        messages.success(request, _("Saved."))
    except ActionError as exc:
        _error(request, None, exc)
    return redirect("monitoring:worklist")


# --- applications -------------------------------------------------------------------------

@require_perm(EDIT)
def applications(request):
    prefix, _area, ctx = _area_context(request, EDIT)
    state = request.GET.get("state", Application.PENDING)
    qs = queries.applications(request.user).filter(queries._prefix_q(prefix))
    if state:
        qs = qs.filter(state=state)
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    _place(page)
    return render(request, "monitoring/applications.html", {**ctx, "page_obj": page, "state": state,
                                                            "states": Application.STATE_CHOICES})


@require_perm(EDIT)
def application_new(request):
    form = CallForm(request.POST or None, initial={"channel": "phone"})
    if request.method == "POST" and form.is_valid():
        try:
            app = actions.record_application(_actor(request), **form.cleaned_data)
            messages.success(request, _("The application is in the village's inbox."))
            return redirect("monitoring:application", app.pk)
        except ActionError as exc:
            if exc.field == "village" or isinstance(exc, NotFound):
                form.add_error("village", str(exc.message))
            else:
                _error(request, form, exc)
    return render(request, "monitoring/application_new.html", {"form": form})


@require_perm(EDIT)
def application(request, pk):
    app = queries.application(request.user, pk)
    accept, dismiss = AcceptForm(prefix="a"), ReasonForm(prefix="d")
    if request.method == "POST":
        try:
            if request.POST.get("action") == "dismiss":
                dismiss = ReasonForm(request.POST, prefix="d")
                if dismiss.is_valid():
                    actions.dismiss_application(_actor(request), app, reason=dismiss.cleaned_data["reason"])
                    return redirect("monitoring:applications")
            else:
                accept = AcceptForm(request.POST, prefix="a")
                if accept.is_valid():
                    d = accept.cleaned_data
                    h = _household_in(request, d["household"]) if d["household"] else None
                    rec = actions.accept_application(_actor(request), app, kind=d["kind"], household=h,
                                                     risks=d["risks"], sex=d["sex"])
                    return redirect("monitoring:record", rec.pk)
        except NotFound:
            accept.add_error("household", _("No household with this number in your area."))
        except ActionError as exc:
            _error(request, accept, exc)
    _place([app])
    return render(request, "monitoring/application.html", {"app": app, "accept": accept, "dismiss": dismiss})


@login_not_required
def apply(request):
    """The public application form: anonymous; it shows nothing of any area and reads
    nothing; a valid submission creates a pending application for the village."""
    data = request.POST.copy() if request.method == "POST" else None
    form = PublicApplicationForm(data, initial={"village": request.GET.get("village", "")[:12],
                                                "stamp": new_stamp()})
    done = False
    if data is not None and form.is_valid():
        d = form.cleaned_data
        d.pop("stamp")
        if d.pop("website"):  # the hidden field: a bot; answer as if accepted, store nothing
            done = True
        else:
            try:
                actions.submit_application(Actor.from_request(request), **d)
                done = True
            except ActionError as exc:
                _error(request, form, exc)
    if data is not None and not done:
        data["stamp"] = new_stamp()  # the form shown again is served again (errors are kept)
    return render(request, "monitoring/apply.html", {"form": form, "done": done})


# --- departments' warnings --------------------------------------------------------------------

@require_perm(WARN)
def warnings(request):
    prefix, _area, ctx = _area_context(request, WARN)
    form = WarningUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        code = request.POST.get("area_code", "")
        try:
            if not area_rules.is_valid_code(code):
                raise NotFound()
            target = scope_for(request.user, WARN).get(Area.objects.filter(valid_to__isnull=True), "code", code=code)
        except NotFound:
            form.add_error(None, _("Choose an area of yours."))
        else:
            # stored under a name of its own (core.uploads); the name it was sent with goes to the
            # job as data, for the list of imported files (as the comparison's import does)
            upload = form.cleaned_data["file"]
            path = save_upload(upload, "monitoring")
            try:
                job = actions.start_warning_import(_actor(request), path, department=form.cleaned_data["department"],
                                                   area=target, file_name=upload.name)
            except ActionError as exc:
                path.unlink(missing_ok=True)
                _error(request, form, exc)
            else:
                return redirect("jobs:detail", job.pk)
    imports = list(queries.imports(request.user).filter(queries._prefix_q(prefix))[:50])
    _place(imports)
    recent = queries.department_warnings(request.user, WARN).filter(queries._prefix_q(prefix)).select_related(
        "household", "source")[:100]
    for w in recent:
        w.kind_label = rules.warning_kind_label(w.kind)
    areas = list(scope_for(request.user, WARN).filter(Area.objects.filter(valid_to__isnull=True).exclude(
        level=area_rules.GROUP), "code").order_by("code")[:300])
    return render(request, "monitoring/warnings.html", {**ctx, "form": form, "imports": imports, "recent": recent,
                                                        "areas": areas, "columns": importers.COLUMNS})


@require_perm(WARN)
def warnings_template(request):
    tmp = tempfile.TemporaryFile()
    importers.template(tmp)
    tmp.seek(0)
    return FileResponse(tmp, as_attachment=True, filename="department-warnings.xlsx", content_type=XLSX)
