"""Every write to identification data: lines, rule sets and criteria, facts, and the
start of a rule run. Each checks permission at the record's area, validates, writes
and records the audit event. The set-based run itself is in engine.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from fupin.accounts.scoping import require
from fupin.audit import actions as audit
from fupin.core import clock, dates
from fupin.core.actor import Actor
from fupin.core.errors import Invalid, NotFound, check_version
from fupin.registry import codes as registry_codes

from . import queries, rules
from .models import Criterion, CutoffDate, Line, MemberFact, RuleRun, RuleSet, padded

EDIT = "standards.edit"
RUN = "identification.run"
FACTS = "registry.edit"

LINE_FIELDS = ["kind", "area_prefix", "year", "name", "method", "value", "per", "annual_value", "formula", "source",
               "note", "is_example"]
RULESET_FIELDS = ["name", "area_prefix", "from_year", "to_year", "combine", "statuses", "source", "note",
                  "is_example"]
CUTOFF_FIELDS = ["area_prefix", "date", "source", "note"]
CRITERION_FIELDS = ["code", "group", "label", "enabled", "params", "source"]
FACT_FIELDS = ["household_id", "member_id", "kind", "value", "as_of", "relation", "person_name", "detail", "source",
               "status", "reason"]

MIN_YEAR, MAX_YEAR = 1978, 2100


def _check_prefix(prefix: str, field: str = "area_prefix") -> str:
    prefix = (prefix or "").strip()
    error = rules.check_prefix(prefix)
    if error:
        raise Invalid(error, field=field)
    return prefix


def _check_year(year, field: str = "year") -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise Invalid(_("The year is a whole number."), field=field) from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Invalid(_("The year must be between %(a)s and %(b)s.") % {"a": MIN_YEAR, "b": MAX_YEAR}, field=field)
    return year


# --- lines ------------------------------------------------------------------------

def _compute(line: Line) -> None:
    """Set a line's yearly value: the typed value (× 12 when monthly), or the formula
    evaluated over the lines it names."""
    if line.method == Line.DERIVED:
        book = queries.line_book(line.area_prefix, range(line.year - 10, line.year + 1))
        entry = {"kind": line.kind, "year": line.year, "area_prefix": line.area_prefix, "method": Line.DERIVED,
                 "formula": line.formula, "id": line.pk, "value": None}
        book._by_key[(line.kind, line.year, line.area_prefix)] = entry
        value, computation = book.value(entry)
        line.annual_value, line.computation = value, computation
        line.value = None
    else:
        line.annual_value = rules.annual(line.value, line.per)
        line.computation = None
        line.formula = None
    line.computed_at = clock.now()


@transaction.atomic
def save_line(actor: Actor, line: Line | None, *, version=None, **values) -> Line:
    """Create (``line`` None) or change a line. A derived line's value is computed;
    the derived lines that read this one are recomputed (and audited) too."""
    creating = line is None
    if creating:
        line = Line()
    else:
        line = Line.objects.select_for_update().get(pk=line.pk)
        check_version(line, version)
        require(actor, EDIT, line.area_code)
    before = None if creating else audit.snapshot(line, LINE_FIELDS)
    for key in ("kind", "area_prefix", "year", "name", "method", "value", "per", "formula", "source", "note",
                "is_example"):
        if key in values:
            setattr(line, key, values[key])
    line.area_prefix = _check_prefix(line.area_prefix)
    require(actor, EDIT, line.area_code)
    line.year = _check_year(line.year)
    if line.kind not in rules.LINE_KINDS:
        raise Invalid(_("Unknown kind of line."), field="kind")
    if line.method not in (Line.FIXED, Line.DERIVED):
        raise Invalid(_("A line is a typed value or a formula."), field="method")
    if line.per not in ("year", "month"):
        raise Invalid(_("A value is per year or per month."), field="per")
    if not (line.source or "").strip():
        raise Invalid(_("Name the source document of the line."), field="source")
    if line.method == Line.FIXED:
        if line.value in (None, ""):
            raise Invalid(_("A typed line needs its value."), field="value")
        try:
            line.value = Decimal(str(line.value))
        except ArithmeticError:
            raise Invalid(_("The value is not a number."), field="value") from None
        if line.value <= 0:
            raise Invalid(_("The value must be above zero."), field="value")
    else:
        try:
            line.formula = rules.check_formula(line.formula)
        except ValueError as exc:
            raise Invalid(str(exc), field="formula") from None
        if any(t["kind"] == line.kind and t["year_offset"] == 0 for t in line.formula["terms"]):
            raise Invalid(_("A formula cannot read the line itself."), field="formula")
    clash = Line.objects.filter(kind=line.kind, area_prefix=line.area_prefix, year=line.year).exclude(pk=line.pk)
    if clash.exists():
        raise Invalid(_("There is already a %(kind)s for %(year)s in this area.")
                      % {"kind": rules.LINE_KINDS[line.kind], "year": line.year}, field="kind")
    _compute(line)
    line.updated_by = actor.user
    if not creating:
        line.version += 1
    line.save()
    audit.record(actor, "identification.line.create" if creating else "identification.line.change", obj=line,
                 before=before, after=audit.snapshot(line, LINE_FIELDS))
    refresh_dependents(actor, line)
    return line


@transaction.atomic
def delete_line(actor: Actor, line: Line, *, version=None) -> None:
    line = Line.objects.select_for_update().get(pk=line.pk)
    require(actor, EDIT, line.area_code)
    check_version(line, version)
    before = audit.snapshot(line, LINE_FIELDS)
    audit.record(actor, "identification.line.delete", obj=line, before=before)
    line.delete()
    refresh_dependents(actor, Line(kind=before["kind"], area_prefix=before["area_prefix"], year=before["year"]))


def refresh_dependents(actor: Actor, changed: Line, _depth: int = 0) -> list[Line]:
    """Recompute the derived lines that may read ``changed`` (same area or inside it,
    a year up to ten later, a formula naming its kind). Each changed value is
    audited; the system acts, since the user changed an input, not these lines."""
    if _depth > rules.LineBook.MAX_DEPTH:
        return []
    candidates = Line.objects.filter(method=Line.DERIVED, year__gte=changed.year, year__lte=changed.year + 10,
                                     area_prefix__startswith=changed.area_prefix).exclude(pk=changed.pk)
    touched = []
    for line in candidates:
        kinds = {t.get("kind") for t in (line.formula or {}).get("terms", [])}
        if changed.kind not in kinds:
            continue
        old = line.annual_value
        _compute(line)
        Line.objects.filter(pk=line.pk).update(annual_value=line.annual_value, computation=line.computation,
                                               computed_at=line.computed_at)
        if old != line.annual_value:
            audit.record(actor, "identification.line.recompute", obj=line, before={"annual_value": old},
                         after={"annual_value": line.annual_value, "computation": line.computation},
                         note=_("recomputed because %(line)s changed") % {"line": changed})
            touched.append(line)
            touched += refresh_dependents(actor, line, _depth + 1)
    return touched


# --- rule sets and criteria -------------------------------------------------------

def _clean_ruleset(rs: RuleSet) -> None:
    rs.area_prefix = _check_prefix(rs.area_prefix)
    rs.from_year = _check_year(rs.from_year, "from_year")
    if rs.to_year not in (None, ""):
        rs.to_year = _check_year(rs.to_year, "to_year")
        if rs.to_year < rs.from_year:
            raise Invalid(_("The last year is before the first."), field="to_year")
    else:
        rs.to_year = None
    if rs.combine not in rules.COMBINE:
        raise Invalid(_("Choose when a household is eligible."), field="combine")
    known = set(registry_codes.codes("status"))
    if not rs.statuses or not set(rs.statuses) <= known:
        raise Invalid(_("Choose the household statuses to check."), field="statuses")
    if not (rs.name or "").strip():
        raise Invalid(_("Give the rule set a name."), field="name")
    if not (rs.source or "").strip():
        raise Invalid(_("Name the source document of the rule set."), field="source")
    if RuleSet.objects.filter(area_prefix=rs.area_prefix, from_year=rs.from_year).exclude(pk=rs.pk).exists():
        raise Invalid(_("This area already has a rule set from %(year)s.") % {"year": rs.from_year},
                      field="from_year")


# --- cut-off dates (识别时间节点) ------------------------------------------------------

def _parse_date(value, field: str) -> dt.date:
    """core.dates.parse_date, its reason replaced by this form's message."""
    try:
        return dates.parse_date(value)
    except ValueError:
        raise Invalid(_("Not a date (write it as YYYY-MM-DD)."), field=field) from None


@transaction.atomic
def save_cutoff(actor: Actor, cutoff: CutoffDate | None, *, area_prefix: str, date, source: str, note: str = "",
                version=None) -> CutoffDate:
    """Add or change an area's identification cut-off date (one per area). The rule
    run's vetoes read it at once; comparison hits are re-classified at their next
    matching."""
    area_prefix = _check_prefix(area_prefix)
    date = _parse_date(date, "date")
    if not (source or "").strip():
        raise Invalid(_("Name the source document."), field="source")
    require(actor, EDIT, padded(area_prefix))
    before = None
    if cutoff is None:
        if CutoffDate.objects.filter(area_prefix=area_prefix).exists():
            raise Invalid(_("This area has a cut-off date already; change that one."), field="area_prefix")
        cutoff = CutoffDate(area_prefix=area_prefix)
    else:
        cutoff = CutoffDate.objects.select_for_update().get(pk=cutoff.pk)
        require(actor, EDIT, cutoff.area_code)
        check_version(cutoff, version)
        before = audit.snapshot(cutoff, CUTOFF_FIELDS)
        if area_prefix != cutoff.area_prefix:
            raise Invalid(_("The area of a cut-off date cannot change; add one for the other area."),
                          field="area_prefix")
        cutoff.version += 1
    cutoff.date, cutoff.source, cutoff.note = date, source.strip()[:300], (note or "").strip()
    cutoff.updated_by = actor.user
    cutoff.save()
    audit.record(actor, "identification.cutoff." + ("update" if before else "create"), obj=cutoff,
                 area_code=cutoff.area_code, before=before, after=audit.snapshot(cutoff, CUTOFF_FIELDS))
    return cutoff


@transaction.atomic
def delete_cutoff(actor: Actor, cutoff: CutoffDate) -> None:
    require(actor, EDIT, cutoff.area_code)
    before = audit.snapshot(cutoff, CUTOFF_FIELDS)
    audit.record(actor, "identification.cutoff.delete", obj=cutoff, area_code=cutoff.area_code, before=before)
    cutoff.delete()


# --- rule sets --------------------------------------------------------------------------

@transaction.atomic
def save_ruleset(actor: Actor, rs: RuleSet | None, *, version=None, copy_from: RuleSet | None = None,
                 **values) -> RuleSet:
    """Create a rule set (with the criteria of ``copy_from``, e.g. the one that applies
    now, so a county starts from the provincial rules) or change one."""
    creating = rs is None
    if creating:
        rs = RuleSet()
        if copy_from is not None:
            for key in ("combine", "statuses", "source"):
                setattr(rs, key, getattr(copy_from, key))
    else:
        rs = RuleSet.objects.select_for_update().get(pk=rs.pk)
        check_version(rs, version)
        require(actor, EDIT, rs.area_code)
    before = None if creating else audit.snapshot(rs, RULESET_FIELDS)
    for key in RULESET_FIELDS:
        if key in values:
            setattr(rs, key, values[key])
    _clean_ruleset(rs)
    require(actor, EDIT, rs.area_code)
    rs.updated_by = actor.user
    if not creating:
        rs.version += 1
    rs.save()
    if creating and copy_from is not None:
        Criterion.objects.bulk_create([
            Criterion(ruleset=rs, group=c.group, code=c.code, label=c.label, enabled=c.enabled, params=c.params,
                      source=c.source, order=c.order) for c in copy_from.criteria.all()])
    audit.record(actor, "identification.ruleset.create" if creating else "identification.ruleset.change", obj=rs,
                 before=before, after={**audit.snapshot(rs, RULESET_FIELDS),
                                       **({"copied_from": copy_from.pk} if creating and copy_from else {})})
    return rs


@transaction.atomic
def save_criterion(actor: Actor, rs: RuleSet, criterion: Criterion | None, **values) -> Criterion:
    """Add a criterion to a rule set or change one: switch it on or off, its
    parameters (e.g. the car amount), label and source."""
    require(actor, EDIT, rs.area_code)
    creating = criterion is None
    if creating:
        criterion = Criterion(ruleset=rs, order=rs.criteria.count() + 1)
    elif criterion.ruleset_id != rs.pk:
        raise NotFound()
    before = None if creating else audit.snapshot(criterion, CRITERION_FIELDS)
    for key in CRITERION_FIELDS:
        if key in values and not (key in ("code", "group") and not creating):
            setattr(criterion, key, values[key])
    if creating:
        known = rules.CRITERIA.get(criterion.code)
        if known is not None:
            criterion.group = known.group
        if criterion.group not in (Criterion.GUARANTEE, Criterion.VETO):
            raise Invalid(_("A criterion is a basic guarantee or a veto condition."), field="group")
        if not criterion.code or not criterion.code.replace("_", "").isalnum():
            raise Invalid(_("A code is letters, digits and underscores."), field="code")
        if rs.criteria.filter(code=criterion.code).exists():
            raise Invalid(_("The rule set has this criterion already."), field="code")
    try:
        criterion.params = rules.check_params(criterion.code, criterion.group, criterion.params or {})
    except ValueError as exc:
        raise Invalid(str(exc), field="params") from None
    if not (criterion.source or "").strip():
        raise Invalid(_("Name the source document of the criterion."), field="source")
    criterion.save()
    RuleSet.objects.filter(pk=rs.pk).update(version=F("version") + 1, updated_by=actor.user)
    audit.record(actor, "identification.criterion.create" if creating else "identification.criterion.change",
                 obj=criterion, area_code=rs.area_code, before=before,
                 after={**audit.snapshot(criterion, CRITERION_FIELDS), "ruleset": rs.pk})
    return criterion


# --- facts ------------------------------------------------------------------------

@transaction.atomic
def add_fact(actor: Actor, household, *, member=None, kind: str, value=None, as_of=None, relation: str = "",
             person_name: str = "", detail: str = "", source: str = "manual",
             status: str = MemberFact.PENDING) -> MemberFact:
    """Record a fact about a member or the household (entered by a cadre, or a
    comparison hit). The comparison app may write set-based instead; see models."""
    require(actor, FACTS, household.area_code)
    if kind not in rules.FACT_KINDS:
        raise Invalid(_("Unknown kind of fact."), field="kind")
    if member is not None and member.household_id != household.pk:
        raise Invalid(_("The member is not in this household."), field="member")
    if relation not in dict(MemberFact.RELATION_CHOICES):
        raise Invalid(_("Unknown relation."), field="relation")
    if relation and member is not None:
        raise Invalid(_("A relative outside the household is not one of its members."), field="member")
    if relation and not person_name.strip():
        raise Invalid(_("Give the relative's name."), field="person_name")
    if value not in (None, ""):
        try:
            value = Decimal(str(value))
        except ArithmeticError:
            raise Invalid(_("The value is not a number."), field="value") from None
        if value < 0:
            raise Invalid(_("The value cannot be negative."), field="value")
    else:
        value = None
    if status not in dict(MemberFact.STATUS_CHOICES):
        raise Invalid(_("Unknown status."), field="status")
    fact = MemberFact(household=household, member=member, area_code=household.area_code, kind=kind, value=value,
                      as_of=as_of or None, relation=relation, person_name=person_name.strip(), detail=detail,
                      source=source or "manual", status=status, created_by=actor.user)
    try:
        with transaction.atomic():
            fact.save()
    except IntegrityError:
        raise Invalid(_("This comparison hit is recorded already."), field="source") from None
    audit.record(actor, "identification.fact.create", obj=fact, after=audit.snapshot(fact, FACT_FIELDS))
    return fact


@transaction.atomic
def decide_fact(actor: Actor, fact: MemberFact, *, status: str, reason: str = "") -> MemberFact:
    """Verify a fact: confirmed (it vetoes), kept despite it (a written reason is
    required), or a data error."""
    fact = MemberFact.objects.select_for_update().get(pk=fact.pk)
    require(actor, FACTS, fact.area_code)
    if status not in (MemberFact.CONFIRMED, MemberFact.KEPT, MemberFact.ERROR, MemberFact.PENDING):
        raise Invalid(_("Unknown status."), field="status")
    if status in (MemberFact.KEPT, MemberFact.ERROR) and not reason.strip():
        raise Invalid(_("Write the reason."), field="reason")
    before = audit.snapshot(fact, ["status", "reason"])
    fact.status, fact.reason = status, reason.strip()
    fact.decided_by, fact.decided_at = actor.user, clock.now()
    fact.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    audit.record(actor, "identification.fact.decide", obj=fact, before=before,
                 after=audit.snapshot(fact, ["status", "reason"]))
    return fact


# --- runs -------------------------------------------------------------------------

def check_changes(changes: dict | None) -> dict:
    """Validate a what-if: {"lines": [{"kind", "area_prefix", "value"}],
    "criteria": [{"code", "enabled"?, "params"?}]}."""
    changes = changes or {}
    if not isinstance(changes, dict):
        raise Invalid(_("The what-if changes are an object."), field="changes")
    out = {"lines": [], "criteria": []}
    for i, ch in enumerate(changes.get("lines") or [], start=1):
        if not isinstance(ch, dict) or ch.get("kind") not in rules.LINE_KINDS:
            raise Invalid(_("Changed line %(n)s: unknown kind.") % {"n": i}, field="changes")
        prefix = _check_prefix(ch.get("area_prefix", ""), "changes")
        try:
            value = Decimal(str(ch.get("value")))
        except ArithmeticError:
            raise Invalid(_("Changed line %(n)s: the value is not a number.") % {"n": i}, field="changes") from None
        if not value.is_finite() or value <= 0:
            raise Invalid(_("Changed line %(n)s: the value must be above zero.") % {"n": i}, field="changes")
        out["lines"].append({"kind": ch["kind"], "area_prefix": prefix, "value": str(value)})
    for i, ch in enumerate(changes.get("criteria") or [], start=1):
        if not isinstance(ch, dict) or not ch.get("code"):
            raise Invalid(_("Changed criterion %(n)s: name its code.") % {"n": i}, field="changes")
        item = {"code": str(ch["code"])}
        if "enabled" in ch:
            item["enabled"] = bool(ch["enabled"])
        if ch.get("params") is not None:
            if not isinstance(ch["params"], dict):
                raise Invalid(_("Changed criterion %(n)s: parameters are an object.") % {"n": i}, field="changes")
            item["params"] = ch["params"]
        out["criteria"].append(item)
    return out


def create_run(actor: Actor, area_code: str, year, *, changes: dict | None = None) -> RuleRun:
    """A run (or, with ``changes``, a what-if simulation) over an area and year,
    queued; engine.execute runs it. The actor needs ``identification.run`` at the area."""
    area_code = (area_code or "").strip()
    prefix = rules.prefix_of_code(area_code) if area_code else ""
    error = rules.check_prefix(prefix)
    if error:
        raise Invalid(error, field="area_code")
    require(actor, RUN, padded(prefix))
    year = _check_year(year)
    simulation = changes is not None
    checked = check_changes(changes) if simulation else {}
    if simulation and not (checked["lines"] or checked["criteria"]):
        raise Invalid(_("A what-if changes at least one line or criterion."), field="changes")
    if not queries.applicable_rulesets(prefix, year):
        raise Invalid(_("No rule set applies in %(year)s to this area.") % {"year": year}, field="year")
    run = RuleRun.objects.create(
        kind=RuleRun.SIMULATION if simulation else RuleRun.REAL, area_prefix=prefix, area_code=padded(prefix),
        year=year, changes=checked, created_by=actor.user,
        based_on=queries.last_real_run(prefix, year) if simulation else None)
    audit.record(actor, "identification.run.start", obj=run,
                 after={"kind": run.kind, "area": prefix, "year": year, "changes": checked})
    return run


def start_run(actor: Actor, area_code: str, year, *, changes: dict | None = None) -> RuleRun:
    """Create the run and hand it to the job worker (progress on the job's page)."""
    from fupin.jobs import actions as jobs

    from .tasks import run_rules_task

    run = create_run(actor, area_code, year, changes=changes)
    title = (_("What-if simulation for %(area)s, %(year)s") if run.is_simulation
             else _("Eligibility rules for %(area)s, %(year)s")) % {"area": run.area_prefix or "*", "year": run.year}
    job = jobs.start(actor, run_rules_task, kind="identification.run", title=title, area_code=run.area_code,
                     params={"run": run.pk})
    RuleRun.objects.filter(pk=run.pk).update(job=job)
    run.refresh_from_db()
    return run
