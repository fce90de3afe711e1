"""The early-warning rules (data/warning_rules.json) run over every household of an area:
one INSERT … SELECT per rule into the worklist (WarningHit), the same SQL on SQLite and
PostgreSQL. The monitoring line of the year is resolved once (the most specific area
wins) into RunLine and joined by prefix."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import DecimalField, Exists, ExpressionWrapper, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Greatest, Substr
from django.utils.translation import gettext as _

from fupin.core.actor import Actor
from fupin.identification import queries as id_queries
from fupin.identification import rules as id_rules
from fupin.jobs.actions import NoProgress
from fupin.registry.models import Household, Income

from . import rules
from .models import DepartmentWarning, MonitoredHousehold, RunLine, WarningHit, WarningRun
from .queries import _prefix_q

MONEY = DecimalField(max_digits=14, decimal_places=2)


def _money(value) -> Value:
    return Value(Decimal(str(value)), output_field=MONEY)


def resolve_lines(run: WarningRun) -> dict[str, str]:
    """The monitoring lines of the run's year that apply inside its area (above it or in it)."""
    prefix = run.area_code
    book = id_queries.line_book(prefix, range(run.year, run.year + 1))
    rows = []
    for e in book.entries(run.year):
        if e["kind"] != "monitoring":
            continue
        if not (e["area_prefix"].startswith(prefix) or prefix.startswith(e["area_prefix"])):
            continue
        value = book.value(e)[0]
        if value is not None:
            rows.append(RunLine(run=run, area_prefix=e["area_prefix"], plen=len(e["area_prefix"]), value=value))
    RunLine.objects.bulk_create(rows)
    return {r.area_prefix: str(r.value) for r in rows}


def _households(run: WarningRun, statuses):
    """The households a run looks at: in the area, of the statuses the rules name, and not
    already monitored or being identified."""
    open_episode = MonitoredHousehold.objects.filter(household=OuterRef("pk"),
                                                     state__in=MonitoredHousehold.OPEN_STATES)
    return Household.objects.filter(_prefix_q(run.area_code), status__in=statuses).exclude(Exists(open_episode))


def _income(run: WarningRun, statuses, year: int):
    hh = _households(run, statuses).values("pk")
    return Income.objects.filter(_prefix_q(run.area_code), year=year, household_id__in=hh)


def _line_for(run: WarningRun):
    return Subquery(RunLine.objects.filter(run=run, area_prefix=Substr(OuterRef("area_code"), 1, F("plen")))
                    .order_by("-plen").values("value")[:1], output_field=MONEY)


def _income_below_line(run, rule, statuses):
    return (_income(run, statuses, run.year).annotate(line=_line_for(run))
            .filter(line__isnull=False, per_capita__lt=F("line"))
            .values(hh=F("household_id"), area=F("area_code"), v=F("per_capita"), t=F("line")))


def _income_drop(run, rule, statuses):
    percent = Decimal(str(rule["params"]["percent"]))
    prev = Income.objects.filter(household_id=OuterRef("household_id"), year=run.year - 1).values("per_capita")[:1]
    factor = _money((Decimal(100) - percent) / Decimal(100))
    return (_income(run, statuses, run.year).annotate(prev=Subquery(prev, output_field=MONEY))
            .annotate(limit=ExpressionWrapper(F("prev") * factor, output_field=MONEY))
            .filter(prev__gt=0, per_capita__lte=F("limit"))
            .values(hh=F("household_id"), area=F("area_code"), v=F("per_capita"), t=F("limit")))


def _since(run) -> dt.date:
    return dt.date(run.year, 1, 1)


def _until(run) -> dt.date:
    return dt.date(run.year, 12, 31)


def _in_period(run):
    """The warnings dated in the run's income year (1 January to 31 December)."""
    return {"date__gte": _since(run), "date__lte": _until(run)}


def _rigid_spending(run, rule, statuses):
    p = rule["params"]
    bills = (DepartmentWarning.objects.filter(household_id=OuterRef("pk"), kind__in=p["warning_kinds"],
                                              **_in_period(run))
             .order_by().values("household_id").annotate(s=Sum("amount")).values("s")[:1])
    net = Income.objects.filter(household_id=OuterRef("pk"), year=run.year).values("net_income")[:1]
    ratio, floor = _money(p["ratio"]), _money(p["min_amount"])
    return (_households(run, statuses)
            .annotate(spent=Subquery(bills, output_field=MONEY),
                      net=Coalesce(Subquery(net, output_field=MONEY), _money(0)))
            .annotate(limit=Greatest(ExpressionWrapper(F("net") * ratio, output_field=MONEY), floor))
            .filter(spent__gt=F("limit"))
            .values(hh=F("pk"), area=F("area_code"), v=F("spent"), t=F("limit")))


def _department_warning(run, rule, statuses):
    warnings = DepartmentWarning.objects.filter(household_id=OuterRef("pk"), kind__in=rule["params"]["warning_kinds"],
                                                **_in_period(run))
    largest = warnings.order_by("-amount").values("amount")[:1]
    return (_households(run, statuses)
            .filter(Exists(warnings))
            .annotate(a=Subquery(largest, output_field=MONEY))
            .values(hh=F("pk"), area=F("area_code"), v=F("a"), t=Cast(Value(None), output_field=MONEY)))


KINDS = {"income_below_line": _income_below_line, "income_drop": _income_drop, "rigid_spending": _rigid_spending,
         "department_warning": _department_warning}


def _insert(run: WarningRun, code: str, qs) -> int:
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:
        return 0
    qn = connection.ops.quote_name
    table = qn(WarningHit._meta.db_table)
    cols = ", ".join(qn(c) for c in ("run_id", "household_id", "area_code", "rule", "value", "threshold", "state",
                                     "reason"))
    statement = (f"INSERT INTO {table} ({cols}) "  # noqa: S608 (names from the model; values are parameters)
                 f"SELECT %s, q.hh, q.area, %s, q.v, q.t, %s, %s FROM ({sql}) q")
    with connection.cursor() as cursor:
        cursor.execute(statement, [run.pk, code, WarningHit.OPEN, "", *params])
        return max(cursor.rowcount, 0)


@transaction.atomic
def execute(run: WarningRun, progress=None) -> WarningRun:
    """Run every rule of the data file over the run's area: earlier open hits of the area
    are superseded, then one INSERT … SELECT per rule over the households of the statuses
    the data names for it (rules.rule_statuses: the rule's own, else the file's)."""
    progress = progress or NoProgress()
    data = rules.warning_data()
    rules.check_warning_rules()  # every rule's statuses come from the data file (refused when missing)
    run.rules = data["rules"]
    run.lines = resolve_lines(run)
    if not run.lines:
        progress.log(_("No monitoring line for %(year)s in this area: the income rule checks nothing.")
                     % {"year": run.year})
    WarningHit.objects.filter(_prefix_q(run.area_code), state=WarningHit.OPEN).exclude(run=run).update(
        state=WarningHit.SUPERSEDED)
    total = 0
    progress.set_total(len(data["rules"]))
    for n, rule in enumerate(data["rules"], start=1):
        builder = KINDS.get(rule["kind"])
        if builder is None:
            raise ValueError(f"warning rule {rule['code']}: unknown kind {rule['kind']!r}")
        count = _insert(run, rule["code"], builder(run, rule, rules.rule_statuses(rule)))
        total += count
        progress.log(_("%(rule)s: %(n)s") % {"rule": rules.warning_rule_label(rule["code"]), "n": count})
        progress.update(n, message=_("%(rule)s: %(n)s households") % {"rule": rules.warning_rule_label(rule["code"]),
                                                                      "n": count})
    run.hit_count = total
    run.save(update_fields=["rules", "lines", "hit_count"])
    return run


def run_rules(actor: Actor, area_code: str, year: int, *, job=None, progress=None) -> WarningRun:
    """A run over the area with this code (a full code or a prefix); the caller checked permission."""
    prefix = id_rules.prefix_of_code(area_code)
    rules.check_warning_rules()  # refused before a run is recorded
    run = WarningRun.objects.create(area_code=prefix, year=year, job=job, created_by=actor.user)
    return execute(run, progress)
