"""Scoping cases of the monitoring pages and API: a county-A user sees and changes nothing
of county B's monitored households, warning hits, applications and department warnings.
The public application form is the one exception (PUBLIC; tests/test_monitoring_pages.py
checks that it shows nothing of any area and reads nothing)."""

from __future__ import annotations

import datetime as dt

from stdnum.cn import ric

from fupin.monitoring import actions
from fupin.monitoring.models import (
    Application,
    DepartmentWarning,
    MonitoredHousehold,
    WarningHit,
    WarningImport,
    WarningRun,
)
from fupin.registry import actions as registry_actions
from fupin.registry.models import Household
from tests.conftest import COUNTY_B, SYSTEM, VILLAGE_B
from tests.test_scoping_routes import LIST, NO_EFFECT, NOT_FOUND, OWN, PUBLIC, Case, register


def _household(number: str, seq: str, name: str) -> Household:
    h = Household.objects.filter(number=number).first()
    if h is None:
        h = registry_actions.create_household(SYSTEM, number=number, area_code=VILLAGE_B + "001", category="1",
                                              standard="1", identified_year=2016, status="exited_policy",
                                              status_date=dt.date(2020, 1, 2))
        base = f"36078319710101{seq}"
        registry_actions.add_member(SYSTEM, h, name=name, id_number=base + ric.calc_check_digit(base + "0"),
                                    relation="01")
        h.refresh_from_db()
    return h


def household_b(w) -> Household:
    return _household("3607831002018801", "881", "龙南监测户")


def fresh_b(w) -> Household:
    return _household("3607831002018802", "882", "龙南新监测户")


def record_b(w) -> MonitoredHousehold:
    h = household_b(w)
    rec = MonitoredHousehold.objects.filter(household=h).first()
    if rec is None:
        rec = actions.open_episode(SYSTEM, h, kind=MonitoredHousehold.SUDDEN, channel="visit",
                                   date=dt.date(2024, 1, 5), who="龙南 村干部", what="龙南 洪灾", risks=["disaster.flood"])
        MonitoredHousehold.objects.filter(pk=rec.pk).update(state=MonitoredHousehold.MONITORED,
                                                            since=dt.date(2024, 2, 1))
        rec.refresh_from_db()
    return rec


def hit_b(w) -> WarningHit:
    h = household_b(w)
    hit = WarningHit.objects.filter(household=h).first()
    if hit is None:
        run = WarningRun.objects.create(area_code="360783", year=2023)
        hit = WarningHit.objects.create(run=run, household=h, area_code=h.area_code, rule="income_below_line",
                                        value=100, threshold=6900)
    return hit


def app_b(w) -> Application:
    app = Application.objects.filter(name="龙南申请人").first()
    if app is None:
        from fupin.core import clock

        app = Application.objects.create(area_code=VILLAGE_B, channel="public", name="龙南申请人", phone="13979830009",
                                         what="龙南 因病", received_at=clock.now())
    return app


def import_b(w) -> WarningImport:
    src = WarningImport.objects.filter(department="龙南医保局").first()
    if src is None:
        h = household_b(w)
        m = h.members.get()
        src = WarningImport.objects.create(department="龙南医保局", area_code=COUNTY_B, file_name="龙南.xlsx", rows=1)
        DepartmentWarning.objects.create(source=src, household=h, member=m, area_code=h.area_code,
                                         id_number=m.id_number, name=m.name, kind="medical",
                                         date=dt.date(2023, 5, 1), amount=20000, detail="龙南 县医院")
    return src


def _with(*builders):
    def query(w):
        for b in builders:
            b(w)
        return {}

    return query


register("monitoring:index", Case(LIST, query=_with(record_b)),
         Case(LIST, query=_with(record_b), role="village_cadre", area="360729100201"))
register("monitoring:export", Case(OWN, query=_with(record_b),
                                   note="binary; the rows come from the same scoped query as the list"))
register("monitoring:new", Case(OWN),
         Case(NO_EFFECT, method="post",
              data=lambda w: {"household": fresh_b(w).number, "kind": "edge", "channel": "visit",
                              "date": "2024-01-05", "who": "龙南", "what": "龙南"},
              effect=lambda w: MonitoredHousehold.objects.filter(household__number="3607831002018802").exists()))
register("monitoring:record", Case(NOT_FOUND, kwargs=lambda w: {"pk": record_b(w).pk}))
register("monitoring:record_action",
         Case(NO_EFFECT, method="post", status=404, kwargs=lambda w: {"pk": record_b(w).pk},
              data=lambda w: {"action": "risk", "code": "illness", "detail": "龙南"},
              effect=lambda w: record_b(w).risks.filter(code="illness").exists()),
         Case(NO_EFFECT, method="post", status=404, kwargs=lambda w: {"pk": record_b(w).pk},
              data=lambda w: {"action": "help", "date": "2024-01-06", "what": "龙南", "amount": "100",
                              "given_by": "龙南"},
              effect=lambda w: record_b(w).help.exists()))
register("monitoring:worklist", Case(LIST, query=_with(hit_b)))
register("monitoring:run",
         Case(NO_EFFECT, method="post", data=lambda w: {"area": COUNTY_B, "year": "2023"},
              effect=lambda w: WarningRun.objects.filter(area_code="360783", job__isnull=False).exists()))
register("monitoring:hit_action",
         Case(NO_EFFECT, method="post", status=404, kwargs=lambda w: {"pk": hit_b(w).pk},
              data=lambda w: {"action": "dismiss", "reason": "龙南"},
              effect=lambda w: WarningHit.objects.filter(pk=hit_b(w).pk, state="dismissed").exists()))
register("monitoring:applications", Case(LIST, query=_with(app_b)))
register("monitoring:application_new", Case(OWN),
         Case(NO_EFFECT, method="post",
              data=lambda w: {"village": VILLAGE_B, "channel": "phone", "name": "龙南来电", "what": "龙南",
                              "phone": "13979830010"},
              effect=lambda w: Application.objects.filter(name="龙南来电").exists()))
register("monitoring:application", Case(NOT_FOUND, kwargs=lambda w: {"pk": app_b(w).pk}),
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": app_b(w).pk},
              data=lambda w: {"action": "dismiss", "d-reason": "龙南"}))
register("monitoring:warnings", Case(LIST, query=_with(import_b)))
register("monitoring:warnings_template", Case(OWN))
register("monitoring:apply", Case(PUBLIC))

register("GET /api/v1/monitoring/households", Case(LIST, query=_with(record_b)))
register("GET /api/v1/monitoring/hits", Case(LIST, query=_with(hit_b)))
register("POST /api/v1/monitoring/applications",
         Case(NO_EFFECT, status=404, data=lambda w: {"village": VILLAGE_B, "name": "龙南接口来电", "what": "龙南",
                                                     "phone": "13979830011"},
              effect=lambda w: Application.objects.filter(name="龙南接口来电").exists()))
