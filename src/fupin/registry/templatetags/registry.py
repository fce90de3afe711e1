"""Template helpers of the registry pages: code values as labels, yes/no, lookups and rows.
Amounts of money are the core filters ``yuan`` / ``yuan_unit`` (built into every template)."""

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from fupin.registry import codes

register = template.Library()


@register.filter
def code_label(value, name):
    """``{{ household.category|code_label:"category" }}`` -> 一般贫困户 (or the English label)."""
    if value is None or value == "":
        return ""
    return codes.label(name, str(value))


@register.filter
def flag(value):
    """A yes/no field as a word; empty for None."""
    if value is None or value == "":
        return ""
    return _("Yes") if value else _("No")


@register.filter
def get_item(mapping, key):
    if mapping is None:
        return None
    return mapping.get(key)


@register.filter
def chunks(items, size):
    """A list cut into rows of ``size`` (the last padded with None), for tables of fields."""
    items, size = list(items), int(size)
    out = [items[i:i + size] for i in range(0, len(items), size)]
    if out and len(out[-1]) < size:
        out[-1] = out[-1] + [None] * (size - len(out[-1]))
    return out


@register.filter
def is_number(value):
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)
