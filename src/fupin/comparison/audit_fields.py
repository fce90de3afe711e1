"""What the data comparison's audit events log besides their object's fields, for the log's
pages (fupin.audit.present reads this module; see its docstring)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from . import rules

FIELDS = {
    "comparison.dataset.import": {
        "records": gettext_lazy("records"),
        "file": gettext_lazy("file"),
    },
    "comparison.match": {  # matching.match_dataset's counts
        "created": gettext_lazy("new hits"),
        "hits": gettext_lazy("hits"),
        **rules.PHASES,  # the hits by phase
    },
}


def _kind(value, _logged) -> str:
    found = rules.kinds().get(str(value))
    return found.label if found is not None else str(value)


VALUES = {
    ("comparison.externaldataset", "kind"): _kind,
}
