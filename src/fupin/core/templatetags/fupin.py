"""The project's own template helpers, built into every template (settings: ``builtins``):
query strings, sort headers, personal fields masked, and amounts of money — the one
way money is shown (``yuan``, ``yuan_unit``), on pages and in PDFs alike."""

from urllib.parse import urlencode

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from fupin.core import money
from fupin.core.masking import mask

register = template.Library()


@register.simple_tag(takes_context=True)
def query(context, **changes):
    """The current query string with some parameters changed (for sorting and paging)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return "?" + encoded if encoded else "?"


@register.inclusion_tag("partials/sort_header.html", takes_context=True)
def sort_header(context, field, label):
    current = context["request"].GET.get("sort", "")
    direction = ""
    if current == field:
        direction, next_sort = "asc", "-" + field
    elif current == "-" + field:
        direction, next_sort = "desc", field
    else:
        next_sort = field
    return {"request": context["request"], "label": label, "next_sort": next_sort, "direction": direction}


@register.simple_tag(takes_context=True)
def sensitive(context, obj, field, kind=None):
    """A personal field, masked, with a button to reveal it when the role may (the reveal is logged)."""
    from fupin.core.pii import PII_FIELDS, reveal_allowed, reveal_url

    value = getattr(obj, field, "") or ""
    if not value:
        return ""
    kind = kind or PII_FIELDS.get(obj._meta.label_lower, {}).get(field) or field
    masked = mask(kind, value)
    request = context["request"]
    if reveal_allowed(request.user, obj, field):
        return format_html(
            '<span class="pii" id="pii-{}-{}-{}"><span class="font-monospace">{}</span> '
            '<button type="button" class="btn btn-link btn-sm p-0 align-baseline" hx-post="{}" '
            'hx-target="#pii-{}-{}-{}" hx-swap="outerHTML" title="{}"><i class="bi bi-eye"></i></button></span>',
            obj._meta.model_name, obj.pk, field, masked, reveal_url(obj, field),
            obj._meta.model_name, obj.pk, field, _("Show (this is logged)"),
        )
    return format_html('<span class="font-monospace">{}</span>', masked)


@register.filter
def masked(value, kind):
    return mask(kind, value)


@register.simple_tag(takes_context=True)
def querystring_without_page(context):
    params = context["request"].GET.copy()
    params.pop("page", None)
    return urlencode(list(params.lists()), doseq=True)


# --- money ---------------------------------------------------------------------------------------

@register.filter
def yuan(value):
    """An amount in yuan as every page, PDF and register prints it: two decimals rounded half
    up (四舍五入), thousands separators — ``1,234.50``, ``-20.00``; empty for None or "".
    A value that is not a number is shown as it is."""
    if value is None or value == "":
        return ""
    shown = money.format_amount(value)
    return value if shown is None else shown


@register.filter
def yuan_unit(value):
    """An amount with its unit: ``1,000.00 元`` (``1,000.00 yuan``); empty for None or "".
    A value that is not a number is shown as it is, without the unit."""
    if value is None or value == "":
        return ""
    shown = money.format_amount(value)
    return value if shown is None else _("%(v)s yuan") % {"v": shown}
