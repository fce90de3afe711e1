"""The demo county's registry (全南县): about 3,000 households with their members,
status histories 2014–2020, an income ledger for every year from a household's
identification year to last year, village profiles 2014–2020 and checklists for every
year from 2014 to this year, the yearly re-check (一年一核: last year's round over the
county, closed; this year's over one township, partly checked), a dozen deliberate
data-quality problems and a few possible duplicates, so every registry page has
something real-looking to show.

Deterministic for a seed (its own random stream, so other demo steps do not shift
it), and fast: everything is generated in Python first, then written with
``bulk_create`` in batches — no query per row. The distributions are approximate
and chosen to look plausible, not to reproduce any real county:

- household size 1–7, most often 3 (mean about 3.2);
- causes of poverty, as the share of households naming each as the main or another
  cause, close to the national figures the poverty office published for the 2014–15
  registry (因病 about 42 %, 缺资金 about 35 %, 缺技术 about 22 %, 缺劳力 about 16 %,
  因残 about 14 %, 因学 about 9 % …) — approximate, for demonstration only;
- category: 一般 about 72 %, 低保 about 23 %, 特困供养 about 5 %;
- identified 2014 (most), 2015 or 2016; exits 2016–2020 with a peak in 2017 (seed
  001: "确保全县剩余贫困人口7918人全面脱贫"); a few return (返贫), a few are removed;
- per-capita net income below the year's national line while poor, above it from the
  exit year on and rising every year after. The lines are the identification standards'
  (the one book of lines, registry.quality.national_lines); a year the shipped standards
  leave out gets an example line first (marked ``is_example``, with its source).

Seed 001 names the six poor villages to exit in 2017 (城厢镇田心村、金龙镇树垇村、
南迳镇古家营村、龙下乡川垇村、金龙镇兆坑村、大吉山镇小溪村). The foundation's
villages are invented, so one village in each of those townships is renamed to the
real name (through areas.import_areas, audited); two invented villages are the other
poor villages ("以8个贫困村为重点"), exiting in 2018.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import connection, models, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from fupin.areas import actions as area_actions
from fupin.areas.models import Area, Unit
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.demo import COUNTY_CODE, DEMO_COUNTY, step

from . import actions, quality, rules
from .actions import pinyin
from .models import (
    ChecklistItem,
    DuplicateCandidate,
    Household,
    Income,
    Member,
    RecheckRound,
    StatusChange,
    VillageChecklist,
    VillageProfile,
)

COUNTY6 = COUNTY_CODE[:6]
FIRST_YEAR, LAST_YEAR = 2014, 2020  # the status histories; the ledgers run to last year

# The incomes are measured against the identification standards' national lines (read, never
# copied: registry.quality.national_lines). The shipped standards stop where their source does;
# for a later year of the demo's ledgers the demo enters an EXAMPLE line first (is_example):
# the current-price figures of the 2010 line (2300 yuan) to 2020, then, as there is no national
# line after 2020, the last one plus LINE_STEP a year (as the exits demo's example lines).
DEMO_LINES = {2017: 3335, 2018: 3535, 2019: 3747, 2020: 4000}
LINE_STEP = 100
LINE_NAME = "国家农村扶贫标准（示例）"
LINE_SOURCE = ("示例数据（演示用，非正式标准）：现行农村贫困标准（2010年价格2300元）按当年价格计算的数值，"
               "见国家统计局《中国农村贫困监测报告》")
LINE_SOURCE_LATER = f"示例数据（演示用，非正式标准）：2020年后国家未公布新的扶贫标准线，按上年标准加{LINE_STEP}元示意"

# Seed 001 (全南县2017年脱贫攻坚工作要点): the six poor villages to exit in 2017.
SEED_POOR_VILLAGES = [("城厢镇", "田心村"), ("金龙镇", "树垇村"), ("南迳镇", "古家营村"), ("龙下乡", "川垇村"),
                      ("金龙镇", "兆坑村"), ("大吉山镇", "小溪村")]
OTHER_POOR_TOWNSHIPS = ["陂头镇", "社迳乡"]  # two more (invented) poor villages, exiting in 2018
# The document the demo cites on its pages, by its name (as the shipped data cite it).
QUANNAN_2017 = "《全南县2017年精准脱贫攻坚工作要点》"

SURNAMES = {"黄": 8, "陈": 8, "刘": 7, "钟": 6, "李": 6, "曾": 5, "张": 5, "王": 4, "廖": 4, "谢": 4, "赖": 4,
            "罗": 4, "何": 3, "朱": 3, "邱": 3, "叶": 3, "林": 3, "温": 3, "吴": 3, "杨": 3, "郭": 2, "肖": 2,
            "彭": 2, "邓": 2, "胡": 2, "徐": 2, "蔡": 2, "卢": 2, "江": 2, "袁": 2, "潘": 1, "严": 1, "凌": 1,
            "魏": 1, "宋": 1, "赵": 1, "孙": 1, "周": 1}
MALE_CHARS = "国建华明军伟志强文平东海林金龙福贵生财德荣光辉新春永发祥胜忠勇成松青山清宝俊斌鹏杰浩宇晨涛睿"
FEMALE_CHARS = "秀英兰芳华玉珍凤桂梅丽娟红霞燕萍莲春花美琴云琳婷雪敏静慧娜欣怡佳颖"
# Characters with the same pinyin (for the "same name in pinyin, one character different" pair).
HOMOPHONES = {"华": "桦", "明": "铭", "英": "瑛", "军": "君", "伟": "玮", "林": "琳", "红": "宏", "玉": "钰",
              "兰": "岚", "文": "雯", "东": "冬", "平": "萍", "春": "椿", "芳": "方", "强": "墙", "梅": "玫"}

# Share of households naming each cause (main or other), in percent: approximate national
# figures of the 2014–15 registry; used as targets for the demo only.
CAUSE_SHARES = {"01": 42, "02": 14, "03": 9, "04": 6, "05": 5, "06": 2, "07": 22, "08": 16, "09": 35, "10": 6,
                "11": 8, "12": 2}
# Sampling several causes without replacement flattens the shares, and 因学 / 缺劳力 are
# only drawn where they fit; these factors bring the shares back near CAUSE_SHARES.
CAUSE_CALIBRATION = {"01": 1.15, "03": 1.5, "07": 0.88, "08": 1.35}
SIZE_WEIGHTS = {1: 12, 2: 22, 3: 28, 4: 19, 5: 11, 6: 6, 7: 2}

RELOCATION_SITES = ["梦想家园员山小区", "南迳镇圩镇安置点", "大吉山镇圩镇安置点", "中寨乡圩镇安置点",
                    "龙源坝镇圩镇安置点", "陂头镇圩镇安置点", "社迳乡圩镇安置点", "龙下乡圩镇安置点",
                    "黄龙大桥安置点", "五岗场安置点"]  # seed 001's "7+2" resettlement sites
BANKS = [("全南县农村信用合作联社", 70), ("中国农业银行全南县支行", 20), ("中国邮政储蓄银行全南县支行", 10)]
MAIN_INDUSTRIES = ["蔬菜", "油茶", "脐橙", "芳香花木", "生猪养殖", "水稻", "毛竹"]
SPECIAL_INDUSTRIES = ["高山蔬菜", "葡萄", "白莲", "灵芝", "光伏发电", "乡村旅游", "兰花", "稻田养鱼"]
RETURN_REASONS = ["家庭成员患大病，医疗支出大", "遭受洪灾，房屋和农作物受损", "主要劳动力因意外致残",
                  "子女上学支出增加，收入下降"]

NATIONAL_SOURCE = ("《关于建立贫困退出机制的意见》（厅字〔2016〕16号）贫困村退出须统筹考虑基础设施、基本公共服务等；"
                   "细项为各地通行口径（示例）")
NATIONAL_ITEMS = [("road", "通村硬化路"), ("tap_water", "安全饮水（自来水）"), ("power", "通生活用电"),
                  ("broadband", "通宽带/4G网络"), ("clinic", "标准化村卫生室"), ("culture_room", "综合文化活动室"),
                  ("bus", "通客车"), ("garbage", "生活垃圾集中处理")]
# 全南's 七改三网 and 8+4 (seed 001), less what the national list has already. Its 电力网 is the
# national 通生活用电: not listed again. Its 卫生室 and 文体活动场所 are the national 标准化村卫生室 and
# 综合文化活动室: the county's exit criteria (delisting data, village_criteria.json) name them, so
# they stay, mapped (SAME_AS): ticked as their national item in every year, their source saying so.
LOCAL_ITEMS = [
    ("7g_road", "改路"), ("7g_water", "改水"), ("7g_toilet", "改厕"), ("7g_house", "改房"), ("7g_ditch", "改沟"),
    ("7g_pond", "改塘"), ("7g_environment", "改环境"), ("3w_broadcast", "广电网"), ("3w_telecom", "通信网络"),
    ("84_platform", "公共服务平台"), ("84_clinic", "卫生室"), ("84_shop", "便民超市"), ("84_library", "农家书屋"),
    ("84_sports", "文体活动场所"), ("84_garbage", "垃圾处理设施"), ("84_sewage", "污水处理设施"),
    ("84_toilet", "公厕"), ("84_school", "小学"), ("84_kindergarten", "幼儿园"), ("84_finance", "金融服务网点"),
    ("84_bus_stop", "公交站"),
]
SAME_AS = {"84_clinic": "clinic", "84_sports": "culture_room"}
# Items a village may never have (schools are consolidated at the township): the others are all
# met by a poor village's exit year (整村推进), and by most villages sooner or later.
MAY_LACK = {"84_school", "84_kindergarten"}

# DuplicateCandidate.reason codes, as duplicates.py writes them.
NAME_BIRTH_VILLAGE, PINYIN_ONE_CHAR = "name_birth_village", "pinyin_one_char"

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_check_digit(first17: str) -> str:
    """GB 11643-1999 check digit (ISO 7064 MOD 11-2)."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def _luhn(digits: str) -> str:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return str((10 - total % 10) % 10)


def _present(plan: Plan, year: int) -> list[Person]:
    """The members a household had in a year (born by then, not left before it)."""
    return [p for p in plan.people
            if p.birth.year <= year and (p.active or (p.left_date is not None and p.left_date.year > year))]


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _age(birth: dt.date, on: dt.date) -> int:
    return rules.age_on(birth, on)


# --- the plan (plain Python objects, written in bulk afterwards) ----------------------------

@dataclass
class Person:
    relation: str
    sex: str
    birth: dt.date
    name: str = ""
    id_number: str | None = None
    no_id_reason: str = ""
    ethnicity: str = "01"
    education: str = ""
    school_status: str = "00"
    health: str = "1"
    disability_grade: str = ""
    labour: str = ""
    work_status: str = ""
    work_place: str = ""
    work_months: int | None = None
    phone: str = ""
    medical_insurance: bool = True
    serious_illness_insurance: bool = True
    pension_insurance: bool = False
    dibao: bool = False
    tekun: bool = False
    active: bool = True
    left_reason: str = ""
    left_date: dt.date | None = None


@dataclass
class Plan:
    number: str
    village: Area
    group: Area | None
    poor_village_exit: int | None
    values: dict = field(default_factory=dict)
    people: list[Person] = field(default_factory=list)
    changes: list[tuple] = field(default_factory=list)  # (status, date, reason)
    incomes: dict[int, dict] = field(default_factory=dict)
    causes: list[str] = field(default_factory=list)
    problem: str = ""

    @property
    def active(self) -> list[Person]:
        return [p for p in self.people if p.active]


class Generator:
    def __init__(self, seed: int, today: dt.date, lines: dict[int, Decimal] | None = None):
        self.rng = random.Random(f"fupin-registry-demo-{seed}")  # noqa: S311 — demo data, not secrets
        # The ledgers draw from their own stream: their years do not shift the households' other facts.
        self.income_rng = random.Random(f"fupin-registry-incomes-{seed}")  # noqa: S311 — demo data
        self.today = today
        self.last_year = today.year - 1  # the ledgers' last year: the last complete one
        self.lines = lines or {}  # year -> national line (no line, no income that year)
        self.used_ids: set[str] = set()
        self.surnames = list(SURNAMES)
        self.surname_weights = list(SURNAMES.values())
        self.problems: list[tuple[str, str]] = []
        self.pairs: list[tuple] = []

    # -- people ------------------------------------------------------------------

    def birth(self, year: int) -> dt.date:
        year = max(1925, min(year, LAST_YEAR))
        day = self.rng.randint(0, 364)
        d = dt.date(year, 1, 1) + dt.timedelta(days=day)
        return d if d.year == year else dt.date(year, 12, 31)

    def id_number(self, birth: dt.date, sex: str) -> str:
        male = sex == "1"
        while True:
            seq = self.rng.randrange(0, 1000)
            if (seq % 2 == 1) != male:
                seq ^= 1
            first = f"{COUNTY6}{birth:%Y%m%d}{seq:03d}"
            number = first + id_check_digit(first)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def surname(self) -> str:
        return self.rng.choices(self.surnames, weights=self.surname_weights)[0]

    def given(self, sex: str) -> str:
        chars = MALE_CHARS if sex == "1" else FEMALE_CHARS
        n = 1 if self.rng.random() < 0.15 else 2
        return "".join(self.rng.choice(chars) for _ in range(n))

    def compose(self, size: int) -> list[Person]:
        """The active members of a household: head, spouse, children, then parents
        (young head) or a daughter-in-law and grandchildren (older head)."""
        rng = self.rng
        head_age_2016 = max(24, min(88, int(rng.triangular(24, 88, 56))))
        head_year = 2016 - head_age_2016
        head_sex = "1" if rng.random() < 0.85 else "2"
        people = [Person("01", head_sex, self.birth(head_year))]
        left = size - 1
        if left and rng.random() < (0.85 if head_age_2016 < 72 else 0.6):
            offset = rng.randint(-3, 6) if head_sex == "1" else rng.randint(-6, 3)
            people.append(Person("02", "2" if head_sex == "1" else "1", self.birth(head_year + offset)))
            left -= 1
        kids: list[Person] = []
        n_kids = min(left, rng.choice([1, 2, 2, 3, 3, 4]))
        for _ in range(n_kids):
            sex = rng.choice("12")
            year = min(head_year + rng.randint(20, 36), LAST_YEAR)
            kids.append(Person("03" if sex == "1" else "04", sex, self.birth(year)))
        people += kids
        left -= n_kids
        if head_year >= 1968:
            for rel, sex in (("11", "1"), ("12", "2")):
                if left > 0:
                    people.append(Person(rel, sex, self.birth(head_year - rng.randint(22, 34))))
                    left -= 1
        else:
            sons = [k for k in kids if k.relation == "03" and k.birth.year <= 1998]
            daughters = [k for k in kids if k.relation == "04" and k.birth.year <= 1998]
            parent = sons[0] if sons else (daughters[0] if daughters else None)
            if sons and left > 0:
                people.append(Person("05", "2", self.birth(sons[0].birth.year + rng.randint(-3, 4))))
                left -= 1
            while parent is not None and left > 0:
                sex = rng.choice("12")
                rel = ("07" if sex == "1" else "08") if sons else ("09" if sex == "1" else "10")
                year = min(parent.birth.year + rng.randint(21, 34), LAST_YEAR)
                people.append(Person(rel, sex, self.birth(year)))
                left -= 1
        while left > 0:
            sex = rng.choice("12")
            people.append(Person("19", sex, self.birth(head_year + rng.randint(-8, 8))))
            left -= 1
        return people

    def name_people(self, people: list[Person]) -> None:
        head = people[0]
        family = self.surname()
        spouse = next((p for p in people if p.relation == "02"), None)
        father_line = family if head.sex == "1" or spouse is None else self.surname()
        for p in people:
            if p.relation in ("01", "11", "12", "19"):
                surname = family if p.relation in ("01", "11", "19") else self.surname()
            elif p.relation in ("03", "04", "07", "08"):
                surname = father_line
            else:
                surname = self.surname()
            p.name = surname + self.given(p.sex)
        if head.sex == "2" and spouse is not None:
            spouse.name = father_line + self.given("1")

    def describe(self, p: Person) -> None:
        """Education, school, health, labour and work of a person, by age today."""
        rng = self.rng
        age = _age(p.birth, self.today)
        p.id_number = self.id_number(p.birth, p.sex)
        p.ethnicity = "22" if rng.random() < 0.004 else "01"
        if age < 3:
            p.education, p.school_status = "7", "00"
        elif age < 6:
            p.education, p.school_status = "7", "01"
        elif age < 12:
            p.education, p.school_status = "2", f"{age - 4:02d}"  # 6 → 02 小学一年级
        elif age < 15:
            p.education, p.school_status = "3", f"{age - 4:02d}"  # 12 → 08 七年级
        elif age == 15:
            p.education, p.school_status = "3", "10"
        elif age < 19 and rng.random() < 0.92:
            if rng.random() < 0.7:
                p.education, p.school_status = "4", f"{age - 5:02d}"  # 16 → 11 高中一年级
            else:
                p.education, p.school_status = "5", f"{age - 2:02d}"  # 16 → 14 中职一年级
        elif 19 <= age <= 22 and rng.random() < 0.25:
            p.education, p.school_status = "6", rng.choice(["17", "18", "19", "20", "21"])
        else:
            y = p.birth.year
            if y < 1950:
                weights = {"1": 50, "2": 45, "3": 5}
            elif y < 1970:
                weights = {"1": 15, "2": 50, "3": 30, "4": 5}
            elif y < 1990:
                weights = {"2": 20, "3": 60, "4": 12, "5": 5, "6": 3}
            else:
                weights = {"3": 45, "4": 25, "5": 15, "6": 15}
            p.education, p.school_status = _weighted(rng, weights), "00"
        if age < 16:
            health = {"1": 95, "2": 2, "3": 1, "4": 2}
        elif age < 60:
            health = {"1": 82, "2": 9, "3": 3, "4": 6}
        else:
            health = {"1": 55, "2": 30, "3": 5, "4": 10}
        p.health = _weighted(rng, health)
        if p.health == "4":
            p.disability_grade = _weighted(rng, {"1": 10, "2": 25, "3": 30, "4": 35})
        self.labour_and_work(p, age)
        if 18 <= age <= 70 and rng.random() < 0.6:
            p.phone = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
        p.serious_illness_insurance = rng.random() < 0.98
        p.pension_insurance = age >= 16 and p.school_status == "00" and rng.random() < 0.92

    def labour_and_work(self, p: Person, age: int) -> None:
        rng = self.rng
        p.work_status, p.work_place, p.work_months = "", "", None
        if age < 16 or p.school_status != "00":
            p.labour = "5"
            if p.school_status not in ("00", "01"):
                p.work_status = "6"
            return
        if age < 60:
            if p.health == "1":
                p.labour = _weighted(rng, {"1": 80, "2": 12, "3": 8})
            elif p.health == "2":
                p.labour = _weighted(rng, {"1": 40, "3": 60})
            elif p.health == "3":
                p.labour = _weighted(rng, {"3": 40, "4": 60})
            else:
                p.labour = "4" if p.disability_grade in ("1", "2") else "3"
        elif age < 75:
            p.labour = _weighted(rng, {"1": 20, "3": 60, "4": 20}) if p.health == "1" else _weighted(
                rng, {"3": 50, "4": 50})
        else:
            p.labour = _weighted(rng, {"4": 60, "5": 40})
        if p.labour in ("1", "2"):
            p.work_status = _weighted(rng, {"2": 55, "1": 30, "3": 4, "4": 4, "5": 7})
        elif p.labour == "3":
            p.work_status = _weighted(rng, {"1": 50, "4": 15, "5": 35})
        else:
            p.work_status = "5"
        if p.work_status == "2":
            p.work_place = _weighted(rng, {"1": 10, "2": 25, "3": 25, "4": 40})
            p.work_months = rng.randint(6, 12)
        elif p.work_status == "4":
            p.work_place, p.work_months = "1", 12
        elif p.work_status in ("1", "3"):
            p.work_months = rng.randint(8, 12)

    def leaver(self, people: list[Person]) -> Person | None:
        """Sometimes a member who left the household during 2015–2020 (kept, inactive)."""
        rng = self.rng
        if rng.random() > 0.12:
            return None
        head = people[0]
        if head.birth.year >= 1960:  # a parent of the head who died
            rel, sex = rng.choice([("11", "1"), ("12", "2")])
            p = Person(rel, sex, self.birth(head.birth.year - rng.randint(24, 34)))
            p.left_reason = "1"
        else:  # a daughter who married out
            p = Person("04", "2", self.birth(head.birth.year + rng.randint(22, 34)))
            if p.birth.year > 1998:
                return None
            p.left_reason = "2"
        p.active = False
        year = rng.randint(2015, LAST_YEAR)
        p.left_date = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
        return p

    # -- households ----------------------------------------------------------------

    def household(self, number: str, village: Area, group: Area | None, poor_village_exit: int | None,
                  township_name: str, house_no: int) -> Plan:
        rng = self.rng
        size = _weighted(rng, SIZE_WEIGHTS)
        plan = Plan(number=number, village=village, group=group, poor_village_exit=poor_village_exit)
        people = self.compose(size)
        self.name_people(people)
        gone = self.leaver(people)
        if gone is not None:
            gone.name = (people[0].name[0] if gone.relation in ("11", "04") else self.surname()) + self.given(gone.sex)
            people.append(gone)
        for p in people:
            self.describe(p)
            if not p.active:
                p.labour, p.work_status, p.work_place, p.work_months, p.phone = "", "", "", None, ""
        # A baby not yet registered now and then (no ID number, with the reason).
        for p in people:
            if p.active and p.birth.year == LAST_YEAR and rng.random() < 0.3:
                self.used_ids.discard(p.id_number)
                p.id_number, p.no_id_reason = None, "2"
        plan.people = people
        plan.values = {"address": f"全南县{township_name}{village.name}{group.name if group else ''}{house_no}号"}
        return plan

    def causes(self, plan: Plan, weights: dict[str, float]) -> list[str]:
        rng = self.rng
        n = _weighted(rng, {1: 45, 2: 43, 3: 12})
        w = dict(weights)
        active = plan.active
        if not any(p.active and p.school_status not in ("00", "01") for p in active):
            w["03"] = 0
        if self.has_worker(plan):
            w["08"] = 0
        chosen: list[str] = []
        for _ in range(n):
            pool = {k: v for k, v in w.items() if v > 0 and k not in chosen}
            if not pool:
                break
            chosen.append(_weighted(rng, pool))
        return chosen

    def has_worker(self, plan: Plan) -> bool:
        return any(p.labour in ("1", "2") and 16 <= _age(p.birth, self.today) <= 59 for p in plan.active)

    def fit_causes(self, plan: Plan, causes: list[str]) -> None:
        """Make the members agree with the causes (an ill member for 因病, a disabled one for 因残)."""
        rng = self.rng
        adults = sorted((p for p in plan.active if _age(p.birth, self.today) >= 16),
                        key=lambda p: p.birth) or plan.active
        if "01" in causes and not any(p.health in ("2", "3") for p in plan.active):
            p = rng.choice(adults)
            p.health, p.disability_grade = rng.choice("223"), ""
            self.labour_and_work(p, _age(p.birth, self.today))
        if "02" in causes and not any(p.health == "4" for p in plan.active):
            ill = sum(1 for p in plan.active if p.health in ("2", "3"))
            candidates = [p for p in adults if p.health == "1"] or [
                p for p in plan.active if p.health == "1" or (p.health in ("2", "3") and ill > 1)]
            if candidates:
                p = rng.choice(candidates)
                p.health, p.disability_grade = "4", _weighted(rng, {"1": 10, "2": 25, "3": 30, "4": 35})
                self.labour_and_work(p, _age(p.birth, self.today))
            else:  # one ill person cannot also be the disabled one: the cause goes
                causes.remove("02")
                if not causes:
                    causes.append("09")
        if "08" in causes:
            for p in plan.active:
                if p.labour in ("1", "2") and 16 <= _age(p.birth, self.today) <= 59:
                    p.labour = "3"
                    if p.work_status not in ("1", "4", "5"):
                        p.work_status, p.work_place, p.work_months = "1", "", rng.randint(8, 12)

    def history(self, plan: Plan, late: str = "") -> None:
        """Status changes 2014–2020 and the household's years."""
        rng = self.rng
        v = plan.values
        if late == "identified":
            year = LAST_YEAR
            d = dt.date(year, rng.randint(10, 12), rng.randint(1, 28))
            plan.changes = [("identified", d, "2020年动态调整新识别，公示中")]
            v.update(identified_year=year, planned_exit_year=year + 1)
            return
        if late == "new":
            year = rng.choice([2018, 2019, 2020])
        else:
            year = _weighted(rng, {2014: 70, 2015: 18, 2016: 12})
        identified = dt.date(year, rng.randint(4, 8), rng.randint(1, 28))
        registered = identified + dt.timedelta(days=rng.randint(30, 75))
        changes = [("identified", identified, "精准识别，村民代表大会民主评议"),
                   ("registered", registered, "公示无异议，建档立卡")]
        v["identified_year"] = year
        exit_year = None
        if late == "removed":
            d = dt.date(rng.choice([2015, 2016]), rng.randint(3, 11), rng.randint(1, 28))
            d = max(d, registered + dt.timedelta(days=60))
            changes.append(("removed", d, rng.choice(["精准识别“回头看”，识别不精准，予以清退",
                                                      "家庭收入明显高于标准，予以清退"])))
        else:
            if late == "new":
                weights = {None: 70, LAST_YEAR: 30} if year < LAST_YEAR else {None: 100}
            elif plan.poor_village_exit:
                weights = {2016: 12, 2017: 50, 2018: 16, 2019: 9, 2020: 4, None: 9}
                if plan.poor_village_exit == 2018:
                    weights = {2016: 8, 2017: 20, 2018: 45, 2019: 12, 2020: 5, None: 10}
            else:
                weights = {2016: 15, 2017: 35, 2018: 20, 2019: 13, 2020: 5, None: 12}
            exit_year = _weighted(rng, {k: w for k, w in weights.items() if k is None or k > year})
            if exit_year:
                d = dt.date(exit_year, rng.choice([11, 12]), rng.randint(1, 28))
                changes.append(("exited_policy", d, "达到脱贫标准，经民主评议、公示公告退出"))
                if rng.random() < 0.06 and 2017 <= exit_year < LAST_YEAR:
                    ry = rng.randint(exit_year + 1, min(exit_year + 2, LAST_YEAR))
                    reason = rng.choice(RETURN_REASONS)
                    changes.append(("returned", dt.date(ry, rng.randint(3, 9), rng.randint(1, 28)), reason))
                    v.update(return_year=ry, return_reason=reason)
                    if ry < LAST_YEAR and rng.random() < 0.5:  # exit_year stays the first exit
                        again = rng.randint(ry + 1, LAST_YEAR)
                        changes.append(("exited_policy", dt.date(again, 12, rng.randint(1, 28)),
                                        "再次达到脱贫标准，退出"))
                elif exit_year <= 2017 and rng.random() < 0.4:
                    changes.append(("exited", dt.date(exit_year + 3, 12, 31), "脱贫满三年，不再享受扶贫政策"))
        plan.changes = changes
        v["exit_year"] = exit_year
        if exit_year:
            v["planned_exit_year"] = max(year + 1, exit_year - (1 if rng.random() < 0.2 else 0))
        else:
            v["planned_exit_year"] = max(year + 1, rng.choice([2019, 2020]))

    def status_on(self, plan: Plan, day: dt.date) -> str | None:
        status = None
        for s, d, _r in plan.changes:
            if d <= day:
                status = s
        return status

    def details(self, plan: Plan) -> None:
        """Category, standard, housing, water, relocation, land, contacts, bank."""
        rng = self.rng
        v = plan.values
        active = plan.active
        head = active[0]
        ill = any(p.health in ("3", "4") for p in active)
        alone = len(active) == 1
        if alone and rng.random() < (0.55 if ill or _age(head.birth, dt.date(2016, 12, 31)) >= 60 else 0.15):
            category = "3"
        elif rng.random() < (0.34 if ill else 0.15):
            category = "2"
        else:
            category = "1"
        v["category"] = category
        for p in active:
            p.dibao = category == "2"
            p.tekun = category == "3"
        v["standard"] = "1" if rng.random() < 0.88 else "2"
        status = plan.changes[-1][0]
        exited = status in ("exited_policy", "exited")
        v["housing_structure"] = _weighted(rng, {"1": 8, "2": 50, "3": 25, "4": 15, "5": 2})
        v["housing_area"] = Decimal(max(30, min(220, len(active) * rng.randint(22, 38) + rng.randint(0, 30))))
        v["danger_grade"] = _weighted(rng, {"": 62, "A": 6, "B": 8, "C": 14, "D": 10})
        v["relocated"] = rng.random() < 0.12
        first = v["identified_year"]
        last = v.get("exit_year") or LAST_YEAR
        if v["relocated"]:
            v["relocation_mode"] = "1" if rng.random() < 0.7 else "2"
            v["relocation_place"] = rng.choice(RELOCATION_SITES) if v["relocation_mode"] == "1" else rng.choice(
                ["县城购房", "圩镇自建", "本村集中安置点"])
            v["road_distance_km"] = Decimal(rng.randint(1, 5)) / 10
        else:
            v["relocation_mode"], v["relocation_place"] = "", ""
            v["road_distance_km"] = Decimal(rng.randint(1, 60)) / 10
        v["renovated_year"] = rng.randint(min(first + 1, last), last) if v["danger_grade"] in ("C", "D") else None
        if v["danger_grade"] in ("C", "D") and status == "identified":
            v["renovated_year"] = None
        difficult = (not exited) and rng.random() < 0.08
        v["water_difficult"], v["water_safe"] = difficult, not difficult
        v["power"] = True
        v["sanitary_toilet"] = rng.random() < (0.85 if exited else 0.55)
        arable = Decimal(rng.randint(0, 60)) / 10
        v["arable_mu"] = arable
        v["irrigated_mu"] = (arable * Decimal(rng.randint(60, 100)) / 100).quantize(Decimal("0.1"))
        v["forest_mu"] = Decimal(rng.randint(0, 400)) / 10
        v["returned_forest_mu"] = Decimal(rng.randint(0, 30)) / 10 if rng.random() < 0.3 else Decimal(0)
        v["cooperative"] = rng.random() < 0.45
        phones = [p.phone for p in active if p.phone]
        v["phone"] = phones[0] if phones else (f"0797-26{rng.randint(0, 99999):05d}" if rng.random() < 0.5 else "")
        bank = _weighted(rng, dict(BANKS))
        digits = "62" + "".join(str(rng.randint(0, 9)) for _ in range(16))
        v["bank_name"], v["bank_account"] = bank, digits + _luhn(digits)

    def income(self, plan: Plan) -> None:
        """The income ledger from the identification year to last year: per-capita net income
        below the year's line while poor (a share of it that drifts a little from year to
        year), above it from the exit year on and growing every year after; none while
        removed, nor for a year without a line."""
        rng = self.income_rng
        previous = share = None
        for year in range(plan.values["identified_year"], self.last_year + 1):
            line = self.lines.get(year)
            if line is None:
                continue
            status = self.status_on(plan, dt.date(year, 12, 31))
            if status in (None, "removed"):
                continue
            present = _present(plan, year)
            if not present:
                continue
            if status in ("identified", "registered", "returned"):
                share = rng.uniform(0.55, 0.9) if share is None else min(0.93, max(0.5, share * rng.uniform(0.96,
                                                                                                             1.06)))
                target = line * Decimal(share)
            elif previous is not None and previous > line:
                share = None
                target = max(previous * Decimal(rng.uniform(1.05, 1.13)), line * Decimal("1.08"))
            else:  # the exit year
                share = None
                target = line * Decimal(rng.uniform(1.1, 1.6))
            plan.incomes[year] = self.split_income(plan, year, len(present), target, present)
            previous = plan.incomes[year]["per_capita"]

    def split_income(self, plan: Plan, year: int, size: int, target: Decimal, present: list[Person]) -> dict:
        """A year's ledger whose per-capita net income lands on ``target``: transfers from the
        household's facts (pensions, 低保 or 特困, forest and farmland), wages where someone works
        away, the rest farming and its costs. Whole yuan, worked out in integers and floats (some
        34,000 ledgers for the demo county), then given to the rule as Decimals."""
        rng = self.income_rng
        v = plan.values
        net_target = float(target) * size
        items = dict.fromkeys(rules.INCOME_ITEMS, 0)
        old = sum(1 for p in present if year - p.birth.year >= 60)
        items["pensions"] = old * rng.randint(1000, 1500)
        if v["category"] == "2":
            items["dibao"] = size * rng.randint(600, 1100)
        if v["category"] == "3":
            items["tekun"] = size * rng.randint(900, 1400)
        items["eco_compensation"] = int(float(v["forest_mu"]) * rng.randint(15, 25))
        items["subsidies"] = int(float(v["arable_mu"]) * rng.randint(80, 120) + rng.randint(0, 300))
        if v["cooperative"] and year >= 2017:
            items["dividends"] = rng.randint(300, 1500)
        if rng.random() < 0.15:
            items["land_rent"] = rng.randint(200, 1200)
        fixed = sum(items.values())
        if fixed > net_target * 0.8:  # keep the transfers inside the target
            scale = net_target * 0.8 / fixed
            for k in items:
                items[k] = int(items[k] * scale)
            fixed = sum(items.values())
        rest = net_target - fixed
        workers = any(p.work_status == "2" for p in present)
        wage_share = rng.uniform(0.45, 0.8) if workers else rng.uniform(0, 0.1)
        items["wages"] = int(rest * wage_share)
        production_net = rest - items["wages"]
        gross = production_net / (1 - rng.uniform(0.2, 0.4))
        for k, s in INCOME_PRODUCTION_SHARES.items():
            items[k] = int(gross * s / INCOME_PRODUCTION_TOTAL * rng.uniform(0.8, 1.2))
        production = sum(items[k] for k in INCOME_PRODUCTION_SHARES)
        costs = Decimal(max(0, production - int(production_net)))  # net income lands on the target
        amounts = {k: Decimal(x) if x else ZERO for k, x in items.items()}
        result = rules.per_capita_net_income(amounts, costs, size)
        return {**amounts, "production_costs": costs, "household_size": size, "total_income": result["total"],
                "net_income": result["net"], "per_capita": result["per_capita"]}


ZERO = Decimal(0)
INCOME_PRODUCTION_SHARES = {"crops": 50, "livestock": 18, "poultry": 10, "forestry": 12, "fisheries": 3,
                            "other_production": 7}
INCOME_PRODUCTION_TOTAL = sum(INCOME_PRODUCTION_SHARES.values())


# --- villages -------------------------------------------------------------------------------

def _rename_villages(actor: Actor, villages: list[Area], townships: dict[str, str]) -> dict[str, int]:
    """Give one village in each township of seed 001's list its real name; returns
    {village code: exit year} of the poor villages."""
    by_township: dict[str, list[Area]] = {}
    for v in villages:
        by_township.setdefault(v.code[:9], []).append(v)
    poor: dict[str, int] = {}
    renames = []
    for township_name, name in SEED_POOR_VILLAGES:
        t = townships[township_name][:9]
        existing = next((v for v in by_township[t] if v.name == name), None)
        if existing is None:
            existing = next(v for v in by_township[t] if v.code not in poor)
            renames.append((existing, name))
        poor[existing.code] = 2017
    for township_name in OTHER_POOR_TOWNSHIPS:
        t = townships[township_name][:9]
        candidates = [v for v in by_township[t] if v.code not in poor]
        poor[candidates[len(candidates) // 2].code] = 2018
    if renames:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "贫困村名称.csv"  # the audit log shows the file name
            with path.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(["统计用区划代码", "名称"])
                for v, name in renames:
                    writer.writerow([v.code, name])
            area_actions.import_areas(actor, path)
        for v, name in renames:
            old = v.name
            v.name = name
            for unit in Unit.objects.filter(area=v, name=f"{old}村民委员会"):
                area_actions.save_unit(actor, unit, name=f"{name}村民委员会")
    return poor


def _profiles(rng: random.Random, villages: list[Area], plans_by_village: dict[str, list[Plan]],
              poor: dict[str, int]) -> tuple[list[VillageProfile], dict]:
    profiles = []
    shape = {}
    for v in villages:
        registered = len(plans_by_village.get(v.code, []))
        exit_year = poor.get(v.code)
        share = rng.uniform(0.2, 0.28) if exit_year else rng.uniform(0.08, 0.12)
        base = max(120, int(registered / share))
        avg = rng.uniform(3.5, 3.9)
        rural_share = rng.uniform(0.93, 0.98)
        collective = rng.randint(5000, 30000) if exit_year else rng.randint(30000, 200000)
        arable = Decimal(rng.randint(600, 3000))
        forest = Decimal(rng.randint(8000, 60000))
        main = "、".join(rng.sample(MAIN_INDUSTRIES, 2))
        special = rng.choice(SPECIAL_INDUSTRIES)
        shape[v.code] = {"exit_year": exit_year}
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            households = int(base * (1 + 0.004 * (year - FIRST_YEAR)))
            population = int(households * avg)
            if exit_year and year >= exit_year - 1:
                collective = max(collective, 50000 + rng.randint(0, 30000))
            collective = int(collective * rng.uniform(1.03, 1.15))
            if exit_year and year >= exit_year:
                status, status_year = "delisted", exit_year
                note = f"{exit_year}年贫困村退出" + (f"（{QUANNAN_2017}）" if exit_year == 2017 else "")
            elif exit_year:
                status, status_year, note = "poor", FIRST_YEAR, "贫困村"
            else:
                status, status_year, note = "none", None, ""
            profiles.append(VillageProfile(
                village=v, area_code=v.code, year=year, households=households, population=population,
                rural_population=int(population * rural_share), collective_income=Decimal(collective),
                arable_mu=arable, forest_mu=forest, main_industries=main, special_industries=special,
                status=status, status_year=status_year, note=note))
    return profiles, shape


def _local_source(code: str) -> str:
    """The source of one of 全南's items, as the village page shows it next to the item."""
    if code in SAME_AS:
        national = dict(NATIONAL_ITEMS)[SAME_AS[code]]
        return f"{QUANNAN_2017}：8+4 基本公共服务项目；即全国项“{national}”（同一设施，两项勾选一致）"
    if code.startswith("3w_"):
        power = dict(NATIONAL_ITEMS)["power"]
        return f"{QUANNAN_2017}：七改三网（三网中的电力网即全国项“{power}”，不重复列出）"
    if code.startswith("7g_"):
        return f"{QUANNAN_2017}：七改三网"
    return f"{QUANNAN_2017}：8+4 基本公共服务项目"


# The year a village (not a poor one) first meets an item; None: not yet.
NATIONAL_START = {2014: 30, 2015: 8, 2016: 8, 2017: 10, 2018: 10, 2019: 9, 2020: 8, 2021: 5, 2022: 4, 2023: 3,
                  2024: 2, 2025: 1, None: 2}
LOCAL_START = {2017: 22, 2018: 15, 2019: 14, 2020: 12, 2021: 9, 2022: 7, 2023: 5, 2024: 4, 2025: 3, 2026: 2,
               None: 7}


def _checklist(rng: random.Random, villages: list[Area], poor: dict[str, int],
               last_year: int | None = None) -> tuple[int, list]:
    """The national checklist items and 全南's local list, and each village's state in every
    year from the first profile year to ``last_year`` (default: this year), every item of
    both lists: an item met stays met; a poor village meets every item (bar one it may never
    have, MAY_LACK) by its exit year; a county item that is a national one (SAME_AS) is met
    when that one is."""
    last_year = last_year or clock.today().year
    items = [ChecklistItem(code=code, name=name, area_prefix="", from_year=FIRST_YEAR, source=NATIONAL_SOURCE,
                           order=i) for i, (code, name) in enumerate(NATIONAL_ITEMS, start=1)]
    items += [ChecklistItem(code=code, name=name, area_prefix=COUNTY6, from_year=2017, source=_local_source(code),
                            order=i) for i, (code, name) in enumerate(LOCAL_ITEMS, start=1)]
    ChecklistItem.objects.bulk_create(items, ignore_conflicts=True)
    found = {(i.code, i.area_prefix): i for i in ChecklistItem.objects.filter(
        area_prefix__in=["", COUNTY6], code__in=[c for c, _n in NATIONAL_ITEMS + LOCAL_ITEMS])}
    ordered = [found[(c, "")] for c, _n in NATIONAL_ITEMS if (c, "") in found]  # the national ones first
    ordered += [found[(c, COUNTY6)] for c, _n in LOCAL_ITEMS if (c, COUNTY6) in found]
    rows = []
    for v in villages:
        exit_year = poor.get(v.code)
        start: dict[str, int | None] = {}
        for item in ordered:
            first = max(FIRST_YEAR, item.from_year)
            if item.code in SAME_AS:
                twin = start.get(SAME_AS[item.code])
                met_from = None if twin is None else max(twin, first)
            elif exit_year:
                may_lack = item.code in MAY_LACK and rng.random() < 0.6
                met_from = None if may_lack else rng.randint(first, max(first, exit_year))
            else:
                met_from = _weighted(rng, NATIONAL_START if item.area_prefix == "" else LOCAL_START)
                if item.code in MAY_LACK and rng.random() < 0.6:
                    met_from = None
                if met_from is not None:
                    met_from = max(met_from, first)
            start[item.code] = met_from
            for year in range(first, last_year + 1):
                rows.append((v.pk, v.code, year, item.pk, met_from is not None and year >= met_from, ""))
    return len(found), rows


# --- the lines the ledgers are measured against ---------------------------------------------

def ledger_lines(actor: Actor, last_year: int) -> dict[int, Decimal]:
    """The national line of every year from FIRST_YEAR to ``last_year``, from the identification
    standards. A year they have no line for gets an EXAMPLE line first (through identification's
    action, audited; marked is_example, its source saying so): DEMO_LINES, or the year before's
    plus LINE_STEP."""
    from fupin.identification import actions as identification

    lines = quality.national_lines()
    for year in range(FIRST_YEAR, last_year + 1):
        if year in lines:
            continue
        later = year not in DEMO_LINES
        value = Decimal(DEMO_LINES[year]) if not later else lines[year - 1] + LINE_STEP
        identification.save_line(actor, None, kind="national", area_prefix="", year=year, method="fixed",
                                 value=value, per="year", name=LINE_NAME,
                                 source=LINE_SOURCE_LATER if later else LINE_SOURCE, is_example=True)
        lines[year] = value
    return quality.national_lines()


# --- 一年一核 ---------------------------------------------------------------------------------

# What a check finds changed, as the re-check form writes it (views_recheck.RecordForm: its boxes'
# labels, views_recheck.CHANGE_ITEMS, then ": " and the details; or "Nothing changed", most of the
# time), in the language of the demo's data. The labels are the form's own, translated as the form
# translates them: they cannot drift from what a person's check writes.
LANGUAGE = "zh-hans"
NOTHING = gettext_lazy("Nothing changed")  # the form's msgid (RecordForm.changes_text)
CHANGE_SHARE = 0.11


def _labels() -> dict[str, str]:
    """The re-check form's labels in LANGUAGE: its change items by code, and NOTHING as "nothing"."""
    from .views_recheck import CHANGE_ITEMS

    with translation.override(LANGUAGE):
        return {"nothing": str(NOTHING), **{code: str(label) for code, label in CHANGE_ITEMS}}


def _checkers() -> list[tuple[str, object]]:
    """(area prefix, user) of the users who record checks where they work (a village cadre or
    work team in their village, a township officer in their township), most specific first."""
    from fupin.accounts.models import RoleAssignment

    found = RoleAssignment.objects.filter(role__in=["village_cadre", "work_team", "township_officer"]).select_related(
        "user").order_by("-prefix", "user_id")
    return [(r.prefix, r.user) for r in found if r.prefix]


def _checker(checkers, code: str):
    from fupin.accounts.scoping import can

    return next((u for prefix, u in checkers if code.startswith(prefix) and can(u, "registry.edit", code)), None)


def _change(rng: random.Random, plan: Plan | None, year: int, labels: dict[str, str]) -> str:
    """What one check found (``labels``: _labels()): nothing, or one change that fits the household."""
    if plan is None or rng.random() >= CHANGE_SHARE:
        return labels["nothing"]
    options = [(1, "contact", "联系电话变更，已更新")]
    before, now = plan.incomes.get(year - 1), plan.incomes.get(year)
    if before and now and now["per_capita"] > before["per_capita"]:
        options.append((4, "income", f"人均纯收入由{before['per_capita']:.0f}元增至{now['per_capita']:.0f}元"))
    elif not now:
        options.append((2, "income", "务工收入增加，待年底核算"))
    if any(p.work_status == "2" for p in plan.active):
        options.append((2, "work", "新增外出务工1人，已登记务工地点"))
    if any(p.school_status not in ("00", "01") for p in plan.active):
        options.append((2, "school_health", "子女升学，教育资助已落实"))
    if any(p.health in ("2", "3") for p in plan.active):
        options.append((1, "school_health", "家庭成员慢性病复查，已办理慢性病卡"))
    if plan.values.get("sanitary_toilet"):
        options.append((1, "housing", "完成卫生厕所改造"))
    _w, item, details = rng.choices(options, weights=[w for w, _i, _d in options])[0]
    return f"{labels[item]}: {details}"


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59)),
                               tzinfo=timezone.get_current_timezone())


def _rechecks(actor: Actor, plans: list[Plan], villages: list[Area], today: dt.date, seed: int) -> dict:
    """Last year's round over the county, every household checked, closed in December; this
    year's over one township (the demo users' own), opened three weeks ago, partly checked.

    Everything goes through the actions. The rounds are opened and closed with open_recheck and
    close_recheck (set-based). Last year's ~3,000 checks are recorded with record_rechecks, once a
    checker (set-based: a few statements and one bulk audit event with the households as its
    items): recording them one by one through record_recheck (a save and an audit event each)
    took 2.6 s on SQLite and 5.5 s on PostgreSQL for the 2,991 households, about as long as the
    rest of the registry demo. This year's ~150 checks go through record_recheck, one by one."""
    rng = random.Random(f"fupin-registry-recheck-{seed}")  # noqa: S311 — demo data, not secrets
    labels = _labels()
    county = Area.objects.get(code=COUNTY_CODE, valid_to__isnull=True)
    by_pk = dict(Household.objects.filter(county_code=COUNTY6).values_list("pk", "number"))
    plan_of = {p.number: p for p in plans}
    checkers = _checkers()
    last = today.year - 1
    opened, closing = dt.date(last, 10, 15), dt.date(last, 12, 20)
    with clock.frozen(opened):
        closed = actions.open_recheck(actor, county, last)
        RecheckRound.objects.filter(pk=closed.pk).update(started_at=clock.now())
    # A village is checked within a week or so, the villages one after another to early December.
    records = list(closed.records.order_by("area_code", "household_id").values_list("pk", "household_id",
                                                                                    "area_code"))
    days = (dt.date(last, 12, 5) - opened).days
    village_day = {v.code: opened + dt.timedelta(days=rng.randint(1, days)) for v in villages}
    users = {v.code: _checker(checkers, v.code) for v in villages}
    actors = {None: actor} | {u: Actor(user=u, channel="system") for u in users.values() if u is not None}
    by_user: dict = {}
    for pk, household, area_code in records:
        village = area_code[:12]
        at = _at(village_day.get(village, opened) + dt.timedelta(days=rng.randint(0, 8)), rng)
        by_user.setdefault(users.get(village), []).append(
            (pk, at, _change(rng, plan_of.get(by_pk.get(household)), last, labels)))
    for user, checks in by_user.items():  # once a checker, recorded when their last check is done
        recorded = max(_at(dt.date(last, 12, 10), rng), max(at for _pk, at, _changes in checks))
        with clock.frozen(recorded):
            actions.record_rechecks(actors[user], closed, checks)
    with clock.frozen(closing):
        actions.close_recheck(actor, closed)
    # This year's: the township of the demo users' village, from three weeks ago, partly checked.
    township = Area.objects.get(code=villages[0].code[:9] + "000", valid_to__isnull=True)
    start = max(dt.date(today.year, 1, 2), today - dt.timedelta(days=21))
    with clock.frozen(start):
        current = actions.open_recheck(actor, township, today.year)
        RecheckRound.objects.filter(pk=current.pk).update(started_at=clock.now())
    records = list(current.records.select_related("round").order_by("area_code", "household_id"))
    rng.shuffle(records)
    todo = sorted(records[: int(len(records) * rng.uniform(0.4, 0.55))], key=lambda r: r.area_code)
    span = max((today - start).days, 1)
    plan_days = sorted(start + dt.timedelta(days=rng.randint(1, span)) for _r in todo)
    now = clock.now()
    for r, day in zip(todo, plan_days, strict=True):
        with clock.frozen(min(_at(day, rng), now)):  # (today's checks: not later than now)
            actions.record_recheck(actors[users.get(r.area_code[:12])], r,
                                   _change(rng, plan_of.get(by_pk.get(r.household_id)), today.year, labels))
    return {"closed": closed.pk, "closed_households": closed.household_count, "open": current.pk,
            "open_households": current.household_count, "open_checked": len(todo)}


# --- deliberate problems and possible duplicates ---------------------------------------------

def _problems(gen: Generator, plans: list[Plan]) -> list[tuple[str, str]]:
    """A dozen households with one data-quality problem each (the quality page's examples)."""
    rng = gen.rng
    today = gen.today
    pool = [p for p in plans if p.changes[-1][0] != "removed" and not p.problem]
    rng.shuffle(pool)
    done: list[tuple[str, str]] = []

    def pick(test):
        for plan in pool:
            if not plan.problem and test(plan):
                return plan
        return None

    def mark(plan, code):
        plan.problem = code
        done.append((plan.number, code))

    def age(p):
        return _age(p.birth, today)

    # 1 no head: the head is recorded as a sibling
    if plan := pick(lambda p: len(p.active) >= 2):
        plan.active[0].relation = "19"
        mark(plan, "no_head")
    # 2 two heads: the spouse is recorded as a head too
    if plan := pick(lambda p: any(m.relation == "02" for m in p.active)):
        next(m for m in plan.active if m.relation == "02").relation = "01"
        mark(plan, "two_heads")
    # 3 a head under 16: a single parent's eldest child, aged 10–15, recorded as head
    def young_head(p):
        kids = [m for m in p.active if m.relation in ("03", "04")]
        return (not any(m.relation == "02" for m in p.active) and kids
                and 10 <= age(min(kids, key=lambda m: m.birth)) <= 15)
    if plan := pick(young_head):
        kids = sorted((m for m in plan.active if m.relation in ("03", "04")), key=lambda m: m.birth)
        old_head = plan.active[0]
        old_head.relation = "11" if old_head.sex == "1" else "12"
        kids[0].relation = "01"
        for k in kids[1:]:
            k.relation = "19"
        plan.people.remove(kids[0])
        plan.people.insert(0, kids[0])
        mark(plan, "head_under_age")
    # 4 birth date differs from the ID number
    if plan := pick(lambda p: any(age(m) >= 20 and m.id_number for m in p.active)):
        m = next(m for m in plan.active if age(m) >= 20 and m.id_number)
        m.birth = m.birth.replace(year=m.birth.year - 1) if m.birth.month != 2 or m.birth.day != 29 else m.birth
        mark(plan, "birth_mismatch_id")
    # 5 sex differs from the ID number
    if plan := pick(lambda p: any(m.relation in ("03", "04") and age(m) >= 16 for m in p.active)):
        m = next(m for m in plan.active if m.relation in ("03", "04") and age(m) >= 16)
        m.sex = "2" if m.sex == "1" else "1"
        mark(plan, "sex_mismatch_id")
    # 6 a child of school age out of school, no reason given
    if plan := pick(lambda p: any(8 <= age(m) <= 14 and m.health == "1" for m in p.active) and "03" not in p.causes):
        m = next(m for m in plan.active if 8 <= age(m) <= 14 and m.health == "1")
        m.school_status, m.work_status = "00", ""
        mark(plan, "school_age_out_of_school")
    # 7 因学 with no student
    if plan := pick(lambda p: not any(m.school_status != "00" for m in p.active) and "03" not in p.causes):
        plan.causes = [*plan.causes[:2], "03"]
        mark(plan, "cause_school_no_student")
    # 8 缺劳力 while an able-bodied member of working age is there
    if plan := pick(lambda p: gen.has_worker(p) and "08" not in p.causes):
        plan.causes = [*plan.causes[:2], "08"]
        mark(plan, "cause_labour_has_workers")
    # 9 per-capita income above the line while poor (2016, 2020 and last year, the year the
    # quality check reads by default)
    years = {2016, 2020, gen.last_year}
    if plan := pick(lambda p: p.changes[-1][0] == "registered" and p.values["standard"] == "1"
                    and years <= set(p.incomes)):
        for year in sorted(years):
            present = _present(plan, year)
            plan.incomes[year] = gen.split_income(plan, year, len(present), gen.lines[year] * Decimal("1.6"),
                                                  present)
        mark(plan, "per_capita_above_line")
    # 10 a disabled member without a disability grade
    if plan := pick(lambda p: any(m.health == "4" for m in p.active)):
        next(m for m in plan.active if m.health == "4").disability_grade = ""
        mark(plan, "disabled_no_grade")
    # 11 exited, with a dangerous house (grade D) never renovated
    if plan := pick(lambda p: p.changes[-1][0] in ("exited_policy", "exited")):
        plan.values["danger_grade"], plan.values["renovated_year"] = "D", None
        mark(plan, "danger_exited_no_renovation")
    # 12 a malformed phone number
    if plan := pick(lambda p: bool(p.values.get("phone"))):
        plan.values["phone"] = "13970O12345"  # a letter O among the digits
        mark(plan, "household_phone_malformed")
    return done


def _duplicates(gen: Generator, plans: list[Plan]) -> list[tuple[Plan, Person, Plan, Person, str]]:
    """Two pairs of possible duplicates in one village without an ID match: same name and
    birth date; same pinyin with one character different (and the same birth date)."""
    rng = gen.rng
    by_village: dict[str, list[Plan]] = {}
    for p in plans:
        if not p.problem and p.changes[-1][0] != "removed":
            by_village.setdefault(p.village.code, []).append(p)
    pairs = []
    villages = sorted(by_village)
    rng.shuffle(villages)
    for reason in (NAME_BIRTH_VILLAGE, PINYIN_ONE_CHAR):
        for code in villages:
            hs = by_village[code]
            found = None
            for a in hs:
                for pa in a.active:
                    if pa.relation not in ("03", "04") or _age(pa.birth, gen.today) < 20 or not pa.id_number:
                        continue
                    if reason == PINYIN_ONE_CHAR and pa.name[-1] not in HOMOPHONES:
                        continue
                    for b in hs:
                        if b is a or b.problem:
                            continue
                        pb = next((m for m in b.active if m.relation == pa.relation and m.id_number
                                   and abs(m.birth.year - pa.birth.year) <= 3), None)
                        if pb is not None:
                            found = (a, pa, b, pb)
                            break
                    if found:
                        break
                if found:
                    break
            if found:
                a, pa, b, pb = found
                gen.used_ids.discard(pb.id_number)
                pb.birth = pa.birth
                pb.name = pa.name if reason == NAME_BIRTH_VILLAGE else pa.name[:-1] + HOMOPHONES[pa.name[-1]]
                pb.id_number = gen.id_number(pb.birth, pb.sex)
                a.problem = b.problem = "possible_duplicate"
                pairs.append((a, pa, b, pb, reason))
                villages.remove(code)
                break
    return pairs


# --- the step ----------------------------------------------------------------------------------

def generate(seed: int, villages: list[Area], groups: dict[str, list[Area]], townships: dict[str, str],
             poor: dict[str, int], today: dt.date, lines: dict[int, Decimal] | None = None
             ) -> tuple[Generator, list[Plan]]:
    """Every household of the demo county, in Python (no database access). ``lines``: the
    national line of each year (ledger_lines); the ledgers have the years that have one."""
    gen = Generator(seed, today, lines)
    rng = gen.rng
    township_names = {code[:9]: name for name, code in townships.items()}
    plans: list[Plan] = []
    for v in villages:
        exit_year = poor.get(v.code)
        n = rng.randint(68, 92) if exit_year else rng.randint(20, 38)
        for i in range(1, n + 1):
            group = rng.choice(groups[v.code]) if groups.get(v.code) else None
            plan = gen.household(f"{v.code}{i:04d}", v, group, exit_year, township_names[v.code[:9]],
                                 rng.randint(1, 120))
            roll = rng.random()
            late = "removed" if roll < 0.02 else "new" if roll < 0.04 else "identified" if roll < 0.0433 else ""
            gen.history(plan, late)
            plans.append(plan)
    # Causes: the share of eligible households decides each cause's weight, so that the
    # shares of all households come close to CAUSE_SHARES.
    eligible_school = sum(1 for p in plans if any(m.school_status not in ("00", "01") for m in p.active))
    eligible_labour = sum(1 for p in plans if not gen.has_worker(p))
    weights = {k: float(v) * CAUSE_CALIBRATION.get(k, 1.0) for k, v in CAUSE_SHARES.items()}
    weights["03"] *= len(plans) / max(eligible_school, 1)
    weights["08"] *= len(plans) / max(eligible_labour, 1)
    for plan in plans:
        plan.causes = gen.causes(plan, weights)
        gen.fit_causes(plan, plan.causes)
        gen.details(plan)
        gen.income(plan)
    problems = _problems(gen, plans)
    pairs = _duplicates(gen, plans)
    gen.problems, gen.pairs = problems, pairs
    return gen, plans


def _converter(f):
    """The backend's preparation of a column's values, or None where it leaves them as they are
    (Decimals, on the backends Django ships). A date or time repeated row after row (``now``) is
    prepared once."""
    ops = connection.ops
    if isinstance(f, models.DateTimeField):
        return _last_one(ops.adapt_datetimefield_value)
    if isinstance(f, models.DateField):
        return _last_one(ops.adapt_datefield_value)
    if isinstance(f, models.DecimalField):
        if type(ops).adapt_decimalfield_value is BaseDatabaseOperations.adapt_decimalfield_value:
            return None  # the value itself
        return lambda v: ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places)
    return None


def _last_one(adapt):
    last: list = [None, None]

    def prepare(value):
        if value is not last[0]:
            last[:] = [value, adapt(value)]
        return last[1]

    return prepare


ROWS_PER_STATEMENT = 500


def insert_rows(model, fields: list[str], rows, batch_size: int = 5000) -> int:
    """INSERT many rows given as tuples in the order of ``fields``: a prepared statement of
    several rows (up to ROWS_PER_STATEMENT, within the backend's limit of parameters), run
    for all of them at once (executemany), then one for the rest. The model instances and
    per-value preparation of bulk_create cost more than the insert itself at this size, and
    a statement a row costs a round trip a row on PostgreSQL."""
    opts = model._meta
    cols = [opts.get_field(f) for f in fields]
    qn = connection.ops.quote_name
    head = f"INSERT INTO {qn(opts.db_table)} ({', '.join(qn(c.column) for c in cols)}) VALUES "  # noqa: S608
    one = f"({', '.join(['%s'] * len(cols))})"
    per = max(1, min(ROWS_PER_STATEMENT, (connection.features.max_query_params or 2**16 - 1) // len(cols)))
    many = head + ", ".join([one] * per)
    convert = [(i, c) for i, f in enumerate(cols) if (c := _converter(f)) is not None]
    n = 0
    batch: list = []

    def flush(cursor, batch) -> None:
        full = len(batch) - len(batch) % per
        if full:
            cursor.executemany(many, [[v for row in batch[i:i + per] for v in row] for i in range(0, full, per)])
        if full < len(batch):
            cursor.execute(head + ", ".join([one] * (len(batch) - full)), [v for row in batch[full:] for v in row])

    with connection.cursor() as cursor:
        for row in rows:
            if convert:
                row = list(row)
                for i, c in convert:
                    if row[i] is not None:
                        row[i] = c(row[i])
            batch.append(row)
            if len(batch) >= batch_size:
                flush(cursor, batch)
                n += len(batch)
                batch = []
        if batch:
            flush(cursor, batch)
            n += len(batch)
    return n


HOUSEHOLD_COLUMNS = [
    "number", "area_code", "county_code", "village", "group", "address", "phone", "bank_name", "bank_account",
    "head_name", "category", "standard", "main_cause", "cause2", "cause3", "housing_area", "housing_structure",
    "danger_grade", "renovated_year", "water_difficult", "water_safe", "power", "relocated", "relocation_mode",
    "relocation_place", "sanitary_toilet", "road_distance_km", "arable_mu", "irrigated_mu", "forest_mu",
    "returned_forest_mu", "cooperative", "identified_year", "planned_exit_year", "exit_year", "return_year",
    "return_reason", "status", "status_date", "size", "version", "created_at", "updated_at"]
MEMBER_COLUMNS = [
    "household", "area_code", "name", "name_pinyin", "id_number", "id_rev", "no_id_reason", "sex", "birth_date",
    "relation", "ethnicity", "education", "school_status", "health", "disability_grade", "labour", "work_status",
    "work_place", "work_months", "phone", "medical_insurance", "serious_illness_insurance", "pension_insurance",
    "dibao", "tekun", "active", "left_reason", "left_date", "created_at", "updated_at"]
PERSON_FIELDS = ["name", "id_number", "no_id_reason", "sex", "birth", "relation", "ethnicity", "education",
                 "school_status", "health", "disability_grade", "labour", "work_status", "work_place", "work_months",
                 "phone", "medical_insurance", "serious_illness_insurance", "pension_insurance", "dibao", "tekun",
                 "active", "left_reason", "left_date"]
INCOME_COLUMNS = [*rules.INCOME_ITEMS, "production_costs", "household_size", "total_income", "net_income",
                  "per_capita"]


def _household_row(plan: Plan, now) -> tuple:
    v = plan.values
    causes = [*plan.causes, "", "", ""]
    active = plan.active
    head = next((p for p in active if p.relation == "01"), None)
    status, date, _reason = plan.changes[-1]
    return (plan.number, (plan.group or plan.village).code, COUNTY6, plan.village.pk,
            plan.group.pk if plan.group else None, v["address"], v["phone"], v["bank_name"], v["bank_account"],
            head.name if head else active[0].name, v["category"], v["standard"], causes[0], causes[1], causes[2],
            v["housing_area"], v["housing_structure"], v["danger_grade"], v["renovated_year"], v["water_difficult"],
            v["water_safe"], v["power"], v["relocated"], v["relocation_mode"], v["relocation_place"],
            v["sanitary_toilet"], v["road_distance_km"], v["arable_mu"], v["irrigated_mu"], v["forest_mu"],
            v["returned_forest_mu"], v["cooperative"], v["identified_year"], v.get("planned_exit_year"),
            v.get("exit_year"), v.get("return_year"), v.get("return_reason", ""), status, date, len(active), 1,
            now, now)


def _write(actor: Actor, gen: Generator, plans: list[Plan]) -> dict:
    now = clock.now()
    insert_rows(Household, HOUSEHOLD_COLUMNS, (_household_row(p, now) for p in plans))
    pks = dict(Household.objects.filter(county_code=COUNTY6, number__in=[p.number for p in plans])
               .values_list("number", "pk"))
    area = {p.number: (p.group or p.village).code for p in plans}

    def member_rows():
        for plan in plans:
            h, code = pks[plan.number], area[plan.number]
            for p in plan.people:
                yield (h, code, p.name, pinyin(p.name), p.id_number, (p.id_number or "")[::-1], p.no_id_reason,
                       p.sex, p.birth, p.relation, p.ethnicity, p.education, p.school_status, p.health,
                       p.disability_grade, p.labour, p.work_status, p.work_place, p.work_months, p.phone,
                       p.medical_insurance, p.serious_illness_insurance, p.pension_insurance, p.dibao, p.tekun,
                       p.active, p.left_reason, p.left_date, now, now)

    def change_rows():
        for plan in plans:
            for status, date, reason in plan.changes:
                yield pks[plan.number], area[plan.number], status, date, reason, "demo", now

    def income_rows():
        for plan in plans:
            for year, values in plan.incomes.items():
                yield (pks[plan.number], area[plan.number], year, *(values[c] for c in INCOME_COLUMNS), "", now)

    n_members = insert_rows(Member, MEMBER_COLUMNS, member_rows())
    n_changes = insert_rows(StatusChange, ["household", "area_code", "status", "date", "reason", "source",
                                           "recorded_at"], change_rows())
    n_incomes = insert_rows(Income, ["household", "area_code", "year", *INCOME_COLUMNS, "note", "updated_at"],
                            income_rows())
    ids = [p.id_number for _a, pa, _b, pb, _r in gen.pairs for p in (pa, pb)]
    member_pk = dict(Member.objects.filter(id_number__in=ids, active=True).values_list("id_number", "pk"))
    candidates = [DuplicateCandidate(a_id=min(member_pk[pa.id_number], member_pk[pb.id_number]),
                                     b_id=max(member_pk[pa.id_number], member_pk[pb.id_number]),
                                     area_code=a.village.code, reason=reason) for a, pa, _b, pb, reason in gen.pairs]
    DuplicateCandidate.objects.bulk_create(candidates)
    counts = {"households": len(plans), "members": n_members, "status_changes": n_changes, "incomes": n_incomes,
              "duplicate_candidates": len(candidates)}
    event = audit.record(actor, "registry.demo.load", kind="bulk", object_type="registry.household",
                         area_code=COUNTY_CODE, count=len(plans), after=counts)
    audit.record_items(event, ((pks[p.number], "created") for p in plans))
    return counts


@transaction.atomic
def build(actor: Actor, seed: int) -> dict:
    """Add the registry of the demo county. Returns a summary (counts, problems, timings)."""
    started = time.monotonic()
    villages = list(Area.objects.filter(code__startswith=COUNTY6, level="village", valid_to__isnull=True)
                    .order_by("code"))
    groups: dict[str, list[Area]] = {}
    for g in Area.objects.filter(code__startswith=COUNTY6, level="group", valid_to__isnull=True).order_by("code"):
        groups.setdefault(g.code[:12], []).append(g)
    townships = {t["name"]: t["code"] for t in DEMO_COUNTY["townships"]}
    poor = _rename_villages(actor, villages, townships)
    today = clock.today()
    lines = ledger_lines(actor, today.year - 1)
    gen, plans = generate(seed, villages, groups, townships, poor, today, lines)
    generated = time.monotonic()
    counts = _write(actor, gen, plans)
    rng = random.Random(f"fupin-registry-villages-{seed}")  # noqa: S311 — demo data, not secrets
    plans_by_village: dict[str, list[Plan]] = {}
    for p in plans:
        plans_by_village.setdefault(p.village.code, []).append(p)
    profiles, _shape = _profiles(rng, villages, plans_by_village, poor)
    VillageProfile.objects.bulk_create(profiles, batch_size=1000)
    n_items, checklist = _checklist(rng, villages, poor)
    insert_rows(VillageChecklist, ["village", "area_code", "year", "item", "met", "note"], checklist)
    audit.record(actor, "registry.demo.villages", kind="bulk", object_type="registry.villageprofile",
                 area_code=COUNTY_CODE, count=len(profiles),
                 after={"profiles": len(profiles), "checklist_items": n_items, "checklist_rows": len(checklist)})
    rechecks = _rechecks(actor, plans, villages, today, seed)
    written = time.monotonic()
    from . import stats

    rollup = stats.refresh(actor, COUNTY_CODE)
    counts.update(village_profiles=len(profiles), checklist_items=n_items, checklist_rows=len(checklist),
                  rollup_rows=rollup["rows"])
    return {"counts": counts, "problems": gen.problems, "rechecks": rechecks,
            "duplicates": [(a.number, pa.name, b.number, pb.name, reason) for a, pa, b, pb, reason in gen.pairs],
            "poor_villages": {code: year for code, year in sorted(poor.items())},
            "seconds": {"generate": round(generated - started, 2), "write": round(written - generated, 2),
                        "rollup": round(time.monotonic() - written, 2)}}


@step(last=True)
def refresh_rollup(actor, rng, context):
    """The last demo step: the statistics rollup again, once every other app's demo has changed
    statuses (exits, monitoring, delisting), so the statistics pages of a fresh demo read a
    current rollup instead of counting live."""
    from . import stats

    result = stats.refresh(actor, COUNTY_CODE)
    context.setdefault("summary", []).append(f"Statistics: {stats.refreshed_message(result)}")


@step
def registry_demo(actor, rng, context):
    """The demo step: the registry of the demo county."""
    summary = build(actor, context["seed"])
    context["registry"] = summary
    c = summary["counts"]
    context.setdefault("summary", []).append(
        f"Registry: {c['households']} households, {c['members']} members, {c['incomes']} income ledgers, "
        f"{len(summary['poor_villages'])} poor villages, {len(summary['problems'])} deliberate data problems, "
        f"{c['duplicate_candidates']} possible duplicate pairs, re-check rounds: last year's closed "
        f"({summary['rechecks']['closed_households']} households), this year's open "
        f"({summary['rechecks']['open_checked']} of {summary['rechecks']['open_households']} checked) "
        f"({sum(summary['seconds'].values()):.1f} s).")
