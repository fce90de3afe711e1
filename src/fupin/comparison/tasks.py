"""Background jobs: importing a data set (then matching it), and matching again."""

import tempfile
from pathlib import Path

from django.tasks import task
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fupin.accounts.scoping import Scope
from fupin.audit import actions as audit
from fupin.jobs.actions import run
from fupin.jobs.models import Job

from . import importers, matching, queries, reports, rules
from .models import ExternalDataset


def _match_message(counts: dict) -> str:
    """matching.match_dataset's counts in a sentence: the hits of an area with no cut-off date
    set apart from those whose record has no date (counts kept from before the two were
    counted apart have no ``no_cutoff``: 0)."""
    n = {key: counts.get(key, 0) for key in ("hits", "created", *rules.MATCH_COUNTS)}
    return ngettext(
        "%(hits)s hit (%(new)s new): %(before)s before the cut-off, %(no_cutoff)s with no cut-off date set, "
        "%(undated)s with the date unknown, %(after)s after, %(info)s for information.",
        "%(hits)s hits (%(new)s new): %(before)s before the cut-off, %(no_cutoff)s with no cut-off date set, "
        "%(undated)s with the date unknown, %(after)s after, %(info)s for information.",
        n["hits"]) % {"hits": n["hits"], "new": n["created"], "before": n[rules.BEFORE],
                      "no_cutoff": n[rules.NO_CUTOFF], "undated": n[rules.UNDATED], "after": n[rules.AFTER],
                      "info": n[rules.INFO]}


@task()
def import_dataset_task(job_id: str) -> None:
    """params: path, kind, source, as_of, area_code, name, file_name, dry_run."""

    def body(progress):
        p = progress.params

        def report(done, total, message):
            progress.set_total(total)
            progress.update(done, message=message)

        try:
            result = importers.import_dataset(
                progress.actor, p["path"], kind=p["kind"], source=p["source"], as_of=p["as_of"],
                area_code=p.get("area_code", ""), name=p.get("name", ""), file_name=p.get("file_name", ""),
                job=Job.objects.get(pk=job_id), dry_run=bool(p.get("dry_run")), progress=report)
        finally:
            # 谁核查谁保密: the uploaded file is not kept once its rows are in (or refused)
            Path(p["path"]).unlink(missing_ok=True)
        if result.report:
            progress.fail_with_report(result.report, done=result.rows, personal=True, result=result.as_dict())
            return
        if result.dataset is None:  # a dry run
            progress.update(result.rows)
            progress.succeed(result.as_dict(), message=result.summary())
            return
        progress.log(result.summary())
        counts = matching.match_dataset(result.dataset, progress.actor)
        progress.set_total(result.rows)
        progress.update(result.rows)
        progress.succeed({**result.as_dict(), "match": counts},
                         message=f"{result.summary()} {_match_message(counts)}")

    run(job_id, body)


@task()
def match_dataset_task(job_id: str) -> None:
    """params: dataset."""

    def body(progress):
        dataset = ExternalDataset.objects.get(pk=progress.params["dataset"])
        counts = matching.match_dataset(dataset, progress.actor, progress)
        progress.succeed({"dataset": dataset.pk, **counts}, message=_match_message(counts))

    run(job_id, body)


@task()
def linkage_export_task(job_id: str) -> None:
    """params: dataset. The linkage report with every list, as the job's user may see it
    (a province's lists hold up to millions of people: a job, not a page)."""

    def body(progress):
        dataset = ExternalDataset.objects.get(pk=progress.params["dataset"])
        user = progress.job.created_by
        scope = queries.view_scope(user) if user is not None else Scope([""])
        progress.set_total(1)
        link = reports.linkage(scope, dataset)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / f"linkage-{dataset.kind}-{dataset.pk}.xlsx"
            rows = reports.write_linkage(out, link)
            progress.attach(out, _("Linkage report: %(name)s") % {"name": dataset.name}, personal=True)
        audit.record_export(progress.actor, "comparison.linkage.export", area_code=progress.job.area_code,
                            count=rows, note=dataset.name)
        progress.update(1)
        progress.succeed({"dataset": dataset.pk, "rows": rows, "counts": link.counts},
                         message=_("%(n)s people and households listed.") % {"n": rows})

    run(job_id, body)
