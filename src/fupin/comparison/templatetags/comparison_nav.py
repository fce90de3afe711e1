"""The data comparison's tabs, as data: core's ``{% tabs %}`` (fupin.core.templatetags.core_tabs)
shows each only to a user who may open its page, as the page's view says (``required_perms``
of ``views.require_any``, else ``required_perm``). Not a tag library of its own."""

from django.utils.translation import gettext_lazy as _

from fupin.core.templatetags.core_tabs import Tab

TABS = (
    Tab("comparison:home", _("Data sets")),
    Tab("comparison:hits", _("Verification queue")),
    Tab("comparison:forms", _("Forms and statistics")),
    Tab("comparison:linkage", _("低保 linkage")),
    Tab("comparison:cutoffs", _("Cut-off dates")),
)
