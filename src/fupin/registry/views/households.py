"""Households: the list with search and filters, the card (户卡) and its PDF, create,
edit and change of status."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.utils.translation import gettext as _

from fupin.accounts.scoping import can, scope_for
from fupin.audit import actions as audit
from fupin.core import clock, masking
from fupin.core.actor import Actor
from fupin.core.errors import ActionError, Conflict
from fupin.core.pii import may_export_unmasked
from fupin.core.views_util import require_perm, sorted_qs

from .. import actions, codes, queries, stats
from ..forms import HouseholdForm, StatusForm, add_action_error, household_initial
from ..pdf import pdf_response
from .common import (
    card_member_headers,
    card_member_row,
    change_source,
    chooser,
    chosen_area,
    household_sections,
    income_table,
    member_badges,
    member_cells,
    member_flags,
    member_headers,
)

SORTS = {"number": "number", "head": "head_name", "village": "area_code", "size": "size", "status": "status",
         "category": "category", "year": "identified_year"}
# Columns with an index keep sorting fast on any number of rows; the others sort the whole
# selection, so they are offered only when it is at most this large (a county, a search).
INDEXED_SORTS = {"number", "head", "village"}
FREE_SORT_LIMIT = 50_000


def list_filters(request) -> dict:
    year = request.GET.get("year", "").strip()
    return {"status": request.GET.get("status", ""), "category": request.GET.get("category", ""),
            "cause": request.GET.get("cause", ""), "year": int(year) if year.isdecimal() and len(year) == 4 else None}


def filter_choices() -> dict:
    return {"statuses": codes.choices("status"), "categories": codes.choices("category"),
            "causes": codes.choices("cause")}


@require_perm("registry.view")
def household_list(request):
    scope = scope_for(request.user, "registry.view")
    area = chosen_area(request, scope)
    if area is not None:
        scope = scope.narrow(area.prefix)
    q = request.GET.get("q", "").strip()
    filters = list_filters(request)
    qs = queries.filter_households(queries.find_households(scope, q), **filters)
    totals = _rollup_totals(scope) if not q and not any(filters.values()) else None
    if totals is None:
        totals = queries.household_totals(qs)
    sorts = SORTS if totals["households"] <= FREE_SORT_LIMIT else {k: v for k, v in SORTS.items()
                                                                   if k in INDEXED_SORTS}
    qs = sorted_qs(request, qs.prefetch_related("village", "group"), sorts, "village")
    paginator = Paginator(qs, settings.PAGE_SIZE)
    paginator.__dict__["count"] = totals["households"]  # counted once, with the people
    return render(request, "registry/households.html", {
        "page_obj": paginator.get_page(request.GET.get("page")), "q": q, "filters": filters,
        "totals": totals, "chooser": chooser(scope_for(request.user, "registry.view"), area), "area": area,
        "can_edit": can(request.user, "registry.edit"), "free_sort": sorts is SORTS, **filter_choices()})


def _rollup_totals(scope) -> dict | None:
    """An unfiltered list of one large area (a province, a city, the country) counts its
    households and people from the statistics rollup, as the statistics page does (see
    stats.rollup_totals); None: count them live."""
    if len(scope.prefixes) != 1 or stats.level_of(scope.prefixes[0]) not in stats.ROLLUP_TOTALS_LEVELS:
        return None
    found = stats.rollup_totals(scope.prefixes[0])
    if found is None:
        return None
    total, _children = found
    return {"households": total["households"], "people": total["people"], "source": "rollup"}


def _assistance_template():
    """The assistance app's panel for the card, once that app exists."""
    if not apps.is_installed("fupin.assistance"):
        return None
    try:
        return select_template(["assistance/_household_card.html"]).template.name
    except TemplateDoesNotExist:
        return None


def _history(h) -> list:
    changes = list(h.status_changes.select_related("recorded_by").order_by("date", "pk"))
    for c in changes:
        c.source_label = change_source(c.source)
    return changes


def card_context(h, *, reveal: bool | None = None) -> dict:
    members = list(h.members.all().order_by("-active", "relation", "birth_date", "pk"))
    for m in members:
        m.cells = member_cells(m)
        m.flags = member_flags(m)
        m.badges = member_badges(m)
        m.card_cells, m.details = card_member_row(m)
        if reveal is not None:
            m.id_shown = m.id_number if reveal else masking.mask_id_number(m.id_number)
            m.phone_shown = m.phone if reveal else masking.mask_phone(m.phone)
    incomes = list(h.incomes.order_by("-year")[:5])[::-1]
    return {
        "household": h,
        "sections": household_sections(h, reveal=reveal),
        "causes": [codes.label("cause", c) for c in h.causes()],
        "members": [m for m in members if m.active],
        "left_members": [m for m in members if not m.active],
        "member_headers": member_headers(),
        "card_member_headers": card_member_headers(),
        "income": income_table(incomes) if incomes else None,
        "history": _history(h),
        "assistance_installed": apps.is_installed("fupin.assistance"),
        "assistance_template": _assistance_template(),
        "today": clock.today(),
    }


@require_perm("registry.view")
def household_card(request, pk):
    h = queries.household(request.user, pk)
    context = card_context(h)
    # The causes are shown once, as badges under the sections (#causes).
    context["sections"] = [s for s in context["sections"] if "main_cause" not in s["names"]]
    context.update({"can_edit": can(request.user, "registry.edit", h.area_code),
                    "can_reveal": can(request.user, "pii.reveal", h.area_code),
                    "can_full_pdf": may_export_unmasked(request.user, h.area_code),
                    "rechecks": _rechecks(h)})
    return render(request, "registry/household.html", context)


def _rechecks(h) -> list:
    """The household's yearly re-check records (一年一核), latest year first: its round (a
    round covers the household's area or one around it, so whoever sees the card sees the
    round), checked or not, by whom, when and what changed."""
    return list(h.rechecks.select_related("round", "round__area", "checked_by")
                .order_by("-round__year", "-round__started_at"))


@require_perm("registry.view")
def household_pdf(request, pk):
    """The card as PDF. Personal numbers are masked; a user who may export them unmasked
    (``registry.export`` and ``pii.reveal``, as for the registers) asks for them with
    ``?full=1``. Every PDF is logged as an export, saying whether it was unmasked."""
    h = queries.household(request.user, pk)
    reveal = request.GET.get("full") == "1" and may_export_unmasked(request.user, h.area_code)
    context = card_context(h, reveal=reveal)
    audit.record_export(Actor.from_request(request), "registry.household.pdf", area_code=h.area_code,
                        count=len(context["members"]) + len(context["left_members"]),
                        note=f"{h.number} {'unmasked' if reveal else 'masked'}")
    return pdf_response("registry/household_pdf.html", context, request,
                        f"{_('household card')}-{h.number}.pdf")


def _villages_for(user):
    """Villages of the user's editing area for the area code field's suggestions (bounded)."""
    return queries.villages(user, "registry.edit").order_by("code")[:2000]


@require_perm("registry.edit")
def household_create(request):
    # A new household is being identified (识别中) until the identification procedure registers it;
    # a user who may correct statuses may enter it with a procedure's status, giving the reason.
    initial = {"status": "identified", "status_date": clock.today(), "identified_year": clock.today().year}
    if request.GET.get("area"):
        initial["area_code"] = request.GET["area"]
    form = HouseholdForm(request.POST or None, initial=initial, creating=True,
                         may_correct=can(request.user, "registry.correct"))  # (the action checks the area)
    if request.method == "POST" and form.is_valid():
        try:
            h = actions.create_household(Actor.from_request(request), status=form.cleaned_data["status"],
                                         status_date=form.cleaned_data.get("status_date"),
                                         status_reason=form.cleaned_data.get("status_reason", ""), **form.values())
        except ActionError as exc:
            add_action_error(form, exc)
        else:
            messages.success(request, _("Household %(n)s created. Now add its members.") % {"n": h.number})
            return redirect("registry:member_create", pk=h.pk)
    return render(request, "registry/household_form.html", {"form": form, "villages": _villages_for(request.user)})


@require_perm("registry.edit")
def household_edit(request, pk):
    h = queries.household(request.user, pk, perm="registry.edit")
    form = HouseholdForm(request.POST or None, initial=household_initial(h))
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data.get("version")
        try:
            actions.update_household(Actor.from_request(request), h, version=version, **form.values())
        except Conflict as exc:
            form.add_error(None, str(exc.message))
        except ActionError as exc:
            add_action_error(form, exc)
        else:
            messages.success(request, _("Household %(n)s saved.") % {"n": h.number})
            return redirect("registry:household", pk=h.pk)
    return render(request, "registry/household_form.html", {"form": form, "household": h,
                                                            "villages": _villages_for(request.user)})


@require_perm("registry.edit")
def household_status(request, pk):
    h = queries.household(request.user, pk, perm="registry.edit")
    # Statuses a procedure sets (identification, exit) are that procedure's: the page points to it,
    # and offers them only to a user who may correct a status outside the procedures (with a reason).
    by_procedure = actions.procedure_statuses()
    may_correct = can(request.user, "registry.correct", h.area_code)
    form = StatusForm(request.POST or None, initial={"status": h.status}, by_procedure=by_procedure,
                      may_correct=may_correct)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.set_status(Actor.from_request(request), h, data["status"], data["date"], reason=data["reason"])
        except ActionError as exc:
            add_action_error(form, exc)
        else:
            messages.success(request, _("Status changed to “%(s)s”.") % {"s": codes.label("status", data["status"])})
            return redirect("registry:household", pk=h.pk)
    history = h.status_changes.select_related("recorded_by").order_by("date", "pk")
    procedures = [{"status": codes.label("status", status), "types": types} for status, types in by_procedure.items()]
    return render(request, "registry/household_status.html", {"form": form, "household": h, "history": history,
                                                             "procedures": procedures, "may_correct": may_correct})
