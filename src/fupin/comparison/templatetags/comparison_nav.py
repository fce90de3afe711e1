"""The data comparison's tabs, and links into it from other pages: shown only to a user
who may open the page (the permissions its view requires, read from the view itself:
``required_perms`` of ``views.require_any``, else ``required_perm`` of
core.views_util.require_perm), as the left menu shows only what the user may open
(core.context.shell) and monitoring's tabs do (monitoring.templatetags.monitoring_nav)."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fupin.accounts.scoping import can

from .. import views

register = template.Library()

# (view and URL name, label): the view's required permissions decide who sees the tab.
TABS = (
    ("home", _("Data sets")),
    ("hits", _("Verification queue")),
    ("forms", _("Forms and statistics")),
    ("linkage", _("低保 linkage")),
    ("cutoffs", _("Cut-off dates")),
)

# The page behind each tab (a tab's name is not always its view's: forms → forms_page).
VIEWS = {"home": "home", "hits": "hits", "forms": "forms_page", "linkage": "linkage", "cutoffs": "cutoffs"}


def may_open(user, name: str) -> bool:
    """Whether ``user`` may open the comparison page ``name`` (its URL name) at all."""
    view = getattr(views, VIEWS.get(name, name))
    perms = getattr(view, "required_perms", None) or (view.required_perm,)
    return any(can(user, p) for p in perms)


def tabs_for(user, current: str = "") -> list[dict]:
    return [{"name": name, "label": label, "href": reverse(f"comparison:{name}"), "active": name == current}
            for name, label in TABS if may_open(user, name)]


@register.simple_tag(takes_context=True)
def comparison_tabs(context, current=""):
    """``{% comparison_tabs "hits" as tabs %}``: the tabs the user may open."""
    return tabs_for(context["request"].user, current)


@register.simple_tag(takes_context=True)
def comparison_may_open(context, name):
    """``{% comparison_may_open "cutoffs" as ok %}``: whether a link to that page may be shown."""
    return may_open(context["request"].user, name)
