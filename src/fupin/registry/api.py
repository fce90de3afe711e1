"""The registry's REST API: households (list, create, read, change), a household's
members, members by ID number, villages with their profile, and statistics.

Scoped like the pages: lists hold only the token owner's area, an object outside it is
a 404 ``{"code": "not_found"}``. Writes go through registry.actions (permission,
validation, audit). ID numbers, phones and bank accounts are masked unless the caller
asks ``?reveal=1`` and holds pii.reveal where the record lives; every answer that reveals
any is logged (core.pii.Revealer: one ``pii.reveal.api`` read, with the revealed rows as its
items)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from fupin.accounts.scoping import scope_for
from fupin.api.base import Day, Error, Quantity, actor, paginate
from fupin.api.renderers import jsonable
from fupin.areas import rules as area_rules
from fupin.core import dates
from fupin.core.errors import Invalid
from fupin.core.masking import mask
from fupin.core.pii import Revealer

from . import actions, codes, exchange, queries, rules, stats
from .exchange import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS
from .models import Household, Member, StatusChange, VillageProfile

router = Router(tags=["registry"])

HOUSEHOLD_PII = {"phone": "phone", "bank_account": "bank_account"}
MEMBER_PII = {"id_number": "id_number", "phone": "phone"}


# --- schemas ---------------------------------------------------------------------------------

class HouseholdOut(Schema):
    id: int
    number: str
    area_code: str
    village_code: str
    village_name: str
    group_code: str | None = None
    address: str
    phone: str = Field(description="masked unless revealed")
    bank_name: str
    bank_account: str = Field(description="masked unless revealed")
    head_name: str
    category: str
    category_label: str
    standard: str
    main_cause: str
    cause2: str
    cause3: str
    housing_area: Decimal | None = None
    housing_structure: str
    danger_grade: str
    renovated_year: int | None = None
    water_difficult: bool
    water_safe: bool
    power: bool
    relocated: bool
    relocation_mode: str
    relocation_place: str
    sanitary_toilet: bool
    road_distance_km: Decimal | None = None
    arable_mu: Decimal
    irrigated_mu: Decimal
    forest_mu: Decimal
    returned_forest_mu: Decimal
    cooperative: bool
    identified_year: int | None = None
    planned_exit_year: int | None = None
    exit_year: int | None = None
    return_year: int | None = None
    return_reason: str
    status: str
    status_label: str
    status_date: dt.date | None = None
    size: int
    version: int
    revealed: bool = False


class HouseholdPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[HouseholdOut]


class MemberOut(Schema):
    id: int
    household_id: int
    household_number: str
    area_code: str
    name: str
    id_number: str | None = Field(None, description="masked unless revealed")
    no_id_reason: str
    sex: str
    birth_date: dt.date | None = None
    relation: str
    relation_label: str
    ethnicity: str
    education: str
    school_status: str
    health: str
    disability_grade: str
    labour: str
    work_status: str
    work_place: str
    work_months: int | None = None
    phone: str = Field(description="masked unless revealed")
    medical_insurance: bool
    serious_illness_insurance: bool
    pension_insurance: bool
    dibao: bool
    tekun: bool
    active: bool
    left_reason: str
    left_date: dt.date | None = None
    revealed: bool = False


class MemberPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[MemberOut]


class MemberIn(Schema):
    name: str
    id_number: str | None = None
    no_id_reason: str = ""
    sex: str = ""
    birth_date: Day | None = None
    relation: str
    ethnicity: str = "01"
    education: str = ""
    school_status: str = "00"
    health: str = "1"
    disability_grade: str = ""
    labour: str = ""
    work_status: str = ""
    work_place: str = ""
    work_months: int | None = None
    phone: str = ""
    medical_insurance: bool | None = None
    serious_illness_insurance: bool | None = None
    pension_insurance: bool | None = None
    dibao: bool | None = None
    tekun: bool | None = None


def _quantity(name: str):
    """The API type of a household's number that is not money (an area, a distance)."""
    return Quantity(Household._meta.get_field(name))


class _HouseholdFields(Schema):
    """Code fields take the code or its Chinese label (as in the exchange file)."""

    address: str | None = None
    phone: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None
    category: str | None = None
    standard: str | None = None
    main_cause: str | None = None
    cause2: str | None = None
    cause3: str | None = None
    housing_area: _quantity("housing_area") | None = None
    housing_structure: str | None = None
    danger_grade: str | None = None
    renovated_year: int | None = None
    water_difficult: bool | None = None
    water_safe: bool | None = None
    power: bool | None = None
    relocated: bool | None = None
    relocation_mode: str | None = None
    relocation_place: str | None = None
    sanitary_toilet: bool | None = None
    road_distance_km: _quantity("road_distance_km") | None = None
    arable_mu: _quantity("arable_mu") | None = None
    irrigated_mu: _quantity("irrigated_mu") | None = None
    forest_mu: _quantity("forest_mu") | None = None
    returned_forest_mu: _quantity("returned_forest_mu") | None = None
    cooperative: bool | None = None
    identified_year: int | None = None
    planned_exit_year: int | None = None
    exit_year: int | None = None
    return_year: int | None = None
    return_reason: str | None = None


# 贫困户属性, 识别标准, 主要致贫原因, 识别年度 (rules.IDENTIFICATION_FIELDS): required (not empty) of a
# household whose status needs them (rules.FIELDS_NOT_NEEDED), else a 422 naming the field (_refuse_empty).
_NEEDED_BUT = (f"required, except for a household whose status is {' or '.join(rules.statuses_not_needing('category'))}"
               " (rules.FIELDS_NOT_NEEDED)")


class HouseholdIn(_HouseholdFields):
    number: str
    area_code: str = Field(description="the village (12 digits) or village group (15 digits)")
    category: str | None = Field(None, description=f"{_NEEDED_BUT}; left out: 1 (一般贫困户) for a status that "
                                                    "needs it, none for the others")
    standard: str | None = Field(None, description=f"{_NEEDED_BUT}; left out: 1 (国家扶贫标准) for a status that "
                                                    "needs it, none for the others")
    main_cause: str | None = Field(None, description=_NEEDED_BUT)
    identified_year: int | None = Field(None, description=_NEEDED_BUT)
    status: str = Field("identified", description=(
        "the first status (code or Chinese label); a new household is being identified until the "
        "identification procedure registers it. A status a procedure sets (identification, exit) is "
        "accepted only as a correction, with registry.correct (else 403) and a status_reason (else 422)"))
    status_date: Day | None = None
    status_reason: str = Field("", description="why a household is entered with a procedure's status")
    members: list[MemberIn] = Field(default_factory=list, description="created with the household, all or none")


class HouseholdPatch(_HouseholdFields):
    area_code: str | None = None
    version: int | None = Field(None, description="the version you read; a concurrent change answers 409")
    status: str | None = Field(None, description=(
        "a new status, dated status_date (a dated change, kept). A status a procedure sets (identification, "
        "exit) is that procedure's: set here only as a correction, with registry.correct (else 403) and a "
        "status_reason (else 422)"))
    status_date: Day | None = None
    status_reason: str = Field("", description="why the status changed; required for a correction")


class VillageOut(Schema):
    code: str
    name: str
    township_code: str
    township_name: str
    households: int
    people: int
    poor_households: int
    poor_people: int
    profile_year: int | None = None
    profile: dict | None = None


class VillagePage(Schema):
    count: int
    page: int
    page_size: int
    items: list[VillageOut]


# --- helpers ------------------------------------------------------------------------------------

def _as_cells(values: dict, columns) -> dict:
    """JSON values as the actions expect them: numbers, years and dates as text (so that
    they are range-checked like a cell of the exchange file), booleans as they are,
    null as an empty cell."""
    kinds = {c.field: c.kind for c in columns}
    out = {}
    for key, value in values.items():
        if key not in kinds:
            continue
        if isinstance(value, bool):
            out[key] = value
        elif value is None:
            out[key] = ""
        elif isinstance(value, dt.date):
            out[key] = value.isoformat()
        elif isinstance(value, int | float | Decimal):
            out[key] = str(value)
        else:
            out[key] = value
    return out


# What a new household takes for a left-out 贫困户属性 / 识别标准 when its status needs one (as the API
# always has): the model's default. A status that does not need them gets none.
_DEFAULT_WHEN_NEEDED = ("category", "standard")


def _refuse_empty(status: str, data: dict) -> None:
    """A 422 naming the first field of ``data`` left empty that a household of ``status`` needs
    (exchange.empty_fields_problems: rules.FIELDS_NOT_NEEDED), in the words of the actions' cell checks.
    For a PATCH that may change the status too: the new status decides (create_household and
    update_household check it themselves against the status they know)."""
    for col, problem in exchange.empty_fields_problems(status, data):
        raise Invalid(f"{col.header}: {problem}", field=col.field)


def household_out(h: Household, revealer: Revealer) -> dict:
    revealed = revealer.show(h)
    data = {f: getattr(h, f) for f in HouseholdOut.model_fields if hasattr(h, f)}
    data.update(village_code=h.village.code, village_name=h.village.name,
                group_code=h.group.code if h.group_id else None,
                category_label=codes.label("category", h.category), status_label=codes.label("status", h.status),
                revealed=revealed)
    if not revealed:
        for field, kind in HOUSEHOLD_PII.items():
            data[field] = mask(kind, getattr(h, field))
    return data


def member_out(m: Member, revealer: Revealer) -> dict:
    revealed = revealer.show(m)
    data = {f: getattr(m, f) for f in MemberOut.model_fields if hasattr(m, f)}
    data.update(household_number=m.household.number, relation_label=codes.label("relation", m.relation),
                revealed=revealed)
    if not revealed:
        for field, kind in MEMBER_PII.items():
            data[field] = mask(kind, getattr(m, field)) or (None if field == "id_number" else "")
    return data


def _narrow(user, area: str, perm: str = "registry.view"):
    scope = scope_for(user, perm)
    area = (area or "").strip()
    if area:
        if not area.isdecimal() or len(area) not in (12, 15) or not area_rules.is_valid_code(area):
            raise Invalid(_("Give a 12-digit area code (or 15 digits for a village group)."), field="area")
        scope = scope.narrow(area_rules.prefix_of(area))
    return scope


# --- routes -------------------------------------------------------------------------------------

def _code_filter(name: str, value: str) -> str:
    """A filter's value of the code list ``name`` (the filter's name too): its code, given as the
    code or its Chinese or English label; "" for none; anything else a 422 naming the filter."""
    value = (value or "").strip()
    if not value:
        return ""
    code = codes.zh_to_code(name).get(value)
    if code is None:
        raise Invalid(_("“%(value)s” is not one of this filter's values (its codes or their labels).")
                      % {"value": value}, field=name)
    return code


@router.get("/households", response={200: HouseholdPage, 422: Error},
            summary="Households in your area, filtered and paginated")
def households(request, area: str = "", village: str = "", status: str = "", category: str = "", cause: str = "",
               year: int | None = None, q: str = "", reveal: bool = False, page: int = 1, page_size: int = 50):
    """``area``: an area code (its prefix is matched); ``village``: a village code;
    ``status``: the current status, or with ``year`` the status on 31 December of that
    year (from the status history); ``cause``: the main or another cause; ``q``: a name,
    household number or ID number (full or last digits)."""
    scope = _narrow(request.user, area)
    status, category, cause = (_code_filter(n, v) for n, v in (("status", status), ("category", category),
                                                                ("cause", cause)))
    qs = queries.search_households(scope, q) if q else scope.filter(Household.objects.all())
    if village:
        qs = qs.filter(village__code=village)
    if category:
        qs = qs.filter(category=category)
    if cause:
        qs = qs.filter(Q(main_cause=cause) | Q(cause2=cause) | Q(cause3=cause))
    if year is not None:
        if not dates.is_year(year):
            raise Invalid(_("not a year"), field="year")
        then = (StatusChange.objects.filter(household=OuterRef("pk"), date__lte=dt.date(year, 12, 31))
                .order_by("-date", "-id").values("status")[:1])
        qs = qs.annotate(status_then=Subquery(then)).filter(status_then__isnull=False)
        qs = qs.filter(status_then=status) if status else qs.exclude(status_then__in=codes.OFF_REGISTER_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    result = paginate(qs.select_related("village", "group").order_by("area_code", "number"), page, page_size)
    revealer = Revealer(request, reveal, "registry.household")
    result["items"] = [household_out(h, revealer) for h in result["items"]]
    revealer.log(HOUSEHOLD_PII)
    return result


@router.post("/households", response={201: HouseholdOut, 403: Error, 409: Error, 422: Error},
             summary="Register a household (with its members, all or none)")
def create_household(request, payload: HouseholdIn):
    data = payload.dict(exclude={"members"})
    members = [m.dict(exclude_unset=True) for m in payload.members]  # what was sent; the rest as the model has it
    status, status_date, reason = data.pop("status"), data.pop("status_date"), data.pop("status_reason")
    status = codes.zh_to_code("status").get(status, status)
    for name in _DEFAULT_WHEN_NEEDED:
        if name not in payload.model_fields_set and rules.needs_field(status, name):
            data[name] = Household._meta.get_field(name).default
    who = actor(request)
    with transaction.atomic():
        h = actions.create_household(who, status=status,
                                     status_date=status_date, status_reason=reason,
                                     **_as_cells(data, HOUSEHOLD_COLUMNS))
        for i, m in enumerate(members, start=1):
            try:
                actions.add_member(who, h, **_as_cells(m, MEMBER_COLUMNS))
            except Invalid as exc:
                exc.details = {**exc.details, "member": i}
                raise
    h = queries.household(request.user, h.pk)
    return Status(201, household_out(h, Revealer(request, False, "registry.household")))


@router.get("/households/{household_id}", response={200: HouseholdOut, 404: Error}, summary="One household")
def household(request, household_id: int, reveal: bool = False):
    h = queries.household(request.user, household_id)
    revealer = Revealer(request, reveal, "registry.household")
    out = household_out(h, revealer)
    revealer.log(HOUSEHOLD_PII)
    return out


@router.patch("/households/{household_id}", response={200: HouseholdOut, 403: Error, 404: Error, 409: Error,
                                                       422: Error},
              summary="Change a household's fields, or record a dated change of status")
def update_household(request, household_id: int, payload: HouseholdPatch):
    h = queries.household(request.user, household_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    status, status_date, reason = data.pop("status", None), data.pop("status_date", None), data.pop(
        "status_reason", "")
    _refuse_empty(codes.zh_to_code("status").get(status, status) if status else h.status, data)
    who = actor(request)
    with transaction.atomic():
        if data:
            h = actions.update_household(who, h, version=version, **_as_cells(data, HOUSEHOLD_COLUMNS))
        if status:
            if status_date is None:
                raise Invalid(_("Give the date of the change of status."), field="status_date")
            try:
                actions.set_status(who, h, codes.zh_to_code("status").get(status, status), status_date,
                                   reason=reason, source="api")
            except Invalid as exc:  # named by this request's fields (a correction's missing reason …)
                exc.field = {"reason": "status_reason", "date": "status_date"}.get(exc.field, exc.field)
                raise
    return household_out(queries.household(request.user, household_id), Revealer(request, False, "registry.household"))


@router.get("/households/{household_id}/members", response={200: list[MemberOut], 404: Error},
            summary="The members of a household (those who left too, with active=false)")
def household_members(request, household_id: int, reveal: bool = False):
    h = queries.household(request.user, household_id)
    revealer = Revealer(request, reveal, "registry.member")
    out = [member_out(m, revealer) for m in h.members.select_related("household").order_by("-active", "relation",
                                                                                           "birth_date", "pk")]
    revealer.log(MEMBER_PII)
    return out


@router.get("/members", response={200: MemberPage, 422: Error},
            summary="Members in your area by ID number (full, or the last 4 or more digits) or name")
def members(request, id_number: str = "", name: str = "", area: str = "", active: bool | None = None,
            reveal: bool = False, page: int = 1, page_size: int = 50):
    scope = _narrow(request.user, area)
    qs = scope.filter(Member.objects.all())
    number = id_number.strip().upper()
    if number:
        if len(number) == 18:
            qs = qs.filter(id_number=number)
        elif len(number) >= 4 and (number[:-1].isdecimal() and (number[-1].isdecimal() or number[-1] == "X")):
            qs = qs.filter(id_rev__startswith=number[::-1])
        else:
            raise Invalid(_("Give the full ID number (18 characters) or at least its last 4."), field="id_number")
    if name:
        qs = qs.filter(name=name.strip())
    if active is not None:
        qs = qs.filter(active=active)
    result = paginate(qs.select_related("household").order_by("area_code", "household_id", "pk"), page, page_size)
    revealer = Revealer(request, reveal, "registry.member")
    result["items"] = [member_out(m, revealer) for m in result["items"]]
    revealer.log(MEMBER_PII)
    return result


@router.get("/villages", response={200: VillagePage, 422: Error},
            summary="Villages in your area with their registered households and a year's profile")
def villages(request, area: str = "", year: int | None = None, status: str = "", page: int = 1,
             page_size: int = 100):
    """``year``: the profile's year (default: the latest); ``status``: villages whose profile
    of that year has this status (poor, key, delisted, none)."""
    scope = _narrow(request.user, area)
    qs = scope.filter(queries.villages(request.user), "code").select_related("parent")
    if status:
        wanted = VillageProfile.objects.filter(status=status)
        wanted = wanted.filter(year=year) if year else wanted
        qs = qs.filter(code__in=scope.filter(wanted).values("area_code"))
    result = paginate(qs.order_by("code"), page, page_size)
    page_villages = result["items"]
    codes_ = [v.code for v in page_villages]
    counts = {r["v"]: r for r in Household.objects.filter(village__code__in=codes_).exclude(status__in=codes.OFF_REGISTER_STATUSES)
              .order_by().annotate(v=Substr("area_code", 1, 12)).values("v")
              .annotate(h=Count("id"), n=Sum("size"),
                        ph=Count("id", filter=Q(status__in=codes.POOR_STATUSES)),
                        pn=Sum("size", filter=Q(status__in=codes.POOR_STATUSES)))}
    profiles = VillageProfile.objects.filter(area_code__in=codes_)
    profiles = profiles.filter(year=year) if year else profiles.order_by("area_code", "year")
    by_village = {p.area_code: p for p in profiles}  # the latest year wins when no year is asked
    fields = ["households", "population", "rural_population", "collective_income", "arable_mu", "forest_mu",
              "main_industries", "special_industries", "status", "status_year", "note"]
    items = []
    for v in page_villages:
        c = counts.get(v.code, {})
        p = by_village.get(v.code)
        items.append({"code": v.code, "name": v.name, "township_code": v.parent.code if v.parent else "",
                      "township_name": v.parent.name if v.parent else "", "households": c.get("h", 0),
                      "people": c.get("n") or 0, "poor_households": c.get("ph", 0), "poor_people": c.get("pn") or 0,
                      "profile_year": p.year if p else None,
                      "profile": {f: getattr(p, f) for f in fields} if p else None})
    result["items"] = items
    return result


@router.get("/stats", response={200: dict, 404: Error},
            summary="Statistics of an area: by status, category, cause and area; incidence rate; year by year")
def statistics(request, area: str = "", date: Day | None = None, source: str = ""):
    """``area``: an area code in your scope (default: your area); ``date``: also count the
    households in each status on that date; ``source``: ``live`` or ``rollup`` to force one."""
    data = stats.area_report(request.user, area or None, source=source if source in ("live", "rollup") else "",
                             on_date=date)
    return jsonable(data)
