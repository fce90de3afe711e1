"""Excel in and out: pairings, work teams, measures and visits. An import runs as a
job (all or nothing, with its error report); an export streams the area's rows in the
import's columns and is logged as an export of personal data."""

from __future__ import annotations

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fupin.accounts.scoping import can, home_code, scope_for
from fupin.audit import actions as audit
from fupin.core.uploads import save_upload, sent_name
from fupin.core.views_util import require_perm
from fupin.jobs import actions as jobs

from .. import exporters, importers
from ..forms import ImportForm
from .common import EDIT, VIEW, actor, area_context

EXPORT = "registry.export"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _kinds():
    return [(k, v["zh"]) for k, v in importers.KINDS.items()]


@require_perm(VIEW)
def exchange(request):
    _scope, _area, ctx = area_context(request)
    form = None
    if can(request.user, EDIT):
        form = ImportForm(request.POST or None, request.FILES or None, kinds=_kinds())
        if request.method == "POST" and form.is_valid():
            from ..tasks import import_task

            kind = form.cleaned_data["kind"]
            path = save_upload(form.cleaned_data["file"], f"assistance-{kind}")
            job = jobs.start(actor(request), import_task, kind=f"assistance.import.{kind}",
                             title=_("Import %(what)s from %(name)s") % {"what": importers.KINDS[kind]["zh"],
                                                                        "name": sent_name(form.cleaned_data["file"].name)},
                             area_code=home_code(request.user, EDIT), params={"path": str(path), "kind": kind})
            return redirect("jobs:detail", pk=job.pk)
    elif request.method == "POST":
        from fupin.core.errors import Forbidden

        raise Forbidden()
    return render(request, "assistance/exchange.html", {**ctx, "form": form, "kinds": _kinds(),
                                                        "can_export": can(request.user, EXPORT)})


@require_perm(VIEW)
def exchange_template(request, kind):
    if kind not in importers.KINDS:
        raise Http404
    response = HttpResponse(exporters.template_bytes(kind), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="assistance-{kind}-template.xlsx"'
    return response


@require_perm(EXPORT)
def exchange_export(request, kind):
    """The area's rows (chosen with the area chooser) as .xlsx, streamed from a temporary file."""
    import tempfile

    if kind not in importers.KINDS:
        raise Http404
    scope = scope_for(request.user, EXPORT)
    _s, area, _ctx = area_context(request, EXPORT)
    if area is not None:
        scope = scope.narrow(area.prefix)
    count = exporters.export_count(kind, scope)
    tmp = tempfile.TemporaryFile()
    from fupin.core.tabular import write_xlsx

    write_xlsx(tmp, importers.headers(kind), exporters.export_rows(kind, scope),
               sheet_name=importers.KINDS[kind]["zh"])
    tmp.seek(0)
    audit.record_export(actor(request), f"assistance.export.{kind}", area_code=area.code if area else "",
                        count=count)
    response = StreamingHttpResponse(iter(lambda: tmp.read(65536), b""), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="assistance-{kind}.xlsx"'
    return response
