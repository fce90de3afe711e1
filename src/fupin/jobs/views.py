from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import render

from fupin.audit import actions as audit
from fupin.core.actor import Actor
from fupin.core.views_util import get_or_404, require_perm

from .models import JobFile
from .queries import visible_jobs


@require_perm("area.view")
def job_list(request):
    page = Paginator(visible_jobs(request.user).select_related("created_by"), settings.PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "jobs/list.html", {"page_obj": page, "jobs": page.object_list})


@require_perm("area.view")
def job_detail(request, pk):
    job = get_or_404(visible_jobs(request.user), pk=pk)
    template = "jobs/_progress.html" if request.headers.get("HX-Request") else "jobs/detail.html"
    return render(request, template, {"job": job, "files": job.files.all()})


@require_perm("area.view")
def job_file(request, pk, file_pk):
    job = get_or_404(visible_jobs(request.user), pk=pk)
    jf = get_or_404(JobFile.objects.filter(job=job), pk=file_pk)
    if jf.contains_personal_data:
        audit.record_export(Actor.from_request(request), "jobs.file.download", area_code=job.area_code,
                            count=1, note=f"{job.pk}: {jf.label}")
    try:
        handle = jf.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=jf.file.name.rsplit("/", 1)[-1])
