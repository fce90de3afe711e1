"""Pages of the delisting app: the villages of an area with their exit check and state,
a village's exit page (check item by item, its assessments and procedure), the county
assessment rounds (sample, survey entry and import, rates, steps), Excel exports."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fupin.accounts.scoping import can, scope_for
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock, dates
from fupin.core.actor import Actor
from fupin.core.errors import ActionError, Forbidden, Invalid, NotFound
from fupin.core.tabular import write_xlsx
from fupin.core.views_util import date_param, require_perm
from fupin.registry import codes as registry_codes
from fupin.registry.models import ChecklistItem
from fupin.registry.views.common import chooser, chosen_area, top_area

from . import actions, importers, queries, rules
from .models import CountyCriteria, CountyStep, SampleHousehold, VillageCriteria

VIEW = "registry.view"
EXPORT = "registry.export"  # files with households' personal data (names): docs/permissions.md
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _actor(request) -> Actor:
    return Actor.from_request(request)


def _year(value, default: int) -> int:
    value = (value or "").strip()
    if value.isdecimal() and len(value) == 4 and 2010 <= int(value) <= clock.today().year + 1:
        return int(value)
    return default


def _date(value, field: str = "date") -> dt.date | None:
    """A typed date (core.dates.typed_date: 2017-01-05, 2017/1/5, 2017年1月5日 …); nothing
    typed is None; anything else is Invalid naming the value and the reason."""
    try:
        return dates.typed_date(value)
    except ValueError as exc:
        raise Invalid(str(exc), field=field) from None


def _yes_no(value) -> bool | None:
    return {"yes": True, "no": False}.get((value or "").strip())


def _int(value, field: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdecimal() or len(value) > 18:  # the actions check ranges; 18 digits fit every integer column
        raise Invalid(_("Not a whole number."), field=field)
    return int(value)


def _error(request, exc: ActionError) -> None:
    if isinstance(exc, NotFound):
        raise Http404 from exc
    if isinstance(exc, Forbidden):
        raise exc
    messages.error(request, str(exc.message))


# --- villages ----------------------------------------------------------------------------

def _village_rows(request):
    """The villages of the chosen area (or of the user's one area, which the chooser shows
    selected) with their check. By default only the villages the check is for (poor
    villages by their status of the year, see rules.village_applies); ``show=all`` lists
    the others too, marked not applicable."""
    scope = scope_for(request.user, VIEW)
    area = chosen_area(request, scope) or top_area(scope)
    show_all = request.GET.get("show") == "all"
    ctx = {"chooser": chooser(scope, area), "area": area, "show_all": show_all}
    if area is None or area_rules.LEVELS.index(area.level) < area_rules.LEVELS.index(area_rules.COUNTY):
        return ctx, None
    default_year = queries.latest_profile_year(area.prefix) or clock.today().year
    year = _year(request.GET.get("year"), default_year)
    # The "status as of" day: the one asked for, or the year's default (the page says so
    # when the day typed was not understood).
    on, date_understood = date_param(request, request.GET.get("on"), queries.default_on(year))
    villages = list(queries.villages(request.user, area.prefix).order_by("code"))
    rows = queries.village_checks(villages, area.prefix, year, on)
    applying = [r for r in rows if r["applies"]]
    ctx.update(year=year, on=on, date_understood=date_understood, candidates=len(applying),
               passing=sum(1 for r in applying if r["passed"]), not_applicable=len(rows) - len(applying))
    return ctx, rows if show_all else applying


@require_perm(VIEW)
def villages(request):
    ctx, rows = _village_rows(request)
    if rows is not None:
        ctx["page_obj"] = Paginator(rows, settings.PAGE_SIZE).get_page(request.GET.get("page"))
        ctx["query"] = request.GET.urlencode()
        other = request.GET.copy()
        other.pop("page", None)
        other.pop("show", None)
        if ctx["area"] is not None and "area" not in other:
            other["area"] = ctx["area"].code
        if not ctx["show_all"]:
            other["show"] = "all"
        ctx["other_query"] = other.urlencode()
    return render(request, "delisting/villages.html", ctx)


@require_perm(VIEW)
def villages_export(request):
    ctx, rows = _village_rows(request)
    if rows is None:
        messages.error(request, _("Choose a county, township or village first."))
        return redirect("delisting:villages")
    if not ctx["date_understood"]:  # not the file of a day nobody asked for: the page, with the message
        query = request.GET.copy()  # (given here: the page shows the default day without repeating it)
        query.pop("on", None)
        return redirect(f"{reverse('delisting:villages')}?{query.urlencode()}")
    headers = [_("Village code"), _("Village"), _("Year"), _("Status as of"), _("Poor people"),
               _("Rural registered population"), _("Poverty incidence"), _("Collective economy income"),
               _("Criteria met"), _("Items not met"), _("Village status"), _("Assessment")]
    out = []
    for r in rows:
        p = r["profile"]
        failed = "、".join(str(i["label"]) for i in r["items"] if i["ok"] is False)
        out.append([r["village"].code, r["village"].name, ctx["year"], ctx["on"].isoformat(), r["poor_people"],
                    p.rural_population if p else "", r["incidence"]["rate"] if r["incidence"] else "",
                    str(p.collective_income) if p else "",
                    (_("yes") if r["passed"] else _("no")) if r["applies"] else _("not applicable"),
                    failed if r["applies"] else "",
                    registry_codes.label("village_status", p.status) if p else "",
                    r["assessment"].get_state_display() if r["assessment"] else ""])
    buffer = io.BytesIO()
    write_xlsx(buffer, headers, out, sheet_name=_("Village exit check"))
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="village-exit-{ctx["area"].code}-{ctx["year"]}.xlsx"'
    return response


@require_perm(VIEW)
def village(request, code):
    v = queries.village(request.user, code)
    default_year = queries.latest_profile_year(v.code) or clock.today().year
    year = _year(request.GET.get("year"), default_year)
    on, _understood = date_param(request, request.GET.get("on"), queries.default_on(year))
    check = queries.village_check(v, year, on)
    history = list(queries.assessments(request.user).filter(village=v).prefetch_related("steps", "objections")
                   .order_by("-year", "-id"))
    return render(request, "delisting/village.html", {
        "village": v, "year": year, "on": on, "check": check, "history": history,
        "can_assess": can(request.user, actions.ASSESS, v.code),
        "can_notice": can(request.user, actions.NOTICE_PERM, v.code), "today": clock.today(),
        "earliest_close": {a.pk: rules.notice_earliest_close(s.started_on, a.notice_days)
                           for a in history for s in a.steps.all() if s.code == "township_notice"},
    })


@require_POST
@require_perm(VIEW)
def village_assess(request, code):
    v = queries.village(request.user, code)
    try:
        year = _year(request.POST.get("year"), clock.today().year)
        actions.assess_village(_actor(request), v, year, _date(request.POST.get("on"), "on"))
    except ActionError as exc:
        _error(request, exc)
        year = _year(request.POST.get("year"), clock.today().year)
    else:
        messages.success(request, _("Assessment recorded."))
    return redirect(f"{v_url(v.code)}?year={year}")


def v_url(code: str) -> str:
    from django.urls import reverse

    return reverse("delisting:village", kwargs={"code": code})


@require_POST
@require_perm(VIEW)
def assessment_act(request, pk):
    """One step on a village's procedure: publish / objection / decide / close / approve / reject / announce."""
    a = queries.assessment(request.user, pk)
    do, actor, post = request.POST.get("do", ""), _actor(request), request.POST
    try:
        if do == "publish":
            actions.publish_notice(actor, a, _date(post.get("date")))
        elif do == "objection":
            actions.record_objection(actor, a, received_on=_date(post.get("date")) or clock.today(),
                                     content=post.get("content", ""), objector=post.get("objector", ""))
        elif do == "decide":
            objection = a.objections.filter(pk=_int(post.get("objection"), "objection") or 0).first()
            if objection is None:
                raise NotFound()
            actions.decide_objection(actor, objection, upheld=post.get("upheld") == "yes",
                                     answer=post.get("answer", ""))
        elif do == "close":
            actions.close_notice(actor, a)
        elif do in ("approve", "reject"):
            actions.approve_village(actor, a, approved=do == "approve", note=post.get("note", ""),
                                    date=_date(post.get("date")))
        elif do == "announce":
            actions.announce_village(actor, a, _date(post.get("date")), note=post.get("note", ""))
        else:
            raise Invalid(_("Unknown action."))
    except ActionError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Done."))
    return redirect(f"{v_url(a.area_code)}?year={a.year}")


# --- county rounds ----------------------------------------------------------------------------

@require_perm(VIEW)
def rounds(request):
    scope = scope_for(request.user, VIEW)
    area = chosen_area(request, scope)
    qs = queries.rounds(request.user)
    if area is not None:
        qs = scope.narrow(area.prefix).filter(qs)
    page = Paginator(qs.order_by("-year", "area_code", "-id"), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    counties = scope_for(request.user, actions.ASSESS).filter(
        Area.objects.filter(level=area_rules.COUNTY, valid_to__isnull=True), "code").order_by("code")[:200]
    return render(request, "delisting/rounds.html", {
        "chooser": chooser(scope, area), "area": area, "page_obj": page, "counties": counties,
        "can_assess": can(request.user, actions.ASSESS), "this_year": clock.today().year})


@require_POST
@require_perm(actions.ASSESS)
def round_create(request):
    post = request.POST
    try:
        county = scope_for(request.user, actions.ASSESS).get(
            Area.objects.filter(level=area_rules.COUNTY, valid_to__isnull=True), "code",
            code=(post.get("county") or "").strip())
        rnd = actions.start_round(
            _actor(request), county, _year(post.get("year"), clock.today().year), on=_date(post.get("on"), "on"),
            seed=_int(post.get("seed"), "seed"), sample_villages=_int(post.get("sample_villages"), "sample_villages"),
            sample_registered=_int(post.get("sample_registered"), "sample_registered"),
            sample_non_registered=_int(post.get("sample_non_registered"), "sample_non_registered"))
    except ActionError as exc:
        _error(request, exc)
        return redirect("delisting:rounds")
    messages.success(request, _("Round started and sample drawn."))
    return redirect("delisting:round", pk=rnd.pk)


def _round_page(request, rnd, *, errors=None, status: int = 200):
    """A round's page: its rates, steps and sample (and an import's errors, if any)."""
    check = queries.county_check(rnd)
    samples = list(rnd.households.select_related("household", "household__village").order_by("order"))
    return render(request, "delisting/round.html", {
        "round": rnd, "check": check, "samples": samples,
        "villages": rnd.villages.select_related("village").order_by("order"),
        "steps": rnd.steps.select_related("acted_by"),
        "next_step": next((c for c in rules.COUNTY_STEPS if rules.COUNTY_STATE_BEFORE[c] == rnd.state), None),
        "step_labels": dict(CountyStep.CODES),
        "can_survey": can(request.user, actions.SURVEY, rnd.area_code) and rnd.state == rnd.SURVEY,
        "can_export": can(request.user, EXPORT, rnd.area_code), "errors": errors}, status=status)


@require_perm(VIEW)
def round_detail(request, pk):
    return _round_page(request, queries.round_(request.user, pk))


@require_perm(VIEW)
def survey(request, pk, sample_pk):
    rnd = queries.round_(request.user, pk)
    s = queries.sample(request.user, rnd, sample_pk)
    if request.method == "POST":
        post = request.POST
        try:
            actions.save_survey(
                _actor(request), s, version=post.get("version"),
                surveyed_on=_date(post.get("surveyed_on"), "surveyed_on"), respondent=post.get("respondent", ""),
                people=_int(post.get("people"), "people"), exit_correct=_yes_no(post.get("exit_correct")),
                should_register=_yes_no(post.get("should_register")), approves=_yes_no(post.get("approves")),
                note=post.get("note", ""))
        except ActionError as exc:
            _error(request, exc)
            s.refresh_from_db()  # the form again with the record as it is now (and its version)
        else:
            messages.success(request, _("Survey record saved."))
            return redirect("delisting:round", pk=rnd.pk)
    return render(request, "delisting/survey.html", {
        "round": rnd, "s": s, "exited": s.stratum == SampleHousehold.EXITED,
        "non_registered": s.stratum == SampleHousehold.NON_REGISTERED, "today": clock.today(),
        "can_survey": can(request.user, actions.SURVEY, s.area_code) and rnd.state == rnd.SURVEY})


@require_POST
@require_perm(actions.SURVEY)
def survey_import(request, pk):
    rnd = queries.round_(request.user, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file."))
        return redirect("delisting:round", pk=rnd.pk)
    suffix = Path(upload.name).suffix.lower()
    if suffix not in (".xlsx", ".xls", ".csv"):
        messages.error(request, _("Upload an Excel (.xlsx) or CSV file."))
        return redirect("delisting:round", pk=rnd.pk)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"survey{suffix}"
        with path.open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        try:
            count, report = importers.import_survey(_actor(request), rnd, path)
        except ActionError as exc:
            _error(request, exc)
            return redirect("delisting:round", pk=rnd.pk)
    if report:
        if request.POST.get("report") == "xlsx":
            buffer = io.BytesIO()
            report.write_xlsx(buffer)
            response = HttpResponse(buffer.getvalue(), content_type=XLSX)
            response["Content-Disposition"] = 'attachment; filename="survey-errors.xlsx"'
            return response
        messages.error(request, ngettext("Nothing was imported: %(n)s error.", "Nothing was imported: %(n)s errors.",
                                         len(report)) % {"n": len(report)})
        return _round_page(request, rnd, errors=report.errors, status=422)
    messages.success(request, ngettext("%(n)s survey record imported.", "%(n)s survey records imported.", count)
                     % {"n": count})
    return redirect("delisting:round", pk=rnd.pk)


@require_perm(VIEW)
def round_export(request, pk):
    """The sample with its survey records (also the import template). It holds the sampled
    households' numbers, heads' names and the respondents: personal data, so it needs
    ``registry.export`` at the round's county (as the other exports of households with
    names), and each download is logged as an export. A round outside the user's scope is
    a 404 first, as everywhere."""
    rnd = queries.round_(request.user, pk)
    if not can(request.user, EXPORT, rnd.area_code):
        raise Forbidden()
    check = queries.county_check(rnd)
    buffer = io.BytesIO()
    rates = [[str(i["label"]), i["value"], i["required"], _("met") if i["ok"] else _("not met"), i["source"]]
             for i in check["items"]]
    write_xlsx(buffer, importers.HEADERS, importers.export_rows(rnd), sheet_name=_("Survey"),
               extra_sheets={_("Rates"): ([_("Criterion"), _("Value"), _("Required"), _("Result"), _("Source")],
                                          rates)})
    audit.record_export(_actor(request), "delisting.round.export", area_code=rnd.area_code,
                        count=check["counts"]["total"], note=f"round {rnd.pk}")
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="county-exit-{rnd.area_code[:6]}-{rnd.year}.xlsx"'
    return response


@require_POST
@require_perm(VIEW)
def round_step(request, pk):
    rnd = queries.round_(request.user, pk)
    post = request.POST
    try:
        actions.county_step(_actor(request), rnd, post.get("code", ""), date=_date(post.get("date")),
                            approved=post.get("decision", "approved") != "returned", note=post.get("note", ""))
    except ActionError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Step recorded."))
    return redirect("delisting:round", pk=rnd.pk)



# --- the criteria (standards): a page per row ----------------------------------------------------------

CRITERIA_MODELS = {"village": (VillageCriteria, actions.VILLAGE_CRITERIA_FIELDS, actions.save_village_criteria),
                   "county": (CountyCriteria, actions.COUNTY_CRITERIA_FIELDS, actions.save_county_criteria)}
LIST_FIELDS = ("checklist_items", "eligible_statuses")


@require_perm(VIEW)
def criteria(request):
    return render(request, "delisting/criteria.html", {
        "nav": "criteria", "village_rows": queries.with_labels(list(queries.criteria_rows(request.user, VillageCriteria))),
        "county_rows": queries.with_labels(list(queries.criteria_rows(request.user, CountyCriteria)))})


def _criteria_values(obj, fields) -> dict:
    values = {}
    for f in fields:
        v = getattr(obj, f)
        values[f] = ", ".join(v) if f in LIST_FIELDS else ("" if v is None else v)
    return values


@require_perm(VIEW)
def criteria_edit(request, kind, pk):
    if kind not in CRITERIA_MODELS:
        raise Http404
    model, fields, save = CRITERIA_MODELS[kind]
    obj = queries.criteria_row(request.user, model, pk)
    can_edit = can(request.user, actions.CRITERIA_EDIT, obj.area_prefix.ljust(12, "0"))
    values, error, status = _criteria_values(obj, fields), None, 200
    if request.method == "POST":
        values = {f: request.POST.get(f, "").strip() for f in fields}
        try:
            save(_actor(request), obj, **values)
        except NotFound:
            raise Http404 from None
        except ActionError as exc:
            error, status = str(exc.message), (403 if isinstance(exc, Forbidden) else 200)
            if exc.field:
                error = f"{model._meta.get_field(exc.field).verbose_name}: {error}"
        else:
            messages.success(request, _("Criteria saved."))
            return redirect("delisting:criteria_edit", kind=kind, pk=obj.pk)
    checklist = list(ChecklistItem.objects.order_by("area_prefix", "code").values_list("code", "name").distinct())
    return render(request, "delisting/criteria_form.html", {
        "nav": "criteria", "kind": kind, "obj": obj, "values": values, "error": error, "can_edit": can_edit,
        "rows": [(f, model._meta.get_field(f).verbose_name, values.get(f, "")) for f in fields],
        "long": {f for f in fields if f.endswith("source") or f == "note"}, "checklist": checklist},
        status=status)
