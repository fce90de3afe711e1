"""Scoping cases of the registry's record pages (households, card, PDF, forms, village
profile, registers): a county-A user sees and changes nothing of county B."""

from __future__ import annotations

from stdnum.cn import ric

from fupin.core import clock
from fupin.registry import actions
from fupin.registry.models import Household, Income, Member, StatusChange, VillageProfile
from tests.conftest import COUNTY_B, SYSTEM, TOWNSHIP_A, VILLAGE_A, VILLAGE_B
from tests.test_scoping_routes import LIST, NO_EFFECT, NOT_FOUND, OWN, Case, register

NUMBER_B = "3607831002010001"


def _id(birth: str, seq: str) -> str:
    base = f"360783{birth}{seq}"
    return base + ric.calc_check_digit(base + "0")


ID_B = _id("19650102", "013")


def household_b(w) -> Household:
    """County B's household (龙南户主, in 龙岗村), made once per world."""
    h = Household.objects.filter(number=NUMBER_B).first()
    if h is None:
        h = actions.create_household(SYSTEM, number=NUMBER_B, area_code=VILLAGE_B, category="1", standard="1",
                                     main_cause="01", identified_year=2016, address="龙南市龙岗村")
        actions.add_member(SYSTEM, h, name="龙南户主", id_number=ID_B, relation="01", ethnicity="01",
                           school_status="00", health="1")
        actions.save_income(SYSTEM, h, 2020, wages=8000)
    return h


def member_b(w) -> Member:
    return household_b(w).members.get(relation="01")


def _pk(w):
    return {"pk": household_b(w).pk}


def _with_b(query):
    """A list case's query, with county B's household made first."""
    return lambda w: (household_b(w), query)[1]


HOUSEHOLD_FORM = {"number": NUMBER_B, "area_code": VILLAGE_B, "category": "2", "standard": "1", "main_cause": "02",
                  "identified_year": "2016", "address": "改了"}
MEMBER_FORM = {"name": "龙南新成员", "id_number": _id("19900303", "025"), "relation": "02", "ethnicity": "01",
               "school_status": "00", "health": "1"}


register("registry:households",
         Case(LIST, query=_with_b({})),
         Case(LIST, query=_with_b({"q": "龙南户主"})),
         Case(LIST, query=_with_b({"q": ID_B[-6:]})),
         Case(LIST, query=_with_b({"q": NUMBER_B})),
         Case(LIST, query=_with_b({"area": VILLAGE_B})),
         Case(LIST, role="village_cadre", area=VILLAGE_A, query=_with_b({})),
         Case(LIST, role="helper", area=VILLAGE_A, query=_with_b({"sort": "-number"})))
register("registry:household_create",
         Case(OWN),
         Case(NO_EFFECT, method="post", data=lambda w: {**HOUSEHOLD_FORM, "number": "3607831002019999",
                                                        "status": "identified"},
              effect=lambda w: Household.objects.filter(number="3607831002019999").exists()))
register("registry:household",
         Case(NOT_FOUND, kwargs=_pk),
         Case(NOT_FOUND, kwargs=_pk, role="village_cadre", area=VILLAGE_A),
         Case(NOT_FOUND, kwargs=_pk, role="inspector"))
register("registry:household_pdf",
         Case(NOT_FOUND, kwargs=_pk),
         Case(NOT_FOUND, kwargs=_pk, query=lambda w: {"full": "1"}))
register("registry:household_edit",
         Case(NOT_FOUND, kwargs=_pk),
         Case(NOT_FOUND, method="post", kwargs=_pk,
              data=lambda w: {**HOUSEHOLD_FORM, "version": household_b(w).version}))
register("registry:household_status",
         Case(NOT_FOUND, kwargs=_pk),
         Case(NOT_FOUND, method="post", kwargs=_pk,
              data=lambda w: {"status": "exited_policy", "date": clock.today().isoformat(), "reason": "龙南"}),
         Case(NO_EFFECT, method="post", kwargs=_pk, role="township_officer", area=TOWNSHIP_A,
              data=lambda w: {"status": "removed", "date": clock.today().isoformat(), "reason": "龙南"}, status=404,
              effect=lambda w: StatusChange.objects.filter(household__number=NUMBER_B,
                                                           status="removed").exists()))
register("registry:household_income",
         Case(NOT_FOUND, kwargs=_pk),
         Case(NOT_FOUND, method="post", kwargs=_pk, data=lambda w: {"year": "2021", "wages": "1"}),
         Case(NO_EFFECT, method="post", kwargs=_pk, data=lambda w: {"year": "2022", "wages": "1"}, status=404,
              effect=lambda w: Income.objects.filter(household__number=NUMBER_B, year=2022).exists()))
register("registry:member_create",
         Case(NOT_FOUND, kwargs=_pk),
         Case(NO_EFFECT, method="post", kwargs=_pk, data=lambda w: MEMBER_FORM, status=404,
              effect=lambda w: Member.objects.filter(name="龙南新成员").exists()))
register("registry:member_edit",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": member_b(w).pk}),
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": member_b(w).pk},
              data=lambda w: {**MEMBER_FORM, "name": "龙南户主", "id_number": ID_B, "relation": "01"}))
register("registry:member_leave",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": member_b(w).pk}),
         Case(NO_EFFECT, method="post", kwargs=lambda w: {"pk": member_b(w).pk}, status=404,
              data=lambda w: {"reason": "1", "date": "2022-01-01"},
              effect=lambda w: Member.objects.filter(id_number=ID_B, active=False).exists()))
register("registry:village_profile",
         Case(NOT_FOUND, kwargs=lambda w: {"code": VILLAGE_B}),
         Case(NOT_FOUND, kwargs=lambda w: {"code": VILLAGE_B}, role="village_cadre", area=VILLAGE_A),
         Case(NO_EFFECT, method="post", kwargs=lambda w: {"code": VILLAGE_B}, status=404,
              data=lambda w: {"year": "2019", "status": "poor", "households": "10"},
              effect=lambda w: VillageProfile.objects.filter(area_code=VILLAGE_B, year=2019).exists()))
register("registry:registers",
         Case(OWN, query=_with_b({})),
         Case(OWN, query=_with_b({"area": COUNTY_B})))
register("registry:register",
         Case(NOT_FOUND, kwargs=lambda w: (household_b(w), {"code": COUNTY_B})[1]),
         Case(NOT_FOUND, kwargs=lambda w: (household_b(w), {"code": VILLAGE_B})[1]),
         Case(NOT_FOUND, kwargs=lambda w: {"code": VILLAGE_B + "001"}),
         Case(NOT_FOUND, kwargs=lambda w: {"code": VILLAGE_B}, role="village_cadre", area=VILLAGE_A))
register("registry:register_xlsx",
         Case(NOT_FOUND, kwargs=lambda w: (household_b(w), {"code": VILLAGE_B})[1]),
         Case(NOT_FOUND, kwargs=lambda w: {"code": COUNTY_B}))
register("registry:register_pdf",
         Case(NOT_FOUND, kwargs=lambda w: (household_b(w), {"code": VILLAGE_B})[1]),
         Case(NOT_FOUND, kwargs=lambda w: {"code": COUNTY_B}))
