"""Pages: the lines (standards), rule sets and their criteria, rule runs with the
flagged households and why, what-if simulations, a household's applicable line and
its facts. Reading needs registry.view; editing standards.edit; running
identification.run; facts registry.edit."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.scoping import can, scope_for
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import ActionError
from fupin.core.views_util import require_perm
from fupin.registry import codes as registry_codes
from fupin.registry import queries as registry_queries

from . import actions, queries, rules
from .forms import (
    CriterionForm,
    FactDecisionForm,
    FactForm,
    LineForm,
    RuleSetForm,
    RunForm,
    SimulateForm,
    area_prefix_from,
    formula_presets,
)
from .models import Criterion, MemberFact, RuleOutcome, RuleRun, RunLine, padded
from .present import (
    area_names,
    describe_params,
    explain_outcomes,
    household_lines,
    run_counts,
    visible_changes,
    visible_rulesets_used,
)

READ = "registry.view"


def _form_error(form, exc: ActionError):
    field = exc.field
    mapping = {"area_prefix": "area", "formula": "method", "changes": None}
    field = mapping.get(field, field)
    form.add_error(field if field in form.fields else None, str(exc.message))


def _home_area(user, perm: str) -> str:
    scope = scope_for(user, perm)
    if scope.is_empty or scope.is_everything:
        return ""
    return padded(min(scope.prefixes, key=len)[:12])


def _sees_history(user, area_code: str) -> bool:
    """Who changed a standard is shown to those who may edit it or read the audit log."""
    return can(user, actions.EDIT, area_code) or can(user, "audit.view", area_code or None)


def household_url(household_id) -> str | None:
    """The registry's page of a household, when the registry has one."""
    try:
        return reverse("registry:household", kwargs={"pk": household_id})
    except NoReverseMatch:
        return None


# --- lines ------------------------------------------------------------------------

@require_perm(READ)
def standards(request):
    year, kind, area = request.GET.get("year", ""), request.GET.get("kind", ""), request.GET.get("area", "").strip()
    qs = queries.lines(request.user)
    if year.isascii() and year.isdigit() and len(year) <= 4:  # a year; anything else is ignored
        qs = qs.filter(year=int(year))
    if kind in rules.LINE_KINDS:
        qs = qs.filter(kind=kind)
    if area:
        prefix = area_prefix_from(area)
        qs = qs.filter(Q(area_prefix__in=rules.ancestors(prefix)) | Q(area_prefix__startswith=prefix))
    page = Paginator(qs.order_by("-year", "kind", "area_prefix"), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    names = area_names(line.area_prefix for line in page)
    for line in page:
        line.area_name = names.get(line.area_prefix, line.area_prefix)
        line.computation_text = rules.describe_computation(line.computation)
    return render(request, "identification/standards.html", {
        "page_obj": page, "year": year, "kind": kind, "area": area, "kinds": rules.LINE_KINDS.items(),
        "can_edit": can(request.user, actions.EDIT), "presets": formula_presets().values()})


@require_perm(READ)
def line(request, pk):
    obj = queries.line(request.user, pk)
    history = None
    if _sees_history(request.user, obj.area_code):
        history = AuditEvent.objects.filter(object_type="identification.line", object_id=str(obj.pk)).order_by("-at")[:20]
    return render(request, "identification/line.html", {
        "line": obj, "area_name": area_names([obj.area_prefix]).get(obj.area_prefix, obj.area_prefix),
        "computation": rules.describe_computation(obj.computation), "history": history,
        "can_edit": can(request.user, actions.EDIT, obj.area_code)})


@require_perm(actions.EDIT)
def line_create(request):
    form = LineForm(request.POST or None, initial={"year": clock.today().year, "per": "year"})
    if request.method == "POST" and form.is_valid():
        try:
            obj = actions.save_line(Actor.from_request(request), None, **form.values())
        except ActionError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Line saved."))
            return redirect("identification:line", pk=obj.pk)
    return render(request, "identification/line_form.html", {"form": form})


@require_perm(actions.EDIT)
def line_edit(request, pk):
    obj = queries.line(request.user, pk)
    form = LineForm(request.POST or None, initial=LineForm.initial_for(obj))
    if request.method == "POST" and form.is_valid():
        try:
            obj = actions.save_line(Actor.from_request(request), obj, version=request.POST.get("version") or None,
                                    **form.values())
        except ActionError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Line saved."))
            return redirect("identification:line", pk=obj.pk)
    return render(request, "identification/line_form.html", {"form": form, "line": obj, "version": obj.version})


@require_POST
@require_perm(actions.EDIT)
def line_delete(request, pk):
    obj = queries.line(request.user, pk)
    try:
        actions.delete_line(Actor.from_request(request), obj, version=request.POST.get("version"))
    except ActionError as exc:
        messages.error(request, str(exc.message))
        return redirect("identification:line", pk=obj.pk)
    messages.success(request, _("Line deleted."))
    return redirect("identification:standards")


# --- rule sets --------------------------------------------------------------------

@require_perm(READ)
def rules_home(request):
    sets = list(queries.rulesets(request.user).prefetch_related("criteria"))
    names = area_names(rs.area_prefix for rs in sets)
    for rs in sets:
        rs.area_name = names.get(rs.area_prefix, rs.area_prefix)
        rs.vetoes_on = [c for c in rs.criteria.all() if c.group == Criterion.VETO and c.enabled]
    runs = list(queries.runs(request.user).select_related("created_by")[:20])
    run_names = area_names(r.area_prefix for r in runs)
    for r in runs:
        r.area_name = run_names.get(r.area_prefix, r.area_prefix)
        r.counts = run_counts(request.user, r)
    can_run = can(request.user, actions.RUN)
    initial = {"area": _home_area(request.user, actions.RUN), "year": clock.today().year - 1}
    return render(request, "identification/rules.html", {
        "rulesets": sets, "runs": runs, "can_edit": can(request.user, actions.EDIT), "can_run": can_run,
        "run_form": RunForm(initial=initial) if can_run else None})


@require_perm(actions.EDIT)
def ruleset_create(request):
    """A local rule set, starting from the one that applies there now."""
    initial = {"area": _home_area(request.user, actions.EDIT), "from_year": clock.today().year,
               "combine": "or", "statuses": [*list(rules.EXPECTED_ELIGIBLE), "exited_policy", "exited"]}
    form = RuleSetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        base = queries.ruleset_for(padded(values["area_prefix"]), values["from_year"])
        try:
            rs = actions.save_ruleset(Actor.from_request(request), None, copy_from=base, **values)
        except ActionError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Rule set created with the criteria of “%(base)s”. Switch each on or off.")
                             % {"base": base} if base else _("Rule set created."))
            return redirect("identification:ruleset", pk=rs.pk)
    return render(request, "identification/ruleset_form.html", {"form": form})


@require_perm(READ)
def ruleset(request, pk):
    rs = queries.ruleset(request.user, pk)
    criteria = list(rs.criteria.all())
    for c in criteria:
        c.params_text = describe_params(c.params)
    history = None
    if _sees_history(request.user, rs.area_code):
        history = AuditEvent.objects.filter(
            Q(object_type="identification.ruleset", object_id=str(rs.pk))
            | Q(object_type="identification.criterion", object_id__in=[str(c.pk) for c in criteria])
        ).order_by("-at")[:30]
    return render(request, "identification/ruleset.html", {
        "rs": rs, "area_name": area_names([rs.area_prefix]).get(rs.area_prefix, rs.area_prefix),
        "guarantees": [c for c in criteria if c.group == Criterion.GUARANTEE],
        "vetoes": [c for c in criteria if c.group == Criterion.VETO],
        "statuses": [registry_codes.label("status", s) for s in rs.statuses],
        "can_edit": can(request.user, actions.EDIT, rs.area_code), "history": history,
        "cutoff": queries.applicable_cutoff(rs.area_code)})


@require_perm(actions.EDIT)
def ruleset_edit(request, pk):
    rs = queries.ruleset(request.user, pk)
    initial = {"name": rs.name, "area": rs.area_prefix, "from_year": rs.from_year, "to_year": rs.to_year,
               "combine": rs.combine, "statuses": rs.statuses, "source": rs.source,
               "note": rs.note}
    form = RuleSetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            rs = actions.save_ruleset(Actor.from_request(request), rs, version=request.POST.get("version") or None,
                                      **form.values())
        except ActionError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Rule set saved."))
            return redirect("identification:ruleset", pk=rs.pk)
    return render(request, "identification/ruleset_form.html", {"form": form, "rs": rs, "version": rs.version})


def _criterion(request, rs, cpk) -> Criterion:
    from fupin.core.views_util import get_or_404

    return get_or_404(Criterion.objects.filter(ruleset=rs), pk=cpk)


@require_perm(actions.EDIT)
def criterion_create(request, pk):
    rs = queries.ruleset(request.user, pk)
    form = CriterionForm(request.POST or None, creating=True)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.save_criterion(Actor.from_request(request), rs, None, code=d["code"], enabled=d["enabled"],
                                   label=d["label"], params=d["params"] or dict(rules.CRITERIA[d["code"]].params),
                                   source=d["source"])
        except ActionError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Criterion added."))
            return redirect("identification:ruleset", pk=rs.pk)
    return render(request, "identification/criterion_form.html", {"form": form, "rs": rs})


@require_perm(actions.EDIT)
def criterion_edit(request, pk, cpk):
    rs = queries.ruleset(request.user, pk)
    criterion = _criterion(request, rs, cpk)
    form = CriterionForm(request.POST or None, initial={
        "enabled": criterion.enabled, "label": criterion.label, "params": criterion.params,
        "source": criterion.source})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.save_criterion(Actor.from_request(request), rs, criterion, enabled=d["enabled"], label=d["label"],
                                   params=d["params"], source=d["source"])
        except ActionError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Criterion saved."))
            return redirect("identification:ruleset", pk=rs.pk)
    return render(request, "identification/criterion_form.html", {"form": form, "rs": rs, "criterion": criterion})


@require_POST
@require_perm(actions.EDIT)
def criterion_toggle(request, pk, cpk):
    rs = queries.ruleset(request.user, pk)
    criterion = _criterion(request, rs, cpk)
    try:
        actions.save_criterion(Actor.from_request(request), rs, criterion, enabled=not criterion.enabled)
    except ActionError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("“%(name)s” switched on.") % {"name": criterion.display_label}
                         if criterion.enabled else
                         _("“%(name)s” switched off.") % {"name": criterion.display_label})
    return redirect("identification:ruleset", pk=rs.pk)


# --- runs -------------------------------------------------------------------------

@require_perm(actions.RUN)
def run_start(request):
    form = RunForm(request.POST or None, initial={"area": _home_area(request.user, actions.RUN),
                                                   "year": clock.today().year - 1})
    if request.method == "POST" and form.is_valid():
        try:
            run = actions.start_run(Actor.from_request(request), form.cleaned_data["area"], form.cleaned_data["year"])
        except ActionError as exc:
            _form_error(form, exc)
        else:
            return redirect("identification:run", pk=run.pk)
    return render(request, "identification/run_form.html", {"form": form, "simulate": False})


@require_perm(actions.RUN)
def simulate(request):
    initial = {"area": request.GET.get("area") or _home_area(request.user, actions.RUN),
               "year": request.GET.get("year") or clock.today().year - 1}
    form = SimulateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            run = actions.start_run(Actor.from_request(request), form.cleaned_data["area"], form.cleaned_data["year"],
                                    changes=form.changes())
        except ActionError as exc:
            _form_error(form, exc)
        else:
            return redirect("identification:run", pk=run.pk)
    return render(request, "identification/run_form.html", {"form": form, "simulate": True})


@require_perm(READ)
def run(request, pk):
    obj = queries.run(request.user, pk)
    counts = run_counts(request.user, obj)
    if request.headers.get("HX-Request"):
        return render(request, "identification/_run_status.html", {"run": obj, "job": obj.job, "counts": counts})
    by_village = counts["by_village"]
    names = area_names([obj.area_prefix] + [v["village"] for v in by_village])
    for v in by_village:
        v["name"] = names.get(v["village"], v["village"])
    lines = list(RunLine.objects.filter(queries.visible_prefix_q(request.user), run=obj).order_by("kind", "area_prefix"))
    line_names = area_names(rl.area_prefix for rl in lines)
    for rl in lines:
        rl.area_name = line_names.get(rl.area_prefix, rl.area_prefix)
        rl.kind_label = rules.LINE_KINDS.get(rl.kind, rl.kind)
        rl.computation_text = rules.describe_computation(rl.computation)
    by_village_total = {key: sum(v[key] for v in by_village) for key in ("to_eligible", "to_not_eligible")}
    return render(request, "identification/run.html", {
        "run": obj, "area_name": names.get(obj.area_prefix, obj.area_prefix), "by_village": by_village,
        "by_village_total": by_village_total,
        "counts": counts, "lines": lines, "rulesets": visible_rulesets_used(request.user, obj),
        "changes": _changes_for_display(visible_changes(request.user, obj)), "job": obj.job if obj.job_id else None})


def _changes_for_display(changes: dict) -> dict:
    names = area_names(ch["area_prefix"] for ch in changes.get("lines", []))
    lines = [{**ch, "kind_label": rules.LINE_KINDS.get(ch["kind"], ch["kind"]),
              "area_name": names.get(ch["area_prefix"], ch["area_prefix"]),
              "value_text": rules.money(ch["value"])} for ch in changes.get("lines", [])]
    criteria = [{**ch, "label": rules.criterion_label(ch["code"]), "params_text": describe_params(ch.get("params"))}
                for ch in changes.get("criteria", [])]
    return {"lines": lines, "criteria": criteria}


OUTCOME_SORTS = {"area": "area_code", "income": "per_capita", "household": "household_id"}


@require_perm(READ)
def outcomes(request, pk):
    obj = queries.run(request.user, pk)
    qs = queries.outcomes(request.user, obj)
    show = request.GET.get("show", "flagged")
    village = request.GET.get("village", "").strip()
    reason = request.GET.get("reason", "")
    if show == "flagged":
        qs = qs.filter(flagged=True)
    elif show == "eligible":
        qs = qs.filter(eligible=True)
    elif show == "not_eligible":
        qs = qs.filter(eligible=False)
    elif show == "changed" and obj.based_on_id:
        base = RuleOutcome.objects.filter(run_id=obj.based_on_id)
        qs = qs.exclude(household_id__in=base.filter(eligible=True).values("household_id"), eligible=True).exclude(
            household_id__in=base.filter(eligible=False).values("household_id"), eligible=False)
    if village:
        qs = qs.filter(area_code__startswith=village[:12])
    if reason == "income":
        qs = qs.filter(income_below=True)
    elif reason == "income_not_below":
        qs = qs.filter(income_below=False)
    elif reason == "no_income":
        qs = qs.filter(per_capita__isnull=True)
    elif reason == "vetoed":
        qs = qs.exclude(vetoes="")
    elif reason in rules.CRITERIA:
        field = "guarantees" if reason in rules.GUARANTEE_CODES else "vetoes"
        token = f"{reason}," if field == "guarantees" else f"{reason}:"
        qs = qs.filter(Q(**{f"{field}__startswith": token}) | Q(**{f"{field}__contains": "," + token}))
    key = request.GET.get("sort", "area")
    order = OUTCOME_SORTS.get(key.lstrip("-"), "area_code")
    qs = qs.select_related("household").order_by(("-" if key.startswith("-") else "") + order, "household_id")
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    rows = explain_outcomes(request.user, obj, list(page))
    for o, _sentence in rows:
        o.status_label = registry_codes.label("status", o.status) or _("not yet registered")
    villages = registry_queries.villages(request.user).filter(
        code__startswith=obj.area_prefix).order_by("code").values_list("code", "name")[:500]
    return render(request, "identification/outcomes.html", {
        "run": obj, "page_obj": page, "rows": rows, "show": show, "village": village, "reason": reason,
        "villages": villages, "criteria": [(c, d.label) for c, d in rules.CRITERIA.items()]})


# --- a household ------------------------------------------------------------------

@require_perm(READ)
def household(request, pk):
    h = registry_queries.household(request.user, pk)
    lines_by_year = household_lines(h)
    outcome_rows = []
    # The latest runs that may cover the household; each outcome found by its key (run, household).
    recent = list(queries.runs(request.user).filter(status=RuleRun.DONE).order_by("-created_at", "-id")
                  .values_list("id", flat=True)[:20])
    latest = list(RuleOutcome.objects.filter(run_id__in=recent, household_id=h.pk)
                  .select_related("run").order_by("-run__created_at", "-run_id")[:5])
    for o in latest:
        outcome_rows.append({"outcome": o, "run": o.run, "sentence": explain_outcomes(request.user, o.run, [o])[0][1]})
    facts = queries.facts(request.user).filter(household=h).select_related("member")
    return render(request, "identification/household.html", {
        "household": h, "lines_by_year": lines_by_year, "outcomes": outcome_rows, "facts": facts,
        "registry_url": household_url(h.pk), "standard_label": registry_codes.label("standard", h.standard),
        "can_add_fact": can(request.user, actions.FACTS, h.area_code),
        "can_decide": can(request.user, actions.FACTS, h.area_code), "decision_form": FactDecisionForm()})


@require_perm(actions.FACTS)
def fact_create(request, pk):
    h = registry_queries.household(request.user, pk, perm=actions.FACTS)
    members = list(h.members.filter(active=True).order_by("relation", "id"))
    form = FactForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        member = next((m for m in members if str(m.pk) == d["member"]), None)
        try:
            actions.add_fact(Actor.from_request(request), h, member=member, kind=d["kind"], value=d["value"],
                             as_of=d["as_of"], relation=d["relation"], person_name=d["person_name"],
                             detail=d["detail"])
        except ActionError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Fact recorded. It vetoes (marked as not verified) until it is checked."))
            return redirect("identification:household", pk=h.pk)
    return render(request, "identification/fact_form.html", {"form": form, "household": h})




@require_perm(READ)
def facts(request):
    qs = queries.facts(request.user).select_related("household", "member")
    kind, status = request.GET.get("kind", ""), request.GET.get("status", "")
    village = request.GET.get("village", "").strip()
    if kind in rules.FACT_KINDS:
        qs = qs.filter(kind=kind)
    if status in dict(MemberFact.STATUS_CHOICES):
        qs = qs.filter(status=status)
    if village:
        qs = qs.filter(area_code__startswith=village[:12])
    page = Paginator(qs.order_by("area_code", "household_id", "id"), settings.PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "identification/facts.html", {
        "page_obj": page, "kind": kind, "status": status, "village": village,
        "kinds": rules.FACT_KINDS.items(), "statuses": MemberFact.STATUS_CHOICES,
        "can_decide": can(request.user, actions.FACTS), "decision_form": FactDecisionForm()})


@require_POST
@require_perm(actions.FACTS)
def fact_decide(request, pk):
    fact = queries.fact(request.user, pk, perm=actions.FACTS)
    form = FactDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
    else:
        try:
            actions.decide_fact(Actor.from_request(request), fact, **form.cleaned_data)
        except ActionError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Decision recorded."))
    back = request.POST.get("back", "")
    if back == "household":
        return redirect("identification:household", pk=fact.household_id)
    return redirect("identification:facts")

