"""Scoping cases of the assistance pages and API: a county-A user sees and changes
nothing of county B's helpers, pairings, links, teams, plans, measures, visits, photos
and posts."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from stdnum.cn import ric

from fupin.areas.models import Area
from fupin.assistance import actions
from fupin.assistance.models import (
    Agreement,
    AgreementDecision,
    Attendance,
    Helper,
    HouseholdPlan,
    Inspection,
    Link,
    Measure,
    Pairing,
    Post,
    TeamMember,
    VillagePlan,
    Visit,
    WorkTeam,
)
from fupin.core import clock
from fupin.registry import actions as registry_actions
from fupin.registry.models import Household, Income, VillageProfile
from tests.conftest import COUNTY_B, SYSTEM, VILLAGE_A, VILLAGE_B
from tests.test_scoping_routes import LIST, NO_EFFECT, NOT_FOUND, OWN, Case, register


def _today():
    return clock.today()


NUMBER_B = "3607831002010077"  # its own household: other modules' county-B households keep their numbers


def household_b(w) -> Household:
    """County B's helped household (龙南帮扶户, in 龙岗村), made once per world."""
    h = Household.objects.filter(number=NUMBER_B).first()
    if h is None:
        h = registry_actions.create_household(SYSTEM, number=NUMBER_B, area_code=VILLAGE_B, category="1",
                                              standard="1", main_cause="01", identified_year=2016)
        base = "36078319660203017"
        registry_actions.add_member(SYSTEM, h, name="龙南帮扶户", id_number=base + ric.calc_check_digit(base + "0"),
                                    relation="01", ethnicity="01", school_status="00", health="1")
        h.refresh_from_db()
    return h


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 90, 0)).save(out, "PNG")
    return out.getvalue()


class B:
    """County B's assistance records, made once per world (inside its transaction)."""

    @staticmethod
    def village():
        return Area.objects.get(code=VILLAGE_B)

    @classmethod
    def helper(cls, w) -> Helper:
        h = Helper.objects.filter(name="龙南帮扶人").first()
        if h is None:
            h = actions.save_helper(SYSTEM, None, name="龙南帮扶人", area=cls.village(), unit=w.unit_b,
                                    post="龙南干部", phone="13979839999", level="county")
        return h

    @classmethod
    def pairing(cls, w) -> Pairing:
        p = Pairing.objects.filter(helper__name="龙南帮扶人").first()
        return p or actions.pair(SYSTEM, household_b(w), cls.helper(w), _today() - dt.timedelta(days=200))

    @classmethod
    def link(cls, w) -> Link:
        link = Link.objects.filter(area_code=VILLAGE_B).first()
        if link is None:
            VillageProfile.objects.get_or_create(village=cls.village(), year=_today().year,
                                                 defaults={"area_code": VILLAGE_B, "status": "key"})
            link = actions.add_link(SYSTEM, kind="baocun", role="department", area=cls.village(), unit=w.unit_b,
                                    start=_today() - dt.timedelta(days=100), note="龙南包村")
        return link

    @classmethod
    def team(cls, w) -> WorkTeam:
        t = WorkTeam.objects.filter(name="龙南工作队").first()
        if t is None:
            t = actions.create_team(SYSTEM, village=cls.village(), unit=w.unit_b,
                                    start=_today() - dt.timedelta(days=100), name="龙南工作队")
            m = actions.add_team_member(SYSTEM, t, cls.helper(w), "first_secretary", t.start)
            actions.record_attendance(SYSTEM, m, _today().replace(day=1), 1)
        return t

    @classmethod
    def member(cls, w) -> TeamMember:
        return cls.team(w).members.get()

    @classmethod
    def plan(cls, w) -> HouseholdPlan:
        cls.pairing(w)
        return (HouseholdPlan.objects.filter(household=household_b(w)).first()
                or actions.save_household_plan(SYSTEM, household_b(w), _today().year, goals="龙南目标",
                                               measure_types=["employment"]))

    @classmethod
    def measure(cls, w) -> Measure:
        m = Measure.objects.filter(area_code__startswith=VILLAGE_B, household__isnull=False).first()
        return m or actions.record_measure(SYSTEM, household=household_b(w), type="employment", date=_today(),
                                           amount_to_household=Decimal("900"), details={"job": "龙南车间"})

    @classmethod
    def visit(cls, w) -> Visit:
        v = Visit.objects.filter(area_code__startswith=VILLAGE_B).first()
        if v is None:
            v = actions.log_visit(SYSTEM, household=household_b(w), helper=cls.helper(w), date=_today(),
                                  findings="龙南走访", files=[SimpleUploadedFile("a.png", _png())])
        return v

    @classmethod
    def photo(cls, w):
        return cls.visit(w).photos.get()

    @classmethod
    def post(cls, w) -> Post:
        p = Post.objects.filter(name="龙南护林岗").first()
        today = _today()
        return p or actions.save_post(SYSTEM, None, kind="ranger", name="龙南护林岗", area=cls.village(),
                                      start=today.replace(month=1, day=1), end=today.replace(month=12, day=31),
                                      rule="ranger_agreement", mu="800")

    @classmethod
    def agreement(cls, w) -> Agreement:
        a = Agreement.objects.filter(post__name="龙南护林岗").first()
        if a is None:
            p = cls.post(w)
            a = actions.sign_agreement(SYSTEM, p, household_b(w).members.get(relation="01"), p.start, p.end)
        return a


def _with(*makers, query=None):
    def build(w):
        for make in makers:
            make(w)
        return query or {}
    return build


def _pk(maker, name="pk"):
    return lambda w: {name: maker(w).pk}


def _hh(w):
    return {"pk": household_b(w).pk}


def _iso(days=0):
    return (_today() - dt.timedelta(days=days)).isoformat()


ALL_B = (B.pairing, B.link, B.team, B.plan, B.measure, B.visit, B.agreement)

# --- who helps ------------------------------------------------------------------------------
register("assistance:helpers",
         Case(LIST, query=_with(*ALL_B)),
         Case(LIST, query=_with(*ALL_B, query={"view": "units"})),
         Case(LIST, query=_with(*ALL_B, query={"q": "龙南", "area": COUNTY_B})),
         Case(LIST, role="helper", area=VILLAGE_A, query=_with(*ALL_B)))
register("assistance:helper_create",
         Case(OWN),
         Case(NO_EFFECT, method="post", status=404,
              data=lambda w: {"name": "龙南新帮扶人", "area_code": VILLAGE_B, "level": "county", "active": "on"},
              effect=lambda w: Helper.objects.filter(name="龙南新帮扶人").exists()))
register("assistance:helper",
         Case(NOT_FOUND, kwargs=_pk(B.helper)),
         Case(NOT_FOUND, kwargs=_pk(B.helper), role="village_cadre", area=VILLAGE_A))
register("assistance:helper_edit",
         Case(NOT_FOUND, kwargs=_pk(B.helper)),
         Case(NOT_FOUND, method="post", kwargs=_pk(B.helper),
              data=lambda w: {"name": "改名", "area_code": VILLAGE_B, "level": "county"}))
register("assistance:pair",
         Case(NOT_FOUND, kwargs=_hh),
         Case(NO_EFFECT, method="post", kwargs=_hh, status=404,
              data=lambda w: {"helper": B.helper(w).pk, "start": _iso(), "replace": "on"},
              effect=lambda w: Pairing.objects.filter(household=household_b(w), start=_today()).exists()))
register("assistance:pairing_end",
         Case(NO_EFFECT, method="post", kwargs=_pk(B.pairing), status=404, data=lambda w: {"end": _iso()},
              note="the witness is refused too (不脱贫不脱钩) — the 404 is what matters", witness=False,
              effect=lambda w: Pairing.objects.filter(helper__name="龙南帮扶人", end__isnull=False).exists()),
         Case(NOT_FOUND, method="post", kwargs=_pk(B.pairing), data=lambda w: {"end": _iso()}))
register("assistance:links",
         Case(LIST, query=_with(*ALL_B)),
         Case(NO_EFFECT, method="post",
              data=lambda w: {"kind": "baocun", "role": "enterprise", "area_code": VILLAGE_B, "unit": w.unit_b.pk,
                              "start": _iso(), "note": "龙南新包村"},
              effect=lambda w: Link.objects.filter(note="龙南新包村").exists(), witness=False,
              note="a government unit cannot be the enterprise: the witness is refused by policy"),
         Case(NO_EFFECT, method="post",
              data=lambda w: {"kind": "guadian", "area_code": VILLAGE_B, "person": B.helper(w).pk,
                              "start": _iso(), "note": "龙南挂点"},
              effect=lambda w: Link.objects.filter(note="龙南挂点").exists()))
register("assistance:link_end",
         Case(NOT_FOUND, method="post", kwargs=_pk(B.link), data=lambda w: {"end": _iso()}))
register("assistance:teams", Case(LIST, query=_with(*ALL_B, query={"show": "all"})))
register("assistance:team_create",
         Case(OWN),
         Case(NO_EFFECT, method="post",
              data=lambda w: {"village": VILLAGE_B, "unit": w.unit_b.pk, "start": _iso(), "name": "龙南新队"},
              effect=lambda w: WorkTeam.objects.filter(name="龙南新队").exists()))
register("assistance:team", Case(NOT_FOUND, kwargs=_pk(B.team)))
register("assistance:team_member_add",
         Case(NOT_FOUND, method="post", kwargs=_pk(B.team),
              data=lambda w: {"person": B.helper(w).pk, "role": "member", "start": _iso()}))
register("assistance:team_attendance",
         Case(NO_EFFECT, method="post", kwargs=_pk(B.team), status=404,
              data=lambda w: {"member": B.member(w).pk, "month": _today().strftime("%Y-%m"), "days": "9"},
              effect=lambda w: Attendance.objects.filter(member__team__name="龙南工作队", days=9).exists()))
register("assistance:team_end",
         Case(NOT_FOUND, method="post", kwargs=_pk(B.team), data=lambda w: {"end": _iso()}))
register("assistance:team_member_end",
         Case(NO_EFFECT, method="post", kwargs=_pk(B.member), status=404, data=lambda w: {"end": _iso()},
              effect=lambda w: TeamMember.objects.filter(team__name="龙南工作队", end__isnull=False).exists()))

# --- what is done ---------------------------------------------------------------------------
register("assistance:plans",
         Case(LIST, query=_with(*ALL_B, query={"year": str(dt.date.today().year)})),
         Case(LIST, query=lambda w: (B.plan(w), VillagePlan.objects.get_or_create(
             village=B.village(), year=_today().year,
             defaults={"area_code": VILLAGE_B, "industries": "龙南油茶"}), {"kind": "villages"})[2]))
register("assistance:household_plan",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": B.plan(w).household_id, "year": B.plan(w).year}),
         Case(NO_EFFECT, method="post", status=404, kwargs=lambda w: {"pk": household_b(w).pk, "year": 2021},
              data=lambda w: {"goals": "龙南改", "expected_income": "1"},
              effect=lambda w: HouseholdPlan.objects.filter(household=household_b(w), year=2021).exists()))
register("assistance:plan_carry",
         Case(NO_EFFECT, method="post", status=404,
              kwargs=lambda w: (B.measure(w), {"pk": household_b(w).pk, "year": _today().year})[1],
              effect=lambda w: Income.objects.filter(household=household_b(w), year=_today().year).exists()))
register("assistance:village_plan",
         Case(NOT_FOUND, kwargs=lambda w: {"code": VILLAGE_B, "year": 2024}),
         Case(NO_EFFECT, method="post", status=404, kwargs=lambda w: {"code": VILLAGE_B, "year": 2023},
              data=lambda w: {"industries": "龙南产业"},
              effect=lambda w: VillagePlan.objects.filter(area_code=VILLAGE_B, year=2023).exists()))
register("assistance:measures",
         Case(LIST, query=_with(*ALL_B)),
         Case(LIST, query=_with(*ALL_B, query={"type": "employment", "year": str(dt.date.today().year)})))
register("assistance:measure_create",
         Case(OWN),
         Case(NOT_FOUND, query=lambda w: {"household": household_b(w).pk}),
         Case(NOT_FOUND, query=lambda w: {"village": VILLAGE_B}),
         Case(NO_EFFECT, method="post", status=404,
              data=lambda w: {"household": household_b(w).pk, "save": "1", "type": "other", "date": _iso(),
                              "d_description": "龙南新措施"},
              effect=lambda w: Measure.objects.filter(details__description="龙南新措施").exists()),
         Case(NOT_FOUND, role="helper", area=VILLAGE_A, query=lambda w: {"household": household_b(w).pk},
              witness=False, note="a helper of county B who is not the household's helper is refused too"))
register("assistance:measure", Case(NOT_FOUND, kwargs=_pk(B.measure)))
register("assistance:measure_correct",
         Case(NOT_FOUND, kwargs=_pk(B.measure)),
         Case(NO_EFFECT, method="post", kwargs=_pk(B.measure), status=404,
              data=lambda w: {"save": "1", "type": "other", "date": _iso(), "d_description": "龙南改措施"},
              effect=lambda w: Measure.all_objects.filter(details__description="龙南改措施").exists()),
         Case(NOT_FOUND, role="helper", area=VILLAGE_A, kwargs=_pk(B.measure), witness=False,
              note="a helper of county B did not record it either"))
register("assistance:measure_withdraw",
         Case(NO_EFFECT, method="post", kwargs=_pk(B.measure), status=404, data=lambda w: {"reason": "龙南撤回"},
              effect=lambda w: Measure.all_objects.filter(void_reason="龙南撤回").exists()))
register("assistance:measure_carry",
         Case(NO_EFFECT, method="post", kwargs=_pk(B.measure), status=404,
              effect=lambda w: Measure.objects.filter(area_code__startswith=VILLAGE_B,
                                                      carried_at__isnull=False).exists()))
register("assistance:visits", Case(LIST, query=_with(*ALL_B)),
         Case(LIST, role="helper", area=VILLAGE_A, query=_with(*ALL_B)))
register("assistance:visit_log",
         Case(OWN),
         Case(NOT_FOUND, query=lambda w: {"household": household_b(w).pk}),
         Case(NO_EFFECT, method="post", status=404,
              data=lambda w: {"household": household_b(w).pk, "helper": B.pairing(w).helper_id, "date": _iso(),
                              "findings": "龙南新走访"},
              effect=lambda w: Visit.objects.filter(findings="龙南新走访").exists()))
register("assistance:visit", Case(NOT_FOUND, kwargs=_pk(B.visit)))
register("assistance:visit_correct",
         Case(NOT_FOUND, kwargs=_pk(B.visit)),
         Case(NO_EFFECT, method="post", kwargs=_pk(B.visit), status=404,
              data=lambda w: {"date": _iso(), "findings": "龙南改走访"},
              effect=lambda w: Visit.all_objects.filter(findings="龙南改走访").exists()))
register("assistance:visit_withdraw",
         Case(NO_EFFECT, method="post", kwargs=_pk(B.visit), status=404, data=lambda w: {"reason": "龙南撤回"},
              effect=lambda w: Visit.all_objects.filter(void_reason="龙南撤回").exists()))
register("assistance:photo", Case(NOT_FOUND, kwargs=_pk(B.photo)),
         Case(NOT_FOUND, kwargs=_pk(B.photo), role="helper", area=VILLAGE_A))
register("assistance:mine", Case(OWN, role="helper", area=VILLAGE_A), Case(OWN))
register("assistance:six_clear",
         Case(LIST, query=_with(*ALL_B, query={"by": "helper"})),
         Case(LIST, query=_with(*ALL_B, query={"item": "results"})))
register("assistance:coverage",
         Case(LIST, query=_with(*ALL_B, query={"list": "six_clear"})),
         Case(LIST, query=_with(*ALL_B, query={"list": "helpers", "year": "2020"}),
              note="helper B visited today: no marker for the witness either", witness=False),
         Case(OWN, query=_with(*ALL_B, query={"list": "no_team"})),
         Case(OWN, query=_with(*ALL_B, query={"list": "plans"})))

# --- posts ----------------------------------------------------------------------------------
register("assistance:posts", Case(LIST, query=_with(*ALL_B)))
register("assistance:post_create",
         Case(OWN),
         Case(NO_EFFECT, method="post", status=404,
              data=lambda w: {"kind": "ranger", "name": "龙南新岗", "area_code": VILLAGE_B, "start": "2024-01-01",
                              "end": "2024-12-31", "rule": "ranger_agreement"},
              effect=lambda w: Post.objects.filter(name="龙南新岗").exists()))
register("assistance:post", Case(NOT_FOUND, kwargs=_pk(B.post)))
register("assistance:agreement_create",
         Case(NOT_FOUND, method="post", kwargs=_pk(B.post),
              data=lambda w: {"member_id_number": "x", "start": "2024-01-01", "end": "2024-12-31"}))
register("assistance:agreement", Case(NOT_FOUND, kwargs=_pk(B.agreement)))
register("assistance:inspection_add",
         Case(NO_EFFECT, method="post", kwargs=_pk(B.agreement), status=404,
              data=lambda w: {"date": _iso(), "present": "0", "note": "龙南巡查"},
              effect=lambda w: Inspection.objects.filter(note="龙南巡查").exists()))
register("assistance:agreement_decide",
         Case(NOT_FOUND, method="post", kwargs=_pk(B.agreement),
              data=lambda w: {"month": _today().strftime("%Y-%m"), "decision": "end", "reason": "x"}),
         Case(NO_EFFECT, method="post", kwargs=_pk(B.agreement), status=404, witness=False,
              data=lambda w: {"month": _today().strftime("%Y-%m"), "decision": "keep", "reason": "龙南"},
              effect=lambda w: AgreementDecision.objects.exists()))
register("assistance:payments",
         Case(LIST, query=_with(*ALL_B, query={"month": dt.date.today().strftime("%Y-%m")})),
         Case(OWN, query=_with(*ALL_B, query={"month": dt.date.today().strftime("%Y-%m"), "format": "xlsx"})))

# --- exchange -------------------------------------------------------------------------------
register("assistance:exchange", Case(OWN))
register("assistance:exchange_template", Case(OWN, kwargs=lambda w: {"kind": "measures"}))
register("assistance:exchange_export",
         Case(OWN, kwargs=lambda w: (B.visit(w), {"kind": "visits"})[1],
              note="binary; scoping of the rows is proven in tests/test_assistance_pages.py"))

# --- API ------------------------------------------------------------------------------------
register("GET /api/v1/assistance/helpers", Case(LIST, query=_with(*ALL_B)),
         Case(LIST, query=_with(*ALL_B, query={"area": COUNTY_B})))
register("POST /api/v1/assistance/helpers",
         Case(NO_EFFECT, status=404, data=lambda w: {"name": "龙南接口帮扶人", "area_code": VILLAGE_B, "level": "county"},
              effect=lambda w: Helper.objects.filter(name="龙南接口帮扶人").exists()))
register("GET /api/v1/assistance/pairings", Case(LIST, query=_with(*ALL_B)),
         Case(LIST, query=lambda w: {"household_id": B.pairing(w).household_id}, witness=True))
register("POST /api/v1/assistance/pairings",
         Case(NO_EFFECT, status=404,
              data=lambda w: {"household_id": household_b(w).pk, "helper_id": B.helper(w).pk, "start": _iso(),
                              "replace": True},
              effect=lambda w: Pairing.objects.filter(household=household_b(w), start=_today()).exists()))
register("GET /api/v1/assistance/measures", Case(LIST, query=_with(*ALL_B)))
register("POST /api/v1/assistance/measures",
         Case(NO_EFFECT, status=404,
              data=lambda w: {"household_id": household_b(w).pk, "type": "other", "date": _iso(),
                              "details": {"description": "龙南接口措施"}},
              effect=lambda w: Measure.objects.filter(details__description="龙南接口措施").exists()))
register("GET /api/v1/assistance/visits", Case(LIST, query=_with(*ALL_B)))
register("POST /api/v1/assistance/visits",
         Case(NO_EFFECT, status=404,
              data=lambda w: {"household_id": household_b(w).pk, "helper_id": B.helper(w).pk, "date": _iso(),
                              "findings": "龙南接口走访"},
              effect=lambda w: Visit.objects.filter(findings="龙南接口走访").exists()))

# --- withdrawn records in the lists (the page's and the API's "withdrawn too") -----------------------
register("assistance:measures", Case(LIST, query=_with(*ALL_B, query={"withdrawn": "1"})))
register("assistance:visits", Case(LIST, query=_with(*ALL_B, query={"withdrawn": "1"})))
register("GET /api/v1/assistance/measures", Case(LIST, query=_with(*ALL_B, query={"withdrawn": "true"})))
register("GET /api/v1/assistance/visits", Case(LIST, query=_with(*ALL_B, query={"withdrawn": "true"})))

register("PUT /api/v1/assistance/measures/{measure_id}",
         Case(NO_EFFECT, status=404, kwargs=lambda w: {"measure_id": B.measure(w).pk},
              data=lambda w: {"type": "other", "date": _iso(), "details": {"description": "龙南接口改措施"}},
              effect=lambda w: Measure.all_objects.filter(details__description="龙南接口改措施").exists()))
register("POST /api/v1/assistance/measures/{measure_id}/withdraw",
         Case(NO_EFFECT, status=404, kwargs=lambda w: {"measure_id": B.measure(w).pk},
              data=lambda w: {"reason": "龙南接口撤回"},
              effect=lambda w: Measure.all_objects.filter(void_reason="龙南接口撤回").exists()))
register("PUT /api/v1/assistance/visits/{visit_id}",
         Case(NO_EFFECT, status=404, kwargs=lambda w: {"visit_id": B.visit(w).pk},
              data=lambda w: {"date": _iso(), "findings": "龙南接口改走访"},
              effect=lambda w: Visit.all_objects.filter(findings="龙南接口改走访").exists()))
register("POST /api/v1/assistance/visits/{visit_id}/withdraw",
         Case(NO_EFFECT, status=404, kwargs=lambda w: {"visit_id": B.visit(w).pk},
              data=lambda w: {"reason": "龙南接口撤回"},
              effect=lambda w: Visit.all_objects.filter(void_reason="龙南接口撤回").exists()))
register("POST /api/v1/assistance/visits/{visit_id}/photos",
         Case(NOT_FOUND, kwargs=lambda w: {"visit_id": B.visit(w).pk},
              note="the case sends no file: county A gets 404 before the files are looked at; the witness gets 422 "
                   "(no photo) — the upload itself is tested in tests/test_assistance_changes.py"))
register("GET /api/v1/assistance/photos/{photo_id}",
         Case(NOT_FOUND, kwargs=lambda w: {"photo_id": B.photo(w).pk}),
         Case(NOT_FOUND, role="helper", area=VILLAGE_A, kwargs=lambda w: {"photo_id": B.photo(w).pk}))
