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
    """Write the area's registry to ``target`` (.xlsx or .csv by suffix). Needs
    registry.export at the area; the export of personal data is logged. Returns the rows written.
    ``progress``: the job's (rows written so far); NoProgress outside a job."""
    progress = progress or NoProgress()
    area = Area.objects.filter(code=area_code, valid_to__isnull=True).first()
    if area is None or area.level == area_rules.GROUP:
        raise Invalid(_("Area %(code)s does not exist.") % {"code": area_code}, field="area_code")
    require(actor, "registry.export", area.code)
    target = Path(target)
    suffix = target.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise Invalid(_("Unsupported file type “%(suffix)s”: use .xlsx or .csv.") % {"suffix": suffix})
    scope = Scope([area.prefix])
    if suffix == ".xlsx" and count_rows(scope) > XLSX_MAX_ROWS:
        raise Invalid(_("The area has more members than an Excel sheet can hold; export it as .csv."))
    count = 0

    def rows():
        nonlocal count
        for row in export_rows(scope):
            count += 1
            if count % PROGRESS_EVERY == 0:
                progress.update(count)
            yield row

    if suffix == ".csv":
        write_csv(target, exchange.HEADERS, rows())
    else:
        write_xlsx(target, exchange.HEADERS, rows(), sheet_name=DATA_SHEET)
    progress.update(count)
    audit.record_export(actor, "registry.export", area_code=area.code, count=count, note=target.name)
    return count
