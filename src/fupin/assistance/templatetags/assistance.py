"""Template helpers of the assistance pages: code values as labels, and the
household card's assistance panel (helpers over time, plan, measures, visits). Amounts
are shown with the core filters ``yuan`` and ``yuan_unit`` (fupin.core.templatetags.fupin,
built into every template)."""

from django import template

from fupin.accounts.scoping import can

from .. import catalog

register = template.Library()


@register.filter
def measure_label(code):
    return catalog.measure_label(code) if code else ""


@register.filter
def fund_label(code):
    return catalog.fund_label(code) if code else ""


@register.filter
def link_kind(code):
    return catalog.link_kind_label(code) if code else ""


@register.filter
def platform_role(code):
    return catalog.platform_role_label(code) if code else ""


@register.filter
def team_role(code):
    return catalog.team_role_label(code) if code else ""


@register.filter
def post_kind(code):
    return catalog.post_kind_label(code) if code else ""


@register.inclusion_tag("assistance/_household_panel.html", takes_context=True)
def assistance_panel(context, household):
    """The household card's panel: the household is already scoped by the card's view."""
    from fupin.core import clock
    from fupin.core.actor import Actor

    from .. import actions, holds
    from ..models import HouseholdPlan, Measure, Pairing, Visit

    user = context["request"].user
    year = clock.today().year
    plans = list(HouseholdPlan.objects.filter(household=household).order_by("-year")[:2])
    return {
        "request": context["request"], "household": household, "year": year,
        "pairings": list(Pairing.objects.filter(household=household).select_related("helper", "helper__unit")
                         .order_by("end", "-start", "-pk")),
        "plans": plans,
        "measures": list(Measure.objects.filter(household=household).order_by("-date", "-pk")[:10]),
        "measure_count": Measure.objects.filter(household=household).count(),
        "visits": list(Visit.objects.filter(household=household).select_related("helper").order_by("-date", "-pk")[:5]),
        "can_edit": can(user, "assistance.edit", household.area_code),
        # visit and measure links only for who may follow them (the rule those pages ask)
        "can_act": actions.may_act_for_household(Actor.from_request(context["request"]), household),
        "holds": holds.reasons(household),
    }
