"""What the exits app's audit events log besides their object's fields, for the log's pages
(fupin.audit.present reads this module; see its docstring)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FIELDS = {
    "exits.return.start": {
        "household": gettext_lazy("household"),
        "found_on": gettext_lazy("found on"),
        "batch": gettext_lazy("procedure batch"),
    },
    "exits.observation.close": {
        "on": gettext_lazy("date"),
        "households": gettext_lazy("households whose policy period ended"),
        "end_dates": gettext_lazy("distinct end dates"),
    },
}


def criteria_items(value, _logged) -> str:
    """A set of exit criteria's items: each by its label, with its parameters in words, or
    "not used" when switched off."""
    from fupin.audit import present
    from fupin.core.present import plain

    from . import rules
    from .views import describe_item_params

    if not isinstance(value, list):
        return plain(value)
    out = []
    for item in value:
        if not isinstance(item, dict):
            out.append(plain(item))
            continue
        label = rules.item_label(str(item.get("code", "")))
        if not item.get("enabled", True):
            out.append(_("%(item)s: not used") % {"item": label})
            continue
        described = present.pairs(describe_item_params(item.get("params")))
        out.append(f"{label} ({described})" if described else label)
    return present.present.join(out, clauses=True)


VALUES = {
    ("exits.exitcriteria", "items"): criteria_items,
}
