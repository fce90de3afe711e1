"""The demo county's exits (全南县), after the registry's and assistance's steps:

- EXAMPLE national lines for the last three years (marked ``is_example``; the system
  ships national lines only where a document gives them), an example county variant of
  the exit criteria (two consecutive years above the line) and an example county
  policy period (two years of observation for exits from 2021);
- a completed exit batch last autumn in one village, with two objections in its first
  notice (one upheld: that household stays poor, its ledgers corrected back to the
  figures verified, below the line; one rejected: it exits), so its households are now in
  observation;
- one household returned to poverty through the return procedure (its reason kept, last
  year's ledger as the procedure verified it, below the line);
- an open exit batch in another village, at its first notice (published two days ago).

The exits of 2016–2020 in the registry's demo data fall under the national transition
period (四个不摘, to 31 Dec 2025): their periods have ended, and the observation page
offers to close them (fupin close_observation).

A household that stays poor stays below the line (the registry's quality check finds no
"per-capita income above the line" for it); the households of the open batch are above it
last year, as the exit criteria want, and are flagged until their batch completes.

Fast: a few dozen households go through the engine's actions; the candidates are
found with the set-based check."""

from __future__ import annotations

import datetime as dt
import time
import zlib
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef

from fupin.areas.models import Area
from fupin.assistance.models import Measure
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.demo import COUNTY_CODE, step
from fupin.identification import actions as identification
from fupin.identification.models import Line
from fupin.procedures import actions as procedures
from fupin.procedures import rules as procedure_rules
from fupin.procedures.models import BatchMember
from fupin.registry import actions as registry
from fupin.registry import rules as registry_rules
from fupin.registry.models import Household, Income

from . import actions, queries
from .models import ExitCriteria, PolicyPeriod

COUNTY6 = COUNTY_CODE[:6]
EXAMPLE = "演示数据（示例），不是正式标准"


def _lines(actor: Actor, years) -> None:
    for year in years:
        if Line.objects.filter(kind="national", area_prefix="", year=year).exists():
            continue
        identification.save_line(actor, None, kind="national", area_prefix="", year=year, method="fixed",
                                 value=Decimal(4000 + 100 * max(0, year - 2020)), per="year",
                                 name="国家农村扶贫标准（示例）", source=EXAMPLE, is_example=True)


def _standards(actor: Actor) -> None:
    if not ExitCriteria.objects.filter(area_prefix=COUNTY6).exists():
        national = ExitCriteria.objects.get(area_prefix="", from_year=2014)
        items = [dict(i) for i in national.items]
        for i in items:
            if i["code"] == "income":
                i["params"] = {**i["params"], "consecutive_years": 2}
                i["source"] = EXAMPLE + "：“稳定”理解为连续两年高于标准线。"
        actions.save_criteria(actor, None, name="全南县贫困户退出标准（示例）", area_prefix=COUNTY6, from_year=2021,
                              items=items, source=EXAMPLE, is_example=True,
                              note="县级标准示例：收入连续两年高于标准线。")
    if not PolicyPeriod.objects.filter(area_prefix=COUNTY6).exists():
        actions.save_period(actor, None, name="全南县脱贫户观察期（示例）", area_prefix=COUNTY6, from_year=2021,
                            kind="observation", years=2, source=EXAMPLE, is_example=True,
                            note="示例：退出后观察两年，参照浙委发〔2018〕41号《低收入农户高水平全面小康计划(2018-2022年)》"
                                 "的一年观察期。")


def _candidates(year: int, n_villages: int = 2, per_village: int = 5) -> list[list[Household]]:
    """Registered households (national standard) meeting every item but income, grouped
    by village: the set-based check finds them."""
    busy = BatchMember.objects.filter(state__in=[procedure_rules.ACTIVE, procedure_rules.HELD],
                                      batch__status=procedure_rules.OPEN).values("household_id")
    qs = Household.objects.filter(county_code=COUNTY6, status="registered", standard="1").exclude(pk__in=busy)
    qs = queries.check(qs, COUNTY6, year).filter(ok_housing=True, ok_school=True, ok_medical_insurance=True,
                                                 ok_water=True, size__gte=1)
    by_village: dict[int, list[int]] = {}
    for pk, village in qs.order_by("area_code", "number").values_list("pk", "village_id")[:400]:
        by_village.setdefault(village, []).append(pk)
    groups = [ids[:per_village] for ids in by_village.values() if len(ids) >= per_village][:n_villages]
    return [list(Household.objects.filter(pk__in=ids).order_by("number")) for ids in groups]


# Demo only: where a household's per-capita income lands above the line, as a share of
# the line (varied per household, deterministic from its number), and the yearly growth.
ABOVE_LINE = (Decimal("1.06"), Decimal("1.65"))
BELOW_LINE = (Decimal("0.62"), Decimal("0.9"))  # an income verified below the line, as a share of it
GROWTH = Decimal("1.06")
FALLBACK_MIX = {"wages": Decimal("0.62"), "crops": Decimal("0.18"), "livestock": Decimal("0.08"),
                "subsidies": Decimal("0.07"), "eco_compensation": Decimal("0.05")}


def _step(h: Household) -> Decimal:
    return Decimal(zlib.crc32(h.number.encode()) % 1000) / 999  # 0–1, the household's own


def _share(h: Household, year: int, last_year: int) -> Decimal:
    low, high = ABOVE_LINE
    return (low + (high - low) * _step(h)) / GROWTH ** (last_year - year)


def _line(year: int) -> Decimal:
    line = Line.objects.filter(kind="national", area_prefix="", year=year).values_list("annual_value", flat=True)
    return line.first() or Decimal(4000)


def _income(actor: Actor, h: Household, year: int, last_year: int, *, share: Decimal | None = None,
            note: str = "演示（按本户往年收入结构）") -> Decimal:
    """The household's income of ``year``, from its own ledger: the components of that year's
    ledger, or else of its latest recorded year (work, farming, transfers, production costs,
    as the registry's and assistance's demos made them: the measures carried into it stay in
    it, scaled up), scaled so that its per-capita net income lands a household-specific share
    above the year's line (6 %–65 %, growing 6 % a year), or at ``share`` of the line. Returns
    the per capita."""
    target = _line(year) * (_share(h, year, last_year) if share is None else share)
    size = max(h.members.filter(active=True).count(), 1)
    base = h.incomes.filter(year__lte=year, net_income__gt=0).order_by("-year").first()
    if base is not None:
        scale = target * size / base.net_income
        amounts = {k: getattr(base, k) * scale for k in (*registry_rules.INCOME_ITEMS, "production_costs")}
    else:
        amounts = {k: target * size * share for k, share in FALLBACK_MIX.items()}
    amounts = {k: v.quantize(Decimal("0.01")) for k, v in amounts.items()}
    return registry.save_income(actor, h, year, note=note, **amounts).per_capita


def _ledgers(households: list[Household], years) -> dict[tuple[int, int], dict]:
    """The amounts and note of each household's ledger of each year, as they stand."""
    fields = [*registry.INCOME_FIELDS, "note"]
    return {(row["household_id"], row["year"]): {f: row[f] for f in fields} for row in Income.objects.filter(
        household__in=households, year__in=list(years)).values("household_id", "year", *fields)}


# An upheld objection to an exit: the household's income was overstated; the ledgers of the two
# years the exit rested on go back to what they were (its recorded incomes, below the line).
OBJECTION_UPHELD = "该户近两年的务工收入按全年务工申报，实际每年只在外务工几个月，收入不实。"
UPHELD_TEXT = "经村委会和驻村工作队入户核实，该户务工收入按实际务工月数核算，人均纯收入未达标准，情况属实，暂缓退出，收入已更正。"
UPHELD_NOTE = "经入户核实更正（退出公示异议成立）"
RETURN_REASON = "户主去年8月突发脑梗住院，此后不能务工，医疗支出大，家庭收入骤降"
RETURN_NOTE = "返贫核实：户主去年8月起因病不能务工，按核实收入更正"


def _act(actor, batch, day: dt.date, action: str, **data):
    batch.refresh_from_db()
    with clock.frozen(day):
        return procedures.act(actor, batch, step=batch.current_step["code"], action=action, **data)


def _run(actor, batch, day: dt.date, *, until: str | None = None, on_notice=None) -> dt.date:
    """Take the batch through its steps, everyone passing, up to step ``until``; a notice
    runs its full period (``on_notice(batch, first day)`` is called once it is up)."""
    while True:
        batch.refresh_from_db()
        sdef = batch.current_step
        if sdef is None or sdef["code"] == until:
            return day
        if sdef["kind"] == procedure_rules.TASK:
            _act(actor, batch, day, "complete")
        elif sdef["kind"] == procedure_rules.APPRAISAL:
            votes = {m.pk: [25, 2, 1] for m in batch.members.filter(state=procedure_rules.ACTIVE)}
            _act(actor, batch, day, "appraise", held_on=day, total=35, present=28, votes=votes,
                 minutes="村民代表大会民主评议：与会代表逐户评议，举手表决。")
        elif sdef["kind"] == procedure_rules.REVIEW:
            _act(actor, batch, day, "decide")
        else:
            _act(actor, batch, day, "publish")
            if on_notice is not None:
                on_notice(batch, day)
                on_notice = None
            day = procedure_rules.notice_earliest_close(day, sdef["days"])
            _act(actor, batch, day, "close")
        day += dt.timedelta(days=1)


def _objections(actor, before: dict[tuple[int, int], dict]):
    """The two objections of the past batch's first notice; the upheld one's household gets the
    ledgers it had ``before`` the exit (household id, year -> amounts and note) back."""
    def raise_two(batch, first_day):
        members = list(batch.members.filter(state=procedure_rules.ACTIVE).order_by("pk")[:2])
        with clock.frozen(first_day + dt.timedelta(days=2)):
            upheld = procedures.raise_objection(actor, batch, members[0].pk, objector_name="村民（匿名）",
                                                content=OBJECTION_UPHELD)
            rejected = procedures.raise_objection(actor, batch, members[1].pk, objector_name="同组村民",
                                                  content="该户儿子长期在外，收入是否属实？")
        with clock.frozen(first_day + dt.timedelta(days=4)):
            procedures.resolve_objection(actor, upheld, upheld=True, text=UPHELD_TEXT)
            household = members[0].household
            for (pk, year), ledger in sorted(before.items()):
                if pk == household.pk:
                    amounts = {k: v for k, v in ledger.items() if k != "note"}
                    registry.save_income(actor, household, year, note=UPHELD_NOTE, **amounts)
            procedures.resolve_objection(actor, rejected, upheld=False,
                                         text="经入户核实，其子务工收入有工资流水为证，收入属实，维持退出。")

    return raise_two


@transaction.atomic
def build(actor: Actor) -> dict:
    started = time.monotonic()
    today = clock.today()
    year = today.year
    _lines(actor, range(year - 2, year + 1))
    _standards(actor)
    summary = {"past_batch": None, "open_batch": None, "returned": None, "observed": 0}
    groups = _candidates(year)
    if len(groups) < 2:
        return summary
    past, current = groups
    before = _ledgers(past, (year - 2, year - 1))
    for h in past:
        for y in (year - 2, year - 1):
            _income(actor, h, y, year - 1)
    for h in current:
        for y in (year - 1, year):
            _income(actor, h, y, year)
    # Last autumn: a completed batch with two objections in its first notice.
    day = dt.date(year - 1, 10, 9)
    with clock.frozen(day):
        batch = actions.start_exit(actor, past[0].village, [h.pk for h in past],
                                   title=f"{year - 1}年{past[0].village.name}贫困户退出")
    _run(actor, batch, day, on_notice=_objections(actor, before))
    batch.refresh_from_db()
    summary["past_batch"] = batch.pk
    # A return to poverty: a household that exited in 2018, found last month; the procedure verifies
    # last year's income (below the line: its ledger corrected). One whose ledger holds no measure
    # carried into it (the measures' money stays in the ledgers: assistance.demo).
    carried = Measure.objects.filter(household=OuterRef("pk"), year=year - 1, carried_at__isnull=False)
    back = (Household.objects.filter(county_code=COUNTY6, status="exited_policy", exit_year=2018)
            .exclude(Exists(carried)).order_by("number").first())
    if back is not None:
        found = today - dt.timedelta(days=40)
        with clock.frozen(found + dt.timedelta(days=1)):
            case = actions.start_return(actor, back, cause="01", reason=RETURN_REASON, occurred_on=found)
            low, high = BELOW_LINE
            _income(actor, back, year - 1, year - 1, share=low + (high - low) * _step(back), note=RETURN_NOTE)
        _run(actor, case.batch, found + dt.timedelta(days=1))
        summary["returned"] = back.number
    # This year's batch, at its first notice.
    start = max(today - dt.timedelta(days=6), dt.date(year, 1, 1))
    with clock.frozen(start):
        batch = actions.start_exit(actor, current[0].village, [h.pk for h in current],
                                   title=f"{year}年{current[0].village.name}贫困户退出")
    _run(actor, batch, start, until="village_notice")
    _act(actor, batch, max(start, today - dt.timedelta(days=2)), "publish")
    summary["open_batch"] = batch.pk
    summary["observed"] = queries.in_period(Household.objects.filter(county_code=COUNTY6), today).count()
    summary["seconds"] = round(time.monotonic() - started, 2)
    return summary


@step
def exits_demo(actor, rng, context):
    """The demo step: exits in the demo county (after the registry's and assistance's)."""
    if not Area.objects.filter(code=COUNTY_CODE).exists():
        return
    s = build(actor)
    context["exits"] = s
    context.setdefault("summary", []).append(
        f"Exits: example county criteria and observation period; a completed exit batch with two objections "
        f"(#{s['past_batch']}), {s['observed']} households in observation, returned household {s['returned']}, "
        f"an open exit batch at its first notice (#{s['open_batch']}) ({s.get('seconds', 0):.1f} s).")
