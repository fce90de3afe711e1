"""The demo county's standards: EXAMPLE lines (marked ``is_example``: not real
standards), an example local rule set with some vetoes switched on, a few facts on
demo households, one rule run and one what-if. Runs after the registry's demo step."""

from __future__ import annotations

import random
from decimal import Decimal

from fupin.core.demo import COUNTY_CODE, step
from fupin.registry.models import Household

from . import actions, engine, queries
from .models import MemberFact

PREFIX = COUNTY_CODE[:6]
YEAR = 2016
EXAMPLE = "示例数据（演示用，非真实标准）"

LOW_INCOME_FORMULA = {"combine": "max", "terms": [{"kind": "dibao", "factor": "1.5", "year_offset": -1},
                                                  {"kind": "rural_income", "factor": "0.40", "year_offset": -1}]}


def _lines(actor) -> int:
    rows = [
        ("provincial", PREFIX[:2], YEAR, {"value": Decimal("3100")}, "江西省 省定扶贫标准（示例）"),
        ("dibao", PREFIX, YEAR - 1, {"value": Decimal("260"), "per": "month"}, "全南县 农村低保标准（示例）"),
        ("rural_income", PREFIX, YEAR - 1, {"value": Decimal("8200")}, "全南县 农村居民人均可支配收入（示例）"),
        ("city", PREFIX, YEAR, {"method": "derived", "formula": LOW_INCOME_FORMULA},
         "全南县 低收入标准（示例，按浙江公式）"),
        ("monitoring", PREFIX[:2], 2021, {"value": Decimal("6000")}, "江西省 防返贫监测范围（示例）"),
    ]
    for kind, prefix, year, values, name in rows:
        actions.save_line(actor, None, kind=kind, area_prefix=prefix, year=year, name=name, source=EXAMPLE,
                          is_example=True, **values)
    return len(rows)


def _rules(actor):
    base = queries.ruleset_for(COUNTY_CODE, YEAR)
    rs = actions.save_ruleset(actor, None, copy_from=base, name="全南县识别规则（示例）", area_prefix=PREFIX,
                              from_year=2014, combine="or", statuses=base.statuses, source=EXAMPLE,
                              is_example=True,
                              note="示例：在国家规则基础上开启部分“一票否决”条件，车辆价值门槛为示例数据。")
    for criterion in rs.criteria.filter(code__in=["public_employee", "car", "business", "urban_housing"]):
        params = {**criterion.params, "min_value": "100000"} if criterion.code == "car" else criterion.params
        actions.save_criterion(actor, rs, criterion, enabled=True, params=params, source=EXAMPLE)
    return rs


def _facts(actor, rng: random.Random) -> int:
    ids = list(Household.objects.filter(county_code=PREFIX).order_by("id").values_list("id", flat=True))
    if not ids:
        return 0
    chosen = rng.sample(ids, min(40, len(ids)))
    kinds = [("car", (60000, 200000)), ("business", None), ("public_employee", None), ("urban_housing", None)]
    n = 0
    for hid in chosen:
        h = Household.objects.get(pk=hid)
        kind, price = rng.choice(kinds)
        value = Decimal(rng.randrange(*price)) if price else None
        fact = actions.add_fact(actor, h, kind=kind, value=value, detail="演示数据",
                                relation="parent" if kind == "public_employee" and rng.random() < 0.3 else "",
                                person_name="演示亲属" if kind == "public_employee" else "")
        roll = rng.random()
        if roll < 0.4:
            actions.decide_fact(actor, fact, status=MemberFact.CONFIRMED)
        elif roll < 0.5:
            actions.decide_fact(actor, fact, status=MemberFact.KEPT, reason="家庭确实困难，经村民代表会议评议不予否决")
        n += 1
    return n


@step
def identification_demo(actor, rng, context):
    own = random.Random(context["seed"] + 4)  # noqa: S311 (demo data, not security)
    n_lines = _lines(actor)
    _rules(actor)
    n_facts = _facts(actor, own)
    run = engine.run_rules(PREFIX, YEAR, actor=actor)
    sim = engine.run_rules(PREFIX, YEAR, actor=actor, changes={"lines": [
        {"kind": "national", "area_prefix": "", "value": "2600"}]})
    context.setdefault("summary", []).append(
        f"Identification: {n_lines} example lines, an example local rule set, {n_facts} facts; "
        f"rule run {YEAR}: {run.households} households, {run.eligible} eligible, {run.flagged} flagged "
        f"({run.duration_ms} ms); what-if national line 2,600: {sim.changed} would change.")
