"""The registry out to the flat national exchange format (exchange.py): the empty
template with its explanation sheet, and the export of an area (one row per active
member, the household's columns repeated, members ordered by household).

An exported file imports back without changing anything (tests prove the round trip)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from fupin.accounts.scoping import Scope, require
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core.actor import Actor
from fupin.core.errors import Invalid
from fupin.core.tabular import write_csv, write_xlsx
from fupin.jobs.actions import NoProgress

from . import exchange
from .models import Member

DATA_SHEET = "建档立卡信息"  # the exchange format's sheet names (data, like its headers)
EXPLAIN_SHEET = "填写说明"
PROGRESS_EVERY = 20_000
XLSX_MAX_ROWS = 1_048_575  # an Excel sheet holds 1,048,576 rows, one of them the header


def explanation_headers() -> list[str]:
    return [_("Column"), _("Household or member"), _("Required"), _("Allowed values"), _("Notes")]


def write_template(target) -> None:
    """The empty exchange template: the headers, and a sheet explaining every column."""
    write_xlsx(target, exchange.HEADERS, [], sheet_name=DATA_SHEET,
               extra_sheets={EXPLAIN_SHEET: (explanation_headers(), exchange.explanation_rows())})


def _formatter(col: exchange.Column) -> Callable[[object], str]:
    """format_cell, remembered per value for the columns whose values repeat."""
    if col.kind.startswith("code:") or col.kind in ("bool", "year"):
        cache: dict = {}

        def cached(value):
            text = cache.get(value)
            if text is None:
                text = cache[value] = exchange.format_cell(col, value)
            return text

        return cached
    return lambda value: exchange.format_cell(col, value)


def _value_paths() -> list[str]:
    return [("household__" + c.field) if c.level == exchange.HOUSEHOLD else c.field for c in exchange.COLUMNS]


def export_rows(scope: Scope) -> Iterator[list[str]]:
    """The exchange rows of every active member in ``scope``, household by household,
    streamed from the database (a server-side cursor on PostgreSQL)."""
    formatters = [_formatter(c) for c in exchange.COLUMNS]
    qs = (scope.filter(Member.objects.filter(active=True))
          .order_by("area_code", "household__number", "relation", "birth_date", "pk")
          .values_list(*_value_paths()))
    for values in qs.iterator(chunk_size=5000):
        yield [fmt(v) for fmt, v in zip(formatters, values, strict=True)]


def count_rows(scope: Scope) -> int:
    return scope.filter(Member.objects.filter(active=True)).count()


def export_registry(actor: Actor, area_code: str, target: str | Path, *, progress=None) -> int:
    """Write the area's registry to ``target`` (.xlsx or .csv by suffix: write_export). Needs
    registry.export at the area; the export of personal data is logged. Returns the rows written.
    ``progress``: the job's (rows written so far); NoProgress outside a job."""
    area = area_to_export(actor, area_code)
    return write_export(actor, area, target, exchange.HEADERS, sheet_name=DATA_SHEET, action="registry.export",
                        rows=lambda scope, xlsx: export_rows(scope), count=count_rows, progress=progress,
                        too_many=_("The area has more members than an Excel sheet can hold; export it as .csv."))


# --- the frame of an area's export (this one's and the income ledger's: income_exchange.py) --------

def area_to_export(actor: Actor, area_code: str) -> Area:
    """The current area ``area_code`` (any level but a village group), where the actor needs
    registry.export (Forbidden otherwise)."""
    area = Area.objects.filter(code=area_code, valid_to__isnull=True).first()
    if area is None or area.level == area_rules.GROUP:
        raise Invalid(_("Area %(code)s does not exist.") % {"code": area_code}, field="area_code")
    require(actor, "registry.export", area.code)
    return area


def write_export(actor: Actor, area: Area, target: str | Path, headers: list[str], *, sheet_name: str,
                 rows: Callable[[Scope, bool], Iterator[list]], count: Callable[[Scope], int], too_many: str,
                 action: str, note: str | None = None, progress=None) -> int:
    """Write the rows of ``area`` to ``target``, under ``headers``: .xlsx (the sheet ``sheet_name``)
    or .csv by its suffix, streamed from ``rows(scope, xlsx)``; refused with ``too_many`` when an
    Excel sheet cannot hold them (``count(scope)``). The export of personal data is logged as
    ``action`` (``note``: the file's name unless given). Returns the rows written. ``progress``:
    the job's (rows written so far); NoProgress outside a job."""
    progress = progress or NoProgress()
    target = Path(target)
    suffix = target.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise Invalid(_("Unsupported file type “%(suffix)s”: use .xlsx or .csv.") % {"suffix": suffix})
    scope = Scope([area.prefix])
    if suffix == ".xlsx" and count(scope) > XLSX_MAX_ROWS:
        raise Invalid(too_many)
    written = 0

    def counted():
        nonlocal written
        for row in rows(scope, suffix == ".xlsx"):
            written += 1
            if written % PROGRESS_EVERY == 0:
                progress.update(written)
            yield row

    if suffix == ".csv":
        write_csv(target, headers, counted())
    else:
        write_xlsx(target, headers, counted(), sheet_name=sheet_name)
    progress.update(written)
    audit.record_export(actor, action, area_code=area.code, count=written,
                        note=target.name if note is None else note)
    return written
