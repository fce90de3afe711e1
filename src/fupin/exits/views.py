"""Pages of the exits app: the exit check over an area (items as columns, start an
exit batch from the passing households), a household's check, households in their
observation period (Excel export, logged) and closing ended periods, return cases,
and the exit criteria and policy periods (standards)."""

from __future__ import annotations

import datetime as dt
import json
import tempfile

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fupin.accounts.rules import ADMIN
from fupin.accounts.scoping import can, roles_of, scope_for
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import ActionError, Forbidden, NotFound
from fupin.core.views_util import date_param, require_perm
from fupin.registry import codes
from fupin.registry import stats as registry_stats
from fupin.registry.views.common import chooser, chosen_area

from . import actions, queries, rules
from .models import ExitCriteria

VIEW = "registry.view"
EXPORT = "registry.export"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _actor(request) -> Actor:
    return Actor.from_request(request)


def _area(request, perm: str = VIEW):
    scope = scope_for(request.user, perm)
    area = chosen_area(request, scope)
    return area, {"chooser": chooser(scope, area), "area": area}


def _year(value) -> int:
    value = (value or "").strip()
    if value.isdecimal() and len(value) == 4 and 2000 <= int(value) <= clock.today().year + 1:
        return int(value)
    return clock.today().year


def _prefix(request, area) -> str:
    if area is not None:
        return area.prefix
    scope = scope_for(request.user, VIEW)
    return scope.prefixes[0] if len(scope.prefixes) == 1 else ""


# --- the exit check over an area ---------------------------------------------------------------

@require_perm(VIEW)
def check(request):
    area, ctx = _area(request)
    prefix = _prefix(request, area)
    asked = (request.GET.get("year") or "").strip()
    year_note = ""
    if asked:
        year = _year(asked)
    else:
        year, found = queries.default_year(request.user, prefix)
        year_note = (_("Exit year %(year)s is shown: the latest year with incomes recorded in this area. "
                       "Enter another year to check it.") if found else
                     _("No income is recorded in this area yet: last year, %(year)s, is shown. "
                       "Enter another year to check it.")) % {"year": year}
    result = request.GET.get("result", "")
    status = request.GET.get("status", "")
    statuses = [status] if status in queries.CHECK_STATUSES else list(queries.CHECK_STATUSES)
    q = request.GET.get("q", "").strip()
    qs = queries.checked_households(request.user, prefix, year, statuses=statuses,
                                    result=result if result in ("pass", "fail") else "", q=q)
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    queries.explain(rows, year)
    can_start = area is not None and area.level in ("village", "township", "county") and \
        can(request.user, "procedures.village", area.code)
    return render(request, "exits/check.html", {
        **ctx, "page_obj": page, "rows": rows, "year": year, "year_note": year_note, "result": result,
        "status": status, "q": q,
        "items": [(code, rules.item_label(code)) for code in rules.ITEMS], "can_start": can_start,
        "statuses": [(s, codes.label("status", s)) for s in queries.CHECK_STATUSES]})


@require_POST
@require_perm("procedures.village")
def start(request):
    code = request.POST.get("area", "").strip()
    if not area_rules.is_valid_code(code):
        raise Http404
    area = scope_for(request.user, "procedures.village").get(Area.objects.filter(valid_to__isnull=True), "code",
                                                             code=code)
    ids = request.POST.getlist("household")
    try:
        batch = actions.start_exit(_actor(request), area, ids, title=request.POST.get("title", ""))
    except NotFound:
        raise Http404 from None
    except ActionError as exc:
        messages.error(request, str(exc.message))
        return redirect(f"{reverse('exits:check')}?area={area.code}")
    messages.success(request, _("Exit batch started with %(n)s households.") % {"n": batch.members.count()})
    return redirect("procedures:batch", pk=batch.pk)


@require_perm(VIEW)
def household(request, pk):
    h = queries.household(request.user, pk)
    year = _year(request.GET.get("year"))
    row = queries.household_check(h, year)
    period = queries.with_period(type(h).objects.filter(pk=h.pk), clock.today()).get()
    return render(request, "exits/household.html", {
        "household": h, "row": row, "year": year, "period": period,
        "cases": list(h.return_cases.select_related("batch").order_by("-created_at")),
        "can_return": h.status in ("exited_policy", "exited") and can(request.user, "procedures.village",
                                                                        h.area_code),
        "can_start": h.status in queries.CHECK_STATUSES and can(request.user, "procedures.village", h.area_code)})


# --- observation ------------------------------------------------------------------------------------

def _observation_rows(qs):
    for h in qs.iterator(chunk_size=2000):
        yield [h.number, h.head_name, h.village.name, codes.zh("status", h.status), h.exit_date, h.observation_until,
               str(rules.PERIOD_KINDS.get(h.period_kind, h.period_kind))]


@require_perm(VIEW)
def observation(request):
    area, ctx = _area(request)
    on, understood = date_param(request, request.GET.get("on"), clock.today())
    prefix = _prefix(request, area)
    code = area.code if area else registry_stats.code_of(prefix)
    if request.GET.get("format") == "xlsx" and understood:  # not the list of a day nobody asked for
        return _observation_export(request, code, prefix, on)
    qs = (queries.in_observation(request.user, prefix, on).select_related("village", "group")
          .order_by("observation_until", "area_code", "number"))
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    edit_scope = scope_for(request.user, "registry.edit").narrow(prefix)
    ended = queries.period_ended(edit_scope, clock.today()).count() if not edit_scope.is_empty else 0
    return render(request, "exits/observation.html", {
        **ctx, "page_obj": page, "on": on, "ended": ended, "today": clock.today(),
        "can_export": can(request.user, EXPORT, code or None),
        "periods": list(queries.periods(request.user).order_by("area_prefix", "-from_year"))})


def _observation_export(request, code: str, prefix: str, on: dt.date):
    """The list as Excel: personal data, so it needs ``registry.export`` where the list is
    taken, holds only households of the user's export scope, and is logged (as the
    dynamics app's export of the same households)."""
    from fupin.core.tabular import write_xlsx

    if not can(request.user, EXPORT, code or None):
        raise Forbidden()
    qs = (queries.in_observation(request.user, prefix, on, perm=EXPORT).select_related("village", "group")
          .order_by("observation_until", "area_code", "number"))
    count = qs.count()
    tmp = tempfile.TemporaryFile()
    write_xlsx(tmp, [_("Household number"), _("Head of household"), _("Village"), _("Status"), _("Exit date"),
                     _("In observation until"), _("Period")], _observation_rows(qs),
               sheet_name=_("Observation"))
    tmp.seek(0)
    audit.record_export(_actor(request), "exits.observation.export", area_code=code, count=count, note=f"on {on}")
    response = StreamingHttpResponse(iter(lambda: tmp.read(65536), b""), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="observation-{on}.xlsx"'
    return response


@require_POST
@require_perm("registry.edit")
def close(request):
    code = request.POST.get("area", "").strip()
    prefix = ""
    if code:
        if not area_rules.is_valid_code(code):
            raise Http404
        area = scope_for(request.user, "registry.edit").get(Area.objects.all(), "code", code=code)
        prefix = area.prefix
    else:
        scope = scope_for(request.user, "registry.edit")
        prefix = scope.prefixes[0] if len(scope.prefixes) == 1 else ""
    try:
        n = actions.close_observation(_actor(request), prefix)
    except ActionError as exc:
        messages.error(request, str(exc.message))
        return redirect("exits:observation")
    messages.success(request, _("%(n)s households left their policy period (now exited).") % {"n": n})
    return redirect("exits:observation")


# --- return to poverty --------------------------------------------------------------------------------

@require_perm(VIEW)
def returns(request):
    area, ctx = _area(request)
    qs = queries.return_cases(request.user, area_prefix=area.prefix if area is not None else "")
    page = Paginator(qs.order_by("-created_at", "-id"), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "exits/returns.html", {**ctx, "page_obj": page})


@require_perm("procedures.village")
def return_start(request, pk):
    h = queries.household(request.user, pk, "procedures.village")
    values = {"reason": "", "cause": "", "occurred_on": clock.today().isoformat()}
    error = None
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        try:
            case = actions.start_return(_actor(request), h, **values)
        except ActionError as exc:
            if isinstance(exc, NotFound):
                raise Http404 from exc
            error = str(exc.message)
        else:
            messages.success(request, _("Return case started: the household becomes “returned” when the procedure "
                                        "completes."))
            return redirect("procedures:batch", pk=case.batch_id)
    return render(request, "exits/return_form.html", {"household": h, "values": values, "error": error,
                                                      "causes": codes.choices("cause")})


# --- criteria (standards) --------------------------------------------------------------------------------

def describe_item_params(params) -> list[tuple[str, str]]:
    """An exit item's parameters as (label, value) pairs for people (the page printed
    ``key=value``): the income item's own keys here, the rest as identification's criteria
    show theirs (grades, school ages, the counting day, school statuses)."""
    from fupin.identification import rules as id_rules
    from fupin.identification.present import describe_params

    p = dict(params or {})
    out: list[tuple[str, str]] = []
    if "line" in p:
        line = p.pop("line")
        out.append((_("Line"), _("the line of the household's identification standard") if line == "standard"
                    else str(id_rules.LINE_KINDS.get(line, line))))
    if "consecutive_years" in p:
        out.append((_("Years in a row above the line"), str(p.pop("consecutive_years"))))
    if "inclusive" in p:
        out.append((_("An income equal to the line passes"), _("yes") if p.pop("inclusive") else _("no")))
    if "year_offset" in p:
        offset = int(p.pop("year_offset") or 0)
        out.append((_("Income year"), _("the exit year") if offset == 0 else
                    ngettext("%(n)s year before the exit year", "%(n)s years before the exit year", -offset)
                    % {"n": -offset} if offset < 0 else
                    ngettext("%(n)s year after the exit year", "%(n)s years after the exit year", offset)
                    % {"n": offset}))
    return out + describe_params(p)  # grades, renovation, school ages, the counting day, statuses


def shown_items(items) -> list[dict]:
    """A criteria set's items as the pages show them: the item's label, whether it is in
    use, its parameters in words (``describe_item_params``) and its source."""
    return [{**i, "label": rules.item_label(i.get("code", "")), "described": describe_item_params(i.get("params"))}
            for i in items or [] if isinstance(i, dict)]


@require_perm(VIEW)
def criteria(request):
    sets = list(queries.criteria_sets(request.user).order_by("area_prefix", "-from_year"))
    for s in sets:
        s.shown_items = shown_items(s.items)
    return render(request, "exits/criteria.html", {
        "sets": sets,
        "periods": list(queries.periods(request.user).order_by("area_prefix", "-from_year")),
        "can_edit": can(request.user, "standards.edit")})


def _criteria_form(request, obj: ExitCriteria | None):
    base = obj or (queries.criteria_sets(request.user).filter(area_prefix="").order_by("-from_year").first())
    values = {"name": obj.name if obj else "", "area_prefix": obj.area_prefix if obj else "",
              "from_year": obj.from_year if obj else clock.today().year, "to_year": obj.to_year if obj else "",
              "source": obj.source if obj else "", "note": obj.note if obj else "",
              "items": json.dumps(base.items if base else [], ensure_ascii=False, indent=2)}
    error, status = None, 200
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        try:
            items = json.loads(values["items"] or "[]")
        except ValueError:
            error = _("The items are not valid JSON.")
        else:
            try:
                saved = actions.save_criteria(_actor(request), obj, version=request.POST.get("version"),
                                              **{**values, "items": items, "to_year": values["to_year"] or None})
            except ActionError as exc:
                if isinstance(exc, NotFound):
                    raise Http404 from exc
                error, status = str(exc.message), (403 if isinstance(exc, Forbidden) else 200)
            else:
                messages.success(request, _("Exit criteria saved."))
                return redirect("exits:criteria_edit", pk=saved.pk)
    return render(request, "exits/criteria_form.html", {"obj": obj, "values": values, "error": error,
                                                        "shown_items": shown_items(obj.items) if obj else []},
                  status=status)


@require_perm("standards.edit")
def criteria_create(request):
    return _criteria_form(request, None)


@require_perm(VIEW)
def criteria_edit(request, pk):
    obj = queries.criteria_set(request.user, pk)
    if request.method == "POST" or can(request.user, "standards.edit", obj.area_code):
        return _criteria_form(request, obj)
    # Read-only: the items as a table for everyone; the raw JSON only for an administrator
    # (the one who writes such rows), folded away.
    raw = json.dumps(obj.items, ensure_ascii=False, indent=2) if ADMIN in roles_of(request.user) else ""
    return render(request, "exits/criteria_form.html", {"obj": obj, "readonly": True, "values": {"items": raw},
                                                        "shown_items": shown_items(obj.items)})


# --- policy periods after exit (standards) --------------------------------------------------------------

PERIOD_KEYS = ("name", "area_prefix", "from_year", "to_year", "kind", "years", "until", "source", "note")


def _period_form(request, obj):
    values = {k: ("" if getattr(obj, k, None) is None else getattr(obj, k)) for k in PERIOD_KEYS} if obj else \
        {**dict.fromkeys(PERIOD_KEYS, ""), "from_year": clock.today().year, "kind": "observation"}
    if obj and obj.until:
        values["until"] = obj.until.isoformat()
    error, status = None, 200
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in PERIOD_KEYS}
        try:
            saved = actions.save_period(_actor(request), obj, **values)
        except NotFound:
            raise Http404 from None
        except ActionError as exc:
            error, status = str(exc.message), (403 if isinstance(exc, Forbidden) else 200)
        else:
            messages.success(request, _("Policy period saved."))
            return redirect("exits:period_edit", pk=saved.pk)
    return render(request, "exits/period_form.html", {
        "obj": obj, "values": values, "error": error, "readonly": False,
        "kinds": list(rules.PERIOD_KINDS.items())}, status=status)


@require_perm("standards.edit")
def period_create(request):
    return _period_form(request, None)


@require_perm(VIEW)
def period_edit(request, pk):
    obj = queries.period(request.user, pk)
    if request.method == "POST" or can(request.user, "standards.edit", obj.area_code):
        return _period_form(request, obj)
    return render(request, "exits/period_form.html", {"obj": obj, "readonly": True, "values": {},
                                                      "kinds": list(rules.PERIOD_KINDS.items())})
