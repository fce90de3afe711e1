"""What the jobs app's audit events log besides their object's fields, for the log's pages
(fupin.audit.present reads this module; see its docstring): a job's parameters, by the names
the apps that start jobs give them (jobs.actions.start(params=…))."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

FIELDS = {
    "jobs.job": {
        "params": gettext_lazy("parameters"),
        # the parameters
        "path": gettext_lazy("file on the server"),
        "file_name": gettext_lazy("file"),
        "name": gettext_lazy("name"),
        "dry_run": gettext_lazy("check only, nothing written"),
        "source": gettext_lazy("source"),
        "as_of": gettext_lazy("as of"),
        "dataset": gettext_lazy("data set"),
        "area": gettext_lazy("area"),
        "year": gettext_lazy("year"),
        "on": gettext_lazy("date"),
        "income_year": gettext_lazy("income year"),
        "format": gettext_lazy("Format"),
        "run": gettext_lazy("rule run"),
        "batch": gettext_lazy("procedure batch"),
        "documents": gettext_lazy("Documents"),
    },
}


def job_kind(value, _logged) -> str:
    """A job's kind (``comparison.import``) by its name (jobs.kinds). The same key inside the
    parameters (an importer's own kind, ``pairings``) is no job kind: shown as logged."""
    from fupin.core.present import plain

    from .kinds import kind_label

    return kind_label(value) if isinstance(value, str) else plain(value)


VALUES = {
    ("jobs.start", "kind"): job_kind,
}
