"""The dynamics REST API (scoped to the token owner's area)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router

from fupin.accounts.scoping import scope_for
from fupin.api.base import Error
from fupin.api.renderers import jsonable
from fupin.core import clock, dates
from fupin.core.errors import Invalid
from fupin.registry import stats as registry_stats

from . import queries

router = Router(tags=["dynamics"])


NUMBERS = {"response": {200: dict, 404: Error, 422: Error},
           "summary": "Dynamic management of an area in a year: stock, exits, returns, new, removals, balance"}


@router.get("", **NUMBERS)
def numbers(request, area: str = "", year: int | None = None):
    """``area``: an area code in your scope (default: your area); ``year``: default this year.
    Households and people for each child area and the total: ``start`` (poor at the start
    of 1 January), ``exits``, ``returns``, ``new``, ``removals``, ``corrections_in`` /
    ``corrections_out`` (passages during the year), ``end`` (poor on 31 December), the
    balance (``expected_*``, ``difference_*``, ``adds_up``) and the monitoring numbers
    (null while the monitoring records are not available)."""
    year = clock.today().year if year is None else year
    if not dates.is_year(year):
        raise Invalid(_("not a year"), field="year")
    found, prefix = registry_stats.resolve_area(request.user, area or None)
    scope = scope_for(request.user, "stats.view")
    report = queries.year_report(prefix, year, areas=queries.child_areas(scope, prefix))
    return jsonable({
        "area": {"code": registry_stats.code_of(prefix), "name": found.name if found else _("Whole country"),
                 "level": registry_stats.level_of(prefix)},
        **report,
    })


# ``/api/v1/dynamics/`` — the path the first version answered on, with the trailing slash no other
# route has — is documented in docs/dynamics.md, so it keeps working: the same operation (same
# scoping, same answer), left out of the OpenAPI document, which names ``/api/v1/dynamics`` only.
router.add_api_operation("/", ["GET"], numbers, **NUMBERS, include_in_schema=False, url_name="numbers_slash")
