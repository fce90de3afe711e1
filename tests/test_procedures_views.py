"""The procedure pages and API: a county officer takes a batch through the
identification procedure with both notices and an objection in the browser's forms;
the printable notice masks ID numbers; the API does the same and answers 409 to a
stale page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.conf import settings
from django.urls import reverse

from fupin.core import clock
from fupin.procedures import rules
from fupin.procedures.models import Objection, ProcedureBatch, ProcedureType
from fupin.registry.models import Household, StatusChange
from tests.conftest import COUNTY_A, VILLAGE_A
from tests.test_procedures import make_households

D = dt.date


@pytest.fixture
def officer(two_counties, make_user):
    return make_user("county_office", COUNTY_A)


@pytest.fixture
def login(login):
    """Pages in English, so that messages are asserted in their English originals."""

    def do(user):
        client = login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return do


@pytest.fixture
def api(api):
    def make(user):
        client = api(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def _batch_page(client, batch):
    response = client.get(reverse("procedures:batch", args=[batch.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _post_act(client, batch, action, on, **fields):
    batch.refresh_from_db()
    data = {"step": batch.current_step["code"], "version": batch.version, "action": action, **fields}
    with clock.frozen(on):
        return client.post(reverse("procedures:act", args=[batch.pk]), data)


def test_a_county_officer_runs_identification_in_the_browser(officer, login):
    households = make_households(VILLAGE_A, 3, names={1: "李明", 2: "王芳", 3: "赵强"})
    client = login(officer)
    assert client.get(reverse("procedures:list")).status_code == 200
    page = client.get(reverse("procedures:start"), {"type": "identification_2014", "area": VILLAGE_A}).content.decode()
    assert all(h.number in page for h in households)
    with clock.frozen(D(2024, 2, 1)):
        response = client.post(reverse("procedures:start"), {
            "type": "identification_2014", "area": VILLAGE_A, "households": [h.pk for h in households],
            "title": "石桥村2024年识别"})
    batch = ProcedureBatch.objects.get(title="石桥村2024年识别")
    assert response.status_code == 302 and response["Location"] == reverse("procedures:batch", args=[batch.pk])
    assert "Current step: Application by the household or nomination by the village group" in _batch_page(
        client, batch)  # the step's name in the page's language (English here)

    for _ in range(3):  # application, visit, data check
        assert _post_act(client, batch, "complete", D(2024, 2, 2), notes="已完成").status_code == 302
    members = list(batch.members.order_by("pk"))
    page = _batch_page(client, batch)
    assert "Current step: Village representatives' appraisal" in page.replace("&#x27;", "'") and "2/3" in page

    def votes(pairs):
        out = {}
        for m, (f, a) in zip(members, pairs, strict=True):
            out.update({f"for_{m.pk}": f, f"against_{m.pk}": a, f"abstain_{m.pk}": 0})
        return out

    response = _post_act(client, batch, "appraise", D(2024, 2, 3), held_on="2024-02-03", total=30, present=19,
                         minutes="会议记录", **votes([(15, 4), (10, 9), (9, 10)]))
    page = response.content.decode()
    assert response.status_code == 422 and "not quorate" in page
    assert "会议记录</textarea>" in page and 'value="15"' in page  # what was typed is kept
    response = _post_act(client, batch, "appraise", D(2024, 2, 3), held_on="2024-02-03", total=30, present=20,
                         minutes="会议记录", **votes([(15, 5), (11, 9), (10, 10)]))
    assert response.status_code == 302
    assert [m.state for m in batch.members.order_by("pk")] == [rules.ACTIVE, rules.ACTIVE, rules.WITHDRAWN]

    assert _post_act(client, batch, "publish", D(2024, 3, 1), notes="村务公开栏").status_code == 302
    notice = client.get(reverse("procedures:notice", args=[batch.pk, 4])).content.decode()
    head_id = households[0].members.get().id_number
    assert "李明" in notice and "王芳" in notice and "赵强" not in notice
    assert head_id not in notice and head_id[:6] + "********" + head_id[-4:] in notice
    assert "2024-03-07" in notice

    with clock.frozen(D(2024, 3, 2)):
        response = client.post(reverse("procedures:objection_raise", args=[batch.pk]), {
            "member": members[1].pk, "content": "家中有财政供养人员", "objector_name": "匿名",
            "objector_contact": "13912345678", "received_on": "2024-03-02"})
    assert response.status_code == 302
    page = _batch_page(client, batch)
    assert "家中有财政供养人员" in page and "13912345678" not in page and "139****5678" in page

    response = _post_act(client, batch, "close", D(2024, 3, 7))
    assert response.status_code == 422 and "2024-03-08" in response.content.decode()
    assert _post_act(client, batch, "close", D(2024, 3, 8)).status_code == 302
    objection = Objection.objects.get()
    with clock.frozen(D(2024, 3, 9)):
        response = client.post(reverse("procedures:objection_resolve", args=[objection.pk]),
                               {"decision": "upheld", "text": "经核实，其子为乡镇公务员"})
    assert response.status_code == 302
    assert batch.members.get(pk=members[1].pk).state == rules.WITHDRAWN

    assert _post_act(client, batch, "decide", D(2024, 3, 10)).status_code == 302  # township review
    assert _post_act(client, batch, "publish", D(2024, 3, 11)).status_code == 302
    assert _post_act(client, batch, "close", D(2024, 3, 18)).status_code == 302
    assert _post_act(client, batch, "decide", D(2024, 3, 19)).status_code == 302  # county approval
    assert _post_act(client, batch, "publish", D(2024, 3, 20)).status_code == 302
    assert _post_act(client, batch, "close", D(2024, 3, 25)).status_code == 302
    batch.refresh_from_db()
    assert batch.status == rules.DONE and batch.completed_on == D(2024, 3, 25)
    assert Household.objects.get(pk=households[0].pk).status == "registered"
    assert StatusChange.objects.filter(household=households[0], status="registered", date=D(2024, 3, 25)).exists()
    assert Household.objects.get(pk=households[1].pk).status == "identified"
    assert "已完成" in _batch_page(client, batch) or "Completed" in _batch_page(client, batch)


def test_a_stale_page_gets_a_conflict_and_nothing_happens_twice(officer, login):
    client = login(officer)
    households = make_households(VILLAGE_A, 2)
    with clock.frozen(D(2024, 2, 1)):
        client.post(reverse("procedures:start"), {"type": "identification_2014", "area": VILLAGE_A,
                                                  "households": [h.pk for h in households]})
    batch = ProcedureBatch.objects.get()
    stale = {"step": "application", "version": batch.version, "action": "complete"}
    with clock.frozen(D(2024, 2, 2)):
        assert client.post(reverse("procedures:act", args=[batch.pk]), stale).status_code == 302
        response = client.post(reverse("procedures:act", args=[batch.pk]), stale)
    assert response.status_code == 409
    assert batch.records.filter(closed__isnull=False).count() == 1


def test_review_form_rejects_with_reasons(officer, login):
    from tests.test_procedures import advance, start

    client = login(officer)
    households = make_households(VILLAGE_A, 2)
    from fupin.core.actor import Actor

    batch = start(Actor(officer), households)
    day = advance(Actor(officer), batch, until="township_review")
    first = batch.members.order_by("pk").first()
    response = _post_act(client, batch, "decide", day, **{f"reject_{first.pk}": "on", f"reason_{first.pk}": ""})
    assert response.status_code == 422 and "reason" in response.content.decode()
    response = _post_act(client, batch, "decide", day, **{f"reject_{first.pk}": "on", f"reason_{first.pk}": "收入超标"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.state == rules.WITHDRAWN and "收入超标" in first.reason


def test_types_are_read_by_all_and_edited_by_administrators(officer, login, make_user):
    client = login(officer)
    assert "identification_2014" in client.get(reverse("procedures:types")).content.decode()
    page = client.get(reverse("procedures:type", args=["identification_2014"])).content.decode()
    assert "国开办发" in page and "泗水县" in page and 'name="definition"' not in page
    assert client.post(reverse("procedures:type", args=["identification_2014"]), {"definition": "{}"}).status_code == 403
    admin = login(make_user("admin", None))
    response = admin.post(reverse("procedures:type", args=["identification_2014"]), {"definition": "{not json"})
    assert response.status_code == 200 and "Not valid JSON" in response.content.decode()
    definition = ProcedureType.objects.get(code="identification_2014").definition
    definition["steps"][4]["days"] = 0
    response = admin.post(reverse("procedures:type", args=["identification_2014"]),
                          {"definition": json.dumps(definition), "active": "on"})
    assert response.status_code == 200 and "natural days" in response.content.decode()
    definition["steps"][4]["days"] = 8
    response = admin.post(reverse("procedures:type", args=["identification_2014"]),
                          {"definition": json.dumps(definition), "active": "on"})
    assert response.status_code == 302
    assert ProcedureType.objects.get(code="identification_2014").steps[4]["days"] == 8
    response = admin.post(reverse("procedures:type_copy", args=["identification_2014"]), {"code": "local_copy"})
    assert response.status_code == 302 and ProcedureType.objects.filter(code="local_copy", active=False).exists()


# --- the API ------------------------------------------------------------------------------

def test_api_runs_a_batch_with_an_objection(officer, api):
    households = make_households(VILLAGE_A, 2)
    client = api(officer)
    types = client.get("/api/v1/procedures/types").json()
    assert {t["code"] for t in types} >= {"identification_2014", "identification_5day"}
    with clock.frozen(D(2024, 2, 1)):
        response = client.post("/api/v1/procedures/batches", json.dumps({
            "type": "identification_5day", "area_code": VILLAGE_A, "households": [h.pk for h in households]}),
            content_type="application/json")
    assert response.status_code == 201, response.content
    batch = response.json()
    assert batch["current_step"] == "application" and len(batch["members"]) == 2

    def act(payload, on):
        with clock.frozen(on):
            return client.post(f"/api/v1/procedures/batches/{batch['id']}/act", json.dumps(payload),
                               content_type="application/json")

    version = batch["version"]
    for code in ("application", "visit", "data_check"):
        response = act({"step": code, "action": "complete", "version": version}, D(2024, 2, 2))
        assert response.status_code == 200, response.content
        version = response.json()["version"]
    stale = act({"step": "appraisal", "action": "appraise", "version": version - 1}, D(2024, 2, 2))
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    votes = {str(m["id"]): [20, 0, 0] for m in batch["members"]}
    response = act({"step": "appraisal", "action": "appraise", "version": version, "held_on": "2024-02-02",
                    "total": 30, "present": 20, "minutes": "记录", "votes": votes}, D(2024, 2, 2))
    assert response.status_code == 200, response.content
    assert act({"step": "village_notice", "action": "publish"}, D(2024, 3, 1)).status_code == 200
    member = batch["members"][0]["id"]
    with clock.frozen(D(2024, 3, 2)):
        for stamp in (1709337600, "2024-03-02T00:00:00", "2024-02-30"):  # dates are read as the pages read them
            refused = client.post(f"/api/v1/procedures/batches/{batch['id']}/objections",
                                  json.dumps({"member": member, "content": "有车", "received_on": stamp}),
                                  content_type="application/json")
            assert refused.status_code == 422 and refused.json()["field"] == "received_on", refused.content
        response = client.post(f"/api/v1/procedures/batches/{batch['id']}/objections",
                               json.dumps({"member": member, "content": "有车"}), content_type="application/json")
    assert response.status_code == 201, response.content
    objection = response.json()
    early = act({"step": "village_notice", "action": "close"}, D(2024, 3, 5))
    assert early.status_code == 422 and "2024-03-06" in early.json()["message"]
    with clock.frozen(D(2024, 3, 3)):
        response = client.post(f"/api/v1/procedures/objections/{objection['id']}/resolve",
                               json.dumps({"upheld": False, "text": "车辆已于识别前报废，已答复"}),
                               content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    detail = client.get(f"/api/v1/procedures/batches/{batch['id']}").json()
    assert {m["state"] for m in detail["members"]} == {"active"}
    assert detail["steps"][4]["last_day"] == "2024-03-05"
    listing = client.get("/api/v1/procedures/batches").json()
    assert listing["count"] == 1 and listing["items"][0]["counts"] == {"active": 2}


def test_a_follow_up_batch_shows_where_it_came_from(officer, login):
    from fupin.core.actor import Actor
    from fupin.procedures import actions
    from tests.test_procedures import advance, start

    client = login(officer)
    actor = Actor(officer)
    batch = start(actor, make_households(VILLAGE_A, 2))
    advance(actor, batch, until="village_notice")
    with clock.frozen(D(2024, 3, 1)):
        batch = actions.act(actor, batch, step="village_notice", action="publish")
    member = batch.members.order_by("pk").first()
    with clock.frozen(D(2024, 3, 7)):
        objection = actions.raise_objection(actor, batch, member.pk, content="有异议")
    with clock.frozen(D(2024, 3, 8)):
        batch = actions.act(actor, batch, step="village_notice", action="close")
    with clock.frozen(D(2024, 3, 9)):
        actions.resolve_objection(actor, objection, upheld=False, text="已答复")
    member.refresh_from_db()
    child = member.moved_to
    page = _batch_page(client, child)
    assert f"#{batch.pk}" in page and "done in the earlier batch" in page and "Publish the notice" in page
    parent_page = _batch_page(client, batch)
    assert f"#{child.pk}" in parent_page and "已答复" in parent_page
    assert client.get(reverse("procedures:notice", args=[batch.pk, 0])).status_code == 404
    assert client.get(reverse("procedures:notice", args=[child.pk, 4])).status_code == 404  # not published yet


def test_a_household_left_blank_in_the_vote_table_is_not_failed_silently(officer, login):
    from fupin.core.actor import Actor
    from tests.test_procedures import advance, start

    client = login(officer)
    batch = start(Actor(officer), make_households(VILLAGE_A, 2))
    day = advance(Actor(officer), batch, until="appraisal")
    first, second = batch.members.order_by("pk")
    response = _post_act(client, batch, "appraise", day, held_on=day.isoformat(), total=30, present=20, minutes="记录",
                         **{f"for_{first.pk}": 20, f"for_{second.pk}": "", f"against_{second.pk}": ""})
    assert response.status_code == 422 and "missing" in response.content.decode()
    assert second.household.number in response.content.decode()
    second.refresh_from_db()
    assert second.state == rules.ACTIVE
