"""The audit event's page names every value an action logs, also those that are no field of
the object's model (a batch's ``households``, a notice's ``step`` and ``days``, a pairing's
``helper_name``): each by the label the app that logs it declares in its ``audit_fields``
module (or by the field of the model the action logs), translated; codes by their labels (a
step by its name in the batch), lists and dicts spelt out. The log itself is unchanged (the raw
key and value stay in a title)."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import translation

from fupin.audit import actions as audit
from fupin.audit import present
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.delisting.models import CountyStep
from fupin.procedures.models import ProcedureBatch
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A
from tests.test_procedures import FEB_1, MAR_1, D, advance, do, make_households, start

pytestmark = pytest.mark.usefixtures("english")

ROW = re.compile(r'<tr data-field="([^"]+)"><td title="[^"]*">(.*?)</td><td title="[^"]*">(.*?)</td>'
                 r'<td title="[^"]*">(.*?)</td></tr>', re.S)


def rows(client, event) -> dict[str, tuple[str, str, str]]:
    """{key: (label, before, after)} of the event's page."""
    body = client.get(reverse("audit:detail", args=[event.pk])).content.decode()
    return {m[0]: tuple(html.unescape(x) for x in m[1:]) for m in ROW.findall(body)}


def assert_every_key_labelled(client, event) -> dict[str, tuple[str, str, str]]:
    shown = rows(client, event)
    assert set(shown) == {name for name, _old, _new in event.changed_fields()}, event.action
    raw = {key for key, (label, _b, _a) in shown.items() if label == key}
    assert not raw, f"{event.action}: keys shown raw: {raw}"
    for key, (_label, before, after) in shown.items():
        for text in (before, after):
            assert not re.search(r"[\[{]'|'[\]}]|\bTrue\b|\bFalse\b|\bNone\b", text), (event.action, key, text)
    return shown


@pytest.fixture
def inspector(two_counties, make_user, login):
    return login(make_user("inspector", COUNTY_A))


# --- a procedure run through (the engine's own events) ----------------------------------------

@pytest.fixture
def batch(two_counties, make_user):
    county = Actor(make_user("county_office", COUNTY_A))
    households = make_households(VILLAGE_A, 3)
    batch = start(county, households)
    advance(county, batch, until="village_notice")
    batch = do(county, batch, "publish", MAR_1)
    from fupin.procedures import actions

    target = batch.members.get(household=households[0])
    with clock.frozen(D(2024, 3, 2)):
        objection = actions.raise_objection(county, batch, target.pk, content="有商品房")
    with clock.frozen(D(2024, 3, 4)):
        actions.resolve_objection(county, objection, upheld=False, text="经核实无商品房")
    advance(county, batch, on=D(2024, 3, 10))
    batch.refresh_from_db()
    return batch


PROCEDURE_ACTIONS = ["procedures.batch.start", "procedures.step.close", "procedures.notice.publish",
                     "procedures.appraisal.record", "procedures.objection.raise", "procedures.objection.resolve",
                     "procedures.batch.complete"]


def test_a_procedure_batch_events_name_every_value(batch, inspector):
    events = AuditEvent.objects.filter(object_type="procedures.procedurebatch", object_id=str(batch.pk))
    assert set(PROCEDURE_ACTIONS) <= set(events.values_list("action", flat=True))
    for event in events.filter(after__isnull=False):
        assert_every_key_labelled(inspector, event)
    publish = rows(inspector, events.get(action="procedures.notice.publish", after__step="village_notice"))
    step = next(s for s in batch.steps if s["code"] == "village_notice")
    assert publish["step"] == ("Step", "", step["name_en"])  # by its name in the batch, not its code
    assert publish["days"][0] == "Notice days" and publish["days"][2] == str(step["days"])
    assert publish["households"][0] == "Households listed" and publish["from"][0] == "First day of the notice"
    started = rows(inspector, events.get(action="procedures.batch.start"))
    assert started["households"] == ("Number of households", "", "3")
    assert started["type"][2] == batch.type.label != batch.type.code
    complete = rows(inspector, events.get(action="procedures.batch.complete"))
    assert complete["hook"][0] == "On completion" and "registry.set_status" not in complete["hook"][2]
    resolved = rows(inspector, events.get(action="procedures.objection.resolve"))
    assert resolved["decision"][2] == "Rejected" and resolved["household_now"][2] == "Active"
    appraisal = rows(inspector, events.get(action="procedures.appraisal.record"))
    assert appraisal["held_on"][0] == "Meeting date" and appraisal["total"][0] == "Representatives"


def test_the_labels_are_translated(batch, inspector, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    event = AuditEvent.objects.get(object_id=str(batch.pk), action="procedures.notice.publish",
                                   after__step="village_notice")
    with translation.override("zh-hans"):
        shown = rows(inspector, event)
        step = next(s for s in batch.steps if s["code"] == "village_notice")
        assert shown["step"][2] == step["name"]  # 村内第一次公示
        # (labels the lead has not translated yet read in English meanwhile, never as the key)
        assert shown["days"][0] == "公示天数"  # the msgid "notice days" the delisting pages use already
        assert shown["step"][0] == "环节"
        assert all(label != key for key, (label, _b, _a) in shown.items())


# --- one event of each other kind that logs values no model field names --------------------------

# (action, object type, before, after): the shapes the apps' actions log.
EVENTS = [
    ("accounts.token.create", "accounts.user", None, {"token": "fp_abcde", "label": "etl"}),
    ("areas.import", "areas.area", None, {"created": 3, "renamed": 1, "file": "areas.xlsx"}),
    ("assistance.pairing.create", "registry.household", None,
     {"helper": 5, "helper_name": "王帮扶", "start": "2026-01-02", "replaced": [3, 4]}),
    ("assistance.team.member_add", "assistance.workteam", None,
     {"person": 5, "name": "李队员", "role": "member", "start": "2026-01-02"}),
    ("assistance.team.attendance", "assistance.workteam", {"person": 5, "month": "2026-01-01", "days": 18},
     {"person": 5, "month": "2026-01-01", "days": 20}),
    ("assistance.measure.carry", "registry.household", None,
     {"year": 2025, "measures": [11, 12], "added": {"crops": "1200.00", "wages": "300.00"}}),
    ("assistance.measure.void", "assistance.measure", {"type": "industry"},
     {"voided": True, "ledger": {"year": 2025, "item": "crops", "amount": "1200.00"}}),
    ("assistance.visit.create", "registry.household", None,
     {"visit": 9, "helper": 5, "date": "2026-01-05", "photos": 2}),
    ("assistance.agreement.decide", "assistance.agreement", None,
     {"month": "2026-01-01", "absences": 3, "decision": "keep", "reason": "病假", "ended_on": None}),
    ("assistance.import.pairings", "assistance.pairing", None, {"pairings_created": 4, "helpers_created": 1}),
    ("assistance.demo.load", "registry.household", None,
     {"helpers": 3, "gaps": {"households_without_helper": ["3607291", "3607292"]}}),
    ("comparison.dataset.import", "comparison.externaldataset", None,
     {"kind": "vehicle", "source": "交警大队", "as_of": "2016-06-30", "area_code": COUNTY_A, "records": 5,
      "file": "cars.xlsx"}),
    ("comparison.match", "comparison.externaldataset", None,
     {"created": 2, "hits": 3, "before": 1, "after": 1, "undated": 1, "info": 0}),
    ("delisting.village.notice", "delisting.villageassessment", None,
     {"start": "2026-03-01", "last_day": "2026-03-07", "days": 7}),
    ("delisting.village.objection", "delisting.villageassessment", None,
     {"received_on": "2026-03-02", "objector": "张三", "content": "有异议"}),
    ("delisting.village.objection_decide", "delisting.villageassessment", None,
     {"objection": 4, "upheld": False, "answer": "经核实不成立"}),
    ("delisting.village.approve", "delisting.villageassessment", None,
     {"approved": True, "date": "2026-03-10", "note": ""}),
    ("delisting.round.city_review", "delisting.countyround", None,
     {"date": "2026-04-01", "approved": True, "note": "", "state": "city_ok"}),
    ("delisting.survey.import", "registry.household", None, {"round": 3}),
    ("exits.return.start", "exits.returncase", None,
     {"household": "3607291002010001", "reason": "因病", "found_on": "2026-02-01", "batch": 7}),
    ("exits.observation.close", "registry.household", None, {"on": "2026-02-01", "households": 12, "end_dates": 2}),
    ("identification.run.start", "identification.rulerun", None,
     {"kind": "simulation", "area": "360729", "year": 2026,
      "changes": {"lines": [{"kind": "national", "area_prefix": "", "value": "4000"}], "criteria": []}}),
    ("identification.run.done", "identification.rulerun", None,
     {"households": 10, "eligible": 8, "flagged": 1, "changed": 0, "duration_ms": 120}),
    ("jobs.start", "jobs.job", None,
     {"kind": "comparison.import", "params": {"path": "var/uploads/x.xlsx", "as_of": "2016-06-30", "dry_run": False}}),
    ("monitoring.record.open", "monitoring.monitoredhousehold", None, {"channel": "visit", "risks": []}),
    ("monitoring.discovery.add", "monitoring.monitoredhousehold", None,
     {"channel": "phone", "date": "2026-01-03", "who": "张三", "what": "因病"}),
    ("monitoring.visit.add", "monitoring.monitoredhousehold", None,
     {"date": "2026-01-04", "visitors": "李四、王五", "consent_signed": True}),
    ("monitoring.help.add", "monitoring.monitoredhousehold", None,
     {"date": "2026-01-05", "what": "临时救助", "amount": "500.00", "given_by": "民政", "first": True}),
    ("monitoring.risk.resolve", "monitoring.monitoredhousehold", None, {"risk": "x", "resolved_on": "2026-02-01"}),
    ("monitoring.record.identify", "monitoring.monitoredhousehold", None, {"since": "2026-02-01", "batch": 8}),
    ("monitoring.application.submit", "monitoring.application", None, {"channel": "public", "village": VILLAGE_A}),
    ("monitoring.application.accept", "monitoring.application", None, {"record": 3, "household": "36072910"}),
    ("monitoring.warnings.import", "monitoring.warningimport", None, {"department": "民政局", "rows": 12}),
    ("registry.household.status_many", "registry.household", None,
     {"status": "exited", "date": "2026-01-01", "reason": "年度退出", "source": "import"}),
    ("registry.recheck.record", "registry.household", None, {"round": 2, "changes": "新增一人"}),
    ("registry.recheck.close", "registry.recheckround", None, {"unchecked": 4}),
    ("registry.duplicate.decide", "registry.member", None, {"b": 7, "same": False, "note": "同名"}),
    ("registry.duplicate.find", "registry.duplicatecandidate", None,
     {"name_birth_village": 2, "pinyin_one_char": 1, "pinyin_filled": 40}),
    ("registry.import", "registry.household", None,
     {"rows": 10, "households_created": 2, "households_updated": 1, "households_unchanged": 7,
      "members_created": 5, "members_updated": 0, "status_changes": 1, "area_code": COUNTY_A}),
    ("registry.quality.run", "registry.qualityrun", None,
     {"on": "2026-06-01", "income_year": 2025, "issues": {"head_under_age": 2}}),
    ("registry.stats.refresh", "registry.statsrollup", None,
     {"counties": 1, "rows": 40, "seconds": 0.5, "changed_only": True}),
    ("procedures.document.render", "procedures.stepdocument", None,
     {"batch": 999999, "step": "village_notice", "document": "village_notice", "version": 1,
      "sha256": "ab" * 32, "bytes": 2048, "file": "procedures/x.pdf"}),
]


@pytest.mark.parametrize(("action", "object_type", "before", "after"), EVENTS, ids=[e[0] for e in EVENTS])
def test_every_value_of_the_event_has_a_label(inspector, action, object_type, before, after):
    event = audit.record(SYSTEM, action, object_type=object_type, object_id="1", area_code=VILLAGE_A,
                         before=before, after=after)
    assert_every_key_labelled(inspector, event)


def test_values_are_read_for_people(inspector):
    def shown(action, object_type, after, key):
        event = audit.record(SYSTEM, action, object_type=object_type, object_id="1", area_code=VILLAGE_A,
                             after=after)
        return rows(inspector, event)[key]

    # a list of ids, joined; a dict by its keys' labels
    assert shown("assistance.pairing.create", "registry.household", {"replaced": [3, 4]}, "replaced") == (
        "Helpers replaced", "", "#3, #4")
    gaps = shown("assistance.demo.load", "registry.household",
                 {"gaps": {"households_without_helper": ["A1", "A2"]}}, "gaps")[2]
    assert gaps == "Households without a helper: A1, A2"
    # an income ledger's items by their labels
    added = shown("assistance.measure.carry", "registry.household", {"added": {"crops": "1200.00"}}, "added")[2]
    assert "crops" not in added and "1200.00" in added
    # codes by their labels: a channel (the discovery's choices), a decision, a data set's kind
    assert shown("monitoring.discovery.add", "monitoring.monitoredhousehold", {"channel": "phone"},
                 "channel") == ("Channel", "", "The household called")
    assert shown("assistance.agreement.decide", "assistance.agreement", {"decision": "keep"},
                 "decision")[2] == "Keep the agreement"
    assert shown("comparison.dataset.import", "comparison.externaldataset", {"kind": "vehicle"},
                 "kind")[2] == "Vehicles"
    # yes/no, a duplicate search's counts by their reasons
    assert shown("monitoring.visit.add", "monitoring.monitoredhousehold", {"consent_signed": True},
                 "consent_signed") == ("Authorisation signed", "", "yes")
    assert shown("registry.duplicate.find", "registry.duplicatecandidate", {"name_birth_village": 2},
                 "name_birth_village")[0] == "Same name and birth date in the same village"
    # a list of dicts: each item's keys labelled
    changes = shown("identification.run.start", "identification.rulerun",
                    {"changes": {"lines": [{"kind": "national", "area_prefix": "", "value": "4000"}]}}, "changes")[2]
    assert changes == "Changed lines: National poverty line (whole country): 4000"
    # ids of rows as #id; a county round's state by its label
    assert shown("assistance.visit.create", "registry.household", {"visit": 9}, "visit") == ("Visit", "", "#9")
    assert shown("delisting.round.city_review", "delisting.countyround", {"state": "city_ok"},
                 "state")[2] == "Reviewed by the city"
    # a date-time the log keeps in UTC, in local time as the page shows times
    at = shown("jobs.start", "jobs.job", {"params": {"on": "2026-11-23T00:15:00+00:00"}}, "params")[2]
    assert at == "Date: 2026-11-23 08:15:00"


def test_the_raw_key_and_value_stay_for_an_inspector(inspector):
    event = audit.record(SYSTEM, "procedures.notice.publish", object_type="procedures.procedurebatch",
                         object_id="999999", area_code=VILLAGE_A, after={"step": "village_notice", "days": 7})
    body = inspector.get(reverse("audit:detail", args=[event.pk])).content.decode()
    assert '<td title="days">Notice days</td>' in body
    assert 'title="village_notice">village_notice<' in body  # no such batch: the code as logged
    assert AuditEvent.objects.get(pk=event.pk).after == {"step": "village_notice", "days": 7}


def test_a_key_no_app_declares_is_shown_as_logged(inspector):
    event = audit.record(SYSTEM, "someapp.thing", object_type="procedures.procedurebatch", object_id="1",
                         area_code=VILLAGE_A, after={"no_such_key": 1})
    assert rows(inspector, event)["no_such_key"][0] == "no_such_key"
    assert present.field_label("no.such", "some_key", "no.such.action") == "some_key"


def test_the_county_steps_the_delisting_module_names_are_the_models(db):
    from fupin.delisting import audit_fields as delisting_fields

    assert list(delisting_fields.COUNTY_STEPS) == [code for code, _label in CountyStep.CODES]


def test_every_declared_model_exists_and_every_label_is_translatable(db):
    from django.utils.functional import Promise

    declared = present.declared()
    for action, model in declared.action_models.items():
        assert present.model_of(model) is not None, (action, model)
    for scope, labels in declared.fields.items():
        for key, label in labels.items():
            assert isinstance(label, Promise), (scope, key)  # gettext_lazy: read in the reader's language


def test_a_batch_step_in_a_document_event(batch, inspector):
    event = audit.record(SYSTEM, "procedures.document.render", object_type="procedures.stepdocument",
                         object_id="1", area_code=VILLAGE_A, after={"batch": batch.pk, "step": "village_notice"})
    step = next(s for s in batch.steps if s["code"] == "village_notice")
    assert rows(inspector, event)["step"] == ("Step", "", step["name_en"])
    assert isinstance(ProcedureBatch.objects.get(pk=batch.pk).steps, list)


def test_dates_unchanged(inspector):
    event = audit.record(SYSTEM, "exits.observation.close", object_type="registry.household", object_id="1",
                         area_code=VILLAGE_A, after={"on": dt.date(2026, 2, 1)})
    assert rows(inspector, event)["on"] == ("Date", "", "2026-02-01")
    assert FEB_1.year == 2024  # (the procedure helpers' dates)
