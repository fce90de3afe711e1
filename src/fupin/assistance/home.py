"""A helper's panel on the home page: the households paired with them now (how many, the
longest unvisited first with their last visit), each with a link to its card and to log
a visit, and a link to the phone page of all of them (/assistance/mine/). Shown to a
user whose account is linked to a helper record, and to a user holding the helper role
whose account is not linked yet (with what to do about it)."""

from fupin.accounts.rules import HELPER
from fupin.accounts.scoping import can, roles_of
from fupin.core.home import panel

from . import queries
from .views.common import LOG

SHOWN = 5  # households listed on the panel; the rest are on /assistance/mine/


@panel(order=10)
def helper_panel(request, scope):
    user = request.user
    if not can(user, LOG):
        return None
    linked = queries.own_helpers(user).exists()
    if not linked and HELPER not in roles_of(user):
        return None
    households = queries.paired_households(user)
    return {
        "template": "assistance/_home_panel.html",
        "linked": linked,
        "count": households.count() if linked else 0,
        "households": list(queries.with_last_visit(households)[:SHOWN]) if linked else [],
    }
