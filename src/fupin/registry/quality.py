"""Data-quality checks over the registry: named rules, each one set-based query, run
over an area as a job that records a QualityRun and its QualityIssues.

A rule is a function here (its query) plus an entry in data/quality_rules.json (its
code, severity, Chinese and English message, source): the messages are data, like the
code lists, so a report is Chinese whatever the language of the process that made it
(the UI shows the English text when the user chose English). Ages and tolerances are
parameters in the same file; the poverty line is the national line of the identification standards.

Each rule returns a queryset of rows (hh, mem, area, detail) built from portable ORM
expressions; ``run_rule`` compiles it and executes one ``INSERT … SELECT`` into
registry_qualityissue. That includes the GB 11643 check digit and the date inside the
ID number, which are plain substring and integer arithmetic, so no rule reads rows
into Python.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as CaseExpr
from django.db.models.functions import (
    Abs,
    Cast,
    Coalesce,
    Concat,
    Length,
    Replace,
    StrIndex,
    Substr,
    Trim,
    Upper,
)
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from fupin.accounts.scoping import Scope, require, scope_for
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Invalid
from fupin.jobs.actions import NoProgress

from . import codes
from .models import Household, Income, Member, QualityIssue, QualityRun, StatusChange

DATA = Path(__file__).parent / "data"
SEVERITIES = ("error", "warning", "info")
SEVERITY_LABELS = {"error": gettext_lazy("Error"), "warning": gettext_lazy("Warning"), "info": gettext_lazy("Note")}
GROUP_LABELS = {
    "identity": gettext_lazy("Identity"),
    "household": gettext_lazy("Household composition"),
    "member": gettext_lazy("Members"),
    "cause": gettext_lazy("Causes of poverty"),
    "status": gettext_lazy("Status and years"),
    "income": gettext_lazy("Income"),
    "housing": gettext_lazy("Housing, water and contacts"),
}


# --- the data files -----------------------------------------------------------------

@cache
def _data() -> dict:
    return json.loads((DATA / "quality_rules.json").read_text(encoding="utf-8"))


def param(name: str):
    return _data()["parameters"][name]["value"]


def params() -> dict:
    return {k: v["value"] for k, v in _data()["parameters"].items()}


# Shown under the lines on the quality page and in a run's export.
LINES_NOTE = gettext_lazy("The national poverty line of the identification standards (whole country); "
                          "it is edited there, with its source document.")


def _national_line_rows():
    """The one book of poverty lines is identification's (``Line``, kind national, empty area
    prefix = the whole country): the registry keeps no second copy."""
    from fupin.identification.models import Line

    return Line.objects.filter(kind="national", area_prefix="", annual_value__isnull=False)


def national_lines() -> dict[int, Decimal]:
    """Year -> national poverty line (yuan per person per year)."""
    return dict(_national_line_rows().order_by("year").values_list("year", "annual_value"))


def line_source(year: int) -> str:
    return _national_line_rows().filter(year=year).values_list("source", flat=True).first() or ""


# A rule's source may say where its number comes from instead of quoting it: ``{national_line}``
# is the line above (named for the reader, in the reader's language), ``{<parameter>}`` is the
# source of that parameter of the data file (the law or practice it quotes). The page never shows
# the placeholder, the model or the key.
SOURCE_REFERENCES = {
    "national_line": gettext_lazy("The national poverty line of the identification standards (by year)"),
}
_REFERENCE = re.compile(r"\{([a-z_]+)\}")


def source_text(source: str) -> str:
    """A rule's source as the reader reads it: each ``{reference}`` replaced (see SOURCE_REFERENCES);
    ValueError for a reference that names nothing."""
    parameters = _data()["parameters"]

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name in SOURCE_REFERENCES:
            return str(SOURCE_REFERENCES[name])
        if name in parameters:
            return parameters[name]["source"]
        raise ValueError(f"quality rule source: unknown reference {{{name}}}")

    return _REFERENCE.sub(replace, source)


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    group: str
    zh: str
    en: str
    source: str
    query: Callable[[Context], QuerySet]

    @property
    def message(self) -> str:
        """The message in the current language (Chinese unless the user chose English)."""
        lang = translation.get_language() or "zh-hans"
        return self.en if lang.startswith("en") else self.zh

    @property
    def source_text(self) -> str:
        """The source as shown (references named for the reader; see ``source_text``)."""
        return source_text(self.source)

    @property
    def severity_label(self) -> str:
        return str(SEVERITY_LABELS[self.severity])

    @property
    def group_label(self) -> str:
        return str(GROUP_LABELS.get(self.group, self.group))


@dataclass(frozen=True)
class Context:
    """What a run checks: an area (code prefix), a reference date for ages, an income year."""

    prefix: str
    on: dt.date
    income_year: int

    @property
    def scope(self) -> Scope:
        return Scope([self.prefix])

    def born_by(self, age: int) -> dt.date:
        """The latest birth date of someone who is at least ``age`` on the reference date."""
        try:
            return self.on.replace(year=self.on.year - age)
        except ValueError:  # 29 February
            return self.on.replace(year=self.on.year - age, day=28)


_QUERIES: dict[str, Callable[[Context], QuerySet]] = {}


def rule(code: str):
    def register(fn):
        _QUERIES[code] = fn
        return fn

    return register


# --- expression helpers -------------------------------------------------------------

NO_MEMBER = Cast(Value(None), BigIntegerField())
TEXT = CharField()
DIGITS = "0123456789"


def _part(x):
    """A field name (an identifier such as ``birth_date`` or ``household__size``) is the field, cast to
    text; any other string (``" < "``) is literal text; an expression is cast to text."""
    if isinstance(x, str):
        return Cast(F(x), TEXT) if x.isidentifier() else Value(x)
    return x if isinstance(x, Value) else Cast(x, TEXT)


def _text(*parts) -> Concat | Cast | Value:
    """A detail string from field names, literal text and expressions."""
    out = [_part(x) for x in parts]
    if not out:
        return Value("")
    if len(out) == 1:
        return out[0]
    return Concat(*out, output_field=TEXT)


def _balanced_sum(terms: list):
    """a + b + … as a balanced tree: SQLite's parser overflows on a 16-deep chain of casts."""
    if len(terms) == 1:
        return terms[0]
    half = len(terms) // 2
    return _balanced_sum(terms[:half]) + _balanced_sum(terms[half:])


def _households(ctx: Context) -> QuerySet:
    return ctx.scope.filter(Household.objects.exclude(status__in=codes.OFF_REGISTER_STATUSES)).order_by()


def _members(ctx: Context, *, active: bool = True) -> QuerySet:
    qs = Member.objects.filter(active=active).exclude(household__status__in=codes.OFF_REGISTER_STATUSES)
    return ctx.scope.filter(qs, "household__area_code").order_by()


def _incomes(ctx: Context) -> QuerySet:
    qs = Income.objects.exclude(household__status__in=codes.OFF_REGISTER_STATUSES)
    return ctx.scope.filter(qs, "household__area_code").order_by()


def _hh_rows(qs: QuerySet, *detail) -> QuerySet:
    return qs.values(hh=F("pk"), mem=NO_MEMBER, area=F("area_code"), detail=_text(*detail))


def _member_rows(qs: QuerySet, *detail) -> QuerySet:
    return qs.values(hh=F("household_id"), mem=F("pk"), area=F("household__area_code"), detail=_text(*detail))


def _income_rows(qs: QuerySet, *detail) -> QuerySet:
    return qs.values(hh=F("household_id"), mem=NO_MEMBER, area=F("household__area_code"),
                     detail=_text(*detail))


def _has_member(**lookup) -> Exists:
    return Exists(Member.objects.filter(household=OuterRef("pk"), active=True, **lookup))


def _has_cause(code: str) -> Q:
    return Q(main_cause=code) | Q(cause2=code) | Q(cause3=code)


def _head(field: str) -> Subquery:
    """The value of ``field`` of the household's (first) active head, for a member row."""
    return Subquery(Member.objects.filter(household=OuterRef("household_id"), active=True, relation="01")
                    .order_by("pk").values(field)[:1])


def _age_between(ctx: Context, low: int, high: int) -> Q:
    """Aged ``low`` to ``high`` (inclusive) on the reference date."""
    return Q(birth_date__lte=ctx.born_by(low), birth_date__gt=ctx.born_by(high + 1))


def _phone_bad(qs: QuerySet, field: str = "phone") -> QuerySet:
    """Rows whose ``field`` is filled but not a phone number by rules.PHONE_RULE: the test of
    rules.is_valid_phone, in SQL (hyphens and spaces dropped, then 7–12 ASCII digits: every
    11-digit mobile number is among them). A test keeps the two in step."""
    cleaned = Replace(Replace(F(field), Value("-"), Value("")), Value(" "), Value(""))
    qs = qs.exclude(**{field: ""}).annotate(phone_clean=cleaned, phone_len=Length(cleaned))
    return qs.filter(~Q(IsDigits(F("phone_clean"))) | Q(phone_len__lt=7) | Q(phone_len__gt=12))


class IsDigits(Func):
    """True when the text is one or more ASCII digits: ``NOT GLOB`` on SQLite, a regular
    expression on PostgreSQL (both native and fast), a chain of REPLACE elsewhere."""

    arity = 1
    output_field = BooleanField()

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} <> '' AND {sql} NOT GLOB '*[^0-9]*')", [*params, *params]

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} ~ '^[0-9]+$')", params

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        stripped = sql
        for d in DIGITS:
            stripped = f"REPLACE({stripped}, '{d}', '')"
        return f"({sql} <> '' AND {stripped} = '')", [*params, *params]


# The ID number (GB 11643-1999), checked in SQL: 17 digits and a digit or X, the check
# digit (ISO 7064 MOD 11-2), the birth date in digits 7–14, the sex in digit 17. A digit's
# value is its position in "0123456789" (INSTR on SQLite, STRPOS on PostgreSQL), minus one:
# no CAST, so nothing can fail on a malformed number and the arithmetic needs no guard; the
# rules then keep only well-formed numbers (one GLOB or regular-expression test per row).
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def _digit(position: int):
    return StrIndex(Value(DIGITS), Substr("id_number", position, 1)) - 1


def _digits(start: int, count: int):
    return _balanced_sum([_digit(start + k) * 10 ** (count - 1 - k) for k in range(count)])


WELL_FORMED = (Q(id_len=18) & Q(IsDigits(Substr("id_number", 1, 17)))
               & (Q(IsDigits(Substr("id_number", 18, 1))) | Q(id_lastchar="X")))


def _with_id_parts(qs: QuerySet) -> QuerySet:
    """Annotate the parts of the ID number: ``id_len``, ``id_lastchar``, the birth date's ``id_y``/``id_m``/
    ``id_d`` and ``id_ymd``, ``id_sexdigit`` and ``id_expected`` (the check digit the first 17 digits call
    for). Meaningful where WELL_FORMED holds."""
    total = _balanced_sum([_digit(i + 1) * w for i, w in enumerate(ID_WEIGHTS)])
    return qs.exclude(id_number__isnull=True).exclude(id_number="").annotate(
        id_len=Length("id_number"), id_lastchar=Upper(Substr("id_number", 18, 1)),
        id_y=_digits(7, 4), id_m=_digits(11, 2), id_d=_digits(13, 2), id_ymd=_digits(7, 8),
        id_sexdigit=_digit(17), id_sum=total,
    ).annotate(id_expected=Substr(Value(ID_CHECK), F("id_sum") % 11 + 1, 1))


def _id_date_real() -> Q:
    """Digits 7–14 are a real calendar date (leap years: divisible by 4, not by 100 unless by 400)."""
    leap = Q(id_y4=0) & (~Q(id_y100=0) | Q(id_y400=0))
    too_long = Q(id_m__in=[4, 6, 9, 11], id_d__gt=30) | Q(id_m=2, id_d__gt=29) | (Q(id_m=2, id_d=29) & ~leap)
    return Q(id_m__gte=1, id_m__lte=12, id_d__gte=1, id_d__lte=31) & ~too_long


def _with_id_dates(qs: QuerySet) -> QuerySet:
    return _with_id_parts(qs).annotate(id_y4=F("id_y") % 4, id_y100=F("id_y") % 100, id_y400=F("id_y") % 400)


def _id_date_plausible(ctx: Context) -> Q:
    """A real date from the earliest plausible year up to the reference date."""
    return _id_date_real() & Q(id_y__gte=param("earliest_birth_year"), id_ymd__lte=int(ctx.on.strftime("%Y%m%d")))


# --- the rules: identity --------------------------------------------------------------

@rule("id_duplicate")
def _id_duplicate(ctx):
    norm = Upper(Trim("id_number"))
    dupes = (Member.objects.filter(active=True).exclude(id_number__isnull=True).exclude(id_number="")
             .annotate(n=norm).order_by().values("n").annotate(c=Count("pk")).filter(c__gt=1).values("n"))
    qs = _members(ctx).exclude(id_number__isnull=True).annotate(n=norm).filter(n__in=Subquery(dupes))
    return _member_rows(qs)


@rule("id_format")
def _id_format(ctx):
    return _member_rows(_with_id_parts(_members(ctx)).exclude(WELL_FORMED), "id_len")


@rule("id_check_digit")
def _id_check_digit(ctx):
    qs = _with_id_parts(_members(ctx)).filter(WELL_FORMED).exclude(id_expected=F("id_lastchar"))
    return _member_rows(qs)


@rule("id_birth_impossible")
def _id_birth_impossible(ctx):
    qs = _with_id_dates(_members(ctx)).filter(WELL_FORMED).exclude(_id_date_plausible(ctx))
    return _member_rows(qs, "id_ymd")


@rule("birth_mismatch_id")
def _birth_mismatch_id(ctx):
    """The birth date against the date the ID number states, compared as ISO text (YYYY-MM-DD): a date
    column cast to text is that on both databases, and nothing is cast to a date that might not exist."""
    stated = Concat(Substr("id_number", 7, 4), Value("-"), Substr("id_number", 11, 2), Value("-"),
                    Substr("id_number", 13, 2), output_field=TEXT)
    qs = (_with_id_dates(_members(ctx)).filter(WELL_FORMED).filter(_id_date_plausible(ctx))
          .exclude(birth_date__isnull=True).annotate(entered=Cast("birth_date", TEXT), stated=stated)
          .exclude(entered=F("stated")))
    return _member_rows(qs, "birth_date")


@rule("sex_mismatch_id")
def _sex_mismatch_id(ctx):
    from_id = CaseExpr(When(id_sexodd=1, then=Value("1")), default=Value("2"), output_field=TEXT)
    qs = (_with_id_parts(_members(ctx)).filter(WELL_FORMED).annotate(id_sexodd=F("id_sexdigit") % 2)
          .annotate(id_sex=from_id).exclude(sex=F("id_sex")))
    return _member_rows(qs, "sex")


@rule("no_id_no_reason")
def _no_id_no_reason(ctx):
    return _member_rows(_members(ctx).filter(Q(id_number__isnull=True) | Q(id_number="")).filter(no_id_reason=""))


@rule("birth_missing")
def _birth_missing(ctx):
    return _member_rows(_members(ctx).filter(birth_date__isnull=True))


@rule("age_impossible")
def _age_impossible(ctx):
    qs = _members(ctx).filter(Q(birth_date__gt=ctx.on) | Q(birth_date__lte=ctx.born_by(param("max_age") + 1)))
    return _member_rows(qs, "birth_date")


# --- household composition ----------------------------------------------------------

def _count_members(**lookup) -> Count:
    return Count("members", filter=Q(members__active=True, **{f"members__{k}": v for k, v in lookup.items()}))


@rule("no_members")
def _no_members(ctx):
    return _hh_rows(_households(ctx).exclude(_has_member()))


@rule("no_head")
def _no_head(ctx):
    return _hh_rows(_households(ctx).filter(_has_member()).exclude(_has_member(relation="01")))


@rule("two_heads")
def _two_heads(ctx):
    return _hh_rows(_households(ctx).annotate(n=_count_members(relation="01")).filter(n__gt=1), "n")


@rule("head_under_age")
def _head_under_age(ctx):
    qs = _members(ctx).filter(relation="01", birth_date__gt=ctx.born_by(param("head_min_age")))
    return _member_rows(qs, "birth_date")


@rule("spouse_count")
def _spouse_count(ctx):
    return _hh_rows(_households(ctx).annotate(n=_count_members(relation="02")).filter(n__gt=1), "n")


@rule("child_older_than_head")
def _child_older_than_head(ctx):
    qs = _members(ctx).filter(relation__in=["03", "04"]).annotate(head_birth=_head("birth_date")).filter(
        birth_date__lt=F("head_birth"))
    return _member_rows(qs, "birth_date", " < ", "head_birth")


@rule("parent_younger_than_head")
def _parent_younger_than_head(ctx):
    qs = _members(ctx).filter(relation__in=["11", "12"]).annotate(head_birth=_head("birth_date")).filter(
        birth_date__gt=F("head_birth"))
    return _member_rows(qs, "birth_date", " > ", "head_birth")


@rule("size_mismatch")
def _size_mismatch(ctx):
    qs = _households(ctx).annotate(n=_count_members()).exclude(size=F("n"))
    return _hh_rows(qs, "size", " ≠ ", "n")


@rule("head_name_mismatch")
def _head_name_mismatch(ctx):
    head = Subquery(Member.objects.filter(household=OuterRef("pk"), active=True, relation="01")
                    .order_by("pk").values("name")[:1])
    qs = _households(ctx).annotate(head=head).exclude(head__isnull=True).exclude(head_name=F("head"))
    return _hh_rows(qs)


@rule("member_area_mismatch")
def _member_area_mismatch(ctx):
    return _member_rows(_members(ctx).exclude(area_code=F("household__area_code")), "area_code")


# --- members' situation -------------------------------------------------------------

def _out_of_school(ctx: Context) -> QuerySet:
    return _members(ctx).filter(_age_between(ctx, param("school_age_from"), param("school_age_to")),
                                school_status="00").exclude(health__in=["3", "4"])


@rule("school_age_out_of_school")
def _school_age_out_of_school(ctx):
    return _member_rows(_out_of_school(ctx), "birth_date")


@rule("exited_child_out_of_school")
def _exited_child_out_of_school(ctx):
    qs = _members(ctx).filter(_age_between(ctx, param("school_age_from"), param("school_age_to")),
                              school_status="00", household__status__in=codes.EXITED_STATUSES)
    return _member_rows(qs, "birth_date")


@rule("child_labour")
def _child_labour(ctx):
    qs = _members(ctx).filter(birth_date__gt=ctx.born_by(param("working_age_from")), labour__in=["1", "2"])
    return _member_rows(qs, "birth_date")


@rule("disabled_no_grade")
def _disabled_no_grade(ctx):
    return _member_rows(_members(ctx).filter(health="4", disability_grade=""))


@rule("grade_not_disabled")
def _grade_not_disabled(ctx):
    return _member_rows(_members(ctx).exclude(disability_grade="").exclude(health="4"), "health")


@rule("student_not_in_school")
def _student_not_in_school(ctx):
    return _member_rows(_members(ctx).filter(work_status="6", school_status="00"))


@rule("work_months_range")
def _work_months_range(ctx):
    return _member_rows(_members(ctx).filter(work_months__gt=12), "work_months")


@rule("migrant_no_place")
def _migrant_no_place(ctx):
    return _member_rows(_members(ctx).filter(work_status="2", work_place=""))


@rule("member_phone_malformed")
def _member_phone_malformed(ctx):
    return _member_rows(_phone_bad(_members(ctx)))


@rule("no_medical_insurance")
def _no_medical_insurance(ctx):
    return _member_rows(_members(ctx).filter(medical_insurance=False))


@rule("left_no_date")
def _left_no_date(ctx):
    return _member_rows(_members(ctx, active=False).filter(left_date__isnull=True))


@rule("left_no_reason")
def _left_no_reason(ctx):
    return _member_rows(_members(ctx, active=False).filter(left_reason=""))


@rule("active_with_left_data")
def _active_with_left_data(ctx):
    return _member_rows(_members(ctx).filter(Q(left_date__isnull=False) | ~Q(left_reason="")))


@rule("dibao_member_general_household")
def _dibao_member_general(ctx):
    return _member_rows(_members(ctx).filter(dibao=True, household__category="1"))


@rule("tekun_member_general_household")
def _tekun_member_general(ctx):
    return _member_rows(_members(ctx).filter(tekun=True, household__category="1"))


@rule("dibao_household_no_member")
def _dibao_household_no_member(ctx):
    return _hh_rows(_households(ctx).filter(category="2").exclude(_has_member(dibao=True)))


@rule("tekun_household_no_member")
def _tekun_household_no_member(ctx):
    return _hh_rows(_households(ctx).filter(category="3").exclude(_has_member(tekun=True)))


# --- causes -------------------------------------------------------------------------

@rule("main_cause_empty")
def _main_cause_empty(ctx):
    return _hh_rows(_households(ctx).filter(main_cause=""))


@rule("cause_repeated")
def _cause_repeated(ctx):
    repeated = (Q(main_cause=F("cause2")) | Q(main_cause=F("cause3"))) & ~Q(main_cause="") | (
        Q(cause2=F("cause3")) & ~Q(cause2=""))
    return _hh_rows(_households(ctx).filter(repeated))


@rule("cause_school_no_student")
def _cause_school_no_student(ctx):
    student = Exists(Member.objects.filter(household=OuterRef("pk"), active=True).exclude(school_status="00"))
    return _hh_rows(_households(ctx).filter(_has_cause("03")).exclude(student))


@rule("cause_illness_no_ill")
def _cause_illness_no_ill(ctx):
    return _hh_rows(_households(ctx).filter(_has_cause("01")).exclude(_has_member(health__in=["2", "3"])))


@rule("cause_disability_no_disabled")
def _cause_disability_no_disabled(ctx):
    return _hh_rows(_households(ctx).filter(_has_cause("02")).exclude(_has_member(health="4")))


@rule("cause_labour_has_workers")
def _cause_labour_has_workers(ctx):
    worker = Exists(Member.objects.filter(household=OuterRef("pk"), active=True, labour__in=["1", "2"]).filter(
        _age_between(ctx, param("working_age_from"), param("working_age_to"))))
    return _hh_rows(_households(ctx).filter(_has_cause("08")).filter(worker))


# --- status and years ---------------------------------------------------------------

@rule("category_empty")
def _category_empty(ctx):  # (a household off the register needs none: _households leaves it out)
    return _hh_rows(_households(ctx).filter(category=""))


@rule("standard_empty")
def _standard_empty(ctx):
    return _hh_rows(_households(ctx).filter(standard=""))


@rule("identified_year_missing")
def _identified_year_missing(ctx):
    return _hh_rows(_households(ctx).filter(identified_year__isnull=True))


@rule("identified_year_future")
def _identified_year_future(ctx):
    return _hh_rows(_households(ctx).filter(identified_year__gt=ctx.on.year), "identified_year")


@rule("exited_no_exit_year")
def _exited_no_exit_year(ctx):
    return _hh_rows(_households(ctx).filter(status__in=codes.EXITED_STATUSES, exit_year__isnull=True))


@rule("exit_before_identified")
def _exit_before_identified(ctx):
    return _hh_rows(_households(ctx).filter(exit_year__lt=F("identified_year")), "exit_year", " < ",
                    "identified_year")


@rule("exit_year_not_exited")
def _exit_year_not_exited(ctx):
    qs = _households(ctx).filter(status__in=["identified", "registered"], exit_year__isnull=False)
    return _hh_rows(qs, "exit_year")


@rule("planned_exit_before_identified")
def _planned_exit_before_identified(ctx):
    return _hh_rows(_households(ctx).filter(planned_exit_year__lt=F("identified_year")), "planned_exit_year",
                    " < ", "identified_year")


@rule("returned_no_year_reason")
def _returned_no_year_reason(ctx):
    qs = _households(ctx).filter(status="returned").filter(Q(return_year__isnull=True) | Q(return_reason=""))
    return _hh_rows(qs)


@rule("return_before_exit")
def _return_before_exit(ctx):
    qs = _households(ctx).filter(return_year__isnull=False).filter(
        Q(exit_year__isnull=True) | Q(return_year__lt=F("exit_year")))
    return _hh_rows(qs, "return_year")


@rule("status_history_mismatch")
def _status_history_mismatch(ctx):
    latest = Subquery(StatusChange.objects.filter(household=OuterRef("pk")).order_by("-date", "-pk")
                      .values("status")[:1])
    qs = _households(ctx).annotate(latest=latest).filter(Q(latest__isnull=True) | ~Q(latest=F("status")))
    return _hh_rows(qs, "status")


# --- income -------------------------------------------------------------------------

def _items_sum():
    from .rules import INCOME_ITEMS

    return _balanced_sum([F(f) for f in INCOME_ITEMS])


def _tolerance() -> Value:
    return Value(Decimal(str(param("amount_tolerance"))), output_field=DecimalField(max_digits=12, decimal_places=4))


@rule("no_income_last_year")
def _no_income_last_year(ctx):
    has = Exists(Income.objects.filter(household=OuterRef("pk"), year=ctx.income_year))
    qs = _households(ctx).filter(Q(identified_year__isnull=True) | Q(identified_year__lte=ctx.income_year))
    return _hh_rows(qs.exclude(has), Value(str(ctx.income_year)))


@rule("income_total_mismatch")
def _income_total_mismatch(ctx):
    qs = _incomes(ctx).annotate(items=_items_sum()).annotate(diff=Abs(F("total_income") - F("items"))).filter(
        diff__gt=_tolerance())
    return _income_rows(qs, "year", ": ", "total_income", " ≠ ", "items")


@rule("per_capita_mismatch")
def _per_capita_mismatch(ctx):
    money = DecimalField(max_digits=16, decimal_places=4)
    off = Abs(F("per_capita") * Cast("household_size", money) - (F("total_income") - F("production_costs")))
    qs = _incomes(ctx).annotate(off=off).filter(
        Q(household_size=0) | Q(off__gt=_tolerance() * Cast("household_size", money) + _tolerance()))
    return _income_rows(qs, "year", ": ", "per_capita")


@rule("income_size_differs")
def _income_size_differs(ctx):
    active = Subquery(Member.objects.filter(household=OuterRef("household_id"), active=True).order_by()
                      .values("household").annotate(c=Count("pk")).values("c"))
    qs = _incomes(ctx).filter(year=ctx.income_year).annotate(n=Coalesce(active, 0)).exclude(household_size=F("n"))
    return _income_rows(qs, "year", ": ", "household_size", " ≠ ", "n")


@rule("per_capita_above_line")
def _per_capita_above_line(ctx):
    line = national_lines().get(ctx.income_year)
    if line is None:  # no line for that year: nothing to compare with (the run's log says so)
        return _income_rows(_incomes(ctx).none())
    qs = _incomes(ctx).filter(year=ctx.income_year, per_capita__gt=line, household__standard="1",
                              household__status__in=codes.POOR_STATUSES)
    return _income_rows(qs, "year", ": ", "per_capita", f" > {line}")


# --- housing, water, contacts, land -------------------------------------------------

@rule("danger_exited_no_renovation")
def _danger_exited_no_renovation(ctx):
    qs = _households(ctx).filter(danger_grade__in=["C", "D"], renovated_year__isnull=True,
                                 status__in=codes.EXITED_STATUSES)
    return _hh_rows(qs, "danger_grade")


@rule("relocated_no_mode")
def _relocated_no_mode(ctx):
    return _hh_rows(_households(ctx).filter(relocated=True, relocation_mode=""))


@rule("relocation_not_relocated")
def _relocation_not_relocated(ctx):
    return _hh_rows(_households(ctx).filter(relocated=False).filter(~Q(relocation_mode="") | ~Q(relocation_place="")))


@rule("water_contradiction")
def _water_contradiction(ctx):
    return _hh_rows(_households(ctx).filter(water_difficult=True, water_safe=True))


@rule("exited_water_unsafe")
def _exited_water_unsafe(ctx):
    qs = _households(ctx).filter(status__in=codes.EXITED_STATUSES).filter(Q(water_safe=False) |
                                                                          Q(water_difficult=True))
    return _hh_rows(qs)


@rule("bank_account_empty")
def _bank_account_empty(ctx):
    return _hh_rows(_households(ctx).filter(status__in=codes.POOR_STATUSES, bank_account=""))


@rule("household_phone_malformed")
def _household_phone_malformed(ctx):
    return _hh_rows(_phone_bad(_households(ctx)))


@rule("irrigated_exceeds_arable")
def _irrigated_exceeds_arable(ctx):
    return _hh_rows(_households(ctx).filter(irrigated_mu__gt=F("arable_mu")), "irrigated_mu", " > ", "arable_mu")


# --- the rule list ------------------------------------------------------------------

@cache
def rules() -> dict[str, Rule]:
    """Every rule, in the order of the data file. The data file and the queries must name
    the same codes (a test checks it)."""
    p = params()
    out = {}
    for entry in _data()["rules"]:
        code = entry["code"]
        if entry["severity"] not in SEVERITIES:
            raise ValueError(f"quality rule {code}: unknown severity {entry['severity']!r}")
        source_text(entry["source"])  # every reference names something
        out[code] = Rule(code=code, severity=entry["severity"], group=entry["group"], zh=entry["zh"].format(**p),
                         en=entry["en"].format(**p), source=entry["source"], query=_QUERIES[code])
    missing = set(_QUERIES) - set(out)
    if missing:
        raise ValueError(f"quality rules without an entry in quality_rules.json: {sorted(missing)}")
    return out


def get_rule(code: str) -> Rule | None:
    return rules().get(code)


# --- running --------------------------------------------------------------------------

def run_rule(run: QualityRun, rule_: Rule, ctx: Context) -> int:
    """One INSERT … SELECT of the rule's offending rows into the run's issues. Returns the row count."""
    try:
        sql, sql_params = rule_.query(ctx).query.sql_with_params()
    except EmptyResultSet:  # the rule has nothing to check (e.g. no poverty line for the year)
        return 0
    qn = connection.ops.quote_name
    table = qn(QualityIssue._meta.db_table)
    columns = ", ".join(qn(c) for c in ("run_id", "rule", "severity", "household_id", "member_id", "area_code",
                                        "detail"))
    statement = (f"INSERT INTO {table} ({columns}) "  # noqa: S608 (names from the model, values as parameters)
                 f"SELECT %s, %s, %s, q.hh, q.mem, q.area, SUBSTR(COALESCE(q.detail, ''), 1, 200) FROM ({sql}) q")
    with connection.cursor() as cursor:
        cursor.execute(statement, [run.pk, rule_.code, rule_.severity, *sql_params])
        return max(cursor.rowcount, 0)


def _area(code: str) -> Area:
    try:
        return Area.objects.get(code=code, valid_to__isnull=True)
    except Area.DoesNotExist:
        raise Invalid(_("Area %(code)s does not exist.") % {"code": code}, field="area_code") from None


def check_area(actor: Actor, area_code: str) -> Area:
    """The area a run or a duplicates search may cover: a current area of any level down to the
    village, where the actor may edit the registry."""
    area = _area((area_code or "").strip())
    if area.level == "group":
        raise Invalid(_("Choose a village or a larger area."), field="area_code")
    require(actor, "registry.edit", area.code)
    return area


def execute(actor: Actor, area: Area, *, on: dt.date, income_year: int, job=None, progress=None,
            only: list[str] | None = None) -> QualityRun:
    """Run every rule (or ``only`` those) over ``area``: one QualityRun, then one INSERT … SELECT
    per rule. Progress is rules done / rules total. If a rule fails, the run and its issues are
    deleted and the error is raised (nothing half-written stays)."""
    require(actor, "registry.edit", area.code)
    ctx = Context(prefix=area.prefix, on=on, income_year=income_year)
    selected = [r for r in rules().values() if only is None or r.code in only]
    progress = progress or NoProgress()
    run = QualityRun.objects.create(area_code=area.code, job=job, reference_date=on, income_year=income_year)
    progress.set_total(len(selected))
    if income_year not in national_lines():
        progress.log(_("No national poverty line for %(year)s: rule per_capita_above_line checks nothing.")
                     % {"year": income_year})
    counts: dict[str, int] = {}
    try:
        for i, r in enumerate(selected, start=1):
            counts[r.code] = run_rule(run, r, ctx)
            progress.update(i, message=f"{r.code}: {counts[r.code]}")
    except Exception:
        with transaction.atomic():
            QualityIssue.objects.filter(run=run).delete()
            run.delete()
        raise
    run.issue_count = sum(counts.values())
    run.save(update_fields=["issue_count"])
    audit.record(actor, "registry.quality.run", kind="bulk", obj=run, object_repr=area.name, area_code=area.code,
                 count=run.issue_count, after={"on": on, "income_year": income_year,
                                               "issues": {k: v for k, v in counts.items() if v}})
    return run


@task()
def quality_run_task(job_id: str) -> None:
    from fupin.jobs.actions import run as run_job

    def body(progress):
        p = progress.params
        area = check_area(progress.actor, p["area_code"])
        run = execute(progress.actor, area, on=dt.date.fromisoformat(p["on"]), income_year=int(p["income_year"]),
                      job=progress.job, progress=progress)
        progress.succeed({"run": run.pk, "issues": run.issue_count},
                         message=ngettext("%(n)s issue found.", "%(n)s issues found.", run.issue_count)
                         % {"n": run.issue_count})

    run_job(job_id, body)


def start(actor: Actor, area_code: str, *, on: dt.date | None = None, income_year: int | None = None):
    """Check permission and start the run as a background job. Returns the job."""
    from fupin.jobs import actions as jobs

    area = check_area(actor, area_code)
    on = on or clock.today()
    income_year = income_year or on.year - 1
    if income_year > on.year:
        raise Invalid(_("The income year cannot be after the reference date."), field="income_year")
    return jobs.start(actor, quality_run_task, kind="registry.quality",
                      title=_("Data-quality check of %(area)s") % {"area": area.name}, area_code=area.code,
                      params={"area_code": area.code, "on": on.isoformat(), "income_year": income_year})


# --- scoped reads of runs -------------------------------------------------------------

def visible_runs(user):
    """Runs over an area inside the user's registry scope (a run over a larger area is not shown)."""
    return scope_for(user, "registry.view").filter(QualityRun.objects.select_related("job"))
