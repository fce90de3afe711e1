"""The demo county's registry: counts and distributions within tolerance, every ID number
valid, the data consistent with itself (bar the deliberate problems), deterministic for a
seed."""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import random

import pytest
from django.db.models import Count, F, OuterRef, Subquery
from stdnum.cn import ric

from fupin.areas.models import Area
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.core import demo as core_demo
from fupin.registry import codes, rules
from fupin.registry import demo as registry_demo
from fupin.registry.models import (
    ChecklistItem,
    DuplicateCandidate,
    Household,
    Income,
    Member,
    StatusChange,
    VillageChecklist,
    VillageProfile,
)
from fupin.registry.models_stats import StatsRollup
from tests.conftest import SYSTEM

TODAY = dt.date(2026, 6, 1)


def _areas(monkeypatch):
    """The demo's villages and groups, with only the county's divisions loaded (fast)."""
    real = core_demo.areas.load_divisions
    monkeypatch.setattr(core_demo.areas, "load_divisions", lambda actor: real(actor, prefix="360729"))
    return core_demo._build_areas(random.Random(2017))


@pytest.fixture
def built(db, monkeypatch):
    _areas(monkeypatch)
    with clock.frozen(TODAY):
        return registry_demo.build(SYSTEM, 2017)


def test_the_demo_registry(built):
    summary = built
    households = Household.objects.all()
    n = households.count()
    assert 2700 <= n <= 3300 and summary["counts"]["households"] == n
    assert Area.objects.filter(level="village", code__startswith="360729").count() == 89
    assert households.values("village").distinct().count() == 89

    # Household size 1–7, most often 3, mean about 3.2; size is the active members.
    sizes = collections.Counter(households.values_list("size", flat=True))
    assert set(sizes) == set(range(1, 8)) and sizes.most_common(1)[0][0] == 3
    assert 2.9 <= sum(k * v for k, v in sizes.items()) / n <= 3.5
    mismatched = households.annotate(n=Count("members", filter=F("members__active"))).exclude(size=F("n"))
    assert not mismatched.exists()

    # Every ID number valid (GB 11643), of the county, unique among active members; birth date
    # and sex as in the number, except the two households with that deliberate problem.
    problems = dict((code, number) for number, code in summary["problems"])
    assert len(summary["problems"]) == 12 and len(problems) == 12
    ids = list(Member.objects.exclude(id_number=None).values_list("id_number", "birth_date", "sex",
                                                                  "household__number"))
    assert len(ids) > 0.98 * Member.objects.count()
    deliberate = set()
    for number, birth, sex, household in ids:
        # (stdnum's place list has 赣州's pre-1999 codes only; the registry checks digit and date.)
        assert ric.calc_check_digit(number) == number[-1] and number.startswith("360729"), number
        info = rules.parse_id_number(number)
        if household == problems["birth_mismatch_id"] and info.birth_date != birth:
            deliberate.add("birth_mismatch_id")
            continue
        if household == problems["sex_mismatch_id"] and info.sex != sex:
            deliberate.add("sex_mismatch_id")
            continue
        assert (info.birth_date, info.sex) == (birth, sex), number
    assert deliberate == {"birth_mismatch_id", "sex_mismatch_id"}  # the problems are really there
    assert len({i[0] for i in ids}) == len(ids)
    assert not Member.objects.filter(id_number=None, no_id_reason="").exists()

    # Category and causes close to their targets.
    share = lambda qs: 100 * qs.count() / n  # noqa: E731
    assert 65 <= share(households.filter(category="1")) <= 80
    assert 15 <= share(households.filter(category="2")) <= 30
    assert 2 <= share(households.filter(category="3")) <= 8
    mentions = collections.Counter()
    for causes in households.values_list("main_cause", "cause2", "cause3"):
        mentions.update(c for c in causes if c)
    for code in ("01", "02", "07", "08", "09"):
        assert abs(100 * mentions[code] / n - registry_demo.CAUSE_SHARES[code]) <= 5, (code, mentions[code])
    assert not households.filter(main_cause="").exists()

    # Status: most exited, some still poor, a few returned, removed, in identification; the
    # current status is the latest dated change.
    statuses = collections.Counter(households.values_list("status", flat=True))
    assert 8 <= 100 * statuses["registered"] / n <= 20
    assert statuses["exited_policy"] + statuses["exited"] > 0.7 * n
    assert statuses["returned"] > 10 and statuses["removed"] > 10 and statuses["identified"] > 0
    latest = Subquery(StatusChange.objects.filter(household=OuterRef("pk")).order_by("-date", "-id")
                      .values("status")[:1])
    assert not households.annotate(latest=latest).exclude(latest=F("status")).exists()
    assert set(households.values_list("identified_year", flat=True)) <= set(range(2014, 2021))
    assert not households.filter(status__in=codes.EXITED_STATUSES, exit_year=None).exists()
    assert not households.filter(exit_year__lt=F("identified_year")).exists()

    # Incomes from the first identification year to last year (tests/test_demo_plausible.py has
    # the rest): net per capita as the rule computes it; below the line while poor.
    incomes = Income.objects.all()
    assert set(incomes.values_list("year", flat=True)) == set(range(2014, TODAY.year))
    for inc in incomes.order_by("?")[:300]:
        items = {k: getattr(inc, k) for k in rules.INCOME_ITEMS}
        assert rules.per_capita_net_income(items, inc.production_costs, inc.household_size)["per_capita"] == (
            inc.per_capita)
    still_poor = incomes.filter(year=2020, household__status="registered", household__standard="1")
    above = still_poor.filter(per_capita__gt=registry_demo.DEMO_LINES[2020])
    assert list(above.values_list("household__number", flat=True)) == [problems["per_capita_above_line"]]
    exited_2016 = incomes.filter(year=2020, household__exit_year=2016, household__status__in=codes.EXITED_STATUSES)
    assert not exited_2016.filter(per_capita__lt=registry_demo.DEMO_LINES[2020]).exists()

    # Villages: profiles by year with a rural population above the registered people; the
    # six villages of seed 001 exit in 2017.
    assert VillageProfile.objects.count() == 89 * 7
    people = dict(households.values("village__code").annotate(p=Count("members")).values_list("village__code", "p"))
    for p in VillageProfile.objects.filter(year=2014):
        assert p.rural_population > people.get(p.area_code, 0) and p.households * 3 < p.population
    for township, name in registry_demo.SEED_POOR_VILLAGES:
        village = Area.objects.get(name=name, parent__name=township, level="village")
        assert VillageProfile.objects.get(village=village, year=2016).status == "poor"
        assert VillageProfile.objects.get(village=village, year=2017).status == "delisted"
    assert VillageProfile.objects.filter(year=2016, status="poor").count() == 8
    assert Area.objects.get(code="360729100201").name == "田心村"  # the demo village cadre's village

    # Checklists: the national list and 全南's, each item with its source.
    assert ChecklistItem.objects.filter(area_prefix="").count() == 8
    assert ChecklistItem.objects.filter(area_prefix="360729").count() == len(registry_demo.LOCAL_ITEMS)
    assert not ChecklistItem.objects.filter(source="").exists()
    assert VillageChecklist.objects.filter(year=2020, met=True).count() > VillageChecklist.objects.filter(
        year=2014, met=True).count()

    # Possible duplicates for the review queue; the rollup; one audited bulk event.
    pairs = list(DuplicateCandidate.objects.values_list("reason", "a__name", "b__name", "a__birth_date",
                                                        "b__birth_date", "a_id", "b_id"))
    assert {p[0] for p in pairs} == {"name_birth_village", "pinyin_one_char"}
    for _reason, a_name, b_name, a_birth, b_birth, a_id, b_id in pairs:
        assert a_birth == b_birth and a_id < b_id and len(a_name) == len(b_name)
    assert StatsRollup.objects.filter(level="county", area_code="360729000000").exists()
    event = AuditEvent.objects.get(action="registry.demo.load")
    assert event.count == n and event.items.count() == n


def _digest(plans) -> str:
    h = hashlib.sha256()
    for p in plans:
        h.update(repr((p.number, p.causes, p.changes, sorted(p.values.items()),
                       [(m.name, m.id_number, m.birth, m.relation, m.health) for m in p.people],
                       sorted((y, sorted(v.items())) for y, v in p.incomes.items()))).encode())
    return h.hexdigest()


def test_generation_is_deterministic_for_a_seed():
    townships = {t["name"]: t["code"] for t in core_demo.DEMO_COUNTY["townships"]}
    villages = [Area(code=f"{code[:9]}{200 + i:03d}", name=f"村{i}", level="village")
                for code in townships.values() for i in range(1, 2)]
    groups = {v.code: [Area(code=v.code + "001", name="第1村民小组", level="group")] for v in villages}
    poor = {villages[0].code: 2017}
    args = (villages, groups, townships, poor, TODAY)
    first = _digest(registry_demo.generate(2017, *args)[1])
    assert _digest(registry_demo.generate(2017, *args)[1]) == first
    assert _digest(registry_demo.generate(2018, *args)[1]) != first


def test_check_digit():
    for number in ("11010519491231002X", "440524188001010014", "360729199001011236"[:17]):
        first = number[:17]
        assert registry_demo.id_check_digit(first) == ric.calc_check_digit(first + "0")  # it skips the last
