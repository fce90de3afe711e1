"""Who helps: helpers and their load, units' load, pairings with households (and
changes of helper), 挂包帮 / 对口帮扶 links with the villages' "三个一", work teams with
members and attendance."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.models import User
from fupin.accounts.scoping import can, scope_for
from fupin.core import clock
from fupin.core.errors import ActionError, Invalid
from fupin.core.views_util import require_perm, sorted_qs
from fupin.registry import queries as registry_queries

from .. import actions, catalog, queries
from ..forms import AttendanceForm, EndForm, HelperForm, LinkForm, PairForm, TeamForm, TeamMemberForm
from ..models import Attendance, Link, Pairing, TeamMember, WorkTeam
from .common import (
    EDIT,
    VIEW,
    actor,
    area_context,
    form_error,
    parse_month,
    scoped_area,
    units_for,
    villages_datalist,
)


@require_perm(VIEW)
def helpers(request):
    scope, _area, ctx = area_context(request)
    view = request.GET.get("view", "helpers")
    q = request.GET.get("q", "").strip()
    if view == "units":
        return render(request, "assistance/helpers.html", {**ctx, "view": view, "units": queries.unit_loads(scope),
                                                           "can_edit": can(request.user, EDIT)})
    qs = queries.with_load(queries.helpers_in(scope).select_related("unit"), scope)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(unit__name__contains=q) | Q(post__contains=q))
    qs = sorted_qs(request, qs, {"name": "name", "unit": "unit__name", "households": "households",
                                 "last_visit": "last_visit"}, "-households")
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "assistance/helpers.html", {
        **ctx, "view": view, "page_obj": page, "q": q, "can_edit": can(request.user, EDIT)})


def _helper_form(request, helper=None):
    scope = scope_for(request.user, EDIT)
    initial = {}
    if helper is not None:
        initial = {"name": helper.name, "unit": helper.unit_id, "post": helper.post, "phone": helper.phone,
                   "level": helper.level, "area_code": helper.area_code, "active": helper.active, "note": helper.note,
                   "username": helper.user.username if helper.user_id else ""}
    else:
        initial = {"area_code": request.GET.get("area", "")}
    form = HelperForm(request.POST or None, initial=initial, units=units_for(scope))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            area = scoped_area(request, data["area_code"], levels=("township", "village", "county"))
            user = None
            if data["username"].strip():
                user = User.objects.filter(username=data["username"].strip(), is_active=True).first()
                if user is None:
                    raise Invalid(_("No user of that name."), field="username")
            saved = actions.save_helper(actor(request), helper, name=data["name"], unit=data["unit"],
                                        post=data["post"], phone=data["phone"], level=data["level"], area=area,
                                        active=data["active"], note=data["note"], user=user)
        except ActionError as exc:
            form_error(request, form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("assistance:helper", pk=saved.pk)
    return render(request, "assistance/helper_form.html", {"form": form, "helper": helper,
                                                           "villages": villages_datalist(scope)})


@require_perm(EDIT)
def helper_create(request):
    return _helper_form(request)


@require_perm(EDIT)
def helper_edit(request, pk):
    helper = queries.helper(request.user, pk, EDIT)
    return _helper_form(request, helper)


@require_perm(VIEW)
def helper_detail(request, pk):
    helper = queries.helper(request.user, pk)
    scope = scope_for(request.user, VIEW)
    history = (scope.filter(Pairing.objects.filter(helper=helper)).select_related("household")
               .order_by("end", "-start"))
    visits = scope.filter(helper.visits.all()).select_related("household")[:20]
    links = scope.filter(helper.links.all()).select_related("area")
    teams = scope.filter(helper.team_memberships.all()).select_related("team", "team__village")
    return render(request, "assistance/helper.html", {
        "helper": helper, "history": history, "visits": visits, "links": links, "teams": teams,
        "open_count": sum(1 for p in history if p.end is None), "can_edit": can(request.user, EDIT, helper.area_code),
        "end_form": EndForm()})


# --- pairings ------------------------------------------------------------------------------

@require_perm(EDIT)
def pair(request, pk):
    household = registry_queries.household(request.user, pk, EDIT)
    county = scope_for(request.user, VIEW).narrow(household.area_code[:6])
    candidates = queries.helpers_in(county).filter(active=True).select_related("unit").order_by("name")[:1000]
    current = list(Pairing.objects.filter(household=household, end__isnull=True).select_related("helper"))
    form = PairForm(request.POST or None, helpers=queries.helpers_in(county).filter(active=True),
                    initial={"replace": bool(current)})
    form.fields["helper"].queryset = form.fields["helper"].queryset.select_related("unit").order_by("name")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.pair(actor(request), household, data["helper"], data["start"], replace=data["replace"],
                         reason=data["reason"])
        except ActionError as exc:
            form_error(request, form, exc)
        else:
            messages.success(request, _("%(name)s now helps this household.") % {"name": data["helper"].name})
            return redirect("registry:household", pk=household.pk)
    return render(request, "assistance/pair.html", {
        "household": household, "form": form, "current": current, "candidates": candidates,
        "history": queries.household_pairings(household), "end_form": EndForm()})


@require_POST
@require_perm(EDIT)
def pairing_end(request, pk):
    pairing = scope_for(request.user, EDIT).get(Pairing.objects.select_related("helper", "household"), pk=pk)
    form = EndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date the pairing ends."))
    else:
        try:
            actions.unpair(actor(request), pairing, form.cleaned_data["end"], form.cleaned_data["reason"])
        except ActionError as exc:
            form_error(request, None, exc)
        else:
            messages.success(request, _("The pairing ended; it stays in the history."))
    return redirect("assistance:pair", pk=pairing.household_id)


# --- 挂包帮 and 对口帮扶 ---------------------------------------------------------------------------

@require_perm(VIEW)
def links(request):
    scope, _area, ctx = area_context(request)
    today = clock.today()
    edit_scope = scope_for(request.user, EDIT)
    form = None
    if can(request.user, EDIT):
        people = queries.helpers_in(edit_scope).filter(active=True).select_related("unit").order_by("name")
        form = LinkForm(request.POST or None, units=units_for(edit_scope), people=people)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                target = scoped_area(request, data["area_code"])
                actions.add_link(actor(request), kind=data["kind"], area=target, start=data["start"],
                                 unit=data["unit"], person=data["person"], role=data["role"], note=data["note"],
                                 replace=data["replace"])
            except ActionError as exc:
                form_error(request, form, exc)
            else:
                messages.success(request, _("Link recorded."))
                return redirect(request.get_full_path())
    elif request.method == "POST":
        from fupin.core.errors import Forbidden

        raise Forbidden()
    current = (scope.filter(Link.objects.all()).select_related("area", "unit", "person")
               .filter(Q(end__isnull=True) | Q(end__gte=today)).order_by("area_code", "kind", "role"))
    past = scope.filter(Link.objects.filter(end__lt=today)).select_related("area", "unit", "person").order_by(
        "-end")[:50]
    return render(request, "assistance/links.html", {
        **ctx, "form": form, "platform": queries.platform_table(scope, today),
        "roles": catalog.platform_roles(), "current": current, "past": past, "end_form": EndForm(),
        "villages": villages_datalist(edit_scope), "platform_source": catalog.platform()["source"]})


@require_POST
@require_perm(EDIT)
def link_end(request, pk):
    link = queries.link(request.user, pk, EDIT)
    form = EndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date the link ends."))
    else:
        try:
            actions.end_link(actor(request), link, form.cleaned_data["end"], form.cleaned_data["reason"])
        except ActionError as exc:
            form_error(request, None, exc)
        else:
            messages.success(request, _("The link ended; it stays in the history."))
    return redirect("assistance:links")


# --- work teams ---------------------------------------------------------------------------

@require_perm(VIEW)
def teams(request):
    scope, _area, ctx = area_context(request)
    today = clock.today()
    qs = scope.filter(WorkTeam.objects.all()).select_related("village", "unit").order_by("end", "area_code")
    show = request.GET.get("show", "current")
    if show == "current":
        qs = qs.filter(Q(end__isnull=True) | Q(end__gte=today))
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    counts = dict(TeamMember.objects.filter(team__in=list(page.object_list), end__isnull=True).order_by()
                  .values_list("team_id").annotate(n=Count("pk")))  # one GROUP BY for the page's teams
    for t in page.object_list:
        t.member_count = counts.get(t.pk, 0)
    return render(request, "assistance/teams.html", {
        **ctx, "page_obj": page, "show": show, "missing": queries.villages_without_team(scope, today)[:100],
        "can_edit": can(request.user, EDIT)})


@require_perm(EDIT)
def team_create(request):
    scope = scope_for(request.user, EDIT)
    form = TeamForm(request.POST or None, units=units_for(scope), initial={"village": request.GET.get("village", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            village = scoped_area(request, data["village"], levels=("village",))
            team = actions.create_team(actor(request), village=village, unit=data["unit"], start=data["start"],
                                       name=data["name"], note=data["note"])
        except ActionError as exc:
            form_error(request, form, exc)
        else:
            messages.success(request, _("Work team recorded. Add its members."))
            return redirect("assistance:team", pk=team.pk)
    return render(request, "assistance/team_form.html", {"form": form, "villages": villages_datalist(scope)})


@require_perm(VIEW)
def team_detail(request, pk):
    team = queries.team(request.user, pk)
    members = list(team.members.select_related("person", "person__unit").order_by("end", "role", "start"))
    today = clock.today()
    months = []
    m = parse_month(request.GET.get("from")) if request.GET.get("from") else today.replace(day=1)
    for _i in range(6):
        months.insert(0, m)
        m = (m - dt.timedelta(days=1)).replace(day=1)
    rows = {(a.member_id, a.month): a.days for a in Attendance.objects.filter(member__in=members,
                                                                                month__in=months)}
    for member in members:
        member.months = [rows.get((member.pk, mm)) for mm in months]
    edit = can(request.user, EDIT, team.area_code)
    people = queries.helpers_in(scope_for(request.user, EDIT)).filter(active=True).order_by("name") if edit else None
    return render(request, "assistance/team.html", {
        "team": team, "members": members, "months": months, "can_edit": edit,
        "member_form": TeamMemberForm(people=people) if edit else None,
        "attendance_form": AttendanceForm(initial={"month": today.strftime("%Y-%m")}) if edit else None,
        "end_form": EndForm(), "village_status": queries.village_status(team.village)})


def _team_post(request, pk, fn, success):
    team = queries.team(request.user, pk, EDIT)
    try:
        fn(team)
    except ActionError as exc:
        form_error(request, None, exc)
    else:
        messages.success(request, success)
    return redirect("assistance:team", pk=team.pk)


@require_POST
@require_perm(EDIT)
def team_member_add(request, pk):
    people = queries.helpers_in(scope_for(request.user, EDIT)).filter(active=True)
    form = TeamMemberForm(request.POST, people=people)
    if not form.is_valid():
        queries.team(request.user, pk, EDIT)
        messages.error(request, _("Choose a person, a role and a date."))
        return redirect("assistance:team", pk=pk)
    d = form.cleaned_data
    return _team_post(request, pk, lambda t: actions.add_team_member(actor(request), t, d["person"], d["role"],
                                                                     d["start"]), _("Member added."))


@require_POST
@require_perm(EDIT)
def team_member_end(request, pk):
    member = queries.team_member(request.user, pk, EDIT)
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            actions.end_team_member(actor(request), member, form.cleaned_data["end"])
        except ActionError as exc:
            form_error(request, None, exc)
        else:
            messages.success(request, _("The member left the team; the record stays."))
    return redirect("assistance:team", pk=member.team_id)


@require_POST
@require_perm(EDIT)
def team_attendance(request, pk):
    team = queries.team(request.user, pk, EDIT)
    form = AttendanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the month and the number of days."))
        return redirect("assistance:team", pk=team.pk)
    member = team.members.filter(pk=form.cleaned_data["member"]).first()
    if member is None:
        messages.error(request, _("Not a member of this team."))
        return redirect("assistance:team", pk=team.pk)
    month = parse_month(form.cleaned_data["month"])
    return _team_post(request, pk, lambda t: actions.record_attendance(actor(request), member, month,
                                                                       form.cleaned_data["days"]),
                      _("Attendance recorded."))


@require_POST
@require_perm(EDIT)
def team_end(request, pk):
    form = EndForm(request.POST)
    if not form.is_valid():
        queries.team(request.user, pk, EDIT)
        messages.error(request, _("Give the date the team left."))
        return redirect("assistance:team", pk=pk)
    return _team_post(request, pk, lambda t: actions.end_team(actor(request), t, form.cleaned_data["end"],
                                                              form.cleaned_data["reason"]),
                      _("The team left the village; the record stays."))
