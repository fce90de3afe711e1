"""Which personal fields may be revealed, to whom, and the reveal itself (logged)."""

from django.apps import apps
from django.urls import reverse

from fupin.accounts.scoping import can

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
