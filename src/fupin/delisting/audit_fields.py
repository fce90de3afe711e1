"""What the delisting app's audit events log besides their object's fields, for the log's
pages (fupin.audit.present reads this module; see its docstring)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fupin.audit.present import row_id

# A county round's steps (models.CountyStep.CODES), each logged as ``delisting.round.<code>``.
COUNTY_STEPS = ("submission", "city_review", "province_approval", "announcement")

ACTION_MODELS = {
    "delisting.village.objection": "delisting.villageobjection",  # received_on, objector, content
    "delisting.village.objection_decide": "delisting.villageobjection",  # answer
    "delisting.village.notice_close": "delisting.villagestep",  # closed_on
    **{f"delisting.round.{code}": "delisting.countystep" for code in COUNTY_STEPS},  # date, note
}

FIELDS = {
    "delisting.village.assess": {
        "on": gettext_lazy("status as of"),
        "items": gettext_lazy("values and criteria, item by item"),
    },
    "delisting.village.notice": {
        "start": gettext_lazy("first day of the notice"),
        "last_day": gettext_lazy("last day of the notice"),
        "days": gettext_lazy("notice days"),
    },
    "delisting.village.objection_decide": {
        "objection": gettext_lazy("objection"),
        "upheld": gettext_lazy("objection upheld"),
    },
    "delisting.village.approve": {
        "approved": gettext_lazy("approved"),
        "date": gettext_lazy("date"),
        "note": gettext_lazy("note"),
    },
    "delisting.village.announce": {"date": gettext_lazy("date")},
    **{f"delisting.round.{code}": {"approved": gettext_lazy("approved")} for code in COUNTY_STEPS},
    "delisting.round.start": {"villages": gettext_lazy("villages sampled")},
    "delisting.survey.": {"round": gettext_lazy("county assessment round")},
}


def assessment_items(value, logged) -> str:
    """A village check's items ({code: [value, met]}) by their labels in the assessment's
    results: "label: value (met)"."""
    from fupin.audit import present
    from fupin.core.present import plain

    from .models import VillageAssessment

    if not isinstance(value, dict):
        return plain(value)
    labels = {}
    try:
        found = VillageAssessment.objects.filter(pk=int(logged.object_id)).first()
    except (TypeError, ValueError):
        found = None
    if found is not None:
        labels = {i.get("code"): i.get("label") for i in (found.results or {}).get("items", [])
                  if isinstance(i, dict)}
    out = []
    for code, shown in value.items():
        if isinstance(shown, list | tuple) and len(shown) == 2:
            met = {True: _("met"), False: _("not met")}.get(shown[1])
            text = f"{plain(shown[0])} ({met})" if met else plain(shown[0])
        else:
            text = plain(shown)
        out.append((labels.get(code) or code, text))
    return present.pairs(out)


VALUES = {
    ("delisting.village.assess", "items"): assessment_items,
    ("delisting.village.objection_decide", "objection"): row_id,
    ("delisting.survey.", "round"): row_id,
}
