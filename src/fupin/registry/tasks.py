"""Background jobs of the registry: the exchange-file import and export, and those of the income
ledger (income_exchange.py)."""

import tempfile
from pathlib import Path

from django.tasks import task
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fupin.accounts.scoping import Scope
from fupin.areas.models import Area
from fupin.jobs.actions import run

from . import exporters, importers, income_exchange


def _run_import(job_id: str, import_file) -> None:
    """An all-or-nothing import of an uploaded file as a job: ``import_file(actor, path,
    dry_run=, progress=)`` returns a result with rows, report, as_dict() and summary(); a
    report fails the job with it. params: path (the uploaded file), name (its original name),
    dry_run."""

    def body(progress):
        params = progress.params

        def report(done, total, message):
            progress.set_total(total)
            progress.update(done, message=message)

        result = import_file(progress.actor, params["path"], dry_run=bool(params.get("dry_run")), progress=report)
        if result.report:
            progress.fail_with_report(result.report, done=result.rows, result=result.as_dict())
            return
        progress.update(result.rows)
        progress.succeed(result.as_dict(), message=result.summary())

    run(job_id, body)


@task()
def import_registry_task(job_id: str) -> None:
    """The registry's import (_run_import)."""
    _run_import(job_id, importers.import_registry)


def _export_file(progress, name: str, label: str, export) -> int:
    """An export's file for the job: ``export(path)`` writes it (returning the rows written) in a
    temporary folder as ``name`` with the suffix the job asks for (params: format, xlsx or csv), and
    it is attached to the job as personal data under ``label``."""
    suffix = "csv" if progress.params.get("format") == "csv" else "xlsx"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{name}.{suffix}"
        count = export(out)
        progress.attach(out, label, personal=True)
    progress.update(count)
    return count


@task()
def export_registry_task(job_id: str) -> None:
    """params: area_code, format (xlsx or csv)."""

    def body(progress):
        area = Area.objects.get(code=progress.params["area_code"], valid_to__isnull=True)
        progress.set_total(exporters.count_rows(Scope([area.prefix])))
        count = _export_file(progress, f"registry-{area.code}", _("Registry of %(area)s") % {"area": area.name},
                             lambda out: exporters.export_registry(progress.actor, area.code, out, progress=progress))
        progress.succeed({"rows": count, "area_code": area.code},
                         message=ngettext("%(n)s member exported.", "%(n)s members exported.", count) % {"n": count})

    run(job_id, body)


@task()
def import_income_task(job_id: str) -> None:
    """The income ledger's import (_run_import)."""
    _run_import(job_id, income_exchange.import_income)


@task()
def export_income_task(job_id: str) -> None:
    """The income ledger's export. params: area_code, year (or None: every year), format (xlsx or csv)."""

    def body(progress):
        area = Area.objects.get(code=progress.params["area_code"], valid_to__isnull=True)
        year = progress.params.get("year")
        progress.set_total(income_exchange.count_rows(Scope([area.prefix]), year))
        label = (_("Income ledgers of %(area)s, %(year)s") % {"area": area.name, "year": year} if year
                 else _("Income ledgers of %(area)s") % {"area": area.name})
        count = _export_file(progress, f"income-{area.code}-{year}" if year else f"income-{area.code}", label,
                             lambda out: income_exchange.export_income(progress.actor, area.code, out, year=year,
                                                                       progress=progress))
        progress.succeed({"rows": count, "area_code": area.code, "year": year},
                         message=ngettext("%(n)s income ledger exported.", "%(n)s income ledgers exported.", count)
                         % {"n": count})

    run(job_id, body)
