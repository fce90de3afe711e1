"""Scoped reads of monitoring data. Every read goes through ``scope_for(user, perm)``;
lists and counts are set-based (annotations, subqueries, one GROUP BY)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Exists, OuterRef, Q, Subquery

from fupin.accounts.scoping import Scope, scope_for
from fupin.areas import queries as area_queries
from fupin.core.errors import NotFound
from fupin.exits import queries as exits_queries
from fupin.identification import queries as id_queries
from fupin.identification.rules import PREFIX_LENGTHS
from fupin.procedures.models import BatchMember
from fupin.registry.models import Household, Income, Member

from . import rules
from .models import (
    Application,
    DepartmentWarning,
    MonitoredHousehold,
    Risk,
    WarningHit,
    WarningImport,
    WarningRun,
)

VIEW = "registry.view"


def _prefix_q(prefix: str, field: str = "area_code") -> Q:
    """The rows under ``prefix`` (all rows for the country): the range of Scope.q."""
    return Scope([prefix]).q(field) if prefix else Q()


# --- the contract with dynamics -------------------------------------------------------------

def year_counts(prefix: str, year: int) -> dict:
    """Monitored households of the area under ``prefix`` in ``year`` (one aggregate query):

    - ``monitored_start``: monitored at the start of 1 January (since before that day, not
      cleared before it);
    - ``newly_monitored``: identified as monitored in the year (``since`` in the year);
    - ``risk_cleared``: risk cleared in the year;
    - ``monitored_end``: monitored at the end of 31 December.

    So ``monitored_start + newly_monitored − risk_cleared == monitored_end``. Households
    never identified (still being identified, or rejected) are not counted."""
    jan1, dec31 = dt.date(year, 1, 1), dt.date(year, 12, 31)
    qs = MonitoredHousehold.objects.filter(_prefix_q(prefix), since__isnull=False, since__lte=dec31)
    open_at_jan1 = Q(cleared_on__isnull=True) | Q(cleared_on__gte=jan1)
    open_at_dec31 = Q(cleared_on__isnull=True) | Q(cleared_on__gt=dec31)
    row = qs.aggregate(
        monitored_start=Count("id", filter=Q(since__lt=jan1) & open_at_jan1),
        newly_monitored=Count("id", filter=Q(since__gte=jan1)),
        risk_cleared=Count("id", filter=Q(cleared_on__gte=jan1, cleared_on__lte=dec31)),
        monitored_end=Count("id", filter=open_at_dec31),
    )
    return {key: int(row[key] or 0) for key in ("monitored_start", "newly_monitored", "risk_cleared",
                                                 "monitored_end")}


def at_risk(user, area_prefix: str):
    """Registry households currently monitored (risk not cleared) in the user's scope
    (registry.view) under ``area_prefix``."""
    sc = scope_for(user, VIEW).narrow(area_prefix or None)
    monitored = MonitoredHousehold.objects.filter(household=OuterRef("pk"), state=MonitoredHousehold.MONITORED)
    return sc.filter(Household.objects.filter(Exists(monitored)))


# --- monitored households -----------------------------------------------------------------

def scope(user, perm: str = VIEW) -> Scope:
    return scope_for(user, perm)


def records(user, perm: str = VIEW):
    return scope(user, perm).filter(MonitoredHousehold.objects.all())


def with_procedure(qs):
    """Annotate each episode with the state of its household in the episode's current
    procedure (identification, or clearance once that started)."""
    member = BatchMember.objects.filter(household=OuterRef("household_id"))
    ident = member.filter(batch=OuterRef("identify_batch_id"))
    clear = member.filter(batch=OuterRef("clear_batch_id"))
    return qs.annotate(ident_state=Subquery(ident.values("state")[:1]),
                       ident_reason=Subquery(ident.values("reason")[:1]),
                       clear_state=Subquery(clear.values("state")[:1]))


def record_list(user, *, prefix: str = "", state: str = "", kind: str = "", risk: str = "",
                helped_first: str = ""):
    qs = records(user).filter(_prefix_q(prefix))
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if risk:
        qs = qs.filter(Q(risks__code=risk) | Q(risks__code__startswith=risk + ".")).distinct()
    if helped_first in ("1", "yes", "true"):
        qs = qs.filter(helped_first=True)
    return with_procedure(qs.select_related("household", "identify_batch", "clear_batch")
                          .prefetch_related("risks"))


def record(user, pk, perm: str = VIEW) -> MonitoredHousehold:
    try:
        return with_procedure(records(user, perm).select_related("household", "identify_batch", "clear_batch")
                              ).get(pk=pk)
    except (MonitoredHousehold.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def state_counts(user, prefix: str = "") -> dict:
    rows = records(user).filter(_prefix_q(prefix)).values("state").annotate(n=Count("id")).order_by()
    return {r["state"]: r["n"] for r in rows}


# --- risk clearance ----------------------------------------------------------------------------

def _common_prefix(codes: list[str]) -> str:
    """The longest area prefix (2, 4, 6, 9 or 12 digits, or '') containing every code."""
    return next(codes[0][:n] for n in reversed(PREFIX_LENGTHS) if len({c[:n] for c in codes}) == 1)


def clearance(records, on: dt.date) -> dict[int, list[rules.Item]]:
    """{record id: the risk-clearance criteria item by item} of monitored ``records``
    (their ``household`` loaded) on the day ``on``, in a fixed number of queries whatever
    their number: incomes, monitoring lines, members, open risks, and the exit criteria's
    items other than income (两不愁三保障 and safe water) from the exits app's own check
    (fupin.exits.queries.guarantee_checks, the criteria of the household's area in the year
    of ``on``) — one definition and one set of parameters."""
    records = list(records)
    if not records:
        return {}
    data = rules.clearance_data()
    hids = [r.household_id for r in records]
    last = on.year - 1
    years = range(last - rules.stable_years() + 1, last + 1)
    prefix = _common_prefix([r.household.area_code[:12] for r in records])
    incomes: dict[int, dict] = defaultdict(dict)
    for hid, year, per_capita in Income.objects.filter(household_id__in=hids, year__in=list(years)).values_list(
            "household_id", "year", "per_capita"):
        incomes[hid][year] = per_capita
    book = id_queries.line_book(prefix, years)
    members: dict[int, list[dict]] = defaultdict(list)
    for m in Member.objects.filter(household_id__in=hids, active=True).values("household_id", "labour", "dibao",
                                                                                  "tekun"):
        members[m["household_id"]].append(m)
    open_risks: dict[int, list[str]] = defaultdict(list)
    for rid, code in (Risk.objects.filter(record_id__in=[r.pk for r in records], resolved_on__isnull=True)
                      .order_by("pk").values_list("record_id", "code")):
        open_risks[rid].append(code)
    checks = exits_queries.guarantee_checks(hids, prefix, on.year)
    no_labour, categories = data["no_labour_codes"], data["protection_categories"]
    out = {}
    for r in records:
        h, ms = r.household, members[r.household_id]
        lines = {}
        for y in years:
            e = book.find("monitoring", y, h.area_code[:12])
            lines[y] = book.value(e)[0] if e else None
        without_labour = bool(ms) and not any(m["labour"] and m["labour"] not in no_labour for m in ms)
        protection = (r.social_protection or h.category in categories or any(m["dibao"] or m["tekun"] for m in ms))
        out[r.pk] = rules.evaluate_clearance(
            incomes=incomes[r.household_id], lines=lines, last_year=last, exit_items=checks.get(r.household_id, []),
            open_risks=open_risks[r.pk], without_labour=without_labour, social_protection=protection)
    return out


# --- area names ------------------------------------------------------------------------------

def place_names(codes) -> dict[str, str]:
    """{code: the name people read} for area codes shown on a page (full codes or
    prefixes): a village or a village group by its path, "龙下乡 石桥村 第1村民小组"; a
    code no longer current keeps the name it last had; "" is the whole country; a code
    of no known area is its own label (areas.queries.names: one query for a page)."""
    codes = set(codes)
    found = area_queries.names(codes, path=True)
    return {c: found.get(c, c) for c in codes}


# --- applications, warnings ---------------------------------------------------------------

def applications(user, perm: str = "monitoring.edit"):
    return scope(user, perm).filter(Application.objects.all())


def application(user, pk, perm: str = "monitoring.edit") -> Application:
    return scope(user, perm).get(Application.objects.all(), pk=pk)


def member_household(actor, id_number: str, perm: str = VIEW) -> Household | None:
    """The household of the active member with this ID number, if it is in the actor's area
    for ``perm`` (everywhere for the system actor); None otherwise."""
    sc = Scope([""]) if actor.is_system else scope(actor.user, perm)
    m = sc.filter(Member.objects.filter(id_number=id_number, active=True)).select_related(
        "household__village").first()
    return m.household if m else None


def hits(user, perm: str = VIEW):
    return scope(user, perm).filter(WarningHit.objects.all())


def hit(user, pk, perm: str = "monitoring.edit") -> WarningHit:
    return scope(user, perm).get(WarningHit.objects.select_related("household", "run"), pk=pk)


def worklist(user, *, prefix: str = "", rule: str = "", state: str = WarningHit.OPEN):
    qs = hits(user).filter(_prefix_q(prefix)).select_related("household", "run")
    if state:
        qs = qs.filter(state=state)
    if rule:
        qs = qs.filter(rule=rule)
    return qs.order_by("area_code", "household_id", "rule")


def runs(user, perm: str = VIEW):
    return scope(user, perm).filter(WarningRun.objects.all())


def imports(user, perm: str = "monitoring.warn"):
    return scope(user, perm).filter(WarningImport.objects.all())


def department_warnings(user, perm: str = VIEW):
    return scope(user, perm).filter(DepartmentWarning.objects.all())
