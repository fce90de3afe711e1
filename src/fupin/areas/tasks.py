from django.tasks import task
from django.utils.translation import gettext as _

from fupin.jobs.actions import run

from .actions import import_areas


@task()
def import_areas_task(job_id: str) -> None:
    def body(progress):
        created, renamed, report = import_areas(progress.actor, progress.params["path"])
        if report:
            progress.fail_with_report(report)
            return
        progress.set_total(created + renamed)
        progress.update(created + renamed,
                        message=_("%(c)s areas added, %(r)s renamed.") % {"c": created, "r": renamed})

    run(job_id, body)
