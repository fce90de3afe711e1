"""A village's profile by year and its infrastructure and services checklist."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from fupin.accounts.scoping import can, scope_for
from fupin.areas.models import Area
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import ActionError, Forbidden
from fupin.core.views_util import require_perm

from .. import actions, queries
from ..forms import PROFILE_FIELDS, VillageProfileForm, add_action_error
from ..models import VillageChecklist, VillageProfile


def village_or_404(user, code, perm="registry.view"):
    return scope_for(user, perm).get(Area.objects.filter(level="village", valid_to__isnull=True), "code", code=code)


@require_perm("registry.view")
def village_profile(request, code):
    village = village_or_404(request.user, code)
    profiles = list(VillageProfile.objects.filter(village=village).order_by("-year"))
    year_text = request.GET.get("year") or request.POST.get("year") or ""
    if year_text.isdecimal() and len(year_text) == 4:
        year = int(year_text)
    else:
        year = profiles[0].year if profiles else clock.today().year
    profile = next((p for p in profiles if p.year == year), None)
    initial = {"year": year, "status": "none"}
    if profile is not None:
        initial.update({f: getattr(profile, f) for f in PROFILE_FIELDS})
    items = list(queries.checklist_items(village, year))
    met = dict(VillageChecklist.objects.filter(village=village, year=year).values_list("item_id", "met"))
    can_edit = can(request.user, "registry.edit", village.code)
    form = VillageProfileForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_edit:
            raise Forbidden()
        if form.is_valid():
            chosen = {str(v) for v in request.POST.getlist("item")}
            actor = Actor.from_request(request)
            try:
                with transaction.atomic():
                    year = form.cleaned_data["year"]
                    actions.save_village_profile(actor, village, year, **form.values())
                    items_now = list(queries.checklist_items(village, year))
                    if items_now:
                        actions.save_village_checklist(actor, village, year,
                                                       {i.pk: str(i.pk) in chosen for i in items_now})
            except ActionError as exc:
                add_action_error(form, exc)
            else:
                messages.success(request, _("Profile of %(v)s for %(y)s saved.") % {"v": village.name, "y": year})
                return redirect(reverse("registry:village_profile", args=[village.code]) + f"?year={year}")
    return render(request, "registry/village_profile.html", {
        "village": village, "ancestors": village.ancestors(), "form": form, "year": year, "profile": profile,
        "profiles": profiles, "items": [{"item": i, "met": met.get(i.pk, False)} for i in items],
        "can_edit": can_edit})
