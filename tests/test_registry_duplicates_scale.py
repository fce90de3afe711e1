"""The possible-duplicates search at scale (registry/duplicates.py; docs/benchmarks.md, "Possible
duplicates at province scale"):

- on a random registry full of namesakes and homophones, the search of an area, the search of
  each member on its own (what a member's save runs) and the search of a few members at once
  (a household moved) store exactly the pairs the rules define, computed here in Python;
- a member's search reads the member by its primary key and its possible twins through the
  index on name or pinyin — not its whole township for every member of it, which it did while
  its statements carried the township's range of codes, whose size the planner estimates at
  one row (PostgreSQL: the plan, read with EXPLAIN ANALYZE).
"""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from django.db import connection, transaction

from fupin.areas import actions as areas
from fupin.areas.models import Area
from fupin.registry import duplicates, quality
from fupin.registry.actions import pinyin
from fupin.registry.models import DuplicateCandidate, Household, Member
from tests.conftest import COUNTY_A, SYSTEM

# Names that sound alike (张伟 / 张玮 / 张维 / 章伟 …), namesakes, names of other lengths.
NAMES = ["张伟", "张玮", "张维", "章伟", "张伟", "王芳", "王方", "汪芳", "王芳", "李娜", "李纳", "黎娜", "刘洋",
         "刘阳", "柳洋", "王秀英", "王秀瑛", "汪秀英", "王绣英", "陈建华", "陈健华", "陈建桦", "欧阳明", "欧阳鸣",
         "吴刚", "伍刚", "吴钢", "赵敏"]
BIRTHS = [dt.date(1960, 3, 1), dt.date(1960, 3, 2), dt.date(1985, 7, 9), None]


def random_registry(seed: int, size: int) -> list[Member]:
    """``size`` members of random names and birth dates (few of each) in three villages of
    two townships of county A and a village group, a tenth inactive, a tenth without pinyin
    yet; written directly (no pairing on save)."""
    rng = random.Random(seed)
    townships = list(Area.objects.filter(level="township", code__startswith=COUNTY_A[:6]).order_by("code")
                     .values_list("code", flat=True)[:2])
    villages = [townships[0][:9] + "201", townships[0][:9] + "202", townships[1][:9] + "201"]
    areas._insert_levels([{"code": v, "name": f"村{i}"} for i, v in enumerate(villages)]
                         + [{"code": villages[0] + "001", "name": "第1村民小组"}], source="test", valid_from=None)
    places = [*villages, villages[0] + "001"]
    households = []
    for i in range(size // 3):
        code = rng.choice(places)
        households.append(Household.objects.create(number=f"S{seed}-{i}", area_code=code,
                                                   village=Area.objects.get(code=code[:12]), main_cause="07",
                                                   identified_year=2014))
    members = []
    for _ in range(size):
        h = rng.choice(households)
        name = rng.choice(NAMES)
        members.append(Member(household=h, area_code=h.area_code, name=name,
                              name_pinyin="" if rng.random() < 0.1 else pinyin(name), no_id_reason="3", sex="1",
                              relation="02", birth_date=rng.choice(BIRTHS), active=rng.random() > 0.1))
    return Member.objects.bulk_create(members)


def expected_pairs(members: list[Member], prefix: str) -> set[tuple[int, int, str, str]]:
    """The rules of registry/duplicates.py, one pair at a time: (a, b, reason, area code)."""
    same_birth = quality.param("pinyin_pair_same_birth")
    inside = [m for m in members if m.active and m.area_code.startswith(prefix)]
    out = set()
    for m1 in inside:
        for m2 in inside:
            if m2.pk <= m1.pk:
                continue
            v1, v2, t1, t2 = m1.area_code[:12], m2.area_code[:12], m1.area_code[:9], m2.area_code[:9]
            if m1.name == m2.name and m1.birth_date is not None and m1.birth_date == m2.birth_date and v1 == v2:
                out.add((m1.pk, m2.pk, duplicates.NAME_BIRTH_VILLAGE, v1))
            if (pinyin(m1.name) == pinyin(m2.name) and m1.name != m2.name and len(m1.name) == len(m2.name)
                    and t1 == t2 and sum(a != b for a, b in zip(m1.name, m2.name, strict=True)) == 1
                    and (not same_birth or m1.birth_date == m2.birth_date or None in (m1.birth_date, m2.birth_date))):
                out.add((m1.pk, m2.pk, duplicates.PINYIN_ONE_CHAR, v1 if v1 == v2 else t1 + "000"))
    return out


def stored() -> set[tuple[int, int, str, str]]:
    return set(DuplicateCandidate.objects.values_list("a_id", "b_id", "reason", "area_code"))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_way_of_searching_stores_exactly_the_pairs_of_the_rules(two_counties, seed):
    members = random_registry(seed, 150)
    everything = expected_pairs(members, COUNTY_A[:6])
    kinds = {reason for _a, _b, reason, _area in everything}
    assert kinds == {duplicates.NAME_BIRTH_VILLAGE, duplicates.PINYIN_ONE_CHAR}  # the registry exercises both
    assert any(area.endswith("000") for *_pair, area in everything)  # and pairs across villages

    # the search of the county (the job after an import, the duplicates page)
    counts = duplicates.find(SYSTEM, Area.objects.get(code=COUNTY_A))
    assert stored() == everything
    assert sum(counts.values()) == len(everything)

    # a township's search finds the township's pairs only
    DuplicateCandidate.objects.all().delete()
    township = members[0].area_code[:9]
    duplicates.find(SYSTEM, Area.objects.get(code=township + "000"))
    assert stored() == expected_pairs(members, township)

    # each member searched on its own, in a random order (a member's save), finds them all
    DuplicateCandidate.objects.all().delete()
    rng = random.Random(seed)
    for member in rng.sample(members, len(members)):
        duplicates.find_for_members(SYSTEM, [member])
    assert stored() == everything

    # and several members at once (a household moved: a queryset of its members)
    DuplicateCandidate.objects.all().delete()
    for h in Household.objects.filter(number__startswith=f"S{seed}-"):
        duplicates.find_for_members(SYSTEM, Member.objects.filter(household=h))
    assert stored() == everything


# --- the plan of a member's search (PostgreSQL) ---------------------------------------------

def rows_read(plan: dict, table: str) -> int:
    """Rows a plan read from ``table``: each scan node's rows, those its filters removed,
    times its loops."""
    read = 0
    if plan.get("Relation Name") == table:
        per_loop = (plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
                    + plan.get("Rows Removed by Index Recheck", 0))
        read += per_loop * plan.get("Actual Loops", 1)
    return read + sum(rows_read(child, table) for child in plan.get("Plans", []))


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_members_search_reads_a_few_rows_not_its_township(two_counties):
    """Every township of 赣州市 with a village of 40 members of distinct names, one township
    with a namesake pair to find; after ANALYZE the planner sees a township's range of codes
    as about one row. A member's statements must read that member and its namesakes (a few
    rows), not the township's 40 members (the old statements read them once here, and a
    township of 630 members 630 times over in the province benchmark)."""
    townships = list(Area.objects.filter(level="township", code__startswith="3607").values_list("code", flat=True))
    assert len(townships) > 200
    villages = [t[:9] + "201" for t in townships]
    areas._insert_levels([{"code": v, "name": "村"} for v in villages], source="test", valid_from=None)
    village_ids = dict(Area.objects.filter(code__in=villages).values_list("code", "id"))
    households = Household.objects.bulk_create([
        Household(number=f"P{i}", area_code=v, county_code=v[:6], village_id=village_ids[v], main_cause="07",
                  identified_year=2014) for i, v in enumerate(villages)])
    given = "国华明建平秀英桂兰玉珍文军伟芳丽强磊洋勇艳杰娟涛超霞鹏辉春燕红梅小金水生福德贵荣海林凤云志永亮"
    members = []
    for h in households:
        for i in range(40):
            name = "张" + given[i] + given[(i * 7 + int(h.number[1:])) % len(given)]
            members.append(Member(household=h, area_code=h.area_code, name=name, name_pinyin=pinyin(name),
                                  no_id_reason="3", sex="1", relation="02", birth_date=dt.date(1970, 1, 1 + i % 28)))
    members = Member.objects.bulk_create(members)
    member, twin = members[0], members[1]
    Member.objects.filter(pk=twin.pk).update(name=member.name, name_pinyin=member.name_pinyin,
                                             birth_date=member.birth_date)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registry_member")
        cursor.execute("ANALYZE registry_duplicatecandidate")
    namesakes = Member.objects.filter(name_pinyin=member.name_pinyin).count()

    plans = []

    def explain(execute, sql, params, many, context):
        if not sql.startswith('INSERT INTO "registry_duplicatecandidate"'):
            return execute(sql, params, many, context)
        result = execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params, many, context)
        document = context["cursor"].fetchone()[0]  # psycopg reads the json column itself
        plans.append((json.loads(document) if isinstance(document, str) else document)[0]["Plan"])
        return result

    with transaction.atomic(), connection.execute_wrapper(explain):  # EXPLAIN ANALYZE runs the INSERTs
        duplicates.find_for_members(SYSTEM, [Member.objects.get(pk=member.pk)])
        transaction.set_rollback(True)
    assert len(plans) == 4  # two reasons, the member as m1 and as m2
    read = [rows_read(p, "registry_member") for p in plans]
    assert max(read) <= 2 * (namesakes + 1), read  # the township's 40 members read once would be more

    # and the pair is found (outside EXPLAIN)
    assert duplicates.find_for_members(SYSTEM, [Member.objects.get(pk=member.pk)])[
        duplicates.NAME_BIRTH_VILLAGE] == 1
