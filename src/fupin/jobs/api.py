import datetime as dt
import uuid

from django.http import Http404
from ninja import Router, Schema

from fupin.api.base import Error, paginate

from .queries import visible_jobs

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: uuid.UUID
    kind: str
    title: str
    status: str
    area_code: str
    total: int
    done: int
    percent: int
    error_count: int
    error_rows: int
    message: str
    result: dict | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


class JobPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[JobOut]


@router.get("", response=JobPage, summary="Your jobs, and your area's jobs where your role may see them")
def jobs(request, status: str | None = None, page: int = 1, page_size: int = 50):
    qs = visible_jobs(request.user)
    if status:
        qs = qs.filter(status=status)
    return paginate(qs.order_by("-created_at"), page, page_size)


@router.get("/{job_id}", response={200: JobOut, 404: Error}, summary="One job and its progress")
def job(request, job_id: uuid.UUID):
    try:
        return visible_jobs(request.user).get(pk=job_id)
    except Exception:
        raise Http404 from None
