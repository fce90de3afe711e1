"""What the data comparison's audit events log besides their object's fields, for the log's
pages (fupin.audit.present reads this module; see its docstring)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fupin.core import present

from . import rules

FIELDS = {
    "comparison.dataset.import": {
        "records": gettext_lazy("records"),
        "file": gettext_lazy("file"),
    },
    "comparison.match": {  # matching.match_dataset's counts
        "created": gettext_lazy("new hits"),
        "hits": gettext_lazy("hits"),
        **rules.MATCH_COUNTS,  # the hits by phase, no cut-off date set apart from date unknown
    },
}


def _kind(value, _logged) -> str:
    found = rules.kinds().get(str(value))
    return found.label if found is not None else str(value)


def _undated(value, logged) -> str:
    """A match logged before the hits of an area with no cut-off date set were counted apart
    (no ``no_cutoff``) counted them with those whose record has no date."""
    if rules.NO_CUTOFF in logged.values:
        return present.plain(value)
    return _("%(n)s (with the hits that had no cut-off date set: logged before the two were counted apart)") % {
        "n": present.plain(value)}


VALUES = {
    ("comparison.externaldataset", "kind"): _kind,
    ("comparison.match", rules.UNDATED): _undated,
}
