import tempfile
from pathlib import Path

from django.tasks import task
from django.utils.translation import gettext as _

from fupin.core.tabular import write_xlsx
from fupin.jobs.actions import run

from .importers import import_users


@task()
def import_users_task(job_id: str) -> None:
    def body(progress):
        created, report = import_users(progress.actor, progress.params["path"])
        if report:
            progress.fail_with_report(report)
            return
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "passwords.xlsx"
            write_xlsx(out, ["用户名", "初始密码"], created, sheet_name="初始密码")
            progress.attach(out, _("Initial passwords"), personal=True)
        progress.set_total(len(created))
        progress.update(len(created), message=_("%(n)s users created.") % {"n": len(created)})

    run(job_id, body)
