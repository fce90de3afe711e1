"""Background jobs of monitoring: a department's warning file (all or nothing, with its
report) and a run of the early-warning rules over an area."""


from django.tasks import task
from django.utils.translation import gettext as _

from fupin.jobs.actions import run

from . import engine
from .importers import import_file


@task()
def import_warnings_task(job_id: str) -> None:
    def body(progress):
        p = progress.params
        count, report = import_file(progress.actor, p["path"], department=p["department"], area_code=p["area_code"],
                                    file_name=p.get("file_name", ""), progress=progress)
        if report:
            progress.fail_with_report(report)
            return
        progress.set_total(count)
        progress.update(count, message=_("%(n)s warnings imported.") % {"n": count})
        progress.succeed({"rows": count})

    run(job_id, body)


@task()
def warning_run_task(job_id: str) -> None:
    def body(progress):
        from fupin.jobs.models import Job

        p = progress.params
        result = engine.run_rules(progress.actor, p["area_code"], int(p["year"]),
                                  job=Job.objects.get(pk=job_id), progress=progress)
        progress.succeed({"run": result.pk, "hits": result.hit_count},
                         message=_("%(n)s households on the worklist.") % {"n": result.hit_count})

    run(job_id, body)
