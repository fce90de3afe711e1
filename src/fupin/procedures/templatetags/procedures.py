"""The household card's panel of procedures: every batch the household has been in
(identification, exit, return, monitoring …) with its state there and a link to the
batch, whose page holds the step documents; plus links to the household's exit check
and monitoring record where those apps are installed."""

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.inclusion_tag("procedures/_household_panel.html", takes_context=True)
def procedures_panel(context, household):
    """``household`` is already scoped by the card's view (registry.view at its area)."""
    from django.apps import apps

    from ..models import BatchMember

    memberships = list(BatchMember.objects.filter(household=household)
                       .select_related("batch").order_by("-batch__created_at", "-pk"))
    links = []
    if apps.is_installed("fupin.exits"):
        try:
            links.append(("exits", reverse("exits:household", args=[household.pk])))
        except NoReverseMatch:  # pragma: no cover - the app without its page
            pass
    if apps.is_installed("fupin.monitoring"):
        model = apps.get_model("monitoring", "MonitoredHousehold")
        for pk in model.objects.filter(household=household).order_by("-pk").values_list("pk", flat=True)[:3]:
            links.append(("monitoring", reverse("monitoring:record", args=[pk])))
    # A batch run at a higher level (a township's or county's) is shown to a village user,
    # but linked only where the user may open it (registry.view in the batch's area).
    from fupin.accounts.scoping import can

    user = context["request"].user
    for m in memberships:
        m.openable = can(user, "registry.view", m.batch.area_code)
    return {"request": context["request"], "household": household, "memberships": memberships, "links": links}
