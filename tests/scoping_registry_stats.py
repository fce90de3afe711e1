"""Scoping cases of the registry's statistics page, yearly re-check pages and REST API
(see the walker's docstring in tests/test_scoping_routes.py). County B's objects are
made on first use and kept on the World, so the viewer and the witness see the same ones."""

from __future__ import annotations

from fupin.accounts.scoping import Scope
from fupin.areas.models import Area
from fupin.registry import actions
from fupin.registry.demo import id_check_digit
from fupin.registry.models import Household, Member, RecheckRound
from tests.conftest import COUNTY_A, COUNTY_B, SYSTEM, VILLAGE_A, VILLAGE_B
from tests.test_scoping_routes import FORBIDDEN, LIST, NO_EFFECT, NOT_FOUND, Case, register

ROUND_YEAR = 2023


def _id(area6: str, birth: str, seq: str) -> str:
    first = f"{area6}{birth}{seq}"
    return first + id_check_digit(first)


def _household(number: str, village: str, name: str, id_number: str) -> Household:
    h = actions.create_household(SYSTEM, number=number, area_code=village + "001", category="1", standard="1",
                                 main_cause="01", identified_year=2016, phone="13979830009")
    actions.add_member(SYSTEM, h, name=name, id_number=id_number, relation="01")
    h.refresh_from_db()
    return h


def world_b(w) -> dict:
    """County B's household, member and re-check round (and county A's), made once per World."""
    if not hasattr(w, "registry_b"):
        hb = _household("360783100201001901", VILLAGE_B, "龙南钟华", _id("360783", "19661231", "917"))
        ha = _household("360729100201001901", VILLAGE_A, "全南黄明", _id("360729", "19651130", "935"))
        round_b, round_a = (RecheckRound.objects.filter(area__code=code, year=ROUND_YEAR).first()
                            or actions.open_recheck(SYSTEM, Area.objects.get(code=code), ROUND_YEAR)
                            for code in (COUNTY_B, COUNTY_A))
        w.registry_b = {"household": hb, "member": Member.objects.get(household=hb), "round": round_b,
                        "record": round_b.records.get(household=hb), "household_a": ha, "round_a": round_a}
    return w.registry_b


def _with_b(extra=None):
    def query(w):
        world_b(w)
        return dict(extra or {})

    return query


def _b(key):
    return lambda w: world_b(w)[key]


def _round_exists(code):
    return lambda w: RecheckRound.objects.filter(area_code=code, year=2024).exists()


# --- pages ---------------------------------------------------------------------------------------

register("registry:stats",
         Case(LIST, query=_with_b()),
         Case(LIST, role="village_cadre", area=VILLAGE_A, query=_with_b()),
         Case(LIST, role="helper", area=VILLAGE_A, query=_with_b({"date": "2026-01-01"})),
         Case(NOT_FOUND, query=_with_b({"area": COUNTY_B})),
         Case(NOT_FOUND, query=_with_b({"area": VILLAGE_B}), role="township_officer", area="360729100000"))
register("registry:stats_refresh",
         Case(NOT_FOUND, method="post", data=lambda w: {"area": COUNTY_B}),
         Case(NOT_FOUND, method="post", data=lambda w: {"area": VILLAGE_B}, role="village_cadre", area=VILLAGE_A))
register("registry:rechecks",
         Case(LIST, query=_with_b()),
         Case(LIST, role="village_cadre", area=VILLAGE_A, query=_with_b()))
register("registry:recheck_open",
         Case(NO_EFFECT, method="post", status=404, effect=_round_exists(COUNTY_B),
              data=lambda w: {"area": COUNTY_B, "year": "2024"}),
         Case(FORBIDDEN, method="post", role="helper", area=VILLAGE_A, witness=False,
              data=lambda w: {"area": VILLAGE_A, "year": "2024"}))
register("registry:recheck",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": world_b(w)["round"].pk}),
         Case(NOT_FOUND, kwargs=lambda w: {"pk": world_b(w)["round"].pk}, role="village_cadre", area=VILLAGE_A),
         Case(LIST, kwargs=lambda w: {"pk": world_b(w)["round_a"].pk}, witness=False,
              note="county A's round shows none of county B's households"))
register("registry:recheck_record",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": world_b(w)["round"].pk, "record_pk": world_b(w)["record"].pk}),
         Case(NOT_FOUND, method="post", data=lambda w: {"nothing": "on"},
              kwargs=lambda w: {"pk": world_b(w)["round"].pk, "record_pk": world_b(w)["record"].pk}),
         Case(NOT_FOUND, witness=False, note="county B's record under county A's round",
              kwargs=lambda w: {"pk": world_b(w)["round_a"].pk, "record_pk": world_b(w)["record"].pk}))
register("registry:recheck_close",
         Case(NOT_FOUND, method="post", data=lambda w: {"force": "1"},
              kwargs=lambda w: {"pk": world_b(w)["round"].pk}),
         Case(FORBIDDEN, method="post", data=lambda w: {"force": "1"}, role="village_cadre", area=VILLAGE_A,
              witness=False, note="a village cadre sees the county's round but may not close it",
              kwargs=lambda w: {"pk": world_b(w)["round_a"].pk}))

# --- the API ---------------------------------------------------------------------------------------

register("GET /api/v1/households",
         Case(LIST, query=_with_b()),
         Case(LIST, query=_with_b({"area": COUNTY_B})),
         Case(LIST, query=_with_b({"village": VILLAGE_B})),
         Case(LIST, query=_with_b({"q": "360783100201001901"})),
         Case(LIST, query=_with_b({"year": "2026", "reveal": "1"})),
         Case(LIST, role="village_cadre", area=VILLAGE_A, query=_with_b()))
register("POST /api/v1/households",
         Case(NO_EFFECT, status=403,
              effect=lambda w: Household.objects.filter(number="360783100201001777").exists(),
              data=lambda w: {"number": "360783100201001777", "area_code": VILLAGE_B + "001", "main_cause": "01",
                              "identified_year": 2020}))
register("GET /api/v1/households/{household_id}",
         Case(NOT_FOUND, kwargs=lambda w: {"household_id": world_b(w)["household"].pk}),
         Case(NOT_FOUND, kwargs=lambda w: {"household_id": world_b(w)["household"].pk}, query=lambda w: {"reveal": 1},
              role="inspector"))
register("PATCH /api/v1/households/{household_id}",
         Case(NOT_FOUND, kwargs=lambda w: {"household_id": world_b(w)["household"].pk},
              data=lambda w: {"address": "改了"}),
         Case(NO_EFFECT, status=403, witness=False, note="county A's household moved into county B",
              kwargs=lambda w: {"household_id": world_b(w)["household_a"].pk},
              data=lambda w: {"area_code": VILLAGE_B + "001"},
              effect=lambda w: Scope([COUNTY_B[:6]]).filter(
                  Household.objects.filter(pk=world_b(w)["household_a"].pk)).exists()))
register("GET /api/v1/households/{household_id}/members",
         Case(NOT_FOUND, kwargs=lambda w: {"household_id": world_b(w)["household"].pk}))
register("GET /api/v1/members",
         Case(LIST, query=lambda w: {"id_number": world_b(w)["member"].id_number}),
         Case(LIST, query=lambda w: {"id_number": world_b(w)["member"].id_number[-6:], "reveal": "1"}),
         Case(LIST, query=_with_b({"name": "龙南钟华"})))
register("GET /api/v1/villages",
         Case(LIST, query=_with_b()),
         Case(LIST, query=_with_b({"area": COUNTY_B})))
register("GET /api/v1/stats",
         Case(LIST, query=_with_b()),
         Case(NOT_FOUND, query=_with_b({"area": COUNTY_B})),
         Case(NOT_FOUND, query=_with_b({"area": VILLAGE_B}), role="village_cadre", area=VILLAGE_A))
