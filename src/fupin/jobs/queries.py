"""Scoped reads of jobs: one's own, plus every job of the area for roles with jobs.view."""

from django.db.models import Q

from fupin.accounts.scoping import scope_for

from .models import Job


def visible_jobs(viewer):
    scope = scope_for(viewer, "jobs.view")
    own = Q(created_by=viewer)
    if scope.is_empty:
        return Job.objects.filter(own)
    return Job.objects.filter(own | scope.q("area_code"))
