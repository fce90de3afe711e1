"""Assistance, the finishing work of issue 5: photos cleaned of their metadata (EXIF,
GPS) with the orientation applied, disguised files refused by decoding, the count
limit; measures and visits corrected and withdrawn — never deleted, audited, by the
office at any time and by who recorded them within the period — on the pages and in
the API, with the API's photo upload and logged download; the holds registry
(不脱贫不脱钩 for households a later app keeps); the policy readings against the seeds."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from fupin.accounts.scoping import Scope
from fupin.assistance import actions, catalog, holds, queries, rules
from fupin.assistance.models import Measure, Visit, VisitPhoto
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Conflict, Forbidden, Invalid
from fupin.registry import actions as registry_actions
from fupin.registry.models import Household, Income
from tests import test_assistance_pages
from tests.conftest import COUNTY_A, SYSTEM
from tests.test_assistance import TODAY, make_household, png_bytes

world = test_assistance_pages.world  # the fixture: a county office, a helper and their household


@pytest.fixture(autouse=True)
def _english_and_media(english, settings, tmp_path):
    """Messages read in their English originals; photos stored in the test's directory."""
    settings.MEDIA_ROOT = tmp_path


def jpeg_with_gps(size=(40, 20), orientation=6) -> bytes:
    """A JPEG as a phone writes it: the camera, the position, and an orientation tag."""
    exif = Image.Exif()
    exif[0x0112] = orientation  # 6: the camera was turned; show it rotated 90° clockwise
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (24.0, 44.0, 10.0), 3: "E", 4: (114.0, 31.0, 20.0)}
    out = io.BytesIO()
    Image.new("RGB", size, (250, 10, 10)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


# --- photos -----------------------------------------------------------------------------------

def test_photos_lose_exif_and_gps_and_stand_upright(world):
    h, helper = world["h"], world["helper"]
    raw = jpeg_with_gps()
    with Image.open(io.BytesIO(raw)) as img:
        assert img.getexif()[0x8825] and img.size == (40, 20)
    with clock.frozen(TODAY):
        v = actions.log_visit(SYSTEM, household=h, helper=helper, date=TODAY, findings="x",
                              files=[SimpleUploadedFile("IMG_0001.jpg", raw, content_type="image/jpeg")])
    p = v.photos.get()
    stored = p.file.read()
    assert b"PhoneMaker" not in stored and b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as img:
        assert dict(img.getexif()) == {} and img.size == (20, 40)  # turned as the tag said
    assert (p.width, p.height, p.size) == (20, 40, len(stored))


@pytest.mark.parametrize(("name", "data"), [
    ("letter.jpg", b"\xff\xd8\xff\xe0" + b"Dear sir, this is a letter, not a photo." * 20),
    ("cut.jpg", jpeg_with_gps((200, 200))[:300]),
    ("page.png", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"),
    ("x.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 garbage"),
])
def test_files_pretending_to_be_images_are_refused_by_decoding(world, name, data):
    with clock.frozen(TODAY), pytest.raises(Invalid, match="cannot be read as an image"):
        actions.log_visit(SYSTEM, household=world["h"], helper=world["helper"], date=TODAY, findings="x",
                          files=[SimpleUploadedFile(name, data, content_type="image/jpeg")])
    assert not Visit.all_objects.exists() and not VisitPhoto.objects.exists()


def test_photo_count_limit_is_a_setting(world):
    files = [SimpleUploadedFile(f"{i}.png", png_bytes()) for i in range(3)]
    with clock.frozen(TODAY), override_settings(ASSISTANCE_PHOTO_MAX_COUNT=2):
        with pytest.raises(Invalid, match="at most 2 photos"):
            actions.log_visit(SYSTEM, household=world["h"], helper=world["helper"], date=TODAY, findings="x",
                              files=files)
        v = actions.log_visit(SYSTEM, household=world["h"], helper=world["helper"], date=TODAY, findings="x",
                              files=files[:2])
        with pytest.raises(Invalid, match="at most 2 photos"):
            actions.add_visit_photos(SYSTEM, v, [SimpleUploadedFile("x.png", png_bytes())])
    assert v.photos.count() == 2


# --- corrections and withdrawals ----------------------------------------------------------------

def _measure(world, actor=SYSTEM, **kw):
    values = {"household": world["h"], "type": "employment", "date": TODAY, "amount_to_household": Decimal("1000"),
              "details": {"job": "保洁"}, **kw}
    return actions.record_measure(actor, **values)


def test_office_corrects_a_measure_and_the_history_keeps_both(world):
    with clock.frozen(TODAY):
        m = _measure(world)
        office = Actor(user=world["office"])
        actions.correct_measure(office, m, type="employment", date=TODAY, amount_to_household="1200",
                                details={"job": "保洁员", "monthly_wage": "600"}, note="金额更正")
    m.refresh_from_db()
    assert m.amount_to_household == Decimal("1200.00") and m.details["job"] == "保洁员"
    assert m.updated_by == world["office"] and m.updated_at is not None
    event = AuditEvent.objects.get(action="assistance.measure.update", object_id=str(m.pk))
    assert event.before["amount_to_household"] == "1000.00" and event.after["amount_to_household"] == "1200.00"
    assert [e.action for e in queries.history(m)] == ["assistance.measure.update", "assistance.measure.create"]


def test_the_recorder_corrects_within_the_period_only(world, make_user):
    helper_user = world["helper_user"]
    me = Actor(user=helper_user)
    with clock.frozen(TODAY):
        m = _measure(world, actor=me)
        v = actions.log_visit(me, household=world["h"], helper=None, date=TODAY, findings="看望")
        actions.correct_measure(me, m, type="employment", date=TODAY, amount_to_household="900",
                                details={"job": "保洁"})
        actions.correct_visit(me, v, date=TODAY, findings="看望，房屋已修")
        # someone else's record: another helper of the same village may not
        other = make_user("helper", world["village"].code, username="other_helper")
        assert not actions.may_correct(Actor(user=other), m)
        with pytest.raises(Forbidden):
            actions.withdraw_visit(Actor(user=other), v, "错录")
        # after the period the recorder may not; the office still may
        Measure.all_objects.filter(pk=m.pk).update(recorded_at=clock.now() - dt.timedelta(days=31))
        m.refresh_from_db()
        with override_settings(ASSISTANCE_OWN_CORRECTION_DAYS=30), pytest.raises(Forbidden, match="30 days"):
            actions.withdraw_measure(me, m, "错录")
        actions.withdraw_measure(Actor(user=world["office"]), m, "错录，重复")
    v.refresh_from_db()
    assert v.findings == "看望，房屋已修"


def test_a_withdrawn_record_is_kept_and_counted_nowhere(world):
    h, helper = world["h"], world["helper"]
    sc = Scope([COUNTY_A[:6]])
    with clock.frozen(TODAY):
        plan = actions.save_household_plan(SYSTEM, h, 2024, goals="x", measure_types=["employment"])
        m = _measure(world)
        v = actions.log_visit(SYSTEM, household=h, helper=helper, date=TODAY, findings="ok")
        assert not queries.plans_without_measures(sc, 2024).exists()
        with pytest.raises(Invalid, match="reason"):
            actions.withdraw_measure(SYSTEM, m, "  ")
        actions.withdraw_measure(SYSTEM, m, "重复录入")
        actions.withdraw_visit(SYSTEM, v, "走错户")
        assert list(queries.plans_without_measures(sc, 2024)) == [plan]
        row = queries.six_clear(Household.objects.filter(pk=h.pk), 2024).get()
        assert (row.c_measures, row.c_worklog) == (False, False)
        assert [x.pk for x in queries.helpers_without_visit(sc, TODAY - dt.timedelta(days=60))] == [helper.pk]
        with pytest.raises(Conflict):  # withdrawn once
            actions.withdraw_visit(SYSTEM, v, "again")
        with pytest.raises(Conflict):  # and not corrected afterwards
            actions.correct_measure(SYSTEM, m, type="employment", date=TODAY, details={"job": "x"})
        with pytest.raises(Invalid, match="withdrawn"):
            actions.carry_to_income(SYSTEM, [m])
    assert Measure.all_objects.get(pk=m.pk).void_reason == "重复录入" and not Measure.objects.filter(pk=m.pk).exists()
    assert Visit.all_objects.filter(pk=v.pk).exists()
    assert AuditEvent.objects.filter(action="assistance.visit.void", note="走错户").exists()


def test_a_correction_that_changes_nothing_is_not_marked_as_one(world):
    """Saving the correction form unchanged neither marks the record "last corrected"
    nor writes an event: the page's "Last corrected on … by …" always has its history."""
    office = Actor(user=world["office"])
    with clock.frozen(TODAY):
        m = _measure(world)
        v = actions.log_visit(SYSTEM, household=world["h"], helper=world["helper"], date=TODAY, findings="看望")
        actions.correct_measure(office, m, type="employment", date=TODAY, amount_to_household="1000",
                                details={"job": "保洁"})
        actions.correct_visit(office, v, date=TODAY, findings="看望")
        assert Measure.objects.get(pk=m.pk).updated_at is None and Visit.objects.get(pk=v.pk).updated_at is None
        assert not AuditEvent.objects.filter(action__in=["assistance.measure.update",
                                                         "assistance.visit.update"]).exists()
        # a real change is marked and audited
        actions.correct_visit(office, v, date=TODAY, findings="看望，已改")
    v = Visit.objects.get(pk=v.pk)
    assert v.updated_by == world["office"] and v.updated_at is not None
    assert AuditEvent.objects.filter(action="assistance.visit.update", object_id=str(v.pk)).count() == 1


def test_the_correction_period_and_the_photo_count_live_in_settings():
    """Policy numbers are not literals in the code: settings.py holds them."""
    from fupin import settings as project
    from fupin.assistance import photos

    assert (project.ASSISTANCE_OWN_CORRECTION_DAYS, project.ASSISTANCE_PHOTO_MAX_COUNT) == (30, 10)
    with override_settings(ASSISTANCE_OWN_CORRECTION_DAYS=7, ASSISTANCE_PHOTO_MAX_COUNT=3):
        assert (actions.correction_days(), photos.max_count()) == (7, 3)


def test_a_carried_measure_keeps_its_money_and_leaves_the_ledger_when_withdrawn(world, make_user):
    h = world["h"]
    with clock.frozen(TODAY):
        registry_actions.save_income(SYSTEM, h, 2024, wages=Decimal("3000"))
        m = _measure(world)
        actions.carry_to_income(SYSTEM, [m])
        assert Income.objects.get(household=h, year=2024).wages == Decimal("4000.00")
        with pytest.raises(Invalid) as exc:
            actions.correct_measure(SYSTEM, m, type="employment", date=TODAY, amount_to_household="1500",
                                    details={"job": "保洁"})
        assert exc.value.code == "carried"
        actions.correct_measure(SYSTEM, m, type="employment", date=TODAY, amount_to_household="1000",
                                details={"job": "保洁"}, note="只改备注")  # what the ledger does not hold may change
        actions.withdraw_measure(Actor(user=world["office"]), m, "重复发放记录")
    income = Income.objects.get(household=h, year=2024)
    assert income.wages == Decimal("3000.00") and income.per_capita == Decimal("3000.00")


# --- pages ------------------------------------------------------------------------------------------

def test_correct_and_withdraw_on_the_pages(world):
    c, hc, h = world["c"], world["hc"], world["h"]
    with clock.frozen(TODAY):
        m = _measure(world, actor=Actor(user=world["helper_user"]))
        v = actions.log_visit(Actor(user=world["helper_user"]), household=h, helper=None, date=TODAY,
                              findings="看望")
        page = hc.get(reverse("assistance:measure", args=[m.pk])).content.decode()
        assert reverse("assistance:measure_correct", args=[m.pk]) in page
        assert hc.get(reverse("assistance:measure_correct", args=[m.pk])).status_code == 200
        r = hc.post(reverse("assistance:measure_correct", args=[m.pk]), {
            "save": "1", "type": "employment", "date": "2024-06-14", "amount_to_household": "1100", "d_job": "保洁员"})
        assert r.status_code == 302, r.content.decode()[:2000]
        assert Measure.objects.get(pk=m.pk).amount_to_household == Decimal("1100.00")
        r = hc.post(reverse("assistance:visit_correct", args=[v.pk]), {
            "date": "2024-06-14", "findings": "看望，补照片", "photos": [SimpleUploadedFile("p.jpg", jpeg_with_gps())]})
        assert r.status_code == 302
        assert Visit.objects.get(pk=v.pk).photos.count() == 1
        r = c.post(reverse("assistance:visit_withdraw", args=[v.pk]), {"reason": "重复"}, follow=True)
        assert "Withdrawn on" in r.content.decode()
        assert c.get(reverse("assistance:visit_correct", args=[v.pk])).status_code == 403
        r = c.post(reverse("assistance:measure_withdraw", args=[m.pk]), {"reason": ""}, follow=True)
        assert Measure.objects.filter(pk=m.pk).exists()
        c.post(reverse("assistance:measure_withdraw", args=[m.pk]), {"reason": "录错户"})
        assert not Measure.objects.filter(pk=m.pk).exists()
        page = c.get(reverse("assistance:measure", args=[m.pk])).content.decode()
        assert "录错户" in page and "assistance.measure.update" in page
        assert reverse("assistance:measure", args=[m.pk]) not in c.get(reverse("assistance:measures")).content.decode()
        listed = c.get(reverse("assistance:measures") + "?withdrawn=1").content.decode()
        assert reverse("assistance:measure", args=[m.pk]) in listed and "withdrawn" in listed
        listed = c.get(reverse("assistance:visits") + "?withdrawn=1").content.decode()
        assert reverse("assistance:visit", args=[v.pk]) in listed
        assert reverse("assistance:visit", args=[v.pk]) not in c.get(reverse("assistance:visits")).content.decode()


# --- API --------------------------------------------------------------------------------------------

def test_api_upload_download_correct_withdraw(world, api):
    h = world["h"]
    with clock.frozen(TODAY):
        hclient = api(world["helper_user"])
        r = hclient.post("/api/v1/assistance/visits", {"household_id": h.pk, "date": "2024-06-10", "findings": "看望"},
                         content_type="application/json")
        assert r.status_code == 201
        vid = r.json()["id"]
        r = hclient.post(f"/api/v1/assistance/visits/{vid}/photos",
                         {"photos": [SimpleUploadedFile("a.jpg", jpeg_with_gps()),
                                     SimpleUploadedFile("b.png", png_bytes())]})
        assert r.status_code == 201, r.content
        body = r.json()
        assert [p["content_type"] for p in body] == ["image/jpeg", "image/png"] and body[0]["width"] == 20
        r = hclient.post(f"/api/v1/assistance/visits/{vid}/photos",
                         {"photos": [SimpleUploadedFile("a.jpg", b"\xff\xd8\xff not an image")]})
        assert r.status_code == 422 and r.json()["field"] == "photos"
        assert hclient.post(f"/api/v1/assistance/visits/{vid}/photos").status_code == 422  # no file
        assert Visit.objects.get(pk=vid).photos.count() == 2
        listed = hclient.get("/api/v1/assistance/visits").json()["items"][0]
        assert listed["photos"] == 2 and listed["photo_ids"] == [p["id"] for p in body]
        r = hclient.get(f"/api/v1/assistance/photos/{body[0]['id']}")
        data = b"".join(r.streaming_content)
        assert r.status_code == 200 and r["Content-Type"] == "image/jpeg" and b"PhoneMaker" not in data
        assert AuditEvent.objects.filter(kind="read", action="assistance.photo.read",
                                         user=world["helper_user"]).count() == 1
        # correct and withdraw
        r = hclient.put(f"/api/v1/assistance/visits/{vid}", {"date": "2024-06-11", "findings": "看望，已改"},
                        content_type="application/json")
        assert r.status_code == 200 and r.json()["updated_at"]
        r = hclient.post("/api/v1/assistance/measures", {"household_id": h.pk, "type": "other", "date": "2024-06-10",
                                                         "details": {"description": "送米"}},
                         content_type="application/json")
        mid = r.json()["id"]
        r = hclient.put(f"/api/v1/assistance/measures/{mid}", {"type": "other", "date": "2024-06-10",
                                                               "amount_to_household": "50",
                                                               "details": {"description": "送米和油"}},
                        content_type="application/json")
        assert r.status_code == 200 and r.json()["amount_to_household"] == "50.00"
        oclient = api(world["office"])
        r = oclient.post(f"/api/v1/assistance/measures/{mid}/withdraw", {"reason": "重复"},
                         content_type="application/json")
        assert r.status_code == 200 and r.json()["voided_at"] and r.json()["void_reason"] == "重复"
        assert oclient.get("/api/v1/assistance/measures").json()["count"] == 0
        assert oclient.get("/api/v1/assistance/measures", {"withdrawn": True}).json()["count"] == 1
        r = oclient.post(f"/api/v1/assistance/visits/{vid}/withdraw", {"reason": ""}, content_type="application/json")
        assert r.status_code == 422


def test_api_photo_upload_by_someone_else_is_refused(world, api, make_user):
    with clock.frozen(TODAY):
        v = actions.log_visit(SYSTEM, household=world["h"], helper=world["helper"], date=TODAY, findings="x")
        stranger = make_user("helper", world["village"].code, username="stranger_helper")
        r = api(stranger).post(f"/api/v1/assistance/visits/{v.pk}/photos",
                               {"photos": [SimpleUploadedFile("a.png", png_bytes())]})
        assert r.status_code == 403 and not v.photos.exists()


# --- holds: the extension point ------------------------------------------------------------------

def test_a_later_app_registers_statuses_that_keep_a_helper(world):
    """As the monitoring app may: a status of its own keeps the household's last helper,
    and the coverage page says why a household without a helper needs one."""
    c = world["c"]
    with clock.frozen(TODAY):
        watched = make_household("3607291002010009", status="exited", head="赵六", seq="071")
        Household.objects.filter(pk=watched.pk).update(status="monitored_test")
        holds.register_statuses("monitored_test", ["monitored_test"], label="being monitored (test)")
        try:
            watched.refresh_from_db()
            assert "not unpaired" in holds.reason(watched)
            page = c.get(reverse("assistance:coverage") + "?list=households").content.decode()
            assert "赵六" in page and "being monitored (test)" in page
            p = actions.pair(SYSTEM, watched, world["helper"], dt.date(2024, 1, 1))
            with pytest.raises(Invalid, match="不脱贫不脱钩"):
                actions.unpair(SYSTEM, p, TODAY)
            card = c.get(reverse("registry:household", args=[watched.pk])).content.decode()
            assert 'id="assistance-hold"' in card
        finally:
            holds.unregister("monitored_test")
        actions.unpair(SYSTEM, p, TODAY)


def test_holds_with_a_custom_query(world):
    with clock.frozen(TODAY):
        exited = make_household("3607291002010008", status="exited", head="钱七", seq="081")  # period over
    holds.register("custom_test", check=lambda h: "custom" if h.pk == exited.pk else None,
                   q=lambda: Q(pk=exited.pk), label="custom")
    try:
        rows = {h.pk: holds.labels(h) for h in holds.annotate(Household.objects.all())}
        assert rows[exited.pk] == ["custom"] and rows[world["h"].pk] == ["poor"]
    finally:
        holds.unregister("custom_test")


# --- the policy readings, with the seeds' own words ------------------------------------------------

SEED_001 = "/work/shared/seeds/001_704fa1a71eaa90bd.txt"
SEED_003 = "/work/shared/seeds/003_6038825323505164.txt"


def test_the_ranger_rule_quotes_the_agreement():
    rule = catalog.pay_rule("ranger_agreement")
    for words in ("10000元/年", "一次不在岗扣减当月管护费5%", "两次不在岗扣减当月管护费10%", "三次不在岗可立即终止本协议"):
        assert words in rule["source"]
    # The steps are checked whether or not the seed is on the machine (the skip comes last).
    steps = {s["min_absences"]: (Decimal(s["deduct_percent"]), s["may_end"]) for s in rule["steps"]}
    assert steps == {0: (0, False), 1: (5, False), 2: (10, False), 3: (10, True)}
    assert rules.month_pay(rule, 4)["may_end"] is True  # four or more: as three
    text = _seed(SEED_003)
    assert "一次不在岗扣减当月管护费5%,两次不在岗扣减当月管护费10%,三次不在岗可立即终止本协议" in text
    assert "支付10000元/年的管护补助费" in text


def _seed(path: str) -> str:
    try:
        return open(path, encoding="utf-8").read()
    except FileNotFoundError:  # the seeds live outside the repository
        pytest.skip(f"{path} is not on this machine")


def test_the_six_clear_items_are_the_seeds():
    """The six items, in the seed's order and words (seed 001 (二) 进一步夯实基础台账)."""
    zh = [zh for _k, _label, zh in rules.SIX_CLEAR]
    assert zh == ["村情户情清", "致贫原因清", "脱贫规划清", "帮扶措施清", "工作动态清", "扶贫效果清"]
    text = _seed(SEED_001)
    at = [text.find(words) for words in zh]
    assert -1 not in at and at == sorted(at), dict(zip(zh, at, strict=True))


def test_json_is_the_data(world):
    assert json.loads(json.dumps(catalog.pay_rule("ranger_agreement")))["annual_pay"] == "10000.00"


# --- Excel: an export imports again without doubling -------------------------------------------------

def test_every_kind_round_trips_without_doubling(world, tmp_path):
    from fupin.assistance import exporters, importers
    from fupin.assistance.models import Pairing, TeamMember
    from fupin.core.tabular import write_xlsx

    h = world["h"]
    with clock.frozen(TODAY):
        _measure(world)
        actions.record_measure(SYSTEM, village=world["village"], type="industry", date=TODAY,
                               amount_spent=Decimal("50000"), details={"project": "油茶基地", "branch": "forestry"})
        actions.log_visit(SYSTEM, household=h, helper=world["helper"], date=TODAY, findings="看望")
        gone = actions.log_visit(SYSTEM, household=h, helper=world["helper"], date=TODAY, findings="错录")
        actions.withdraw_visit(SYSTEM, gone, "错录")
        team = actions.create_team(SYSTEM, village=world["village"], unit=world["unit"], start=dt.date(2024, 1, 1))
        actions.add_team_member(SYSTEM, team, world["helper"], "first_secretary", dt.date(2024, 1, 1))
        before = {"pairings": Pairing.objects.count(), "teams": TeamMember.objects.count(),
                  "measures": Measure.objects.count(), "visits": Visit.objects.count()}
        assert before["visits"] == 1  # the withdrawn visit is not exported
        for kind in importers.KINDS:
            out = tmp_path / f"{kind}.xlsx"
            rows = list(exporters.export_rows(kind, Scope([COUNTY_A[:6]])))
            assert len(rows) == before[kind] == exporters.export_count(kind, Scope([COUNTY_A[:6]]))
            write_xlsx(out, importers.headers(kind), rows)
            counts, report = importers.import_file(SYSTEM, kind, out)
            assert not report, (kind, report.summary())
            assert not any(k.endswith("_created") for k in counts), (kind, counts)
        after = {"pairings": Pairing.objects.count(), "teams": TeamMember.objects.count(),
                 "measures": Measure.objects.count(), "visits": Visit.objects.count()}
        assert after == before


def test_reimporting_an_old_export_keeps_withdrawn_records_withdrawn(world):
    """An export taken before a measure and a visit were withdrawn is imported again (the
    import page, a job): both stay withdrawn, nothing is doubled, and the job's report says
    which rows were skipped and why (all or nothing holds: the rows are not wrong, so the
    import goes through)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fupin.jobs.models import Job

    h, c = world["h"], world["c"]
    with clock.frozen(TODAY):
        kept_m = _measure(world)
        gone_m = _measure(world, amount_to_household=Decimal("2000"))
        kept_v = actions.log_visit(SYSTEM, household=h, helper=world["helper"], date=TODAY, findings="看望")
        gone_v = actions.log_visit(SYSTEM, household=h, helper=world["helper"], date=TODAY, findings="错录")
        files = {kind: b"".join(c.get(reverse("assistance:exchange_export", args=[kind])).streaming_content)
                 for kind in ("measures", "visits")}
        actions.withdraw_measure(SYSTEM, gone_m, "重复录入")
        actions.withdraw_visit(SYSTEM, gone_v, "走访人错误")
        jobs = {}
        for kind in files:
            r = c.post(reverse("assistance:exchange"),
                       {"kind": kind, "file": SimpleUploadedFile(f"{kind}.xlsx", files[kind])})
            assert r.status_code == 302
            jobs[kind] = Job.objects.get(pk=r["Location"].rstrip("/").rsplit("/", 1)[1])
    assert list(Measure.all_objects.order_by("pk").values_list("pk", "void_reason")) == [
        (kept_m.pk, ""), (gone_m.pk, "重复录入")]
    assert list(Visit.all_objects.order_by("pk").values_list("pk", "void_reason")) == [
        (kept_v.pk, ""), (gone_v.pk, "走访人错误")]
    assert not Measure.objects.filter(pk=gone_m.pk).exists() and not Visit.objects.filter(pk=gone_v.pk).exists()
    for kind, gone, reason in (("measures", gone_m, "重复录入"), ("visits", gone_v, "走访人错误")):
        job = jobs[kind]
        assert job.status == Job.SUCCEEDED, job.message
        assert job.result == {f"{kind}_unchanged": 1, f"{kind}_withdrawn_skipped": 1}
        what = "measure" if kind == "measures" else "visit"
        assert (f"Row 3: the same {what} (no. {gone.pk}) was withdrawn ({reason}); a withdrawn record is not "
                "restored, the row was skipped.") in job.log
        assert ("1 row was skipped: an import neither restores a withdrawn record nor changes a recorded one"
                in job.message)
        assert job.message.startswith(f"{what}s already recorded: 1, withdrawn {what}s skipped: 1. "), job.message
        event = AuditEvent.objects.get(action=f"assistance.import.{kind}")
        assert event.after == job.result and not event.items.exists()


def test_a_row_matching_a_live_and_a_withdrawn_record_is_unchanged(world, tmp_path):
    """The same measure recorded twice and one withdrawn as the duplicate: a row without a
    record number (a file from elsewhere, an export older than the column) matches the
    live record by its terms — unchanged, with no note."""
    from fupin.assistance import exporters, importers
    from fupin.core.tabular import write_xlsx

    with clock.frozen(TODAY):
        first = _measure(world)
        actions.withdraw_measure(SYSTEM, _measure(world), "重复")
        out = tmp_path / "m.xlsx"
        write_xlsx(out, importers.headers("measures"),
                   [row[:-1] for row in exporters.export_rows("measures", Scope([COUNTY_A[:6]]))])
        notes = []
        counts, report = importers.import_file(SYSTEM, "measures", out, notes)
    assert not report and counts == {"measures_unchanged": 1} and notes == []
    assert list(Measure.objects.values_list("pk", flat=True)) == [first.pk] and Measure.all_objects.count() == 2


def test_a_household_being_monitored_keeps_its_last_helper(world):
    """不脱贫不脱钩 holds a household being monitored (the monitoring app's record)."""
    from fupin.monitoring.models import MonitoredHousehold

    assert "monitored" in holds.HOLDS
    c = world["c"]
    with clock.frozen(TODAY):
        exited = make_household("3607291002010007", status="exited", head="孙八", seq="091")  # period over
        episode = MonitoredHousehold.objects.create(household=exited, area_code=exited.area_code, kind="unstable",
                                                    state="candidate")
        assert holds.reason(exited) is None  # being identified is not being monitored
        page = c.get(reverse("assistance:coverage") + "?list=households").content.decode()
        assert "孙八" not in page
        MonitoredHousehold.objects.filter(pk=episode.pk).update(state="monitored", since=dt.date(2024, 3, 1))
        assert "monitored" in holds.reason(exited)
        page = c.get(reverse("assistance:coverage") + "?list=households").content.decode()
        assert "孙八" in page and "being monitored" in page
        p = actions.pair(SYSTEM, exited, world["helper"], dt.date(2024, 4, 1))
        with pytest.raises(Invalid, match="不脱贫不脱钩"):
            actions.unpair(SYSTEM, p, TODAY)
        MonitoredHousehold.objects.filter(pk=episode.pk).update(state="cleared", cleared_on=TODAY)
        actions.unpair(SYSTEM, p, TODAY)
