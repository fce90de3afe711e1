"""The demo county's monitoring (防止返贫动态监测), after the registry's and
identification's steps: EXAMPLE monitoring lines (2020 and the last income year), monitored households of the
three kinds with their risks (a few dozen rows, bulk-created, one audit event per kind),
two edge households that were never registered (registry status ``rural``; their people,
housing, land and incomes made like the registry demo's, through the registry's actions), one flood
case helped first (先救后核) and put through the identification procedure, one risk
cleared, a department's warning file, pending applications, and a run of the
early-warning rules over the county with its worklist. Deterministic for a seed."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.demo import COUNTY_CODE, step
from fupin.identification import actions as id_actions
from fupin.identification.models import Line
from fupin.registry import actions as registry
from fupin.registry import demo as registry_demo
from fupin.registry import quality
from fupin.registry.models import Household, Income, Member

from . import actions, engine
from .models import Application, DepartmentWarning, Discovery, Help, Risk, WarningImport
from .models import MonitoredHousehold as M

PREFIX = COUNTY_CODE[:6]
EXAMPLE = "示例数据（演示用，非真实标准）"
RISKS = ["illness", "schooling", "disability", "employment", "industry", "labour", "accident"]


def _lines(actor, income_year: int) -> None:
    for year, value in ((2020, "6000"), (income_year, "7500")):
        if not Line.objects.filter(kind="monitoring", area_prefix=PREFIX[:2], year=year).exists():
            id_actions.save_line(actor, None, kind="monitoring", area_prefix=PREFIX[:2], year=year,
                                 value=Decimal(value), name="江西省 防返贫监测范围（示例）", source=EXAMPLE,
                                 is_example=True)


def _bulk(actor, rng, households, kind, state, since_years) -> list[M]:
    records = []
    for h in households:
        since = dt.date(rng.choice(since_years), rng.randint(1, 12), rng.randint(1, 28))
        records.append(M(household=h, area_code=h.area_code, kind=kind, state=state, since=since))
    M.objects.bulk_create(records)
    risks, found = [], []
    for r in records:
        for code in rng.sample(RISKS, rng.randint(1, 3)):
            risks.append(Risk(record=r, area_code=r.area_code, code=code, noted_on=r.since))
        found.append(Discovery(record=r, household=r.household, area_code=r.area_code,
                               channel=rng.choice(["visit", "phone", "department", "application"]),
                               date=r.since - dt.timedelta(days=20), who="演示数据", what="演示：排查发现"))
    Risk.objects.bulk_create(risks)
    Discovery.objects.bulk_create(found)
    event = audit.record(actor, "monitoring.demo", kind="bulk", object_type="monitoring.monitoredhousehold",
                         area_code=COUNTY_CODE, count=len(records), after={"kind": kind, "state": state})
    audit.record_items(event, ((r.pk, "created") for r in records))
    return records


def _edge_households(actor, rng, village: Area, n: int) -> list[Household]:
    """Households never on the register (status ``rural``), monitored as 边缘易致贫户: their
    people made by the registry demo's generator (names, ID numbers with birth date and sex,
    schooling, health, work), an address, housing and land, and an income ledger from 2020 to
    last year a little above the year's national line, as an edge household's is — all entered
    through the registry's actions. Nothing only a registered household has: no cause of
    poverty, no identification, exit or return year, no 低保 or 特困 support."""
    today = clock.today()
    gen = registry_demo.Generator(0, today, quality.national_lines())
    gen.rng = gen.income_rng = random.Random(rng.random())  # noqa: S311 — demo data: its own stream
    township = Area.objects.get(code=village.code[:9] + "000", valid_to__isnull=True)
    groups = list(Area.objects.filter(code__startswith=village.code, level="group", valid_to__isnull=True)
                  .order_by("code"))
    out = []
    for i in range(n):
        number = f"{village.code}{9001 + i:04d}"
        h = Household.objects.filter(number=number).first()
        if h is None:
            h = _edge_household(actor, gen, number, village, township, groups)
        out.append(h)
    return out


def _edge_household(actor, gen, number: str, village: Area, township: Area, groups: list[Area]) -> Household:
    rng = gen.rng
    group = rng.choice(groups) if groups else None
    plan = gen.household(number, village, group, None, township.name, rng.randint(121, 160))
    plan.people = [p for p in plan.people if p.active]  # one who left before is not entered
    for p in plan.people:  # an ID number is one person's: none taken by a registered member
        while p.id_number and Member.objects.filter(id_number=p.id_number).exists():
            p.id_number = gen.id_number(p.birth, p.sex)
    arable = Decimal(rng.randint(10, 50)) / 10
    v = plan.values
    v.update(category="", forest_mu=Decimal(rng.randint(20, 300)) / 10, arable_mu=arable,
             cooperative=rng.random() < 0.4)
    phones = [p.phone for p in plan.people if p.phone]
    housing = {"housing_area": Decimal(len(plan.people) * rng.randint(25, 40)),
               "housing_structure": rng.choice(["2", "3"]), "water_safe": True, "power": True,
               "sanitary_toilet": rng.random() < 0.7, "road_distance_km": Decimal(rng.randint(2, 40)) / 10}
    h = registry.create_household(
        actor, number=number, area_code=(group or village).code, status="rural", status_date=dt.date(2021, 3, 1),
        address=v["address"], phone=phones[0] if phones else "", **housing, arable_mu=arable,
        irrigated_mu=(arable * Decimal("0.8")).quantize(Decimal("0.1")), forest_mu=v["forest_mu"],
        cooperative=v["cooperative"])
    for p in plan.people:
        registry.add_member(actor, h, name=p.name, id_number=p.id_number, no_id_reason=p.no_id_reason, sex=p.sex,
                            birth_date=p.birth, relation=p.relation, ethnicity=p.ethnicity, education=p.education,
                            school_status=p.school_status, health=p.health, disability_grade=p.disability_grade,
                            labour=p.labour, work_status=p.work_status, work_place=p.work_place,
                            work_months=p.work_months, phone=p.phone, medical_insurance=p.medical_insurance,
                            serious_illness_insurance=p.serious_illness_insurance,
                            pension_insurance=p.pension_insurance)
    share = rng.uniform(1.05, 1.25)
    for year in range(2020, gen.last_year + 1):
        line = gen.lines.get(year)
        if line is None:
            continue
        share = min(1.45, share * rng.uniform(1.0, 1.06))
        items = gen.split_income(plan, year, len(plan.people), line * Decimal(share), plan.people)
        registry.save_income(actor, h, year, **{k: items[k] for k in registry.INCOME_FIELDS})
    h.refresh_from_db()
    return h


@transaction.atomic
def build(actor, seed: int) -> dict:
    rng = random.Random(seed + 6)  # noqa: S311 (demo data, not security)
    # The last income year of the demo ledgers (the registry's run to last year; the exits demo enters
    # this year's for the households of its open exit batch).
    income_year = Income.objects.filter(area_code__startswith=PREFIX).order_by("-year").values_list(
        "year", flat=True).first() or 2020
    _lines(actor, income_year)
    exited = list(Household.objects.filter(county_code=PREFIX, status__in=["exited_policy", "exited"])
                  .order_by("id").values_list("id", flat=True))
    if len(exited) < 20:
        return {"monitored": 0}
    chosen = rng.sample(exited, 20)
    hh = {h.pk: h for h in Household.objects.filter(pk__in=chosen)}
    unstable = _bulk(actor, rng, [hh[i] for i in chosen[:12]], M.UNSTABLE, M.MONITORED, [2021, 2022, 2023, 2024])
    sudden = _bulk(actor, rng, [hh[i] for i in chosen[12:15]], M.SUDDEN, M.MONITORED, [2023, 2024, 2025])
    village = Area.objects.filter(code__startswith=PREFIX, level="village").order_by("code").first()
    edge_hh = _edge_households(actor, rng, village, 2)
    edge = _bulk(actor, rng, edge_hh, M.EDGE, M.MONITORED, [2022, 2023])
    # One risk cleared (风险消除): the first unstable household, cleared last year.
    cleared = unstable[0]
    M.objects.filter(pk=cleared.pk).update(state=M.CLEARED, cleared_on=dt.date(clock.today().year - 1, 11, 20))
    Risk.objects.filter(record=cleared).update(resolved_on=dt.date(clock.today().year - 1, 10, 1))
    # A flood: helped first (先救后核), visited by two, consent signed, in the identification procedure.
    flood_h = hh[chosen[15]]
    today = clock.today()
    rec = actions.open_episode(actor, flood_h, kind=M.SUDDEN, channel=Discovery.VISIT,
                               date=today - dt.timedelta(days=6), who="村支书（演示）",
                               what="暴雨洪涝冲毁住房和承包地（演示）", risks=["disaster.flood"])
    actions.record_help(actor, rec, date=today - dt.timedelta(days=5), what="临时救助金（先救后核）",
                        amount="3000", given_by="乡镇民政所（演示）")
    actions.record_visit(actor, rec, date=today - dt.timedelta(days=4), visitors="村支书、驻村第一书记",
                         findings="房屋局部倒塌，秋粮绝收（演示）", consent_signed=True, consent_signed_by="户主")
    area = Area.objects.get(code=flood_h.village.code)
    actions.start_identification(actor, area, [rec], title="防止返贫监测对象识别（演示：洪灾先救后核）")
    # A department's warning file (hospital bills) and pending applications.
    src = WarningImport.objects.create(department="县医疗保障局（演示）", area_code=COUNTY_CODE, file_name="demo.xlsx")
    bills = []
    for hid in chosen[16:19]:
        h = hh[hid]
        m = h.members.filter(active=True).exclude(id_number=None).first()
        if m is not None:
            bills.append(DepartmentWarning(source=src, household=h, member=m, area_code=h.area_code,
                                           id_number=m.id_number, name=m.name, kind="medical",
                                           date=dt.date(income_year, rng.randint(1, 12), 10),
                                           amount=Decimal(rng.randint(15000, 60000)), detail="县人民医院住院（演示）"))
    h = hh[chosen[19]]
    m = h.members.filter(active=True).exclude(id_number=None).first()
    if m is not None:
        bills.append(DepartmentWarning(source=src, household=h, member=m, area_code=h.area_code, id_number=m.id_number,
                                       name=m.name, kind="disaster", date=dt.date(income_year, 7, 2),
                                       detail="应急管理局：山体滑坡受灾区域（演示）"))
    DepartmentWarning.objects.bulk_create(bills)
    WarningImport.objects.filter(pk=src.pk).update(rows=len(bills))
    Application.objects.bulk_create([
        Application(area_code=village.code, channel=Application.PUBLIC, name="申请人（演示）", phone="13800000001",
                    what="家中老人住院，医疗费用负担重（演示）", received_at=clock.now()),
        Application(area_code=village.code, channel=Application.PHONE, name="来电人（演示）", phone="13800000002",
                    what="外出务工中断，收入骤减（演示）", received_at=clock.now()),
    ])
    # The early-warning rules over the county for the last income year of the demo.
    run = engine.run_rules(actor, COUNTY_CODE, income_year)
    return {"monitored": len(unstable) + len(sudden) + len(edge), "cleared": 1, "helped_first": 1,
            "hits": run.hit_count, "help": Help.objects.filter(record=rec).count()}


@step
def monitoring_demo(actor, rng, context):
    result = build(actor, context["seed"])
    context["monitoring"] = result
    context.setdefault("summary", []).append(
        f"Monitoring: {result.get('monitored', 0)} monitored households (three kinds), "
        f"{result.get('cleared', 0)} risk cleared, {result.get('helped_first', 0)} flood case helped first and in the "
        f"identification procedure, {result.get('hits', 0)} warning hits on the worklist.")
