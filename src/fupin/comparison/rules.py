"""Pure policy of the data comparison: the kinds of data sets (data/kinds.json), the
parsing of their cells, the before/after classification of a hit against the
identification cut-off, the decisions and who may take them. No ORM here, and no
policy numbers: the columns, the fact a hit becomes and the cut-off dates are data.

Seed 003 第二篇: a fact that existed before the identification date (精准识别) may
veto registration (一票否决) — the village decides whether it does, or keeps the
household despite it with a written reason; a fact that arose after that date never
vetoes (识别后发生的情况不适用“一票否决”)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fupin.areas import rules as area_rules
from fupin.core import dates
from fupin.registry.rules import parse_id_number

DATA = Path(__file__).resolve().parent / "data"

# Fields of a record that have their own column; every other field goes into its JSON.
OWN_FIELDS = ("id_number", "name", "area_code", "event_date", "amount")
TYPES = ("text", "date", "decimal", "int", "id_number", "area_code")
TEXT_MAX = 200
AMOUNT_DIGITS, AMOUNT_PLACES = 14, 2

# Phases of a hit.
BEFORE, AFTER, UNDATED, INFO = "before", "after", "undated", "info"
PHASES = {
    BEFORE: gettext_lazy("Before the cut-off (may veto)"),
    AFTER: gettext_lazy("After the cut-off (never vetoes)"),
    UNDATED: gettext_lazy("Date or cut-off unknown (needs a decision)"),
    INFO: gettext_lazy("Information only"),
}
NEEDS_DECISION = (BEFORE, UNDATED)
# The kinds a hit is counted and listed as: its phase, with the UNDATED hits told apart by
# their cut-off — no cut-off date set for the hit's area (NO_CUTOFF), or a cut-off set and a
# record without a date (UNDATED: "date unknown"). Both are stored as UNDATED (the hit's phase).
# This is the ONE definition of the split: each kind is the field lookups of its hits (plain
# data; queries.COUNT_FILTERS makes them the ORM's conditions for the hit list's phase filter,
# a data set's counts, a matching run's counts and the statistics of the check), and
# count_kind reads them for one hit (Hit.count_kind, which the templates show). Every hit is
# of exactly one kind.
NO_CUTOFF = "no_cutoff"
COUNT_KINDS = {
    BEFORE: {"phase": BEFORE},
    NO_CUTOFF: {"phase": UNDATED, "cutoff__isnull": True},
    UNDATED: {"phase": UNDATED, "cutoff__isnull": False},
    AFTER: {"phase": AFTER},
    INFO: {"phase": INFO},
}
# The count kinds in order, with their labels: what a matching run counts (matching.match_dataset,
# its job's message and audit event), a data set's page and the hit list's phase filter offer.
MATCH_COUNTS = {
    BEFORE: PHASES[BEFORE],
    NO_CUTOFF: gettext_lazy("No cut-off date set (needs a decision)"),
    UNDATED: gettext_lazy("Date unknown (needs a decision)"),
    AFTER: PHASES[AFTER],
    INFO: PHASES[INFO],
}

# States of a hit in the verification queue.
OPEN, DECIDED, APPROVED, ARCHIVED, NOTED = "open", "decided", "approved", "archived", "info"
STATUSES = {
    OPEN: gettext_lazy("Waiting for the village's decision"),
    DECIDED: gettext_lazy("Decided by the village, waiting for the township"),
    APPROVED: gettext_lazy("Approved by the township, waiting for the county archive"),
    ARCHIVED: gettext_lazy("Archived by the county"),
    NOTED: gettext_lazy("Recorded for information"),
}

# Decisions (核查处理意见).
VETO, KEPT, ERROR = "veto", "kept", "error"
DECISIONS = {
    VETO: gettext_lazy("Veto confirmed (否决)"),
    KEPT: gettext_lazy("Kept despite the hit, with a reason (不予否决)"),
    ERROR: gettext_lazy("Data error (数据有误)"),
}
# The identification fact status each decision becomes (identification.models.MemberFact).
FACT_STATUS = {VETO: "confirmed", KEPT: "kept", ERROR: "error"}
# Decisions that need a written reason: keeping a household despite the hit (seed 003:
# 提出否决或不否决的意见和理由), and saying what is wrong with the data.
REASON_REQUIRED = (KEPT, ERROR)

# Permissions.
VIEW, IMPORT = "comparison.view", "comparison.import"
DECIDE, REVIEW, ARCHIVE = "comparison.decide", "comparison.review", "comparison.archive"
EDIT_CUTOFF = "standards.edit"


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    type: str
    required: bool = False
    max_length: int = TEXT_MAX


@dataclass(frozen=True)
class Kind:
    code: str
    zh: str
    en: str
    department: str
    veto_fact: str | None
    unique: tuple[str, ...]
    columns: tuple[Column, ...]
    event_label: str = ""
    amount_label: str = ""
    linkage: dict | None = None

    @property
    def label(self) -> str:
        """The kind's name in the reader's language only (as registry.codes labels are chosen)."""
        lang = translation.get_language() or "zh-hans"
        return self.en if lang.startswith("en") else self.zh

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def required_headers(self) -> list[str]:
        return [c.header for c in self.columns if c.required]

    @property
    def extra_columns(self) -> list[Column]:
        return [c for c in self.columns if c.field not in OWN_FIELDS]

    def column(self, field: str) -> Column | None:
        return next((c for c in self.columns if c.field == field), None)

    @property
    def may_veto(self) -> bool:
        return bool(self.veto_fact)


def _check_kind(code: str, raw: dict, fact_kinds) -> Kind:
    columns = []
    for c in raw["columns"]:
        if c["type"] not in TYPES:
            raise ValueError(f"kinds.json: {code}.{c['field']}: unknown type {c['type']}")
        columns.append(Column(header=c["header"], field=c["field"], type=c["type"], required=bool(c.get("required")),
                              max_length=int(c.get("max_length", TEXT_MAX))))
    fields = [c.field for c in columns]
    if len(set(fields)) != len(fields) or len({c.header for c in columns}) != len(columns):
        raise ValueError(f"kinds.json: {code}: a field or header is given twice")
    id_col = next((c for c in columns if c.field == "id_number"), None)
    if id_col is None or id_col.type != "id_number" or not id_col.required:
        raise ValueError(f"kinds.json: {code}: every kind is keyed on a required id_number column")
    for own, typ in (("event_date", "date"), ("amount", "decimal"), ("area_code", "area_code")):
        col = next((c for c in columns if c.field == own), None)
        if col is not None and col.type != typ:
            raise ValueError(f"kinds.json: {code}.{own} must be of type {typ}")
    if any(u not in fields for u in raw.get("unique", [])):
        raise ValueError(f"kinds.json: {code}: 'unique' names an unknown field")
    veto = raw.get("veto_fact")
    if veto is not None and fact_kinds is not None and veto not in fact_kinds:
        raise ValueError(f"kinds.json: {code}: unknown fact kind {veto}")
    return Kind(code=code, zh=raw["zh"], en=raw["en"], department=raw.get("department", ""), veto_fact=veto,
                unique=tuple(raw.get("unique", ["id_number"])), columns=tuple(columns),
                event_label=raw.get("event_label", ""), amount_label=raw.get("amount_label", ""),
                linkage=raw.get("linkage"))


@cache
def kinds() -> dict[str, Kind]:
    """The kinds of data set, from data/kinds.json (checked on load)."""
    from fupin.identification.rules import FACT_KINDS

    raw = json.loads((DATA / "kinds.json").read_text(encoding="utf-8"))
    return {code: _check_kind(code, k, FACT_KINDS) for code, k in raw["kinds"].items()}


def kind(code: str) -> Kind:
    try:
        return kinds()[code]
    except KeyError:
        raise ValueError(_("Unknown kind of data set: %(kind)s (one of %(kinds)s)")
                         % {"kind": code, "kinds": ", ".join(kinds())}) from None


def kind_choices() -> list[tuple[str, str]]:
    return [(k.code, k.label) for k in kinds().values()]


def linkage_kinds() -> list[Kind]:
    return [k for k in kinds().values() if k.linkage]


# --- cells -----------------------------------------------------------------------

def parse_date(text: str) -> dt.date:
    """2016-05-01, 2016/5/1, 2016.05.01, 2016年5月1日 or 20160501 (core.dates.parse_date)."""
    return dates.parse_date(text)


def parse_decimal(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise ValueError(_("not a number")) from None
    if not value.is_finite():
        raise ValueError(_("not a number"))
    if value < 0:
        raise ValueError(_("cannot be negative"))
    value = value.quantize(Decimal(1).scaleb(-AMOUNT_PLACES), rounding=ROUND_HALF_UP)
    if value >= Decimal(10) ** (AMOUNT_DIGITS - AMOUNT_PLACES):
        raise ValueError(_("out of range"))
    return value


_CHECK = "0123456789X"


def valid_id_number(text: str, today: dt.date) -> str | None:
    """The ID number as registry.rules.parse_id_number normalises it when that function
    accepts it (18 characters, a real birth date from 1880 to today, the GB 11643 check
    digit), else None — a fast path for files of millions of rows; parse_id_number
    itself gives the reason for a number this refuses (a test keeps the two in step)."""
    number = text.strip().upper().replace(" ", "")
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return None
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    if birth > today or birth.year < 1880:
        return None
    if _CHECK[(1 - 2 * int(number[:17], 13)) % 11] != number[17]:  # GB 11643 (as python-stdnum computes it)
        return None
    return number


def cell_parser(col: Column, today: dt.date):
    """A function parsing the cells of one column (parse_cell, with the empty cell and the
    ID number's fast path handled first: the import calls it millions of times)."""
    if col.type == "id_number":
        def parse_id(text: str):
            return valid_id_number(text, today) or parse_cell(col, text, today=today)
        return parse_id
    if col.type == "text":
        required, max_length = col.required, col.max_length

        def parse_text(text: str):
            if text and len(text) <= max_length:
                return text
            if not text and not required:
                return None
            return parse_cell(col, text, today=today)
        return parse_text

    def parse(text: str):
        return parse_cell(col, text, today=today)
    return parse


def parse_cell(col: Column, text: str, *, today: dt.date):
    """The value of one cell (None when empty and allowed); ValueError with the reason."""
    if text == "":
        if col.required:
            raise ValueError(_("required"))
        return None
    if col.type == "id_number":
        return valid_id_number(text, today) or parse_id_number(text).number
    if col.type == "date":
        value = parse_date(text)
        if value > today:
            raise ValueError(_("a date in the future"))
        return value
    if col.type == "decimal":
        return parse_decimal(text)
    if col.type == "int":
        try:
            value = int(text)
        except ValueError:
            raise ValueError(_("not a whole number")) from None
        if not 0 <= value <= 2_147_483_647:
            raise ValueError(_("out of range"))
        return value
    if col.type == "area_code":
        if not area_rules.is_valid_code(text):
            raise ValueError(_("not a 12-digit (or 15-digit village group) division code"))
        return text
    if len(text) > col.max_length:
        raise ValueError(_("longer than %(n)s characters") % {"n": col.max_length})
    return text


def area_prefix(area_code: str) -> str:
    """The significant digits of an area code ('' for the whole country)."""
    return area_rules.prefix_of(area_code) if area_code else ""


def padded(prefix: str) -> str:
    return prefix.ljust(12, "0") if prefix and len(prefix) <= 12 else prefix


# --- before / after ----------------------------------------------------------------

def phase(kind_: Kind, event_date: dt.date | None, cutoff: dt.date | None) -> str:
    """A hit's phase (the SQL of matching computes the same; this is kept to be tested).
    A fact dated on the cut-off day itself existed at identification: before."""
    if not kind_.may_veto:
        return INFO
    if event_date is None or cutoff is None:
        return UNDATED
    return BEFORE if event_date <= cutoff else AFTER


def _holds(lookups: dict, fields: dict) -> bool:
    """Whether a hit's fields meet the lookups of a count kind (``name`` equals, ``name__isnull``)."""
    for lookup, wanted in lookups.items():
        name, _sep, op = lookup.partition("__")
        value = fields[name]
        if op == "isnull":
            if (value is None) != wanted:
                return False
        elif op:
            raise ValueError(f"COUNT_KINDS: lookup {lookup} is not read for one hit")
        elif value != wanted:
            return False
    return True


def count_kind(phase_: str, cutoff: dt.date | None) -> str | None:
    """The count kind (COUNT_KINDS) of a hit with this phase and cut-off; None for a phase
    that is none of them."""
    fields = {"phase": phase_, "cutoff": cutoff}
    return next((kind_ for kind_, lookups in COUNT_KINDS.items() if _holds(lookups, fields)), None)


def initial_status(phase_: str) -> str:
    return OPEN if phase_ in NEEDS_DECISION else NOTED


def check_decision(decision: str, reason: str) -> str:
    """The decision's reason, cleaned; ValueError when the decision is unknown or its
    reason missing."""
    if decision not in DECISIONS:
        raise ValueError(_("Choose a decision: veto confirmed, kept despite the hit, or data error."))
    reason = (reason or "").strip()
    if decision in REASON_REQUIRED and not reason:
        if decision == KEPT:
            raise ValueError(_("Keeping a household despite the hit needs a written reason (e.g. the family "
                               "is truly in hardship)."))
        raise ValueError(_("Say what is wrong with the data."))
    return reason


def may_review(decided_by_id, reviewer_id) -> bool:
    """The township's review is by someone other than the one who decided."""
    return decided_by_id is None or decided_by_id != reviewer_id


# --- 两项制度衔接 ----------------------------------------------------------------------

def rate(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage with one decimal (None when whole is 0)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
