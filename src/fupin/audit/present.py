"""An audit event as people read it on the log's pages: the object by its kind and its name
(codes spelt out), the channel, each changed value under its field's label with codes shown
by their labels and dicts spelt out as "label: value" pairs.

The log itself is never changed (it is a record, and the API returns it as it was written):
this module only reads. The pages keep each raw value at hand (a title attribute) for an
inspector, with its personal numbers masked like the text (``personal``: ID numbers, phones,
bank accounts, unless revealed). Labels come from the object's model (a field's ``verbose_name`` and choices), and
for the code fields that hold a code list's codes without Django choices from that code list
(``code_values``): like audit/labels.py, the one place that knows them. A value nobody knows
how to read is shown as it is, never as a Python repr.

Values an event logs that are no field of its object's model (a batch's ``households``, a
notice's ``days``) are named by the app that logs them, next to its actions, in its module
``audit_fields.py`` (read once, see ``declared``):

- ``ACTION_MODELS = {action: "app.model"}``: the values the action logs are that model's fields
  (a visit logged on its household: the visit's date, visitors …), labels and choices from it
  (an action code ending in "." names every action it begins);
- ``FIELDS = {object type or action: {name: label}}``: a value's label, for every event about
  such an object, or for one action's events (an action code ending in "." names every action
  it begins); a dict's keys under that value are looked up the same way;
- ``VALUES = {(object type or action, name): fn(value, logged) -> str}``: how to read a value
  (a step's code by the step's name); ``logged`` is the event (``Logged``)."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy, pgettext_lazy

from fupin.core import present

from . import personal

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


# --- what the apps declare of their events' values (their audit_fields modules) --------------

@dataclass(frozen=True)
class Logged:
    """What a value reader may need of its event: whose value it is and the event's other values."""

    object_type: str = ""
    action: str = ""
    object_id: str = ""
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Declared:
    """What the apps' ``audit_fields`` modules say (see the module's docstring)."""

    action_models: dict[str, str]
    fields: dict[str, dict[str, object]]
    values: dict[tuple[str, str], Callable[[object, Logged], str]]


@cache
def declared() -> Declared:
    """The ``audit_fields`` modules of the installed apps, merged."""
    action_models: dict[str, str] = {}
    fields: dict[str, dict[str, object]] = {}
    values: dict[tuple[str, str], Callable[[object, Logged], str]] = {}
    for config in apps.get_app_configs():
        name = f"{config.name}.audit_fields"
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        action_models.update(getattr(module, "ACTION_MODELS", {}))
        for scope, labels in getattr(module, "FIELDS", {}).items():
            fields.setdefault(scope, {}).update(labels)
        values.update(getattr(module, "VALUES", {}))
    return Declared(action_models, fields, values)


def _scopes(object_type: str, action: str) -> list[str]:
    """Where a value's declarations are looked up, the most specific first: the action, the
    prefixes of the action ("delisting.round."), the object type."""
    out = []
    if action:
        out.append(action)
        parts = action.split(".")
        out += [".".join(parts[:i]) + "." for i in range(len(parts) - 1, 0, -1)]
    if object_type:
        out.append(object_type)
    return out


def row_id(value, _logged=None) -> str:
    """A value reader for an app's ``VALUES``: a row's id as the page shows ids (#7; a list
    of them joined)."""
    if isinstance(value, list | tuple):
        return present.join(row_id(v) for v in value) if value else "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"#{value}"
    return present.plain(value)


def _declared_label(object_type: str, name: str, action: str):
    fields = declared().fields
    for scope in _scopes(object_type, action):
        found = fields.get(scope, {}).get(name)
        if found is not None:
            return found
    return None


def action_model_label(action: str) -> str | None:
    """The model whose fields the action logs (``ACTION_MODELS``: "assistance.visit"), or None."""
    action_models = declared().action_models
    for scope in _scopes("", action):
        if scope in action_models:
            return action_models[scope]
    return None


def _action_model(action: str):
    label = action_model_label(action)
    return model_of(label) if label is not None else None


def object_type_label(object_type: str) -> str:
    """The kind of object, for people ("帮扶措施"); the object_type itself when unknown."""
    model = model_of(object_type) if object_type else None
    return capfirst(str(model._meta.verbose_name)) if model is not None else object_type


def _model_label(model, name: str) -> str | None:
    found = _field(model, name)
    if found is not None:
        if _named(found):
            return capfirst(str(found.verbose_name))
        if found.is_relation and found.related_model is not None:
            return capfirst(str(found.related_model._meta.verbose_name))
    return None


def field_label(object_type: str, name: str, action: str = "") -> str:
    """A changed value's field, for people: the label its app declares for the action's values
    (``audit_fields``), else the field of the model the action logs (``ACTION_MODELS``) or of
    the object's model by its verbose_name (a relation's ``household_id`` by the field or,
    unnamed, its model's name), else the label the app declares for the object's values, else
    a common field's label, else the name as it is."""
    known = _declared_label("", name, action)
    if known is None:
        for model in (_action_model(action), model_of(object_type) if object_type else None):
            label = _model_label(model, name) if model is not None else None
            if label is not None:
                return label
        known = _declared_label(object_type, name, "") or COMMON_FIELDS.get(name)
    return capfirst(str(known)) if known is not None else name


def key_label(object_type: str, name: str, action: str = "") -> str:
    """A key of a dict an event logs (``gaps``: ``households_without_helper``): the label its
    app declares, else a common field's label, else the key as it is (the keys of a dict are
    no fields of the object's model)."""
    known = _declared_label(object_type, name, action) or COMMON_FIELDS.get(name)
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


def _declared_reader(object_type: str, name: str, action: str):
    readers = declared().values
    for scope in _scopes(object_type, action):
        found = readers.get((scope, name))
        if found is not None:
            return found
    return None


def _inline_pairs(items) -> str:
    """(label, value) pairs inside a list item: 姓名：张三，金额：5 in Chinese, "Name: 张三, Amount: 5"."""
    zh = (translation.get_language() or "").startswith("zh")
    colon, sep = ("：", "，") if zh else (": ", ", ")
    return sep.join(f"{label}{colon}{value}" for label, value in items)


DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _moment(text: str) -> str:
    """A date-time the log keeps as ISO 8601 (in UTC): in local time, as the pages show times."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return date_format(moment, "Y-m-d H:i:s")


def value_text(object_type: str, name: str, value, values: dict | None = None, *, action: str = "",
               object_id: str = "") -> str:
    """A logged value, for people: a code by its label (the reader its app declares, the field's
    choices or its code list), a relation's id as #id, yes/no, a date-time in local time, a list
    joined, a dict as label: value pairs; "" for none. ``values`` are the event's other values (a
    measure's details need its type); ``action`` and ``object_id`` name the event (a step's
    code is read in its batch)."""
    if value is None:
        return ""
    reader = _declared_reader(object_type, name, action)
    if reader is not None and value != "":
        return reader(value, Logged(object_type, action, object_id, values or {}))
    special = code_values().get((object_type, name))
    if special is not None and value != "":
        return special(value, values or {})
    for model in (_action_model(action), model_of(object_type) if object_type else None):
        found = _field(model, name) if model is not None else None
        if found is None:
            continue
        if isinstance(value, str | int | float) and value != "":
            if found.choices:
                choices = dict(found.flatchoices)
                if value in choices:
                    return str(choices[value])
            if found.is_relation:  # a row's id (#7); a code an event logs under the relation's name, as it is
                return f"#{value}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
        break
    return _nested_text(object_type, value, action)


def _nested_text(object_type: str, value, action: str = "") -> str:
    """A value with no field to read it by: a dict's keys by the labels its app declares, its
    values read by the app's readers; a list's items each so read."""
    if isinstance(value, dict):  # its keys are no fields of the object: labelled as the app declares, else as logged
        return pairs((key_label(object_type, str(k), action), _item_text(object_type, str(k), v, action))
                     for k, v in value.items())
    if isinstance(value, list | tuple):
        if any(isinstance(v, dict) for v in value):
            return present.join((_inline_pairs((key_label(object_type, str(k), action),
                                                _item_text(object_type, str(k), x, action)) for k, x in v.items())
                                 if isinstance(v, dict) else _nested_text(object_type, v, action)
                                 for v in value), clauses=True)
        return present.join(_nested_text(object_type, v, action) for v in value) if value else "—"
    if isinstance(value, str) and DATETIME.match(value):
        return _moment(value)
    return present.plain(value)


def _item_text(object_type: str, name: str, value, action: str) -> str:
    """A value inside a dict: by the reader its app declares for its key, else as a nested value."""
    reader = _declared_reader(object_type, name, action)
    if reader is not None and value not in (None, ""):
        return reader(value, Logged(object_type, action))
    return _nested_text(object_type, value, action)


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
    personal: bool = False  # holds a personal number (masked unless ``unmasked``)
    masked: bool = False  # … and is shown masked

    @property
    def reveal_vals(self) -> str:
        """What the page's eye button posts to reveal this value (htmx ``hx-vals``)."""
        return json.dumps({"reveal": self.name})


def changes(event, *, unmasked: frozenset[str] | set[str] = frozenset()) -> list[Change]:
    """The event's changed values (``AuditEvent.changed_fields``), for people. Personal numbers
    (ID numbers, phones, bank accounts; ``personal``) are masked, in the text and in the raw
    value of the title alike, except in the values named in ``unmasked`` (a reveal the caller
    has checked and logs)."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    masked_before, masked_after = (personal.masked(before, event.object_type, event.action),
                                   personal.masked(after, event.object_type, event.action))
    out = []
    for name, _old, _new in event.changed_fields():
        is_personal = masked_before.get(name) != before.get(name) or masked_after.get(name) != after.get(name)
        shown_before, shown_after = (before, after) if name in unmasked else (masked_before, masked_after)
        # the event's other values too (a measure's type for its details), masked as shown
        after_values, before_values = {**shown_before, **shown_after}, {**shown_after, **shown_before}
        old, new = shown_before.get(name), shown_after.get(name)
        where = {"action": event.action, "object_id": event.object_id}
        out.append(Change(name=name, label=field_label(event.object_type, name, event.action),
                          before=value_text(event.object_type, name, old, before_values, **where),
                          after=value_text(event.object_type, name, new, after_values, **where),
                          before_raw=raw(old), after_raw=raw(new),
                          personal=is_personal, masked=is_personal and name not in unmasked))
    return out


def describe(event) -> None:
    """Set what the pages show of an event: ``object_label`` (its kind), ``object_text`` (its
    name with codes spelt out) and ``channel_label``."""
    event.object_label = object_type_label(event.object_type)
    event.object_text = object_text(event.object_type, event.object_repr)
    event.channel_label = channel_label(event.channel)
