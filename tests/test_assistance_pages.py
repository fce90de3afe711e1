"""The assistance pages, exports, imports and API as a county office and a helper use
them: every page renders with data, forms write through the actions, refusals show
their reason, imports are all or nothing with a report, exports are scoped and logged."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from fupin.accounts.scoping import Scope
from fupin.areas.models import Area, Unit
from fupin.assistance import actions, exporters, importers
from fupin.assistance.models import Helper, Measure, Pairing, TeamMember, Visit, WorkTeam
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.core.tabular import write_xlsx
from fupin.registry.models import Income, VillageProfile
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A, VILLAGE_B
from tests.test_assistance import TODAY, make_household, png_bytes


@pytest.fixture
def world(two_counties, make_user, login):
    with clock.frozen(TODAY):
        village = Area.objects.get(code=VILLAGE_A)
        unit = Unit.objects.get(area_code=COUNTY_A)
        VillageProfile.objects.create(village=village, area_code=VILLAGE_A, year=2024, status="poor")
        h = make_household("3607291002010001")
        other = make_household("3607291002010002", head="李四", seq="051")
        helper_user = make_user("helper", VILLAGE_A, full_name="王帮扶")
        helper = actions.save_helper(SYSTEM, None, name="王帮扶", area=village, unit=unit, phone="13970010001")
        Helper.objects.filter(pk=helper.pk).update(user=helper_user)
        actions.pair(SYSTEM, h, helper, dt.date(2024, 1, 1))
        office = make_user("county_office", COUNTY_A)
        yield {"village": village, "unit": unit, "h": h, "other": other, "helper": helper,
               "helper_user": helper_user, "office": office, "c": login(office), "hc": login(helper_user)}


def test_every_page_renders(world):
    with clock.frozen(TODAY):
        h, helper, c = world["h"], world["helper"], world["c"]
        m = actions.record_measure(SYSTEM, household=h, type="employment", date=TODAY,
                                   amount_to_household=Decimal("1000"), details={"job": "保洁"})
        v = actions.log_visit(SYSTEM, household=h, helper=helper, date=TODAY, findings="看望",
                              files=[SimpleUploadedFile("a.png", png_bytes())])
        team = actions.create_team(SYSTEM, village=world["village"], unit=world["unit"], start=dt.date(2024, 1, 1))
        actions.add_team_member(SYSTEM, team, helper, "first_secretary", dt.date(2024, 1, 1))
        post = actions.save_post(SYSTEM, None, kind="ranger", name="护林岗", area=world["village"],
                                 start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31), rule="ranger_agreement")
        ag = actions.sign_agreement(SYSTEM, post, h.members.get(), dt.date(2024, 1, 1), dt.date(2024, 12, 31))
        actions.save_household_plan(SYSTEM, h, 2024, goals="增收", measure_types=["employment"])
        pages = [
            reverse("assistance:helpers"), reverse("assistance:helpers") + "?view=units",
            reverse("assistance:helper", args=[helper.pk]), reverse("assistance:helper_create"),
            reverse("assistance:helper_edit", args=[helper.pk]), reverse("assistance:pair", args=[h.pk]),
            reverse("assistance:links"), reverse("assistance:teams"), reverse("assistance:team", args=[team.pk]),
            reverse("assistance:team_create"), reverse("assistance:plans"),
            reverse("assistance:plans") + "?kind=villages",
            reverse("assistance:household_plan", args=[h.pk, 2024]),
            reverse("assistance:village_plan", args=[VILLAGE_A, 2024]), reverse("assistance:measures"),
            reverse("assistance:measure_create") + f"?household={h.pk}&type=relocation",
            reverse("assistance:measure", args=[m.pk]), reverse("assistance:visits"),
            reverse("assistance:visit_log") + f"?household={h.pk}", reverse("assistance:visit", args=[v.pk]),
            reverse("assistance:six_clear"), reverse("assistance:six_clear") + "?by=helper&item=results",
            reverse("assistance:coverage"), *[reverse("assistance:coverage") + f"?list={k}" for k in
                                               ("households", "no_team", "no_unit", "helpers", "six_clear", "plans")],
            reverse("assistance:posts"), reverse("assistance:post_create"), reverse("assistance:post", args=[post.pk]),
            reverse("assistance:agreement", args=[ag.pk]), reverse("assistance:payments") + "?month=2024-03",
            reverse("assistance:exchange"), reverse("registry:household", args=[h.pk]),
        ]
        for url in pages:
            r = c.get(url)
            assert r.status_code == 200, (url, r.status_code)
        card = c.get(reverse("registry:household", args=[h.pk])).content.decode()
        assert 'id="assistance-panel"' in card and "王帮扶" in card
        photo = c.get(reverse("assistance:photo", args=[v.photos.get().pk]))
        assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
        assert b"".join(photo.streaming_content).startswith(b"\x89PNG")
        assert "13970010001" not in c.get(reverse("assistance:helpers")).content.decode()  # the phone is masked


def test_pair_page_refuses_with_the_reason(world):
    c, h = world["c"], world["h"]
    p = Pairing.objects.get(household=h)
    r = c.post(reverse("assistance:pairing_end", args=[p.pk]), {"end": "2024-05-01"}, follow=True)
    assert "不脱贫不脱钩" in r.content.decode()
    assert Pairing.objects.get(pk=p.pk).end is None
    new = Helper.objects.create(name="刘帮扶", area=world["village"], area_code=VILLAGE_A, level="county")
    with clock.frozen(TODAY):
        r = c.post(reverse("assistance:pair", args=[h.pk]), {"helper": new.pk, "start": "2024-06-01",
                                                              "replace": "on", "reason": "调整"})
    assert r.status_code == 302
    assert list(Pairing.objects.filter(household=h).order_by("start").values_list("helper__name", "end")) == [
        ("王帮扶", dt.date(2024, 5, 31)), ("刘帮扶", None)]


def test_helper_records_a_measure_and_a_visit_on_the_phone_pages(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    hc, h = world["hc"], world["h"]
    with clock.frozen(TODAY):
        mine = hc.get(reverse("assistance:mine")).content.decode()
        assert h.number in mine and world["other"].number not in mine
        r = hc.post(reverse("assistance:measure_create"), {
            "household": h.pk, "save": "1", "type": "employment", "date": "2024-06-10", "amount_to_household": "1500",
            "d_job": "扶贫车间", "d_workshop": "on", "d_monthly_wage": "1500"})
        assert r.status_code == 302, r.content.decode()[:3000]
        m = Measure.objects.get(household=h)
        assert m.details == {"job": "扶贫车间", "workshop": True, "monthly_wage": "1500.00", "welfare_post": False}
        assert m.recorded_by == world["helper_user"] and m.helper == world["helper"]
        r = hc.post(reverse("assistance:visit_log"), {"household": h.pk, "date": "2024-06-12", "findings": "房顶漏水",
                                                      "photos": [SimpleUploadedFile("p.png", png_bytes())]})
        assert r.status_code == 302
        assert Visit.objects.get(household=h).photos.count() == 1
        # not the helper of the other household
        assert hc.get(reverse("assistance:measure_create") + f"?household={world['other'].pk}").status_code == 403
        assert hc.get(reverse("assistance:visit_log") + f"?household={world['other'].pk}").status_code == 403
        r = hc.post(reverse("assistance:visit_log"), {"household": h.pk, "date": "2024-06-12", "findings": "x",
                                                      "photos": [SimpleUploadedFile("p.svg", b"<svg/>")]})
        assert r.status_code == 200 and Visit.objects.count() == 1


def test_carry_from_the_measure_page(world):
    c, h = world["c"], world["h"]
    with clock.frozen(TODAY):
        m = actions.record_measure(SYSTEM, household=h, type="eco", date=TODAY, amount_to_household=Decimal("1400"),
                                   details={"kind": "forest", "mu": "120"})
        assert c.post(reverse("assistance:measure_carry", args=[m.pk])).status_code == 302
        assert Income.objects.get(household=h, year=2024).eco_compensation == Decimal("1400.00")
        r = c.post(reverse("assistance:measure_carry", args=[m.pk]), follow=True)
        assert "already" in r.content.decode() or "已" in r.content.decode()
        assert Income.objects.get(household=h, year=2024).eco_compensation == Decimal("1400.00")


def test_ranger_payment_list_and_export_is_logged(world):
    c, h = world["c"], world["h"]
    with clock.frozen(TODAY):
        post = actions.save_post(SYSTEM, None, kind="ranger", name="护林岗", area=world["village"],
                                 start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31), rule="ranger_agreement")
        ag = actions.sign_agreement(SYSTEM, post, h.members.get(), dt.date(2024, 1, 1), dt.date(2024, 12, 31))
        actions.record_inspection(SYSTEM, ag, dt.date(2024, 3, 3), False)
        page = c.get(reverse("assistance:payments") + "?month=2024-03").content.decode()
        assert "791.67" in page and h.members.get().id_number not in page
        r = c.get(reverse("assistance:payments") + "?month=2024-03&format=xlsx")
        rows = CalamineWorkbook.from_filelike(io.BytesIO(r.content)).get_sheet_by_index(0).to_python()
        assert rows[1][4] == h.members.get().id_number and rows[1][12] == "791.67"
        assert AuditEvent.objects.filter(kind="export", action="assistance.posts.payments", count=1).exists()
        # a helper may see the list but not download the personal data
        assert world["hc"].get(reverse("assistance:payments") + "?month=2024-03&format=xlsx").status_code == 403


# --- import and export ------------------------------------------------------------------------------

def _xlsx(tmp_path, kind, rows, name="in.xlsx"):
    path = tmp_path / name
    write_xlsx(path, importers.headers(kind), rows)
    return path


def test_import_pairings_all_or_nothing(world, tmp_path):
    h, other = world["h"], world["other"]
    with clock.frozen(TODAY):
        bad = _xlsx(tmp_path, "pairings", [
            [other.number, "赵帮扶", "13970010009", "全南县乡村振兴局", "干部", "县级", "2024-02-01", "", ""],
            ["3607299999999999", "钱帮扶", "13970010008", "", "", "", "2024-02-01", "", ""],
            [other.number, "孙帮扶", "1397", "", "", "", "2024-02-01", "", ""],
            [other.number, "李帮扶", "13970010007", "没有的单位", "", "", "2030-01-01", "", ""],
        ])
        counts, report = importers.import_file(SYSTEM, "pairings", bad)
        assert counts == {} and len(report) == 4
        assert {(e.row, e.column) for e in report.errors} == {(3, "户编号"), (4, "手机"), (5, "帮扶单位"),
                                                               (5, "开始日期")}
        assert not Helper.objects.filter(name="赵帮扶").exists() and Pairing.objects.count() == 1
        good = _xlsx(tmp_path, "pairings", [
            [other.number, "赵帮扶", "13970010009", "全南县乡村振兴局", "干部", "县级", "2024-02-01", "", ""],
            [h.number, "赵帮扶", "13970010009", "全南县乡村振兴局", "干部", "县级", "2024-03-01", "", "调整"],
        ], "good.xlsx")
        counts, report = importers.import_file(SYSTEM, "pairings", good)
        assert not report, report.summary()
        assert counts == {"helpers_created": 1, "pairings_created": 2, "pairings_ended": 1}
        event = AuditEvent.objects.get(action="assistance.import.pairings")
        assert sorted(event.items.values_list("change", flat=True)) == ["created", "created", "updated"]
        assert list(Pairing.objects.filter(household=h).order_by("start").values_list("helper__name", "end")) == [
            ("王帮扶", dt.date(2024, 2, 29)), ("赵帮扶", None)]
        again, report = importers.import_file(SYSTEM, "pairings", good)
        assert again == {"pairings_unchanged": 2}
        assert AuditEvent.objects.filter(action="assistance.import.pairings", kind="bulk").count() == 2


def test_import_measures_visits_teams(world, tmp_path):
    h = world["h"]
    with clock.frozen(TODAY):
        path = _xlsx(tmp_path, "measures", [
            [h.number, "", "就业扶贫", "2024-04-01", "3000", "", "县级财政资金（含整合涉农资金）", "岗位=保洁员；月工资（元）=1500", ""],
            ["", VILLAGE_A, "产业扶持", "2024-04-02", "", "50000", "", "产业项目=油茶基地；收入类别=林业", "村集体"],
            [h.number, "", "易地扶贫搬迁", "2024-04-03", "", "", "", "安置点=员山小区；搬迁人数=2；建房面积（m²）=60", ""],
        ])
        counts, report = importers.import_file(SYSTEM, "measures", path)
        assert counts == {} and len(report) == 1 and report.errors[0].row == 4 and "25" in report.errors[0].reason
        path = _xlsx(tmp_path, "measures", [
            [h.number, "", "就业扶贫", "2024-04-01", "3000", "", "县级财政资金（含整合涉农资金）", "岗位=保洁员；月工资（元）=1500", ""],
            ["", VILLAGE_A, "产业扶持", "2024-04-02", "", "50000", "", "产业项目=油茶基地；收入类别=林业", "村集体"],
        ], "m2.xlsx")
        counts, report = importers.import_file(SYSTEM, "measures", path)
        assert not report and counts == {"measures_created": 2}
        m = Measure.objects.get(household=h)
        assert (m.type, m.income_item, m.details["job"], m.fund_source) == ("employment", "wages", "保洁员", "county")
        v_path = _xlsx(tmp_path, "visits", [[h.number, "13970010001", "2024-05-01", "了解收入", "下月再访"]], "v.xlsx")
        counts, report = importers.import_file(SYSTEM, "visits", v_path)
        assert not report and counts == {"visits_created": 1}
        t_path = _xlsx(tmp_path, "teams", [
            [VILLAGE_A, "全南县乡村振兴局", "石桥村工作队", "2024-01-05", "", "周书记", "13970010011", "科长", "第一书记", "", ""],
            [VILLAGE_A, "全南县乡村振兴局", "石桥村工作队", "2024-01-05", "", "吴队员", "13970010012", "", "工作队员", "", ""],
        ], "t.xlsx")
        counts, report = importers.import_file(SYSTEM, "teams", t_path)
        assert not report, report.summary()
        assert counts == {"helpers_created": 2, "teams_created": 1, "members_created": 2}
        assert WorkTeam.objects.get().members.filter(role="first_secretary").get().person.name == "周书记"
        # round trip: the export of each kind imports again without changing anything new
        for kind in ("pairings", "teams", "visits"):
            out = tmp_path / f"export-{kind}.xlsx"
            write_xlsx(out, importers.headers(kind), exporters.export_rows(kind, Scope([COUNTY_A[:6]])))
            counts, report = importers.import_file(SYSTEM, kind, out)
            assert not report, (kind, report.summary())
        assert TeamMember.objects.count() == 2 and Pairing.objects.count() == 1


def test_export_is_scoped_and_logged(world, make_user, login):
    with clock.frozen(TODAY):
        b = make_household("3607831002010001", head="龙南户主", seq="061", area_code=VILLAGE_B)
        helper_b = Helper.objects.create(name="龙南帮扶人", area=Area.objects.get(code=VILLAGE_B),
                                         area_code=VILLAGE_B, level="county", phone="13979830009")
        actions.pair(SYSTEM, b, helper_b, dt.date(2024, 1, 1))
        r = world["c"].get(reverse("assistance:exchange_export", args=["pairings"]))
        data = b"".join(r.streaming_content)
        rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
        numbers = {row[0] for row in rows[1:]}
        assert numbers == {world["h"].number}
        assert AuditEvent.objects.filter(kind="export", action="assistance.export.pairings", count=1).exists()
        assert world["hc"].get(reverse("assistance:exchange_export", args=["pairings"])).status_code == 403


def test_import_page_runs_a_job(world):
    with clock.frozen(TODAY):
        buf = io.BytesIO()
        write_xlsx(buf, importers.headers("visits"), [[world["h"].number, "13970010001", "2024-05-01", "了解", ""]])
        r = world["c"].post(reverse("assistance:exchange"), {
            "kind": "visits", "file": SimpleUploadedFile("v.xlsx", buf.getvalue())})
        assert r.status_code == 302 and "/jobs/" in r["Location"]
        assert Visit.objects.filter(findings="了解").exists()


# --- API ---------------------------------------------------------------------------------------------

def test_api(world, api):
    with clock.frozen(TODAY):
        client = api(world["office"])
        r = client.get("/api/v1/assistance/helpers")
        assert r.status_code == 200 and r.json()["items"][0]["phone"] == "139****0001"
        assert r.json()["items"][0]["households"] == 1
        r = client.post("/api/v1/assistance/measures", {
            "household_id": world["h"].pk, "type": "employment", "date": "2024-05-01", "amount_to_household": "800",
            "details": {"job": "护路员"}}, content_type="application/json")
        assert r.status_code == 201, r.json()
        assert r.json()["income_item"] == "wages"
        r = client.post("/api/v1/assistance/measures", {
            "household_id": world["h"].pk, "type": "employment", "date": "2024-05-01", "details": {}},
            content_type="application/json")
        assert r.status_code == 422 and r.json()["field"] == "job"
        r = client.post("/api/v1/assistance/visits", {
            "household_id": world["h"].pk, "helper_id": world["helper"].pk, "date": "2024-05-02", "findings": "好"},
            content_type="application/json")
        assert r.status_code == 201
        assert client.get("/api/v1/assistance/visits").json()["count"] == 1
        pairing = Pairing.objects.get(household=world["h"])
        r = client.get("/api/v1/assistance/pairings", {"household_id": world["h"].pk})
        assert [p["id"] for p in r.json()["items"]] == [pairing.pk]
        new = client.post("/api/v1/assistance/helpers", {"name": "新帮扶", "area_code": VILLAGE_A, "level": "county"},
                          content_type="application/json")
        assert new.status_code == 201
        r = client.post("/api/v1/assistance/pairings", {"household_id": world["h"].pk, "helper_id": new.json()["id"],
                                                        "start": "2024-06-01", "replace": True},
                        content_type="application/json")
        assert r.status_code == 201
        assert Pairing.objects.get(pk=pairing.pk).end == dt.date(2024, 5, 31)
        # a helper's token logs own visits only
        hclient = api(world["helper_user"])
        r = hclient.post("/api/v1/assistance/visits", {"household_id": world["other"].pk, "date": "2024-05-02",
                                                       "findings": "x"}, content_type="application/json")
        assert r.status_code == 403


def test_helper_form_links_a_user_of_the_area_only(world, make_user):
    c = world["c"]
    local = make_user("helper", VILLAGE_A, username="local_helper")
    far = make_user("helper", VILLAGE_B, username="far_helper")
    data = {"name": "新帮扶", "area_code": VILLAGE_A, "level": "county", "active": "on"}
    r = c.post(reverse("assistance:helper_create"), {**data, "username": "far_helper"})
    assert r.status_code == 200 and not Helper.objects.filter(user=far).exists()
    r = c.post(reverse("assistance:helper_create"), {**data, "username": "local_helper"})
    assert r.status_code == 302 and Helper.objects.get(user=local).name == "新帮扶"


GARBAGE = ["abc", "²", "²²²²", "1e9", "-1", "99999999999999999999", "2024-13", "%00", ""]


def test_list_pages_take_garbage_parameters(world):
    """?year=², ?helper=², ?page=x … give the page (the parameter ignored), never a 500:
    str.isdigit() is true for '²', which int() refuses."""
    c = world["c"]
    pages = {
        "assistance:helpers": ["q", "page", "view"], "assistance:teams": ["show", "page"],
        "assistance:plans": ["year", "kind", "page"], "assistance:measures": ["year", "type", "page", "withdrawn"],
        "assistance:visits": ["helper", "page", "withdrawn"],
        "assistance:six_clear": ["year", "by", "item", "page"], "assistance:coverage": ["year", "list", "page"],
        "assistance:payments": ["month"], "assistance:posts": ["page"], "assistance:links": ["page"],
    }
    with clock.frozen(TODAY):
        for name, params in pages.items():
            for param in params:
                for value in GARBAGE:
                    r = c.get(reverse(name), {param: value})
                    assert r.status_code == 200, (name, param, value)
        for value in GARBAGE:
            for extra in ({"item": "income", "helper": value}, {"item": "income", "village": value}):
                r = c.get(reverse("assistance:six_clear"), extra)
                assert r.status_code == 200, (extra, value)
            r = c.get(reverse("assistance:team", args=[_team(world).pk]), {"from": value})
            assert r.status_code == 200, ("team from", value)


def _team(world):
    team = WorkTeam.objects.filter(village=world["village"]).first()
    return team or actions.create_team(SYSTEM, village=world["village"], unit=world["unit"],
                                       start=dt.date(2024, 1, 1))


def test_new_measure_and_visit_take_garbage_targets(world):
    """?household=abc on the measure and visit forms is 404 (no such household), not a 500."""
    with clock.frozen(TODAY):
        for value in ["abc", "²", "1.5", "99999999999999999999"]:
            r = world["c"].get(reverse("assistance:measure_create"), {"household": value})
            assert r.status_code == 404, ("measure household", value)
            r = world["c"].get(reverse("assistance:measure_create"), {"village": value})
            assert r.status_code == 404, ("measure village", value)
            r = world["hc"].get(reverse("assistance:visit_log"), {"household": value})
            assert r.status_code in (200, 404), ("visit household", value)
        r = world["c"].get(reverse("assistance:measure_create"), {"household": world["h"].pk})
        assert r.status_code == 200


def test_api_lists_take_an_id_past_64_bits(world, api):
    """?household_id= or ?helper_id= past 64 bits finds nothing (the _id lookup sent it to
    SQLite, which raised OverflowError: a 500); a real id still filters."""
    client = api(world["office"])
    huge = "99999999999999999999"
    with clock.frozen(TODAY):
        for path, params in (("pairings", ("household_id", "helper_id")), ("measures", ("household_id",)),
                             ("visits", ("household_id", "helper_id"))):
            for param in params:
                r = client.get(f"/api/v1/assistance/{path}", {param: huge})
                assert (r.status_code, r.json()["count"]) == (200, 0), (path, param)
        r = client.get("/api/v1/assistance/pairings", {"helper_id": world["helper"].pk})
        assert r.json()["count"] == Pairing.objects.filter(helper=world["helper"]).count() > 0


def test_api_refusals_name_the_field_in_words(world, api, settings):
    """?area=abc and a measure for nothing are 422 with a translatable message naming the field."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with clock.frozen(TODAY), translation.override("en"):
        client = api(world["office"])
        for path in ("/api/v1/assistance/helpers", "/api/v1/assistance/measures", "/api/v1/assistance/visits",
                     "/api/v1/assistance/pairings"):
            r = client.get(path, {"area": "abc"})
            assert r.status_code == 422 and r.json()["field"] == "area", (path, r.content)
            assert "12-digit area code" in r.json()["message"], r.json()
        r = client.post("/api/v1/assistance/measures", {"type": "employment", "date": "2024-05-01"},
                        content_type="application/json")
        assert r.status_code == 422 and r.json()["field"] == "household_id", r.content
        assert r.json()["message"] == "A measure is for a household or a village."
