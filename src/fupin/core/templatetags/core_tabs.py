"""Tabs over a group of pages, and links into a page from elsewhere, shown only to a user
who may open the page — as the left menu shows only what the user may open
(core.context.shell): no tab, no such link, leads to a 403.

An app keeps its tabs as data, a sequence of ``Tab`` (the page's URL name, its label and,
when the page's view does not say it, who may see it)::

    TABS = (Tab("monitoring:index", _("Monitored households")), ...)

By default a tab is shown to whoever may open the view behind its URL, as the view itself
says: ``required_perms`` (any one opens it; comparison.views.require_any), else
``required_perm`` (core.views_util.require_perm). A page shows the tabs with
``{% tabs "fupin.monitoring.templatetags.monitoring_nav.TABS" %}`` (the dotted path of the
sequence, or the sequence itself), the current one being the page's own URL name unless
given (``{% tabs TABS "comparison:hits" %}``), in the one partial core/_tabs.html; a single
link is guarded with ``{% may_open "comparison:cutoffs" as ok %}``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django import template
from django.core.exceptions import ImproperlyConfigured
from django.urls import get_script_prefix, resolve, reverse
from django.utils.module_loading import import_string

from fupin.accounts.scoping import can

register = template.Library()


@dataclass(frozen=True)
class Tab:
    """One tab: the URL name of its page (with its namespace), its label, and who may see it
    (``check(user) -> bool``; None: whoever may open the page's view)."""

    url_name: str
    label: str
    check: Callable[[object], bool] | None = None

    def allows(self, user) -> bool:
        return self.check(user) if self.check is not None else may_open(user, self.url_name)


def view_perms(url_name: str) -> tuple[str, ...]:
    """The permissions of which any one opens the page ``url_name`` (a URL without
    arguments), read from its view."""
    href = reverse(url_name)
    prefix = get_script_prefix()
    view = resolve("/" + href[len(prefix):] if href.startswith(prefix) else href).func
    perms = getattr(view, "required_perms", None) or tuple(filter(None, [getattr(view, "required_perm", None)]))
    if not perms:
        raise ImproperlyConfigured(f"The view of {url_name} names no permission: give its tab a check.")
    return tuple(perms)


def may_open(user, url_name: str) -> bool:
    """Whether ``user`` may open the page ``url_name`` at all."""
    return any(can(user, p) for p in view_perms(url_name))


def _definitions(tabs: str | Sequence[Tab]) -> Sequence[Tab]:
    return import_string(tabs) if isinstance(tabs, str) else tabs


def visible_tabs(user, tabs: str | Sequence[Tab], current: str = "") -> list[dict]:
    """The tabs ``user`` may see, each with its address and whether it is the current one."""
    return [{"name": t.url_name, "label": t.label, "href": reverse(t.url_name), "active": t.url_name == current}
            for t in _definitions(tabs) if t.allows(user)]


@register.inclusion_tag("core/_tabs.html", takes_context=True)
def tabs(context, definitions, current=None, html_id=""):
    """``{% tabs "fupin.comparison.templatetags.comparison_nav.TABS" "comparison:hits" %}``: the
    tabs the user may open, the current one marked (by default the page's own URL name); the
    list's id is ``html_id``, else "<namespace>-tabs" ("comparison-tabs")."""
    request = context["request"]
    if current is None:
        match = getattr(request, "resolver_match", None)
        current = match.view_name if match else ""
    defined = _definitions(definitions)
    if not html_id and defined:
        html_id = defined[0].url_name.partition(":")[0] + "-tabs"
    return {"tabs": visible_tabs(request.user, defined, current), "html_id": html_id}


@register.simple_tag(takes_context=True, name="may_open")
def may_open_tag(context, url_name):
    """``{% may_open "comparison:cutoffs" as ok %}``: whether a link to that page may be shown."""
    return may_open(context["request"].user, url_name)
