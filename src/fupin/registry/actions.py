"""Every write to the registry, one record at a time (bulk paths are in importers.py).
Each action checks permission in the record's area, validates, writes, and records
the audit event with the values before and after."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fupin.accounts.scoping import can, require
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock, money
from fupin.core.actor import Actor
from fupin.core.errors import Conflict, Invalid

from . import codes, exchange, rules
from .exchange import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS, parse_cell
from .models import (
    DuplicateCandidate,
    Household,
    HouseholdSnapshot,
    Income,
    Member,
    RecheckRecord,
    RecheckRound,
    StatusChange,
    VillageProfile,
)

HOUSEHOLD_FIELDS = [c.field for c in HOUSEHOLD_COLUMNS if c.field not in ("status", "status_date")]
MEMBER_FIELDS = [c.field for c in MEMBER_COLUMNS]


def pinyin(name: str) -> str:
    """The pinyin of a name (``" ".join(lazy_pinyin(name))``): one implementation,
    rules.pinyin_of, for the forms, the importers, the duplicates finder and the demo; cut to
    the length of Member.name_pinyin (a long name's pinyin is longer than the column)."""
    return rules.pinyin_of(name or "")[:Member._meta.get_field("name_pinyin").max_length]


def _resolve_area(code: str) -> tuple[Area, Area | None]:
    """(village, group) for a village or village-group code."""
    try:
        area = Area.objects.select_related("parent").get(code=code, valid_to__isnull=True)
    except Area.DoesNotExist:
        raise Invalid(_("Area %(code)s does not exist.") % {"code": code}, field="area_code") from None
    if area.level == area_rules.GROUP:
        return area.parent, area
    if area.level != area_rules.VILLAGE:
        raise Invalid(_("A household belongs to a village or a village group."), field="area_code")
    return area, None


def _clean(columns, values: dict) -> dict:
    """Validate values (model values, or text cells from a form) against the exchange columns."""
    out = {}
    by_field = {c.field: c for c in columns}
    for key, value in values.items():
        col = by_field.get(key)
        if col is None:
            continue
        if isinstance(value, str) or value is None or (col.kind == "year" and type(value) is int):
            try:  # (a year given as a number has the bounds of one typed in a cell)
                value = parse_cell(col, "" if value is None else str(value))
            except ValueError as exc:
                raise Invalid(f"{col.header}: {exc}", field=key) from None
        elif col.kind.startswith("code:") and value and value not in codes.codes(col.kind[5:]):
            raise Invalid(f"{col.header}: {_('not one of the allowed values')}", field=key)
        if value is None and col.kind == "bool":
            continue
        out[key] = value
    return out


def check_work_year(year, *, field: str = "year", label=None) -> int:
    """``year`` if it is a year of the poverty-alleviation work: a whole number from
    exchange.PROGRAMME_FIRST_YEAR to exchange.last_year(), the bounds of the exchange file's year
    columns. The one check of the years an action is given apart from a household's columns (an
    income's, a village profile's and its status year, a checklist's, a re-check round's): the
    actions call it whoever calls them (a page, the API, an import, a demo), and the forms' year
    fields run it (forms.work_year_field). Otherwise Invalid, naming ``field`` (``label``, its
    name in the message; default the field's)."""
    first, last = exchange.PROGRAMME_FIRST_YEAR, exchange.last_year()
    if isinstance(year, bool) or not isinstance(year, int) or not first <= year <= last:
        raise Invalid(_("%(field)s: %(year)s is not a year of the poverty-alleviation work (%(first)s–%(last)s).")
                      % {"field": capfirst(str(label or field)), "year": year, "first": first, "last": last},
                      field=field)
    return year


def check_recheck_year(year, *, field: str = "year") -> int:
    """``year`` if a re-check round may be opened for it today (rules.recheck_years: from the
    registry's first year to next year, data/recheck.json); otherwise Invalid naming ``field``.
    The round form runs it too (views_recheck.OpenForm)."""
    first, last = rules.recheck_years(clock.today().year)
    if isinstance(year, bool) or not isinstance(year, int) or not first <= year <= last:
        raise Invalid(_("A re-check round is for a year from %(first)s to %(last)s, not %(year)s: the registry "
                        "begins in %(first)s.") % {"first": first, "last": last, "year": year}, field=field)
    return year


def _model_year(model, field: str, year) -> int:
    """check_work_year for a year field of ``model``, named by its verbose name."""
    return check_work_year(year, field=field, label=model._meta.get_field(field).verbose_name)


def _identification_fields(status: str, data: dict, *, creating: bool) -> None:
    """The fields of identification (rules.FIELDS_NOT_NEEDED: 贫困户属性, 识别标准, 主要致贫原因,
    识别年度) that ``data`` empties although a household of ``status`` needs them are refused,
    the first named; a new household off the register (一般农户, 已清退) not given a category or a
    standard gets none rather than the model's default (一般贫困户 / 国家标准)."""
    for col, problem in exchange.empty_fields_problems(status, data):
        raise Invalid(f"{col.header}: {problem}", field=col.field)  # (as _clean names a cell's column)
    if creating:
        for field in ("category", "standard"):
            if field not in data and not rules.needs_field(status, field):
                data[field] = ""


def _check_household(h: Household) -> None:
    causes = [c for c in (h.main_cause, h.cause2, h.cause3) if c]
    if len(set(causes)) != len(causes):
        raise Invalid(_("A cause of poverty is given twice."), field="cause2")
    if h.relocated is False and (h.relocation_mode or h.relocation_place):
        raise Invalid(_("Relocation mode or place given for a household that was not relocated."),
                      field="relocation_mode")


@transaction.atomic
def create_household(actor: Actor, *, status: str = "registered", status_date: dt.date | None = None,
                     status_reason: str = "", **values) -> Household:
    """A new household with its first status. A status a procedure sets (``procedure_statuses``)
    is refused to a user as set_status refuses it (the household is created as being identified,
    or monitored, and the procedure registers it), unless the user may correct statuses and gives
    ``status_reason``: entering an already registered household by hand is then a correction."""
    data = _clean(HOUSEHOLD_COLUMNS, values)
    if not data.get("number"):
        raise Invalid(_("The household number is empty."), field="number")
    village, group = _resolve_area(data["area_code"])
    require(actor, "registry.edit", data["area_code"])
    if Household.objects.filter(number=data["number"]).exists():
        raise Invalid(_("Household number %(n)s exists already.") % {"n": data["number"]}, field="number")
    if status not in codes.codes("status"):
        raise Invalid(_("Unknown status."), field="status")
    correction = _guard_procedure_status(actor, status, status_reason, "manual",
                                         lambda: can(actor.user, "registry.correct", data["area_code"]))
    _identification_fields(status, data, creating=True)
    h = Household(village=village, group=group, status=status, status_date=status_date or clock.today(), **data)
    _check_household(h)
    h.save()
    StatusChange.objects.create(household=h, area_code=h.area_code, status=status, date=h.status_date,
                                source="manual", recorded_by=actor.user,
                                reason=status_reason.strip()[:200] if correction else _("created"))
    add_to_open_rounds(Household.objects.filter(pk=h.pk))  # 一年一核: a round open over its area checks it too
    after = audit.snapshot(h, [*HOUSEHOLD_FIELDS, "status"])
    if correction:
        after.update(correction=True, reason=status_reason.strip())
    audit.record(actor, "registry.household.create", obj=h, after=after)
    return h


@transaction.atomic
def update_household(actor: Actor, household: Household, *, version: int | None = None, **values) -> Household:
    """Change a household's fields. ``version`` (from the form) guards against two
    people saving the same household at once."""
    require(actor, "registry.edit", household.area_code)
    data = _clean(HOUSEHOLD_COLUMNS, values)
    data.pop("number", None) if data.get("number") == household.number else None
    if "number" in data and Household.objects.filter(number=data["number"]).exclude(pk=household.pk).exists():
        raise Invalid(_("Household number %(n)s exists already.") % {"n": data["number"]}, field="number")
    _identification_fields(household.status, data, creating=False)
    before = audit.snapshot(household, HOUSEHOLD_FIELDS)
    moved = "area_code" in data and data["area_code"] != household.area_code
    if moved:
        require(actor, "registry.edit", data["area_code"])
        household.village, household.group = _resolve_area(data["area_code"])
    for key, value in data.items():
        setattr(household, key, value)
    _check_household(household)
    expected = household.version if version is None else version
    household.version = expected + 1
    household.county_code = household.area_code[:6]
    updated = Household.objects.filter(pk=household.pk, version=expected).update(
        **{f: getattr(household, f) for f in [*data.keys(), "village_id", "group_id", "version", "county_code"]
           if f not in ("village", "group")}, updated_at=clock.now())
    if not updated:
        raise Conflict()
    if moved:  # (the form sends the area code on every save: only a change is a move)
        # A household that moves takes its members, incomes and dated status history along: every
        # count "on a date" counts it where it belongs now, as the lists do (docs/decisions.md).
        household.members.update(area_code=household.area_code)
        from .duplicates import find_for_members  # (not at the top: duplicates.py imports this module)
        find_for_members(actor, household.members.all())  # their possible duplicates where they live now
        household.incomes.update(area_code=household.area_code)
        household.status_changes.exclude(area_code=household.area_code).update(area_code=household.area_code)
        add_to_open_rounds(Household.objects.filter(pk=household.pk))  # a round open where it now lives
    after = audit.snapshot(household, HOUSEHOLD_FIELDS)
    audit.record(actor, "registry.household.update", obj=household, before=before, after=after)
    if before["area_code"][:6] != household.area_code[:6]:
        # the county it left is told too (its audit log, and its statistics are no longer current)
        audit.record(actor, "registry.household.moved_out", obj=household, area_code=before["area_code"],
                     before={"area_code": before["area_code"]}, after={"area_code": household.area_code})
    return household


def procedure_statuses() -> dict[str, list[dict]]:
    """The statuses a procedure sets when it completes, each with the procedure types in use that
    set it: {status: [{"code", "label"}, …]} (identification: ``registered``; exit:
    ``exited_policy``). Derived from the types' data — their completion hook
    ``registry.set_status`` and its ``status`` (procedures.rules, procedures.labels.hook_label) —
    never listed in code; one query over the (few) procedure types."""
    from fupin.procedures.labels import localized
    from fupin.procedures.models import ProcedureType

    out: dict[str, list[dict]] = {}
    rows = (ProcedureType.objects.filter(active=True, definition__on_complete__hook="registry.set_status")
            .order_by("purpose", "code")
            .values_list("code", "name", "name_en", "definition__on_complete__params__status"))
    for code, name, name_en, status in rows:
        if isinstance(status, str) and status:
            out.setdefault(status, []).append({"code": code, "label": localized({"name": name, "name_en": name_en})})
    return out


def _guard_procedure_status(actor: Actor, status: str, reason: str, source: str, may_correct) -> bool:
    """set_status's rule for a status a procedure sets (``procedure_statuses``), shared by
    create_household and set_status_many: only that procedure (source ``procedure:<batch>``), an
    import or the system sets it; a user is refused (Forbidden, the procedure named) unless
    ``may_correct()`` (registry.correct where the households are) and a reason is given. Returns
    whether the change is such a correction."""
    if actor.is_system or source == "import" or source.startswith("procedure:"):
        return False
    procedures = procedure_statuses().get(status)
    if not procedures:
        return False
    from fupin.core import present
    from fupin.core.errors import Forbidden

    named = {"status": codes.label("status", status),
             "procedures": present.join(f"“{p['label']}”" for p in procedures)}
    if not may_correct():
        raise Forbidden(_("“%(status)s” is set by the procedure %(procedures)s when it completes: start "
                          "the procedure for this household instead. Only a user who may correct statuses "
                          "sets it by hand, with a reason.") % named, field="status")
    if not reason.strip():
        raise Invalid(_("“%(status)s” is set by the procedure %(procedures)s: setting it here is a "
                        "correction outside the procedure and needs its reason.") % named, field="reason")
    return True


@transaction.atomic
def set_status(actor: Actor, household: Household, status: str, date: dt.date, *, reason: str = "",
               source: str = "manual") -> StatusChange:
    """Record a dated change of status. The history is never rewritten: a correction
    is a new change.

    A status that a procedure sets when it completes (``procedure_statuses``: identification,
    exit) is set only by that procedure (source ``procedure:<batch>``) or an import (``import``).
    A user setting it otherwise (by hand, through the API) is refused, with the procedure named,
    unless the user holds ``registry.correct`` at the household and gives a reason: the change
    is then a correction, logged as one. The system (command line, jobs) is not subject to it."""
    require(actor, "registry.edit", household.area_code)
    if status not in codes.codes("status"):
        raise Invalid(_("Unknown status."), field="status")
    correction = _guard_procedure_status(actor, status, reason, source,
                                         lambda: can(actor.user, "registry.correct", household.area_code))
    latest = household.status_changes.order_by("-date", "-id").first()
    if latest is not None and date < latest.date:
        raise Invalid(_("The date is before the last recorded change (%(d)s).") % {"d": latest.date}, field="date")
    before = {"status": household.status, "status_date": household.status_date}
    change = StatusChange.objects.create(household=household, area_code=household.area_code, status=status,
                                         date=date, reason=reason, source=source, recorded_by=actor.user)
    household.status, household.status_date = status, date
    extra = {}
    # The exit year is that of the latest exit: kept when an exited household stops
    # receiving policies, set anew when a household exits (again) from a poor status.
    if status in codes.EXITED_STATUSES and (not household.exit_year or before["status"] not in codes.EXITED_STATUSES):
        extra["exit_year"] = household.exit_year = date.year
    if status == "returned":
        extra["return_year"] = household.return_year = date.year
        if reason:
            extra["return_reason"] = household.return_reason = reason[:200]
    Household.objects.filter(pk=household.pk).update(status=status, status_date=date, version=household.version + 1,
                                                     **extra)
    household.version += 1
    if before["status"] in codes.OFF_REGISTER_STATUSES and status not in codes.OFF_REGISTER_STATUSES:
        add_to_open_rounds(Household.objects.filter(pk=household.pk))  # back on the register: re-checked too
    after = {"status": status, "status_date": date, "reason": reason, "source": source}
    if correction:
        after["correction"] = True  # a procedure's status set outside it (registry.correct)
    audit.record(actor, "registry.household.status", obj=household, before=before, after=after)
    return change


@transaction.atomic
def set_status_many(actor: Actor, households, status: str, date: dt.date, *, reason: str = "",
                    source: str = "manual") -> int:
    """The same dated change of status for many households at once (a procedure's
    completed batch, a county's yearly exit list): a few set-based statements, one
    audit event listing the households. ``households`` is a queryset of Household."""
    if status not in codes.codes("status"):
        raise Invalid(_("Unknown status."), field="status")
    ids = households.values("pk")
    if not actor.is_system:
        from fupin.accounts.scoping import scope_for

        outside = Household.objects.filter(pk__in=ids).exclude(scope_for(actor.user, "registry.edit").q())
        if outside.exists():
            from fupin.core.errors import Forbidden

            raise Forbidden()
    correction = _guard_procedure_status(
        actor, status, reason, source,
        lambda: not Household.objects.filter(pk__in=ids).exclude(scope_for(actor.user, "registry.correct").q()).exists())
    later = list(StatusChange.objects.filter(household_id__in=ids, date__gt=date)
                 .values_list("household__number", flat=True).distinct()[:10])
    if later:
        raise Invalid(_("The date is before the last recorded change of households %(numbers)s.")
                      % {"numbers": "、".join(later)}, field="date")
    rows = list(Household.objects.filter(pk__in=ids).values_list("pk", "area_code"))
    StatusChange.objects.bulk_create(
        (StatusChange(household_id=pk, area_code=code, status=status, date=date, reason=reason[:200],
                      source=source, recorded_by=actor.user) for pk, code in rows), batch_size=2000)
    qs = Household.objects.filter(pk__in=[pk for pk, _code in rows])
    values = {"status": status, "status_date": date, "version": F("version") + 1}
    if status in codes.EXITED_STATUSES:
        values["exit_year"] = Case(When(status__in=codes.EXITED_STATUSES, then=Coalesce(F("exit_year"), Value(date.year))),
                                   default=Value(date.year))
    if status == "returned":
        values["return_year"] = date.year
        if reason:
            values["return_reason"] = reason[:200]
    count = qs.update(**values)
    # Those that come (back) on the register while a re-check round is open over them are re-checked
    # too; the others have their record already (the round took every registered household, set-based).
    add_to_open_rounds(qs)
    prefixes = {code[:6] for _pk, code in rows}
    after = {"status": status, "date": date, "reason": reason, "source": source}
    if correction:
        after["correction"] = True
    event = audit.record(actor, "registry.household.status_many", kind="bulk", object_type="registry.household",
                         area_code=prefixes.pop() if len(prefixes) == 1 else "", count=count, after=after)
    audit.record_items(event, ((pk, "updated") for pk, _code in rows))
    return count


def _refresh_size(household: Household) -> None:
    size = household.members.filter(active=True).count()
    head = household.members.filter(active=True, relation="01").values_list("name", flat=True).first() or ""
    Household.objects.filter(pk=household.pk).update(size=size, head_name=head)
    household.size, household.head_name = size, head


def _check_member(actor: Actor, m: Member) -> None:
    if m.id_number:
        info = rules.parse_id_number(m.id_number)
        if m.birth_date and m.birth_date != info.birth_date:
            raise Invalid(_("The birth date differs from the one in the ID number (%(d)s).")
                          % {"d": info.birth_date}, field="birth_date")
        if m.sex and m.sex != info.sex:
            raise Invalid(_("The sex differs from the one in the ID number."), field="sex")
        m.birth_date, m.sex = info.birth_date, info.sex
    elif not m.no_id_reason:
        raise Invalid(_("Without an ID number, give the reason."), field="no_id_reason")
    elif not m.sex:  # (the one rule: the forms and the API rely on it; an ID number gives the sex)
        raise Invalid(_("Without an ID number, give the sex."), field="sex")
    if m.health == "4" and not m.disability_grade:
        raise Invalid(_("A disabled member needs a disability grade."), field="disability_grade")
    if m.id_number and m.active:
        clash = Member.objects.filter(id_number=m.id_number, active=True).exclude(pk=m.pk).select_related(
            "household").first()
        if clash is not None:
            # the household is named to whom may see it; anyone else learns only that the
            # number is taken (not where: a household number holds its village's code)
            if actor.is_system or can(actor.user, "registry.view", clash.area_code):
                raise Invalid(_("This person (ID %(id)s) is already a member of household %(h)s.")
                              % {"id": m.id_number, "h": clash.household.number}, field="id_number")
            raise Invalid(_("This ID number belongs to an active member of a household outside your area. Please "
                            "contact the county poverty office."), field="id_number")


@transaction.atomic
def add_member(actor: Actor, household: Household, **values) -> Member:
    require(actor, "registry.edit", household.area_code)
    data = _clean(MEMBER_COLUMNS, values)
    m = Member(household=household, area_code=household.area_code, **data)
    _check_member(actor, m)
    if m.relation == "01" and household.members.filter(active=True, relation="01").exists():
        raise Invalid(_("The household already has a head."), field="relation")
    m.name_pinyin = pinyin(m.name)
    try:
        with transaction.atomic():
            m.save()
    except IntegrityError:
        raise Invalid(_("This person is already an active member of another household."), field="id_number") from None
    _refresh_size(household)
    audit.record(actor, "registry.member.create", obj=m, after=audit.snapshot(m, MEMBER_FIELDS))
    from .duplicates import find_for_members  # (not at the top: duplicates.py imports this module)
    find_for_members(actor, [m])  # its possible duplicates go to the review queue at once
    return m


@transaction.atomic
def update_member(actor: Actor, member: Member, **values) -> Member:
    require(actor, "registry.edit", member.area_code)
    data = _clean(MEMBER_COLUMNS, values)
    before = audit.snapshot(member, MEMBER_FIELDS)
    for key, value in data.items():
        setattr(member, key, value)
    _check_member(actor, member)
    if member.relation == "01" and member.household.members.filter(active=True, relation="01").exclude(
            pk=member.pk).exists():
        raise Invalid(_("The household already has a head."), field="relation")
    member.name_pinyin = pinyin(member.name)
    member.save()
    _refresh_size(member.household)
    audit.record(actor, "registry.member.update", obj=member, before=before,
                 after=audit.snapshot(member, MEMBER_FIELDS))
    from .duplicates import find_for_members  # (not at the top: duplicates.py imports this module)
    find_for_members(actor, [member])  # its possible duplicates go to the review queue at once
    return member


@transaction.atomic
def member_leaves(actor: Actor, member: Member, reason: str, date: dt.date) -> Member:
    """A member leaves the household (death, marriage out, moved, other): kept, dated, inactive."""
    require(actor, "registry.edit", member.area_code)
    if reason not in codes.codes("leave_reason"):
        raise Invalid(_("Unknown reason."), field="left_reason")
    before = audit.snapshot(member, ["active", "left_reason", "left_date"])
    member.active, member.left_reason, member.left_date = False, reason, date
    member.save(update_fields=["active", "left_reason", "left_date", "id_rev", "updated_at"])
    _refresh_size(member.household)
    audit.record(actor, "registry.member.leave", obj=member, before=before,
                 after={"active": False, "left_reason": reason, "left_date": date})
    return member


INCOME_FIELDS = [*rules.INCOME_ITEMS, "production_costs"]


def income_figures(values: dict, size: int) -> dict:
    """What an income stores besides its amounts (``values``: INCOME_FIELDS) for a household of
    ``size`` active members: the size, total and net income, per-capita net income
    (rules.per_capita_net_income). save_income and the income import (income_exchange) both."""
    result = rules.per_capita_net_income({k: values[k] for k in rules.INCOME_ITEMS}, values["production_costs"], size)
    return {"household_size": size, "total_income": result["total"], "net_income": result["net"],
            "per_capita": result["per_capita"]}


@transaction.atomic
def save_income(actor: Actor, household: Household, year: int, *, note: str = "", **amounts) -> Income:
    """Enter or correct a year's income; per-capita net income is computed and stored."""
    require(actor, "registry.edit", household.area_code)
    year = _model_year(Income, "year", year)
    # every amount is read by core.money (rounded half up to the cent; empty is 0)
    values = {key: money.amount(amounts.get(key), field=key) for key in INCOME_FIELDS}
    size = household.members.filter(active=True).count()
    if size == 0:
        raise Invalid(_("The household has no active members."))
    income = Income.objects.filter(household=household, year=year).first()
    before = audit.snapshot(income, [*INCOME_FIELDS, "per_capita"]) if income else None
    income = income or Income(household=household, year=year)
    for key, value in values.items():
        setattr(income, key, value)
    income.area_code = household.area_code
    for key, value in income_figures(values, size).items():
        setattr(income, key, value)
    income.note = note
    income.save()
    audit.record(actor, "registry.income.save", obj=income, area_code=household.area_code, before=before,
                 after=audit.snapshot(income, [*INCOME_FIELDS, "per_capita"]), note=str(year))
    return income


@transaction.atomic
def save_village_profile(actor: Actor, village: Area, year: int, **values) -> VillageProfile:
    require(actor, "registry.edit", village.code)
    if village.level != area_rules.VILLAGE:  # a village group, a township … has no profile
        raise Invalid(_("A village profile is for a village, not for %(name)s.") % {"name": village.name},
                      field="area")
    year = _model_year(VillageProfile, "year", year)
    if values.get("status_year") is not None:
        _model_year(VillageProfile, "status_year", values["status_year"])
    if values.get("status") and values["status"] not in codes.codes("village_status"):
        raise Invalid(_("Unknown village status."), field="status")
    profile = VillageProfile.objects.filter(village=village, year=year).first()
    fields = ["households", "population", "rural_population", "collective_income", "arable_mu", "forest_mu",
              "main_industries", "special_industries", "status", "status_year", "note"]
    before = audit.snapshot(profile, fields) if profile else None
    profile = profile or VillageProfile(village=village, year=year, area_code=village.code)
    for key, value in values.items():
        if key in fields:
            setattr(profile, key, value)
    profile.save()
    audit.record(actor, "registry.village_profile.save", obj=profile, before=before,
                 after=audit.snapshot(profile, fields))
    return profile


# --- 一年一核 -------------------------------------------------------------------

def _refuse_overlapping_round(area: Area, year: int) -> None:
    """A household is re-checked once a year: Invalid if a round of ``year`` (open or closed)
    covers ``area``, an area containing it or one inside it, naming that round's area. Two
    rounds opened at the same moment in one province wait for each other (the province's
    area row is locked), so the second sees the first; the snapshots' unique (household,
    year) holds whatever happens."""
    Area.objects.select_for_update(no_key=True).filter(
        code=area.code[:2].ljust(12, "0"), valid_to__isnull=True).first()
    containing, code = [area.code], area.code
    while (code := area_rules.parent_code(code)) is not None:
        containing.append(code)
    other = (RecheckRound.objects.filter(year=year)
             .filter(Q(area_code__in=containing) | Q(area_code__startswith=area.prefix))
             .select_related("area").order_by("area_code").first())
    if other is None:
        return
    named = {"year": year, "area": other.area.name, "code": other.area_code}
    if other.area_code == area.code:
        raise Invalid(_("A re-check round for this area and year exists already."))
    if other.area_code in containing:
        raise Invalid(_("The %(year)s re-check round of %(area)s (%(code)s) covers this area already: a household "
                        "is re-checked once a year.") % named)
    raise Invalid(_("The %(year)s re-check round of %(area)s (%(code)s) lies inside this area: a household is "
                    "re-checked once a year, so a round over this area would check its households twice.") % named)


@transaction.atomic
def open_recheck(actor: Actor, area: Area, year: int) -> RecheckRound:
    """Open a re-check round: every household of the area on the register (not removed, not only monitored) gets a record (one INSERT … SELECT)."""
    require(actor, "registry.edit", area.code)
    year = check_recheck_year(year)
    _refuse_overlapping_round(area, year)
    rnd = RecheckRound.objects.create(area=area, area_code=area.code, year=year, started_by=actor.user)
    from fupin.accounts.scoping import Scope

    hh = Scope([area.prefix]).filter(Household.objects.exclude(status__in=codes.OFF_REGISTER_STATUSES)).order_by()
    select, params = hh.values_list("pk", "area_code").query.sql_with_params()
    table = connection.ops.quote_name(RecheckRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (round_id, household_id, area_code, checked, changes) "  # noqa: S608
                       f"SELECT %s, q.pk, q.area_code, %s, '' FROM ({select}) q", [rnd.pk, False, *params])
        rnd.household_count = cursor.rowcount  # the records just written
    rnd.save(update_fields=["household_count"])
    audit.record(actor, "registry.recheck.open", obj=rnd, area_code=area.code, count=rnd.household_count,
                 after={"year": year})
    return rnd


@transaction.atomic
def add_to_open_rounds(households) -> int:
    """Give the households (a queryset; those on the register: not removed, not only
    monitored) a record in every open re-check round whose area contains them and that does
    not hold them yet, and add them to the rounds' household_count. For households written
    while a round is open: create_household calls it, the registry import after it writes new
    households. Set-based: one SELECT finds the rounds and how many each gains, one UPDATE a
    round counts them (and locks it: a round being closed waits, then freezes them too, or is
    closed already and gets nothing), one INSERT … SELECT writes the records. Returns the
    number of records written."""
    qn = connection.ops.quote_name
    hh = households.exclude(status__in=codes.OFF_REGISTER_STATUSES).order_by()
    select, hh_params = hh.values_list("pk", "area_code").query.sql_with_params()
    rec, rnd, area = (qn(m._meta.db_table) for m in (RecheckRecord, RecheckRound, Area))
    length = "CASE a.level " + " ".join(["WHEN %s THEN %s"] * len(area_rules.PREFIX_LENGTH)) + " END"
    length_params = [v for pair in area_rules.PREFIX_LENGTH.items() for v in pair]
    pairs = (f"FROM ({select}) q JOIN {rnd} r ON r.status = %s JOIN {area} a ON a.id = r.area_id "  # noqa: S608
             f"WHERE SUBSTR(q.area_code, 1, {length}) = SUBSTR(r.area_code, 1, {length}) "
             # re-checked once a year: not in this round, nor in another round of its year (one it left)
             f"AND NOT EXISTS (SELECT 1 FROM {rec} x JOIN {rnd} r2 ON r2.id = x.round_id "
             f"WHERE x.household_id = q.pk AND r2.year = r.year)")
    params = [*hh_params, RecheckRound.OPEN, *length_params, *length_params]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT r.id, COUNT(*) {pairs} GROUP BY r.id", params)
        rounds = []
        for pk, n in sorted(cursor.fetchall()):  # a few open rounds at most
            if RecheckRound.objects.filter(pk=pk, status=RecheckRound.OPEN).update(
                    household_count=F("household_count") + n):
                rounds.append(pk)
        if not rounds:
            return 0
        marks = ", ".join(["%s"] * len(rounds))
        cursor.execute(f"INSERT INTO {rec} (round_id, household_id, area_code, checked, changes) "
                       f"SELECT r.id, q.pk, q.area_code, %s, '' {pairs} AND r.id IN ({marks})",
                       [False, *params, *rounds])
        return cursor.rowcount


@transaction.atomic
def record_recheck(actor: Actor, record: RecheckRecord, changes: str = "") -> RecheckRecord:
    require(actor, "registry.edit", record.area_code)
    if record.round.status != RecheckRound.OPEN:
        raise Invalid(_("The round is closed."))
    record.checked, record.checked_by, record.checked_at, record.changes = True, actor.user, clock.now(), changes
    record.save()
    audit.record(actor, "registry.recheck.record", obj=record.household, after={"round": record.round_id,
                                                                               "changes": changes})
    return record


@transaction.atomic
def record_rechecks(actor: Actor, rnd: RecheckRound, checks) -> int:
    """Record many checks of one open round at once (a round's checks entered together, the
    demo county's ~3,000): ``checks`` are (record id, checked at — None for now —, what changed),
    the checker being the actor's user, as in record_recheck; a record given twice keeps its
    last check. Refused: a closed round (the round is locked, so a close waits), a record not
    of this round, a time before the round was opened or after now, and — unless the actor is
    the system — a household outside the actor's registry.edit areas (anyone who may edit the
    registry where a household lives may check it, as record_recheck). Set-based whatever the
    size of the round (a county's 30,000 households): a SELECT of the records and an UPDATE …
    FROM (VALUES …) per 5,000 checks, one bulk audit event with the households as its items.
    Returns the number of records checked."""
    from django.utils import timezone

    from fupin.accounts.scoping import scope_for
    from fupin.core.errors import Forbidden

    locked = RecheckRound.objects.select_for_update().get(pk=rnd.pk)
    if locked.status != RecheckRound.OPEN:
        raise Invalid(_("The round is closed."))
    now = clock.now()
    wanted: dict[int, tuple] = {}
    for record_id, at, changes in checks:
        at = now if at is None else (timezone.make_aware(at) if timezone.is_naive(at) else at)
        wanted[int(record_id)] = (at, str(changes or ""))
    if not wanted:
        return 0
    ids = list(wanted)
    per = max(1, min(5000, ((connection.features.max_query_params or 2**16 - 1) - 2) // 3))
    found: dict[int, tuple[int, str]] = {}
    for n in range(0, len(ids), per):
        found.update((pk, (household, code)) for pk, household, code in RecheckRecord.objects.filter(
            round_id=rnd.pk, pk__in=ids[n:n + per]).values_list("pk", "household_id", "area_code"))
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise Invalid(_("Records %(ids)s are not in this round.") % {"ids": ", ".join(map(str, missing[:10]))},
                      field="records")
    if not actor.is_system:
        outside = scope_for(actor.user, "registry.edit").q()
        if any(RecheckRecord.objects.filter(round_id=rnd.pk, pk__in=ids[n:n + per]).exclude(outside).exists()
               for n in range(0, len(ids), per)):
            raise Forbidden()
    for pk, (at, _changes) in wanted.items():
        if not locked.started_at <= at <= now:
            number = Household.objects.filter(pk=found[pk][0]).values_list("number", flat=True).first()
            raise Invalid(_("Household %(number)s: the time of its check (%(at)s) is not between the opening of "
                            "the round (%(start)s) and now.")
                          % {"number": number, "at": f"{timezone.localtime(at):%Y-%m-%d %H:%M}",
                             "start": f"{timezone.localtime(locked.started_at):%Y-%m-%d %H:%M}"}, field="checked_at")
    qn, opts = connection.ops.quote_name, RecheckRecord._meta
    table = qn(opts.db_table)
    checked, checked_by, checked_at, text = (qn(opts.get_field(f).column)
                                             for f in ("checked", "checked_by", "checked_at", "changes"))
    user_id = actor.user.pk if actor.user is not None else None
    written = 0
    with connection.cursor() as cursor:
        for n in range(0, len(ids), per):
            chunk = ids[n:n + per]
            rows = ", ".join(["(%s, %s, %s)"] * len(chunk))
            params = [v for pk in chunk
                      for v in (pk, connection.ops.adapt_datetimefield_value(wanted[pk][0]), wanted[pk][1])]
            cursor.execute(f"WITH v (id, at, changes) AS (VALUES {rows}) "  # noqa: S608 - our own table and columns
                           f"UPDATE {table} SET {checked} = %s, {checked_by} = %s, {checked_at} = v.at, "
                           f"{text} = v.changes FROM v WHERE {table}.{qn(opts.pk.column)} = v.id",
                           [*params, True, user_id])
            written += len(chunk)  # each one found above (SQLite counts no rows of a WITH … UPDATE)
    event = audit.record(actor, "registry.recheck.record", kind="bulk", object_type="registry.household",
                         area_code=locked.area_code, count=written, after={"round": locked.pk})
    audit.record_items(event, ((found[pk][0], "checked") for pk in ids))
    return written


@transaction.atomic
def close_recheck(actor: Actor, rnd: RecheckRound, *, force: bool = False) -> RecheckRound:
    """Close the round and freeze the year's snapshot of every household in it."""
    require(actor, "registry.edit", rnd.area_code)
    locked = RecheckRound.objects.select_for_update().get(pk=rnd.pk)
    if locked.status != RecheckRound.OPEN:
        raise Conflict(_("The round is closed already."))
    unchecked = rnd.records.filter(checked=False).count()
    if unchecked and not force:
        raise Invalid(ngettext("%(n)s household is not checked yet.", "%(n)s households are not checked yet.",
                               unchecked) % {"n": unchecked})
    qn = connection.ops.quote_name
    tables = {name: qn(model._meta.db_table) for name, model in
              (("snap", HouseholdSnapshot), ("rec", RecheckRecord), ("hh", Household), ("inc", Income))}
    sql = ("INSERT INTO {snap} (round_id, household_id, area_code, year, status, category, main_cause, size, "  # noqa: S608
           "per_capita) SELECT r.round_id, h.id, h.area_code, %s, h.status, h.category, h.main_cause, h.size, "
           "i.per_capita FROM {rec} r JOIN {hh} h ON h.id = r.household_id "
           "LEFT JOIN {inc} i ON i.household_id = h.id AND i.year = %s WHERE r.round_id = %s "
           # one snapshot a household and year (unique): one frozen by an overlapping round of the year,
           # opened before overlaps were refused (open_recheck), stays as it is
           "AND NOT EXISTS (SELECT 1 FROM {snap} s WHERE s.household_id = h.id AND s.year = %s)").format(**tables)
    with connection.cursor() as cursor:  # one INSERT … SELECT, whatever the size of the round
        cursor.execute(sql, [rnd.year, rnd.year, rnd.pk, rnd.year])
    rnd.status, rnd.closed_at = RecheckRound.CLOSED, clock.now()
    rnd.save(update_fields=["status", "closed_at"])
    audit.record(actor, "registry.recheck.close", obj=rnd, area_code=rnd.area_code, count=rnd.household_count,
                 after={"unchecked": unchecked})
    return rnd


# --- possible duplicates ---------------------------------------------------------

@transaction.atomic
def decide_duplicate(actor: Actor, candidate: DuplicateCandidate, same: bool, note: str = "") -> DuplicateCandidate:
    """A person's verdict on a possible duplicate. Nothing is merged: a confirmed
    duplicate is then corrected by hand (one member leaves with reason 'other')."""
    require(actor, "registry.edit", candidate.area_code)
    if candidate.status != DuplicateCandidate.PENDING:
        raise Conflict(_("Someone has decided this already."))
    candidate.status = DuplicateCandidate.SAME if same else DuplicateCandidate.DIFFERENT
    candidate.decided_by, candidate.decided_at, candidate.note = actor.user, clock.now(), note[:200]
    # Only a pending pair is decided: of two people deciding at once, the second updates nothing.
    if not DuplicateCandidate.objects.filter(pk=candidate.pk, status=DuplicateCandidate.PENDING).update(
            status=candidate.status, decided_by=candidate.decided_by, decided_at=candidate.decided_at,
            note=candidate.note):
        raise Conflict(_("Someone has decided this already."))
    audit.record(actor, "registry.duplicate.decide", obj=candidate.a, area_code=candidate.area_code,
                 after={"b": candidate.b_id, "same": same, "note": note})
    return candidate


def household_counts(qs) -> dict:
    return qs.aggregate(total=Count("id"), poor=Count("id", filter=Q(status__in=codes.POOR_STATUSES)))


@transaction.atomic
def save_village_checklist(actor: Actor, village: Area, year: int, met: dict[int, bool],
                           notes: dict[int, str] | None = None) -> int:
    """Record which checklist items (硬化路, 自来水 … or a local list) a village meets in a
    year. ``met`` maps ChecklistItem ids to met/not met; items that do not apply to the
    village in that year are refused. Returns the number of items changed."""
    from .models import VillageChecklist
    from .queries import checklist_items

    require(actor, "registry.edit", village.code)
    year = _model_year(VillageChecklist, "year", year)
    notes = notes or {}
    allowed = {i.pk: i for i in checklist_items(village, year)}
    unknown = [pk for pk in met if pk not in allowed]
    if unknown:
        raise Invalid(_("Checklist item %(id)s does not apply to this village in %(year)s.")
                      % {"id": unknown[0], "year": year})
    existing = {c.item_id: c for c in VillageChecklist.objects.filter(village=village, year=year)}
    before, after, changed = {}, {}, 0
    for pk, value in met.items():
        note = (notes.get(pk) or "")[:200]
        row = existing.get(pk)
        if row is not None and row.met == bool(value) and row.note == note:
            continue
        before[allowed[pk].code] = None if row is None else row.met
        after[allowed[pk].code] = bool(value)
        if row is None:
            VillageChecklist.objects.create(village=village, area_code=village.code, year=year,
                                            item=allowed[pk], met=bool(value), note=note)
        else:
            row.met, row.note = bool(value), note
            row.save(update_fields=["met", "note"])
        changed += 1
    if changed:
        audit.record(actor, "registry.village_checklist.save", obj=village, area_code=village.code,
                     before=before, after=after, count=changed, note=str(year))
    return changed
