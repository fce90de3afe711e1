"""Scoping cases of the data-quality and possible-duplicates pages (see test_scoping_routes).

County B gets a household with issues, a run over county B, and a pending pair of
members named 龙南… so that the witness (the same role in county B) sees markers."""

from __future__ import annotations

import datetime as dt

from fupin.areas.models import Area
from fupin.registry import quality
from fupin.registry.models import DuplicateCandidate, Household, Member, QualityRun
from tests.conftest import COUNTY_B, SYSTEM, VILLAGE_A, VILLAGE_B
from tests.test_scoping_routes import FORBIDDEN, LIST, NO_EFFECT, NOT_FOUND, OWN, Case, register


def _household_b() -> Household:
    h = Household.objects.filter(number="龙南-Q1").first()
    if h is None:
        h = Household.objects.create(number="龙南-Q1", area_code=VILLAGE_B, village=Area.objects.get(code=VILLAGE_B),
                                     head_name="龙南户主", main_cause="", identified_year=2014, size=5)
    return h


def _member_b(name: str) -> Member:
    h = _household_b()
    m = h.members.filter(name=name).first()
    return m or Member.objects.create(household=h, area_code=VILLAGE_B, name=name, sex="1", relation="20",
                                      birth_date=dt.date(1950, 1, 1), no_id_reason="3", name_pinyin="long nan")


def run_b(w, area_code: str = COUNTY_B) -> QualityRun:
    run = QualityRun.objects.filter(area_code=area_code).first()
    if run is None:
        _household_b()
        run = quality.execute(SYSTEM, Area.objects.get(code=area_code), on=dt.date(2017, 9, 1), income_year=2016)
    return run


def pair_b(w) -> DuplicateCandidate:
    pair = DuplicateCandidate.objects.filter(area_code=VILLAGE_B).first()
    if pair is None:
        pair = DuplicateCandidate.objects.create(a=_member_b("龙南甲"), b=_member_b("龙南乙"), area_code=VILLAGE_B,
                                                 reason="name_birth_village")
    return pair


def _twins_b(w) -> dict:
    """Two members of county B with the same name and birth date, not yet a pair."""
    _member_b("龙南丙")
    h2 = Household.objects.filter(number="龙南-Q2").first() or Household.objects.create(
        number="龙南-Q2", area_code=VILLAGE_B, village=Area.objects.get(code=VILLAGE_B), main_cause="07")
    if not h2.members.exists():
        Member.objects.create(household=h2, area_code=VILLAGE_B, name="龙南丙", sex="1", relation="01",
                              birth_date=dt.date(1950, 1, 1), no_id_reason="3")
    return {"area_code": COUNTY_B}


def _pair_found(w) -> bool:
    return DuplicateCandidate.objects.filter(a__name="龙南丙").exists()


def _decided(w) -> bool:
    return DuplicateCandidate.objects.filter(area_code=VILLAGE_B).exclude(status="pending").exists()


def _list_with_b_run(w) -> dict:
    run_b(w)
    return {}


def _list_with_b_pair(w) -> dict:
    pair_b(w)
    return {}


register(
    "registry:quality",
    Case(LIST, kwargs=_list_with_b_run),
    Case(LIST, kwargs=_list_with_b_run, role="helper", area=VILLAGE_A),
    Case(NO_EFFECT, method="post", data=lambda w: {"area_code": COUNTY_B, "on": "2017-09-01", "income_year": "2016"},
         effect=lambda w: QualityRun.objects.filter(area_code=COUNTY_B).exists()),
    Case(NO_EFFECT, method="post", role="village_cadre", area=VILLAGE_A, witness=True,
         data=lambda w: {"area_code": VILLAGE_B, "on": "2017-09-01", "income_year": "2016"},
         effect=lambda w: QualityRun.objects.filter(area_code=VILLAGE_B).exists()),
    Case(FORBIDDEN, method="post", role="helper", area=VILLAGE_A, witness=False,
         data=lambda w: {"area_code": VILLAGE_A, "on": "2017-09-01", "income_year": "2016"}),
)
register(
    "registry:quality_run",
    Case(NOT_FOUND, kwargs=lambda w: {"pk": run_b(w).pk}),
    Case(NOT_FOUND, kwargs=lambda w: {"pk": run_b(w, VILLAGE_B).pk}, role="village_cadre", area=VILLAGE_A),
)
register(
    "registry:quality_rule",
    Case(NOT_FOUND, kwargs=lambda w: {"pk": run_b(w).pk, "code": "main_cause_empty"}),
    Case(NOT_FOUND, kwargs=lambda w: {"pk": run_b(w, VILLAGE_B).pk, "code": "size_mismatch"}, role="helper",
         area=VILLAGE_A),
)
register(
    "registry:quality_export",
    Case(NOT_FOUND, kwargs=lambda w: {"pk": run_b(w).pk}),
)
register(
    "registry:duplicates",
    Case(LIST, kwargs=_list_with_b_pair),
    Case(LIST, kwargs=_list_with_b_pair, query=lambda w: {"status": "all"}),
    Case(LIST, kwargs=_list_with_b_pair, role="village_cadre", area=VILLAGE_A),
    Case(FORBIDDEN, role="helper", area=VILLAGE_A, witness=False),
)
register(
    "registry:duplicate_decide",
    Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": pair_b(w).pk}, data=lambda w: {"decision": "same"}),
    Case(NO_EFFECT, method="post", kwargs=lambda w: {"pk": pair_b(w).pk}, data=lambda w: {"decision": "different"},
         effect=_decided, status=404),
)
register(
    "registry:duplicates_find",
    Case(NO_EFFECT, method="post", data=_twins_b, effect=_pair_found),
    Case(OWN, method="post", data=lambda w: {"area_code": "360729000000"}),
)
