"""Scoping cases for the identification pages and API (see tests/test_scoping_routes.py):
county A's office sees none of county B's local lines, rule sets, runs, outcomes,
households or facts, and cannot write any of them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fupin.areas.models import Area
from fupin.identification import actions, engine, queries
from fupin.identification.models import Line, MemberFact, RuleRun, RuleSet
from fupin.registry.models import Household, Income, Member
from tests.conftest import SYSTEM, VILLAGE_A, VILLAGE_B
from tests.test_scoping_routes import LIST, NO_EFFECT, NOT_FOUND, OWN, Case, register

YEAR = 2016
B = "360783"


def _cached(w, name, make):
    if not hasattr(w, name):
        setattr(w, name, make())
    return getattr(w, name)


def line_b(w) -> Line:
    return _cached(w, "_id_line_b", lambda: actions.save_line(
        SYSTEM, None, kind="dibao", area_prefix=B, year=YEAR, value=Decimal("3600"), name="龙南市低保标准",
        source="龙南市民政局"))


def ruleset_b(w) -> RuleSet:
    def make():
        base = queries.ruleset_for(B.ljust(12, "0"), YEAR)
        return actions.save_ruleset(SYSTEM, None, copy_from=base, name="龙南市识别规则", area_prefix=B,
                                    from_year=2015, combine="or", statuses=base.statuses, source="龙南市文件")
    return _cached(w, "_id_ruleset_b", make)


def household_b(w) -> Household:
    def make():
        village = Area.objects.get(code=VILLAGE_B, valid_to__isnull=True)
        existing = Household.objects.filter(number="3607831002010001").first()
        if existing is not None:  # another module's case made it first
            return existing
        h = Household.objects.create(number="3607831002010001", area_code=VILLAGE_B, village=village,
                                     head_name="龙南户主", status="registered")
        Member.objects.create(household=h, area_code=VILLAGE_B, name="龙南户主", sex="1", relation="01",
                              birth_date=dt.date(1970, 1, 1), medical_insurance=True)
        Income.objects.create(household=h, area_code=VILLAGE_B, year=YEAR, household_size=1,
                              per_capita=Decimal("9000"))
        return h
    return _cached(w, "_id_household_b", make)


def fact_b(w) -> MemberFact:
    return _cached(w, "_id_fact_b", lambda: actions.add_fact(SYSTEM, household_b(w), kind="car",
                                                             value=Decimal("150000"), detail="龙南 车辆"))


def run_b(w) -> RuleRun:
    def make():
        household_b(w)
        fact_b(w)
        return engine.run_rules(B, YEAR)
    return _cached(w, "_id_run_b", make)


def city_run(w) -> RuleRun:
    """A run over the whole city (赣州 3607), covering county A and county B."""
    def make():
        household_b(w)
        fact_b(w)
        village = Area.objects.get(code=VILLAGE_A, valid_to__isnull=True)
        h = Household.objects.create(number="3607291002010001", area_code=VILLAGE_A, village=village,
                                     head_name="全南户主", status="registered")
        Member.objects.create(household=h, area_code=VILLAGE_A, name="全南户主", sex="1", relation="01",
                              birth_date=dt.date(1970, 1, 1), medical_insurance=True)
        actions.save_line(SYSTEM, None, kind="national", area_prefix=B, year=YEAR, value=Decimal("9999"),
                          name="龙南 local national", source="龙南")
        return engine.run_rules("3607", YEAR)
    return _cached(w, "_id_city_run", make)


def city_sim(w) -> RuleRun:
    """A what-if over the whole city in which county B's household changes outcome."""
    def make():
        city_run(w)
        return engine.run_rules("3607", YEAR, changes={"lines": [
            {"kind": "national", "area_prefix": B, "value": "20000"}]})
    return _cached(w, "_id_city_sim", make)


def world_b(w):
    """Every kind of county-B object, for list pages."""
    line_b(w)
    ruleset_b(w)
    run_b(w)
    return {}


def _line_exists(name):
    return lambda w: Line.objects.filter(name=name).exists()


register("identification:standards",
         Case(LIST, query=lambda w: world_b(w)),
         Case(LIST, query=lambda w: {**world_b(w), "area": "360783000000"}),
         Case(LIST, role="village_cadre", area=VILLAGE_A, query=lambda w: world_b(w)))
register("identification:line",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": line_b(w).pk}),
         Case(NOT_FOUND, kwargs=lambda w: {"pk": line_b(w).pk}, role="helper", area=VILLAGE_A))
register("identification:line_create",
         Case(OWN),
         Case(NO_EFFECT, method="post", effect=_line_exists("龙南新标准"),
              data=lambda w: {"kind": "dibao", "area": "360783000000", "year": YEAR, "name": "龙南新标准",
                              "method": "fixed", "value": "4000", "per": "year", "source": "龙南"}))
register("identification:line_edit",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": line_b(w).pk}),
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": line_b(w).pk},
              data=lambda w: {"kind": "dibao", "area": "360783000000", "year": YEAR, "method": "fixed",
                              "value": "1", "per": "year", "source": "x", "version": line_b(w).version}))
register("identification:line_delete", Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": line_b(w).pk}))
register("identification:rules", Case(LIST, query=lambda w: world_b(w)),
         Case(LIST, role="township_officer", area="360729100000", query=lambda w: world_b(w)))
register("identification:ruleset_create",
         Case(OWN),
         Case(NO_EFFECT, method="post", effect=lambda w: RuleSet.objects.filter(name="龙南新规则").exists(),
              data=lambda w: {"name": "龙南新规则", "area": "360783000000", "from_year": 2017, "combine": "or",
                              "statuses": ["registered"], "source": "龙南"}))
register("identification:ruleset", Case(NOT_FOUND, kwargs=lambda w: {"pk": ruleset_b(w).pk}))
register("identification:ruleset_edit",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": ruleset_b(w).pk}),
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": ruleset_b(w).pk},
              data=lambda w: {"name": "x", "area": "360783000000", "from_year": 2015, "combine": "income",
                              "statuses": ["registered"], "source": "x", "version": ruleset_b(w).version}))
register("identification:criterion_create",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": ruleset_b(w).pk}))


def _own_ruleset(w) -> RuleSet:
    def make():
        base = queries.ruleset_for("360729000000", YEAR)
        return actions.save_ruleset(SYSTEM, None, copy_from=base, name="全南县识别规则", area_prefix="360729",
                                    from_year=2015, combine="or", statuses=base.statuses, source="全南县文件")
    return _cached(w, "_id_ruleset_a", make)


register("identification:criterion_edit",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": ruleset_b(w).pk, "cpk": ruleset_b(w).criteria.first().pk}),
         Case(NOT_FOUND, witness=False, note="county B's criterion under county A's rule set",
              kwargs=lambda w: {"pk": _own_ruleset(w).pk, "cpk": ruleset_b(w).criteria.first().pk}))
register("identification:criterion_toggle",
         Case(NOT_FOUND, method="post",
              kwargs=lambda w: {"pk": ruleset_b(w).pk, "cpk": ruleset_b(w).criteria.get(code="car").pk}),
         Case(NOT_FOUND, method="post", witness=False, note="county B's criterion under county A's rule set",
              kwargs=lambda w: {"pk": _own_ruleset(w).pk, "cpk": ruleset_b(w).criteria.get(code="car").pk}))


def _run_in_b(w):
    return RuleRun.objects.filter(area_prefix=B).exists()


register("identification:run_start",
         Case(OWN),
         Case(NO_EFFECT, method="post", effect=_run_in_b, data=lambda w: {"area": "360783000000", "year": YEAR}))
register("identification:simulate",
         Case(OWN),
         Case(NO_EFFECT, method="post", effect=_run_in_b,
              data=lambda w: {"area": "360783000000", "year": YEAR, "switch_off": ["car"]}))
register("identification:run",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": run_b(w).pk}),
         Case(LIST, kwargs=lambda w: {"pk": city_run(w).pk}, note="a city run: county A's part only"),
         Case(LIST, kwargs=lambda w: {"pk": city_sim(w).pk}, note="a city what-if: county A's villages only"),
         Case(LIST, kwargs=lambda w: {"pk": city_run(w).pk}, role="village_cadre", area=VILLAGE_A))
register("identification:outcomes",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": run_b(w).pk}),
         Case(NOT_FOUND, kwargs=lambda w: {"pk": run_b(w).pk}, role="village_cadre", area=VILLAGE_A),
         Case(LIST, kwargs=lambda w: {"pk": city_run(w).pk}, query=lambda w: {"show": "all"}),
         Case(LIST, kwargs=lambda w: {"pk": city_run(w).pk}, role="village_cadre", area=VILLAGE_A,
              query=lambda w: {"show": "all"}))
register("identification:household",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": household_b(w).pk}),
         Case(NOT_FOUND, kwargs=lambda w: {"pk": household_b(w).pk}, role="village_cadre", area=VILLAGE_A))
register("identification:fact_create",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": household_b(w).pk}),
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": household_b(w).pk},
              data=lambda w: {"kind": "car", "value": "1"}))
def _with_fact(**query):
    def make(w):
        fact_b(w)
        return dict(query)
    return make


register("identification:facts",
         Case(LIST, query=_with_fact()),
         Case(LIST, query=_with_fact(village=VILLAGE_B)),
         Case(LIST, role="inspector", query=_with_fact()))
register("identification:fact_decide",
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": fact_b(w).pk},
              data=lambda w: {"status": "error", "reason": "x"}))

# The API.
register("GET /api/v1/identification/lines",
         Case(LIST, query=lambda w: world_b(w)),
         Case(LIST, query=lambda w: {**world_b(w), "area": "360783000000"}))
register("GET /api/v1/identification/runs", Case(LIST, query=lambda w: world_b(w)),
         Case(LIST, query=lambda w: (city_run(w), world_b(w))[1]))
register("POST /api/v1/identification/runs",
         Case(NO_EFFECT, status=403, effect=_run_in_b, data=lambda w: {"area_code": "360783000000", "year": YEAR}))
register("GET /api/v1/identification/runs/{run_id}",
         Case(NOT_FOUND, kwargs=lambda w: {"run_id": run_b(w).pk}),
         Case(LIST, kwargs=lambda w: {"run_id": city_sim(w).pk}))
register("GET /api/v1/identification/runs/{run_id}/outcomes",
         Case(NOT_FOUND, kwargs=lambda w: {"run_id": run_b(w).pk}),
         Case(LIST, kwargs=lambda w: {"run_id": city_run(w).pk}),
         Case(LIST, kwargs=lambda w: {"run_id": city_run(w).pk}, role="village_cadre", area=VILLAGE_A))
