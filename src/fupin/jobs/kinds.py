"""The kinds of background job, by name: the one list of them (``jobs.actions.start(kind=…)``
codes), for the audit log's pages (a ``jobs.start`` event logs its job's kind). A job's own
title says more (its area, its file); a kind is what every job of it does. A code ending in
"." names every kind it begins (``assistance.import.pairings``). A kind not listed here is
shown as its code (tests/test_odds_audit_labels.py checks that each kind started is listed)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

KINDS = {
    "accounts.import_users": _("Import of users"),
    "areas.import": _("Import of villages"),
    "assistance.import.": _("Import of assistance data"),
    "comparison.import": _("Import of a data set for comparison"),
    "comparison.match": _("Match of a data set with the registry"),
    "comparison.linkage": _("Linkage report of a data set"),
    "identification.run": _("Run of the identification rules"),
    "monitoring.warning_run": _("Run of the early-warning rules"),
    "monitoring.warning_import": _("Import of department warnings"),
    "procedures.documents": _("Documents of a procedure batch"),
    "registry.duplicates": _("Search for possible duplicates"),
    "registry.export": _("Export of the registry"),
    "registry.import": _("Import into the registry"),
    "registry.quality": _("Data-quality check"),
    "registry.stats_refresh": _("Refresh of the statistics"),
}


def kind_label(code: str) -> str:
    """A job kind by its name; the code itself when it is not listed."""
    found = KINDS.get(code)
    if found is None:
        found = next((label for prefix, label in KINDS.items() if prefix.endswith(".") and code.startswith(prefix)),
                     None)
    return str(found) if found is not None else code
