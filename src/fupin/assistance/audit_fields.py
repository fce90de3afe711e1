"""What the assistance app's audit events log besides their object's fields, for the log's
pages (fupin.audit.present reads this module; see its docstring)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from fupin.audit.present import row_id

ACTION_MODELS = {
    # a pairing and a visit are logged on their household; a team member, attendance, an
    # inspection and a decision on the team or the agreement: the values are that row's fields
    "assistance.pairing.create": "assistance.pairing",
    "assistance.pairing.end": "assistance.pairing",
    "assistance.visit.create": "assistance.visit",
    "assistance.team.member_add": "assistance.teammember",
    "assistance.team.member_end": "assistance.teammember",
    "assistance.team.attendance": "assistance.attendance",
    "assistance.inspection.create": "assistance.inspection",
    "assistance.agreement.decide": "assistance.agreementdecision",
}

_COUNTS = {
    # an import's counts (assistance.importers)
    "helpers_created": gettext_lazy("helpers created"),
    "pairings_created": gettext_lazy("pairings created"),
    "pairings_ended": gettext_lazy("pairings ended"),
    "pairings_unchanged": gettext_lazy("pairings unchanged"),
    "teams_created": gettext_lazy("work teams created"),
    "members_created": gettext_lazy("team members added"),
    "members_unchanged": gettext_lazy("team members unchanged"),
    "measures_created": gettext_lazy("measures recorded"),
    "visits_created": gettext_lazy("visits recorded"),
}

FIELDS = {
    "assistance.pairing.create": {
        "helper_name": gettext_lazy("helper's name"),
        "replaced": gettext_lazy("helpers replaced"),
    },
    "assistance.link.create": {"replaced": gettext_lazy("pairings replaced")},
    "assistance.team.": {"person": gettext_lazy("person")},
    "assistance.team.member_add": {"name": gettext_lazy("person's name")},
    "assistance.measure.carry": {
        "year": gettext_lazy("year"),
        "measures": gettext_lazy("measures carried"),
        "added": gettext_lazy("added to the income ledger (yuan)"),
    },
    "assistance.measure.void": {
        "voided": gettext_lazy("was withdrawn"),
        "ledger": gettext_lazy("taken out of the income ledger"),
        "year": gettext_lazy("year"),
        "item": gettext_lazy("income from"),
        "amount": gettext_lazy("amount (yuan)"),
    },
    "assistance.visit.create": {"visit": gettext_lazy("visit"), "photos": gettext_lazy("Photos")},
    "assistance.visit.": {"photos_added": gettext_lazy("photos added"), "voided": gettext_lazy("was withdrawn")},
    "assistance.photo.read": {"photo": gettext_lazy("photo")},
    "assistance.import.": _COUNTS,
    "assistance.demo.load": {
        "village_profiles": gettext_lazy("village profiles"),
        "links": gettext_lazy("unit pairings"),
        "teams": gettext_lazy("Work teams"),
        "team_members": gettext_lazy("team members"),
        "leaders": gettext_lazy("village leaders"),
        "attendance": gettext_lazy("attendance months"),
        "helpers": gettext_lazy("helpers"),
        "pairings": gettext_lazy("pairings"),
        "pairing_changes": gettext_lazy("changes of helper"),
        "household_plans": gettext_lazy("household plans"),
        "village_plans": gettext_lazy("village plans"),
        "measures": gettext_lazy("measures"),
        "village_measures": gettext_lazy("village measures"),
        "helped_households": gettext_lazy("households helped"),
        "income_ledgers": gettext_lazy("income ledgers"),
        "visits": gettext_lazy("visits"),
        "posts": gettext_lazy("Public-welfare posts"),
        "agreements": gettext_lazy("post agreements"),
        "inspections": gettext_lazy("post inspections"),
        "gaps": gettext_lazy("gaps left for the demo"),
        "village_without_team_or_unit": gettext_lazy("village without a work team or unit"),
        "households_without_helper": gettext_lazy("households without a helper"),
        "households_without_this_years_plan": gettext_lazy("households without this year's plan"),
        "plans_without_measures": gettext_lazy("plans without measures"),
        "helpers_without_recent_visits": gettext_lazy("helpers without recent visits"),
    },
}


def _catalog(function: str):
    def read(value, _logged) -> str:
        from . import catalog

        return getattr(catalog, function)(str(value))

    return read


DECISIONS = {"end": gettext_lazy("End the agreement"), "keep": gettext_lazy("Keep the agreement")}


def _decision(value, _logged) -> str:
    return str(DECISIONS.get(value, value))


def _income_item(value, _logged) -> str:
    from fupin.audit import present

    return present.value_text("assistance.measure", "income_item", value)


def _ledger(value, _logged) -> str:
    """The income ledger's items, each by the income field's label, with the yuan added."""
    from fupin.audit import present
    from fupin.core.present import plain

    if not isinstance(value, dict):
        return plain(value)
    return present.pairs((present.value_text("assistance.measure", "income_item", k), plain(v))
                         for k, v in value.items())


VALUES = {
    ("assistance.pairing.create", "replaced"): row_id,
    ("assistance.link.create", "replaced"): row_id,
    ("assistance.measure.carry", "measures"): row_id,
    ("assistance.visit.create", "visit"): row_id,
    ("assistance.visit.", "photos_added"): row_id,
    ("assistance.photo.read", "photo"): row_id,
    ("assistance.team.member_add", "role"): _catalog("team_role_label"),
    ("assistance.agreement.decide", "decision"): _decision,
    ("assistance.measure.carry", "added"): _ledger,
    ("assistance.measure.void", "item"): _income_item,
}
