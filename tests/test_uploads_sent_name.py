"""The name a file was sent with is cleaned in one place (core.uploads.sent_name) and shown
so everywhere: the registry import's job (title and data), a department's warning file (the
job and the list of imported files) and the comparison's data set (the job and the data
set's file)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fupin.areas.models import Area
from fupin.comparison import actions as comparison
from fupin.comparison import rules as comparison_rules
from fupin.comparison.models import ExternalDataset
from fupin.core.actor import Actor
from fupin.core.tabular import write_xlsx
from fupin.core.uploads import save_upload, sent_name
from fupin.jobs.models import Job
from fupin.monitoring import actions as monitoring
from tests import test_comparison as base
from tests.conftest import COUNTY_A, SYSTEM
from tests.test_comparison import CUTOFF, DAY, OUTSIDER, VEHICLE_HEADERS, vehicle_rows

pytestmark = pytest.mark.usefixtures("english")

world = base.world  # (pytest finds fixtures by name in the module)

# Names as a browser, a command or an API client may send them, and as they are shown.
SENT = [
    ("户.xlsx", "户.xlsx"),
    ("C:\\Users\\x\\户.xlsx", "户.xlsx"),  # a Windows browser's full path
    ("/home/x/户.xlsx", "户.xlsx"),
    ("户\n.xlsx", "户.xlsx"),  # control characters
    ("  户\t.xlsx \u200b", "户.xlsx"),  # surrounding spaces, a tab, an invisible space
    ("户" * 300 + ".xlsx", "户" * 200),  # at most the length given
    ("", ""),
    (None, ""),
    ("C:\\\x01 ", ""),
]


@pytest.mark.parametrize(("given", "shown"), SENT)
def test_sent_name(given, shown):
    assert sent_name(given, 200) == shown


def test_sent_name_cuts_to_the_length_given_without_a_trailing_space():
    assert sent_name("ab cd.xlsx", 3) == "ab"


# --- the registry import (the view: the name as the browser sent it) --------------------------

def _post_registry(client, name: str):
    client.post(reverse("registry:exchange_import"), {"file": SimpleUploadedFile(name, b"x,y\n1,2\n")})
    return Job.objects.filter(kind="registry.import").latest("pk")


@pytest.mark.parametrize(("given", "shown"), [
    ("  户籍 2026.csv", "户籍 2026.csv"),  # (Django's own parsing drops folders and control characters)
    ("户" * 240 + ".csv", "户" * 200),
])
def test_the_registry_import_job_shows_the_cleaned_name(two_counties, make_user, login, tmp_path, settings,
                                                        given, shown):
    settings.DATA_DIR = tmp_path
    client = login(make_user("county_office", COUNTY_A))
    job = _post_registry(client, given)
    assert job.params["name"] == shown
    assert job.title == f"Import {shown}"[:200]
    assert job.params["path"].endswith("upload.csv")


def test_the_registry_import_job_cleans_a_name_its_parser_left(two_counties, make_user, tmp_path, settings):
    """A name Django's parser did not clean (an upload handed over whole): folder and newline go."""
    from django.http import QueryDict
    from django.test import RequestFactory
    from django.utils.datastructures import MultiValueDict

    from fupin.registry.views_exchange import exchange_import

    settings.DATA_DIR = tmp_path
    request = RequestFactory().post(reverse("registry:exchange_import"), {})
    request.user = make_user("county_office", COUNTY_A)
    request._post = QueryDict("")
    request._files = MultiValueDict({"file": [SimpleUploadedFile("C:\\Users\\x\\户\n.csv", b"x,y\n1,2\n")]})
    request._dont_enforce_csrf_checks = True
    response = exchange_import(request)
    assert response.status_code == 302
    job = Job.objects.filter(kind="registry.import").latest("pk")
    assert (job.title, job.params["name"]) == ("Import 户.csv", "户.csv")


# --- a department's warning file ---------------------------------------------------------------

@pytest.mark.parametrize(("given", "shown"), [s for s in SENT if s[1]])
def test_a_warning_import_keeps_the_cleaned_name(two_counties, make_user, tmp_path, settings, given, shown):
    settings.DATA_DIR = tmp_path
    path = save_upload(SimpleUploadedFile("x.xlsx", b"x"), "monitoring")
    county = Area.objects.get(code=COUNTY_A, valid_to__isnull=True)
    job = monitoring.start_warning_import(Actor(make_user("county_office", COUNTY_A)), path, department="县医保局",
                                          area=county, file_name=given)
    job.refresh_from_db()
    assert job.params["file_name"] == shown


# --- the comparison's data set -----------------------------------------------------------------

def _vehicle_file(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    buffer = io.BytesIO()
    write_xlsx(buffer, VEHICLE_HEADERS, vehicle_rows([(OUTSIDER[1], OUTSIDER[0], CUTOFF - DAY, "90000")]))
    return save_upload(SimpleUploadedFile("x.xlsx", buffer.getvalue()), "comparison")


@pytest.mark.parametrize(("given", "shown"), [s for s in SENT if s[1]])
def test_a_data_set_keeps_the_cleaned_name(world, tmp_path, settings, given, shown):
    job = comparison.start_import(SYSTEM, _vehicle_file(tmp_path, settings), kind="vehicle", source="交警大队",
                                  as_of="2016-06-30", area_code=COUNTY_A, name="车辆 2016", file_name=given)
    job.refresh_from_db()
    assert job.status == Job.SUCCEEDED, job.message
    zh = comparison_rules.kind("vehicle").zh
    assert (job.title, job.params["file_name"]) == (f"Import {zh}: {shown}"[:200], shown)
    assert ExternalDataset.objects.get(name="车辆 2016").file_name == shown


def test_the_comparison_import_page_keeps_the_cleaned_name(world, make_user, login, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    buffer = io.BytesIO()
    write_xlsx(buffer, VEHICLE_HEADERS, vehicle_rows([(OUTSIDER[1], OUTSIDER[0], CUTOFF - DAY, "90000")]))
    officer = login(make_user("county_office", COUNTY_A))
    response = officer.post(reverse("comparison:import"), {
        "file": SimpleUploadedFile("  车辆 2016.xlsx", buffer.getvalue()), "kind": "vehicle", "source": "交警大队",
        "as_of": "2016-06-30", "area": COUNTY_A, "name": "车辆 2016"})
    assert response.status_code == 302
    job = Job.objects.get(kind="comparison.import")
    assert job.status == Job.SUCCEEDED, job.message
    assert job.params["file_name"] == ExternalDataset.objects.get().file_name == "车辆 2016.xlsx"
    assert job.title.endswith(": 车辆 2016.xlsx")


# --- the other upload pages: users, villages, assistance records -----------------------------

@pytest.mark.parametrize(("url", "data", "kind", "title"), [
    ("accounts:users_import", {}, "accounts.import_users", "Import users from {}"),
    ("areas:import", {}, "areas.import", "Import villages from {}"),
    ("assistance:exchange", {"kind": "pairings"}, "assistance.import.pairings", "Import 结对帮扶 from {}"),
])
def test_every_upload_page_names_its_job_with_the_cleaned_name(two_counties, make_user, login, tmp_path, settings,
                                                               url, data, kind, title):
    settings.DATA_DIR = tmp_path
    client = login(make_user("admin", None))
    given = "  " + "户" * 240 + ".xlsx"
    client.post(reverse(url), {**data, "file": SimpleUploadedFile(given, b"x")})
    job = Job.objects.filter(kind=kind).latest("pk")
    assert job.title == title.format(sent_name(given))[:200]
    assert "  " not in job.title and len(job.title) == 200  # the name's leading spaces gone; cut to fit
