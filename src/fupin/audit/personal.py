"""Personal numbers in the log's values: ID numbers, phones and bank accounts are masked
wherever the log is read (the event's page, the API), as everywhere else, unless the reader's
role may see them (``pii.reveal`` at the event's area, the permission the household card's eye
button asks) and asks to: every such reveal is logged as a sensitive read.

The log itself keeps what the action logged (it is a record and never changes): only what is
shown of it is masked. A value is personal when its name is a personal field of the model the
event's values are from (``core.pii.PII_FIELDS``: the action's model, ``ACTION_MODELS`` in the
apps' ``audit_fields``, or the event's object type), or when its name is a personal key
whatever the object (``id_number``, ``phone``, ``bank_account``, any field name an app
registers as personal, and names ending so: ``head_id_number``); inside a dict or a list (a
household's members, an import's rows) the keys are looked at the same way, at any depth."""

from __future__ import annotations

from fupin.accounts.scoping import can
from fupin.core import masking
from fupin.core.pii import PII_FIELDS


def _personal_keys() -> dict[str, str]:
    """{name: mask kind} of the names that are personal whatever the object."""
    out = {kind: kind for kind in masking.MASKERS}
    for fields in PII_FIELDS.values():
        for name, kind in fields.items():
            out.setdefault(name, kind)
    return out


def key_kind(name: str, known: dict[str, str] | None = None) -> str | None:
    """The mask kind of a value logged under ``name`` whatever its object (``id_number``,
    ``head_id_number``, ``phones``), or None. ``known``: ``_personal_keys()``, when at hand."""
    known = _personal_keys() if known is None else known
    if name in known:
        return known[name]
    for key, kind in known.items():
        if name.endswith(("_" + key, "_" + key + "s")) or name == key + "s":
            return kind
    return None


def field_kinds(object_type: str, action: str = "") -> dict[str, str]:
    """{name: mask kind} of the personal fields of the models an event's values are from:
    the object type's and the action's (``ACTION_MODELS``)."""
    from .present import action_model_label

    out: dict[str, str] = {}
    for label in (object_type, action_model_label(action)):
        out.update(PII_FIELDS.get(label or "", {}))
    return out


def _mask(value, kind: str | None, known: dict[str, str]):
    """``value`` with its personal numbers masked: a scalar of a personal kind by the kind's
    mask, a dict's values by their keys (or the kind of the whole), a list's items each."""
    if isinstance(value, dict):
        return {k: _mask(v, key_kind(str(k), known) or kind, known) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v, kind, known) for v in value]
    if kind is None or value is None or value == "" or isinstance(value, bool):
        return value
    if isinstance(value, str | int | float):
        return masking.mask(kind, str(value))
    return value


def masked(values, object_type: str, action: str = ""):
    """An event's ``before`` or ``after`` with every personal number masked (a new dict; the
    event is not touched). Anything that is not a dict is returned as it is."""
    if not isinstance(values, dict):
        return values
    kinds, known = field_kinds(object_type, action), _personal_keys()
    return {name: _mask(v, kinds.get(str(name)) or key_kind(str(name), known), known) for name, v in values.items()}


def masked_event(event) -> tuple[object, object]:
    """(before, after) of ``event`` with the personal numbers masked."""
    return masked(event.before, event.object_type, event.action), masked(event.after, event.object_type, event.action)


def personal_names(event) -> list[str]:
    """The names of the event's values that hold a personal number (masked differs from logged)."""
    names: set[str] = set()
    for logged, shown in zip((event.before, event.after), masked_event(event), strict=True):
        if isinstance(logged, dict):
            names |= {name for name, v in logged.items() if shown[name] != v}
    return sorted(names)


def may_reveal(user, event) -> bool:
    """Whether ``user`` may see the event's personal numbers unmasked: ``pii.reveal`` at the
    event's area (as the household card's eye button asks at the household's)."""
    return can(user, "pii.reveal", event.area_code or "")
