"""What is done: plans (一户一策, 一村一策) with their progress, measures (and carrying
them into the income ledger), visits with photos (a phone-sized page for helpers),
六清, and the coverage page."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.scoping import can, scope_for
from fupin.core import clock
from fupin.core.errors import ActionError, Forbidden
from fupin.core.views_util import require_perm, sorted_qs
from fupin.registry import queries as registry_queries
from fupin.registry.queries import checklist_items

from .. import actions, catalog, holds, photos, queries, rules
from ..forms import HouseholdPlanForm, MeasureForm, VillagePlanForm, VisitEditForm, VisitForm, WithdrawForm
from ..models import HouseholdPlan, Measure, VillagePlan, Visit
from .common import EDIT, LOG, VIEW, actor, area_context, form_error, parse_int, parse_year, scoped_area

# --- plans -----------------------------------------------------------------------------------

@require_perm(VIEW)
def plans(request):
    scope, _area, ctx = area_context(request)
    year = parse_year(request.GET.get("year"))
    kind = request.GET.get("kind", "households")
    if kind == "villages":
        qs = scope.filter(VillagePlan.objects.filter(year=year)).select_related("village").order_by("area_code")
    else:
        qs = queries.plans_with_progress(scope.filter(HouseholdPlan.objects.filter(year=year))
                                         .select_related("household")).order_by("area_code", "pk")
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    for p in page.object_list:
        if kind != "villages":
            p.planned_labels = [catalog.measure_label(t) for t in p.measure_types]
    return render(request, "assistance/plans.html", {**ctx, "page_obj": page, "year": year, "kind": kind})


@require_perm(VIEW)
def household_plan(request, pk, year):
    household = registry_queries.household(request.user, pk)
    year = parse_year(str(year))
    plan = HouseholdPlan.objects.filter(household=household, year=year).first()
    edit = can(request.user, EDIT, household.area_code)
    initial = {"causes": household.causes()}
    if plan is not None:
        initial = {"goals": plan.goals, "causes": plan.causes, "measure_types": plan.measure_types,
                   "expected_income": plan.expected_income, "note": plan.note}
    form = HouseholdPlanForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not edit:
            raise Forbidden()
        if form.is_valid():
            d = form.cleaned_data
            try:
                actions.save_household_plan(actor(request), household, year, goals=d["goals"], causes=d["causes"],
                                            measure_types=d["measure_types"],
                                            expected_income=d["expected_income"] or 0, note=d["note"])
            except ActionError as exc:
                form_error(request, form, exc)
            else:
                messages.success(request, _("Plan saved."))
                return redirect("assistance:household_plan", pk=household.pk, year=year)
    return render(request, "assistance/household_plan.html", {
        "household": household, "year": year, "plan": plan, "form": form, "can_edit": edit,
        "progress": queries.plan_progress(plan) if plan else None,
        "measures": Measure.objects.filter(household=household, year=year).order_by("date") if not plan else None,
        "years": list(HouseholdPlan.objects.filter(household=household).values_list("year", flat=True)
                      .order_by("-year"))})


@require_POST
@require_perm(EDIT)
def plan_carry(request, pk, year):
    """Carry every income-bearing measure of the household's year not yet carried."""
    household = registry_queries.household(request.user, pk, EDIT)
    pending = [m for m in Measure.objects.filter(household=household, year=year, carried_at__isnull=True)
               .exclude(income_item="") if m.amount_to_household > 0]
    try:
        actions.carry_to_income(actor(request), pending)
    except ActionError as exc:
        form_error(request, None, exc)
    else:
        messages.success(request, _("%(n)s measures carried into the income ledger of %(y)s.")
                         % {"n": len(pending), "y": year})
    return redirect("assistance:household_plan", pk=household.pk, year=year)


@require_perm(VIEW)
def village_plan(request, code, year):
    village = scoped_area(request, code, VIEW, levels=("village",))
    year = parse_year(str(year))
    plan = VillagePlan.objects.filter(village=village, year=year).first()
    edit = can(request.user, EDIT, village.code)
    items = list(checklist_items(village, year))
    initial = {}
    if plan is not None:
        initial = {"industries": plan.industries, "infrastructure": plan.infrastructure,
                   "infrastructure_note": plan.infrastructure_note,
                   "collective_income_target": plan.collective_income_target, "note": plan.note}
    form = VillagePlanForm(request.POST or None, initial=initial, items=items)
    if request.method == "POST":
        if not edit:
            raise Forbidden()
        if form.is_valid():
            d = form.cleaned_data
            try:
                actions.save_village_plan(actor(request), village, year, industries=d["industries"],
                                          infrastructure=d["infrastructure"],
                                          infrastructure_note=d["infrastructure_note"],
                                          collective_income_target=d["collective_income_target"] or 0,
                                          note=d["note"])
            except ActionError as exc:
                form_error(request, form, exc)
            else:
                messages.success(request, _("Plan saved."))
                return redirect("assistance:village_plan", code=village.code, year=year)
    return render(request, "assistance/village_plan.html", {
        "village": village, "year": year, "plan": plan, "form": form, "can_edit": edit,
        "progress": queries.village_plan_progress(plan) if plan else None,
        "status": queries.village_status(village)})


# --- measures ----------------------------------------------------------------------------------

MEASURE_SORTS = {"date": "date", "type": "type", "amount": "amount_to_household", "spent": "amount_spent"}


@require_perm(VIEW)
def measures(request):
    scope, _area, ctx = area_context(request)
    withdrawn = request.GET.get("withdrawn") == "1"
    mtype, year = request.GET.get("type", ""), request.GET.get("year", "").strip()
    qs = queries.measure_list(scope, withdrawn=withdrawn, year=parse_int(year),
                              measure_type=mtype if mtype in catalog.measure_type_codes() else "")
    totals = queries.measure_totals(qs)
    qs = sorted_qs(request, qs, MEASURE_SORTS, "-date")
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    for m in page.object_list:
        m.type_label = catalog.measure_label(m.type)
    return render(request, "assistance/measures.html", {
        **ctx, "page_obj": page, "types": catalog.measure_choices(), "type": mtype, "year": year,
        "withdrawn": withdrawn, "totals": totals,
        "can_edit": can(request.user, EDIT)})


def _measure_target(request):
    """The household (?household=pk) or village (?village=code) a new measure is for."""
    hh = request.GET.get("household") or request.POST.get("household")
    if hh:
        return registry_queries.household(request.user, hh, LOG), None
    code = request.GET.get("village") or request.POST.get("village")
    if code:
        return None, scoped_area(request, code, EDIT, levels=("village",))
    return None, None


@require_perm(LOG)
def measure_create(request):
    household, village = _measure_target(request)
    if household is None and village is None:
        return redirect("assistance:mine")
    if household is not None and not actions.may_act_for_household(actor(request), household):
        raise Forbidden(_("Only the household's own helper, or an office keeping assistance records, records "
                          "measures here."))
    mtype = request.POST.get("type") or request.GET.get("type") or ""
    if mtype not in catalog.measure_type_codes():
        mtype = ""
    form = MeasureForm(request.POST if request.method == "POST" and request.POST.get("save") else None,
                       initial={"type": mtype}, mtype=mtype or None)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        try:
            m = actions.record_measure(actor(request), type=d["type"], date=d["date"], household=household,
                                       village=village, amount_to_household=d["amount_to_household"] or 0,
                                       amount_spent=d["amount_spent"] or 0, fund_source=d["fund_source"],
                                       details=form.details(), note=d["note"])
        except ActionError as exc:
            _measure_error(request, form, exc)
        else:
            messages.success(request, _("Measure recorded."))
            if household is not None and not can(request.user, EDIT, household.area_code):
                return redirect(reverse("assistance:mine") + f"#h{household.pk}")
            return redirect("assistance:measure", pk=m.pk)
    return render(request, "assistance/measure_form.html", {
        "form": form, "household": household, "village": village, "mtype": mtype,
        "spec": catalog.measure_type(mtype) if mtype else None,
        "family": catalog.family_label(catalog.measure_type(mtype)["family"]) if mtype else ""})


def _measure_error(request, form, exc: ActionError) -> None:
    """An action's refusal on the measure form: on the type's detail field (d_<name>)
    when the action names one, else as form_error puts it."""
    if exc.field and "d_" + exc.field in form.fields:
        form.add_error("d_" + exc.field, str(exc.message))
    else:
        form_error(request, form, exc)


@require_perm(VIEW)
def measure_detail(request, pk):
    m = queries.measure(request.user, pk)
    return render(request, "assistance/measure.html", {
        "m": m, "type_label": catalog.measure_label(m.type), "rows": rules.detail_rows(m.type, m.details),
        "fund_label": catalog.fund_label(m.fund_source) if m.fund_source else "",
        "can_carry": m.household_id and m.income_item and m.carried_at is None and m.amount_to_household > 0
        and can(request.user, EDIT, m.area_code) and can(request.user, "registry.edit", m.area_code),
        "income_label": _income_label(m.income_item), "can_correct": actions.may_correct(actor(request), m)
        and m.voided_at is None, "history": queries.history(m)[:20], "withdraw_form": WithdrawForm()})


def _income_label(item: str) -> str:
    from fupin.registry.models import Income

    if not item:
        return ""
    return str(Income._meta.get_field(item).verbose_name)


@require_perm(LOG)
def measure_correct(request, pk):
    """Correct a measure: an office at any time, who recorded it within the period."""
    m = queries.measure(request.user, pk, LOG)
    if m.voided_at is not None or not actions.may_correct(actor(request), m):
        raise Forbidden(_("Only an office keeping assistance records, or the person who recorded it within %(n)s "
                          "days, may correct it.") % {"n": actions.correction_days()})
    mtype = request.POST.get("type") or m.type
    if mtype not in catalog.measure_type_codes():
        mtype = m.type
    initial = {"type": mtype, "date": m.date, "amount_to_household": m.amount_to_household,
               "amount_spent": m.amount_spent, "fund_source": m.fund_source, "note": m.note,
               **{"d_" + k: v for k, v in m.details.items()}}
    form = MeasureForm(request.POST if request.method == "POST" and request.POST.get("save") else None,
                       initial=initial, mtype=mtype)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        try:
            actions.correct_measure(actor(request), m, type=d["type"], date=d["date"],
                                    amount_to_household=d["amount_to_household"] or 0,
                                    amount_spent=d["amount_spent"] or 0, fund_source=d["fund_source"],
                                    details=form.details(), note=d["note"])
        except ActionError as exc:
            _measure_error(request, form, exc)
        else:
            messages.success(request, _("Measure corrected."))
            return redirect("assistance:measure", pk=m.pk)
    return render(request, "assistance/measure_form.html", {
        "form": form, "household": m.household, "village": m.village, "mtype": mtype, "measure": m,
        "spec": catalog.measure_type(mtype), "family": catalog.family_label(catalog.measure_type(mtype)["family"])})


def _withdraw(request, obj, withdraw, page: str, done: str):
    """Withdraw a measure or a visit with the reason posted; back to its page either way."""
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for withdrawing it."))
        return redirect(page, pk=obj.pk)
    try:
        withdraw(actor(request), obj, form.cleaned_data["reason"])
    except ActionError as exc:
        form_error(request, None, exc)
    else:
        messages.success(request, done)
    return redirect(page, pk=obj.pk)


@require_POST
@require_perm(LOG)
def measure_withdraw(request, pk):
    return _withdraw(request, queries.measure(request.user, pk, LOG), actions.withdraw_measure, "assistance:measure",
                     _("Measure withdrawn: it is kept with the reason and counted nowhere."))


@require_POST
@require_perm(EDIT)
def measure_carry(request, pk):
    m = queries.measure(request.user, pk, EDIT)
    try:
        actions.carry_to_income(actor(request), [m])
    except ActionError as exc:
        form_error(request, None, exc)
    else:
        messages.success(request, _("Carried into the income ledger of %(y)s.") % {"y": m.year})
    return redirect("assistance:measure", pk=m.pk)


# --- visits -------------------------------------------------------------------------------------

@require_perm(VIEW)
def visits(request):
    scope, _area, ctx = area_context(request)
    manager = Visit.all_objects if request.GET.get("withdrawn") == "1" else Visit.objects
    qs = scope.filter(manager.all()).select_related("helper", "household")
    helper = parse_int(request.GET.get("helper"))
    if helper is not None:
        qs = qs.filter(helper_id=helper)
    qs = sorted_qs(request, qs, {"date": "date"}, "-date")
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "assistance/visits.html", {**ctx, "page_obj": page,
                                                      "can_log": can(request.user, LOG)})


def _households_for_visits(request):
    """The households a user logs visits for without naming one: those paired now with
    their own helper records (queries.paired_households, as the phone page lists them).
    visit_log adds the one asked for when the user may act for it."""
    return queries.paired_households(request.user).select_related("village").order_by("area_code", "number")


@require_perm(LOG)
def my_households(request):
    """A helper's home on the phone: their households, each with its last visit and a
    button to log a visit or record a measure."""
    hh = queries.with_last_visit(queries.paired_households(request.user)).order_by("area_code", "number")
    return render(request, "assistance/mine.html", {"households": hh, "helpers": queries.own_helpers(request.user),
                                                    "can_edit": can(request.user, EDIT)})


@require_perm(LOG)
def visit_log(request):
    own_households = list(_households_for_visits(request))
    extra = None
    wanted = request.GET.get("household") or request.POST.get("household")
    if parse_int(wanted) is not None and not any(h.pk == parse_int(wanted) for h in own_households):
        extra = registry_queries.household(request.user, parse_int(wanted), LOG)
        if not actions.may_act_for_household(actor(request), extra):
            raise Forbidden(_("Only the household's own helper logs a visit here."))
        own_households.append(extra)
    edit = can(request.user, EDIT)
    helper_choices = list(queries.own_helpers(request.user))
    if edit:
        area_helpers = queries.helpers_in(scope_for(request.user, EDIT)).filter(active=True).select_related("unit")
        if extra is not None:
            area_helpers = area_helpers.filter(pairings__household=extra, pairings__end__isnull=True)
        helper_choices += [h for h in area_helpers.order_by("name")[:500] if h not in helper_choices]
    form = VisitForm(request.POST or None, households=own_households, helpers=helper_choices,
                     initial={"household": wanted, "helper": helper_choices[0].pk if helper_choices else None})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        household = next(h for h in own_households if h.pk == d["household"])
        helper = next((h for h in helper_choices if h.pk == d["helper"]), None)
        try:
            actions.log_visit(actor(request), household=household, helper=helper, date=d["date"],
                              findings=d["findings"], agreements=d["agreements"],
                              files=request.FILES.getlist("photos"))
        except ActionError as exc:
            if exc.field == "photos":
                form.add_error(None, str(exc.message))
            else:
                form_error(request, form, exc)
        else:
            messages.success(request, _("Visit logged."))
            if not edit:
                return redirect(reverse("assistance:mine") + f"#h{household.pk}")
            return redirect("assistance:visits")
    return render(request, "assistance/visit_form.html", {
        "form": form, "max_mb": round(photos.max_bytes() / 1048576, 1),
        "max_count": photos.max_count()})


@require_perm(VIEW)
def visit_detail(request, pk):
    visit = queries.visit(request.user, pk)
    return render(request, "assistance/visit.html", {
        "visit": visit, "photos": visit.photos.all(), "history": queries.history(visit)[:20],
        "can_correct": visit.voided_at is None and actions.may_correct(actor(request), visit),
        "withdraw_form": WithdrawForm()})


@require_perm(LOG)
def visit_correct(request, pk):
    """Correct a visit's date and notes, add photos: an office at any time, who recorded
    it within the period."""
    visit = queries.visit(request.user, pk, LOG)
    if visit.voided_at is not None or not actions.may_correct(actor(request), visit):
        raise Forbidden(_("Only an office keeping assistance records, or the person who recorded it within %(n)s "
                          "days, may correct it.") % {"n": actions.correction_days()})
    form = VisitEditForm(request.POST or None, initial={"date": visit.date, "findings": visit.findings,
                                                        "agreements": visit.agreements})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.correct_visit(actor(request), visit, date=d["date"], findings=d["findings"],
                                  agreements=d["agreements"], files=request.FILES.getlist("photos"))
        except ActionError as exc:
            if exc.field == "photos":
                form.add_error(None, str(exc.message))
            else:
                form_error(request, form, exc)
        else:
            messages.success(request, _("Visit corrected."))
            return redirect("assistance:visit", pk=visit.pk)
    return render(request, "assistance/visit_form.html", {
        "form": form, "visit": visit, "max_mb": round(photos.max_bytes() / 1048576, 1),
        "max_count": photos.max_count()})


@require_POST
@require_perm(LOG)
def visit_withdraw(request, pk):
    return _withdraw(request, queries.visit(request.user, pk, LOG), actions.withdraw_visit, "assistance:visit",
                     _("Visit withdrawn: it is kept with the reason and counted nowhere."))


@require_perm(VIEW)
def photo(request, pk):
    """A visit photo, served only to users who may see the household (never from
    /media/); each opening is logged as a sensitive read."""
    p = queries.photo(request.user, pk)
    response = photo_response(p)
    actions.read_photo(actor(request), p)
    return response


def photo_response(p) -> FileResponse:
    try:
        fh = p.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(fh, content_type=p.content_type)
    response["Content-Security-Policy"] = "default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- 六清 and coverage --------------------------------------------------------------------------

@require_perm(VIEW)
def six_clear(request):
    scope, _area, ctx = area_context(request)
    year = parse_year(request.GET.get("year"))
    by = request.GET.get("by", "village")
    rows = queries.six_clear_by_helper(scope, year) if by == "helper" else queries.six_clear_by_village(scope, year)
    gaps = None
    item = request.GET.get("item", "")
    if item in rules.SIX_CLEAR_KEYS:
        qs = queries.six_clear(queries.households_for_six_clear(scope), year).filter(**{f"c_{item}": False})
        helper = parse_int(request.GET.get("helper"))
        if helper is not None:
            qs = qs.filter(pairings__helper_id=helper, pairings__end__isnull=True)
        village = request.GET.get("village", "")
        if village.isdigit() and len(village) == 12:
            qs = qs.filter(area_code__startswith=village)
        gaps = Paginator(qs.select_related("village").order_by("area_code", "number"),
                         settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "assistance/six_clear.html", {
        **ctx, "rows": rows, "by": by, "year": year, "items": rules.SIX_CLEAR, "item": item, "gaps": gaps,
        "item_label": dict((k, label) for k, label, _zh in rules.SIX_CLEAR).get(item, "")})


COVERAGE_LISTS = ["households", "no_team", "no_unit", "helpers", "six_clear", "plans"]


@require_perm(VIEW)
def coverage(request):
    """What a township officer acts on: households without a helper, poor / key villages
    without a team or a contracted unit, helpers with no visit in N days, 六清 gaps,
    plans without measures — each a count and a list (set-based queries)."""
    scope, _area, ctx = area_context(request)
    today = clock.today()
    year = parse_year(request.GET.get("year"))
    days = settings.ASSISTANCE_VISIT_GAP_DAYS
    since = today - dt.timedelta(days=days)
    lists = {
        "households": holds.annotate(queries.households_without_helper(scope).select_related("village")
                                     .order_by("area_code", "number")),
        "no_team": queries.villages_without_team(scope, today),
        "no_unit": queries.villages_without_unit(scope, today),
        "helpers": queries.helpers_without_visit(scope, since).select_related("unit").order_by("last_visit", "name"),
        "six_clear": queries.six_clear_gaps(scope, year).select_related("village").order_by("area_code", "number"),
        "plans": queries.plans_without_measures(scope, year).select_related("household", "household__village")
        .order_by("area_code", "pk"),
    }
    counts = {k: qs.count() for k, qs in lists.items()}
    show = request.GET.get("list", "")
    if show not in lists:
        show = next((k for k in COVERAGE_LISTS if counts[k]), "households")
    page = Paginator(lists[show], settings.PAGE_SIZE).get_page(request.GET.get("page"))
    if show == "households":
        for h in page.object_list:
            h.hold_labels = holds.labels(h)
    if show == "six_clear":
        for h in page.object_list:
            h.missing = [label for key, label, _zh in rules.SIX_CLEAR if not getattr(h, f"c_{key}")]
    return render(request, "assistance/coverage.html", {
        **ctx, "counts": counts, "show": show, "page_obj": page, "year": year, "days": days, "since": since,
        "can_edit": can(request.user, EDIT)})


__all__ = ["Q"]
