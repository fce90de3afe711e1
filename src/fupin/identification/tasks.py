"""The rule run as a background job, with a progress bar (one step per part of the area)."""

from django.tasks import task
from django.utils.translation import gettext as _

from fupin.jobs.actions import run

from . import engine
from .models import RuleRun


@task()
def run_rules_task(job_id: str) -> None:
    def body(progress):
        rule_run = RuleRun.objects.get(pk=progress.params["run"])
        rule_run = engine.execute(rule_run, progress)
        engine._audit_done(progress.actor, rule_run)
        if rule_run.is_simulation:
            message = _("%(n)s households checked; %(c)s would change outcome.") % {
                "n": rule_run.households, "c": rule_run.changed}
        else:
            message = _("%(n)s households checked: %(e)s eligible, %(f)s flagged.") % {
                "n": rule_run.households, "e": rule_run.eligible, "f": rule_run.flagged}
        progress.succeed({"run": rule_run.pk, "households": rule_run.households, "eligible": rule_run.eligible,
                          "flagged": rule_run.flagged, "changed": rule_run.changed}, message=message)

    run(job_id, body)
