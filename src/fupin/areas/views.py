from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fupin.accounts.scoping import can, home_code, scope_for
from fupin.core.actor import Actor
from fupin.core.errors import ActionError
from fupin.core.forms import UploadForm
from fupin.core.uploads import save_upload, sent_name
from fupin.core.views_util import get_or_404, require_perm, sorted_qs
from fupin.jobs import actions as jobs

from . import actions, queries
from .forms import UnitForm
from .models import Area, Unit


@require_perm("area.view")
def area_list(request, code=None):
    scope = scope_for(request.user)
    area = queries.get_area(request.user, code) if code else None
    q = request.GET.get("q", "").strip()
    if q:
        rows = queries.visible_areas(scope).filter(Q(name__contains=q) | Q(code__startswith=q))
        if area is not None:
            rows = scope.narrow(area.prefix).filter(rows, "code")
        rows = rows.order_by("code")[:200]
    else:
        rows = queries.children(scope, area).order_by("code")
    return render(request, "areas/list.html", {
        "area": area, "ancestors": area.ancestors() if area else [], "rows": rows, "q": q,
        "units": queries.units(scope).filter(area=area) if area else [],
        "can_import": can(request.user, "areas.manage")})


@require_perm("areas.manage")
def area_import(request):
    from .tasks import import_areas_task

    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        path = save_upload(form.cleaned_data["file"], "areas")
        job = jobs.start(Actor.from_request(request), import_areas_task, kind="areas.import",
                         title=_("Import villages from %(name)s") % {"name": sent_name(form.cleaned_data["file"].name)},
                         area_code=home_code(request.user, "areas.manage"), params={"path": str(path)})
        return redirect("jobs:detail", pk=job.pk)
    return render(request, "areas/import.html", {"form": form})


@require_perm("area.view")
def unit_list(request):
    q, kind = request.GET.get("q", "").strip(), request.GET.get("kind", "")
    qs = queries.units(scope_for(request.user))
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(short_name__contains=q))
    if kind:
        qs = qs.filter(kind=kind)
    qs = sorted_qs(request, qs, {"name": "name", "kind": "kind", "area": "area_code"}, "area")
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "areas/units.html", {"page_obj": page, "q": q, "kind": kind, "kinds": Unit.KIND_CHOICES,
                                                "can_manage": can(request.user, "units.manage")})


@require_perm("units.manage")
def unit_edit(request, pk=None):
    unit = get_or_404(queries.units(scope_for(request.user, "units.manage")), pk=pk) if pk else None
    initial = {"name": unit.name, "short_name": unit.short_name, "kind": unit.kind, "level": unit.level,
               "area_code": unit.area_code, "active": unit.active} if unit else {"active": True}
    form = UnitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        area = Area.objects.filter(code=data.pop("area_code").strip(), valid_to__isnull=True).first()
        if area is None or not scope_for(request.user, "units.manage").contains(area.code):
            form.add_error("area_code", _("No such area in your area."))
        else:
            try:
                unit = actions.save_unit(Actor.from_request(request), unit, area=area, **data)
            except ActionError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                messages.success(request, _("Unit saved."))
                return redirect("areas:units")
    return render(request, "areas/unit_form.html", {"form": form, "unit": unit})
