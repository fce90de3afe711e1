"""The monitoring pages' tabs, as data: core's ``{% tabs %}`` (fupin.core.templatetags.core_tabs)
shows each only to a user who may open its page, as the page's view says (its
``required_perm``, core.views_util.require_perm). Not a tag library of its own."""

from django.utils.translation import gettext_lazy as _

from fupin.core.templatetags.core_tabs import Tab

TABS = (
    Tab("monitoring:index", _("Monitored households")),
    Tab("monitoring:worklist", _("Warning worklist")),
    Tab("monitoring:applications", _("Applications")),
    Tab("monitoring:warnings", _("Department warnings")),
)
