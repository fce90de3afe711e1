"""The monitoring pages' tabs: a tab is shown only to a user who may open its page (the
permission its view requires, read from the view itself: core.views_util.require_perm),
as the left menu shows only what the user may open (core.context.shell)."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fupin.accounts.scoping import can

from .. import views

register = template.Library()

# (view and URL name, label): the view's ``required_perm`` decides who sees the tab.
TABS = (
    ("index", _("Monitored households")),
    ("worklist", _("Warning worklist")),
    ("applications", _("Applications")),
    ("warnings", _("Department warnings")),
)


def tabs_for(user, current: str = "") -> list[dict]:
    return [{"name": name, "label": label, "href": reverse(f"monitoring:{name}"), "active": name == current}
            for name, label in TABS if can(user, getattr(views, name).required_perm)]


@register.inclusion_tag("monitoring/_nav.html", takes_context=True)
def monitoring_tabs(context):
    request = context["request"]
    match = getattr(request, "resolver_match", None)
    return {"tabs": tabs_for(request.user, match.url_name if match else "")}
