"""What the monitoring app's audit events log besides their object's fields, for the log's
pages (fupin.audit.present reads this module; see its docstring)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from fupin.audit.present import row_id

RECORD = "monitoring.monitoredhousehold"

ACTION_MODELS = {
    # logged on the monitored household: the values are the discovery's, the visit's, the help's, the risk's
    "monitoring.record.open": "monitoring.discovery",  # its channel
    "monitoring.discovery.add": "monitoring.discovery",
    "monitoring.visit.add": "monitoring.visit",
    "monitoring.help.add": "monitoring.help",
    "monitoring.risk.add": "monitoring.risk",
    "monitoring.risk.resolve": "monitoring.risk",
}

FIELDS = {
    RECORD: {
        "risk": gettext_lazy("risk"),
        "risks": gettext_lazy("Risks"),
        "batch": gettext_lazy("procedure batch"),
    },
    "monitoring.application": {
        "village": gettext_lazy("village"),
        "household": gettext_lazy("household"),
    },
    "monitoring.warningimport": {"rows": gettext_lazy("rows")},
}


def risk(value, _logged) -> str:
    from . import rules

    return rules.risk_label(str(value)) or str(value)


def risks(value, _logged) -> str:
    from fupin.core.present import join, plain

    from . import rules

    if not isinstance(value, list | tuple):
        return plain(value)
    return join(rules.risk_label(str(code)) or str(code) for code in value) if value else "—"


def warning_rule(value, _logged) -> str:
    from . import rules

    return rules.warning_rule_label(str(value)) or str(value)


VALUES = {
    (RECORD, "batch"): row_id,
    (RECORD, "risk"): risk,
    (RECORD, "risks"): risks,
    ("monitoring.warninghit", "rule"): warning_rule,
}
