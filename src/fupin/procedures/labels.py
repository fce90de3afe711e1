"""Procedure types in words people read: a type's purpose, a step's kind, who acts (the
permission), the start checks and the completion hook — each by its name in the user's
language, never the code the data holds (the type's page keeps a step's code only in a
title attribute, for its administrators).

Hooks and checks are registered by the apps (hooks.hook / hooks.start_check); what each
does is described here, in one place (CHECKS, HOOKS), so a type page reads well
whichever app registered them; one not described here is shown by its name."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fupin.core import present

from . import rules

PURPOSES = {
    "identification": gettext_lazy("identification"),
    "exit": gettext_lazy("Household exit"),
    "return": gettext_lazy("Returns to poverty"),
    "monitoring": gettext_lazy("Monitoring of households at risk"),
}

KINDS = {
    rules.TASK: gettext_lazy("task"),
    rules.APPRAISAL: gettext_lazy("appraisal"),
    rules.NOTICE: gettext_lazy("notice"),
    rules.REVIEW: gettext_lazy("review"),
}

CHECKS = {
    "exits.criteria": gettext_lazy("Each household meets every item of the exit criteria of its area and year."),
    "monitoring.identify_ready": gettext_lazy(
        "Each household is proposed for monitoring, was visited by two people at least and has signed the "
        "authorisation."),
    "monitoring.clearance": gettext_lazy("Each household is monitored and meets every risk-clearance criterion."),
}

HOOKS = {
    "monitoring.identify": gettext_lazy("The households are monitored from the day the procedure completes."),
    "monitoring.clear": gettext_lazy(
        "The households' risk is cleared and their monitoring ends on the day the procedure completes."),
    "exits.return": gettext_lazy(
        "Each household is set “returned to poverty” with the reason of its return case, on the day the procedure "
        "completes."),
}


def localized(data: dict, key: str = "name") -> str:
    """A name of the type's data in the user's language (``name`` is Chinese, ``name_en``
    English; the Chinese one when there is no English one)."""
    lang = translation.get_language() or "zh-hans"
    return (data.get(f"{key}_en") if lang.startswith("en") else None) or data.get(key, "")


def purpose_label(code: str) -> str:
    return str(PURPOSES.get(code, code))


def kind_label(step: dict) -> str:
    if step.get("kind") == rules.NOTICE and step.get("announcement"):
        return _("announcement")
    return str(KINDS.get(step.get("kind"), step.get("kind", "")))


def permission_label(code: str) -> str:
    from fupin.accounts.rules import PERMISSION_LABELS

    return str(PERMISSION_LABELS.get(code, code))


def check_label(name: str) -> str:
    label = CHECKS.get(name)
    return str(label) if label else name


def hook_label(on_complete: dict | None) -> str:
    """What happens when a batch completes, in words (the status set by name)."""
    if not on_complete:
        return ""
    name, params = on_complete.get("hook", ""), on_complete.get("params") or {}
    if name == "registry.set_status":
        from fupin.registry import codes

        status = params.get("status", "")
        return _("Each household's status becomes “%(status)s”, on the day the procedure completes.") % {
            "status": codes.label("status", status) or status}
    label = HOOKS.get(name)
    return str(label) if label else name


def status_labels(statuses) -> str:
    from fupin.registry import codes

    return present.join(codes.label("status", s) or s for s in statuses or [])
