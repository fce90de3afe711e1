"""The data comparison's pages, API and command: a county officer imports a vehicle
data set and a dibao list, works the queue, downloads the three forms and the linkage
report; every view and download is logged; ID numbers are masked; helpers and other
counties see nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from python_calamine import CalamineWorkbook

from fupin.audit.models import AuditEvent
from fupin.comparison import rules
from fupin.comparison.models import ExternalDataset, Hit
from fupin.core.masking import mask_id_number
from fupin.core.tabular import write_xlsx
from fupin.jobs.models import Job
from fupin.registry.models import Member
from tests import test_comparison as base
from tests.conftest import COUNTY_A, COUNTY_B, TOWNSHIP_A, VILLAGE_A
from tests.test_comparison import (
    CUTOFF,
    DAY,
    DIBAO_HEADERS,
    VEHICLE_HEADERS,
    X,
    Y,
    Z,
    hit_of,
    table_file,
    vehicle_rows,
)

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals


# The fixtures of tests/test_comparison.py (pytest finds fixtures by name in the module).
world, vehicles = base.world, base.vehicles


def _xlsx(headers, rows) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    write_xlsx(buffer, headers, rows)
    return SimpleUploadedFile("data.xlsx", buffer.getvalue())


def _read(response) -> list[list]:
    data = b"".join(response.streaming_content)
    path = io.BytesIO(data)
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".xlsx") as fh:
        fh.write(path.getvalue())
        fh.flush()
        return CalamineWorkbook.from_path(fh.name).get_sheet_by_index(0).to_python()


def test_a_county_officer_imports_works_the_queue_and_downloads_the_forms(world, make_user, login):
    officer = login(make_user("county_office", COUNTY_A))
    page = officer.get(reverse("comparison:import"))
    assert page.status_code == 200 and "Vehicles" in page.content.decode()
    rows = vehicle_rows([(X[1], X[0], CUTOFF - DAY, "150000"), (Y[1], Y[0], CUTOFF + DAY, "80000")])
    response = officer.post(reverse("comparison:import"), {
        "file": _xlsx(VEHICLE_HEADERS, rows), "kind": "vehicle", "source": "全南县交警大队", "as_of": "2016-06-30",
        "area": COUNTY_A, "name": "全南 车辆 2016"})
    assert response.status_code == 302
    job = Job.objects.get(kind="comparison.import")
    assert job.status == Job.SUCCEEDED, job.message
    ds = ExternalDataset.objects.get(name="全南 车辆 2016")
    assert ds.job_id == job.pk and ds.created_by.username.startswith("county_office")
    home = officer.get(reverse("comparison:home")).content.decode()
    assert "全南 车辆 2016" in home
    detail = officer.get(reverse("comparison:dataset", args=[ds.pk]))
    assert detail.status_code == 200 and "全南县交警大队" in detail.content.decode()

    # the queue: the hit before the cut-off is open, the one after is recorded for information
    queue = officer.get(reverse("comparison:hits"), {"queue": "decide"}).content.decode()
    assert X[0] in queue and Y[0] not in queue
    assert X[1] not in queue and mask_id_number(X[1]) in queue  # masked
    hit = hit_of(ds, X)
    cadre = login(make_user("village_cadre", VILLAGE_A))
    page = cadre.get(reverse("comparison:hit", args=[hit.pk]))
    assert page.status_code == 200 and "赣B1000" in page.content.decode()
    refused = cadre.post(reverse("comparison:decide", args=[hit.pk]), {"decision": "kept", "reason": "",
                                                                       "version": hit.version})
    assert refused.status_code == 400 and "written reason" in refused.content.decode()
    ok = cadre.post(reverse("comparison:decide", args=[hit.pk]), {"decision": "kept", "reason": "家庭确实困难",
                                                                  "version": hit.version})
    assert ok.status_code == 302
    hit.refresh_from_db()
    township = login(make_user("township_officer", TOWNSHIP_A))
    assert township.post(reverse("comparison:review", args=[hit.pk]),
                         {"action": "approve", "version": hit.version}).status_code == 302
    hit.refresh_from_db()
    assert hit.status == rules.APPROVED and hit.fact.status == "kept"
    after = hit_of(ds, Y)
    assert cadre.post(reverse("comparison:decide", args=[after.pk]), {"decision": "veto"}).status_code == 400
    assert Hit.objects.get(pk=after.pk).decision == ""

    # the three forms
    forms = officer.get(reverse("comparison:forms")).content.decode()
    assert "石桥村" in forms and "龙南" not in forms
    check = _read(officer.get(reverse("comparison:form_export", args=["check"])))
    assert len(check) == 3 and {r[6] for r in check[1:]} == {X[1], Y[1]}
    opinions = _read(officer.get(reverse("comparison:form_export", args=["opinions"])))
    assert len(opinions) == 2 and opinions[1][12] == "家庭确实困难"
    summary = _read(officer.get(reverse("comparison:form_export", args=["summary"]), {"area": VILLAGE_A}))
    assert summary[-1][1:3] == ["", ""] and summary[-1][3] == 2  # the total line
    assert AuditEvent.objects.filter(kind="export", action__startswith="comparison.form.").count() == 3

    # archive the county file
    response = officer.post(reverse("comparison:archive_area"), {"area": COUNTY_A})
    assert response.status_code == 302 and Hit.objects.get(pk=hit.pk).status == rules.ARCHIVED


def test_a_dibao_list_and_the_linkage_report(world, make_user, login):
    officer = login(make_user("county_office", COUNTY_A))
    Member.objects.filter(id_number=Z[1]).update(dibao=True)
    rows = [[X[1], X[0], "2014-01-01", "300", ""], [Z[1], Z[0], "2014-01-01", "300", ""]]
    officer.post(reverse("comparison:import"), {
        "file": _xlsx(DIBAO_HEADERS, rows), "kind": "dibao", "source": "全南县民政局", "as_of": "2016-06-30",
        "area": COUNTY_A})
    ds = ExternalDataset.objects.get(kind="dibao")
    page = officer.get(reverse("comparison:linkage"))
    text = page.content.decode()
    assert page.status_code == 200 and ds.name in text
    assert officer.get(reverse("comparison:linkage"), {"dataset": ds.pk, "list": "unmarked"}).status_code == 200
    response = officer.post(reverse("comparison:linkage_export", args=[ds.pk]))
    assert response.status_code == 302
    job = Job.objects.get(kind="comparison.linkage")
    assert job.status == Job.SUCCEEDED, job.message
    jf = job.files.get()
    assert jf.contains_personal_data
    summary = _read(officer.get(reverse("jobs:file", args=[job.pk, jf.pk])))
    values = [r[1] for r in summary[1:]]  # in the order of reports.linkage_labels()
    assert values[:7] == [1, 1, 0, 2, 2, 1, 0]  # Z marked and listed; X listed, registered, not marked
    assert AuditEvent.objects.filter(kind="read", action="comparison.linkage.view").exists()
    assert AuditEvent.objects.filter(kind="export", action="comparison.linkage.export").exists()


def test_every_view_of_hits_is_logged(vehicles, make_user, login):
    cadre = login(make_user("village_cadre", VILLAGE_A))
    cadre.get(reverse("comparison:hits"))
    cadre.get(reverse("comparison:hit", args=[hit_of(vehicles, X).pk]))
    cadre.get(reverse("comparison:forms"))
    actions = set(AuditEvent.objects.filter(kind="read").values_list("action", flat=True))
    assert {"comparison.hits.view", "comparison.hit.view", "comparison.forms.view"} <= actions


def test_confidentiality(vehicles, make_user, login, api):
    hit = hit_of(vehicles, X)
    helper = login(make_user("helper", VILLAGE_A))
    for name, args in (("comparison:home", []), ("comparison:hits", []), ("comparison:hit", [hit.pk]),
                       ("comparison:forms", []), ("comparison:linkage", [])):
        assert helper.get(reverse(name, args=args)).status_code == 403, name
    leader = login(make_user("leader", COUNTY_A))
    assert leader.get(reverse("comparison:hits")).status_code == 403
    department = login(make_user("department_officer", COUNTY_A))
    assert department.get(reverse("comparison:home")).status_code == 200
    assert department.get(reverse("comparison:hits")).status_code == 403
    other = login(make_user("county_office", COUNTY_B))
    assert other.get(reverse("comparison:hit", args=[hit.pk])).status_code == 404
    assert X[0] not in other.get(reverse("comparison:hits")).content.decode()
    assert other.get(reverse("comparison:dataset", args=[vehicles.pk])).status_code == 404
    assert other.get(reverse("comparison:form_export", args=["check"]), {"area": COUNTY_A}).status_code == 404
    rows = _read(other.get(reverse("comparison:form_export", args=["check"])))
    assert len(rows) == 1  # the header only
    client = api(make_user("county_office", COUNTY_B))
    assert client.get("/api/v1/comparison/hits").json()["count"] == 0
    assert client.get(f"/api/v1/comparison/hits/{hit.pk}").status_code == 404
    assert client.get("/api/v1/comparison/datasets").json()["count"] == 0


def test_anonymous_is_sent_to_the_login_page(vehicles):
    login_url = reverse("accounts:login")
    for name, kwargs in (("comparison:home", {}), ("comparison:hits", {}), ("comparison:forms", {}),
                         ("comparison:linkage", {}), ("comparison:cutoffs", {}), ("comparison:import", {}),
                         ("comparison:hit", {"pk": 1}), ("comparison:form_export", {"form": "check"})):
        response = Client().get(reverse(name, kwargs=kwargs))
        assert response.status_code == 302 and response["Location"].startswith(login_url), name
    assert Client().get("/api/v1/comparison/hits").status_code == 401


def test_the_api(vehicles, make_user, api):
    client = api(make_user("village_cadre", VILLAGE_A))
    data = client.get("/api/v1/comparison/hits", {"queue": "decide"}).json()
    assert data["count"] == 2 and {h["member_name"] for h in data["items"]} == {X[0], Z[0]}
    assert all("*" in h["id_number"] for h in data["items"])
    hit = hit_of(vehicles, X)
    refused = client.post(f"/api/v1/comparison/hits/{hit.pk}/decision", json.dumps({"decision": "kept"}),
                          content_type="application/json")
    assert refused.status_code == 422 and refused.json()["field"] == "reason"
    ok = client.post(f"/api/v1/comparison/hits/{hit.pk}/decision",
                     json.dumps({"decision": "veto", "version": hit.version}), content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == rules.DECIDED
    stale = client.post(f"/api/v1/comparison/hits/{hit.pk}/decision",
                        json.dumps({"decision": "veto", "version": hit.version}), content_type="application/json")
    assert stale.status_code == 409
    assert client.post(f"/api/v1/comparison/hits/{hit.pk}/review", json.dumps({"action": "approve"}),
                       content_type="application/json").status_code == 403
    township = api(make_user("township_officer", TOWNSHIP_A))
    approved = township.post(f"/api/v1/comparison/hits/{hit.pk}/review", json.dumps({"action": "approve"}),
                             content_type="application/json")
    assert approved.status_code == 200 and approved.json()["fact_id"]
    datasets = client.get("/api/v1/comparison/datasets").json()
    assert datasets["count"] == 1 and datasets["items"][0]["kind"] == "vehicle"
    assert AuditEvent.objects.filter(kind="read", action="comparison.hits.view", channel="api").exists()


def test_cutoff_pages(world, make_user, login):
    county = login(make_user("county_office", COUNTY_A))
    page = county.get(reverse("comparison:cutoffs"))
    assert page.status_code == 200 and "2015-10-26" in page.content.decode()
    response = county.post(reverse("comparison:cutoffs"), {"area_prefix": "360729", "date": "2016-10-01",
                                                           "source": "全南县文件"})
    assert response.status_code == 302
    from fupin.identification.models import CutoffDate

    c = CutoffDate.objects.get(area_prefix="360729")
    assert county.get(reverse("comparison:cutoff_edit", args=[c.pk])).status_code == 200
    assert county.post(reverse("comparison:cutoff_edit", args=[c.pk]), {
        "area_prefix": "360729", "date": "2016-10-02", "source": "改", "version": c.version}).status_code == 302
    assert county.post(reverse("comparison:cutoff_delete", args=[c.pk])).status_code == 302
    assert not CutoffDate.objects.filter(area_prefix="360729").exists()
    cadre = login(make_user("village_cadre", VILLAGE_A))
    assert cadre.post(reverse("comparison:cutoffs"), {"area_prefix": "360729", "date": "2016-10-01",
                                                      "source": "x"}).status_code == 403


def test_the_template_and_the_command(world, tmp_path, capsys):
    response = Client()
    from fupin.accounts import actions as accounts
    from tests.conftest import PASSWORD, SYSTEM

    user, _pw = accounts.create_user(SYSTEM, username="dept", role="department_officer", area_code=COUNTY_A,
                                     password=PASSWORD)
    response.force_login(user)
    sheet = _read(response.get(reverse("comparison:template", args=["real_estate"])))
    assert sheet[0][:3] == ["身份证号", "姓名", "不动产权证号"]
    path = table_file(tmp_path, VEHICLE_HEADERS, vehicle_rows([(X[1], X[0], CUTOFF - DAY, "150000")]))
    out = io.StringIO()
    call_command("import_dataset", "vehicle", str(path), source="交警", as_of="2016-06-30", area=COUNTY_A,
                 quiet_progress=True, stdout=out)
    assert "1 records imported" in out.getvalue() and "1 before the cut-off" in out.getvalue()
    ds = ExternalDataset.objects.get()
    out = io.StringIO()
    call_command("match_dataset", str(ds.pk), stdout=out)
    assert "1 hit (0 new)" in out.getvalue()
    bad = table_file(tmp_path, VEHICLE_HEADERS, vehicle_rows([("12345", "x", CUTOFF, "1")]), name="bad.csv")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_dataset", "vehicle", str(bad), source="交警", as_of="2016-06-30",
                     errors=str(tmp_path / "e.xlsx"), quiet_progress=True)
    assert (tmp_path / "e.xlsx").exists() and ExternalDataset.objects.count() == 1


def test_archiving_with_a_tampered_version_is_a_message_not_a_server_error(vehicles, make_user, login):
    from fupin.comparison import actions
    from tests.conftest import SYSTEM

    hit = actions.approve(SYSTEM, actions.decide(SYSTEM, hit_of(vehicles, X), decision=rules.VETO))
    officer = login(make_user("county_office", COUNTY_A))
    response = officer.post(reverse("comparison:archive", args=[hit.pk]), {"version": "abc"}, follow=True)
    assert response.status_code == 200
    assert Hit.objects.get(pk=hit.pk).status == rules.APPROVED
    assert [str(m) for m in response.context["messages"]]


def test_garbage_posts_are_answered_not_crashed(vehicles, make_user, login):
    from django.core.files.uploadedfile import SimpleUploadedFile as Upload

    hit = hit_of(vehicles, X)
    officer = login(make_user("county_office", COUNTY_A))
    junk = {"decision": "x", "reason": "x", "version": "abc", "action": "x", "note": "x", "area": "abc",
            "dataset": "99999999999999999999", "kind": "x", "source": "x", "as_of": "2016-13-45", "name": "x",
            "area_prefix": "abc", "date": "abc", "next": "http://elsewhere/"}
    for url in [reverse("comparison:decide", args=[hit.pk]), reverse("comparison:review", args=[hit.pk]),
                reverse("comparison:archive", args=[hit.pk]), reverse("comparison:archive_area"),
                reverse("comparison:cutoffs"), reverse("comparison:match", args=[vehicles.pk])]:
        response = officer.post(url, junk)
        assert response.status_code in (200, 302, 400, 404), (url, response.status_code)
        assert response.get("Location", "").find("elsewhere") < 0
    for content in (b"", b"\x00\xff garbage", b"PK\x03\x04 not really a zip"):
        response = officer.post(reverse("comparison:import"), {
            "file": Upload("data.xlsx", content), "kind": "vehicle", "source": "x", "as_of": "2016-06-30",
            "area": COUNTY_A, "name": "junk"})
        assert response.status_code in (200, 302, 400), response.status_code
    assert not ExternalDataset.objects.filter(name="junk", record_count__gt=0).exists()
    assert Hit.objects.get(pk=hit.pk).status == rules.OPEN


@pytest.mark.parametrize("dataset", ["²", "¹²", "１２", "abc"])
def test_archiving_an_area_with_a_data_set_that_is_not_an_id_archives_nothing(vehicles, make_user, login, dataset):
    """Superscript digits passed str.isdigit() and broke int() (a 500). A bulk write never
    widens a data set it cannot read to every data set of the area: it is refused with a
    message and nothing is archived."""
    from fupin.comparison import actions
    from tests.conftest import SYSTEM

    hit = actions.approve(SYSTEM, actions.decide(SYSTEM, hit_of(vehicles, X), decision=rules.VETO))
    officer = login(make_user("county_office", COUNTY_A))
    response = officer.post(reverse("comparison:archive_area"), {"area": COUNTY_A, "dataset": dataset}, follow=True)
    assert response.status_code == 200 and "Nothing was archived" in response.content.decode()
    assert Hit.objects.get(pk=hit.pk).status == rules.APPROVED
