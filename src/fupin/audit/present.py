"""An audit event as people read it on the log's pages: the object by its kind and its name
(codes spelt out), the channel, each changed value under its field's label with codes shown
by their labels and dicts spelt out as "label: value" pairs.

The log itself is never changed (it is a record, and the API returns it as it was written):
this module only reads. The pages keep each raw value at hand (a title attribute) for an
inspector. Labels come from the object's model (a field's ``verbose_name`` and choices), and
for the code fields that hold a code list's codes without Django choices from that code list
(``code_values``): like audit/labels.py, the one place that knows them. A value nobody knows
how to read is shown as it is, never as a Python repr."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy, pgettext_lazy

from fupin.core import present

CHANNELS = {
    "web": pgettext_lazy("audit channel", "web"),
    "api": pgettext_lazy("audit channel", "API"),
    "cli": pgettext_lazy("audit channel", "command line"),
    "job": pgettext_lazy("audit channel", "background job"),
    "system": pgettext_lazy("audit channel", "system"),
}

# What a bulk event did to each row it lists (AuditItem.change).
ROW_CHANGES = {
    "created": pgettext_lazy("audit row", "created"),
    "updated": pgettext_lazy("audit row", "changed"),
    "deleted": pgettext_lazy("audit row", "deleted"),
    "archived": pgettext_lazy("audit row", "archived"),
    "monitored": pgettext_lazy("audit row", "identified for monitoring"),
    "cleared": pgettext_lazy("audit row", "risk cleared"),
    "rejected": pgettext_lazy("audit row", "not identified"),
    "sampled": pgettext_lazy("audit row", "sampled"),
    "surveyed": pgettext_lazy("audit row", "surveyed"),
    "added": pgettext_lazy("audit row", "added"),
    "completed": pgettext_lazy("audit row", "completed"),
    "withdrawn": pgettext_lazy("audit row", "withdrawn"),
    "paired": pgettext_lazy("audit row", "paired with a helper"),
    "read": pgettext_lazy("audit row", "shown"),
}


def channel_label(channel: str) -> str:
    found = CHANNELS.get(channel)
    return str(found) if found is not None else channel


def row_change_label(change: str) -> str:
    found = ROW_CHANGES.get(change)
    return str(found) if found is not None else change


def pairs(items) -> str:
    """(label, value) pairs as one reads them: 项目：脐橙种植；分支：种植业 in Chinese,
    "Project: oranges; Branch: crops" in English."""
    colon = "：" if (translation.get_language() or "").startswith("zh") else ": "
    return present.join((f"{label}{colon}{value}" for label, value in items), clauses=True)


# --- the model and its fields ----------------------------------------------------------------

@cache
def model_of(object_type: str) -> type[models.Model] | None:
    """The model an event's object_type ("assistance.measure") names, or None."""
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model, name: str):
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return next((f for f in model._meta.concrete_fields if f.attname == name), None)
    return field if hasattr(field, "verbose_name") else None  # not a reverse relation


def _named(field) -> bool:
    """Whether the field's verbose_name was given (Django's own is the name with spaces)."""
    return isinstance(field.verbose_name, Promise) or field.verbose_name != field.name.replace("_", " ")


# Fields many models keep without a verbose_name.
COMMON_FIELDS = {
    "area_code": gettext_lazy("area code"),
    "area_prefix": gettext_lazy("area (code prefix)"),
    "version": gettext_lazy("version"),
}

# Values an event logs that are no field of its object's model.
EVENT_FIELDS = {
    ("accounts.user", "role"): gettext_lazy("role"),
    ("accounts.user", "area"): gettext_lazy("area (code prefix)"),
}


def object_type_label(object_type: str) -> str:
    """The kind of object, for people ("帮扶措施"); the object_type itself when unknown."""
    model = model_of(object_type) if object_type else None
    return capfirst(str(model._meta.verbose_name)) if model is not None else object_type


def field_label(object_type: str, name: str) -> str:
    """A changed value's field, for people: the model field's verbose_name (a relation's
    ``household_id`` by the field or, unnamed, its model's name), else a common field's label,
    else the name as it is."""
    field = _field(model_of(object_type), name) if object_type else None
    if field is not None:
        if _named(field):
            return capfirst(str(field.verbose_name))
        if field.is_relation and field.related_model is not None:
            return capfirst(str(field.related_model._meta.verbose_name))
    known = EVENT_FIELDS.get((object_type, name)) or COMMON_FIELDS.get(name)
    return capfirst(str(known)) if known is not None else name


# --- code values ------------------------------------------------------------------------------

def _registry_column_lists() -> dict[tuple[str, str], str]:
    """{(object_type, field): code list} of the registry's household and member fields (the
    exchange format's columns say which code list each one holds)."""
    from fupin.registry import exchange

    level_type = {exchange.HOUSEHOLD: "registry.household", exchange.MEMBER: "registry.member"}
    return {(level_type[c.level], c.field): c.kind.split(":", 1)[1] for c in exchange.COLUMNS
            if c.kind.startswith("code:")}


def _registry_code(list_name: str) -> Callable[[object, dict], str]:
    def label(value, _values):
        from fupin.registry import codes

        return codes.label(list_name, str(value))

    return label


def _income_item(value, _values) -> str:
    """An income ledger item (``crops``) by the income field's label (种植业收入)."""
    from fupin.registry.models import Income

    field = _field(Income, str(value))
    return capfirst(str(field.verbose_name)) if field is not None and _named(field) else str(value)


def _role(value, _values) -> str:
    from fupin.accounts import rules

    found = rules.ROLES.get(str(value))
    return str(found) if found is not None else str(value)


def _catalog(function: str) -> Callable[[object, dict], str]:
    def label(value, _values):
        from fupin.assistance import catalog

        return getattr(catalog, function)(str(value))

    return label


def _measure_details(value, values) -> str:
    """A measure's details by its type's fields (data/measures.json): labels, choices by their
    labels, yes/no; a key the type does not name is shown as it is."""
    from fupin.assistance import catalog

    if not isinstance(value, dict):
        return present.plain(value)
    measure_type = catalog.measure_type(str(values.get("type", "")))
    fields = {f["name"]: f for f in (measure_type or {}).get("fields", [])}
    if measure_type is None:  # the type is not in the snapshot: any type's field of that name
        for t in catalog.measure_types():
            for f in t.get("fields", []):
                fields.setdefault(f["name"], f)
    out = []
    order = {name: i for i, name in enumerate(fields)}  # the type's order (PostgreSQL's JSON keeps its own)
    for key, v in sorted(value.items(), key=lambda kv: order.get(kv[0], len(order))):
        f = fields.get(key)
        if f is None:
            out.append((key, present.plain(v)))
        elif f.get("choices") and v not in (None, ""):
            out.append((catalog.field_label(f), catalog.choice_label(f, v)))
        else:
            out.append((catalog.field_label(f), present.plain(v)))
    return pairs(out)


@cache
def code_values() -> dict[tuple[str, str], Callable[[object, dict], str]]:
    """{(object_type, field): fn(value, the event's values) -> label}: the code fields without
    Django choices whose codes a code list names (the registry's from its exchange columns)."""
    out: dict[tuple[str, str], Callable[[object, dict], str]] = {
        key: _registry_code(name) for key, name in _registry_column_lists().items()}
    out.update({
        ("assistance.measure", "type"): _catalog("measure_label"),
        ("assistance.measure", "fund_source"): _catalog("fund_label"),
        ("assistance.measure", "income_item"): _income_item,
        ("assistance.measure", "details"): _measure_details,
        ("assistance.link", "kind"): _catalog("link_kind_label"),
        ("assistance.link", "role"): _catalog("platform_role_label"),
        ("assistance.teammember", "role"): _catalog("team_role_label"),
        ("assistance.post", "kind"): _catalog("post_kind_label"),
        ("accounts.user", "role"): _role,
    })
    return out


def value_text(object_type: str, name: str, value, values: dict | None = None) -> str:
    """A logged value, for people: a code by its label (the field's choices or its code list),
    a relation's id as #id, yes/no, a list joined, a dict as label: value pairs; "" for none.
    ``values`` are the event's other values (a measure's details need its type)."""
    if value is None:
        return ""
    special = code_values().get((object_type, name))
    if special is not None and value != "":
        return special(value, values or {})
    field = _field(model_of(object_type), name) if object_type else None
    if field is not None and isinstance(value, str | int | float) and value != "":
        if field.choices:
            choices = dict(field.flatchoices)
            if value in choices:
                return str(choices[value])
        if field.is_relation:  # a row's id (#7); a code an event logs under the relation's name, as it is
            return f"#{value}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
    if isinstance(value, dict):  # its keys are no fields of the object: shown as logged
        return pairs((str(k), value_text("", str(k), v)) for k, v in value.items())
    return present.plain(value)


def raw(value) -> str:
    """The value as the log keeps it (for the title attribute an inspector reads)."""
    return "" if value is None else str(value)


# --- the object -------------------------------------------------------------------------------

def _measure_repr(text: str) -> str:
    """A measure was logged as "<type code> <date>" ("industry 2026-11-01")."""
    from fupin.assistance import catalog

    code, _sep, rest = text.partition(" ")
    if catalog.measure_type(code) is None:
        return text
    return f"{catalog.measure_label(code)} {rest}".strip()


# Objects whose logged name (their str at the time) holds a code: how to read it.
REPRS: dict[str, Callable[[str], str]] = {
    "assistance.measure": _measure_repr,
}


# Django's name of an object whose model says none ("Income object (16616)"): nothing to read
# beyond the kind and the id the page shows anyway.
DEFAULT_REPR = re.compile(r"^\w+ object \([^)]*\)$")


def object_text(object_type: str, object_repr: str) -> str:
    """The logged name of the object with its codes spelt out ("产业扶持 2026-11-01"); "" for
    Django's default name."""
    if DEFAULT_REPR.match(object_repr):
        return ""
    fix = REPRS.get(object_type)
    return fix(object_repr) if fix is not None and object_repr else object_repr


@dataclass(frozen=True)
class Change:
    name: str
    label: str
    before: str
    after: str
    before_raw: str
    after_raw: str


def changes(event) -> list[Change]:
    """The event's changed values (``AuditEvent.changed_fields``), for people."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    after_values, before_values = {**before, **after}, {**after, **before}  # e.g. a measure's type for its details
    return [Change(name=name, label=field_label(event.object_type, name),
                   before=value_text(event.object_type, name, old, before_values),
                   after=value_text(event.object_type, name, new, after_values),
                   before_raw=raw(old), after_raw=raw(new))
            for name, old, new in event.changed_fields()]


def describe(event) -> None:
    """Set what the pages show of an event: ``object_label`` (its kind), ``object_text`` (its
    name with codes spelt out) and ``channel_label``."""
    event.object_label = object_type_label(event.object_type)
    event.object_text = object_text(event.object_type, event.object_repr)
    event.channel_label = channel_label(event.channel)
