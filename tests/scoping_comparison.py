"""Scoping cases for the data comparison pages and API (see tests/test_scoping_routes.py):
county A's office sees none of county B's data sets, hits, forms, linkage lists or
cut-off dates, and can act on none of them (谁核查谁保密)."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.comparison import actions, importers, matching, rules
from fupin.comparison.models import ExternalDataset, Hit
from fupin.core.tabular import write_xlsx
from fupin.identification.models import CutoffDate
from tests.conftest import COUNTY_A, COUNTY_B, SYSTEM, VILLAGE_A, VILLAGE_B
from tests.test_comparison import (
    DIBAO_HEADERS,
    VEHICLE_HEADERS,
    household,
    id_number,
    table_file,
    vehicle_rows,
)
from tests.test_scoping_routes import FORBIDDEN, LIST, NO_EFFECT, NOT_FOUND, OWN, Case, register

B6 = COUNTY_B[:6]
OPEN_B = ("龙南车主", id_number(B6, "19700101", 201))
DECIDED_B = ("龙南二号", id_number(B6, "19710101", 202))
APPROVED_B = ("龙南三号", id_number(B6, "19720101", 203))
DATE = dt.date(2015, 10, 1)


def _cached(w, name, make):
    if not hasattr(w, name):
        setattr(w, name, make())
    return getattr(w, name)


def _tmp() -> Path:
    return Path(tempfile.mkdtemp(prefix="fupin-cmp-"))


def vehicles_b(w) -> ExternalDataset:
    """County B's vehicle data set, matched: one open hit, one decided, one approved."""
    def make():
        CutoffDate.objects.get_or_create(area_prefix=B6, defaults={"date": dt.date(2015, 10, 26),
                                                                   "source": "龙南 识别时间节点"})
        household(VILLAGE_B, "3607831002019001", [OPEN_B, DECIDED_B, APPROVED_B])
        path = table_file(_tmp(), VEHICLE_HEADERS, vehicle_rows([(p[1], p[0], DATE, "100000")
                                                                 for p in (OPEN_B, DECIDED_B, APPROVED_B)]))
        ds = importers.import_dataset(SYSTEM, path, kind="vehicle", source="龙南市公安局", as_of="2016-06-30",
                                      area_code=COUNTY_B, name="龙南 车辆").dataset
        matching.match_dataset(ds)
        actions.decide(SYSTEM, hit_b(ds, DECIDED_B), decision=rules.VETO)
        actions.approve(SYSTEM, actions.decide(SYSTEM, hit_b(ds, APPROVED_B), decision=rules.VETO))
        return ds
    return _cached(w, "_cmp_vehicles_b", make)


def hit_b(ds, person) -> Hit:
    return Hit.objects.get(dataset=ds, member__id_number=person[1])


def open_hit(w) -> Hit:
    return hit_b(vehicles_b(w), OPEN_B)


def decided_hit(w) -> Hit:
    return hit_b(vehicles_b(w), DECIDED_B)


def approved_hit(w) -> Hit:
    return hit_b(vehicles_b(w), APPROVED_B)


def dibao_b(w) -> ExternalDataset:
    def make():
        vehicles_b(w)
        path = table_file(_tmp(), DIBAO_HEADERS, [[OPEN_B[1], OPEN_B[0], "2014-01-01", "300", VILLAGE_B]])
        ds = importers.import_dataset(SYSTEM, path, kind="dibao", source="龙南市民政局", as_of="2016-06-30",
                                      area_code=COUNTY_B, name="龙南 低保").dataset
        matching.match_dataset(ds)
        return ds
    return _cached(w, "_cmp_dibao_b", make)


def cutoff_b(w) -> CutoffDate:
    vehicles_b(w)
    return CutoffDate.objects.get(area_prefix=B6)


def world_b(w) -> dict:
    """Every kind of county-B object, for list pages."""
    vehicles_b(w)
    dibao_b(w)
    return {}


def _upload(w) -> dict:
    buffer = io.BytesIO()
    write_xlsx(buffer, VEHICLE_HEADERS, vehicle_rows([(OPEN_B[1], OPEN_B[0], DATE, "1")]))
    return {"file": SimpleUploadedFile("vehicles.xlsx", buffer.getvalue()), "kind": "vehicle",
            "source": "龙南 上传", "as_of": "2016-06-30", "area": COUNTY_B, "name": "龙南 上传的车辆"}


def _hit_status(getter, status):
    return lambda w: Hit.objects.get(pk=getter(w).pk).status == status


# --- pages -----------------------------------------------------------------------------

register("comparison:home",
         Case(LIST, query=world_b),
         Case(LIST, role="village_cadre", area=VILLAGE_A, query=world_b),
         Case(LIST, role="department_officer", query=world_b),
         Case(FORBIDDEN, role="helper", area=VILLAGE_A, witness=False))
register("comparison:import",
         Case(OWN),
         Case(NO_EFFECT, method="post", data=_upload,
              effect=lambda w: ExternalDataset.objects.filter(name="龙南 上传的车辆").exists()),
         Case(FORBIDDEN, role="village_cadre", area=VILLAGE_A, witness=False))
register("comparison:template", Case(OWN, kwargs=lambda w: {"kind": "vehicle"}))
register("comparison:dataset",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": vehicles_b(w).pk}),
         Case(NOT_FOUND, kwargs=lambda w: {"pk": vehicles_b(w).pk}, role="department_officer"),
         Case(NOT_FOUND, kwargs=lambda w: {"pk": dibao_b(w).pk}, role="village_cadre", area=VILLAGE_A))
register("comparison:match",
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": vehicles_b(w).pk}))
register("comparison:hits",
         Case(LIST, query=world_b),
         Case(LIST, query=lambda w: {**world_b(w), "area": COUNTY_B}),
         Case(LIST, query=lambda w: {**world_b(w), "dataset": str(vehicles_b(w).pk)}),
         Case(LIST, query=lambda w: {**world_b(w), "q": "龙南车主"}),
         Case(LIST, role="village_cadre", area=VILLAGE_A, query=world_b),
         Case(LIST, role="inspector", query=world_b),
         Case(FORBIDDEN, role="department_officer", witness=False),
         Case(FORBIDDEN, role="helper", area=VILLAGE_A, witness=False))
register("comparison:hit",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": open_hit(w).pk}),
         Case(NOT_FOUND, kwargs=lambda w: {"pk": open_hit(w).pk}, role="village_cadre", area=VILLAGE_A))
register("comparison:decide",
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": open_hit(w).pk},
              data=lambda w: {"decision": "veto"}),
         Case(NO_EFFECT, method="post", kwargs=lambda w: {"pk": open_hit(w).pk}, role="village_cadre",
              area=VILLAGE_A, data=lambda w: {"decision": "veto"}, status=404,
              effect=_hit_status(open_hit, rules.DECIDED)))
register("comparison:review",
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": decided_hit(w).pk},
              data=lambda w: {"action": "approve"}),
         Case(NO_EFFECT, method="post", kwargs=lambda w: {"pk": decided_hit(w).pk}, status=404,
              data=lambda w: {"action": "send_back", "note": "x"}, effect=_hit_status(decided_hit, rules.OPEN)))
register("comparison:archive",
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": approved_hit(w).pk}),
         Case(NO_EFFECT, method="post", kwargs=lambda w: {"pk": approved_hit(w).pk}, status=404,
              effect=_hit_status(approved_hit, rules.ARCHIVED)))
register("comparison:archive_area",
         Case(NO_EFFECT, method="post", data=lambda w: {"area": COUNTY_B}, status=404,
              effect=_hit_status(approved_hit, rules.ARCHIVED)),
         Case(NO_EFFECT, method="post", witness=False, note="county A's own area: B's hits stay as they are",
              data=lambda w: (approved_hit(w), {"area": COUNTY_A})[1], effect=_hit_status(approved_hit,
                                                                                           rules.ARCHIVED)))
register("comparison:forms",
         Case(LIST, query=world_b),
         Case(LIST, query=lambda w: {**world_b(w), "area": COUNTY_B}),
         Case(LIST, role="village_cadre", area=VILLAGE_A, query=world_b))
register("comparison:form_export",
         Case(NOT_FOUND, kwargs=lambda w: {"form": "check"}, query=lambda w: {**world_b(w), "area": COUNTY_B}),
         Case(NOT_FOUND, kwargs=lambda w: {"form": "opinions"},
              query=lambda w: {"dataset": str(vehicles_b(w).pk)}),
         Case(NOT_FOUND, kwargs=lambda w: {"form": "summary"}, query=lambda w: {**world_b(w), "area": VILLAGE_B},
              role="village_cadre", area=VILLAGE_A),
         Case(OWN, kwargs=lambda w: {"form": "check"}, query=world_b,
              note="the viewer's own export; its rows are checked in tests/test_comparison_views.py"))
register("comparison:linkage",
         Case(LIST, query=world_b),
         Case(NOT_FOUND, query=lambda w: {"dataset": str(dibao_b(w).pk)}),
         Case(LIST, role="village_cadre", area=VILLAGE_A, query=world_b))
register("comparison:linkage_export",
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": dibao_b(w).pk}),
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": dibao_b(w).pk}, role="village_cadre",
              area=VILLAGE_A))
register("comparison:cutoffs",
         Case(LIST, query=lambda w: (cutoff_b(w), {})[1]),
         Case(NO_EFFECT, method="post", status=403,
              data=lambda w: {"area_prefix": "360783100", "date": "2015-10-26", "source": "龙南镇"},
              effect=lambda w: CutoffDate.objects.filter(area_prefix="360783100").exists()))
register("comparison:cutoff_edit",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": cutoff_b(w).pk}),
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": cutoff_b(w).pk},
              data=lambda w: {"area_prefix": B6, "date": "2016-01-01", "source": "改", "version": 1}))
register("comparison:cutoff_delete",
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": cutoff_b(w).pk}))

# --- the API -----------------------------------------------------------------------------

register("GET /api/v1/comparison/datasets",
         Case(LIST, query=world_b),
         Case(LIST, role="department_officer", query=world_b),
         Case(FORBIDDEN, role="helper", area=VILLAGE_A, witness=False))
register("GET /api/v1/comparison/hits",
         Case(LIST, query=world_b),
         Case(LIST, query=lambda w: {**world_b(w), "area": COUNTY_B}),
         Case(LIST, role="village_cadre", area=VILLAGE_A, query=world_b),
         Case(FORBIDDEN, role="department_officer", witness=False))
register("GET /api/v1/comparison/hits/{hit_id}",
         Case(NOT_FOUND, kwargs=lambda w: {"hit_id": open_hit(w).pk}))
register("POST /api/v1/comparison/hits/{hit_id}/decision",
         Case(NOT_FOUND, kwargs=lambda w: {"hit_id": open_hit(w).pk}, data=lambda w: {"decision": "veto"}),
         Case(NO_EFFECT, kwargs=lambda w: {"hit_id": open_hit(w).pk}, role="work_team", area=VILLAGE_A,
              data=lambda w: {"decision": "kept", "reason": "困难"}, status=404,
              effect=_hit_status(open_hit, rules.DECIDED)))
register("POST /api/v1/comparison/hits/{hit_id}/review",
         Case(NOT_FOUND, kwargs=lambda w: {"hit_id": decided_hit(w).pk}, data=lambda w: {"action": "approve"}))

__all__ = ["COUNTY_A"]
