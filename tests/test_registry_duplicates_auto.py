"""The possible-duplicates queue fills by itself (issue 3): a member added or changed by hand
(or through the API, or by monitoring: the same actions), a household moved to another
village, and a committed registry import look for pairs without anyone pressing the search
on the duplicates page; with the same rules (registry/duplicates.py), stored once, never
merged."""

from __future__ import annotations

import datetime as dt

import pytest

from fupin.areas import actions as areas
from fupin.areas.models import Area
from fupin.audit.models import AuditEvent
from fupin.jobs.models import Job
from fupin.registry import actions, duplicates
from fupin.registry.importers import import_registry
from fupin.registry.models import DuplicateCandidate, Household, Member
from tests.conftest import COUNTY_A, SYSTEM, TOWNSHIP_A, VILLAGE_A
from tests.test_registry_exchange import good_rows, write_csv

VILLAGE_2 = "360729100202"  # a second village of township A
BIRTH = dt.date(1980, 1, 1)


@pytest.fixture
def villages(two_counties):
    """A second village in township A, and a village in another township of county A."""
    other_township = Area.objects.filter(level="township", code__startswith="360729").exclude(
        code=TOWNSHIP_A).order_by("code").first()
    far = other_township.code[:9] + "201"
    areas._insert_levels([{"code": VILLAGE_2, "name": "新村"}, {"code": far, "name": "远村"}], source="test",
                         valid_from=None)
    return far


def household(number: str, area: str = VILLAGE_A) -> Household:
    return Household.objects.create(number=number, area_code=area, village=Area.objects.get(code=area),
                                     main_cause="07", identified_year=2014)


def add(h: Household, name: str, birth: dt.date | None = BIRTH, relation: str = "02") -> Member:
    """A member without an ID number, added through the action (as the member page does)."""
    return actions.add_member(SYSTEM, h, name=name, no_id_reason="3", sex="1", relation=relation,
                              birth_date=birth)


def pairs() -> set[tuple[str, str, str, str, str]]:
    return {(c.a.name, c.b.name, c.reason, c.area_code, c.status)
            for c in DuplicateCandidate.objects.select_related("a", "b")}


def test_a_member_added_by_hand_is_paired_at_once(villages):
    first = add(household("D1"), "王芳")
    assert not DuplicateCandidate.objects.exists()  # alone: nothing to pair
    second = add(household("D2"), "王芳")  # same name, birth date and village
    assert pairs() == {("王芳", "王芳", "name_birth_village", VILLAGE_A, "pending")}
    pair = DuplicateCandidate.objects.get()
    assert (pair.a_id, pair.b_id) == (first.pk, second.pk)  # stored once, a < b
    assert Member.objects.filter(name="王芳", active=True).count() == 2  # nothing merged
    event = AuditEvent.objects.get(action="registry.duplicate.find")
    assert event.count == 1 and list(event.items.values_list("object_id", flat=True)) == [str(pair.pk)]
    assert event.area_code == TOWNSHIP_A and event.after["name_birth_village"] == 1

    add(household("D3", VILLAGE_2), "王芳")  # same name and birth, another village: no pair
    add(household("D4"), "王芳", birth=dt.date(1981, 1, 1))  # another birth date: no pair
    assert len(pairs()) == 1


def test_a_homophone_in_the_same_township_is_paired(villages):
    far = villages
    add(household("D1"), "张伟", birth=dt.date(1990, 5, 5))
    add(household("D2", VILLAGE_2), "张玮", birth=dt.date(1990, 5, 5))  # one character different, same pinyin
    assert pairs() == {("张伟", "张玮", "pinyin_one_char", TOWNSHIP_A, "pending")}  # across villages: the township
    add(household("D3"), "张维", birth=dt.date(1990, 5, 5))  # zhang wei again, in the first village
    assert pairs() == {("张伟", "张玮", "pinyin_one_char", TOWNSHIP_A, "pending"),
                       ("张伟", "张维", "pinyin_one_char", VILLAGE_A, "pending"),
                       ("张玮", "张维", "pinyin_one_char", TOWNSHIP_A, "pending")}
    add(household("D4", far), "张薇", birth=dt.date(1990, 5, 5))  # another township: none
    add(household("D5"), "章为", birth=dt.date(1990, 5, 5))  # two characters different: none
    assert len(pairs()) == 3


def test_a_pair_is_not_stored_twice(villages):
    h = household("D1")
    a = add(h, "王芳")
    b = add(household("D2"), "王芳")
    assert DuplicateCandidate.objects.count() == 1
    actions.update_member(SYSTEM, Member.objects.get(pk=b.pk), phone="13970010001")  # saved again
    actions.update_member(SYSTEM, Member.objects.get(pk=a.pk), name="王芳")
    assert duplicates.find_for_members(SYSTEM, [a, b]) == {"name_birth_village": 0, "pinyin_one_char": 0}
    assert duplicates.find(SYSTEM, Area.objects.get(code=COUNTY_A)) == {"name_birth_village": 0,
                                                                          "pinyin_one_char": 0}
    assert DuplicateCandidate.objects.count() == 1
    # a pair decided stays decided: saving the member again proposes nothing
    actions.decide_duplicate(SYSTEM, DuplicateCandidate.objects.get(), same=False)
    actions.update_member(SYSTEM, Member.objects.get(pk=b.pk), phone="13970010002")
    assert pairs() == {("王芳", "王芳", "name_birth_village", VILLAGE_A, "different")}


def test_changing_a_name_to_match_another_creates_the_pair(villages):
    add(household("D1"), "李春花")
    other = add(household("D2"), "刘秋月")
    assert not DuplicateCandidate.objects.exists()
    actions.update_member(SYSTEM, Member.objects.get(pk=other.pk), name="李春花")
    assert pairs() == {("李春花", "李春花", "name_birth_village", VILLAGE_A, "pending")}


def test_an_inactive_member_is_not_paired(villages):
    h = household("D1")
    gone = add(h, "吴刚")
    actions.member_leaves(SYSTEM, Member.objects.get(pk=gone.pk), "3", dt.date(2020, 1, 1))
    newcomer = add(household("D2"), "吴刚")  # the one who left is not a twin
    assert not DuplicateCandidate.objects.exists()
    # and a member who has left is not paired when saved
    actions.update_member(SYSTEM, Member.objects.get(pk=gone.pk), phone="13970010001")
    assert not DuplicateCandidate.objects.exists()
    assert duplicates.find_for_members(SYSTEM, [gone]) == {"name_birth_village": 0, "pinyin_one_char": 0}
    assert Member.objects.get(pk=newcomer.pk).active


def test_a_household_moved_into_the_township_is_paired_there(villages):
    far = villages
    add(household("D1"), "陈静", birth=dt.date(1970, 1, 1))
    moving = household("D2", far)
    add(moving, "陈晶", birth=dt.date(1970, 1, 1), relation="01")
    assert not DuplicateCandidate.objects.exists()  # another township
    actions.update_household(SYSTEM, Household.objects.get(pk=moving.pk), area_code=VILLAGE_2)
    assert pairs() == {("陈静", "陈晶", "pinyin_one_char", TOWNSHIP_A, "pending")}


def test_a_member_without_pinyin_gets_it_before_the_search(villages):
    """A member written without pinyin (before the column was filled, say) is given it, so the
    homophone rule sees it."""
    a = add(household("D1"), "刘洋")
    b = add(household("D2"), "王五")
    Member.objects.filter(pk__in=[a.pk, b.pk]).update(name_pinyin="")
    Member.objects.filter(pk=b.pk).update(name="刘阳")
    assert duplicates.find_for_members(SYSTEM, Member.objects.filter(pk__in=[a.pk, b.pk])) == {
        "name_birth_village": 0, "pinyin_one_char": 1}
    assert set(Member.objects.filter(pk__in=[a.pk, b.pk]).values_list("name_pinyin", flat=True)) == {"liu yang"}
    event = AuditEvent.objects.filter(action="registry.duplicate.find").latest("pk")
    assert event.after["pinyin_filled"] == 2 and event.count == 1


# --- an import queues the search over its area ---------------------------------------------------------

def _import(path, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return import_registry(SYSTEM, path, **kwargs)


def test_an_import_queues_the_duplicates_search_of_its_area(two_counties, tmp_path,
                                                            django_capture_on_commit_callbacks):
    # someone already on the register, born the day QN001's grandson (no ID number) was
    add(household("OLD1"), "钟小宝", birth=dt.date(2024, 2, 1))
    assert not DuplicateCandidate.objects.exists()
    result = _import(write_csv(tmp_path / "good.csv", good_rows()), django_capture_on_commit_callbacks)
    assert result.ok and result.area_code == VILLAGE_A
    job = Job.objects.get(kind="registry.duplicates")
    assert job.area_code == VILLAGE_A and job.params == {"area_code": VILLAGE_A}
    assert job.created_by is None  # started as the system: the import's result does not carry its user
    assert job.status == Job.SUCCEEDED, job.message
    assert job.result == {"pairs": {"name_birth_village": 1, "pinyin_one_char": 0}}
    assert pairs() == {("钟小宝", "钟小宝", "name_birth_village", VILLAGE_A, "pending")}
    assert Member.objects.filter(name="钟小宝", active=True).count() == 2  # nothing merged
    # the same file again changes nothing: no new search
    assert _import(write_csv(tmp_path / "again.csv", good_rows()), django_capture_on_commit_callbacks).ok
    assert Job.objects.filter(kind="registry.duplicates").count() == 1


def test_a_dry_run_or_a_refused_import_queues_no_search(two_counties, tmp_path, django_capture_on_commit_callbacks):
    good = write_csv(tmp_path / "good.csv", good_rows())
    dry = _import(good, django_capture_on_commit_callbacks, dry_run=True)
    assert dry.ok and dry.dry_run
    bad = [dict(r, 证件号码="123") if r["姓名"] == "钟明" else r for r in good_rows()]
    refused = _import(write_csv(tmp_path / "bad.csv", bad), django_capture_on_commit_callbacks)
    assert not refused.ok
    assert not Job.objects.filter(kind="registry.duplicates").exists()
    assert not Household.objects.exists()
    assert _import(good, django_capture_on_commit_callbacks).ok  # the same file, imported: one search
    assert Job.objects.filter(kind="registry.duplicates").count() == 1
