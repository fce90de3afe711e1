"""Scoping cases of the delisting pages and API: a county-A user sees and changes nothing
of county B's village checks, assessments and county assessment rounds."""

from __future__ import annotations

from fupin.areas.models import Area
from fupin.core import clock
from fupin.delisting import actions
from fupin.delisting.models import (
    CountyCriteria,
    CountyRound,
    SampleHousehold,
    VillageAssessment,
    VillageCriteria,
)
from fupin.registry import actions as registry_actions
from fupin.registry.models import Household, VillageProfile
from tests.conftest import COUNTY_A, COUNTY_B, SYSTEM, VILLAGE_B
from tests.test_scoping_routes import LIST, NO_EFFECT, NOT_FOUND, OWN, Case, register

NUMBER_B = "3607831002010088"


def _year() -> int:
    return clock.today().year


def _household_b() -> Household:
    h = Household.objects.filter(number=NUMBER_B).first()
    if h is None:
        h = registry_actions.create_household(SYSTEM, number=NUMBER_B, area_code=VILLAGE_B, category="1",
                                              standard="1", main_cause="01", identified_year=2016,
                                              status="exited_policy")
    return h


def assessment_b(w) -> VillageAssessment:
    a = VillageAssessment.objects.filter(area_code=VILLAGE_B).first()
    if a is None:
        village = Area.objects.get(code=VILLAGE_B, valid_to__isnull=True)
        if not VillageProfile.objects.filter(village=village, year=_year()).exists():
            registry_actions.save_village_profile(SYSTEM, village, _year(), rural_population=500, status="poor")
        a = actions.assess_village(SYSTEM, village, _year())
    return a


def round_b(w) -> CountyRound:
    r = CountyRound.objects.filter(area_code=COUNTY_B).first()
    if r is None:
        _household_b()
        r = actions.start_round(SYSTEM, Area.objects.get(code=COUNTY_B, valid_to__isnull=True), _year(), seed=1,
                                sample_villages=5, sample_registered=5, sample_non_registered=5)
    return r


def sample_b(w) -> SampleHousehold:
    return round_b(w).households.first()


def _round_exists_b(w) -> bool:
    return CountyRound.objects.filter(area_code=COUNTY_B, seed=777).exists()


register("delisting:villages", Case(LIST, query=lambda w: {"area": COUNTY_B}), Case(LIST))
register("delisting:villages_export", Case(OWN, query=lambda w: {"area": COUNTY_B}))
register("delisting:village", Case(NOT_FOUND, kwargs=lambda w: {"code": VILLAGE_B}))
register("delisting:village_assess",
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"code": VILLAGE_B}, data=lambda w: {"year": _year()}))
register("delisting:assessment_act",
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": assessment_b(w).pk}, data=lambda w: {"do": "publish"}),
         Case(NOT_FOUND, method="post", role="township_officer", area="360729100000",
              kwargs=lambda w: {"pk": assessment_b(w).pk}, data=lambda w: {"do": "publish"}))
register("delisting:rounds", Case(LIST, query=lambda w: {"_": round_b(w).pk and ""}),
         Case(LIST, query=lambda w: {"area": COUNTY_B, "_": round_b(w).pk and ""}))
register("delisting:round_create",
         Case(NO_EFFECT, method="post", effect=_round_exists_b,
              data=lambda w: {"county": COUNTY_B, "year": _year(), "seed": 777, "sample_villages": 1}))
register("delisting:round", Case(NOT_FOUND, kwargs=lambda w: {"pk": round_b(w).pk}))
register("delisting:round_export", Case(NOT_FOUND, kwargs=lambda w: {"pk": round_b(w).pk}))
register("delisting:survey_import",
         Case(NOT_FOUND, method="post", role="inspector", area=COUNTY_A, kwargs=lambda w: {"pk": round_b(w).pk},
              data=lambda w: {}))
register("delisting:round_step",
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": round_b(w).pk},
              data=lambda w: {"code": "submission"}))
register("delisting:survey",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": round_b(w).pk, "sample_pk": sample_b(w).pk}),
         Case(NOT_FOUND, method="post", role="inspector", area=COUNTY_A,
              kwargs=lambda w: {"pk": round_b(w).pk, "sample_pk": sample_b(w).pk},
              data=lambda w: {"approves": "yes", "exit_correct": "yes"}))

register("GET /api/v1/delisting/villages", Case(NOT_FOUND, query=lambda w: {"area": COUNTY_B}))
register("GET /api/v1/delisting/villages/{code}", Case(NOT_FOUND, kwargs=lambda w: {"code": VILLAGE_B}))
register("GET /api/v1/delisting/rounds", Case(LIST, query=lambda w: {"year": round_b(w).year}))
register("GET /api/v1/delisting/rounds/{round_id}", Case(NOT_FOUND, kwargs=lambda w: {"round_id": round_b(w).pk}))


def _village_criteria_b() -> VillageCriteria:
    national = VillageCriteria.objects.get(area_prefix="", from_year=2016)
    obj, _created = VillageCriteria.objects.get_or_create(area_prefix="360783", from_year=2018, defaults={
        "name": "龙南市贫困村退出标准", "incidence_max": national.incidence_max, "incidence_source": "龙南 test",
        "checklist_items": national.checklist_items, "checklist_source": "龙南 test",
        "eligible_statuses": national.eligible_statuses, "notice_days": 7, "notice_days_source": "龙南 test"})
    return obj


def _county_criteria_b() -> CountyCriteria:
    national = CountyCriteria.objects.get(area_prefix="", from_year=2016)
    obj = CountyCriteria.objects.filter(area_prefix="360783").first()
    if obj is None:
        obj = national
        obj.pk, obj.area_prefix, obj.name = None, "360783", "龙南市摘帽标准"
        obj.save()
    return obj


def _criteria_changed_b() -> bool:
    return _village_criteria_b().notice_days == 9


register("delisting:criteria", Case(LIST, query=lambda w: {"_": _village_criteria_b().pk and ""}))
register("delisting:criteria_edit",
         Case(NOT_FOUND, kwargs=lambda w: {"kind": "village", "pk": _village_criteria_b().pk}),
         Case(NOT_FOUND, kwargs=lambda w: {"kind": "county", "pk": _county_criteria_b().pk}),
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"kind": "village", "pk": _village_criteria_b().pk},
              data=lambda w: {"notice_days": "9"}))
