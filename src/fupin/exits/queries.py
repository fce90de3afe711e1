"""Scoped reads of exits, set-based on both databases:

- ``check``: the exit criteria over a queryset of households, item by item, as
  annotations (subqueries for the income ledger and the line that applies, member
  counts for school and insurance, CASE over the criteria of the areas involved);
  ``checked_households`` filters on them; ``explain`` turns a page of rows into sentences;
  ``guarantee_checks`` gives the items other than income (monitoring's risk clearance).
- ``default_year``: the exit year the area's check opens on (the latest with incomes).
- ``in_period``: households in their policy period after exit on a date, with
  ``observation_until`` computed in SQL from the policy periods (data) — the one
  definition; ``in_observation`` is it over the user's scope, and the assistance hold
  (exits/holds.py) is it over any household.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractYear, Substr
from django.utils.translation import gettext as _

from fupin.accounts.scoping import Scope, scope_for
from fupin.core.errors import NotFound
from fupin.core.present import join
from fupin.identification import queries as identification_queries
from fupin.identification import rules as identification_rules
from fupin.identification.models import Line
from fupin.identification.rules import LINE_KINDS
from fupin.registry import codes
from fupin.registry.models import Household, Income, Member, StatusChange

from . import rules
from .models import ExitCriteria, PolicyPeriod, ReturnCase

VIEW = "registry.view"
CHECK_STATUSES = ("registered", "returned")
MONEY = DecimalField(max_digits=12, decimal_places=2)


# --- criteria (data visible where it applies) ----------------------------------------------

# Rows (``area_prefix``) above or inside one of the scope's areas (exits and delisting):
# identification's rule for its lines and rule sets.
applies_q = identification_queries.applies_q


def criteria_sets(user, perm: str = VIEW):
    """Exit criteria of the user's areas, of every area above them and below them."""
    return ExitCriteria.objects.filter(applies_q(scope_for(user, perm)))


def criteria_set(user, pk) -> ExitCriteria:
    try:
        return criteria_sets(user).get(pk=pk)
    except (ExitCriteria.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def periods(user, perm: str = VIEW):
    return PolicyPeriod.objects.filter(applies_q(scope_for(user, perm)))


def period(user, pk) -> PolicyPeriod:
    try:
        return periods(user).get(pk=pk)
    except (PolicyPeriod.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def parts(area_prefix: str, year: int) -> list[ExitCriteria]:
    """The criteria governing ``area_prefix`` in ``year``, most specific first."""
    by_id = {c.pk: c for c in ExitCriteria.objects.all()}
    rows = [c.as_row() for c in by_id.values()]
    return [by_id[r["id"]] for r in rules.applicable(rows, area_prefix, year)]


# --- the check, set-based ---------------------------------------------------------------------

def _by_part(sets: list[ExitCriteria], make, default, output_field):
    """One expression per criteria set, chosen by the household's area (most specific first)."""
    whens, fallback = [], default
    for c in sets:
        expr = make(c)
        if c.area_prefix == "":
            fallback = expr
        else:
            whens.append(When(Scope([c.area_prefix]).q(), then=expr))
    if not whens:
        return fallback
    return Case(*whens, default=fallback, output_field=output_field)


def _line_kind(c: ExitCriteria):
    item = c.item("income")
    line = (item or {}).get("params", {}).get("line", "standard")
    if line != "standard":
        return Value(line)
    return Case(*[When(standard=code, then=Value(kind)) for code, kind in rules.STANDARD_KIND.items()],
                default=Value("national"), output_field=CharField())


def _line_value(year: int):
    """The yearly value of the most specific line of the household's kind (``x_line_kind``)
    for ``year`` whose area contains the household's village."""
    subs = []
    for n in reversed(rules.PREFIX_LENGTHS):
        prefix = Value("") if n == 0 else Substr(OuterRef("area_code"), 1, n)
        subs.append(Subquery(Line.objects.filter(kind=OuterRef("x_line_kind"), year=year, area_prefix=prefix,
                                                 annual_value__isnull=False).values("annual_value")[:1],
                             output_field=MONEY))
    return Coalesce(*subs, output_field=MONEY)


def _count(filters: dict):
    sub = (Member.objects.filter(household=OuterRef("pk"), active=True, **filters).order_by()
           .values("household").annotate(n=Count("pk")).values("n")[:1])
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def _school_filters(c: ExitCriteria, year: int) -> dict | None:
    item = c.item("school")
    if not item:
        return None
    p = item["params"]
    after, on_or_before = rules.birth_bounds(year, p["min_age"], p["max_age"], p.get("on", "09-01"))
    return {"school_status__in": p["statuses"], "birth_date__gt": after, "birth_date__lte": on_or_before}


def _years(sets: list[ExitCriteria], year: int) -> list[int]:
    years: set[int] = set()
    for c in sets:
        item = c.item("income")
        if item:
            years.update(rules.income_years(item["params"], year))
    return sorted(years, reverse=True)


def check(qs, area_prefix: str, year: int, sets: list[ExitCriteria] | None = None):
    """``qs`` (households under ``area_prefix``) annotated with the exit check of ``year``:
    ``x_pc_<y>`` / ``x_line_<y>`` (per-capita income and line of each income year),
    ``x_out_of_school``, ``x_uninsured`` and ``ok_income``, ``ok_housing``, ``ok_school``,
    ``ok_medical_insurance``, ``ok_water``, ``ok_all`` and ``x_criteria`` (the set's id)."""
    sets = parts(area_prefix, year) if sets is None else sets
    boolean = BooleanField()
    true, false = Value(True, output_field=boolean), Value(False, output_field=boolean)

    def ok_when(fail_q: Q):
        return Case(When(fail_q, then=false), default=true, output_field=boolean)

    ann = {"x_criteria": _by_part(sets, lambda c: Value(c.pk), Value(None, output_field=IntegerField()),
                                  IntegerField()),
           "x_line_kind": _by_part(sets, _line_kind, Value("national"), CharField())}
    qs = qs.annotate(**ann)
    years = _years(sets, year)
    ann = {}
    for y in years:
        ann[f"x_pc_{y}"] = Subquery(Income.objects.filter(household=OuterRef("pk"), year=y).values("per_capita")[:1],
                                    output_field=MONEY)
        ann[f"x_line_{y}"] = _line_value(y)
    qs = qs.annotate(**ann)

    def income_ok(c):
        item = c.item("income")
        if not item:
            return true
        op = "gte" if item["params"].get("inclusive") else "gt"
        cond = Q()
        for y in rules.income_years(item["params"], year):
            cond &= Q(**{f"x_pc_{y}__{op}": F(f"x_line_{y}")})
        return Case(When(cond, then=true), default=false, output_field=boolean)

    def housing_ok(c):
        item = c.item("housing")
        if not item:
            return true
        fail = Q(danger_grade__in=item["params"]["grades"])
        if identification_rules.renovated_passes(item["params"]):  # renovated by the exit year (one reading)
            fail &= Q(renovated_year__isnull=True) | Q(renovated_year__gt=year)
        return ok_when(fail)

    def out_of_school(c):
        filters = _school_filters(c, year)
        return _count(filters) if filters else Value(0)

    def uninsured(c):
        return _count({"medical_insurance": False}) if c.item("medical_insurance") else Value(0)

    def water_ok(c):
        return ok_when(Q(water_safe=False)) if c.item("water") else true

    qs = qs.annotate(
        ok_income=_by_part(sets, income_ok, false, boolean),
        ok_housing=_by_part(sets, housing_ok, false, boolean),
        x_out_of_school=_by_part(sets, out_of_school, Value(0), IntegerField()),
        x_uninsured=_by_part(sets, uninsured, Value(0), IntegerField()),
        ok_water=_by_part(sets, water_ok, false, boolean),
    )
    qs = qs.annotate(
        ok_school=Case(When(x_out_of_school__gt=0, then=false), default=_by_part(sets, lambda c: true, false, boolean),
                       output_field=boolean),
        ok_medical_insurance=Case(When(x_uninsured__gt=0, then=false),
                                  default=_by_part(sets, lambda c: true, false, boolean), output_field=boolean),
    )
    return qs.annotate(ok_all=Case(
        When(Q(ok_income=True, ok_housing=True, ok_school=True, ok_medical_insurance=True, ok_water=True),
             then=true), default=false, output_field=boolean))


def checked_households(user, area_prefix: str, year: int, *, statuses=CHECK_STATUSES, result: str = "",
                       q: str = ""):
    """The households of the area (in the user's scope, in ``statuses``) with their check;
    ``result`` "pass" keeps those passing every item, "fail" those failing one."""
    from fupin.registry.queries import search_households

    scope = scope_for(user, VIEW).narrow(area_prefix)
    qs = search_households(scope, q) if q else scope.filter(Household.objects.all())
    qs = check(qs.filter(status__in=list(statuses)), area_prefix, year)
    if result == "pass":
        qs = qs.filter(ok_all=True)
    elif result == "fail":
        qs = qs.filter(ok_all=False)
    return qs.select_related("village", "group").order_by("area_code", "number")


def default_year(user, area_prefix: str) -> tuple[int, bool]:
    """The exit year the check opens on when none is asked for: the latest year, up to this
    one, with incomes recorded in the area (this year's are usually not entered yet, so
    every household would fail on 'no income recorded'), or last year when the area has
    none. One aggregate over the income rows of the area in the user's scope: a range of
    the (area_code, year) index, read without the table, lighter than the page's own count
    of the area's households. Returns (year, whether incomes were found)."""
    from fupin.core import clock

    this_year = clock.today().year
    scope = scope_for(user, VIEW).narrow(area_prefix)
    latest = scope.filter(Income.objects.filter(year__lte=this_year)).aggregate(latest=Max("year"))["latest"]
    return (latest, True) if latest else (this_year - 1, False)


def explain(rows, year: int) -> None:
    """Attach ``checks`` (a list of {code, label, enabled, ok, text}) to each checked row."""
    sets = {c.pk: c for c in ExitCriteria.objects.filter(pk__in={r.x_criteria for r in rows} - {None})}
    school_names = _school_names(rows, sets, year)
    for r in rows:
        c = sets.get(r.x_criteria)
        r.checks = []
        for code in rules.ITEMS:
            item = c.item(code) if c else None
            entry = {"code": code, "label": rules.item_label(code), "enabled": bool(item),
                     "ok": bool(getattr(r, f"ok_{code}")), "text": "", "source": (item or {}).get("source", "")}
            if c is None:
                entry["text"] = str(_("No exit criteria apply to this area and year."))
            elif not item:
                entry["text"] = str(_("Not part of the criteria here."))
            elif code == "income":
                incomes = [(y, getattr(r, f"x_pc_{y}", None), getattr(r, f"x_line_{y}", None))
                           for y in rules.income_years(item["params"], year)]
                kind = getattr(r, "x_line_kind", "")
                _ok, entry["text"] = rules.income_text(incomes, item["params"].get("inclusive", False),
                                                       str(LINE_KINDS.get(kind, kind)))
            elif code == "housing":
                if r.danger_grade in item["params"]["grades"]:
                    if not r.renovated_year:
                        entry["text"] = _("dangerous-house grade %(g)s, not renovated") % {"g": r.danger_grade}
                    elif r.renovated_year > year:
                        entry["text"] = _("dangerous-house grade %(g)s, renovated only in %(y)s") % {
                            "g": r.danger_grade, "y": r.renovated_year}
                    else:
                        entry["text"] = _("dangerous-house grade %(g)s, renovated in %(y)s") % {
                            "g": r.danger_grade, "y": r.renovated_year}
                else:
                    entry["text"] = (_("dangerous-house grade %(g)s") % {"g": r.danger_grade} if r.danger_grade
                                     else _("no dangerous-house grade recorded"))
            elif code == "school":
                names = school_names.get(r.pk, [])
                entry["text"] = (_("out of school: %(names)s") % {"names": join(names) or r.x_out_of_school}
                                 if r.x_out_of_school else _("no child of compulsory-school age out of school"))
            elif code == "medical_insurance":
                entry["text"] = (_("%(n)s member(s) without basic medical insurance") % {"n": r.x_uninsured}
                                 if r.x_uninsured else _("every member insured"))
            elif code == "water":
                entry["text"] = _("safe drinking water") if r.water_safe else _("no safe drinking water")
            r.checks.append(entry)
        r.failed = [e for e in r.checks if e["enabled"] and not e["ok"]]


def _school_names(rows, sets, year) -> dict[int, list[str]]:
    """The names of the children out of school (five a household at most) of the rows that
    have any: one query for the whole page, whatever its size."""
    q = Q()
    for c in sets.values():
        ids = [r.pk for r in rows if r.x_criteria == c.pk and r.x_out_of_school]
        filters = _school_filters(c, year)
        if ids and filters:
            q |= Q(household_id__in=ids, **filters)
    if not q:
        return {}
    out: dict[int, list[str]] = {}
    for hid, name in Member.objects.filter(q, active=True).order_by("household_id", "pk").values_list(
            "household_id", "name"):
        names = out.setdefault(hid, [])
        if len(names) < 5:
            names.append(name)
    return out


def failing(household_ids, area_prefix: str, year: int) -> dict[int, str]:
    """{household id: the failed items in words} for the households that fail (the
    engine's start check)."""
    rows = list(check(Household.objects.filter(pk__in=list(household_ids)), area_prefix, year)
                .filter(ok_all=False))
    explain(rows, year)
    return {r.pk: join((_("%(label)s: %(value)s") % {"label": e["label"], "value": e["text"]} for e in r.failed),
                       clauses=True)
            or str(_("no exit criteria apply")) for r in rows}


def guarantee_checks(household_ids, area_prefix: str, year: int) -> dict[int, list[dict]]:
    """{household id: its entries (as ``explain``) for the items other than income (safe
    housing, school, medical insurance, water: 两不愁三保障 and safe water)} by the criteria
    that apply to each household's area in ``year``. The one definition of these items:
    monitoring's risk clearance asks here. A fixed number of queries for any number of
    households (``area_prefix`` contains them all; "" for anywhere)."""
    rows = list(check(Household.objects.filter(pk__in=list(household_ids)), area_prefix, year))
    explain(rows, year)
    return {r.pk: [e for e in r.checks if e["code"] in rules.GUARANTEE_ITEMS] for r in rows}


def household_check(household: Household, year: int):
    """One household's check (for its page)."""
    row = check(Household.objects.filter(pk=household.pk), household.area_code[:12], year).get()
    explain([row], year)
    return row


# --- observation / policy period -----------------------------------------------------------------

class PeriodEnd(Func):
    """The day before the ``years``-th anniversary of a date (29 Feb → 1 Mar in a common
    year, so its period ends on 28 Feb), on SQLite and PostgreSQL alike."""

    output_field = DateField()

    def __init__(self, expression, years: int):
        super().__init__(expression)
        self.years = int(years)

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, '+{self.years} years', '-1 day')", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        later = f"(({sql}) + interval '{self.years} years')::date"
        return (f"({later} + CASE WHEN EXTRACT(DAY FROM ({sql})) <> EXTRACT(DAY FROM {later}) THEN 1 ELSE 0 END - 1)",
                [*params, *params, *params])


def with_period(qs, on: dt.date):
    """Annotate households with ``exit_date`` (their last exit on or before ``on``),
    ``status_on`` (their status that day), ``observation_until`` and ``period_kind``."""
    changes = StatusChange.objects.filter(household=OuterRef("pk"), date__lte=on).order_by("-date", "-id")
    qs = qs.annotate(
        exit_date=Subquery(changes.filter(status="exited_policy").values("date")[:1], output_field=DateField()),
        status_on=Subquery(changes.values("status")[:1], output_field=CharField()),
    ).annotate(exit_year_on=ExtractYear("exit_date"))
    whens_until, whens_kind = [], []
    for p in PolicyPeriod.objects.order_by("-from_year"):
        cond = Q(exit_year_on__gte=p.from_year)
        if p.to_year is not None:
            cond &= Q(exit_year_on__lte=p.to_year)
        if p.area_prefix:
            cond &= Scope([p.area_prefix]).q()
        until = Value(p.until, output_field=DateField()) if p.until else PeriodEnd(F("exit_date"), p.years)
        whens_until.append((len(p.area_prefix), When(cond, then=until)))
        whens_kind.append((len(p.area_prefix), When(cond, then=Value(p.kind))))
    whens_until.sort(key=lambda w: -w[0])
    whens_kind.sort(key=lambda w: -w[0])
    if whens_until:
        until_expr = Case(*[w for _n, w in whens_until], default=Value(None, output_field=DateField()),
                          output_field=DateField())
        kind_expr = Case(*[w for _n, w in whens_kind], default=Value(""), output_field=CharField())
    else:
        until_expr, kind_expr = Value(None, output_field=DateField()), Value("")
    return qs.annotate(observation_until=until_expr, period_kind=kind_expr)


def _exited_by(on: dt.date):
    return Exists(StatusChange.objects.filter(household=OuterRef("pk"), status="exited_policy", date__lte=on))


def in_period(qs, on: dt.date):
    """The households of ``qs`` in their post-exit policy (observation) period on ``on``:
    their status that day ``exited_policy`` (exited on or before it), and the period's last
    day not before it — annotated with ``observation_until`` (date), ``exit_date`` and
    ``period_kind``. The one definition of "inside the period": ``in_observation`` (a
    user's lists) and the assistance hold (exits.holds) both ask here. Set-based; no scope
    of its own (``qs`` is already what the caller may see)."""
    from fupin.core import clock

    # Today or later only a household still exited_policy can be in its period; on an earlier
    # day one closed (exited), returned or removed since may have been (status_on decides).
    qs = qs.filter(status="exited_policy") if on >= clock.today() else \
        qs.filter(status__in=[*codes.EXITED_STATUSES, "returned", "removed"])
    qs = with_period(qs.filter(_exited_by(on)), on)
    return qs.filter(status_on="exited_policy", observation_until__gte=on)


def in_observation(user, area_prefix: str, on: dt.date, perm: str = VIEW):
    """Households of the user's scope (``perm``: ``registry.view``; ``registry.export`` for
    an export) under ``area_prefix`` in their post-exit observation/policy period on ``on``
    (``in_period``)."""
    scope = scope_for(user, perm).narrow(area_prefix)
    return in_period(scope.filter(Household.objects.all()), on)


def period_ended(scope: Scope, on: dt.date):
    """Households still ``exited_policy`` whose period ended before ``on`` (to be closed)."""
    qs = with_period(scope.filter(Household.objects.filter(status="exited_policy")).filter(_exited_by(on)), on)
    return qs.filter(observation_until__lt=on)


# --- return cases ---------------------------------------------------------------------------------

def return_cases(user, perm: str = VIEW, area_prefix: str = ""):
    """Return cases of the user's scope (``perm``), under ``area_prefix`` when given."""
    scope = scope_for(user, perm).narrow(area_prefix or None)
    return scope.filter(ReturnCase.objects.select_related("household", "batch", "created_by"))


def return_case(user, pk) -> ReturnCase:
    return scope_for(user, VIEW).get(ReturnCase.objects.select_related("household", "batch"), pk=pk)


def household(user, pk, perm: str = VIEW) -> Household:
    return scope_for(user, perm).get(Household.objects.select_related("village", "group"), pk=pk)

