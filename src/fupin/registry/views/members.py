"""Members: add, edit, and a member leaving the household."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fupin.core.actor import Actor
from fupin.core.errors import ActionError
from fupin.core.views_util import get_or_404, require_perm

from .. import actions, queries
from ..forms import LeaveForm, MemberForm, add_action_error, member_initial


def _member(request, pk):
    return get_or_404(queries.members(request.user, "registry.edit").select_related("household"), pk=pk)


@require_perm("registry.edit")
def member_create(request, pk):
    h = queries.household(request.user, pk, perm="registry.edit")
    initial = {"ethnicity": "01", "school_status": "00", "health": "1", "relation": "" if h.size else "01"}
    form = MemberForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            m = actions.add_member(Actor.from_request(request), h, **form.values())
        except ActionError as exc:
            add_action_error(form, exc)
        else:
            messages.success(request, _("%(name)s added to household %(n)s.") % {"name": m.name, "n": h.number})
            if "another" in request.POST:
                return redirect("registry:member_create", pk=h.pk)
            return redirect("registry:household", pk=h.pk)
    return render(request, "registry/member_form.html", {"form": form, "household": h})


@require_perm("registry.edit")
def member_edit(request, pk):
    m = _member(request, pk)
    form = MemberForm(request.POST or None, initial=member_initial(m))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_member(Actor.from_request(request), m, **form.values())
        except ActionError as exc:
            add_action_error(form, exc)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": m.name})
            return redirect("registry:household", pk=m.household_id)
    return render(request, "registry/member_form.html", {"form": form, "household": m.household, "member": m})


@require_perm("registry.edit")
def member_leave(request, pk):
    m = _member(request, pk)
    if not m.active:
        messages.info(request, _("%(name)s has left the household already.") % {"name": m.name})
        return redirect("registry:household", pk=m.household_id)
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.member_leaves(Actor.from_request(request), m, form.cleaned_data["reason"],
                                  form.cleaned_data["date"])
        except ActionError as exc:
            add_action_error(form, exc)
        else:
            messages.success(request, _("%(name)s left the household.") % {"name": m.name})
            return redirect("registry:household", pk=m.household_id)
    return render(request, "registry/member_leave.html", {"form": form, "household": m.household, "member": m})
