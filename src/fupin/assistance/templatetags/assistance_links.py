"""Links into assistance pages, shown only to a user who may follow them: the templates
ask the same rule the page asks (never a copy of it)."""

from django import template

from fupin.core.actor import Actor

from .. import actions

register = template.Library()


@register.simple_tag(takes_context=True)
def may_act_for(context, household) -> bool:
    """``{% may_act_for household as ok %}``: whether the user may log a visit or record a
    measure for ``household`` — assistance.edit in its area, or its own helper now
    (actions.may_act_for_household, which the visit and measure pages ask too)."""
    request = context.get("request")
    if request is None or household is None:
        return False
    return actions.may_act_for_household(Actor.from_request(request), household)
