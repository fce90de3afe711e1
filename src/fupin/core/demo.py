"""The demo county: 江西省赣州市全南县 (seed document 001 is from 全南), its real
townships, invented villages and groups, units, and a user for every role.
Deterministic for a given seed. Later apps add their demo data with ``step``."""

from __future__ import annotations

import json
import random
from pathlib import Path

from django.db import transaction

from fupin.accounts import actions as accounts
from fupin.accounts.models import User
from fupin.areas import actions as areas
from fupin.areas.models import Area, Unit
from fupin.core.actor import Actor

DEMO_COUNTY = json.loads((Path(__file__).resolve().parents[1] / "areas" / "data" / "demo_county.json").read_text())
COUNTY_CODE = DEMO_COUNTY["county_code"]
DEMO_PASSWORD = "Fupin-demo-2026"  # noqa: S105 — printed by `fupin demo`; demo data only

STEPS = []
LAST_STEPS = []  # run after every other step (e.g. the statistics rollup, once all data is in)


def step(fn=None, *, last: bool = False):
    """Register a function (actor, rng, context) that adds demo data after the foundation;
    ``@step(last=True)`` runs it after all the others."""
    def register(f):
        (LAST_STEPS if last else STEPS).append(f)
        return f
    return register(fn) if fn is not None else register


_FIRST = "黄龙石桥新大小上下东西南北中高竹梅枫松柏杨罗陈曾刘钟何社坪岗塘坑田湖溪"
_SECOND = "坑塘坪岗田湖溪口背岭山垅水圳头下洞源丰安和富兴隆"


def _village_names(rng: random.Random, n: int) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        names.add(rng.choice(_FIRST) + rng.choice(_SECOND) + "村")
    return sorted(names)


def _build_areas(rng: random.Random) -> list[Area]:
    actor = Actor.system()
    areas.load_divisions(actor)  # the whole country, so leaders and admins see real names
    villages = []
    rows = []
    for t in DEMO_COUNTY["townships"]:
        n = rng.randint(7, 12)
        for i, name in enumerate(_village_names(rng, n), start=1):
            code = t["code"][:9] + f"{200 + i:03d}"
            rows.append({"code": code, "name": name})
            for g in range(1, rng.randint(5, 10) + 1):
                rows.append({"code": code + f"{g:03d}", "name": f"第{g}村民小组"})
    areas._insert_levels(rows, source="demo", valid_from=None)
    villages = list(Area.objects.filter(code__startswith=COUNTY_CODE[:6], level="village"))
    return villages


UNITS = [
    # (name, kind, area code, level)
    ("中共全南县委", "party", COUNTY_CODE, "county"),
    ("全南县人民政府", "government", COUNTY_CODE, "county"),
    ("全南县乡村振兴局（扶贫办）", "government", COUNTY_CODE, "county"),
    ("全南县民政局", "government", COUNTY_CODE, "county"),
    ("全南县教育局", "government", COUNTY_CODE, "county"),
    ("全南县卫生健康委员会", "government", COUNTY_CODE, "county"),
    ("全南县住房和城乡建设局", "government", COUNTY_CODE, "county"),
    ("全南县人力资源和社会保障局", "government", COUNTY_CODE, "county"),
    ("全南县农业农村局", "government", COUNTY_CODE, "county"),
    ("全南县林业局", "government", COUNTY_CODE, "county"),
    ("全南县公安局", "government", COUNTY_CODE, "county"),
    ("全南县自然资源局", "government", COUNTY_CODE, "county"),
    ("全南县市场监督管理局", "government", COUNTY_CODE, "county"),
    ("全南县财政局", "government", COUNTY_CODE, "county"),
    ("全南县审计局", "government", COUNTY_CODE, "county"),
    ("全南县农村信用合作联社", "bank", COUNTY_CODE, "county"),
    ("中国农业银行全南县支行", "bank", COUNTY_CODE, "county"),
    ("国网全南县供电公司", "state_enterprise", COUNTY_CODE, "county"),
    ("全南县扶贫开发协会", "social_org", COUNTY_CODE, "county"),
    ("赣州市乡村振兴局", "government", "360700000000", "city"),
    ("江西省扶贫和移民办公室", "government", "360000000000", "province"),
    ("云南省扶贫开发领导小组办公室（省扶贫办）", "government", "530000000000", "province"),
    ("中国人民银行昆明中心支行", "bank", "530100000000", "city"),
]


def _build_units(villages) -> dict[str, Unit]:
    actor = Actor.system()
    result = {}
    for name, kind, code, level in UNITS:
        area = Area.objects.get(code=code, valid_to__isnull=True)
        result[name] = areas.save_unit(actor, None, name=name, kind=kind, level=level, area=area)
    for t in DEMO_COUNTY["townships"]:
        area = Area.objects.get(code=t["code"], valid_to__isnull=True)
        result[t["name"]] = areas.save_unit(actor, None, name=f"{t['name']}人民政府", kind="government",
                                            level="township", area=area)
    for v in villages:
        areas.save_unit(actor, None, name=f"{v.name}村民委员会", kind="village_org", level="village", area=v)
    return result


def _build_users(villages, units) -> list[tuple[str, str, str]]:
    actor = Actor.system()
    village = villages[0]
    township = village.parent
    township_unit = Unit.objects.get(area=township, kind="government")
    office = units["全南县乡村振兴局（扶贫办）"]
    people = [
        ("demo_village", "钟秀英", "village_cadre", village.code, Unit.objects.get(area=village)),
        ("demo_team", "刘建华", "work_team", village.code, units["全南县农业农村局"]),
        ("demo_helper", "陈志强", "helper", village.code, units["全南县教育局"]),
        ("demo_township", "曾小燕", "township_officer", township.code, township_unit),
        ("demo_county", "黄国平", "county_office", COUNTY_CODE, office),
        ("demo_department", "李梅", "department_officer", COUNTY_CODE, units["全南县民政局"]),
        ("demo_inspector", "何文", "inspector", COUNTY_CODE, units["全南县审计局"]),
        ("demo_leader", "罗明", "leader", "360700000000", units["赣州市乡村振兴局"]),
        ("demo_admin", "系统管理员", "admin", None, office),
    ]
    created = []
    for i, (username, name, role, code, unit) in enumerate(people):
        accounts.create_user(actor, username=username, role=role, area_code=code, unit=unit,
                             password=DEMO_PASSWORD, full_name=name, phone=f"139{70010000 + i * 731:08d}")
        created.append((username, role, code or ""))
    return created


def is_empty() -> bool:
    return not User.objects.exists()


@transaction.atomic
def build(seed: int = 2017) -> dict:
    rng = random.Random(seed)  # noqa: S311 — deterministic demo data, not secrets
    villages = _build_areas(rng)
    units = _build_units(villages)
    users = _build_users(villages, units)
    context = {"villages": villages, "units": units, "users": users, "seed": seed}
    run_steps(Actor.system("system"), rng, context)
    return context


def run_steps(actor: Actor, rng: random.Random, context: dict) -> None:
    """Every app's demo step in registration order, then the ``last`` ones."""
    for fn in [*STEPS, *LAST_STEPS]:
        fn(actor, rng, context)
