"""Which personal fields may be revealed, to whom, and the reveal itself (logged)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.apps import apps
from django.urls import reverse

from fupin.accounts.scoping import can, scope_for
from fupin.areas import rules as area_rules
from fupin.core.actor import Actor

# model label -> {field: mask kind}. Apps register their personal fields here.
PII_FIELDS: dict[str, dict[str, str]] = {
    "accounts.user": {"phone": "phone"},
}


def register(label: str, fields: dict[str, str]) -> None:
    PII_FIELDS.setdefault(label, {}).update(fields)


def area_code_of(obj) -> str:
    code = getattr(obj, "area_code", None)
    if code is None and obj._meta.label_lower == "accounts.user":
        prefixes = [r.prefix for r in obj.roles.all()]  # uses the list's prefetch when there is one
        code = min(prefixes, key=len) if prefixes else None
    return code


def reveal_allowed(user, obj, field) -> bool:
    if field not in PII_FIELDS.get(obj._meta.label_lower, {}):
        return False
    code = area_code_of(obj)
    return code is not None and can(user, "pii.reveal", code)


def may_export_unmasked(user, code: str | None) -> bool:
    """Whether ``user`` may have personal numbers (ID numbers, phones) written unmasked into
    a file about the area ``code``: a file with them is an export of personal data, so both
    ``registry.export`` and ``pii.reveal`` must be held at the area (the registers, the
    household card's PDF, the dynamic-management lists). ``code`` "" or None is the whole
    country: both held there, not merely somewhere."""
    code = code or ""
    return can(user, "registry.export", code) and can(user, "pii.reveal", code)


def reveal_url(obj, field) -> str:
    return reverse("core:reveal", args=[obj._meta.label_lower, obj.pk, field])


def model_for(label: str):
    if label not in PII_FIELDS:
        return None
    return apps.get_model(label)


class Revealer:
    """One answer of the API that may show records' personal numbers in full: per record,
    whether they are shown (the caller asked ``reveal`` and holds ``pii.reveal`` at the
    record's area), and the one sensitive read that logs what was shown.

    ``label`` is the records' object type (``registry.household``, ``audit.auditevent``);
    ``area_of`` gives a record's area code (None: nowhere, never shown). ``log`` writes one
    ``pii.reveal.api`` read per answer that showed anything: the record's id, name and area
    when it showed one, the smallest area holding them all otherwise; ``count``; the
    personal fields in ``note``; the records as its items. The registry's API and the audit
    log's API log their reveals through it, so both log them the same way."""

    action = "pii.reveal.api"

    def __init__(self, request, reveal: bool, label: str, *,
                 area_of: Callable[[object], str | None] = area_code_of, channel: str = "api"):
        self.request, self.label, self.area_of, self.channel = request, label, area_of, channel
        self.scope = scope_for(request.user, "pii.reveal") if reveal else None
        self.shown: list = []

    def show(self, obj) -> bool:
        """Whether ``obj``'s personal fields are shown in full (then it is logged)."""
        ok = self.scope is not None and self.scope.contains(self.area_of(obj))
        if ok:
            self.shown.append(obj)
        return ok

    def log(self, fields: str | Iterable[str]):
        """The read that logs the records shown (None when none was): ``fields``, the
        personal fields shown (names, or already joined with commas), go in its note."""
        if not self.shown:
            return None
        from fupin.audit import actions as audit  # the audit app imports this module

        one = self.shown[0] if len(self.shown) == 1 else None
        area = self.area_of(one) if one is not None else area_rules.common_area_code(
            self.area_of(o) for o in self.shown)
        event = audit.record_read(Actor.from_request(self.request, channel=self.channel), self.action,
                                  object_type=self.label,
                                  object_id=str(one.pk) if one is not None else "",
                                  object_repr=str(one) if one is not None else "",
                                  area_code=area or "", count=len(self.shown),
                                  note=fields if isinstance(fields, str) else ",".join(fields))
        audit.record_items(event, ((o.pk, "read") for o in self.shown))
        return event
