"""Pages of 动态管理: the numbers of an area and a year (table, charts, Excel), and the
lists of households in their post-exit observation period and of households at risk
(each exportable; personal numbers masked on the page, exports logged)."""

from __future__ import annotations

import datetime as dt
import io

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fupin.accounts.scoping import can, scope_for
from fupin.audit import actions as audit
from fupin.core import clock, dates, masking
from fupin.core.actor import Actor
from fupin.core.errors import Forbidden
from fupin.core.pii import may_export_unmasked
from fupin.core.tabular import write_xlsx
from fupin.core.views_util import require_perm
from fupin.registry import codes
from fupin.registry import stats as registry_stats

from . import queries

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- helpers ---------------------------------------------------------------------------------

def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = clock.today().year
    if not dates.is_year(year):
        year = clock.today().year
    return year


def _context_area(request, perm: str):
    """(area or None for the country, prefix, breadcrumbs in scope, top areas) of the
    area asked for (``?area=``) or the user's own; outside the scope: 404."""
    area, prefix = registry_stats.resolve_area(request.user, request.GET.get("area", ""), perm)
    scope = scope_for(request.user, perm)
    ancestors = [a for a in (area.ancestors() if area else []) if scope.contains(a.code)]
    return area, prefix, ancestors, scope


def _area_name(area) -> str:
    return area.name if area else _("Whole country")


def _file(buffer: io.BytesIO, filename: str) -> FileResponse:
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=filename, content_type=XLSX)


def _lists_on(year: int) -> dt.date:
    """The date the observation list is taken on: today for this year, 31 Dec for a past year."""
    today = clock.today()
    return today if year >= today.year else dt.date(year, 12, 31)


# --- the numbers --------------------------------------------------------------------------------

MEASURE_LABELS = {
    "start": gettext_lazy("Poor at the start of the year"),
    "exits": gettext_lazy("Exited"),
    "returns": gettext_lazy("Returned to poverty"),
    "new": gettext_lazy("Newly identified"),
    "removals": gettext_lazy("Removed"),
    "corrections_in": gettext_lazy("Corrections (in)"),
    "corrections_out": gettext_lazy("Corrections (out)"),
    "end": gettext_lazy("Poor at the end of the year"),
}


def measure_labels() -> list[tuple[str, str]]:
    return [(m, str(MEASURE_LABELS[m])) for m in queries.MEASURES]


def waterfall(total: dict) -> dict:
    """The waterfall chart of a year: start, then each passage as a step up or down, then
    the end. ``base`` is the invisible part of each bar (drawn by static/fupin/charts.js,
    type "waterfall")."""
    start, end = total["start_households"], total["end_households"]
    steps = [("exits", -total["exits_households"]), ("returns", total["returns_households"]),
             ("new", total["new_households"]), ("removals", -total["removals_households"]),
             ("corrections", total["corrections_in_households"] - total["corrections_out_households"])]
    labels, base, up, down = [_("Start")], [0], [start], [0]
    level = start
    for key, delta in steps:
        labels.append({"exits": _("Exited"), "returns": _("Returned"), "new": _("New"), "removals": _("Removed"),
                       "corrections": _("Corrections")}[key])
        if delta >= 0:
            base.append(level)
            up.append(delta)
            down.append(0)
        else:
            base.append(level + delta)
            up.append(0)
            down.append(-delta)
        level += delta
    labels.append(_("End"))
    base.append(0)
    up.append(end)
    down.append(0)
    return {"type": "waterfall", "id": "chart-waterfall", "data_id": "chart-waterfall-data",
            "title": _("Poor households in the year"),
            "labels": [str(x) for x in labels], "base": base, "up": up, "down": down,
            "names": [_("Increase"), _("Decrease")]}


def years_chart(series: list[dict]) -> dict:
    """The line over the years (static/fupin/charts.js)."""
    return {
        "id": "chart-years", "data_id": "chart-years-data", "type": "bar",
        "title": _("Poor households at the end of each year, and the passages of the year"),
        "labels": [str(r["year"]) for r in series],
        "series": [{"name": _("Poor at the end of the year"), "data": [r["end_households"] for r in series]},
                   {"name": _("Exited"), "kind": "line", "data": [r["exits_households"] for r in series]},
                   {"name": _("Returned to poverty"), "kind": "line", "data": [r["returns_households"] for r in series]},
                   {"name": _("Newly identified"), "kind": "line", "data": [r["new_households"] for r in series]}],
    }


def _lazy_counts(user, prefix: str, year: int) -> dict:
    """How many households are in observation and at risk (None where that list does not
    exist yet)."""
    out = {"observation": None, "at_risk": None}
    fn = queries.observation_function()
    if fn is not None and can(user, "registry.view"):
        out["observation"] = fn(user, prefix, _lists_on(year)).count()
    fn = queries.at_risk_function()
    if fn is not None and can(user, "registry.view"):
        out["at_risk"] = fn(user, prefix).count()
    return out


@require_perm("stats.view")
def index(request):
    area, prefix, ancestors, scope = _context_area(request, "stats.view")
    today = clock.today()
    years = queries.years_available(prefix, today)
    year = _year(request)
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    report = queries.year_report(prefix, year, areas=queries.child_areas(scope, prefix))
    series = queries.series(prefix, sorted(years))
    period = queries.period_total(series)
    lists = _lazy_counts(request.user, prefix, year)
    for r in [*report["rows"], report["total"], *series, *([period] if period else [])]:
        r["cells"] = [(r[f"{m}_households"], r[f"{m}_people"]) for m in queries.MEASURES]
    monitoring = report["monitoring"]
    monitoring_rows = [(label, monitoring[key] if monitoring else None) for key, label in queries.monitoring_labels()]
    top_areas = registry_stats.top_areas(request.user)
    return render(request, "dynamics/index.html", {
        "area": area, "area_name": _area_name(area), "code": registry_stats.code_of(prefix), "prefix": prefix,
        "ancestors": ancestors, "top_areas": top_areas, "top_areas_codes": [a.code for a in top_areas],
        "everything": scope.is_everything, "monitoring_rows": monitoring_rows, "year": year, "years": years,
        "report": report, "series": series, "period": period, "measures": measure_labels(),
        "child_label": _child_label(report["child_level"]),
        "charts": [years_chart(series)], "waterfall": waterfall(report["total"]),
        "lists": lists, "lists_on": _lists_on(year),
    })


def _child_label(level) -> str:
    from fupin.areas import rules as area_rules

    return str(area_rules.LEVEL_LABELS[level]) if level else _("Area")


def table_headers() -> list[str]:
    out = [_("Area code"), _("Area")]
    for _m, label in measure_labels():
        out += [_("%(m)s: households") % {"m": label}, _("%(m)s: people") % {"m": label}]
    out += [_("Expected at the end: households"), _("Difference: households"), _("Expected at the end: people"),
            _("Difference: people")]
    return out


def table_row(code: str, name: str, cell: dict) -> list:
    out = [code, name]
    for m in queries.MEASURES:
        out += [cell[f"{m}_households"], cell[f"{m}_people"]]
    out += [cell["expected_households"], cell["difference_households"], cell["expected_people"],
            cell["difference_people"]]
    return out


@require_perm("stats.view")
def export(request):
    """The table of the page as Excel (numbers only: no personal data)."""
    area, prefix, _ancestors, scope = _context_area(request, "stats.view")
    year = _year(request)
    report = queries.year_report(prefix, year, areas=queries.child_areas(scope, prefix))
    rows = [table_row(r["code"], r["name"], r) for r in report["rows"]]
    rows.append(table_row(registry_stats.code_of(prefix), _("Total") + " · " + _area_name(area), report["total"]))
    monitoring = report["monitoring"]
    rows.append([])
    for key, label in queries.monitoring_labels():
        rows.append(["", str(label), monitoring[key] if monitoring else "—"])
    buffer = io.BytesIO()
    write_xlsx(buffer, table_headers(), rows, sheet_name=_("Dynamic management %(year)s") % {"year": year})
    return _file(buffer, f"{_('Dynamic management')}-{_area_name(area)}-{year}.xlsx")


# --- the lists --------------------------------------------------------------------------------------

def _full(user, prefix: str) -> bool:
    """Phones unmasked in the file: ``registry.export`` and ``pii.reveal`` held at the list's
    area (the whole country when the prefix is "": held there, not merely somewhere)."""
    return may_export_unmasked(user, registry_stats.code_of(prefix))


def _list_rows(qs, *, full: bool, observation: bool):
    for h in qs.iterator(chunk_size=2000):
        row = [h.number, h.village.name if h.village_id else "", h.area_code, h.head_name, h.size,
               codes.label("status", h.status), h.exit_year or "",
               h.phone if full else masking.mask("phone", h.phone)]
        if observation:
            until = getattr(h, "observation_until", None)
            row.append(until.isoformat() if until else "")
        yield row


def list_headers(observation: bool) -> list[str]:
    out = [_("Household number"), _("Village"), _("Area code"), _("Head of household"), _("Household size"),
           _("Status"), _("Exit year"), _("Phone")]
    if observation:
        out.append(_("Observed until"))
    return out


def _list_page(request, kind: str, export_file: bool):
    observation = kind == "observation"
    area, prefix, ancestors, scope = _context_area(request, "registry.view")
    today = clock.today()
    year = _year(request)
    on = _lists_on(year)
    fn = queries.observation_function() if observation else queries.at_risk_function()
    qs = None
    if fn is not None:
        qs = fn(request.user, prefix, on) if observation else fn(request.user, prefix)
        qs = qs.select_related("village").order_by("area_code", "number")
    title = _("Households in the observation period") if observation else _("Households at risk")
    if export_file:
        code = registry_stats.code_of(prefix)
        if not can(request.user, "registry.export", code):  # "": the whole country, held there
            raise Forbidden()
        full = _full(request.user, prefix)
        buffer = io.BytesIO()
        counted = [0]

        def rows():
            if qs is None:
                return
            for row in _list_rows(qs, full=full, observation=observation):
                counted[0] += 1
                yield row

        write_xlsx(buffer, list_headers(observation), rows(), sheet_name=title)
        audit.record_export(Actor.from_request(request), f"dynamics.{kind}.xlsx", area_code=code, count=counted[0],
                            note="unmasked" if full else "masked")
        return _file(buffer, f"{title}-{_area_name(area)}-{on.isoformat()}.xlsx")
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page")) if qs is not None else None
    totals = queries.list_totals(qs) if qs is not None else None
    rows = []
    if page is not None:
        for h in page.object_list:
            rows.append({"h": h, "status": codes.label("status", h.status), "phone": masking.mask("phone", h.phone),
                         "until": getattr(h, "observation_until", None)})
    return render(request, "dynamics/list.html", {
        "kind": kind, "title": title, "area": area, "area_name": _area_name(area),
        "code": registry_stats.code_of(prefix), "ancestors": ancestors, "year": year, "on": on, "today": today,
        "available": fn is not None, "page_obj": page, "rows": rows, "totals": totals, "observation": observation,
        "can_export": can(request.user, "registry.export", registry_stats.code_of(prefix)),
        "top_areas": registry_stats.top_areas(request.user, "registry.view"), "everything": scope.is_everything,
    })


@require_perm("registry.view")
def observation(request):
    return _list_page(request, "observation", False)


@require_perm("registry.view")
def observation_export(request):
    return _list_page(request, "observation", True)


@require_perm("registry.view")
def at_risk(request):
    return _list_page(request, "at_risk", False)


@require_perm("registry.view")
def at_risk_export(request):
    return _list_page(request, "at_risk", True)
