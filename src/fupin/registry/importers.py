"""Bulk import of the registry from the flat national exchange format (exchange.py):
one row per member, the household's columns repeated, 户编号 ties the rows.

All or nothing: either every row goes in, or nothing is written and the report
names every bad row (row number, column, value, reason).

The same shape on PostgreSQL and SQLite, and memory stays flat whatever the size:

1. The file is streamed (core.tabular.read_table). Every cell is parsed with
   exchange.parse_cell in Python — no queries — and each row goes into a staging
   table (TEMP on SQLite; on PostgreSQL an UNLOGGED table named with the backend's
   pid, which parallel workers can read): COPY on PostgreSQL, executemany batches on
   SQLite. On PostgreSQL a CSV file is COPYed as text and parsed in SQL instead (the
   fast path below), with the rows SQL is not sure of parsed by the same Python.
2. In one transaction, SQL builds a staging row per household, matches households
   on 户编号 and members on their ID number (members without one on name + birth
   date within the household), and checks across rows and against the registry:
   the actor's areas, unknown area codes, household columns that disagree between
   rows of one household, exactly one head, an ID number twice in the file or
   already an active member of another household, a status date before the last
   recorded change.
3. If anything is wrong, or on a dry run, the transaction is rolled back.
   Otherwise a few INSERT … SELECT and UPDATE … FROM statements write the result,
   the audit log gets one bulk event with counts and the households touched, plus
   an event with the before/after values of every changed household and member.

Re-importing a household that exists updates it. Members of that household that
are not in the file are left as they are (an exchange file may be a partial
extract; a member leaves only through the documented "member leaves" action, with
a reason and a date). A cell left empty in a yes/no column, or a column missing
from the file, leaves the stored value as it is; any other empty cell clears it.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import functools
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fupin.accounts.scoping import can, scope_for
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock, tabular
from fupin.core.actor import Actor
from fupin.core.errors import Forbidden, Invalid
from fupin.core.tabular import ErrorReport, read_table, require_headers

from . import codes, exchange, rules
from .actions import add_to_open_rounds, pinyin
from .models import Household, Income, Member, StatusChange

HEAD = codes.zh_to_code("relation")["户主"]
DISABLED = codes.zh_to_code("health")["残疾"]
SOURCE = "import"
BATCH_ROWS = 20_000  # rows per COPY statement / progress report
SQLITE_BATCH = 2_000  # rows per executemany
STREAM_CHUNK = 2_000  # rows fetched at a time from the staging tables
CACHE_LIMIT = 50_000  # distinct values remembered per column
STAGE_INDEX_LIMIT = 100_000  # PostgreSQL: staging rows up to which the staging table gets lookup indexes
ANALYZE_AFTER = 50_000  # members written by one import, above which the registry tables are analysed
WORK_MEM = "128MB"  # PostgreSQL: memory for the import's hash joins, aggregates and sorts (server default 4MB)
MAINTENANCE_WORK_MEM = "256MB"  # PostgreSQL: memory for building an index after a bulk load
CACHED_KINDS = ("bool", "int", "year", "decimal", "date", "area")

ProgressFn = Callable[[int, int, str], None]


def _stage_name(col: exchange.Column) -> str:
    return ("h_" if col.level == exchange.HOUSEHOLD else "m_") + col.field


def _model_field(col: exchange.Column) -> models.Field:
    model = Household if col.level == exchange.HOUSEHOLD else Member
    return model._meta.get_field(col.field)


_ALL = [(col, _stage_name(col), _model_field(col)) for col in exchange.COLUMNS]
H_STAGE = [(c, n, f) for c, n, f in _ALL if c.level == exchange.HOUSEHOLD]
M_STAGE = [(c, n, f) for c, n, f in _ALL if c.level == exchange.MEMBER]
STAGE = H_STAGE + M_STAGE  # the staging columns: the household's, then the member's
BY_STAGE = {name: (col, f) for col, name, f in STAGE}
STATUS = next(n for c, n, _f in H_STAGE if c.field == "status")  # (a required column: in every file)


def laps(result) -> Callable[[str], None]:
    """``lap(phase)`` records the seconds since the previous lap (or since now) under ``phase`` in
    ``result.timings`` (the import's phases: read, check, write …; the commands print them)."""
    timings = result.timings = {}
    mark = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        timings[phase] = round(now - mark, 2)
        mark = now

    return lap


def errors_message(n: int) -> str:
    return ngettext("%(n)s error; nothing was imported.", "%(n)s errors; nothing was imported.", n) % {"n": n}


@dataclass
class _Result:
    """What an all-or-nothing import returns (the registry's, and the income ledger's:
    income_exchange.IncomeImportResult): the report of every bad row (then nothing was written)
    and the counts of what was (or, on a dry run, would be) written."""
    report: ErrorReport
    rows: int = 0
    dry_run: bool = False
    area_code: str = ""  # the smallest area holding everything written (_common_area)
    timings: dict | None = None  # seconds per phase (laps): read, check, flag, write …

    @property
    def ok(self) -> bool:
        return not self.report


@dataclass
class ImportResult(_Result):
    households_created: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    members_created: int = 0
    members_updated: int = 0
    status_changes: int = 0
    indexes_rebuilt: bool = False  # PostgreSQL: dropped and built again after the rows (_rebuild_worthwhile)

    def as_dict(self) -> dict:
        return {"rows": self.rows, "dry_run": self.dry_run, "households_created": self.households_created,
                "households_updated": self.households_updated,
                "households_unchanged": self.households_unchanged, "members_created": self.members_created,
                "members_updated": self.members_updated, "status_changes": self.status_changes,
                "errors": len(self.report), "area_code": self.area_code}

    def summary(self) -> str:
        if self.report:
            return errors_message(len(self.report))
        counts = {"rows": self.rows, "hc": self.households_created, "hu": self.households_updated,
                  "hn": self.households_unchanged, "mc": self.members_created, "mu": self.members_updated,
                  "sc": self.status_changes}
        # One message of whole sentences, singular or plural by the rows; the other counts follow
        # a label ("Households: 2 created"), which reads right whatever the number.
        if self.dry_run:
            return ngettext(
                "Dry run: nothing was written. %(rows)s row checked. Households: %(hc)s to be created, "
                "%(hu)s to be updated, %(hn)s unchanged. Members: %(mc)s to be created, %(mu)s to be updated. "
                "Status changes to be recorded: %(sc)s.",
                "Dry run: nothing was written. %(rows)s rows checked. Households: %(hc)s to be created, "
                "%(hu)s to be updated, %(hn)s unchanged. Members: %(mc)s to be created, %(mu)s to be updated. "
                "Status changes to be recorded: %(sc)s.", self.rows) % counts
        return ngettext(
            "%(rows)s row imported. Households: %(hc)s created, %(hu)s updated, %(hn)s unchanged. "
            "Members: %(mc)s created, %(mu)s updated. Status changes recorded: %(sc)s.",
            "%(rows)s rows imported. Households: %(hc)s created, %(hu)s updated, %(hn)s unchanged. "
            "Members: %(mc)s created, %(mu)s updated. Status changes recorded: %(sc)s.", self.rows) % counts


class _Rollback(Exception):
    pass


# --- parsing (Python, no queries) --------------------------------------------------

class _Memo(dict):
    """A column's parsed values by cell text: a hit is one dict lookup in C; a miss
    parses (a bad value raises ValueError and is not remembered)."""

    def __init__(self, parse: Callable[[str], object]):
        super().__init__()
        self.parse = parse

    def __missing__(self, text: str):
        value = self.parse(text)
        if len(self) < CACHE_LIMIT:
            self[text] = value
        return value


class _Plain:
    """The same interface for columns whose values rarely repeat (names, ID numbers …)."""

    def __init__(self, parse: Callable[[str], object]):
        self.parse = parse

    def __getitem__(self, text: str):
        return self.parse(text)


def _parser(col: exchange.Column, mfield: models.Field, this_year: int) -> _Memo | _Plain:
    """parse_cell, plus the limits of the model field the value goes into, memoised
    for the columns whose values repeat (codes, yes/no, years, dates, amounts). A column
    required but for some statuses (``unless_status``) is read as optional here: _RowParser
    checks it with the row's status."""
    if col.unless_status:
        col = dataclasses.replace(col, required=False)
    is_text = isinstance(mfield, models.CharField)
    max_length = mfield.max_length if is_text else None
    is_decimal = isinstance(mfield, models.DecimalField)
    if is_decimal:
        quantum = Decimal(1).scaleb(-mfield.decimal_places)
        ceiling = Decimal(10) ** (mfield.max_digits - mfield.decimal_places)
    small = isinstance(mfield, models.PositiveSmallIntegerField)

    def parse(text: str):
        value = exchange.parse_cell(col, text, this_year=this_year)
        if value is None:
            return None
        if is_decimal:
            value = value.quantize(quantum, rounding=ROUND_HALF_UP)  # as PostgreSQL rounds numeric
            if value >= ceiling:
                raise ValueError(_("out of range"))
        elif is_text and len(value) > max_length:
            raise ValueError(_("longer than %(n)s characters") % {"n": max_length})
        elif small and value > 32767:  # the storage limit of a small integer
            raise ValueError(_("out of range"))
        return value

    if col.kind in CACHED_KINDS or col.kind.startswith("code:") or (col.kind == "text" and col.max_length <= 60
                                                                     and col.field != "name"):
        return _Memo(parse)
    return _Plain(parse)


@functools.lru_cache(maxsize=200_000)
def _pinyin(name: str) -> str:
    return pinyin(name)


class _RowParser:
    """Turns one file row into one staging row (a tuple in ``self.names`` order)."""

    def __init__(self, headers: list[str], report: ErrorReport, this_year: int):
        present = set(headers)
        self.report = report
        self.this_year = this_year
        self.stage = [(c, n, f) for c, n, f in STAGE if c.header in present]
        self.present = {n for _c, n, _f in self.stage}
        self.parsers = [(c.header, n, _parser(c, f, this_year)) for c, n, f in self.stage]
        self.h_count = sum(1 for c, _n, _f in self.stage if c.level == exchange.HOUSEHOLD)
        self.h_headers = [header for header, _n, _m in self.parsers[:self.h_count]]
        self.h_fast = [(header, memo) for header, _n, memo in self.parsers[:self.h_count]]
        self.m_fast = [(header, memo) for header, _n, memo in self.parsers[self.h_count:]]
        self.names = ["row_no", "bad", "sig", *[n for _c, n, _f in self.stage], "id_rev", "name_pinyin"]
        self.h_index = range(self.h_count)
        # the rows of a household follow one another and repeat its cells: the last
        # household's cells, parsed values and signature are kept for the next row
        self.last_texts: tuple | None = None
        self.last_values: list = []
        self.last_sig = None
        pos = {n: i for i, (_c, n, _f) in enumerate(self.stage)}
        self.i_id, self.i_birth, self.i_sex = pos.get("m_id_number"), pos.get("m_birth_date"), pos.get("m_sex")
        self.i_reason, self.i_name = pos.get("m_no_id_reason"), pos["m_name"]
        self.i_health, self.i_grade = pos.get("m_health"), pos.get("m_disability_grade")
        self.i_status = pos.get("h_status")
        # the columns required but for some statuses (exchange.empty_cell_problem)
        self.unless = [(pos[n], c) for c, n, _f in self.stage if c.unless_status]

    def __call__(self, number: int, row: dict[str, str]) -> tuple:
        report = self.report
        failed: set[int] = set()
        texts = tuple([row[header] for header in self.h_headers])
        try:
            if texts == self.last_texts:
                values = [*self.last_values, *[memo[row[header]] for header, memo in self.m_fast]]
            else:
                values = [*[memo[row[header]] for header, memo in self.h_fast],
                          *[memo[row[header]] for header, memo in self.m_fast]]
        except ValueError:  # a bad cell: parse the row again, cell by cell, to name every bad one
            values = []
            for i, (header, _name, memo) in enumerate(self.parsers):
                text = row[header]
                try:
                    values.append(memo[text])
                except ValueError as exc:
                    report.add(number, header, text, str(exc))
                    values.append(None)
                    failed.add(i)
        bad = bool(failed)
        id_number = None
        if self.i_id is not None and self.i_id not in failed:
            id_number = values[self.i_id]
            if id_number:
                # parse_cell has checked the number (GB 11643): its birth date and sex are sound.
                birth = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
                sex = "1" if int(id_number[16]) % 2 else "2"
                if self.i_birth is not None and values[self.i_birth] and values[self.i_birth] != birth:
                    report.add(number, "出生日期", row.get("出生日期", ""),
                               _("the birth date differs from the one in the ID number (%(d)s)")
                               % {"d": birth.isoformat()})
                    bad = True
                if self.i_sex is not None and values[self.i_sex] and values[self.i_sex] != sex:
                    report.add(number, "性别", row.get("性别", ""), _("the sex differs from the one in the ID number"))
                    bad = True
                if self.i_birth is not None and not values[self.i_birth] and self.i_birth not in failed:
                    values[self.i_birth] = birth
            elif not (self.i_reason is not None and (values[self.i_reason] or self.i_reason in failed)):
                report.add(number, "无证件原因", row.get("无证件原因", ""),
                           _("without an ID number, give the reason (无证件原因)"))
                bad = True
        if self.i_health is not None and values[self.i_health] == DISABLED and (
                self.i_grade is None or not values[self.i_grade]) and self.i_grade not in failed:
            report.add(number, "残疾等级", row.get("残疾等级", ""), _("a disabled member needs a disability grade"))
            bad = True
        if self.unless and self.i_status is not None and self.i_status not in failed:
            for i, col in self.unless:
                if i not in failed and values[i] in (None, "") and (
                        problem := exchange.empty_cell_problem(col, values[self.i_status])):
                    report.add(number, col.header, row.get(col.header, ""), problem)
                    bad = True
        if failed and any(i in failed for i in self.h_index):
            sig = None
        elif texts == self.last_texts:
            sig = self.last_sig
        else:
            sig = hash(tuple(values[:self.h_count]))
            self.last_texts, self.last_values, self.last_sig = texts, values[:self.h_count], sig
        name = values[self.i_name] or ""
        return (number, 1 if bad else 0, sig, *values, (id_number or "")[::-1], _pinyin(name) if name else "")


# --- the staging tables ---------------------------------------------------------------

def _sql_type(col: exchange.Column) -> str:
    return {"bool": "bool", "int": "integer", "year": "integer", "decimal": "numeric(14,2)",
            "date": "date"}.get(col.kind, "text")


STAGING = ("stage", "stage_h", "match", "raw", "dates", "names", "hp", "hpf")  # the registry import's tables


class _Db:
    """SQL on the staging tables of an import (this one's, and the income ledger's:
    income_exchange.py): the templates name tables as {stage}, {hh} … and the null-safe
    comparison as {ne}; the rest is plain SQL that both databases run. ``tables``: the
    import's own tables, named ``{prefix}_{table}_{suffix}``."""

    def __init__(self, cursor, suffix: str, *, tables: tuple[str, ...] = STAGING, prefix: str = "fp",
                 unlogged: bool = True):
        self.cursor = cursor
        self.pg = connection.vendor == "postgresql"
        # PostgreSQL: UNLOGGED tables rather than TEMP ones (``unlogged``), so that parallel workers
        # can read them (the parsing statement and the checks over a province's file run on every
        # core); their names carry the backend's pid, so that a crashed import's are found (_drop_stale)
        unlogged = unlogged and self.pg
        self.kind = "UNLOGGED" if unlogged else "TEMP"
        if unlogged:
            cursor.execute("SELECT pg_backend_pid()")
            suffix = f"{cursor.fetchone()[0]}_{suffix}"
        qn = connection.ops.quote_name
        self.tables = tables
        self.names = {
            **{table: f"{prefix}_{table}_{suffix}" for table in tables},
            "hh": qn(Household._meta.db_table), "mem": qn(Member._meta.db_table),
            "sc": qn(StatusChange._meta.db_table), "area": qn(Area._meta.db_table),
            "income": qn(Income._meta.db_table),
            "ne": "IS DISTINCT FROM" if self.pg else "IS NOT",
        }

    def sql(self, template: str, **extra) -> str:
        """``extra`` pieces (column lists, predicates built from the exchange columns) may
        name tables too; they are filled in first."""
        return template.format_map({**self.names, **{k: v.format_map(self.names) for k, v in extra.items()}})

    def run(self, template: str, params=(), **extra) -> int:
        self.cursor.execute(self.sql(template, **extra), params)
        return self.cursor.rowcount

    def rows(self, template: str, params=(), **extra) -> list[tuple]:
        self.cursor.execute(self.sql(template, **extra), params)
        return self.cursor.fetchall()

    def one(self, template: str, params=(), **extra):
        self.cursor.execute(self.sql(template, **extra), params)
        return self.cursor.fetchone()

    def stream(self, template: str, params=(), **extra) -> Iterator[tuple]:
        """Rows of a large result, fetched a chunk at a time (a server-side cursor on PostgreSQL)."""
        with connection.chunked_cursor() as cur:
            cur.execute(self.sql(template, **extra), params)
            while True:
                chunk = cur.fetchmany(STREAM_CHUNK)
                if not chunk:
                    return
                yield from chunk

    def create(self, *, stage: bool = True) -> None:
        """The staging tables (``stage``: the wide one too; the fast path makes it itself)."""
        temp = self.kind
        if stage:
            self.create_stage()
        h_cols = ", ".join(f"{n} {_sql_type(c)}" for c, n, _f in H_STAGE)
        self.run("CREATE " + temp + " TABLE {stage_h} (row_no integer NOT NULL, n_rows integer, n_heads integer, "
                 "n_unknown integer, n_bad integer, sigs integer, first_sig bigint, head_name text, " + h_cols + ", "
                 "hh_id bigint, old_area_code text, old_status text, village_id bigint, group_id bigint, "
                 "is_new bool DEFAULT FALSE, changed bool DEFAULT FALSE, status_changed bool DEFAULT FALSE, "
                 "moved bool DEFAULT FALSE, touched bool DEFAULT FALSE)")
        # staging rows matched to registered members (narrow, so matching never rewrites the wide rows)
        self.run("CREATE " + temp + " TABLE {match} (row_no integer NOT NULL, member_id bigint NOT NULL, "
                 "mchanged bool DEFAULT FALSE)")
        # the pinyin of the names of the file (fast path: computed once per distinct name)
        self.run("CREATE " + temp + " TABLE {names} (name text, pinyin text)")

    def create_stage(self) -> None:
        stage_cols = ", ".join(f"{n} {_sql_type(c)}" for c, n, _f in STAGE)
        self.run("CREATE " + self.kind + " TABLE {stage} (row_no integer NOT NULL, bad smallint NOT NULL, sig bigint, "
                 + stage_cols + ", id_rev text, name_pinyin text, py bool DEFAULT FALSE)")

    def drop_stale(self) -> None:
        """PostgreSQL: drop the staging tables (STAGING) of registry imports whose backend is gone
        (a killed process, a crash: unlogged tables outlive their session, temporary ones did not)."""
        if not self.pg:
            return
        for (name,) in self.rows(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relpersistence = 'u' "
                "AND c.relname ~ '^fp_(stage|stage_h|match|raw|dates|names|hp|hpf)_[0-9]+_[0-9]+$' "
                "AND CAST(substring(c.relname FROM '_([0-9]+)_[0-9]+$') AS integer) NOT IN "
                "(SELECT pid FROM pg_stat_activity)"):
            self.run("DROP TABLE IF EXISTS " + connection.ops.quote_name(name))

    def analyze(self, table: str, columns: str) -> None:
        """Statistics for a staging table's join columns (autovacuum would gather them only
        after the import's transaction, and the planner needs them to choose hash joins)."""
        if self.pg:
            self.run("ANALYZE {" + table + "} (" + columns + ")")

    def drop(self) -> None:
        for table in self.tables:
            self.run("DROP TABLE IF EXISTS {" + table + "}")

    def close(self) -> None:
        """The staging tables dropped and the cursor closed (the connection gone: so are its
        temporary tables)."""
        with contextlib.suppress(DatabaseError):
            self.drop()
        self.cursor.close()

    def write(self, table: str, names: list[str], rows: Iterable[tuple]) -> int:
        """Rows into a staging table: one COPY on PostgreSQL (opened even for no rows),
        executemany batches on SQLite. Returns the number of rows written."""
        cols = ", ".join(names)
        n = 0
        if self.pg:
            with self.cursor.cursor.copy(self.sql("COPY {table} ({cols}) FROM STDIN", table=self.names[table],
                                                  cols=cols)) as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
        else:
            insert = self.sql("INSERT INTO {table} ({cols}) VALUES ({marks})", table=self.names[table], cols=cols,
                              marks=", ".join(["%s"] * len(names)))
            rows = iter(rows)
            while chunk := list(itertools.islice(rows, SQLITE_BATCH)):
                self.cursor.executemany(insert, chunk)
                n += len(chunk)
        return n

    def load(self, names: list[str], rows: Iterator[tuple], on_batch: Callable[[int], None]) -> int:
        """Write the staging rows, a batch at a time, reporting after each batch."""
        total = 0
        while n := self.write("stage", names, itertools.islice(rows, BATCH_ROWS)):
            total += n
            on_batch(total)
        return total


# --- PostgreSQL: the file COPYed as text, parsed and checked in SQL -------------------------------
#
# The cells are parsed by SQL expressions that accept only what parse_cell certainly accepts
# and give the same value (a code label through the code list, a date through a table of
# dates, the ID number's date and GB 11643 check digit computed in SQL …). A row any of whose
# cells or row rules SQL is not sure of (a bad value, but also an unusual spelling such as
# "2017/12/31" or a cell with surrounding spaces) is parsed again by the Python path
# (_RowParser) from its raw text, and that row's staging values and errors are the Python
# path's: the error report is therefore word for word the same as on SQLite, and SQL only has
# to be right about the rows it accepts. A test compares both paths on the same files.

FAST_PATH = True  # PostgreSQL only; tests switch it off to compare with the Python path
_WHITESPACE = "".join(chr(i) for i in range(0x3100) if chr(i).isspace())  # what str.strip() strips
_SQL_WS = "E'" + "".join(f"\\u{ord(c):04x}" for c in _WHITESPACE) + "'"
_DATES_TO = dt.date(2200, 12, 31)  # (the table of dates starts at rules.ID_FIRST_BIRTH_YEAR)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# A time of day after a date, as core.dates._TIME_OF_DAY reads one but narrower (spaces only, ASCII
# digits): what follows the first ten characters of a date cell SQL reads itself.
_TIME_OF_DAY_SQL = "^( +|T)[0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?$"


class _Fallback(Exception):
    """The fast path cannot be sure to read the file exactly as the Python path would."""


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _cell_sql(col: exchange.Column, mfield: models.Field, c: str, this_year: int, joins: list[str],
              dates: str, k: int) -> tuple[str, str, str | None]:
    """(value, ok, extra) SQL for one staging column from the raw text ``c``: ``value`` in the
    staging column's type, ``ok`` true only when parse_cell certainly accepts the cell and gives
    ``value`` (``ok`` may refer to the value as {v} and to the cell's emptiness as {e})."""
    if col.unless_status:
        # empty is sure to be right only for a row whose status (parsed in the same statement) is
        # one of these; any other empty cell is left to the Python path, which reports it
        v, ok, extra = _cell_sql(dataclasses.replace(col, required=False, unless_status=()), mfield, c, this_year,
                                 joins, dates, k)
        allowed = f"COALESCE(v_{STATUS} IN ({', '.join(_lit(s) for s in col.unless_status)}), FALSE)"
        return v, f"({ok}) AND (NOT {{e}} OR {allowed})", extra
    kind = col.kind
    empty = f"COALESCE({c}, '') = ''"
    req = col.required
    if kind in ("text",):
        limit = min(col.max_length, mfield.max_length)
        v = f"replace(btrim(COALESCE({c}, ''), {_SQL_WS}), U&'\\3000', ' ')"
        ok = f"length({{v}}) <= {limit}" + (" AND {v} <> ''" if req else "")
        return v, ok, None
    digits = "'0123456789'"
    if kind == "phone":  # (a number written with "-" or spaces is left to the Python path)
        v = (f"CASE WHEN {empty} THEN '' WHEN length({c}) BETWEEN 7 AND {min(12, mfield.max_length)} "
             f"AND btrim({c}, {digits}) = '' THEN {c} END")
        return v, "{v} IS NOT NULL", None
    if kind.startswith("code:"):
        whens = " ".join(f"WHEN {_lit(label)} THEN {_lit(code)}" for label, code in codes.zh_to_code(kind[5:]).items())
        v = f"CASE COALESCE({c}, '') WHEN '' THEN '' {whens} END"
        return v, "{v} IS NOT NULL" + (" AND {v} <> ''" if req else ""), None
    if kind == "bool":
        trues = " ".join(f"WHEN {_lit(w)} THEN TRUE" for w in sorted(exchange.TRUE_WORDS) if w)
        falses = " ".join(f"WHEN {_lit(w)} THEN FALSE" for w in sorted(exchange.FALSE_WORDS) if w)
        v = f"CASE COALESCE({c}, '') WHEN '' THEN NULL {trues} {falses} END"  # (other spellings: Python)
        return v, "({e} OR {v} IS NOT NULL)", None
    if kind == "int":
        v = f"CASE WHEN length({c}) BETWEEN 1 AND 5 AND btrim({c}, {digits}) = '' THEN CAST({c} AS integer) END"
        return v, "({e} OR COALESCE({v} <= 32767, FALSE))", None
    if kind == "year":
        v = f"CASE WHEN length({c}) = 4 AND btrim({c}, {digits}) = '' THEN CAST({c} AS integer) END"
        last = exchange.last_year(this_year)
        return v, ("" if req else "{e} OR ") + f"COALESCE({{v}} BETWEEN {exchange.PROGRAMME_FIRST_YEAR} AND {last}, FALSE)", None
    if kind == "decimal":
        places = mfield.decimal_places
        ceiling = 10 ** (mfield.max_digits - places)
        zero = "0" if col.field in exchange.ZERO_WHEN_EMPTY else "NULL"
        # digits, or digits "." one or two digits; at most eight before the point
        shape = (f"(btrim({c}, {digits}) = '' AND length({c}) BETWEEN 1 AND 8) OR (btrim({c}, {digits}) = '.' "
                 f"AND strpos({c}, '.') BETWEEN 2 AND 9 AND length({c}) - strpos({c}, '.') BETWEEN 1 AND 2)")
        v = (f"CAST(CASE WHEN {empty} THEN {zero} WHEN {shape} "
             f"THEN round(CAST({c} AS numeric), {places}) END AS numeric(14,2))")
        return v, ("" if req else "{e} OR ") + f"COALESCE({{v}} < {ceiling}, FALSE)", None
    if kind == "date":
        # an ISO date of the table of dates, alone or followed by a time of day in ASCII digits
        # (core.dates.cell_date ignores it: "2017-01-05 08:30:00", an Excel date-time); any other
        # spelling, and anything else after the date, is the Python path's to read or refuse
        joins.append(f"LEFT JOIN {dates} d{k} ON d{k}.iso = substr({c}, 1, 10)")
        v = f"CASE WHEN length({c}) = 10 OR substr({c}, 11) ~ {_lit(_TIME_OF_DAY_SQL)} THEN d{k}.d END"
        return v, ("" if req else "{e} OR ") + "{v} IS NOT NULL", None
    if kind == "id":
        joins.append(f"LEFT JOIN {dates} d{k} ON d{k}.compact = substr({c}, 7, 8) AND d{k}.past")
        # (the birth date's digits, 7–14, are summed once per date in the table of dates)
        total = " + ".join([f"d{k}.wsum", *[f"CAST(substr({c}, {i + 1}, 1) AS integer) * {w}"
                                            for i, w in enumerate(_ID_WEIGHTS) if not 6 <= i < 14]])
        v = (f"CASE WHEN d{k}.d IS NOT NULL AND length({c}) = 18 AND btrim(substr({c}, 1, 17), {digits}) = '' "
             f"AND btrim(substr({c}, 18), {digits}) IN ('', 'X') THEN CASE WHEN "
             f"substr('10X98765432', mod({total}, 11) + 1, 1) = substr({c}, 18, 1) THEN {c} END END")
        extra = f"d{k}.d"
        return v, "({e} OR {v} IS NOT NULL)", extra
    if kind == "area":
        v = (f"CASE WHEN length({c}) IN (12, 15) AND btrim({c}, {digits}) = '' AND substr({c}, 1, 2) <> '00' "
             f"AND (length({c}) = 15 OR substr({c}, 10, 3) <> '000') THEN {c} END")
        return v, "{v} IS NOT NULL", None
    raise AssertionError(kind)


def _csv_first_record(path: Path, encoding: str) -> list[str]:
    with path.open("r", encoding=encoding, newline="") as fh:
        return next(csv.reader(fh), [])


def _fast_load(db: _Db, path: Path, table, parser: _RowParser, notify, total: int) -> int:
    """Stage the file on PostgreSQL: COPY as text, parse in SQL, the doubtful rows in Python.
    Returns the number of staged rows; raises _Fallback when the Python path must read it."""
    headers = table.headers
    is_csv = path.suffix.lower() in {".csv", ".txt"}
    width = len(headers)
    if is_csv:
        encoding = tabular._detect_encoding(path)
        if encoding not in ("utf-8", "utf-8-sig", "gb18030"):
            raise _Fallback
        try:
            width = len(_csv_first_record(path, encoding))
        except UnicodeDecodeError:
            raise _Fallback from None
    if width < len(headers) or width == 0:
        raise _Fallback
    col_of = {h: i for i, h in enumerate(headers)}  # a repeated header: the last one, as dict(zip()) keeps
    raw_cols = ", ".join(f"c{i}" for i in range(width))
    db.run("CREATE " + db.kind + " TABLE {raw} (row_no integer GENERATED BY DEFAULT AS IDENTITY (START WITH 2), "
           + ", ".join(f"c{i} text" for i in range(width)) + ")")
    copied = 0
    if is_csv:
        opts = "FORMAT csv, HEADER true, ENCODING '" + ("GB18030" if encoding == "gb18030" else "UTF8") + "'"
        quotes = newlines = 0
        last = b""
        try:
            with db.cursor.cursor.copy(db.sql("COPY {raw} (" + raw_cols + ") FROM STDIN WITH (" + opts + ")")) as cp, \
                    path.open("rb") as fh:
                if encoding == "utf-8-sig":
                    fh.read(3)
                while block := fh.read(1 << 20):
                    quotes += block.count(b'"')
                    newlines += block.count(b"\n")
                    last = block[-1:]
                    cp.write(block)
        except (DatabaseError, connection.Database.Error):
            # (a COPY on the driver's own cursor raises the driver's errors, not Django's:
            # a row with a cell more or less than the header, a blank line, a bad byte …)
            raise _Fallback from None
        (copied,) = db.one("SELECT COUNT(*) FROM {raw}")
        lines = newlines + (1 if last not in (b"", b"\n") else 0)
        if copied != lines - 1:
            raise _Fallback  # a quoted line break, a "\." line …: PostgreSQL and Python may differ
        if quotes and db.one("SELECT 1 FROM {raw} WHERE concat(" + raw_cols  # noqa: S608 - our own columns
                             + ") ~ '[\"\\r\\n]' LIMIT 1"):
            raise _Fallback
    else:
        with db.cursor.cursor.copy(db.sql("COPY {raw} (row_no, " + raw_cols + ") FROM STDIN")) as cp:
            for number, row in table.rows:
                cp.write_row((number, *[row[h] for h in headers]))
                copied += 1
    # (progress is reported between statements only: the connection is busy during a COPY)
    notify(copied, max(total, copied), _("Checking the rows"))
    if copied == 0:
        return 0

    # a table of dates: a date cell is good when its first ten characters are one of them and
    # nothing but a time of day follows (_cell_sql)
    today = dt.date.today()
    # (wsum: the birth date's share of the ID number's weighted digit sum, positions 7–14)
    wsum = " + ".join(f"CAST(substr(to_char(d, 'YYYYMMDD'), {j + 1}, 1) AS integer) * {w}"
                      for j, w in enumerate(_ID_WEIGHTS[6:14]))
    db.run("CREATE " + db.kind + " TABLE {dates} AS SELECT CAST(d AS date) AS d, to_char(d, 'YYYY-MM-DD') AS iso, "
           "to_char(d, 'YYYYMMDD') AS compact, CAST(d AS date) <= %s AS past, " + wsum + " AS wsum "
           "FROM generate_series(CAST(%s AS date), CAST(%s AS date), interval '1 day') d",
           [today, dt.date(rules.ID_FIRST_BIRTH_YEAR, 1, 1), _DATES_TO])
    db.run("ANALYZE {dates}")

    # The household's cells repeat on every row of its members: they are parsed once, from the
    # household's first row (fp_hp), and every other row only compares its raw cells with that
    # row's (a row whose household cells differ in any way is doubtful: the Python path parses
    # it, and the check across rows reports what differs).
    number_col = next(c.header for c in exchange.HOUSEHOLD_COLUMNS if c.field == "number")
    if number_col not in col_of:
        raise _Fallback
    num_c = f"c{col_of[number_col]}"
    dates = db.names["dates"]
    present = parser.present
    h_joins: list[str] = []
    h_inner, h_outer, h_oks = [], [], []
    h_raw = sorted({col_of[col.header] for col, n, _f in parser.stage if n.startswith("h_")})
    m_joins: list[str] = []
    m_inner, oks = [], []
    id_extra = None
    for k, (col, n, mfield) in enumerate(parser.stage):
        c = f"r.c{col_of[col.header]}"
        household = n.startswith("h_")
        v, ok, extra = _cell_sql(col, mfield, c, parser.this_year, h_joins if household else m_joins, dates, k)
        inner = h_inner if household else m_inner
        inner += [f"{v} AS v_{n}", f"COALESCE({c}, '') = '' AS e_{n}"]
        if extra:
            inner.append(f"{extra} AS x_{n}")
            id_extra = f"x_{n}"
        (h_oks if household else oks).append("(" + ok.format(v=f"v_{n}", e=f"e_{n}") + ")")
    if "m_id_number" in present:
        id_rules = []
        if "m_birth_date" in present:
            id_rules.append(f"(v_m_birth_date IS NULL OR v_m_birth_date = {id_extra})")
        if "m_sex" in present:
            id_rules.append("(v_m_sex = '' OR v_m_sex = CASE WHEN substr(v_m_id_number, 17, 1) IN "
                            "('1', '3', '5', '7', '9') THEN '1' ELSE '2' END)")
        reason = "v_m_no_id_reason <> ''" if "m_no_id_reason" in present else "FALSE"
        oks.append(f"(CASE WHEN v_m_id_number IS NOT NULL THEN {' AND '.join(id_rules) or 'TRUE'} ELSE {reason} END)")
    if "m_health" in present:
        grade = "v_m_disability_grade = ''" if "m_disability_grade" in present else "TRUE"
        oks.append(f"NOT (v_m_health = {_lit(DISABLED)} AND {grade})")
    outer = []
    for col, n, _f in STAGE:  # (every staging column: one the file lacks is NULL, as on the Python path)
        if n not in present:
            value = "NULL"
        elif n.startswith("h_"):
            h_outer.append(f"CAST(v_{n} AS {_sql_type(col)}) AS {n}")
            value = n
        elif n == "m_birth_date" and "m_id_number" in present:
            value = (f"CASE WHEN v_m_birth_date IS NULL AND v_m_id_number IS NOT NULL THEN {id_extra} "
                     "ELSE v_m_birth_date END")
        else:
            value = f"v_{n}"
        outer.append(f"CAST({value} AS {_sql_type(col)})")
    h_names = [n for _c, n, _f in parser.stage if n.startswith("h_")]
    sig = "hashtextextended(CAST(ROW(" + ", ".join(f"v_{n}" for n in h_names) + ") AS text), 0)"
    id_rev = "COALESCE(reverse(v_m_id_number), '')" if "m_id_number" in present else "''"
    raw_t = db.names["raw"]
    # CREATE TABLE … AS SELECT rather than INSERT … SELECT: PostgreSQL runs the SELECT with
    # parallel workers (the cells of a province's file are parsed on every core)
    hp_sql = (
        f"CREATE {db.kind} TABLE {db.names['hp']} AS SELECT hnum, {', '.join(f'c{i} AS hc{i}' for i in h_raw)}, "  # noqa: S608
        f"{', '.join(h_outer)}, {' AND '.join(h_oks) or 'TRUE'} AS h_ok, {sig} AS sig FROM "
        f"(SELECT COALESCE(r.{num_c}, '') AS hnum, {', '.join(f'r.c{i}' for i in h_raw)}, {', '.join(h_inner)} "
        f"FROM {raw_t} r JOIN {db.names['hpf']} f ON f.first = r.row_no {' '.join(h_joins)} OFFSET 0) x")
    # (each household's first row: a table of its own, so that the workers aggregate the file
    # together instead of each of them building the whole aggregate again)
    db.run("CREATE " + db.kind + " TABLE {hpf} AS SELECT MIN(row_no) AS first FROM {raw} "  # noqa: S608
           "GROUP BY COALESCE(" + num_c + ", '')")
    db.analyze("hpf", "first")
    db.cursor.execute(hp_sql)  # (no parameters: the % of the expressions stay as they are)
    db.run("DROP TABLE {hpf}")
    db.analyze("hp", "hnum")
    same = (f"ROW({', '.join(f'r.c{i}' for i in h_raw)}) IS NOT DISTINCT FROM "
            f"ROW({', '.join(f'hp.hc{i}' for i in h_raw)})")
    all_names = ", ".join(n for _c, n, _f in STAGE)
    h_pass = [f"hp.{n}" for n in h_names]
    # (the join inside the fenced subquery, so that the workers do it: above the fence only
    # the leader would)
    sql = (f"CREATE {db.kind} TABLE {db.names['stage']} (row_no, bad, sig, {all_names}, id_rev, py, "  # noqa: S608
           f"name_pinyin) AS SELECT x.row_no, CAST(0 AS smallint), x.sig, {', '.join(outer)}, {id_rev}, "
           f"NOT ({' AND '.join([*oks, 'x.h_ok', 'x.same'])}), CAST(NULL AS text) FROM "
           f"(SELECT r.row_no, {', '.join(m_inner + h_pass)}, hp.sig, hp.h_ok, {same} AS same "
           f"FROM {raw_t} r JOIN {db.names['hp']} hp ON hp.hnum = COALESCE(r.{num_c}, '') {' '.join(m_joins)} "
           f"OFFSET 0) x")
    db.cursor.execute(sql)  # (no parameters: the % of the expressions stay as they are)
    db.run("DROP TABLE {hp}")
    notify(copied, copied, _("Checking the rows"))

    # the rows SQL is not sure of: parsed again in Python from their raw text (errors reported there)
    doubtful = db.stream("SELECT r.row_no, " + ", ".join(f"r.c{i}" for i in range(len(headers)))  # noqa: S608
                         + " FROM {raw} r JOIN {stage} s ON s.row_no = r.row_no WHERE s.py ORDER BY r.row_no")
    cols = ", ".join(parser.names)
    redo: list[tuple] = []

    def flush() -> None:  # the Python path's rows, marked py = NULL until the doubtful ones are gone
        with db.cursor.cursor.copy(db.sql("COPY {stage} (" + cols + ", py) FROM STDIN")) as cp:
            for row in redo:
                cp.write_row((*row[:2], None if row[2] is None else 0, *row[3:], None))
        redo.clear()

    for number, *cells in doubtful:
        cells = [tabular.normalise(v) if v is not None else "" for v in cells]
        if any(cells):  # (a row of empty cells is skipped, as read_table skips it)
            redo.append(parser(number, dict(zip(headers, cells, strict=True))))
            if len(redo) >= STREAM_CHUNK:
                flush()  # (the open cursor does not see rows written after it was opened)
    if redo:
        flush()
    db.run("DELETE FROM {stage} WHERE py")
    db.run("UPDATE {stage} SET py = FALSE, sig = CASE WHEN sig IS NULL THEN NULL ELSE "  # noqa: S608
           + sig.replace("v_", "") + " END WHERE py IS NULL")
    (staged,) = db.one("SELECT COUNT(*) FROM {stage}")
    db.run("DROP TABLE {raw}")
    return staged


def _fill_names(db: _Db) -> None:
    """The pinyin of every distinct name the Python path has not converted (actions.pinyin:
    names repeat, and most are read character by character). The names are read and
    written a chunk at a time: memory stays flat however many distinct names a file has."""
    names = db.stream("SELECT DISTINCT m_name FROM {stage} WHERE name_pinyin IS NULL AND m_name IS NOT NULL")
    any_name = False
    while chunk := list(itertools.islice(names, STREAM_CHUNK)):
        any_name = True
        with db.cursor.cursor.copy(db.sql("COPY {names} (name, pinyin) FROM STDIN")) as cp:
            for (name,) in chunk:
                cp.write_row((name, pinyin(name)))
    if any_name:
        db.run("ANALYZE {names}")


# --- the import --------------------------------------------------------------------------

def _count_rows(path: Path) -> int:
    """A quick estimate of the data rows, for the progress bar."""
    if path.suffix.lower() in {".csv", ".txt"}:
        lines = 0
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                lines += block.count(b"\n")
        return max(lines - 1, 0)
    try:
        from python_calamine import CalamineWorkbook

        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        return max(sheet.height - 1, 0)
    except Exception:  # only an estimate for the progress bar
        return 0


def _begin(actor: Actor, path: Path, required: list[str], progress: ProgressFn | None
           ) -> tuple[tabular.Table, int, ProgressFn]:
    """What an import does before it reads a row (the registry's, the income ledger's): an actor
    who may import nowhere is refused (Forbidden), the file opened and its columns checked
    (Invalid), the progress told an estimate of the rows. Returns the table, the estimate and
    ``notify(done, total, message)`` (``progress`` or nothing)."""
    if not actor.is_system and scope_for(actor.user, "registry.import").is_empty:
        raise Forbidden()
    table = read_table(path)
    require_headers(table, required)
    total = _count_rows(path)
    notify = progress or (lambda done, total, message: None)
    notify(0, total, _("Reading the file"))
    return table, total, notify


def _sort_report(report: ErrorReport, headers: list[str]) -> None:
    """The report in the file's order: by row, then by the column's place among ``headers``
    (a column not among them last)."""
    order = {header: i for i, header in enumerate(headers)}
    report.errors.sort(key=lambda e: (e.row, order.get(e.column, len(order))))


def import_registry(actor: Actor, path: str | Path, *, dry_run: bool = False,
                    progress: ProgressFn | None = None) -> ImportResult:
    """Import an exchange file; all or nothing. Raises Invalid when the file cannot be
    read at all (type, missing columns); otherwise returns the result, whose report
    lists every bad row (and then nothing was written)."""
    path = Path(path)
    report = ErrorReport()
    result = ImportResult(report=report, dry_run=dry_run)
    table, total, notify = _begin(actor, path, [c.header for c in exchange.COLUMNS if c.required], progress)
    parser = _RowParser(table.headers, report, clock.today().year)
    db = _Db(connection.cursor(), clock.now().strftime("%H%M%S%f"))
    lap = laps(result)

    try:
        db.drop_stale()
        fast = db.pg and FAST_PATH
        db.create(stage=not fast)
        staged = None
        if fast:
            try:
                with transaction.atomic():
                    # memory for the hash joins with the table of dates (4 MB would spill them to disk)
                    db.run("SET LOCAL work_mem = '" + WORK_MEM + "'")
                    db.run("SET LOCAL jit = off")
                    staged = _fast_load(db, path, table, parser, notify, total)
                    _fill_names(db)
            except _Fallback:  # read it again, the Python way
                db.create_stage()
                report.clear()
                table = read_table(path)
                parser = _RowParser(table.headers, report, clock.today().year)
                result.timings["fallback"] = 1
        if staged is None:
            rows = (parser(number, row) for number, row in table.rows)
            staged = db.load(parser.names, rows, lambda done: notify(done, max(total, done), _("Reading the file")))
        result.rows = staged
        if result.rows == 0:
            raise Invalid(_("The file has no data rows."))
        lap("read")
        notify(result.rows, result.rows, _("Checking across rows and against the registry"))
        try:
            with transaction.atomic():
                if db.pg:
                    db.run("SET LOCAL work_mem = '" + WORK_MEM + "'")
                    db.run("SET LOCAL jit = off")
                _Checks(db, parser.present, actor, report).run()
                lap("check")
                if report:
                    raise _Rollback
                _flag(db, parser.present)
                _count(db, result)
                lap("flag")
                if dry_run:
                    raise _Rollback
                notify(result.rows, result.rows, _("Writing"))
                _apply(db, parser.present, actor, result, path.name)
                # the statistics rollup of the counties written to is refreshed by a job, once committed
                transaction.on_commit(functools.partial(_after_import, result))
            lap("write")
        except _Rollback:
            pass
    finally:
        db.close()
    _sort_report(report, exchange.HEADERS)
    return result


def _after_import(result: ImportResult) -> None:
    """Once an import has committed (never after a dry run or a refusal): the statistics
    refresh, and the possible-duplicates search over the import's area (duplicates.after_import;
    as the system: the result does not carry the importing user), both as jobs."""
    from . import duplicates, stats

    stats.after_import(result.area_code, result.households_created + result.households_updated)
    duplicates.after_import(result.area_code, result.households_created + result.households_updated
                            + result.members_created + result.members_updated)


# --- checks across rows and against the registry (SQL) ----------------------------------

def _scope_condition(actor: Actor, column: str) -> tuple[str, list[str]] | None:
    """SQL true for an area code in ``column`` inside the actor's registry.import scope (None:
    everything is). The registry's import and the income ledger's."""
    if actor.is_system:
        return None
    scope = scope_for(actor.user, "registry.import")
    if scope.is_everything:
        return None
    if scope.is_empty:
        return "1 = 0", []
    return "(" + " OR ".join([f"{column} LIKE %s"] * len(scope.prefixes)) + ")", [p + "%" for p in scope.prefixes]


class _Checks:
    def __init__(self, db: _Db, present: set[str], actor: Actor, report: ErrorReport):
        self.db, self.present, self.actor, self.report = db, present, actor, report

    @property
    def room(self) -> int:
        return max(self.report.limit - len(self.report), 0) + 1

    def add(self, row, column, value, reason) -> None:
        self.report.add(row, column, "" if value is None else value, reason)

    def run(self) -> None:
        db = self.db
        h_cols = ", ".join(n for _c, n, _f in H_STAGE)
        (n_rows,) = db.one("SELECT COUNT(*) FROM {stage}")
        if not db.pg or n_rows < STAGE_INDEX_LIMIT:  # (a large stage is joined by hashing: no index needed)
            db.run("CREATE INDEX {stage}_number ON {stage} (h_number)")
            db.run("CREATE INDEX {stage}_id ON {stage} (m_id_number)")
        db.run("CREATE INDEX {stage}_row ON {stage} (row_no)")
        db.analyze("stage", "row_no, h_number, h_area_code, m_id_number, m_name, m_birth_date, m_relation, bad")
        # one row per household (its first row), matched on 户编号, its village and group resolved
        db.run("INSERT INTO {stage_h} (row_no, n_rows, n_heads, n_unknown, n_bad, sigs, first_sig, head_name, {cols}, "
               "hh_id, old_area_code, old_status, is_new, status_changed, moved, village_id, group_id) "
               "SELECT s.row_no, a.n, a.heads, a.unknown, a.bad, a.sigs, s.sig, a.head_name, {scols}, "
               "h.id, h.area_code, h.status, CASE WHEN h.id IS NULL THEN TRUE ELSE FALSE END, "
               "CASE WHEN h.status <> s.h_status THEN TRUE ELSE FALSE END, "
               "CASE WHEN h.area_code <> s.h_area_code THEN TRUE ELSE FALSE END, v.id, g.id "
               "FROM {stage} s JOIN ("
               "SELECT h_number, MIN(row_no) AS first_row, COUNT(*) AS n, "
               "SUM(CASE WHEN m_relation = %s THEN 1 ELSE 0 END) AS heads, "
               "SUM(CASE WHEN m_relation IS NULL THEN 1 ELSE 0 END) AS unknown, SUM(bad) AS bad, "
               # sigs: 2 when the household's rows disagree (MIN/MAX, unlike COUNT(DISTINCT),
               # lets PostgreSQL aggregate by hashing instead of sorting the whole file)
               "CASE WHEN MIN(sig) < MAX(sig) THEN 2 ELSE 1 END AS sigs, "
               "MIN(CASE WHEN m_relation = %s THEN m_name END) AS head_name "
               "FROM {stage} WHERE h_number IS NOT NULL GROUP BY h_number) a ON a.first_row = s.row_no "
               "LEFT JOIN {hh} h ON h.number = s.h_number "
               "LEFT JOIN {area} v ON v.code = SUBSTR(s.h_area_code, 1, 12) AND v.valid_to IS NULL AND v.level = %s "
               "LEFT JOIN {area} g ON g.code = s.h_area_code AND g.valid_to IS NULL AND g.level = %s",
               [HEAD, HEAD, area_rules.VILLAGE, area_rules.GROUP], cols=h_cols,
               scols=", ".join(f"s.{n}" for _c, n, _f in H_STAGE))
        db.run("CREATE UNIQUE INDEX {stage_h}_number ON {stage_h} (h_number)")
        db.run("CREATE INDEX {stage_h}_hh ON {stage_h} (hh_id)")
        db.analyze("stage_h", "row_no, h_number, hh_id, is_new")
        # the report names every bad row at once: rows outside the actor's area, then what is
        # wrong within the file (all of it), then what is wrong against the registry and its areas
        outside = self.permission()
        self.household_columns()
        self.heads()
        self.household_rules()
        duplicate_rows = self.duplicate_ids()
        self.same_person_without_id()
        if outside:
            self.leave_out_outside()
        self.areas()
        self.ids_elsewhere()
        self.match_members()
        self.matched_twice(duplicate_rows)
        self.head_left_out()
        self.status_dates()

    def permission(self) -> bool:
        """The actor needs registry.import at every area code in the file (and where a
        household to be moved is now). Set-based: the distinct codes against the scope."""
        cond = _scope_condition(self.actor, "h_area_code")
        if cond is None:
            return False
        where, params = cond
        found = False
        for code, first, count in self.db.rows(
                "SELECT h_area_code, MIN(row_no), COUNT(*) FROM {stage} WHERE h_area_code IS NOT NULL "
                "AND NOT {inside} GROUP BY h_area_code ORDER BY MIN(row_no)", params, inside=where):
            found = True
            self.add(first, "区划代码", code, ngettext("you may not import in area %(code)s (%(n)s row with this code)",
                                                    "you may not import in area %(code)s (%(n)s rows with this code)",
                                                    count) % {"code": code, "n": count})
        where, params = _scope_condition(self.actor, "old_area_code")
        for row, number, code in self.db.rows(
                "SELECT row_no, h_number, old_area_code FROM {stage_h} WHERE old_area_code IS NOT NULL "
                "AND NOT {inside}", params, inside=where):
            found = True
            self.add(row, "户编号", number, _("household %(number)s is registered in area %(code)s, outside your "
                                             "area") % {"number": number, "code": code})
        return found

    def leave_out_outside(self) -> None:
        """After ``permission`` has reported them, the households outside the actor's area (a
        row of theirs there, or registered there) are left out of the checks against the
        registry: nothing more is said about areas the actor may not import into (a head's
        name, a date of theirs), and these rows' areas are already reported. (Nothing is written:
        the report is not empty.)"""
        new, new_params = _scope_condition(self.actor, "h_area_code")
        old, old_params = _scope_condition(self.actor, "old_area_code")
        self.db.run("DELETE FROM {stage} WHERE h_number IN (SELECT h_number FROM {stage} WHERE h_area_code IS NOT NULL "
                    "AND NOT {new} UNION SELECT h_number FROM {stage_h} WHERE old_area_code IS NOT NULL AND NOT {old}) "
                    "OR (h_number IS NULL AND h_area_code IS NOT NULL AND NOT {new})",
                    [*new_params, *old_params, *new_params], new=new, old=old)
        self.db.run("DELETE FROM {stage_h} WHERE NOT EXISTS (SELECT 1 FROM {stage} s WHERE s.h_number = "
                    "{stage_h}.h_number)")

    def areas(self) -> None:
        for row, code in self.db.rows(
                "SELECT s.row_no, s.h_area_code FROM {stage} s WHERE s.h_area_code IN (SELECT c.code FROM "
                "(SELECT DISTINCT h_area_code AS code FROM {stage} WHERE h_area_code IS NOT NULL) c "
                "WHERE NOT EXISTS (SELECT 1 FROM {area} a WHERE a.code = c.code AND a.valid_to IS NULL "
                "AND a.level IN (%s, %s))) ORDER BY s.row_no LIMIT %s",
                [area_rules.VILLAGE, area_rules.GROUP, self.room]):
            self.add(row, "区划代码", code, _("no current village or village group has this code"))

    def household_columns(self) -> None:
        """Rows whose household columns differ from the household's first row."""
        if not self.db.one("SELECT 1 FROM {stage_h} WHERE sigs > 1 LIMIT 1"):
            return
        cols = [(c, n) for c, n, _f in H_STAGE if n in self.present]
        select = ", ".join(f"s.{n}, h.{n}" for _c, n in cols)
        for r in self.db.rows("SELECT s.row_no, h.row_no, {select} FROM {stage} s JOIN {stage_h} h "
                              "ON h.h_number = s.h_number WHERE h.sigs > 1 AND s.sig IS NOT NULL "
                              "AND s.sig <> h.first_sig ORDER BY s.row_no LIMIT %s", [self.room], select=select):
            row, first = r[0], r[1]
            for i, (col, _n) in enumerate(cols):
                mine, theirs = r[2 + 2 * i], r[3 + 2 * i]
                if _norm(col, mine) != _norm(col, theirs):
                    self.add(row, col.header, exchange.format_cell(col, _norm(col, mine)),
                             _("differs from row %(row)s of the same household (%(value)s)")
                             % {"row": first, "value": exchange.format_cell(col, _norm(col, theirs))})

    def heads(self) -> None:
        for row, number in self.db.rows("SELECT row_no, h_number FROM {stage_h} WHERE n_heads = 0 AND n_unknown = 0 "
                                        "ORDER BY row_no LIMIT %s", [self.room]):
            self.add(row, "与户主关系", "", _("household %(number)s has no head (与户主关系 = 户主)")
                     % {"number": number})
        for row, number, n in self.db.rows(
                "SELECT s.row_no, h.h_number, h.n_heads FROM {stage} s JOIN {stage_h} h ON h.h_number = s.h_number "
                "WHERE h.n_heads > 1 AND s.m_relation = %s ORDER BY s.row_no LIMIT %s", [HEAD, self.room]):
            self.add(row, "与户主关系", "户主", _("household %(number)s has %(n)s heads") % {"number": number, "n": n})

    def household_rules(self) -> None:
        """The household rules of actions._check_household, on each household's first row."""
        if {"h_cause2", "h_cause3"} <= self.present:
            for row, value in self.db.rows(
                    "SELECT row_no, h_cause2 FROM {stage_h} WHERE (h_cause2 <> '' AND (h_cause2 = h_main_cause "
                    "OR h_cause2 = h_cause3)) OR (h_cause3 <> '' AND h_cause3 = h_main_cause) "
                    "ORDER BY row_no LIMIT %s", [self.room]):
                self.add(row, "其他致贫原因1", codes.zh("cause", value), _("a cause of poverty is given twice"))
        if {"h_relocated", "h_relocation_mode", "h_relocation_place"} <= self.present:
            for row, mode in self.db.rows(
                    "SELECT row_no, h_relocation_mode FROM {stage_h} WHERE COALESCE(h_relocated, FALSE) = FALSE "
                    "AND (COALESCE(h_relocation_mode, '') <> '' OR COALESCE(h_relocation_place, '') <> '') "
                    "ORDER BY row_no LIMIT %s", [self.room]):
                self.add(row, "搬迁方式", codes.zh("relocation_mode", mode),
                         _("relocation mode or place given for a household that was not relocated"))

    def duplicate_ids(self) -> set[int]:
        seen: dict[str, list[int]] = {}
        repeated = "SELECT m_id_number FROM {stage} WHERE m_id_number IS NOT NULL GROUP BY m_id_number HAVING COUNT(*) > 1"
        if self.db.pg:
            # the repeated numbers first, in one aggregate (as a subquery, every parallel worker
            # would build the whole aggregate again), then their rows
            numbers = [r[0] for r in self.db.rows(repeated + " ORDER BY m_id_number LIMIT %s", [self.room])]
            if not numbers:
                return set()
            where, params = "s.m_id_number = ANY(%s)", [numbers, self.room]
        else:
            where, params = "s.m_id_number IN (" + repeated + ")", [self.room]
        for id_number, row in self.db.rows(
                "SELECT s.m_id_number, s.row_no FROM {stage} s WHERE {where} ORDER BY s.m_id_number, s.row_no "
                "LIMIT %s", params, where=where):
            seen.setdefault(id_number, []).append(row)
        rows = set()
        for id_number, numbers in seen.items():
            for row in numbers:
                rows.add(row)
                others = [n for n in numbers if n != row]
                self.add(row, "证件号码", id_number, ngettext(
                    "the same ID number is also on row %(rows)s", "the same ID number is also on rows %(rows)s",
                    len(others)) % {"rows": "、".join(map(str, others))})
        return rows

    def ids_elsewhere(self) -> None:
        actor = self.actor
        for row, id_number, number, area_code in self.db.rows(
                "SELECT s.row_no, s.m_id_number, h.number, h.area_code FROM {stage} s "
                "JOIN {mem} m ON m.id_number = s.m_id_number "
                "JOIN {hh} h ON h.id = m.household_id WHERE m.active = %s AND s.h_number IS NOT NULL "
                "AND h.number <> s.h_number ORDER BY s.row_no LIMIT %s", [True, self.room]):
            # (the household is named to whom may see it, as registry.actions does)
            if actor.is_system or can(actor.user, "registry.view", area_code):
                reason = _("this person is already an active member of household %(number)s") % {"number": number}
            else:
                reason = _("this person is already an active member of a household outside your area")
            self.add(row, "证件号码", id_number, reason)

    def match_members(self) -> None:
        """Members of existing households: by ID number, else (no ID number, or an ID
        number the registry does not have yet) by name and birth date among the
        household's members without an ID number."""
        db = self.db
        db.run("INSERT INTO {match} (row_no, member_id) SELECT s.row_no, m.id FROM {stage} s JOIN {mem} m "
               "ON m.id_number = s.m_id_number WHERE m.active = %s", [True])
        db.run("CREATE INDEX {match}_row ON {match} (row_no)")
        db.run("INSERT INTO {match} (row_no, member_id) SELECT s.row_no, MIN(m.id) FROM {stage} s "
               "JOIN {stage_h} h ON h.h_number = s.h_number JOIN {mem} m ON m.household_id = h.hh_id "
               "WHERE s.bad = 0 AND h.hh_id IS NOT NULL AND m.active = %s AND m.id_number IS NULL "
               "AND m.name = s.m_name AND (m.birth_date = s.m_birth_date "
               "OR (m.birth_date IS NULL AND s.m_birth_date IS NULL)) "
               "AND NOT EXISTS (SELECT 1 FROM {match} x WHERE x.row_no = s.row_no) GROUP BY s.row_no", [True])
        db.run("CREATE INDEX {match}_member ON {match} (member_id)")
        db.analyze("match", "row_no, member_id")

    def matched_twice(self, skip: set[int]) -> None:
        seen: dict[int, list[int]] = {}
        names = {}
        for member_id, row, name in self.db.rows(
                "SELECT x.member_id, x.row_no, s.m_name FROM {match} x JOIN {stage} s ON s.row_no = x.row_no "
                "WHERE x.member_id IN (SELECT member_id FROM {match} GROUP BY member_id HAVING COUNT(*) > 1) "
                "ORDER BY x.member_id, x.row_no LIMIT %s", [self.room]):
            seen.setdefault(member_id, []).append(row)
            names[row] = name
        for numbers in seen.values():
            for row in numbers:
                if row not in skip:
                    others = [n for n in numbers if n != row]
                    self.add(row, "姓名", names[row], ngettext(
                        "this row and row %(rows)s are the same member of the registry",
                        "this row and rows %(rows)s are the same member of the registry",
                        len(others)) % {"rows": "、".join(map(str, others))})

    def same_person_without_id(self) -> None:
        seen: dict[tuple, list[tuple[int, str]]] = {}
        for row, number, name, birth in self.db.rows(
                "SELECT s.row_no, s.h_number, s.m_name, s.m_birth_date FROM {stage} s JOIN (SELECT h_number, m_name, "
                "m_birth_date FROM {stage} WHERE m_id_number IS NULL AND bad = 0 GROUP BY h_number, m_name, "
                "m_birth_date HAVING COUNT(*) > 1) d ON d.h_number = s.h_number AND d.m_name = s.m_name "
                "AND (d.m_birth_date = s.m_birth_date OR (d.m_birth_date IS NULL AND s.m_birth_date IS NULL)) "
                "WHERE s.m_id_number IS NULL AND s.bad = 0 ORDER BY s.row_no LIMIT %s", [self.room]):
            seen.setdefault((number, name, birth), []).append((row, name))
        for rows in seen.values():
            for row, name in rows:
                others = [n for n, _name in rows if n != row]
                self.add(row, "姓名", name, ngettext(
                    "the same person (same name and birth date, no ID number) is also on row %(rows)s",
                    "the same person (same name and birth date, no ID number) is also on rows %(rows)s",
                    len(others)) % {"rows": "、".join(map(str, others))})

    def head_left_out(self) -> None:
        for row, number, name in self.db.rows(
                "SELECT h.row_no, h.h_number, m.name FROM {stage_h} h JOIN {mem} m ON m.household_id = h.hh_id "
                "WHERE m.active = %s AND m.relation = %s AND h.n_heads > 0 AND h.n_bad = 0 AND NOT EXISTS "
                "(SELECT 1 FROM {match} x WHERE x.member_id = m.id) ORDER BY h.row_no LIMIT %s",
                [True, HEAD, self.room]):
            self.add(row, "与户主关系", "户主", _("household %(number)s already has a head (%(name)s) who is not in "
                                             "the file") % {"number": number, "name": name})

    def status_dates(self) -> None:
        for row, date, last in self.db.rows(
                "SELECT h.row_no, h.h_status_date, MAX(c.date) FROM {stage_h} h JOIN {sc} c "
                "ON c.household_id = h.hh_id WHERE h.h_status <> h.old_status AND h.h_status_date IS NOT NULL "
                "GROUP BY h.row_no, h.h_status_date HAVING h.h_status_date < MAX(c.date) ORDER BY h.row_no LIMIT %s",
                [self.room]):
            self.add(row, "状态日期", _as_date(date), _("the status changes, but this date is before the last "
                                                   "recorded change (%(date)s)") % {"date": _as_date(last)})


def _as_date(value) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value or "")


def _norm(col: exchange.Column, value):
    """A value read back from the staging tables or the registry, in the type parse_cell gives
    (SQLite hands back floats for decimals, 0/1 for yes/no, text for dates)."""
    if value is None:
        return None
    if col.kind == "decimal":
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-_model_field(col).decimal_places),
                                            rounding=ROUND_HALF_UP)
    if col.kind == "bool":
        return bool(value)
    if col.kind == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


# --- what would change --------------------------------------------------------------------

def _differs(target: str, source: str, names: list[str]) -> str:
    """SQL true when a stored row differs from its staging row in one of ``names``
    (null-safe; an empty yes/no cell or status date keeps the stored value)."""
    parts = []
    for n in names:
        if KIND[n] == "bool" or n == "h_status_date":
            parts.append(f"({source}.{n} IS NOT NULL AND {target}.{FIELD[n]} {{ne}} {source}.{n})")
        else:
            parts.append(f"{target}.{FIELD[n]} {{ne}} {source}.{n}")
    return "(" + " OR ".join(parts) + ")" if parts else "(1 = 0)"


def _h_compared(present: set[str]) -> list[str]:
    return [n for _c, n, _f in H_STAGE if n in present and n != "h_number"]


def _m_compared(present: set[str]) -> list[str]:
    return [n for _c, n, _f in M_STAGE if n in present]


FIELD = {n: c.field for c, n, _f in STAGE}
KIND = {n: c.kind for c, n, _f in STAGE}


def _flag(db: _Db, present: set[str]) -> None:
    """Mark what the import changes: changed households and members, status changes, moves."""
    h_names, m_names = _h_compared(present), _m_compared(present)
    db.run("UPDATE {stage_h} SET changed = TRUE WHERE hh_id IS NOT NULL AND EXISTS (SELECT 1 FROM {hh} t "
           "WHERE t.id = {stage_h}.hh_id AND {differs})", differs=_differs("t", "{stage_h}", h_names))
    db.run("UPDATE {match} SET mchanged = TRUE FROM {stage} s, {mem} t WHERE s.row_no = {match}.row_no "
           "AND t.id = {match}.member_id AND {differs}", differs=_differs("t", "s", m_names))
    # touched: an existing household with a changed field, a changed member or a new member
    db.run("UPDATE {stage_h} SET touched = TRUE WHERE is_new = FALSE AND (changed = TRUE OR h_number IN ("
           "SELECT s.h_number FROM {stage} s LEFT JOIN {match} x ON x.row_no = s.row_no "
           "WHERE x.row_no IS NULL OR x.mchanged = TRUE))")


def _count(db: _Db, result: ImportResult) -> None:
    new, touched, households, status = db.one(
        "SELECT SUM(CASE WHEN is_new = TRUE THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN is_new = TRUE OR touched = TRUE THEN 1 ELSE 0 END), "
        "COUNT(*), SUM(CASE WHEN is_new = TRUE OR status_changed = TRUE THEN 1 ELSE 0 END) FROM {stage_h}")
    (rows,) = db.one("SELECT COUNT(*) FROM {stage}")
    matched, changed_members = db.one("SELECT COUNT(*), SUM(CASE WHEN mchanged = TRUE THEN 1 ELSE 0 END) "
                                      "FROM {match}")
    new_members = rows - matched
    low, high = db.one("SELECT MIN(h_area_code), MAX(h_area_code) FROM {stage_h}")
    result.households_created = int(new or 0)
    result.households_updated = int(touched or 0) - result.households_created
    result.households_unchanged = int(households or 0) - int(touched or 0)
    result.members_created = int(new_members or 0)
    result.members_updated = int(changed_members or 0)
    result.status_changes = int(status or 0)
    result.area_code = _common_area(low or "", high or "")


def _common_area(low: str, high: str) -> str:
    """The smallest area containing every code from ``low`` to ``high``, as a 12-digit code."""
    prefix = ""
    for a, b in zip(low, high, strict=False):
        if a != b:
            break
        prefix += a
    for level in reversed(area_rules.LEVELS[:-1]):
        n = area_rules.PREFIX_LENGTH[level]
        if len(prefix) >= n:
            return prefix[:n].ljust(12, "0")
    return ""


# --- writing ---------------------------------------------------------------------------------

def _default(mfield: models.Field):
    if mfield.null:
        return None
    if mfield.has_default():
        return mfield.get_default()
    return "" if isinstance(mfield, models.CharField) else None


REBUILD_MIN_ROWS = 50_000  # PostgreSQL: new members from which indexes are rebuilt rather than maintained


def _bulk_tables(db: _Db) -> list[str]:
    return [db.names["hh"], db.names["mem"], db.names["sc"]]


def _rebuild_worthwhile(db: _Db, result: ImportResult) -> bool:
    """A load that at least doubles the member table (the first load of a province):
    building each index once, sorted, after the rows are in is many times faster than
    maintaining it row by row, and checking each foreign key once (one anti-join) faster
    than a deferred check per row at commit. But every other session waits on the
    registry's tables until such an import commits: a database already in use by other
    areas (a national one) sets FUPIN_IMPORT_REBUILD_INDEXES=never."""
    new = result.members_created
    if not db.pg or new < REBUILD_MIN_ROWS or new == 0 or settings.IMPORT_REBUILD_INDEXES == "never":
        return False
    (existing,) = db.one("SELECT COUNT(*) FROM (SELECT 1 FROM {mem} LIMIT %s) x", [new])
    return existing < new


def _drop_secondary(db: _Db) -> list[str]:
    """Drop the secondary indexes, unique constraints and foreign keys of the registry's bulk
    tables (in the import's transaction: other sessions wait on the tables until it ends);
    return the statements that create them again, in order."""
    qn = connection.ops.quote_name
    indexes, constraints = [], []
    # deferred foreign-key checks already queued in this transaction are made now: a table
    # with pending checks cannot be altered
    db.run("SET CONSTRAINTS ALL IMMEDIATE")
    for table in _bulk_tables(db):
        for name, definition in db.rows(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = CAST(%s AS regclass) "
                "AND contype IN ('f', 'u') ORDER BY contype DESC, conname", [table]):
            db.run(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
            constraints.append(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")
        for name, definition in db.rows(
                "SELECT CAST(i.indexrelid AS regclass), pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = CAST(%s AS regclass) AND NOT i.indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)", [table]):
            db.run(f"DROP INDEX {name}")
            indexes.append(definition)
    # unique constraints and indexes first, foreign keys last
    return indexes + sorted(constraints, key=lambda sql: "FOREIGN KEY" in sql)


def _restore_secondary(db: _Db, statements: list[str]) -> None:
    db.run("SET LOCAL maintenance_work_mem = '" + MAINTENANCE_WORK_MEM + "'")
    for sql in statements:
        db.cursor.execute(sql)
    db.run("SET CONSTRAINTS ALL DEFERRED")  # (Django's foreign keys are all deferrable, initially deferred)


def _apply(db: _Db, present: set[str], actor: Actor, result: ImportResult, filename: str) -> None:
    now, today = clock.now(), clock.today()
    user_id = actor.user.pk if actor.user is not None else None
    h_names, m_names = _h_compared(present), _m_compared(present)
    existing = result.households_updated > 0  # only then is there anything to compare or to add to

    # 1. the before/after values of what changes, into the audit log (streamed)
    if existing:
        audit.record_many(actor, "registry.household.import_update", _household_changes(db, h_names))
        audit.record_many(actor, "registry.member.import_update", _member_changes(db, m_names))
        audit.record_many(actor, "registry.member.import_create", _members_added(db, present))

    # 2. existing households
    sets, params = [], []
    for n in h_names:
        f = FIELD[n]
        if n == "h_status_date":
            sets.append(f"{f} = CASE WHEN s.h_status <> {{hh}}.status THEN COALESCE(s.{n}, %s) "
                        f"ELSE COALESCE(s.{n}, {{hh}}.{f}) END")
            params.append(today)
        elif KIND[n] == "bool":
            sets.append(f"{f} = COALESCE(s.{n}, {{hh}}.{f})")
        else:
            sets.append(f"{f} = s.{n}")
    sets += ["village_id = s.village_id", "group_id = s.group_id", "county_code = SUBSTR(s.h_area_code, 1, 6)",
             "version = {hh}.version + 1", "updated_at = %s"]
    params.append(now)
    if existing:
        db.run("UPDATE {hh} SET {sets} FROM {stage_h} s WHERE {hh}.id = s.hh_id AND s.changed = TRUE", params,
               sets=", ".join(sets))

    rebuild = _drop_secondary(db) if _rebuild_worthwhile(db, result) else None
    result.indexes_rebuilt = rebuild is not None

    # 3. new households, with their size and head from the file
    cols, exprs, params = [], [], []
    for _c, n, f in H_STAGE:
        cols.append(FIELD[n])
        if n == "h_status_date":
            exprs.append(f"COALESCE(s.{n}, %s)")
            params.append(today)
        elif n in present and (default := _default(f)) is None:
            exprs.append(f"s.{n}")
        elif n in present:
            exprs.append(f"COALESCE(s.{n}, %s)")
            params.append(default)
        else:
            exprs.append("%s")
            params.append(_default(f))
    cols += ["county_code", "village_id", "group_id", "head_name", "size", "version", "created_at", "updated_at"]
    exprs += ["SUBSTR(s.h_area_code, 1, 6)", "s.village_id", "s.group_id", "COALESCE(s.head_name, '')", "s.n_rows",
              "1", "%s", "%s"]
    params += [now, now]
    db.run("INSERT INTO {hh} ({cols}) SELECT {exprs} FROM {stage_h} s WHERE s.is_new = TRUE", params,
           cols=", ".join(cols), exprs=", ".join(exprs))
    if rebuild is not None:
        db.run("ANALYZE {hh}")  # (joined on its number below, with its unique index gone for now)
    # (new households are found again by their number: no rewrite of the staging rows)

    # 4. the dated status history: new households, and households whose status changes
    db.run("INSERT INTO {sc} (household_id, area_code, status, date, reason, source, recorded_by_id, recorded_at) "
           "SELECT h.id, s.h_area_code, s.h_status, COALESCE(s.h_status_date, %s), %s, %s, %s, %s FROM {stage_h} s "
           "JOIN {hh} h ON h.number = s.h_number WHERE s.is_new = TRUE OR s.status_changed = TRUE",
           [today, (_("imported from %(file)s") % {"file": filename})[:200], SOURCE, user_id, now])

    # 5. members: changed ones, then new ones
    if existing:
        sets, params = [], []
        for n in m_names:
            f = FIELD[n]
            sets.append(f"{f} = COALESCE(s.{n}, {{mem}}.{f})" if KIND[n] == "bool" else f"{f} = s.{n}")
        sets.append("name_pinyin = COALESCE(s.name_pinyin, (SELECT n.pinyin FROM {names} n WHERE n.name = s.m_name), '')")
        if "m_id_number" in present:
            sets.append("id_rev = s.id_rev")
        sets.append("updated_at = %s")
        params.append(now)
        db.run("UPDATE {mem} SET {sets} FROM {match} x, {stage} s WHERE {mem}.id = x.member_id "
               "AND x.mchanged = TRUE AND s.row_no = x.row_no", params, sets=", ".join(sets))
    cols, exprs, params = ["household_id", "area_code"], ["h.id", "s.h_area_code"], []
    for _c, n, f in M_STAGE:
        cols.append(FIELD[n])
        default = _default(f)
        if n not in present:
            exprs.append("%s")
            params.append(default)
        elif default is None:
            exprs.append(f"s.{n}")
        else:
            exprs.append(f"COALESCE(s.{n}, %s)")
            params.append(default)
    cols += ["name_pinyin", "id_rev", "active", "left_reason", "created_at", "updated_at"]
    exprs += ["COALESCE(s.name_pinyin, n.pinyin, '')", "COALESCE(s.id_rev, '')", "%s", "''", "%s", "%s"]
    params += [True, now, now]
    db.run("INSERT INTO {mem} ({cols}) SELECT {exprs} FROM {stage} s JOIN {hh} h ON h.number = s.h_number "
           "LEFT JOIN {names} n ON n.name = s.m_name WHERE NOT EXISTS (SELECT 1 FROM {match} x WHERE x.row_no = s.row_no)", params,
           cols=", ".join(cols), exprs=", ".join(exprs))

    if rebuild is not None:
        _restore_secondary(db, rebuild)

    if existing:
        # 6. households that moved take their members', incomes' and status history's area codes
        # along (a count "on a date" counts a household where it belongs now, as the lists do)
        for table in ("{mem}", "{income}", "{sc}"):
            db.run("UPDATE {table} SET area_code = h.h_area_code FROM {stage_h} h WHERE {table}.household_id = h.hh_id "
                   "AND h.moved = TRUE", table=table)
        # 7. size and head of existing households whose members changed
        db.run("UPDATE {hh} SET size = a.n, head_name = COALESCE(a.head, '') FROM (SELECT m.household_id, "
               "COUNT(*) AS n, MIN(CASE WHEN m.relation = %s THEN m.name END) AS head FROM {mem} m "
               "JOIN {stage_h} h ON h.hh_id = m.household_id WHERE h.touched = TRUE "
               "AND m.active = %s GROUP BY m.household_id) a WHERE {hh}.id = a.household_id "
               "AND ({hh}.size <> a.n OR {hh}.head_name <> COALESCE(a.head, ''))", [HEAD, True])

    # 8. one bulk event with the counts, listing every household created or updated (one INSERT … SELECT)
    event = audit.record(actor, "registry.import", kind="bulk", object_type="registry.household",
                         area_code=result.area_code,
                         count=result.households_created + result.households_updated,
                         after={k: v for k, v in result.as_dict().items() if k not in ("dry_run", "errors")},
                         note=filename)
    if db.pg and result.members_created + result.members_updated >= ANALYZE_AFTER:
        # a bulk load changes the tables' statistics more than autovacuum catches up with at once
        for table in ("{hh}", "{mem}", "{sc}"):
            db.run("ANALYZE " + table)
    audit.record_items_select(event, db.sql(
        "SELECT h.id AS object_id, CASE WHEN s.is_new = TRUE THEN 'created' ELSE 'updated' END AS change "
        "FROM {stage_h} s "
        "JOIN {hh} h ON h.number = s.h_number WHERE s.is_new = TRUE OR s.touched = TRUE"))
    # 9. households new to the registry get a record in the open re-check rounds over their
    # area (一年一核: every household of the round is re-checked), as create_household does
    add_to_open_rounds(Household.objects.filter(
        number__in=RawSQL(db.sql("SELECT s.h_number FROM {stage_h} s WHERE s.is_new = TRUE"), [])))  # noqa: S611 (our own staging table)
    if existing:
        # 10. each county that households moved out of is told (its statistics are no longer current)
        for county, count in db.rows(
                "SELECT SUBSTR(old_area_code, 1, 6), COUNT(*) FROM {stage_h} WHERE moved = TRUE "
                "AND SUBSTR(old_area_code, 1, 6) <> SUBSTR(h_area_code, 1, 6) GROUP BY SUBSTR(old_area_code, 1, 6) "
                "ORDER BY 1"):
            audit.record(actor, "registry.household.import_moved_out", kind="bulk", object_type="registry.household",
                         area_code=county.ljust(12, "0"), count=count, note=filename)


def _household_changes(db: _Db, names: list[str]) -> Iterator[dict]:
    select = ", ".join(f"t.{FIELD[n]}, s.{n}" for n in names)
    for r in db.stream("SELECT s.hh_id, s.h_number, s.h_area_code, {select} FROM {stage_h} s JOIN {hh} t "
                       "ON t.id = s.hh_id WHERE s.changed = TRUE ORDER BY s.hh_id", select=select):
        before, after = _diff(r[3:], names)
        if before:
            yield {"object_type": "registry.household", "object_id": r[0], "object_repr": r[1], "area_code": r[2],
                   "before": before, "after": after}


def _member_changes(db: _Db, names: list[str]) -> Iterator[dict]:
    select = ", ".join(f"t.{FIELD[n]}, s.{n}" for n in names)
    for r in db.stream("SELECT x.member_id, t.name, s.h_area_code, {select} FROM {match} x "
                       "JOIN {stage} s ON s.row_no = x.row_no JOIN {mem} t ON t.id = x.member_id "
                       "WHERE x.mchanged = TRUE ORDER BY x.member_id", select=select):
        before, after = _diff(r[3:], names)
        if before:
            yield {"object_type": "registry.member", "object_id": r[0], "object_repr": r[1], "area_code": r[2],
                   "before": before, "after": after}


def _members_added(db: _Db, present: set[str]) -> Iterator[dict]:
    """Members added to a household that exists (members of new households are listed by
    the bulk event, with their household)."""
    names = _m_compared(present)
    select = ", ".join(f"s.{n}" for n in names)
    for r in db.stream("SELECT h.hh_id, h.h_number, h.h_area_code, {select} FROM {stage} s JOIN {stage_h} h "
                       "ON h.h_number = s.h_number WHERE h.is_new = FALSE AND h.touched = TRUE "
                       "AND NOT EXISTS (SELECT 1 FROM {match} x WHERE x.row_no = s.row_no) ORDER BY s.row_no",
                       select=select):
        after = {FIELD[n]: _norm(BY_STAGE[n][0], v) for n, v in zip(names, r[3:], strict=True)}
        yield {"object_type": "registry.household", "object_id": r[0], "object_repr": r[1], "area_code": r[2],
               "after": after}


def _diff(values: tuple, names: list[str]) -> tuple[dict, dict]:
    before, after = {}, {}
    for i, n in enumerate(names):
        col = BY_STAGE[n][0]
        old, new = _norm(col, values[2 * i]), _norm(col, values[2 * i + 1])
        if new is None and (col.kind == "bool" or n == "h_status_date"):
            continue  # an empty yes/no cell or status date keeps the stored value
        if old != new:
            before[col.field], after[col.field] = old, new
    return before, after
