"""What the identification app's audit events log besides their object's fields, for the
log's pages (fupin.audit.present reads this module; see its docstring)."""

from __future__ import annotations

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FIELDS = {
    "identification.ruleset": {"copied_from": gettext_lazy("copied from")},
    "identification.criterion": {"ruleset": gettext_lazy("rule set")},
    "identification.line": {"computation": gettext_lazy("Computation")},
    "identification.rulerun": {
        "area": gettext_lazy("area (code prefix)"),
        "duration_ms": gettext_lazy("duration (ms)"),
        # a what-if's changes (actions.check_changes)
        "lines": gettext_lazy("changed lines"),
        "criteria": gettext_lazy("changed criteria"),
    },
}


def _line(change: dict) -> str:
    """A what-if's line: "National poverty line (360729): 4000"."""
    from . import rules

    kind = change.get("kind", "")
    where = change.get("area_prefix") or _("whole country")
    return f"{rules.LINE_KINDS.get(kind, kind)} ({where}): {change.get('value', '')}"


def _criterion(change: dict) -> str:
    """A what-if's criterion: its label, switched on or off, its parameters in words."""
    from fupin.audit import present

    from . import rules
    from .present import describe_params

    out = [str(rules.criterion_label(str(change.get("code", ""))))]
    if "enabled" in change:
        out.append(_("switched on") if change["enabled"] else _("switched off"))
    described = present.pairs(describe_params(change.get("params"))) if change.get("params") else ""
    return " ".join(out) + (f" ({described})" if described else "")


def what_if(value, _logged) -> str:
    """A simulation's changes ({"lines": […], "criteria": […]}) in words."""
    from fupin.audit import present
    from fupin.core.present import join, plain

    if not isinstance(value, dict):
        return plain(value)
    lines = [_line(c) for c in value.get("lines") or [] if isinstance(c, dict)]
    criteria = [_criterion(c) for c in value.get("criteria") or [] if isinstance(c, dict)]
    labels = FIELDS["identification.rulerun"]
    parts = [(capfirst(str(labels["lines"])), join(lines))] if lines else []
    if criteria:
        parts.append((capfirst(str(labels["criteria"])), join(criteria)))
    return present.pairs(parts) if parts else "—"


VALUES = {
    ("identification.run.start", "changes"): what_if,
}
