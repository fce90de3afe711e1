"""Scoping cases of the exchange pages (/registry/exchange/…): see tests/test_scoping_routes.py."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from stdnum.cn import ric

from fupin.jobs.models import Job
from fupin.registry import exchange
from fupin.registry.models import Household
from tests.conftest import COUNTY_A, COUNTY_B, VILLAGE_A, VILLAGE_B
from tests.test_scoping_routes import FORBIDDEN, LIST, NO_EFFECT, NOT_FOUND, OWN, Case, register


def _id(seq: int) -> str:
    body = f"36078319800101{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def _file(rows: list[tuple[str, str, str]]) -> dict:
    """An exchange CSV with one head per household: (户编号, 区划代码, 证件号码)."""
    buffer = io.StringIO()
    w = csv.writer(buffer)
    w.writerow(exchange.HEADERS)
    base = {"贫困户属性": "一般贫困户", "识别标准": "国家扶贫标准", "主要致贫原因": "因病", "识别年度": "2015",
            "贫困户状态": "贫困户（未脱贫）", "姓名": "龙南 户主", "性别": "男", "与户主关系": "户主", "民族": "汉族",
            "在校生状况": "非在校生", "健康状况": "健康"}
    for number, area, id_number in rows:
        values = {**base, "户编号": number, "区划代码": area, "证件号码": id_number}
        w.writerow([values.get(h, "") for h in exchange.HEADERS])
    return {"file": SimpleUploadedFile("registry.csv", buffer.getvalue().encode("utf-8"))}


def _household(number):
    return lambda w: Household.objects.filter(number=number).exists()


def _export_job(area):
    return lambda w: Job.objects.filter(kind="registry.export", area_code=area).exists()


register("registry:exchange",
         Case(LIST),  # the export area choices and the recent jobs are the viewer's own
         Case(LIST, role="inspector"),
         Case(FORBIDDEN, role="village_cadre", area=VILLAGE_A, witness=False))
register("registry:exchange_template", Case(OWN), Case(FORBIDDEN, role="helper", area=VILLAGE_A, witness=False))
register("registry:exchange_import",
         Case(NO_EFFECT, method="post", data=lambda w: _file([("LN-IMPORT-1", VILLAGE_B, _id(1))]),
              effect=_household("LN-IMPORT-1")),
         Case(NO_EFFECT, method="post", witness=False, note="a county-A file with one county-B household",
              data=lambda w: _file([("QN-IMPORT-1", VILLAGE_A, _id(2)), ("LN-IMPORT-2", VILLAGE_B, _id(3))]),
              effect=lambda w: Household.objects.filter(number__in=["QN-IMPORT-1", "LN-IMPORT-2"]).exists()),
         Case(FORBIDDEN, method="post", role="inspector", witness=False,
              data=lambda w: _file([("LN-IMPORT-3", VILLAGE_B, _id(4))])))
register("registry:exchange_export",
         Case(NOT_FOUND, method="post", data=lambda w: {"area": COUNTY_B, "format": "csv"}),
         Case(NO_EFFECT, method="post", data=lambda w: {"area": VILLAGE_B, "format": "xlsx"},
              effect=_export_job(VILLAGE_B)),
         Case(NOT_FOUND, method="post", role="inspector", data=lambda w: {"area": COUNTY_B, "format": "csv"}),
         Case(FORBIDDEN, method="post", role="village_cadre", area=VILLAGE_A, witness=False,
              data=lambda w: {"area": COUNTY_A, "format": "csv"}))


def _income_file(w) -> dict:
    """An income file with one row: county B's household (tests/scoping_registry_records.py), 2021."""
    from fupin.registry import income_exchange
    from tests.scoping_registry_records import NUMBER_B, household_b

    household_b(w)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(income_exchange.HEADERS)
    values = {"户编号": NUMBER_B, "年度": "2021", "工资性收入": "8000"}
    writer.writerow([values.get(h, "") for h in income_exchange.HEADERS])
    return {"income-file": SimpleUploadedFile("income.csv", buffer.getvalue().encode("utf-8"))}


def _income_b(w) -> bool:
    from fupin.registry.models import Income
    from tests.scoping_registry_records import NUMBER_B

    return Income.objects.filter(household__number=NUMBER_B, year=2021).exists()


register("registry:exchange_income_template", Case(OWN),
         Case(FORBIDDEN, role="helper", area=VILLAGE_A, witness=False))
register("registry:exchange_income_import",
         Case(NO_EFFECT, method="post", data=_income_file, effect=_income_b),
         Case(FORBIDDEN, method="post", role="inspector", witness=False, data=_income_file))
register("registry:exchange_income_export",
         Case(NOT_FOUND, method="post", data=lambda w: {"income-area": COUNTY_B, "income-format": "csv"}),
         Case(NO_EFFECT, method="post", effect=_export_job(VILLAGE_B),
              data=lambda w: {"income-area": VILLAGE_B, "income-year": "2020", "income-format": "xlsx"}),
         Case(NOT_FOUND, method="post", role="inspector",
              data=lambda w: {"income-area": COUNTY_B, "income-format": "csv"}),
         Case(FORBIDDEN, method="post", role="village_cadre", area=VILLAGE_A, witness=False,
              data=lambda w: {"income-area": COUNTY_A, "income-format": "csv"}))
