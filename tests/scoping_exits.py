"""Scoping cases for the exits pages and API (see tests/test_scoping_routes.py): county
B's households (one passing the exit criteria this year, one in observation, one whose
period ended, one returning), its criteria variant and return case are invisible to
county A, and county A's writes cannot touch them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fupin.core import clock
from fupin.exits import actions
from fupin.exits.models import ExitCriteria, PolicyPeriod, ReturnCase
from fupin.identification.models import Line
from fupin.procedures.models import BatchMember
from fupin.registry import actions as registry
from fupin.registry.models import Household
from tests.conftest import COUNTY_B, SYSTEM, VILLAGE_A, VILLAGE_B
from tests.test_procedures import id_number
from tests.test_scoping_routes import FORBIDDEN, LIST, NO_EFFECT, NOT_FOUND, OWN, Case, register


def _household(n: int, name: str, status: str = "registered", since: dt.date | None = None) -> Household:
    number = f"{VILLAGE_B}9{n:04d}"
    h = Household.objects.filter(number=number).first()
    if h is not None:
        return h
    h = registry.create_household(SYSTEM, status=status, status_date=since or dt.date(2015, 3, 1), number=number,
                                  area_code=VILLAGE_B + "001")
    registry.add_member(SYSTEM, h, name=name, id_number=id_number("360783", "19700101", 500 + n), relation="01",
                        medical_insurance=True)
    h.refresh_from_db()
    return h


def passing_b(w) -> Household:
    """A registered household of 龙岗村 meeting every item this year."""
    year = clock.today().year
    Line.objects.get_or_create(kind="national", area_prefix="", year=year,
                               defaults={"method": "fixed", "value": Decimal(4000), "annual_value": Decimal(4000),
                                         "source": "test"})
    h = _household(1, "龙南退出户")
    registry.save_income(SYSTEM, h, year, wages=Decimal(9000))
    return h


def observed_b(w) -> Household:
    """An exited household of county B inside a (test) three-year period."""
    PolicyPeriod.objects.get_or_create(area_prefix="360783", from_year=2020, defaults={
        "name": "龙南 test", "kind": "observation", "years": 3, "source": "test"})
    return _household(2, "龙南观察户", status="exited_policy", since=clock.today() - dt.timedelta(days=100))


def ended_b(w) -> Household:
    """Exited in 2018: the national transition period ended on 31 Dec 2025."""
    return _household(3, "龙南期满户", status="exited_policy", since=dt.date(2018, 12, 1))


def returning_b(w) -> ReturnCase:
    h = _household(4, "龙南返贫户", status="exited_policy", since=dt.date(2019, 12, 1))
    case = ReturnCase.objects.filter(household=h).first()
    return case or actions.start_return(SYSTEM, h, reason="龙南 因病", occurred_on=clock.today())


def variant_b(w) -> ExitCriteria:
    national = ExitCriteria.objects.get(area_prefix="", from_year=2014)
    obj = ExitCriteria.objects.filter(area_prefix="360783").first()
    return obj or actions.save_criteria(SYSTEM, None, name="龙南市退出标准", area_prefix="360783", from_year=2017,
                                        items=national.items, source="龙南 test")


def _with(*makers, query=None):
    def make(w):
        for m in makers:
            m(w)
        return dict(query or {})

    return make


def _in_batch(getter):
    return lambda w: BatchMember.objects.filter(household=getter(w)).exists()


register("exits:check",
         Case(LIST, query=_with(passing_b)),
         Case(LIST, query=_with(passing_b, query={"result": "pass"})),
         Case(LIST, role="village_cadre", area="360729100201", query=_with(passing_b)))
register("exits:start",
         Case(NO_EFFECT, method="post", effect=_in_batch(passing_b),
              data=lambda w: {"area": VILLAGE_B, "household": [passing_b(w).pk]}))
register("exits:household", Case(NOT_FOUND, kwargs=lambda w: {"pk": passing_b(w).pk}))
register("exits:return_start",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": ended_b(w).pk}),
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": ended_b(w).pk},
              data=lambda w: {"reason": "x", "occurred_on": clock.today().isoformat()}))
register("exits:observation",
         Case(LIST, query=_with(observed_b)),
         Case(LIST, query=_with(observed_b, query={"area": COUNTY_B})),
         Case(OWN, query=_with(observed_b, query={"area": COUNTY_B, "format": "xlsx"}),
              note="the Excel file of county A's list (tests/test_exits_pages.py reads the file itself)"),
         Case(FORBIDDEN, role="village_cadre", area=VILLAGE_A, witness=False,
              query=_with(observed_b, query={"area": COUNTY_B, "format": "xlsx"}),
              note="a cadre sees the list but may not export personal data (registry.export)"))
register("exits:close_observation",
         Case(NO_EFFECT, method="post", data=lambda w: (ended_b(w), {"area": COUNTY_B})[1],
              effect=lambda w: Household.objects.get(pk=ended_b(w).pk).status == "exited"))
register("exits:returns", Case(LIST, query=_with(returning_b)))
register("exits:criteria", Case(LIST, query=_with(variant_b)))
register("exits:criteria_create",
         Case(OWN),
         Case(NO_EFFECT, method="post",
              effect=lambda w: ExitCriteria.objects.filter(area_prefix="360783", from_year=2030).exists(),
              data=lambda w: {"name": "龙南 new", "area_prefix": "360783", "from_year": "2030", "source": "x",
                              "items": '[{"code": "water", "params": {}, "source": "s"}]'}))
register("exits:criteria_edit", Case(NOT_FOUND, kwargs=lambda w: {"pk": variant_b(w).pk}))

register("GET /api/v1/exits/check",
         Case(LIST, query=_with(passing_b)),
         Case(LIST, query=_with(passing_b, query={"area": COUNTY_B})))
register("GET /api/v1/exits/observation",
         Case(LIST, query=_with(observed_b)),
         Case(LIST, query=_with(observed_b, query={"area": COUNTY_B})))


def period_b(w) -> PolicyPeriod:
    observed_b(w)
    return PolicyPeriod.objects.get(area_prefix="360783", from_year=2020)


register("exits:period_create",
         Case(OWN),
         Case(NO_EFFECT, method="post",
              effect=lambda w: PolicyPeriod.objects.filter(area_prefix="360783", from_year=2031).exists(),
              data=lambda w: {"name": "龙南 period", "area_prefix": "360783", "from_year": "2031",
                              "kind": "observation", "years": "1", "source": "x"}))
register("exits:period_edit",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": period_b(w).pk}),
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": period_b(w).pk},
              data=lambda w: {"name": "龙南 x", "area_prefix": "360783", "from_year": "2020", "kind": "observation",
                              "years": "5", "source": "x"}))
