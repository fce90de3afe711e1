"""What the registry's audit events log besides their object's fields, for the log's pages
(fupin.audit.present reads this module; see its docstring)."""

from __future__ import annotations

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy

from . import duplicates

_reason = lazy(duplicates.reason_label, str)  # a possible duplicate's reason, by its label

ACTION_MODELS = {
    # a change of status is logged on the household: the values are the status change's
    "registry.household.status": "registry.statuschange",
    "registry.household.status_many": "registry.statuschange",
    "registry.recheck.record": "registry.recheckrecord",  # round, changes
    "registry.duplicate.decide": "registry.duplicatecandidate",  # b, note
}

_IMPORT = {  # importers.ImportResult.as_dict
    "rows": gettext_lazy("rows"),
    "households_created": gettext_lazy("households created"),
    "households_updated": gettext_lazy("households changed"),
    "households_unchanged": gettext_lazy("households unchanged"),
    "members_created": gettext_lazy("members added"),
    "members_updated": gettext_lazy("members changed"),
    "status_changes": gettext_lazy("status changes"),
}

FIELDS = {
    "registry.recheck.close": {"unchecked": gettext_lazy("households not checked")},
    "registry.household.status": {"correction": gettext_lazy("correction outside the procedures")},
    "registry.duplicate.decide": {"same": gettext_lazy("the same person")},
    "registry.duplicate.find": {  # the pairs found, by reason
        duplicates.NAME_BIRTH_VILLAGE: _reason(duplicates.NAME_BIRTH_VILLAGE),
        duplicates.PINYIN_ONE_CHAR: _reason(duplicates.PINYIN_ONE_CHAR),
        "pinyin_filled": gettext_lazy("names indexed in pinyin"),
    },
    "registry.import": _IMPORT,
    "registry.income.import": {  # income_exchange.IncomeImportResult.as_dict
        "rows": gettext_lazy("rows"),
        "incomes_created": gettext_lazy("income ledgers created"),
        "incomes_updated": gettext_lazy("income ledgers changed"),
        "incomes_unchanged": gettext_lazy("income ledgers unchanged"),
    },
    "registry.demo.load": {
        **_IMPORT,
        "households": gettext_lazy("households"),
        "members": gettext_lazy("members"),
        "incomes": gettext_lazy("income ledgers"),
        "duplicate_candidates": gettext_lazy("Possible duplicates"),
    },
    "registry.demo.villages": {
        "profiles": gettext_lazy("village profiles"),
        "checklist_items": gettext_lazy("checklist items"),
        "checklist_rows": gettext_lazy("checklist rows"),
    },
    "registry.quality.run": {
        "on": gettext_lazy("reference date"),
        "issues": gettext_lazy("problems found, by check"),
    },
    "registry.stats.refresh": {
        "counties": gettext_lazy("counties"),
        "rows": gettext_lazy("rows"),
        "seconds": gettext_lazy("seconds"),
        "changed_only": gettext_lazy("changed counties only"),
    },
}


def quality_issues(value, _logged) -> str:
    """The problems a quality run found ({rule: count}), each check by its message."""
    from fupin.audit import present
    from fupin.core.present import plain

    from . import quality

    if not isinstance(value, dict):
        return plain(value)
    rules = quality.rules()
    return present.pairs(((rules[code].message if code in rules else code), plain(n)) for code, n in value.items())


def status_source(value, _logged) -> str:
    """Where a change of status came from (StatusChange.source: ``import``, ``manual``,
    ``procedure:<id>`` …) in words, as the household's history says it."""
    from fupin.core.present import plain

    from .codes import change_source

    return change_source(value) if isinstance(value, str) else plain(value)


VALUES = {
    ("registry.quality.run", "issues"): quality_issues,
    ("registry.household.status", "source"): status_source,
    ("registry.household.status_many", "source"): status_source,
}
