"""The procedure engine and the identification procedure (两公示一公告), through its
actions: golden dates of notices, objections holding one household, the appraisal
rule at its edges, a 5-day variant from data only, registration at the end, and two
officers acting at once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import translation

from fupin.areas.models import Area
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Conflict, Forbidden, Invalid
from fupin.procedures import actions, rules
from fupin.procedures.models import (
    AppraisalMeeting,
    BatchMember,
    Objection,
    ProcedureBatch,
    ProcedureType,
    StepDocument,
    StepRecord,
)
from fupin.registry import actions as registry
from fupin.registry.models import Household, StatusChange
from tests.conftest import COUNTY_A, SYSTEM, TOWNSHIP_A, VILLAGE_A, VILLAGE_B

D = dt.date
FEB_1, MAR_1 = D(2024, 2, 1), D(2024, 3, 1)
RULE = {"quorum": [2, 3], "quorum_inclusive": True, "majority": [1, 2], "majority_inclusive": False,
        "majority_of": "present", "source": "test"}


# --- helpers (also used by test_procedures_views and scoping_procedures) -----------------

def id_number(prefix6: str, birth: str, seq: int) -> str:
    body = f"{prefix6}{birth}{seq:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def make_households(village: str, n: int, *, status: str = "identified", names=None, start: int = 1) -> list:
    """``n`` households with a head each (name and a valid ID number) in ``village``'s first group."""
    out = []
    for i in range(start, start + n):
        h = registry.create_household(SYSTEM, status=status, status_date=D(2024, 1, 2),
                                      number=f"{village}7{i:04d}", area_code=village + "001")
        name = (names or {}).get(i) or f"户主{i}"
        registry.add_member(SYSTEM, h, name=name, id_number=id_number(village[:6], "19800101", i), relation="01")
        h.refresh_from_db()
        out.append(h)
    return out


def ptype(code: str = "identification_2014") -> ProcedureType:
    return ProcedureType.objects.get(code=code)


def start(actor, households, *, code: str = "identification_2014", area: str = VILLAGE_A, on=FEB_1):
    with clock.frozen(on):
        return actions.start_batch(actor, ptype(code), Area.objects.get(code=area), [h.pk for h in households])


def step_code(batch) -> str:
    batch.refresh_from_db()
    return batch.current_step["code"]


def do(actor, batch, action: str, on: dt.date, **data):
    with clock.frozen(on):
        return actions.act(actor, batch, step=step_code(batch), action=action, **data)


def all_for(batch, present: int = 20):
    return {m.pk: [present, 0, 0] for m in batch.members.filter(state=rules.ACTIVE)}


def advance(actor, batch, until: str | None = None, on: dt.date = FEB_1) -> dt.date:
    """Take the batch through its steps with everyone passing, up to (not including)
    step ``until``; notices run their full period. Returns the date reached."""
    day = on
    while True:
        batch.refresh_from_db()
        step = batch.current_step
        if step is None or step["code"] == until:
            break
        if step["kind"] == rules.TASK:
            do(actor, batch, "complete", day)
        elif step["kind"] == rules.APPRAISAL:
            do(actor, batch, "appraise", day, held_on=day, total=30, present=20, minutes="评议",
                       votes=all_for(batch))
        elif step["kind"] == rules.REVIEW:
            do(actor, batch, "decide", day)
        else:
            record = batch.records.get(index=batch.step_index)
            if record.started is None:
                do(actor, batch, "publish", day)
                record.started = day
            day = max(day, rules.notice_earliest_close(record.started, step["days"]))
            do(actor, batch, "close", day)
        day += dt.timedelta(days=1)
    batch.refresh_from_db()
    return day


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in their English originals."""
    with translation.override("en"):
        yield


@pytest.fixture
def county(two_counties, make_user):
    return Actor(make_user("county_office", COUNTY_A))


@pytest.fixture
def five(two_counties):
    return make_households(VILLAGE_A, 5)


# --- rules (pure) ---------------------------------------------------------------------------

def test_notice_period_counts_natural_days_with_the_start_day_as_day_one():
    assert rules.notice_last_day(D(2024, 3, 1), 7) == D(2024, 3, 7)
    assert rules.notice_earliest_close(D(2024, 3, 1), 7) == D(2024, 3, 8)
    assert not rules.notice_may_close(D(2024, 3, 1), 7, D(2024, 3, 7))
    assert rules.notice_may_close(D(2024, 3, 1), 7, D(2024, 3, 8))
    assert rules.notice_last_day(D(2024, 2, 27), 5) == D(2024, 3, 2)  # across a leap-year February


@pytest.mark.parametrize(("total", "present", "quorate"), [(30, 20, True), (30, 19, False), (3, 2, True),
                                                           (31, 21, True), (31, 20, False), (0, 0, False)])
def test_appraisal_quorum_is_two_thirds_inclusive(total, present, quorate):
    assert rules.is_quorate(RULE, total, present) is quorate


@pytest.mark.parametrize(("present", "votes_for", "passed"), [(20, 10, False), (20, 11, True), (21, 10, False),
                                                              (21, 11, True)])
def test_appraisal_needs_more_than_half_of_those_present(present, votes_for, passed):
    outcome = rules.appraisal_outcome(RULE, 30, present, votes_for, present - votes_for, 0)
    assert outcome.quorate and outcome.passed is passed


def test_abstentions_count_against_and_other_rules_are_data():
    assert not rules.appraisal_outcome(RULE, 30, 20, 10, 0, 10).passed
    of_cast = {**RULE, "majority_of": "cast"}
    assert rules.appraisal_outcome(of_cast, 30, 20, 6, 5, 0).passed  # 6 of the 11 votes cast
    assert not rules.appraisal_outcome(of_cast, 30, 20, 6, 5, 1).passed  # 6 of 12
    inclusive = {**RULE, "majority_inclusive": True}
    assert rules.appraisal_outcome(inclusive, 30, 20, 10, 10, 0).passed


def test_shipped_types_are_valid_and_name_their_sources(db):
    names = actions.known_names()
    for t in ProcedureType.objects.all():
        assert rules.validate_definition(t.definition, **names) == [], t.code
    national = ptype().definition
    assert "国开办发〔2014〕24号" in national["source"]
    notices = [s for s in national["steps"] if s["kind"] == rules.NOTICE]
    assert [s["days"] for s in notices] == [7, 7, 5]
    assert all("泗水县建档立卡贫困人口和省定重点村退出工作方案" in s["days_source"] for s in notices)
    appraisal = next(s for s in national["steps"] if s["kind"] == rules.APPRAISAL)
    assert "村民委员会组织法" in appraisal["pass_rule"]["source"]
    assert [s["days"] for s in ptype("identification_5day").steps if s["kind"] == rules.NOTICE] == [5, 5, 5]
    assert [s["code"] for s in national["steps"]] == [
        "application", "visit", "data_check", "appraisal", "village_notice", "township_review", "township_notice",
        "county_approval", "announcement"]


def test_validation_names_every_problem():
    bad = {**ptype_definition(), "steps": [
        {"code": "n", "name": "公示", "name_en": "Notice", "kind": "notice", "level": "village",
         "permission": "procedures.nowhere", "documents": ["missing_doc"]},
        {"code": "n", "name": "评议", "name_en": "Appraisal", "kind": "appraisal", "level": "moon",
         "permission": "procedures.village", "pass_rule": {"quorum": [3, 2], "majority": [1, 2]}},
    ]}
    errors = " | ".join(rules.validate_definition(bad, permissions={"procedures.village"}))
    for fragment in ("days", "days_source", "procedures.nowhere", "missing_doc", "used twice", "level", "quorum",
                     "source"):
        assert fragment in errors, fragment


def ptype_definition() -> dict:
    import json
    from pathlib import Path

    import fupin.procedures

    data = Path(fupin.procedures.__file__).parent / "data" / "procedure_types.json"
    return json.loads(data.read_text(encoding="utf-8"))["types"][0]


# --- starting ---------------------------------------------------------------------------

def test_start_checks_status_area_and_other_procedures(county, five, make_user):
    registered = make_households(VILLAGE_A, 1, status="registered", start=50)
    with pytest.raises(Invalid, match="cannot enter"):
        start(county, [*five, *registered])
    outside = make_households(VILLAGE_B, 1, start=60)
    with pytest.raises(Invalid, match="not in"):
        start(county, [*five, *outside])
    batch = start(county, five[:3])
    assert batch.members.count() == 3 and batch.current_step["code"] == "application"
    with pytest.raises(Invalid, match="another procedure"):
        start(county, five[2:])
    cadre_b = Actor(make_user("village_cadre", VILLAGE_B))
    with pytest.raises(Forbidden):
        start(cadre_b, five[3:])
    event = AuditEvent.objects.get(action="procedures.batch.start", object_id=str(batch.pk))
    assert event.count == 3 and event.items.count() == 3


# --- golden: the 7-day notice -------------------------------------------------------------

def test_seven_day_notice_from_1_march_closes_on_8_march_not_7(county, five):
    batch = start(county, five)
    advance(county, batch, until="village_notice")
    batch = do(county, batch, "publish", D(2024, 3, 1))
    record = StepRecord.objects.get(batch=batch, code="village_notice")
    assert record.started == D(2024, 3, 1) and len(record.listed) == 5
    with pytest.raises(Invalid, match="2024-03-07"):
        do(county, batch, "close", D(2024, 3, 7))
    batch.refresh_from_db()
    assert step_code(batch) == "village_notice"
    batch = do(county, batch, "close", D(2024, 3, 8))
    record.refresh_from_db()
    assert record.closed == D(2024, 3, 8) and step_code(batch) == "township_review"
    assert list(record.documents.values_list("code", flat=True)) == ["village_notice"]


def test_a_notice_must_be_published_before_it_closes_and_once(county, five):
    batch = start(county, five)
    advance(county, batch, until="village_notice")
    with pytest.raises(Invalid, match="not been published"):
        do(county, batch, "close", D(2024, 4, 1))
    batch = do(county, batch, "publish", D(2024, 3, 1))
    with pytest.raises(Conflict, match="2024-03-01"):
        do(county, batch, "publish", D(2024, 3, 2))
    with pytest.raises(Invalid, match="cannot be done"):
        do(county, batch, "complete", D(2024, 3, 9))


def test_five_day_variant_runs_from_data_alone(county, five):
    batch = start(county, five, code="identification_5day")
    advance(county, batch, until="village_notice")
    batch = do(county, batch, "publish", D(2024, 3, 1))
    with pytest.raises(Invalid, match="2024-03-05"):
        do(county, batch, "close", D(2024, 3, 5))
    batch = do(county, batch, "close", D(2024, 3, 6))
    advance(county, batch, on=D(2024, 3, 7))
    assert batch.status == rules.DONE
    assert Household.objects.filter(pk__in=[h.pk for h in five], status="registered").count() == 5


# --- objections ---------------------------------------------------------------------------

def _at_notice(county, households, code="village_notice", on=MAR_1):
    batch = start(county, households)
    advance(county, batch, until=code)
    return do(county, batch, "publish", on)


def test_an_objection_holds_one_household_while_the_batch_proceeds(county, five):
    batch = _at_notice(county, five)
    target = batch.members.get(household=five[0])
    with clock.frozen(D(2024, 3, 3)):
        objection = actions.raise_objection(county, batch, target.pk, content="家里有人是公职人员",
                                            objector_name="张三", objector_contact="13800001111")
    target.refresh_from_db()
    assert target.state == rules.HELD and target.held_step == 4 and objection.record.code == "village_notice"
    batch = do(county, batch, "close", D(2024, 3, 8))
    assert step_code(batch) == "township_review"
    batch = do(county, batch, "decide", D(2024, 3, 9))
    states = dict(batch.members.values_list("household_id", "state"))
    assert states[five[0].pk] == rules.HELD
    assert [states[h.pk] for h in five[1:]] == [rules.ACTIVE] * 4
    advance(county, batch, on=D(2024, 3, 10))
    assert batch.status == rules.DONE
    assert Household.objects.get(pk=five[0].pk).status == "identified"
    assert Household.objects.filter(pk__in=[h.pk for h in five[1:]], status="registered").count() == 4


def test_upheld_objection_withdraws_the_household_with_the_reason(county, five):
    batch = _at_notice(county, five)
    target = batch.members.get(household=five[1])
    with clock.frozen(D(2024, 3, 2)):
        objection = actions.raise_objection(county, batch, target.pk, content="有商品房")
        second = actions.raise_objection(county, batch, target.pk, content="有车")
    with clock.frozen(D(2024, 3, 4)):
        with pytest.raises(Invalid, match="reason"):
            actions.resolve_objection(county, objection, upheld=True, text=" ")
        actions.resolve_objection(county, objection, upheld=True, text="经核实在县城有商品房")
    target.refresh_from_db()
    second.refresh_from_db()
    assert target.state == rules.WITHDRAWN and "经核实在县城有商品房" in target.reason
    assert second.status == Objection.SUPERSEDED
    with clock.frozen(D(2024, 3, 4)), pytest.raises(Conflict):
        actions.resolve_objection(county, objection, upheld=False, text="again")
    advance(county, batch, on=D(2024, 3, 8))
    assert Household.objects.get(pk=five[1].pk).status == "identified"
    assert AuditEvent.objects.filter(action="procedures.objection.resolve").count() == 1


def test_rejected_objection_during_the_notice_lets_the_household_continue(county, five):
    batch = _at_notice(county, five)
    target = batch.members.get(household=five[2])
    with clock.frozen(D(2024, 3, 2)):
        objection = actions.raise_objection(county, batch, target.pk, content="收入不低")
    with clock.frozen(D(2024, 3, 5)):
        with pytest.raises(Invalid, match="written answer"):
            actions.resolve_objection(county, objection, upheld=False, text="")
        actions.resolve_objection(county, objection, upheld=False, text="经入户核实，收入低于标准，已书面答复。")
    target.refresh_from_db()
    assert target.state == rules.ACTIVE and target.held_step is None
    advance(county, batch, on=D(2024, 3, 8))
    assert batch.status == rules.DONE
    assert Household.objects.get(pk=five[2].pk).status == "registered"


def test_rejected_objection_after_the_notice_closed_means_a_notice_of_its_own(county, five):
    batch = _at_notice(county, five)
    target = batch.members.get(household=five[3])
    with clock.frozen(D(2024, 3, 6)):
        objection = actions.raise_objection(county, batch, target.pk, content="有人举报")
    batch = do(county, batch, "close", D(2024, 3, 8))
    with clock.frozen(D(2024, 3, 12)):
        actions.resolve_objection(county, objection, upheld=False, text="举报不实，已答复")
    target.refresh_from_db()
    assert target.state == rules.MOVED and target.moved_to is not None
    child = target.moved_to
    assert child.parent_id == batch.pk and step_code(child) == "village_notice"
    assert list(child.members.values_list("household_id", "state")) == [(five[3].pk, rules.ACTIVE)]
    child = do(county, child, "publish", D(2024, 3, 13))
    with pytest.raises(Invalid):
        do(county, child, "close", D(2024, 3, 19))
    child = do(county, child, "close", D(2024, 3, 20))
    advance(county, child, on=D(2024, 3, 21))
    assert child.status == rules.DONE
    change = StatusChange.objects.filter(household=five[3], status="registered").get()
    assert change.source == f"procedure:{child.pk}"


def test_objection_only_during_an_open_notice_and_for_a_listed_household(county, five):
    batch = start(county, five[:4])
    with clock.frozen(D(2024, 2, 1)), pytest.raises(Invalid, match="notice"):
        actions.raise_objection(county, batch, batch.members.first().pk, content="x")
    batch = _at_notice(county, [five[4]])
    other = BatchMember.objects.exclude(batch=batch).first()
    with clock.frozen(D(2024, 3, 2)), pytest.raises(Invalid, match="not on the notice"):
        actions.raise_objection(county, batch, other.pk, content="x")
    member = batch.members.get()
    with clock.frozen(D(2024, 3, 9)), pytest.raises(Invalid, match="2024-03-07"):
        actions.raise_objection(county, batch, member.pk, content="late", received_on=D(2024, 3, 8))
    with clock.frozen(D(2024, 3, 9)):
        late_recorded = actions.raise_objection(county, batch, member.pk, content="received in time",
                                                received_on=D(2024, 3, 7))
    assert late_recorded.received_on == D(2024, 3, 7)
    with pytest.raises(Invalid, match="No household is active"):
        do(county, batch, "close", D(2024, 3, 9))


# --- the appraisal through the action --------------------------------------------------------

def test_appraisal_pass_rule_at_its_edges(county, five):
    batch = start(county, five[:3])
    day = advance(county, batch, until="appraisal")
    members = list(batch.members.order_by("pk"))
    votes = {members[0].pk: [11, 9, 0], members[1].pk: [10, 10, 0], members[2].pk: [10, 5, 5]}
    with pytest.raises(Invalid, match="not quorate"):
        do(county, batch, "appraise", day, held_on=day, total=30, present=19,
           minutes="m", votes={k: [9, 10, 0] for k in votes})
    assert not AppraisalMeeting.objects.exists()
    with pytest.raises(Invalid, match="more votes"):
        do(county, batch, "appraise", day, held_on=day, total=30, present=20,
           minutes="m", votes={**votes, members[0].pk: [15, 9, 0]})
    with pytest.raises(Invalid, match="missing"):
        do(county, batch, "appraise", day, held_on=day, total=30, present=20,
           minutes="m", votes={members[0].pk: [20, 0, 0]})
    batch = do(county, batch, "appraise", day, held_on=day, total=30, present=20,
               minutes="村民代表大会", votes=votes)
    states = [m.state for m in batch.members.order_by("pk")]
    assert states == [rules.ACTIVE, rules.WITHDRAWN, rules.WITHDRAWN]
    meeting = AppraisalMeeting.objects.get()
    assert meeting.rule["quorum"] == [2, 3] and meeting.votes.filter(passed=True).count() == 1
    assert step_code(batch) == "village_notice"
    docs = StepDocument.objects.filter(record=meeting.record).values_list("code", flat=True)
    assert sorted(docs) == ["appraisal_minutes", "vote_tally"]


# --- the whole identification procedure ------------------------------------------------------

def test_identification_registers_the_households_with_the_identification_date(county, five):
    batch = start(county, five)
    end = advance(county, batch, on=D(2024, 2, 1))
    batch.refresh_from_db()
    assert batch.status == rules.DONE and batch.completed_on == end - dt.timedelta(days=1)
    for h in five:
        h.refresh_from_db()
        assert h.status == "registered" and h.status_date == batch.completed_on
        change = StatusChange.objects.get(household=h, status="registered")
        assert change.date == batch.completed_on and change.source == f"procedure:{batch.pk}"
    assert set(batch.members.values_list("state", flat=True)) == {rules.COMPLETED}
    records = list(batch.records.order_by("index"))
    assert len(records) == 9 and all(r.started and r.closed for r in records)
    notices = [r for r in records if r.code in ("village_notice", "township_notice")]
    assert all((r.closed - r.started).days == 7 for r in notices)
    assert StepDocument.objects.filter(record__batch=batch).count() == 10
    actions_logged = set(AuditEvent.objects.filter(object_type="procedures.procedurebatch",
                                                   object_id=str(batch.pk)).values_list("action", flat=True))
    assert {"procedures.batch.start", "procedures.step.close", "procedures.notice.publish",
            "procedures.appraisal.record", "procedures.batch.complete"} <= actions_logged
    bulk = AuditEvent.objects.get(action="registry.household.status_many")
    assert bulk.count == 5 and bulk.items.count() == 5


def test_review_rejects_with_a_reason_and_withdraw_empties_the_batch(county, five):
    batch = start(county, five[:2])
    advance(county, batch, until="township_review")
    first, second = batch.members.order_by("pk")
    with pytest.raises(Invalid, match="reason"):
        do(county, batch, "decide", D(2024, 3, 1), rejected={first.pk: ""})
    batch = do(county, batch, "decide", D(2024, 3, 1), rejected={first.pk: "收入超标"})
    first.refresh_from_db()
    assert first.state == rules.WITHDRAWN and "收入超标" in first.reason
    batch = do(county, batch, "withdraw", D(2024, 3, 2), members=[second.pk], reason="农户自愿退出申请")
    assert batch.status == rules.CANCELLED


# --- who may act ------------------------------------------------------------------------------

def test_each_step_needs_the_permission_its_data_names_in_the_batch_area(county, five, make_user):
    cadre = Actor(make_user("village_cadre", VILLAGE_A))
    township = Actor(make_user("township_officer", TOWNSHIP_A))
    helper = Actor(make_user("helper", VILLAGE_A))
    outsider = Actor(make_user("county_office", "360783000000"))
    batch = start(cadre, five)
    batch = do(cadre, batch, "complete", D(2024, 2, 1))  # application (group level)
    batch = do(cadre, batch, "complete", D(2024, 2, 1))  # visit (village)
    for who in (cadre, township, helper, outsider):  # the data check is the county's
        with pytest.raises(Forbidden):
            do(who, batch, "complete", D(2024, 2, 2))
    batch = do(county, batch, "complete", D(2024, 2, 2))
    assert step_code(batch) == "appraisal"


def test_an_edited_type_changes_new_batches_only(county, five, make_user):
    admin = Actor(make_user("admin", None))
    running = start(county, five[:2])
    definition = ptype().definition
    definition["steps"][4]["days"] = 10
    with pytest.raises(Forbidden):
        actions.save_type(county, ptype(), definition)
    actions.save_type(admin, ptype(), definition)
    assert ptype().steps[4]["days"] == 10
    running.refresh_from_db()
    assert running.steps[4]["days"] == 7
    with pytest.raises(Invalid, match="days"):
        actions.save_type(admin, ptype(), {**definition, "steps": [{**definition["steps"][4], "days": 0}]})
    copy = actions.copy_type(admin, ptype(), "identification_local")
    assert copy.active is False and copy.steps[4]["days"] == 10
    with pytest.raises(Invalid, match="exists"):
        actions.copy_type(admin, ptype(), "identification_local")


# --- two officers at once ---------------------------------------------------------------------

def test_a_stale_version_is_refused_and_nothing_is_done_twice(county, five):
    batch = start(county, five)
    seen = ProcedureBatch.objects.get(pk=batch.pk)  # both officers loaded the page at this version
    with clock.frozen(D(2024, 2, 1)):
        actions.act(county, seen, step="application", action="complete", version=seen.version)
        with pytest.raises(Conflict) as exc:
            actions.act(county, seen, step="application", action="complete", version=seen.version)
        assert "nothing was done" in str(exc.value.message)
        with pytest.raises(Conflict):  # the right step, but an old page
            actions.act(county, seen, step="visit", action="complete", version=seen.version)
    assert StepRecord.objects.filter(batch=batch, code="application", closed__isnull=False).count() == 1
    assert step_code(batch) == "visit"
    assert AuditEvent.objects.filter(action="procedures.step.close").count() == 1


@pytest.mark.parametrize("version", ["abc", "1.5", "9" * 40])
def test_a_version_that_is_not_a_number_is_refused_as_stale(county, five, version):
    """A tampered form's version is a conflict with a message (it was a ValueError, a 500)."""
    batch = start(county, five)
    with clock.frozen(D(2024, 2, 1)), pytest.raises(Conflict):
        actions.act(county, batch, step="application", action="complete", version=version)
    assert step_code(batch) == "application"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_officers_closing_the_same_notice_at_once(two_counties, make_user):
    county = Actor(make_user("county_office", COUNTY_A))
    batch = start(county, make_households(VILLAGE_A, 3))
    advance(county, batch, until="village_notice")
    batch = do(county, batch, "publish", D(2024, 3, 1))
    barrier, results = threading.Barrier(2), []

    def officer():
        from django.db import connection as conn

        try:
            barrier.wait()
            with clock.frozen(D(2024, 3, 8)):
                actions.act(county, batch, step="village_notice", action="close", version=batch.version)
            results.append("ok")
        except Conflict:
            results.append("conflict")
        finally:
            conn.close()

    threads = [threading.Thread(target=officer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    assert StepRecord.objects.filter(batch=batch, code="township_review").count() == 1
    assert AuditEvent.objects.filter(action="procedures.step.close", after__step="village_notice").count() == 1

