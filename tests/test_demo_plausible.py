"""The demo county is plausible (issue 3, "Done when": ~3,000 households with everything filled
plausibly): every household on the register has an income for every year from its identification
year to last year, below the year's line while poor and above it, growing, once exited; the lines
are the identification standards'; the yearly re-check has last year's round closed over the
county and this year's open over one township, partly checked; every village has its checklist
for every year, county items that are national ones ticked as those; the monitored households
never registered have real people and nothing only a registered household has."""

from __future__ import annotations

import datetime as dt
import random
import re

from django.db.models import Count, Exists, F, OuterRef, Q

from fupin.areas.models import Area
from fupin.core import clock
from fupin.core import demo as core_demo
from fupin.identification.models import Line
from fupin.monitoring import demo as monitoring_demo
from fupin.registry import codes, quality
from fupin.registry import demo as registry_demo
from fupin.registry.models import (
    ChecklistItem,
    Household,
    HouseholdSnapshot,
    Income,
    Member,
    RecheckRecord,
    RecheckRound,
    VillageChecklist,
)
from tests.conftest import SYSTEM
from tests.test_registry_demo import _areas

TODAY = dt.date(2026, 11, 23)
LAST = TODAY.year - 1
COUNTY6 = core_demo.COUNTY_CODE[:6]


def test_the_demo_county_is_plausible(db, monkeypatch):
    _areas(monkeypatch)
    with clock.frozen(TODAY) as now:
        summary = registry_demo.build(SYSTEM, 2017)
        village = Area.objects.filter(code__startswith=COUNTY6, level="village").order_by("code").first()
        edge = monitoring_demo._edge_households(SYSTEM, random.Random(1), village, 2)
    problems = {code: number for number, code in summary["problems"]}

    # The lines are the identification standards': one for every year of the ledgers, the years
    # the shipped standards leave out entered as examples.
    lines = quality.national_lines()
    assert set(range(2014, LAST + 1)) <= set(lines)
    shipped = set(Line.objects.filter(kind="national", area_prefix="", is_example=False).values_list("year", flat=True))
    assert shipped and not Line.objects.filter(kind="national", area_prefix="", year__in=shipped, is_example=True)
    assert all(lines[y] < lines[y + 1] for y in range(2014, LAST))

    # An income for every year from the identification year to last year, for every household on
    # the register (none missing: the quality check's "no income last year" finds nothing).
    on_register = Household.objects.filter(county_code=COUNTY6).exclude(status__in=codes.OFF_REGISTER_STATUSES)
    assert on_register.count() > 2700
    years = Count("incomes", filter=Q(incomes__year__gte=F("identified_year"), incomes__year__lte=LAST))
    short = on_register.annotate(n=years).exclude(n=LAST - F("identified_year") + 1)
    assert not short.exists(), list(short.values_list("number", "identified_year", "n")[:5])
    assert not Income.objects.filter(year__gt=LAST).exists()

    # Still poor (never exited): below the line every year, but the one deliberate problem.
    poor = Income.objects.filter(household__status__in=["registered", "identified"], household__exit_year=None,
                                 household__county_code=COUNTY6)
    for year in range(2014, LAST + 1):
        above = poor.filter(year=year, per_capita__gte=lines[year]).values_list("household__number", flat=True)
        assert set(above) <= {problems["per_capita_above_line"]}, (year, list(above)[:5])
    assert poor.filter(year=LAST, household__number=problems["per_capita_above_line"],
                       per_capita__gt=lines[LAST]).exists()  # the quality page's example, last year
    # Exited (never returned): above the line from the exit year on, and growing every year.
    exited = Income.objects.filter(household__status__in=codes.EXITED_STATUSES, household__return_year=None,
                                   year__gte=F("household__exit_year"), household__county_code=COUNTY6)
    assert exited.filter(year=LAST).count() > 2000
    for year in range(2016, LAST + 1):
        assert not exited.filter(year=year, per_capita__lte=lines[year]).exists(), year
    not_growing = exited.filter(Exists(Income.objects.filter(household=OuterRef("household"), year=OuterRef("year") + 1,
                                                             per_capita__lte=OuterRef("per_capita"))))
    assert not not_growing.exists()

    # Last year's re-check round over the county: closed, every household checked, some changes
    # noted, the year frozen (with its income); this year's over one township: open, partly checked.
    closed = RecheckRound.objects.get(year=LAST)
    assert (closed.area_code, closed.status) == (core_demo.COUNTY_CODE, RecheckRound.CLOSED)
    assert closed.started_at.date() < closed.closed_at.date() <= dt.date(LAST, 12, 31)
    records = RecheckRecord.objects.filter(round=closed)
    assert records.count() == closed.household_count == on_register.count()
    assert not records.filter(checked=False).exists() and not records.filter(checked_at__year__gt=LAST).exists()
    changed = records.exclude(changes=registry_demo.NOTHING).count()
    assert 0.03 * closed.household_count < changed < 0.25 * closed.household_count
    frozen = HouseholdSnapshot.objects.filter(round=closed)
    assert frozen.count() == closed.household_count and not frozen.filter(per_capita=None).exists()
    current = RecheckRound.objects.get(year=TODAY.year)
    assert current.status == RecheckRound.OPEN and Area.objects.get(code=current.area_code).level == "township"
    checked = current.records.filter(checked=True)
    assert 0 < checked.count() < current.household_count
    assert not checked.filter(Q(checked_at__gt=now) | Q(checked_at__lt=current.started_at))

    # Checklists: every village, every item that applies, every year from the first profile year
    # to this year; an item met stays met; a county item that is a national one is ticked as it.
    villages = Area.objects.filter(code__startswith=COUNTY6, level="village", valid_to__isnull=True)
    items = list(ChecklistItem.objects.filter(area_prefix__in=["", COUNTY6]))
    expected = villages.count() * sum(TODAY.year - max(2014, i.from_year) + 1 for i in items)
    assert VillageChecklist.objects.filter(year__lte=TODAY.year).count() == expected
    per_year = dict(VillageChecklist.objects.values_list("year").annotate(n=Count("id")).values_list("year", "n"))
    assert set(per_year) == set(range(2014, TODAY.year + 1))
    lost = VillageChecklist.objects.filter(met=True).filter(Exists(VillageChecklist.objects.filter(
        village=OuterRef("village"), item=OuterRef("item"), year=OuterRef("year") + 1, met=False)))
    assert not lost.exists()
    assert VillageChecklist.objects.filter(year=TODAY.year, item__area_prefix=COUNTY6, met=True).exists()
    national = {i.code: i for i in items if i.area_prefix == ""}
    for county_item in [i for i in items if i.area_prefix == COUNTY6]:
        twin = registry_demo.SAME_AS.get(county_item.code)
        if twin is None:  # not a national item under another name
            assert county_item.name not in {"电力网", *[n.name for n in national.values()]}
            continue
        assert national[twin].name in county_item.source
        ticks = VillageChecklist.objects.filter(item=county_item)
        differ = ticks.exclude(Exists(VillageChecklist.objects.filter(
            village=OuterRef("village"), year=OuterRef("year"), item=national[twin], met=OuterRef("met"))))
        assert ticks.exists() and not differ.exists(), county_item.code

    # The monitored households never registered: real names, people with ID numbers (or a reason)
    # and their sex, an income to last year; no cause, identification or exit year.
    for h in edge:
        assert h.status == "rural" and h.size >= 1 and h.address
        assert not (h.main_cause or h.identified_year or h.exit_year or h.planned_exit_year or h.return_year)
        members = list(h.members.all())
        assert any(m.relation == "01" for m in members)
        for m in members:
            assert not re.search(r"\d|边缘户", m.name) and 2 <= len(m.name) <= 4, m.name
            assert m.sex in ("1", "2") and (m.id_number or m.no_id_reason) and m.birth_date
            assert not (m.dibao or m.tekun)
        assert set(h.incomes.values_list("year", flat=True)) == set(range(2020, LAST + 1))
        assert all(inc.per_capita > lines[inc.year] for inc in h.incomes.all())
    assert Member.objects.filter(household__in=edge).values("id_number").exclude(id_number=None).count() == len(
        {m.id_number for m in Member.objects.filter(household__in=edge).exclude(id_number=None)})
