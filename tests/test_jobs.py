"""Background jobs: run at once in tests, with progress, log and files; failures end
FAILED with their message; the detail page polls through htmx; who sees which job;
downloads of personal data are logged."""

import pytest
from django.tasks import task
from django.test import Client
from django.urls import reverse

from fupin.audit.models import AuditEvent
from fupin.core.actor import Actor
from fupin.jobs import actions as jobs
from fupin.jobs.models import Job
from tests.conftest import COUNTY_A, COUNTY_B, SYSTEM, TOWNSHIP_A, VILLAGE_A


@task()
def counting_task(job_id: str) -> None:
    def body(progress):
        rows = progress.params["rows"]
        progress.set_total(len(rows))
        for i, row in enumerate(rows, start=1):
            progress.log(f"row {i}: {row}")
            progress.update(i, message=f"{i}/{len(rows)}")
        out = progress.job.params["out"]
        with open(out, "w", encoding="utf-8") as fh:
            fh.write("\n".join(rows))
        progress.attach(out, "结果", personal=progress.params.get("personal", False))
        progress.attach(out, "说明")

    jobs.run(job_id, body)


@task()
def failing_task(job_id: str) -> None:
    def body(progress):
        progress.set_total(10)
        progress.update(3)
        raise ValueError("第4行的身份证号无效")

    jobs.run(job_id, body)


@task()
def silent_failure_task(job_id: str) -> None:
    def body(progress):
        raise RuntimeError

    jobs.run(job_id, body)


@task()
def refused_import_task(job_id: str) -> None:
    from fupin.core.tabular import ErrorReport

    def body(progress):
        report = ErrorReport()
        report.add(2, "证件号码", "36072919800101001X", "校验码错误")
        report.add(5, "与户主关系", "表哥", "不在代码表中")
        progress.fail_with_report(report, "2 行有误，未导入。", done=7, personal=True, result={"rows": 7})

    jobs.run(job_id, body)


def start(user, task_fn=counting_task, area_code=COUNTY_A, tmp_path=None, personal=False, rows=("甲", "乙", "丙")):
    actor = Actor(user=user, ip="127.0.0.1") if user is not None else SYSTEM
    return jobs.start(actor, task_fn, kind="test.count", title="测试任务", area_code=area_code,
                      params={"rows": list(rows), "out": str(tmp_path / "out.txt") if tmp_path else "",
                              "personal": personal})


def test_job_runs_at_once_with_progress_log_and_files(two_counties, make_user, tmp_path):
    user = make_user("county_office", COUNTY_A)
    job = start(user, tmp_path=tmp_path)
    assert job.status == Job.SUCCEEDED
    assert (job.total, job.done, job.percent, job.error_count) == (3, 3, 100, 0)
    assert job.started_at is not None and job.finished_at >= job.started_at
    assert job.message == "3/3"
    assert job.task_id
    assert [line.split("] ", 1)[1] for line in job.log.splitlines()] == ["row 1: 甲", "row 2: 乙", "row 3: 丙"]
    assert [f.label for f in job.files.order_by("pk")] == ["结果", "说明"]
    assert job.files.get(label="结果").file.read().decode() == "甲\n乙\n丙"
    started = AuditEvent.objects.get(action="jobs.start", object_id=str(job.pk))
    assert started.user == user and started.area_code == COUNTY_A and started.after["kind"] == "test.count"


def test_failing_job_ends_failed_with_its_message(two_counties, make_user):
    job = start(make_user("county_office", COUNTY_A), failing_task)
    assert job.status == Job.FAILED
    assert job.message == "第4行的身份证号无效"
    assert (job.done, job.total, job.percent) == (3, 10, 30)
    assert "ValueError" in job.log and job.finished_at is not None
    assert "Traceback" not in job.log and str(job.pk) in job.log  # the details are in the server's log
    assert not job.is_active


@task()
def refused_task(job_id: str) -> None:
    from fupin.core.errors import Invalid

    def body(progress):
        raise Invalid("缺少列：证件号码")

    jobs.run(job_id, body)


def test_a_refusal_is_logged_as_its_message_alone(two_counties, make_user, caplog):
    job = start(make_user("county_office", COUNTY_A), refused_task)
    assert (job.status, job.message) == (Job.FAILED, "缺少列：证件号码")
    assert [line.split("] ", 1)[1] for line in job.log.splitlines()] == ["缺少列：证件号码"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # not a fault of the system


def test_an_unexpected_error_goes_to_the_server_log_with_its_traceback(two_counties, make_user, caplog):
    job = start(make_user("county_office", COUNTY_A), failing_task)
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and str(job.pk) in errors[0].getMessage() and errors[0].exc_info[0] is ValueError


def test_log_lines_carry_the_local_time(two_counties, make_user, settings):
    import datetime as dt

    from fupin.core import clock

    settings.TIME_ZONE = "Asia/Shanghai"
    with clock.frozen(dt.datetime(2026, 3, 2, 18, 26, 55, tzinfo=dt.UTC)):
        job = start(make_user("county_office", COUNTY_A))
    assert job.log.startswith("[02:26:55] "), job.log  # 18:26:55 UTC is 02:26:55 in Beijing


def test_a_refused_import_fails_with_its_error_report(two_counties, make_user):
    from python_calamine import CalamineWorkbook

    job = start(make_user("county_office", COUNTY_A), refused_import_task)
    assert (job.status, job.message, job.done, job.error_count, job.result) == (Job.FAILED, "2 行有误，未导入。", 7, 2,
                                                                                 {"rows": 7})
    report = job.files.get()
    assert report.contains_personal_data
    rows = CalamineWorkbook.from_path(report.file.path).get_sheet_by_index(0).to_python()
    assert any("校验码错误" in [str(c) for c in row] for row in rows)
    assert any("不在代码表中" in [str(c) for c in row] for row in rows)


def test_failure_without_a_message_names_the_error(two_counties, make_user):
    job = start(make_user("county_office", COUNTY_A), silent_failure_task)
    assert job.status == Job.FAILED and job.message == "RuntimeError"


def test_detail_page_and_htmx_partial(two_counties, make_user, tmp_path):
    user = make_user("county_office", COUNTY_A)
    job = start(user, tmp_path=tmp_path)
    client = Client()
    client.force_login(user)
    url = reverse("jobs:detail", args=[job.pk])
    full = client.get(url)
    assert full.status_code == 200 and "<html" in full.content.decode()
    assert full.templates[0].name == "jobs/detail.html"
    partial = client.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    html = partial.content.decode()
    assert "<html" not in html and html.lstrip().startswith('<div id="job-progress"')
    assert partial.templates[0].name == "jobs/_progress.html"
    assert "100%" in html and "结果" in html
    assert "hx-trigger" not in html, "a finished job stops polling"


def test_running_job_polls(two_counties, make_user):
    user = make_user("county_office", COUNTY_A)
    job = Job.objects.create(kind="test", title="运行中", area_code=COUNTY_A, created_by=user, status=Job.RUNNING,
                             total=200, done=50)
    client = Client()
    client.force_login(user)
    html = client.get(reverse("jobs:detail", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in html and f'hx-get="{reverse("jobs:detail", args=[job.pk])}"' in html
    assert "25%" in html


@pytest.fixture
def jobs_world(two_counties, make_user):
    cadre = make_user("village_cadre", VILLAGE_A)
    helper = make_user("helper", VILLAGE_A)
    b_office = make_user("county_office", COUNTY_B)
    return {
        "cadre": cadre, "helper": helper,
        "cadre_job": Job.objects.create(kind="t", title="村里的", area_code=VILLAGE_A, created_by=cadre),
        "county_job": Job.objects.create(kind="t", title="县里的", area_code=COUNTY_A, created_by=None),
        "b_job": Job.objects.create(kind="t", title="龙南的", area_code=COUNTY_B, created_by=b_office),
    }


def _visible(user):
    client = Client()
    client.force_login(user)
    response = client.get(reverse("jobs:list"))
    assert response.status_code == 200
    return {j.title for j in response.context["jobs"]}, client


def test_job_visibility(jobs_world, make_user):
    w = jobs_world
    # Own jobs only, for roles without jobs.view.
    seen, client = _visible(w["cadre"])
    assert seen == {"村里的"}
    seen, client = _visible(w["helper"])
    assert seen == set()
    assert client.get(reverse("jobs:detail", args=[w["cadre_job"].pk])).status_code == 404
    # jobs.view: every job of the area, nothing outside it.
    seen, client = _visible(make_user("county_office", COUNTY_A))
    assert seen == {"村里的", "县里的"}
    assert client.get(reverse("jobs:detail", args=[w["cadre_job"].pk])).status_code == 200
    assert client.get(reverse("jobs:detail", args=[w["b_job"].pk])).status_code == 404
    seen, _ = _visible(make_user("township_officer", TOWNSHIP_A))
    assert seen == {"村里的"}
    seen, _ = _visible(make_user("inspector", COUNTY_A))
    assert seen == {"村里的", "县里的"}


def test_job_api_visibility(jobs_world, make_user, api):
    w = jobs_world
    client = api(make_user("county_office", COUNTY_A))
    body = client.get("/api/v1/jobs").json()
    assert {j["title"] for j in body["items"]} == {"村里的", "县里的"} and body["count"] == 2
    assert client.get(f"/api/v1/jobs/{w['cadre_job'].pk}").json()["title"] == "村里的"
    response = client.get(f"/api/v1/jobs/{w['b_job'].pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert api(w["helper"]).get("/api/v1/jobs").json()["count"] == 0
    assert client.get("/api/v1/jobs", {"status": "failed"}).json()["count"] == 0


def test_download_of_personal_file_is_logged(two_counties, make_user, tmp_path):
    user = make_user("county_office", COUNTY_A)
    job = start(user, tmp_path=tmp_path, personal=True)
    personal, plain = job.files.get(label="结果"), job.files.get(label="说明")
    inspector = make_user("inspector", COUNTY_A)
    client = Client()
    client.force_login(inspector)

    response = client.get(reverse("jobs:file", args=[job.pk, personal.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode() == "甲\n乙\n丙"
    assert "attachment" in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="jobs.file.download")
    assert event.kind == "export" and event.user == inspector and event.area_code == COUNTY_A
    assert str(job.pk) in event.note and "结果" in event.note

    response = client.get(reverse("jobs:file", args=[job.pk, plain.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == "甲\n乙\n丙".encode()  # read to the end: closes the file
    assert AuditEvent.objects.filter(action="jobs.file.download").count() == 1, "a plain file is not an export"


def test_file_of_another_job_or_county_is_404(two_counties, make_user, tmp_path):
    a_user = make_user("county_office", COUNTY_A)
    b_user = make_user("county_office", COUNTY_B)
    a_job = start(a_user, tmp_path=tmp_path, personal=True)
    (tmp_path / "b").mkdir()
    b_job = start(b_user, area_code=COUNTY_B, tmp_path=tmp_path / "b", personal=True)
    client = Client()
    client.force_login(a_user)
    b_file = b_job.files.first()
    assert client.get(reverse("jobs:file", args=[b_job.pk, b_file.pk])).status_code == 404
    assert client.get(reverse("jobs:file", args=[a_job.pk, b_file.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="jobs.file.download").exists()


def test_missing_file_on_disk_is_404(two_counties, make_user, tmp_path):
    user = make_user("county_office", COUNTY_A)
    job = start(user, tmp_path=tmp_path)
    jf = job.files.get(label="说明")
    jf.file.delete(save=False)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("jobs:file", args=[job.pk, jf.pk])).status_code == 404


def test_delete_files_is_logged(two_counties, make_user, tmp_path):
    user = make_user("county_office", COUNTY_A)
    job = start(user, tmp_path=tmp_path)
    paths = [f.file.path for f in job.files.all()]
    jobs.delete_files(Actor(user=user), job)
    assert not job.files.exists()
    import os

    assert not any(os.path.exists(p) for p in paths)
    assert AuditEvent.objects.filter(action="jobs.delete_files", object_id=str(job.pk)).exists()


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(("total", "done", "errors", "shown"), [
    (0, 0, 0, None),  # a job that failed before counting anything says nothing about progress
    (200, 50, 0, "Failed after 50 of 200"),
    (200, 50, 1, "Failed after 50 of 200"),  # errors are counted apart, in #job-errors
    (0, 0, 3, None),
])
def test_the_counts_line_says_only_what_is_known(two_counties, make_user, total, done, errors, shown):
    import re

    user = make_user("county_office", COUNTY_A)
    job = Job.objects.create(kind="test", title="t", area_code=COUNTY_A, created_by=user, status=Job.FAILED,
                             total=total, done=done, error_count=errors)
    client = Client()
    client.force_login(user)
    html = client.get(reverse("jobs:detail", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    m = re.search(r'<div class="small" id="job-counts">(.*?)</div>', html)
    assert (m.group(1) if m else None) == shown
