"""The demo county's assistance work (全南县): a helper for every poor household (and
most households still receiving policies after exit), with a history of changes; the
eight poor villages of seed 001 as key-assistance villages (重点帮扶村, seed 003 第四篇)
with their "三个一" platform (a county leader, a department, a leading enterprise),
county leaders' contact points (挂点) in every township, resident work teams with
attendance; plans (一户一策, 一村一策) and a realistic year of measures and visits up to
today, last year's carried into the households' income ledgers (through the registry's
ledger import; a household still poor stays below the line: see Builder.ledger); forest-ranger posts with agreements, inspections and a decision.

Gaps left on purpose, so the coverage page has something to show (summary lists them):
three poor households without a helper; a village newly listed as key-assistance this
year, with no work team or unit yet; two helpers with no visit for 75 days; five helped
households without this year's plan; three plans without measures.

Deterministic for a seed (its own random stream) and fast: everything is generated in
Python, then written with bulk_create; one audit event per kind of record (the income
ledgers: the registry's import records each changed one)."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import random
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from django.db import connection, models, transaction
from django.db.models import Count

from fupin.accounts.models import User
from fupin.areas import actions as area_actions
from fupin.areas.models import Area, Unit
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.demo import COUNTY_CODE, DEMO_COUNTY, step
from fupin.registry import codes as registry_codes
from fupin.registry import income_exchange
from fupin.registry import quality as registry_quality
from fupin.registry import rules as registry_rules
from fupin.registry.demo import FEMALE_CHARS, MALE_CHARS, SURNAMES
from fupin.registry.models import Household, Income, Member, VillageChecklist, VillageProfile

from . import rules
from .models import (
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

COUNTY6 = COUNTY_CODE[:6]
KEY_SOURCE = "2021年起原贫困村列为乡村振兴重点帮扶村（《乡村振兴重点帮扶村工作方案》）"
ENTERPRISES = ["全南县绿源油茶开发有限公司", "全南县梦园芳香产业有限公司", "全南县富硒蔬菜专业合作联社",
               "全南县客家生态农业发展有限公司", "全南县竹韵竹业有限公司", "全南县兴农生猪养殖有限公司"]
DEPARTMENTS = ["全南县民政局", "全南县教育局", "全南县卫生健康委员会", "全南县住房和城乡建设局",
               "全南县人力资源和社会保障局", "全南县农业农村局", "全南县林业局", "全南县自然资源局",
               "全南县市场监督管理局", "全南县财政局", "全南县公安局", "全南县审计局"]
LEADER_POSTS = ["县委副书记", "常务副县长", "县委常委、组织部长", "县委常委、宣传部长", "副县长", "县人大常委会副主任",
                "县政协副主席", "县委常委、政法委书记", "副县长"]
POSTS = ["科员", "副主任科员", "股长", "副局长", "办公室主任", "干事", "主任科员"]
CAUSE_MEASURES = {"01": ["health"], "02": ["security"], "03": ["education"], "04": ["housing"],
                  "05": ["industry", "credit"], "06": ["other"], "07": ["training", "employment"],
                  "08": ["dividend", "security"], "09": ["credit", "industry"], "10": ["industry"],
                  "11": ["employment"], "12": ["other"]}
INDUSTRY_BRANCH = {"蔬菜": "crops", "水稻": "crops", "脐橙": "crops", "油茶": "forestry", "毛竹": "forestry",
                   "芳香花木": "crops", "生猪养殖": "livestock", "家禽": "poultry", "稻田养鱼": "fisheries"}
JOBS = [("扶贫车间缝纫工", "城厢镇扶贫车间", True, False), ("电子厂普工", "广东省东莞市", False, False),
        ("村保洁员", "本村", False, True), ("护路员", "本村", False, True), ("建筑工", "县城", False, False),
        ("家政服务员", "广东省深圳市", False, False), ("采茶工", "县内茶园", False, False)]
COURSES = ["电商实操培训", "家政服务培训", "种养实用技术培训", "电工技能培训", "月嫂培训", "中式烹调培训"]
FINDINGS = ["家中一切正常，主要劳动力在外务工。", "户主腰疾复发，近期在家休养。", "新房已入住，家具尚不齐全。",
            "孩子开学在即，学费已落实资助。", "生猪存栏12头，长势良好。", "油茶林需要抚育，缺少劳力。",
            "反映饮水管道冬季易冻裂。", "医保已缴，慢性病卡已办理。", "家中老人行动不便，需要照料。",
            "蔬菜基地务工收入稳定。", "对帮扶工作满意。", "希望学习电商销售农产品。"]
AGREEMENTS = ["下次走访带去种苗。", "协助申请临时救助。", "联系村医上门随访。", "推荐参加县人社局技能培训。",
              "帮助联系扶贫车间岗位。", "协助办理小额信贷续贷。", "督促按时缴纳医保。", "帮助销售农产品。",
              "下月再访。", "联系村委维修水管。"]


def _insert(model, objs, batch_size: int = 5000) -> int:
    """INSERT model instances with one prepared statement per batch (registry.demo.insert_rows):
    no per-instance work of bulk_create; auto dates are filled in, JSON is prepared."""
    from fupin.registry.demo import insert_rows

    now = clock.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    json_fields = {i for i, f in enumerate(fields) if isinstance(f, models.JSONField)}
    auto = {i for i, f in enumerate(fields) if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)}

    def rows():
        for o in objs:
            row = [getattr(o, f.attname) for f in fields]
            for i in json_fields:
                row[i] = fields[i].get_db_prep_save(row[i], connection)
            for i in auto:
                row[i] = row[i] or now
            yield row

    return insert_rows(model, [f.name for f in fields], rows(), batch_size=batch_size)


CENT = Decimal("0.01")


def _including(items: dict[str, Decimal], costs: Decimal, carried: dict[str, Decimal], *,
               keep_net: bool) -> tuple[dict[str, Decimal], Decimal] | None:
    """A year's ledger (its ``items`` and production ``costs``) once it includes ``carried``
    (income item -> the money measures brought to it): each such item holds at least that money,
    and the other items and the costs give way in proportion, so that the net income stays as it
    was — as long as the measures' money fits in it. Where it does not (the measures bring more
    than the net income): None if ``keep_net``, else the other items stay and the net income goes
    up by the difference."""
    new = dict(items)
    for item, amount in carried.items():
        new[item] = max(new[item], amount)
    held = sum(new[i] for i in carried)
    if held == sum(items[i] for i in carried):  # the ledger held the measures' money already
        return new, costs
    others = [i for i in items if i not in carried]
    rest = sum(items[i] for i in others) - costs  # the net income no measure explains
    net = sum(items.values()) - costs
    if rest > 0 and held <= net:
        share = (net - held) / rest
        for i in others:
            new[i] = (items[i] * share).quantize(CENT)
        new_costs = (costs * share).quantize(CENT)
        off = net - (sum(new.values()) - new_costs)  # the cents of rounding: the net to the cent
        if off > 0:
            new[max(others, key=lambda i: new[i])] += off
        else:
            new_costs -= off
        return new, new_costs
    return None if keep_net else (new, costs)


def _name(rng: random.Random) -> str:
    surname = rng.choices(list(SURNAMES), weights=list(SURNAMES.values()))[0]
    chars = MALE_CHARS if rng.random() < 0.7 else FEMALE_CHARS
    return surname + "".join(rng.choice(chars) for _ in range(rng.choice([1, 2])))


def _day_in(rng: random.Random, month: dt.date, last: dt.date) -> dt.date:
    days = calendar.monthrange(month.year, month.month)[1]
    day = month.replace(day=rng.randint(1, days))
    return min(day, last)


class Builder:
    def __init__(self, actor: Actor, seed: int, context: dict):
        self.actor = actor
        self.rng = random.Random(f"fupin-assistance-{seed}")  # noqa: S311 — demo data, not secrets
        self.today = clock.today()
        self.year = self.today.year
        self.context = context
        self.phone_seq = 0
        self.summary: dict = {}
        self.gaps: dict = {}
        self.not_carried = 0  # measures of poor households left out of the ledger (ledger)

    def phone(self) -> str:
        self.phone_seq += 1
        return f"1387970{self.phone_seq:04d}"

    # --- people and units ---------------------------------------------------------------

    def units(self):
        county = Area.objects.get(code=COUNTY_CODE, valid_to__isnull=True)
        self.enterprises = []
        for name in ENTERPRISES:
            unit = Unit.objects.filter(area=county, name=name).first() or area_actions.save_unit(
                self.actor, None, name=name, kind="private_enterprise", level="county", area=county)
            self.enterprises.append(unit)
        self.departments = list(Unit.objects.filter(area=county, name__in=DEPARTMENTS).order_by("name"))
        self.party = Unit.objects.get(area=county, name="中共全南县委")
        self.government = Unit.objects.get(area=county, name="全南县人民政府")
        self.township_units = {u.area.code: u for u in Unit.objects.filter(
            area__code__in=[t["code"] for t in DEMO_COUNTY["townships"]], kind="government").select_related("area")}

    def new_helper(self, name, unit, area, level, post="", user=None) -> Helper:
        return Helper(name=name, unit=unit, area=area, area_code=area.code, level=level, post=post,
                      phone=self.phone(), user=user)

    # --- villages: key-assistance status, 三个一, teams ------------------------------------

    def villages(self):
        poor = self.context.get("registry", {}).get("poor_villages", {})
        self.all_villages = {v.code: v for v in Area.objects.filter(code__startswith=COUNTY6, level="village",
                                                                     valid_to__isnull=True)}
        self.key = [self.all_villages[c] for c in sorted(poor) if c in self.all_villages]
        others = [v for c, v in sorted(self.all_villages.items()) if c not in poor]
        self.new_key = others[len(others) // 3] if others else None  # newly listed this year: a deliberate gap
        latest = {}
        for p in VillageProfile.objects.filter(village__in=[*self.key, self.new_key]).order_by("year"):
            latest[p.village_id] = p
        existing = set(VillageProfile.objects.filter(village__in=[*self.key, self.new_key], year__gt=2020)
                       .values_list("village_id", "year"))
        rows = []
        for v in [*self.key, self.new_key]:
            base = latest.get(v.pk)
            for year in range(2021, self.year + 1):
                if base is None or (v.pk, year) in existing:
                    continue
                status = "key" if (v in self.key or year == self.year) else "none"
                grow = Decimal("1.06") ** (year - base.year)
                rows.append(VillageProfile(
                    village=v, area_code=v.code, year=year, households=base.households, population=base.population,
                    rural_population=base.rural_population,
                    collective_income=(base.collective_income * grow).quantize(Decimal("1")),
                    arable_mu=base.arable_mu, forest_mu=base.forest_mu, main_industries=base.main_industries,
                    special_industries=base.special_industries, status=status,
                    status_year=2021 if v in self.key else (self.year if status == "key" else None),
                    note=KEY_SOURCE if v in self.key else ("新列为重点帮扶村" if status == "key" else "")))
        VillageProfile.objects.bulk_create(rows)
        self.summary["village_profiles"] = len(rows)

    def links_and_teams(self):
        rng = self.rng
        townships = [Area.objects.get(code=t["code"], valid_to__isnull=True) for t in DEMO_COUNTY["townships"]]
        county = Area.objects.get(code=COUNTY_CODE, valid_to__isnull=True)
        leaders = {}
        for i, t in enumerate(townships):
            unit = self.party if i % 2 == 0 else self.government
            leaders[t.code] = self.new_helper(_name(rng), unit, county, "county",
                                              LEADER_POSTS[i % len(LEADER_POSTS)])
        Helper.objects.bulk_create(leaders.values())
        links = [Link(kind="guadian", area=t, area_code=t.code, person=leaders[t.code], start=dt.date(2021, 6, 1),
                      note="县领导挂点乡（镇）") for t in townships]
        teams, members, old_members = [], [], []
        self.team_people = []
        for i, v in enumerate(self.key):
            dept = self.departments[i % len(self.departments)]
            ent = self.enterprises[i % len(self.enterprises)]
            leader = leaders[v.code[:9] + "000"]
            start = dt.date(2016, 3, 1)
            links += [
                Link(kind="baocun", role="leader", area=v, area_code=v.code, person=leader, start=dt.date(2021, 6, 1),
                     note="三个一：县级领导挂点村"),
                Link(kind="baocun", role="department", area=v, area_code=v.code, unit=dept, start=start,
                     note="三个一：部门包村"),
                Link(kind="baocun", role="enterprise", area=v, area_code=v.code, unit=ent, start=start,
                     note="三个一：龙头企业帮村"),
            ]
            old = WorkTeam(village=v, area_code=v.code, unit=dept, name=f"{v.name}驻村工作队（第一批）",
                           start=dt.date(2017, 3, 1), end=dt.date(2021, 5, 31))
            new = WorkTeam(village=v, area_code=v.code, unit=dept, name=f"{v.name}驻村工作队",
                           start=dt.date(2021, 6, 1))
            teams += [old, new]
        first = self.context["villages"][0] if self.context.get("villages") else None
        demo_team_user = User.objects.filter(username="demo_team").first()
        if first is not None and demo_team_user is not None:
            first = Area.objects.get(code=first.code, valid_to__isnull=True)
            agri = Unit.objects.get(area__code=COUNTY_CODE, name="全南县农业农村局")
            arrival = dt.date(self.year - 1, 3, 1)
            for team in teams:  # a rotation: the team before it leaves the day before (one team at a time)
                if team.area_code == first.code and team.end is None:
                    team.end = arrival - dt.timedelta(days=1)
            teams.append(WorkTeam(village=first, area_code=first.code, unit=agri, name=f"{first.name}驻村工作队",
                                  start=arrival))
        WorkTeam.objects.bulk_create(teams)
        people = []
        for team in teams:
            roles = ["first_secretary", "leader", "member"] if team.end is None else ["first_secretary", "member"]
            for role in roles:
                user = None
                if (team.area_code == (first.code if first else None) and role == "first_secretary"
                        and team.end is None):
                    user = demo_team_user
                name = user.full_name if user else _name(rng)
                p = self.new_helper(name, team.unit, team.village, "county", rng.choice(POSTS), user)
                people.append((team, role, p))
        Helper.objects.bulk_create([p for _t, _r, p in people])
        for team, role, p in people:
            m = TeamMember(team=team, person=p, area_code=team.area_code, role=role, start=team.start, end=team.end)
            (members if team.end is None else old_members).append(m)
        TeamMember.objects.bulk_create(members + old_members)
        Link.objects.bulk_create(links)
        attendance = []
        months = [rules.month_start(self.today)]
        for _i in range(12):
            months.insert(0, rules.month_start(months[0] - dt.timedelta(days=1)))
        for m in members:
            for month in months:
                if month < rules.month_start(m.start):
                    continue
                low, high = (18, 24) if m.role == "first_secretary" else (15, 22)
                days = rng.randint(low, high)
                if month == rules.month_start(self.today):
                    days = min(days, self.today.day)
                attendance.append(Attendance(member=m, area_code=m.area_code, month=month, days=days))
        _insert(Attendance, attendance)
        self.summary.update(links=len(links), teams=len(teams), team_members=len(members) + len(old_members),
                            attendance=len(attendance), leaders=len(leaders))
        self.gaps["village_without_team_or_unit"] = self.new_key.name if self.new_key else ""

    # --- helpers and pairings ---------------------------------------------------------------------

    def pairings(self) -> tuple[list[Helper], list[Pairing], dict]:
        rng = self.rng
        poor_statuses = set(registry_codes.POOR_STATUSES)
        households = list(Household.objects.filter(county_code=COUNTY6, status__in=[*poor_statuses, "exited_policy"])
                          .select_related("village").order_by("area_code", "number"))
        key_codes = {v.code for v in self.key}
        helped = [h for h in households if h.status in poor_statuses or h.village.code in key_codes
                  or rng.random() < 0.65]
        poor = [h for h in helped if h.status in poor_statuses]
        rng.shuffle(poor)
        unhelped = {h.pk for h in poor[:3]}  # deliberate gap
        self.gaps["households_without_helper"] = [h.number for h in poor[:3]]
        helped = [h for h in helped if h.pk not in unhelped]
        # The demo helper (陈志强, 全南县教育局) helps five households of the first village.
        first_code = self.context["villages"][0].code if self.context.get("villages") else ""
        demo_user = User.objects.filter(username="demo_helper").select_related("unit").first()
        by_township: dict[str, list[Household]] = {}
        own = []
        for h in helped:
            if demo_user is not None and h.village.code == first_code and len(own) < 5:
                own.append(h)
            else:
                by_township.setdefault(h.area_code[:9], []).append(h)
        helpers: list[Helper] = []
        assignment: list[tuple[Household, Helper]] = []
        if demo_user is not None and own:
            me = self.new_helper(demo_user.full_name, demo_user.unit, own[0].village, "county", "教师", demo_user)
            helpers.append(me)
            assignment += [(h, me) for h in own]
        for code, hs in sorted(by_township.items()):
            township = self.township_units.get(code + "000")
            i = 0
            while i < len(hs):
                n = rng.randint(3, 7)
                group = hs[i:i + n]
                i += n
                if rng.random() < 0.3 and township is not None:
                    unit, level = township, "township"
                else:
                    unit, level = rng.choice(self.departments), "county"
                helper = self.new_helper(_name(rng), unit, group[0].village, level, rng.choice(POSTS))
                helpers.append(helper)
                assignment += [(h, helper) for h in group]
        Helper.objects.bulk_create(helpers)
        pairings, history = [], 0
        by_helper: dict[int, list[Household]] = {}
        previous_helpers = []
        for h, helper in assignment:
            registered = (h.status_date or dt.date(2016, 3, 1)) if h.status in poor_statuses else dt.date(2016, 3, 1)
            start = max(dt.date(2016, 3, 1), min(registered, self.today - dt.timedelta(days=400)))
            if rng.random() < 0.15 and start.year < 2019:
                change = dt.date(rng.randint(2019, 2022), rng.randint(1, 12), 1)
                old = self.new_helper(_name(rng), rng.choice(self.departments), h.village, "county", rng.choice(POSTS))
                old.active = rng.random() < 0.5
                previous_helpers.append((old, h, start, change))
                start = change
                history += 1
            pairings.append(Pairing(helper=helper, household=h, area_code=h.area_code, start=start))
            by_helper.setdefault(helper.pk, []).append(h)
        Helper.objects.bulk_create([o for o, *_ in previous_helpers])
        pairings += [Pairing(helper=o, household=h, area_code=h.area_code, start=s, end=c - dt.timedelta(days=1),
                             end_reason=self.rng.choice(["工作调动", "退休", "帮扶力量调整"]))
                     for o, h, s, c in previous_helpers]
        _insert(Pairing, pairings)
        self.summary.update(helpers=len(helpers) + len(previous_helpers), pairings=len(pairings),
                            helped_households=len(assignment), pairing_changes=history)
        return helpers, pairings, by_helper

    # --- plans, measures, income ledger --------------------------------------------------------

    def _measure(self, h: Household, mtype: str, day: dt.date, industry: str) -> Measure:
        rng = self.rng
        to_hh = spent = Decimal(0)
        fund = "county"
        if mtype == "health":
            details = {"insurance_paid": True, "family_doctor": True}
            spent, fund = Decimal(rng.randint(280, 600)), "department"
            if rng.random() < 0.3:
                cost = rng.randint(5000, 40000)
                details.update(hospital_cost=f"{cost}.00", own_share_percent="10.00")
                spent += Decimal(cost) * Decimal("0.9")
        elif mtype == "security":
            scheme = "dibao" if h.category == "2" or rng.random() < 0.6 else "pensions"
            monthly = rng.randint(280, 420)
            details = {"scheme": scheme, "monthly_amount": f"{monthly}.00"}
            to_hh, fund = Decimal(monthly * 12), "county"
        elif mtype == "education":
            details = {"stage": rng.choice(["primary", "junior", "senior", "vocational"])}
            to_hh, fund = Decimal(rng.choice([1000, 1250, 2000, 2500, 3000])), "department"
        elif mtype == "housing":
            details = {"grade_before": rng.choice(["C", "D"]), "grade_after": "A",
                       "subsidy": f"{rng.choice([15000, 20000, 30000, 40000])}.00"}
            spent, fund = Decimal(details["subsidy"]), "province"
        elif mtype == "credit":
            details = {"loan": "50000.00", "bank": "全南县农村信用合作联社", "interest_subsidy": "2175.00",
                       "term_months": 36}
            spent, fund = Decimal("2175"), "county"
        elif mtype == "industry":
            branch = INDUSTRY_BRANCH.get(industry, "crops")
            details = {"project": f"{industry}种植养殖奖补", "branch": branch,
                       "link": rng.choice(["cooperative", "enterprise", "own"]), "scale": f"{rng.randint(2, 20)}亩"}
            if details["link"] != "own":
                details["partner"] = rng.choice(ENTERPRISES)
            to_hh, spent, fund = Decimal(rng.randint(8, 50) * 100), Decimal(rng.randint(10, 40) * 100), "central"
        elif mtype == "training":
            details = {"course": rng.choice(COURSES), "days": rng.randint(5, 15), "certificate": rng.random() < 0.6}
            spent, fund = Decimal(rng.randint(5, 15) * 100), "department"
        elif mtype == "employment":
            job, place, workshop, post = rng.choice(JOBS)
            months = rng.randint(6, 12)
            wage = rng.randint(18, 45) * 100 if not post else 800
            details = {"job": job, "place": place, "monthly_wage": f"{wage}.00", "months": months,
                       "workshop": workshop, "welfare_post": post}
            to_hh, fund = Decimal(wage * months), "enterprise" if not post else "county"
        elif mtype == "dividend":
            details = {"asset": rng.choice(["村级光伏电站", "小水电站入股", "油茶基地入股"]), "shares": "1股"}
            to_hh, fund = Decimal(rng.choice([500, 800, 1000, 1200])), "county"
        else:
            details = {"description": rng.choice(["节日走访慰问", "赠送鸡苗", "协助修缮厨房"])}
            spent, fund = Decimal(rng.randint(2, 6) * 100), "unit"
        details = rules.clean_details(mtype, details)
        return Measure(household=h, village=h.village, area_code=h.area_code, type=mtype, date=day, year=day.year,
                       amount_to_household=to_hh, amount_spent=spent.quantize(Decimal("0.01")), fund_source=fund,
                       details=details, income_item=rules.income_item(mtype, details))

    def plans_and_measures(self, pairings: list[Pairing]):
        rng = self.rng
        open_pairs = [p for p in pairings if p.end is None]
        households = {p.household_id: p.household for p in open_pairs}
        helper_of = {p.household_id: p.helper for p in open_pairs}
        industries = {p.village_id: (p.main_industries.split("、") or ["蔬菜"]) for p in VillageProfile.objects.filter(
            village_id__in={h.village_id for h in households.values()}, year=2020)}
        ids = sorted(households)
        rng.shuffle(ids)
        no_plan = set(ids[:5])
        no_measures = set(ids[5:8])
        self.gaps["households_without_this_years_plan"] = [households[i].number for i in sorted(no_plan)]
        self.gaps["plans_without_measures"] = [households[i].number for i in sorted(no_measures)]
        plans, measures = [], []
        last = self.year - 1
        for hid in sorted(households):
            h = households[hid]
            types = []
            for cause in h.causes():
                for t in CAUSE_MEASURES.get(cause, []):
                    if t not in types:
                        types.append(t)
            if h.danger_grade in ("C", "D") and "housing" not in types:
                types.append("housing")
            types = types[:4] or ["industry"]
            if "employment" not in types and rng.random() < 0.4:
                types.append("employment")
            industry = rng.choice(industries.get(h.village_id, ["蔬菜"]))
            for year in (last, self.year):
                if year == self.year and hid in no_plan:
                    continue
                expected = Decimal(rng.randint(12, 40) * 1000)
                plans.append(HouseholdPlan(household=h, area_code=h.area_code, year=year, causes=h.causes(),
                                           measure_types=types, expected_income=expected,
                                           goals=f"{year}年家庭纯收入达到{expected:.0f}元以上，两不愁三保障持续巩固。"))
                if year == self.year and hid in no_measures:
                    continue
                end = dt.date(year, 12, 31) if year < self.year else self.today
                for t in types:
                    span = (end - dt.date(year, 1, 1)).days
                    day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, max(span, 0)))
                    m = self._measure(h, t, day, industry)
                    m.helper, m.recorded_by_id = helper_of[hid], None
                    measures.append(m)
        _insert(HouseholdPlan, plans)
        carried_at = clock.now().replace(year=last, month=12, day=31, hour=17, minute=0, second=0, microsecond=0)
        for m in measures:
            if m.year == last and m.income_item and m.amount_to_household > 0:
                m.carried_at = carried_at
        self.ledger(households, [m for m in measures if m.carried_at is not None], last, carried_at)
        _insert(Measure, measures)
        self.summary.update(household_plans=len(plans), measures=len(measures))
        self.village_plans()

    def ledger(self, households: dict, carried: list[Measure], year: int, at: dt.datetime):
        """The last complete year's income ledger of the helped households (经济收入一本账) includes
        the measures carried into it (``carried``, of ``year``), written at the time they were
        carried (``at``) through the registry's ledger import (income_exchange.import_income: the
        amounts read and the per-capita income computed as save_income does, each changed ledger
        audited with its values before and after, one bulk event listing them).

        The registry's demo has every household's ledger of that year: the measures are part of
        the income it holds, not more on top of it (a 低保 measure is the ledger's 低保, a job's
        wages are in its wages). So each item a measure brought money to holds at least that
        money, and the items no measure explains give way (_including) so that the household's
        net income stays where the registry put it — below the line while poor, above it and
        growing once exited. Where the measures bring more than that, an exited household's
        income goes up by the difference; a household still poor stays below the line: a measure
        that would lift it over is not carried (left to the next exit check; counted in
        ``self.not_carried``). A household without a ledger of that year gets one: its latest,
        grown by 5 % a year, with the measures.

        (save_income a household, 7 queries each, took 10 s on SQLite for the ~1,600 ledgers,
        half as long again as the whole demo; the import takes well under a second.)"""
        line = registry_quality.national_lines().get(year)
        poor = set(registry_codes.POOR_STATUSES)
        by_household: dict[int, list[Measure]] = {}
        for m in carried:
            by_household.setdefault(m.household_id, []).append(m)
        fields = ["household_id", "year", *registry_rules.INCOME_ITEMS, "production_costs"]
        ledgers = {row["household_id"]: row for row in Income.objects.filter(
            household_id__in=list(by_household), year=year).values(*fields)}
        missing = [hid for hid in by_household if hid not in ledgers]
        for row in Income.objects.filter(household_id__in=missing, year__lt=year).order_by("year").values(*fields):
            ledgers[row["household_id"]] = row  # the latest one
        sizes = dict(Member.objects.filter(household_id__in=list(by_household), active=True).order_by().values_list(
            "household_id").annotate(n=Count("pk")))
        rows, not_carried = [], 0
        for hid in sorted(by_household):
            h, measures = households[hid], sorted(by_household[hid], key=lambda m: (m.date, m.type))
            base = ledgers.get(hid)
            if base is None or not sizes.get(hid):  # no ledger to carry into
                for m in measures:
                    m.carried_at = None
                not_carried += len(measures)
                continue
            grow = Decimal("1.05") ** (year - base["year"])
            items = {f: (base[f] * grow).quantize(CENT) for f in registry_rules.INCOME_ITEMS}
            costs = (base["production_costs"] * grow).quantize(CENT)
            keep_net = h.status in poor and line is not None
            add: dict[str, Decimal] = {}
            ledger = (items, costs)
            for m in measures:
                tried = {**add, m.income_item: add.get(m.income_item, Decimal(0)) + m.amount_to_household}
                fits = _including(items, costs, tried, keep_net=keep_net)
                if fits is None:  # it would lift a poor household over the line
                    m.carried_at = None
                    not_carried += 1
                    continue
                add, ledger = tried, fits
            if not add:
                continue
            values = {**ledger[0], "production_costs": ledger[1]}
            rows.append([h.number, year, *[values[f] for _header, f in income_exchange.AMOUNTS], "帮扶措施已计入"])
        written = 0
        if rows:
            with tempfile.TemporaryDirectory() as folder, clock.frozen(at):
                path = Path(folder) / "经济收入一本账（帮扶措施计入）.csv"
                with path.open("w", newline="", encoding="utf-8") as f:
                    csv.writer(f).writerows([income_exchange.HEADERS, *rows])
                result = income_exchange.import_income(self.actor, path)
            if not result.ok:
                raise RuntimeError(f"The demo's income ledgers were refused: {result.report.errors[:5]}")
            written = result.created + result.updated
        self.summary["income_ledgers"] = written
        self.not_carried = not_carried

    def village_plans(self):
        rng = self.rng
        rows, measures = [], []
        local = list(VillageChecklist.objects.filter(village__in=self.key, year=2020, met=False).values_list(
            "village_id", "item__code"))
        unmet: dict[int, list[str]] = {}
        for vid, code in local:
            unmet.setdefault(vid, []).append(code)
        profiles = {p.village_id: p for p in VillageProfile.objects.filter(village__in=self.key, year=self.year)}
        for v in self.key:
            p = profiles.get(v.pk)
            for year in (self.year - 1, self.year):
                rows.append(VillagePlan(
                    village=v, area_code=v.code, year=year,
                    industries=(p.main_industries if p else "蔬菜") + "；发展村级光伏和乡村旅游",
                    infrastructure=unmet.get(v.pk, [])[:3],
                    infrastructure_note="完善村组道路亮化和农田水利设施",
                    collective_income_target=Decimal(100000 + 20000 * (year - self.year + 1))))
            day = self.today - dt.timedelta(days=rng.randint(20, 200))
            measures.append(Measure(village=v, area_code=v.code, type="industry", date=day, year=day.year,
                                    amount_spent=Decimal(rng.randint(20, 80) * 10000), fund_source="central",
                                    details=rules.clean_details("industry", {
                                        "project": "村集体蔬菜大棚基地", "branch": "crops", "link": "cooperative",
                                        "partner": ENTERPRISES[2]})))
        VillagePlan.objects.bulk_create(rows)
        Measure.objects.bulk_create(measures)
        self.summary.update(village_plans=len(rows), village_measures=len(measures))

    # --- visits ------------------------------------------------------------------------------------

    def visits(self, by_helper: dict, helpers: list[Helper]):
        rng = self.rng
        poor_statuses = set(registry_codes.POOR_STATUSES)
        months = rules.months_between(dt.date(self.year - 1, 1, 1), self.today)  # last year and this year to date
        candidates = [h for h in helpers if h.user_id is None and len(by_helper.get(h.pk, [])) >= 3]
        lazy = {h.pk for h in rng.sample(candidates, min(2, len(candidates)))}
        self.gaps["helpers_without_recent_visits"] = [h.name for h in helpers if h.pk in lazy]
        quiet_from = self.today - dt.timedelta(days=75)
        rows = []
        for helper in helpers:
            hs = by_helper.get(helper.pk, [])
            for i, month in enumerate(months):
                due = [h for j, h in enumerate(hs) if h.status in poor_statuses or (i + j) % 3 == 0] or hs[:1]
                for h in due:
                    day = _day_in(rng, month, self.today)
                    if helper.pk in lazy and day >= quiet_from:
                        continue
                    rows.append(Visit(helper=helper, household=h, area_code=h.area_code, date=day,
                                      findings=rng.choice(FINDINGS), agreements=rng.choice(AGREEMENTS)))
        _insert(Visit, rows)
        self.summary["visits"] = len(rows)

    # --- ranger posts ------------------------------------------------------------------------------

    def posts(self):
        rng = self.rng
        start, end = dt.date(self.year - 1, 1, 1), dt.date(self.year, 12, 31)
        forest = [v for v in self.key if VillageProfile.objects.filter(village=v, year=2020, forest_mu__gt=0).exists()]
        posts, agreements = [], []
        members = list(Member.objects.filter(household__village__in=forest[:4], active=True, labour__in=["1", "2"],
                                             household__status__in=["registered", "returned", "exited_policy"])
                       .select_related("household").order_by("household__number", "pk"))
        by_village: dict[int, list[Member]] = {}
        for m in members:
            by_village.setdefault(m.household.village_id, []).append(m)
        for v in forest[:4]:
            employer = self.township_units.get(v.code[:9] + "000")
            pool = by_village.get(v.pk, [])
            rng.shuffle(pool)
            used: set[int] = set()
            for n in range(1, 4):
                post = Post(kind="ranger", name=f"{v.name}生态护林员岗{n}", area=v, area_code=v.code, employer=employer,
                            mu=Decimal(rng.randint(800, 3000)), east=f"{v.name}东山脊", south="村道",
                            west=f"{v.name}西坑", north="林场界", start=start, end=end, rule="ranger_agreement",
                            annual_pay=Decimal("10000.00"))
                posts.append(post)
                holder = next((m for m in pool if m.household_id not in used), None)
                if holder is not None:
                    used.add(holder.household_id)
                    agreements.append(Agreement(post=post, member=holder, household=holder.household,
                                                area_code=holder.area_code, start=start, end=end))
        Post.objects.bulk_create(posts)
        for a in agreements:
            a.post_id = a.post.pk
        Agreement.objects.bulk_create(agreements)
        inspections = []
        two_months_ago = rules.month_start(rules.month_start(self.today) - dt.timedelta(days=40))
        last_month = rules.month_start(rules.month_start(self.today) - dt.timedelta(days=1))
        decisions = []
        for k, a in enumerate(agreements):
            for month in rules.months_between(start, self.today):
                forced = 3 if (k == 0 and month == two_months_ago) else 2 if (k == 1 and month == last_month) else 0
                for j in range(max(2, forced)):
                    day = min(month + dt.timedelta(days=5 + 12 * j), self.today)
                    if day < start or day > self.today:
                        continue
                    present = j >= forced and rng.random() > 0.03
                    inspections.append(Inspection(agreement=a, area_code=a.area_code, date=day, present=present,
                                                  note="" if present else "巡查时不在岗"))
            if k == 0:
                decisions.append(AgreementDecision(
                    agreement=a, area_code=a.area_code, month=two_months_ago, absences=3, decision="keep",
                    reason="当月三次巡查不在岗，经乡林业站约谈，本人说明家中老人住院，同意保留协议，下不为例。"))
        _insert(Inspection, inspections)
        AgreementDecision.objects.bulk_create(decisions)
        self.summary.update(posts=len(posts), agreements=len(agreements), inspections=len(inspections))

    def run(self):
        started = time.monotonic()
        self.units()
        self.villages()
        helpers, pairings, by_helper = self.pairings()
        self.links_and_teams()
        self.plans_and_measures(pairings)
        self.visits(by_helper, helpers)
        self.posts()
        event = audit.record(self.actor, "assistance.demo.load", kind="bulk", object_type="registry.household",
                             area_code=COUNTY_CODE, count=self.summary["pairings"],
                             after={**self.summary, "gaps": self.gaps})
        audit.record_items(event, ((p.household_id, "paired") for p in pairings))
        self.summary["seconds"] = round(time.monotonic() - started, 2)
        return self.summary


@transaction.atomic
def build(actor: Actor, seed: int, context: dict) -> dict:
    builder = Builder(actor, seed, context)
    summary = builder.run()
    return {"counts": summary, "gaps": builder.gaps, "not_carried": builder.not_carried}


@step
def assistance_demo(actor, rng, context):
    """The demo step: assistance in the demo county (after the registry's step)."""
    result = build(actor, context["seed"], context)
    context["assistance"] = result
    c, g = result["counts"], result["gaps"]
    context.setdefault("summary", []).append(
        f"Assistance: {c['helpers']} helpers, {c['pairings']} pairings ({c['pairing_changes']} changes of helper), "
        f"{c['teams']} work teams, {c['links']} 挂包帮 links, {c['household_plans']} household plans, "
        f"{c['measures']} measures ({c['income_ledgers']} households' income ledgers of last year include the "
        f"carried ones; {result['not_carried']} left out, as they would lift a poor household above the line), "
        f"{c['visits']} visits, {c['posts']} ranger posts ({c['seconds']:.1f} s). "
        f"Gaps left on purpose: {len(g['households_without_helper'])} poor households without a helper, "
        f"{g['village_without_team_or_unit']} (newly key-assistance) without a work team or unit, "
        f"{len(g['helpers_without_recent_visits'])} helpers with no recent visit, "
        f"{len(g['households_without_this_years_plan'])} households without this year's plan, "
        f"{len(g['plans_without_measures'])} plans without measures.")
