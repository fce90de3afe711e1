from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from fupin.accounts.scoping import scope_for
from fupin.areas import queries as area_queries
from fupin.audit import actions as audit
from fupin.core.actor import Actor
from fupin.jobs.models import Job

from . import home as home_panels
from .pii import PII_FIELDS, area_code_of, model_for, reveal_allowed


def home(request):
    scope = scope_for(request.user)
    panels = [p for fn in home_panels.PANELS if (p := fn(request, scope))]
    context = {
        "areas": area_queries.areas_of_user(request.user),
        "area_counts": area_queries.level_counts(scope),
        "panels": panels,
        "my_jobs": Job.objects.filter(created_by=request.user).order_by("-created_at")[:5],
    }
    return render(request, "core/home.html", context)


@require_POST
def reveal(request, label, pk, field):
    """Show one personal field unmasked, and log that it was shown."""
    model = model_for(label)
    if model is None or field not in PII_FIELDS.get(label, {}):
        raise Http404
    try:
        obj = model._default_manager.get(pk=pk)
    except (model.DoesNotExist, ValueError):
        raise Http404 from None
    if not reveal_allowed(request.user, obj, field):
        raise Http404
    audit.record_read(Actor.from_request(request), "pii.reveal", obj=obj, note=field,
                      area_code=area_code_of(obj) or "")
    return HttpResponse(format_html('<span class="font-monospace">{}</span>', getattr(obj, field)))


@login_not_required
def healthz(request):
    return JsonResponse({"status": "ok"})
