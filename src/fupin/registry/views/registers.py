"""Registers: the village register (村册), the township book (乡簿) and the county file
(县档) — a table for the area with filters and totals, exported to Excel in the shape an
office files (title row, header row, data rows, totals row) and, for printing, as PDF.

Personal numbers (the head's ID number, the phone) are masked on the page. In the Excel
and PDF exports they are unmasked only for a user who holds both ``registry.export`` and
``pii.reveal`` at the area; everyone else gets them masked. Every export is logged with
audit.record_export (it names people even when the numbers are masked)."""

from __future__ import annotations

import io
import unicodedata
from decimal import Decimal
from urllib.parse import urlencode

import xlsxwriter
from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fupin.accounts.scoping import can, scope_for
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock, masking
from fupin.core.actor import Actor
from fupin.core.pii import may_export_unmasked
from fupin.core.templatetags.fupin import yuan
from fupin.core.views_util import require_perm

from .. import codes, queries, stats
from ..models import Household, VillageProfile
from ..pdf import pdf_response
from .common import chooser, chosen_area, top_area
from .households import filter_choices, list_filters

FILTER_KEYS = ("status", "category", "cause", "year")


def _filters_query(request) -> str:
    params = [(k, request.GET[k]) for k in FILTER_KEYS if request.GET.get(k)]
    return "?" + urlencode(params) if params else ""


@require_perm("registry.view")
def registers(request):
    """The area chooser: go to the register of the chosen area (or of the user's one area)."""
    scope = scope_for(request.user, "registry.view")
    area = chosen_area(request, scope) or top_area(scope)
    if area is not None:
        return redirect(reverse("registry:register", args=[area.code]) + _filters_query(request))
    return render(request, "registry/registers.html", {"chooser": chooser(scope, None)})


def _area_or_404(user, code) -> Area:
    area = scope_for(user, "registry.view").get(Area.objects.filter(valid_to__isnull=True), "code", code=code)
    if area.level == area_rules.GROUP:
        return _area_or_404(user, code[:12])
    return area


def _kind(area: Area) -> str:
    return {area_rules.VILLAGE: "village", area_rules.TOWNSHIP: "township", area_rules.COUNTY: "county"}.get(
        area.level, "higher")


def register_data(request, area: Area) -> dict:
    """Everything a register shows, with set-based queries only."""
    scope = scope_for(request.user, "registry.view").narrow(area.prefix)
    filters = list_filters(request)
    qs = scope.filter(Household.objects.all())
    if not filters["status"]:
        qs = qs.exclude(status__in=codes.OFF_REGISTER_STATUSES)  # removed or only monitored: not on the register
    qs = queries.filter_households(qs, **filters)
    data = {"area": area, "kind": _kind(area), "filters": filters}
    rolled = _from_rollup(scope, area) if not any(filters.values()) else None
    if rolled is not None:  # a large area, unfiltered: the statistics rollup's counts
        data["totals"], data["child_rows"], data["child_total"] = rolled
    else:
        data["totals"] = queries.household_totals(qs)
        if area.level != area_rules.VILLAGE:
            data["child_rows"], data["child_total"] = queries.child_areas_with_rollup(scope, area, qs)
    if area.level in (area_rules.VILLAGE, area_rules.TOWNSHIP):
        data["households"] = queries.register_households(qs).order_by("area_code", "number")
    if area.level == area_rules.VILLAGE:
        data["profile"] = VillageProfile.objects.filter(village=area).order_by("-year").first()
    return data


def _from_rollup(scope, area: Area):
    """(totals, child rows, child total) of a province's, city's or county's register from
    the statistics rollup (stats.rollup_totals: used when the statistics page would use
    it), or None to count live. Only when the user sees the whole area."""
    if scope.prefixes != (area.prefix,) or area.level not in stats.ROLLUP_TOTALS_LEVELS:
        return None
    level = area_rules.LEVELS[area_rules.LEVELS.index(area.level) + 1]
    length = area_rules.PREFIX_LENGTH[level]
    found = stats.rollup_totals(area.prefix, child_length=length, exclude=codes.OFF_REGISTER_STATUSES)
    if found is None:
        return None
    total, by_prefix = found
    children = scope.filter(Area.objects.filter(parent=area, valid_to__isnull=True, level=level), "code")
    empty = dict.fromkeys(queries.ROLLUP_KEYS, 0)
    rows = [{"area": child, **{k: by_prefix.get(child.code[:length], empty)[k] for k in queries.ROLLUP_KEYS}}
            for child in children.order_by("code")]
    child_total = {k: total[k] for k in queries.ROLLUP_KEYS}
    return {"households": total["households"], "people": total["people"], "source": "rollup"}, rows, child_total


TITLES = {
    "village": lambda a: _("Village register of %(area)s") % {"area": a.name},
    "township": lambda a: _("Township book of %(area)s") % {"area": a.name},
    "county": lambda a: _("County file of %(area)s") % {"area": a.name},
    "higher": lambda a: _("Registry summary of %(area)s") % {"area": a.name},
}


@require_perm("registry.view")
def register(request, code):
    area = _area_or_404(request.user, code)
    data = register_data(request, area)
    if "households" in data and area.level == area_rules.TOWNSHIP:
        data["page_obj"] = Paginator(data["households"], settings.PAGE_SIZE).get_page(request.GET.get("page"))
    elif "households" in data:
        data["page_obj"] = None
    scope = scope_for(request.user, "registry.view")
    return render(request, "registry/register.html", {
        **data, "title": TITLES[data["kind"]](area), "ancestors": [a for a in area.ancestors()
                                                                   if scope.contains(a.code)],
        "chooser": chooser(scope, area), "filters_query": _filters_query(request),
        "can_edit": can(request.user, "registry.edit", area.code),
        "full_export": _full(request.user, area), **filter_choices()})


def _full(user, area: Area) -> bool:
    return may_export_unmasked(user, area.code)


# --- the shape of the exported tables --------------------------------------------------

def household_headers(kind: str) -> list[str]:
    where = _("Village") if kind == "township" else _("Village group")
    return [_("No."), _("Household number"), where, _("Head of household"), _("ID number of the head"),
            _("Household size"), _("Category"), _("Main cause of poverty"), _("Status"), _("Year identified"),
            _("Exit year"), _("Per-capita net income (yuan)"), _("Income year"), _("Phone")]


def household_rows(households, kind: str, full: bool):
    for n, h in enumerate(households.iterator(chunk_size=2000), start=1):
        where = h.village.name if kind == "township" else (h.group.name if h.group else "")
        yield [n, h.number, where, h.head_name,
               (h.head_id_number or "") if full else masking.mask_id_number(h.head_id_number),
               h.size, codes.label("category", h.category), codes.label("cause", h.main_cause),
               codes.label("status", h.status), h.identified_year, h.exit_year,
               h.latest_per_capita, h.income_year,
               (h.phone or "") if full else masking.mask_phone(h.phone)]


def household_total_row(totals: dict) -> list:
    row = [_("Total"), ngettext("%(n)s household", "%(n)s households", totals["households"]) % {"n": totals["households"]}, "", "", "", totals["people"]]
    return row + [""] * (len(household_headers("village")) - len(row))


def area_headers() -> list[str]:
    return [_("Area"), _("Code"), _("Households"), _("People"), _("Poor households"), _("Poor people"),
            _("Exited households"), _("Exited people"), _("Returned households"), _("Dibao households"),
            _("Extreme-poverty support households")]


def area_rows(rows):
    for r in rows:
        yield [r["area"].name, r["area"].code, *(r[k] for k in queries.ROLLUP_KEYS)]


def area_total_row(total: dict) -> list:
    return [_("Total"), "", *(total[k] for k in queries.ROLLUP_KEYS)]


# Column widths, in Excel's units (about one Latin character): sized by the widest value
# of the column as shown (a Chinese character counts two), the header counting at most
# HEADER_WIDTH (it wraps), with PADDING, never narrower than MIN_WIDTH nor wider than MAX_WIDTH.
MIN_WIDTH, MAX_WIDTH, HEADER_WIDTH, PADDING = 6, 50, 12, 2
HEADER_ROWS = 2  # the title row and the header row: frozen on screen


def display_width(value) -> int:
    """How wide a cell's value is shown: a Chinese (wide or full-width) character counts two,
    an amount as its number format shows it (thousands separators, two decimals)."""
    if value is None or value == "":
        return 0
    if isinstance(value, Decimal):
        text = f"{value:,.2f}"
    elif isinstance(value, float) and not value.is_integer():
        text = f"{value:,.2f}"
    else:
        text = str(value)
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_register_xlsx(target, title: str, sheets: list[dict]) -> None:
    """Each sheet: a title row (area and date, merged over the columns), the header row,
    the data rows and a totals row; A4 landscape, header repeated on every printed page and
    frozen on screen; each column as wide as its widest value (``display_width``, capped)."""
    wb = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    f_title = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    f_head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center",
                            "valign": "vcenter", "text_wrap": True})
    f_cell = wb.add_format({"border": 1})
    f_money = wb.add_format({"border": 1, "num_format": "#,##0.00"})
    f_total = wb.add_format({"bold": True, "border": 1, "bg_color": "#F2F2F2"})
    for sheet in sheets:
        ws = wb.add_worksheet(sheet["name"][:31])
        headers = sheet["headers"]
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(HEADER_ROWS - 1)  # the header row on every printed page
        ws.freeze_panes(HEADER_ROWS, 0)
        if len(headers) > 1:
            ws.merge_range(0, 0, 0, len(headers) - 1, title, f_title)
        else:
            ws.write_string(0, 0, title, f_title)
        ws.set_row(0, 28)
        widths = [min(display_width(str(h)), HEADER_WIDTH) for h in headers]
        for col, h in enumerate(headers):
            ws.write_string(1, col, str(h), f_head)
        r = 1
        for r, row in enumerate(sheet["rows"], start=2):
            _write_row(ws, r, row, f_cell, f_money, widths)
        _write_row(ws, r + 1, sheet["total"], f_total, f_total, widths)
        # (kept until the sheet is closed: set after the rows, even in constant-memory mode)
        for col, width in enumerate(widths):
            ws.set_column(col, col, max(MIN_WIDTH, min(MAX_WIDTH, width + PADDING)))
    wb.close()


def _write_row(ws, r, row, fmt, money, widths):
    for col, value in enumerate(row):
        if col < len(widths):
            widths[col] = max(widths[col], display_width(value))
        if value is None or value == "":
            ws.write_blank(r, col, None, fmt)
        elif isinstance(value, Decimal):
            ws.write_number(r, col, float(value), money)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            ws.write_number(r, col, value, fmt)
        else:
            ws.write_string(r, col, str(value), fmt)


def _title(data) -> str:
    return f"{TITLES[data['kind']](data['area'])}  {data['area'].code}  {clock.today().isoformat()}"


@require_perm("registry.view")
def register_xlsx(request, code):
    area = _area_or_404(request.user, code)
    data = register_data(request, area)
    full = _full(request.user, area)
    kind = data["kind"]
    sheets = []
    if "child_rows" in data:
        name = {"township": _("Villages"), "county": _("Townships")}.get(kind, _("Areas"))
        sheets.append({"name": name, "headers": area_headers(), "rows": area_rows(data["child_rows"]),
                       "total": area_total_row(data["child_total"])})
    if kind == "county":
        scope = scope_for(request.user, "registry.view").narrow(area.prefix)
        villages = _village_rows(scope, area, data)
        sheets.append({"name": _("Villages"), "headers": area_headers(), "rows": area_rows(villages),
                       "total": area_total_row(data["child_total"])})
    if "households" in data:
        sheets.append({"name": _("Households"), "headers": household_headers(kind),
                       "rows": household_rows(data["households"], kind, full),
                       "total": household_total_row(data["totals"])})
    buffer = io.BytesIO()
    write_register_xlsx(buffer, _title(data), sheets)
    audit.record_export(Actor.from_request(request), "registry.register.xlsx", area_code=area.code,
                        count=data["totals"]["households"], note="unmasked" if full else "masked")
    buffer.seek(0)
    filename = f"{TITLES[kind](area)}-{clock.today().isoformat()}.xlsx"
    return FileResponse(buffer, as_attachment=True, filename=filename,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _village_rows(scope, area: Area, data) -> list[dict]:
    """The county file's second sheet: a row per village (one GROUP BY, names in one query)."""
    qs = scope.filter(Household.objects.all())
    if not data["filters"]["status"]:
        qs = qs.exclude(status__in=codes.OFF_REGISTER_STATUSES)
    qs = queries.filter_households(qs, **data["filters"])
    by_prefix = {r["prefix"]: r for r in queries.rollup_by_prefix(qs, 12)}
    names = {a.code: a for a in Area.objects.filter(code__in=list(by_prefix), valid_to__isnull=True)}
    return [{"area": names.get(p) or Area(code=p, name=p), **{k: r[k] for k in queries.ROLLUP_KEYS}}
            for p, r in sorted(by_prefix.items())]


# The PDF's columns: (width in mm of the 273 mm of an A4 landscape page, kind): "num" right
# aligned, "money" an amount (the ``yuan`` filter: two decimals rounded half up, thousands
# separators, as the page and the Excel), "nowrap" kept on one line (names, numbers), ""
# wraps. Fixed widths spare WeasyPrint measuring every cell on every page (table-layout:
# fixed).
HOUSEHOLD_PDF_COLUMNS = [(7, "num"), (30, "nowrap"), (22, ""), (16, "nowrap"), (33, "nowrap"), (9, "num"),
                         (18, ""), (22, ""), (38, ""), (10, "num"), (10, "num"), (22, "money"), (10, "num"),
                         (22, "nowrap")]
AREA_PDF_COLUMNS = [(34, ""), (27, "nowrap"), *[(23, "num")] * 9]


def pdf_columns(headers: list[str], spec: list[tuple[int, str]]) -> list[dict]:
    return [{"label": h, "width": w, "kind": k} for h, (w, k) in zip(headers, spec, strict=True)]


def pdf_cells(row: list, columns: list[dict]) -> list[dict]:
    """A row as the PDF prints it: amounts as the pages print them (the ``yuan`` filter:
    1,234.50), other values as they are."""
    out = []
    for value, column in zip(row, columns, strict=True):
        kind = column["kind"]
        if value is None:
            value = ""
        elif kind == "money" and isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            value = yuan(value)
        out.append({"value": value, "kind": "num" if kind == "money" else kind})
    return out


@require_perm("registry.view")
def register_pdf(request, code):
    area = _area_or_404(request.user, code)
    data = register_data(request, area)
    full = _full(request.user, area)
    kind = data["kind"]
    context = {**data, "title": TITLES[kind](area), "today": clock.today(), "full": full}
    if area.level == area_rules.VILLAGE:
        columns = pdf_columns(household_headers(kind), HOUSEHOLD_PDF_COLUMNS)
        rows = household_rows(data["households"], kind, full)
        total = household_total_row(data["totals"])
    else:
        columns = pdf_columns(area_headers(), AREA_PDF_COLUMNS)
        rows = area_rows(data["child_rows"])
        total = area_total_row(data["child_total"])
    context["columns"] = columns
    context["rows"] = [pdf_cells(row, columns) for row in rows]
    context["total_row"] = pdf_cells(total, columns)
    audit.record_export(Actor.from_request(request), "registry.register.pdf", area_code=area.code,
                        count=data["totals"]["households"], note="unmasked" if full else "masked")
    return pdf_response("registry/register_pdf.html", context, request,
                        f"{TITLES[kind](area)}-{clock.today().isoformat()}.pdf")
