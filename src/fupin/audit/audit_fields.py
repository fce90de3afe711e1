"""What the audit app's own events log besides their object's fields, for the log's pages
(fupin.audit.present reads this module; see its docstring)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from .present import Logged, field_label, row_id


def _field(value, logged: Logged) -> str:
    """The name of a value revealed on an event's page, by its label on that page (the read is
    logged on the same object as the event)."""
    return field_label(logged.object_type, str(value))


FIELDS = {
    # a personal value revealed on an event's page (views.event_detail): which event, which value
    "pii.reveal": {"event": gettext_lazy("audit event"), "field": gettext_lazy("Field")},
}

VALUES = {
    ("pii.reveal", "event"): row_id,
    ("pii.reveal", "field"): _field,
}
