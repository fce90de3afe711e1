"""Dates in monitoring, assistance and procedures, read by core.dates.parse_date: the
spellings people write (2024/1/5, 2024年1月5日) are taken where they type dates; week dates
(2024-W01-5, which Python 3.13's date.fromisoformat took) and impossible days are refused;
every refusal is the caller's message — the field of an action, a page or an API call,
the row and column of an import report — never a server error. A cell of an assistance
file that is not a date is named in the report (it used to become None quietly). A
procedure document revives only the ISO dates its snapshot writes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import translation

from fupin.areas.models import Area, Unit
from fupin.assistance import actions as assistance
from fupin.assistance import catalog
from fupin.assistance import importers as assistance_files
from fupin.assistance.models import Measure, Pairing, TeamMember, Visit, WorkTeam
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Invalid
from fupin.core.tabular import write_xlsx
from fupin.monitoring import actions as monitoring
from fupin.monitoring import importers as warning_files
from fupin.monitoring.models import DepartmentWarning, Discovery
from fupin.monitoring.models import MonitoredHousehold as M
from fupin.procedures import actions as procedures
from fupin.procedures import documents
from fupin.procedures.models import AppraisalMeeting, Objection
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A
from tests.test_assistance import make_household
from tests.test_monitoring import household
from tests.test_procedures import advance, all_for, do, make_households, start

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals

D = dt.date
JAN_5 = D(2024, 1, 5)
TYPED = ["2024/1/5", "2024年1月5日", "2024.1.5", "２０２４-０１-０５"]  # 5 January 2024 as people write it
WEEK_DATE = "2024-W01-5"  # the Friday of 2024's first ISO week, 5 January, for date.fromisoformat
NOT_A_DATE = "not a date (write it as YYYY-MM-DD)"  # core.dates' reasons, in an import report
NOT_A_REAL_DATE = "not a real date"


def week_date(day: dt.date) -> str:
    year, week, weekday = day.isocalendar()
    return f"{year}-W{week:02d}-{weekday}"


def cells(report) -> list[tuple]:
    return [(e.row, e.column, e.value, e.reason) for e in report.errors]


# --- monitoring: actions (the record page) -------------------------------------------------------

@pytest.fixture
def episode(two_counties):
    return monitoring.open_episode(SYSTEM, household(90), kind=M.SUDDEN, channel=Discovery.VISIT,
                                   date=D(2024, 1, 2), who="李明", what="火灾")


@pytest.mark.parametrize("typed", TYPED)
def test_monitoring_takes_the_dates_people_type(episode, typed):
    help_ = monitoring.record_help(SYSTEM, episode, date=typed, what="救助金", amount="100", given_by="民政所")
    assert help_.date == JAN_5


@pytest.mark.parametrize("bad", [WEEK_DATE, "2024-02-30", "1879-01-05", "2024-01-05abc", "明天", "", None])
def test_monitoring_refuses_what_is_not_a_date_naming_the_field(episode, bad):
    with pytest.raises(Invalid) as refused:
        monitoring.record_visit(SYSTEM, episode, date=bad, visitors="李明、王芳", findings="看望")
    assert (refused.value.field, str(refused.value.message)) == ("date", "Not a date (YYYY-MM-DD).")
    assert not episode.visits.exists()


def test_monitoring_still_refuses_a_future_date(episode):
    with clock.frozen(D(2024, 1, 4)), pytest.raises(Invalid) as refused:
        monitoring.record_help(SYSTEM, episode, date="2024/1/5", what="救助金", given_by="民政所")
    assert (refused.value.field, str(refused.value.message)) == ("date", "The date is in the future.")


def test_monitoring_record_page_takes_typed_dates_and_answers_garbage(episode, make_user, login):
    c = login(make_user("village_cadre", VILLAGE_A))
    url = reverse("monitoring:record_action", args=[episode.pk])
    post = {"action": "help", "what": "救助金", "amount": "100", "given_by": "民政所"}
    r = c.post(url, {**post, "date": "2024年1月5日"}, follow=True)
    assert r.status_code == 200 and list(episode.help.values_list("date", flat=True)) == [JAN_5]
    for bad in (WEEK_DATE, "2024-13-01", "yesterday"):
        r = c.post(url, {**post, "date": bad}, follow=True)
        assert r.status_code == 200 and "Not a date (YYYY-MM-DD)." in r.content.decode(), bad
    assert episode.help.count() == 1


# --- monitoring: a department's warning file ---------------------------------------------------------

def _warning_file(tmp_path, member, days) -> str:
    path = tmp_path / "warnings.xlsx"
    write_xlsx(path, [c.header for c in warning_files.COLUMNS],
               [(member.id_number, member.name, "医疗费用", day, "100", "") for day in days])
    return path


def test_warning_file_takes_the_dates_people_type(two_counties, tmp_path):
    member = household(91).members.get()
    path = _warning_file(tmp_path, member, ["2023/6/1", "2023年6月1日", "2023.06.01", "2023-06-01 08:30:00"])
    n, report = warning_files.import_file(SYSTEM, path, department="县医保局", area_code=COUNTY_A)
    assert not report, report.summary()
    assert n == 4 and set(DepartmentWarning.objects.values_list("date", flat=True)) == {D(2023, 6, 1)}


def test_warning_file_names_each_cell_that_is_not_a_date(two_counties, tmp_path):
    member = household(92).members.get()
    path = _warning_file(tmp_path, member, [WEEK_DATE, "2023-06-31", "2023-06-01abc", "1870-06-01", "2023-06-01"])
    n, report = warning_files.import_file(SYSTEM, path, department="县医保局", area_code=COUNTY_A)
    assert n == 0 and cells(report) == [
        (2, "日期", WEEK_DATE, NOT_A_DATE), (3, "日期", "2023-06-31", NOT_A_REAL_DATE),
        (4, "日期", "2023-06-01abc", NOT_A_DATE), (5, "日期", "1870-06-01", "a date before 1880 is impossible here")]
    with translation.override("zh-hans"):
        _n, report = warning_files.import_file(SYSTEM, path, department="县医保局", area_code=COUNTY_A)
    assert report.errors[1].reason == "不是有效日期"
    assert not DepartmentWarning.objects.exists()


# --- assistance: actions, measure details, the API --------------------------------------------------

TODAY = D(2024, 6, 15)
SIGNED = {"name": "signed", "zh": "签约日期", "en": "Signed on", "kind": "date"}


@pytest.fixture
def helping(two_counties):
    with clock.frozen(TODAY):
        village = Area.objects.get(code=VILLAGE_A)
        unit = Unit.objects.get(area_code=COUNTY_A)
        h = make_household("3607291002010001")
        helper = assistance.save_helper(SYSTEM, None, name="王帮扶", area=village, unit=unit, phone="13970010001")
        yield {"village": village, "unit": unit, "h": h, "helper": helper}


@pytest.fixture
def signed_on(monkeypatch):
    """The employment measure with a date among its details (no shipped type has one yet)."""
    real = catalog.measure_type

    def measure_type(code):
        t = real(code)
        return {**t, "fields": [*t["fields"], SIGNED]} if code == "employment" else t

    monkeypatch.setattr(catalog, "measure_type", measure_type)


@pytest.mark.parametrize("typed", [*TYPED, dt.datetime(2024, 1, 5, 9, 30)])
def test_assistance_takes_the_dates_people_type(helping, typed):
    """A datetime is its day (it was kept a datetime, and comparing it with today failed)."""
    with clock.frozen(TODAY):
        visit = assistance.log_visit(SYSTEM, household=helping["h"], helper=helping["helper"], date=typed,
                                     findings="看望")
        pairing = assistance.pair(SYSTEM, helping["h"], helping["helper"], typed)
    assert (visit.date, pairing.start) == (JAN_5, JAN_5)


@pytest.mark.parametrize("bad", [WEEK_DATE, "2024-02-30", "1879-01-05", "明天", None])
def test_assistance_refuses_what_is_not_a_date_naming_the_field(helping, bad):
    with clock.frozen(TODAY), pytest.raises(Invalid) as refused:
        assistance.pair(SYSTEM, helping["h"], helping["helper"], bad)
    assert (refused.value.field, str(refused.value.message)) == ("start", "A date (YYYY-MM-DD) is needed.")
    assert not Pairing.objects.exists()


@pytest.mark.parametrize("typed", ["2024/3/1", "2024年3月1日", "２０２４年３月１日"])
def test_a_detail_date_is_read_and_kept_as_iso(helping, signed_on, typed):
    with clock.frozen(TODAY):
        m = assistance.record_measure(SYSTEM, type="employment", date=TODAY, household=helping["h"],
                                      details={"job": "护路员", "signed": typed})
    assert m.details["signed"] == "2024-03-01"


@pytest.mark.parametrize(("bad", "reason"), [(WEEK_DATE, NOT_A_DATE), ("2024-02-30", NOT_A_REAL_DATE)])
def test_the_api_refuses_a_detail_that_is_not_a_date_naming_it(helping, signed_on, make_user, api, bad, reason):
    client = api(make_user("county_office", COUNTY_A))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def post(details, date="2024-05-01"):
        with clock.frozen(TODAY):
            return client.post("/api/v1/assistance/measures", json.dumps({
                "household_id": helping["h"].pk, "type": "employment", "date": date,
                "details": {"job": "护路员", **details}}), content_type="application/json")

    r = post({"signed": "2024年3月1日"})
    assert r.status_code == 201 and r.json()["details"]["signed"] == "2024-03-01"
    r = post({"signed": bad})
    assert r.status_code == 422 and (r.json()["field"], r.json()["message"]) == (
        "signed", "Signed on: a date (YYYY-MM-DD)")
    r = post({}, date=bad)  # the measure's own date: read by the API as the pages read it (api.base.Day)
    assert r.status_code == 422 and (r.json()["field"], r.json()["message"]) == (
        "date", f"The date “{bad}” was not understood: {reason}.")
    assert Measure.objects.count() == 1


# --- assistance: files ---------------------------------------------------------------------------------

def _file(tmp_path, kind, rows):
    path = tmp_path / f"{kind}.xlsx"
    write_xlsx(path, assistance_files.headers(kind), rows)
    return path


def _team_row(name, phone, role, start="2024-01-05", left="", m_start="", m_end=""):
    return [VILLAGE_A, "全南县乡村振兴局", "石桥村工作队", start, left, name, phone, "", role, m_start, m_end]


def test_assistance_files_take_the_dates_people_type(helping, signed_on, tmp_path):
    h = helping["h"]
    with clock.frozen(TODAY):
        imports = {
            "teams": [_team_row("周书记", "13970010011", "第一书记", start="2024年1月5日", m_start="2024/2/1"),
                      _team_row("吴队员", "13970010012", "工作队员", start="2024.1.5", m_end="2024年5月31日")],
            "pairings": [[h.number, "王帮扶", "13970010001", "", "", "", "2024/1/5", "", ""]],
            "visits": [[h.number, "13970010001", "2024年1月5日", "了解收入", ""]],
            "measures": [[h.number, "", "就业扶贫", "2024/1/5", "", "", "", "岗位=保洁员；签约日期=2024年1月2日", ""]],
        }
        for kind, rows in imports.items():
            _counts, report = assistance_files.import_file(SYSTEM, kind, _file(tmp_path, kind, rows))
            assert not report, (kind, report.summary())
    assert WorkTeam.objects.get().start == JAN_5
    assert set(TeamMember.objects.values_list("person__name", "start", "end")) == {
        ("周书记", D(2024, 2, 1), None), ("吴队员", JAN_5, D(2024, 5, 31))}
    assert Pairing.objects.get().start == JAN_5 and Visit.objects.get().date == JAN_5
    measure = Measure.objects.get()
    assert (measure.date, measure.details["signed"]) == (JAN_5, "2024-01-02")


def test_a_team_member_date_that_is_not_a_date_is_named_not_dropped(helping, tmp_path):
    """A member's own dates that were not dates became the team's dates without a word."""
    path = _file(tmp_path, "teams", [
        _team_row("周书记", "13970010011", "第一书记", m_start="2024-13-01"),
        _team_row("吴队员", "13970010012", "工作队员", m_end="明年"),
        _team_row("郑队员", "13970010013", "工作队员", m_start=WEEK_DATE),
        _team_row("冯队员", "13970010014", "工作队员"),  # empty optional cells stay allowed
    ])
    with clock.frozen(TODAY):
        counts, report = assistance_files.import_file(SYSTEM, "teams", path)
    assert counts == {} and cells(report) == [(2, "队员进驻日期", "2024-13-01", NOT_A_REAL_DATE),
                                              (3, "队员离开日期", "明年", NOT_A_DATE),
                                              (4, "队员进驻日期", WEEK_DATE, NOT_A_DATE)]
    assert not TeamMember.objects.exists() and not WorkTeam.objects.exists()


def test_assistance_files_name_each_cell_that_is_not_a_date(helping, signed_on, tmp_path):
    h = helping["h"]
    files = {
        "pairings": ([[h.number, "王帮扶", "13970010001", "", "", "", "", "", ""],
                      [h.number, "王帮扶", "13970010001", "", "", "", "2024-01-05", "不详", ""]],
                     [(2, "开始日期", "", "a date (YYYY-MM-DD) is needed"), (3, "结束日期", "不详", NOT_A_DATE)]),
        "teams": ([_team_row("周书记", "13970010011", "第一书记", start="2024-01-05", left="2024-02-30")],
                  [(2, "撤离日期", "2024-02-30", NOT_A_REAL_DATE)]),
        "measures": ([[h.number, "", "就业扶贫", WEEK_DATE, "", "", "", "岗位=保洁员", ""],
                      [h.number, "", "就业扶贫", "2024-01-05", "", "", "", "岗位=保洁员；签约日期=2024-W01-2", ""]],
                     [(2, "日期", WEEK_DATE, NOT_A_DATE),
                      (3, "明细", "岗位=保洁员；签约日期=2024-W01-2", "Signed on: a date (YYYY-MM-DD)")]),
        "visits": ([[h.number, "13970010001", "2024-04-31", "了解收入", ""],
                    [h.number, "13970010001", "2024-01-05 08:30 开会", "了解收入", ""]],
                   [(2, "日期", "2024-04-31", NOT_A_REAL_DATE), (3, "日期", "2024-01-05 08:30 开会", NOT_A_DATE)]),
    }
    assistance.pair(SYSTEM, h, helping["helper"], D(2024, 1, 1))  # the visits' helper must be known
    for kind, (rows, expected) in files.items():
        with clock.frozen(TODAY):
            counts, report = assistance_files.import_file(SYSTEM, kind, _file(tmp_path, kind, rows))
        assert counts == {} and cells(report) == expected, kind
    assert not Measure.objects.exists() and not Visit.objects.exists() and Pairing.objects.count() == 1


# --- procedures ----------------------------------------------------------------------------------------

@pytest.fixture
def appraisal(two_counties, make_user):
    """A batch at its appraisal step, on the day it may be held."""
    officer = make_user("county_office", COUNTY_A)
    actor = Actor(officer)
    batch = start(actor, make_households(VILLAGE_A, 2))
    day = advance(actor, batch, until="appraisal")
    return {"officer": officer, "actor": actor, "batch": batch, "day": day}


def _appraise(a, held_on):
    return do(a["actor"], a["batch"], "appraise", a["day"], held_on=held_on, total=30, present=20, minutes="评议",
              votes=all_for(a["batch"]))


@pytest.mark.parametrize("spelling", ["{y}/{m}/{d}", "{y}年{m}月{d}日", "{y}.{m}.{d}"])
def test_procedures_take_the_meeting_date_people_type(appraisal, spelling):
    day = appraisal["day"]
    _appraise(appraisal, spelling.format(y=day.year, m=day.month, d=day.day))
    assert AppraisalMeeting.objects.get().held_on == day


@pytest.mark.parametrize("bad", ["week", "2024-02-30", "1879-01-05", "明天"])
def test_procedures_refuse_what_is_not_a_date_naming_the_field(appraisal, bad):
    with pytest.raises(Invalid) as refused:
        _appraise(appraisal, week_date(appraisal["day"]) if bad == "week" else bad)
    assert (refused.value.field, str(refused.value.message)) == ("held_on", "Not a date (YYYY-MM-DD).")
    assert not AppraisalMeeting.objects.exists()


def test_procedures_page_and_api_answer_a_date_that_is_not_one(appraisal, login, api):
    a, batch, day = appraisal, appraisal["batch"], appraisal["day"]
    batch.refresh_from_db()
    form = {"step": batch.current_step["code"], "version": batch.version, "action": "appraise", "total": 30,
            "present": 20, "minutes": "评议", **{f"for_{pk}": 20 for pk in all_for(batch)}}
    client = login(a["officer"])
    for bad in (week_date(day), "soon"):
        with clock.frozen(day):
            r = client.post(reverse("procedures:act", args=[batch.pk]), {**form, "held_on": bad})
        assert r.status_code == 422 and "Not a date (YYYY-MM-DD)." in r.content.decode(), bad
    body = {"step": form["step"], "action": "appraise", "version": batch.version, "held_on": "soon", "total": 30,
            "present": 20, "minutes": "评议", "votes": {str(pk): v for pk, v in all_for(batch).items()}}
    with clock.frozen(day):
        r = api(a["officer"]).post(f"/api/v1/procedures/batches/{batch.pk}/act", json.dumps(body),
                                   content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422 and r.json()["field"] == "held_on"
    assert r.json()["message"].startswith("The date “soon” was not understood")  # as the pages read dates
    assert not AppraisalMeeting.objects.exists()


def test_an_objection_date_people_type_and_a_week_date(appraisal):
    a, batch = appraisal, appraisal["batch"]
    advance(a["actor"], batch, until="village_notice", on=a["day"])
    do(a["actor"], batch, "publish", D(2024, 3, 1))
    member = batch.members.first()

    def raise_objection(received_on):
        return procedures.raise_objection(a["actor"], batch, member.pk, content="有车", received_on=received_on)

    with clock.frozen(D(2024, 3, 4)):
        with pytest.raises(Invalid) as refused:
            raise_objection(week_date(D(2024, 3, 2)))
        assert (refused.value.field, str(refused.value.message)) == ("received_on", "Not a date (YYYY-MM-DD).")
        assert not Objection.objects.exists()
        objection = raise_objection("2024年3月2日")
    assert objection.received_on == D(2024, 3, 2)


def test_documents_revive_only_the_iso_dates_their_snapshot_writes():
    """The snapshot stores date.isoformat(); fromisoformat's other spellings are not its
    dates, nor the ones people type (those are read where people type them)."""
    data = {"date": "2024-03-01", "steps": [{"started": "20240301", "closed": WEEK_DATE, "notes": "2024-03-01"}],
            "members": [{"people": [{"birth_date": "1980/1/1"}, {"birth_date": "1980-01-01"}]}],
            "meeting": {"held_on": None}}
    revived = documents._revive(data)
    assert revived["date"] == D(2024, 3, 1)
    assert revived["steps"] == [{"started": "20240301", "closed": WEEK_DATE, "notes": "2024-03-01"}]
    assert revived["members"][0]["people"] == [{"birth_date": "1980/1/1"}, {"birth_date": D(1980, 1, 1)}]
    assert revived["meeting"] == {"held_on": None}
