"""The statistics page of the registry (registry:stats) and its refresh button."""

from __future__ import annotations

import time

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.scoping import scope_for
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.views_util import date_param, require_perm
from fupin.jobs import actions as jobs

from . import codes, stats


def _number(value):
    return float(value) if value is not None else None


def charts(data: dict) -> list[dict]:
    """The page's charts as data for static/fupin/charts.js (ECharts), one dict each."""
    out = [{
        "id": "chart-status", "type": "pie", "title": _("Households by status"),
        "labels": [r["label"] for r in data["by_status"] if r["households"]],
        "series": [{"name": _("Households"), "data": [r["households"] for r in data["by_status"] if r["households"]]}],
    }, {
        "id": "chart-causes", "type": "bar", "horizontal": True, "title": _("Causes of poverty (households)"),
        "labels": [r["label"] for r in data["by_cause"]],
        "series": [{"name": _("Main cause"), "data": [r["households"] for r in data["by_cause"]]},
                   {"name": _("Main or other cause"), "data": [r["mentions"] for r in data["by_cause"]]}],
    }, {
        "id": "chart-category", "type": "bar", "horizontal": True, "title": _("Households by category"),
        "labels": [r["label"] for r in data["by_category"]],
        "series": [{"name": _("All registered"), "data": [r["households"] for r in data["by_category"]]},
                   {"name": _("Not yet exited"), "data": [r["poor_households"] for r in data["by_category"]]}],
    }]
    if data["areas"]:
        table = data["areas"][0]
        out.append({
            "id": "chart-areas", "type": "bar", "title": _("Poor population and incidence rate by %(level)s")
            % {"level": table["label"].lower()},
            "labels": [r["name"] for r in table["rows"]], "right_axis": "%",
            "series": [{"name": _("Poor people"), "data": [r["poor_people"] for r in table["rows"]]},
                       {"name": _("Incidence rate (%)"), "kind": "line", "axis": 1,
                        "data": [_number(r["incidence"]) for r in table["rows"]]}],
        })
    if data["years"]:
        out.append({
            "id": "chart-years", "type": "bar", "title": _("Poor population at the end of each year"),
            "labels": [str(r["year"]) for r in data["years"]], "right_axis": "%",
            "series": [{"name": _("Poor people"), "data": [r["poor_people"] for r in data["years"]]},
                       {"name": _("Exited households (in the year)"), "kind": "line",
                        "data": [r["exited"] for r in data["years"]]},
                       {"name": _("Incidence rate (%)"), "kind": "line", "axis": 1,
                        "data": [_number(r["incidence"]) for r in data["years"]]}],
        })
    for c in out:
        c["data_id"] = c["id"] + "-data"
    return out


def _sum(rows: list[dict], keys: tuple[str, ...]) -> dict:
    return {k: sum(r[k] or 0 for r in rows) for k in keys}


AREA_KEYS = ("households", "people", "poor_households", "poor_people", "exited_households", "returned_households")


def add_totals(data: dict) -> dict:
    """The 合计 row of each table, summed from the rows the table shows (so the live and the
    rollup source, which give the rows, give the totals alike), and what the headline cards
    leave out: the households in the statuses off the register (codes.OFF_REGISTER_STATUSES),
    which the table by status counts."""
    status_keys = ("households", "people")
    data["by_status_total"] = _sum(data["by_status"], status_keys)
    data["by_category_total"] = _sum(data["by_category"], ("households", "people", "poor_households", "poor_people"))
    # by main cause: each household once; "named" counts a household for up to three causes: no total
    data["by_cause_total"] = _sum(data["by_cause"], ("households", "people", "poor_households"))
    for table in data["areas"]:
        rows = table["rows"]
        table["total"] = {**_sum(rows, AREA_KEYS),
                          "rural_population": sum(r["rural_population"] or 0 for r in rows if r["profiled_villages"]),
                          "profiled_villages": sum(r["profiled_villages"] or 0 for r in rows),
                          "incidence": data["summary"]["incidence"]}
    if data.get("on_date"):
        on = data["on_date"]
        on["by_status_total"] = _sum(on["by_status"], status_keys)
        on["areas_total"] = _sum(on["areas"], ("households", "poor_households", "poor_people", "exited_households"))
    off = [r for r in data["by_status"] if r["code"] in codes.OFF_REGISTER_STATUSES]
    data["left_out"] = {"statuses": [r["label"] for r in off], **_sum(off, status_keys)}
    return data


@require_perm("stats.view")
def stats_page(request):
    code = request.GET.get("area", "")
    source = request.GET.get("source", "")
    if source not in ("live", "rollup"):
        source = ""
    on_date, _ok = date_param(request, request.GET.get("date"))
    started = time.monotonic()
    data = add_totals(stats.area_report(request.user, code, source=source, on_date=on_date))
    elapsed = round((time.monotonic() - started) * 1000)
    scope = scope_for(request.user, "stats.view")
    area, _prefix = stats.resolve_area(request.user, data["area"]["code"] or None)
    ancestors = [a for a in (area.ancestors() if area else []) if scope.contains(a.code)]
    return render(request, "registry/stats.html", {
        "data": data, "area": area, "ancestors": ancestors, "elapsed_ms": elapsed, "charts": charts(data),
        "top_areas": stats.top_areas(request.user), "on_date": on_date, "source": source,
        "today": clock.today(), "everything": scope.is_everything,
    })


@require_POST
@require_perm("stats.view")
def stats_refresh(request):
    """Start the job that refreshes the rollup of an area in the user's scope."""
    area, prefix = stats.resolve_area(request.user, request.POST.get("area", ""))
    code = stats.code_of(prefix)
    job = jobs.start(Actor.from_request(request), stats.refresh_stats_task, kind="registry.stats_refresh",
                     title=_("Refresh the statistics of %(area)s") % {"area": area.name if area else _("Whole country")},
                     area_code=code, params={"area": code})
    messages.success(request, _("The statistics are being refreshed."))
    return redirect("jobs:detail", pk=job.pk)
