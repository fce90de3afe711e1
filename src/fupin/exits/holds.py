"""四个不摘 — 摘帽不摘责任、不摘政策、不摘帮扶、不摘监管: a household that has exited keeps
its helper while it is in its policy period after exit (the exits app's hold in the
assistance app's registry, fupin.assistance.holds; registered by ExitsConfig.ready).

Sources (the same as the periods' data, exits/data/policy_periods.json): seed 003
泗水县退出工作方案 三 “脱贫的农户，在一定时期内继续享受有关扶贫政策扶持”; seed 003
《乡村振兴重点帮扶村工作方案》 “过渡期内，即2021-2025年” and “落实好‘四个不摘’要求”;
seeds 001 and 004 “不脱贫不脱钩” — a helper (帮扶) is one of the policies kept.

Which households and until when is the exits app's own data and query: the policy
periods (exits.PolicyPeriod, by area and exit year) — no date or duration lives here.
A household is held on a day when it is in its policy period that day by the one
definition, ``queries.in_period`` (which ``queries.in_observation`` asks too, over a
user's scope; a hold is asked for any household): ``exited_policy`` that day, exited on or
before it, and its period's last day not before it. From the day after its period's last
day the hold lets go, whether or not ``fupin close_observation`` has moved it to
``exited`` yet."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fupin.core import clock
from fupin.registry.models import Household

from . import queries, rules

NAME = "policy_period"
STATUS = "exited_policy"


def check(household) -> str | None:
    """Why the household keeps its helper today, or None."""
    if household.status != STATUS:
        return None
    row = (queries.in_period(Household.objects.filter(pk=household.pk), clock.today())
           .values("exit_date", "observation_until", "period_kind").first())
    if row is None:
        return None
    return _("The household exited on %(exit)s and is in its policy period after exit to %(until)s (%(period)s): "
             "it keeps its helper, not unpaired (四个不摘: 不摘帮扶).") % {
        "exit": row["exit_date"], "until": row["observation_until"],
        "period": rules.PERIOD_KINDS.get(row["period_kind"], row["period_kind"])}


def q() -> Q:
    """The households in their policy period today, as a Q over registry.Household."""
    return Q(pk__in=queries.in_period(Household.objects.all(), clock.today()).values("pk"))


def register() -> None:
    """Register the hold with the assistance app (when it is installed)."""
    from django.apps import apps

    if not apps.is_installed("fupin.assistance"):
        return
    from fupin.assistance import holds

    holds.register(NAME, check=check, q=q, label=gettext_lazy("in its policy period after exit"))
