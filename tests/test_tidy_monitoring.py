"""A department's warning file is stored under a name of its own (core.uploads) and the name
it was sent with goes to the job as data (as the comparison's import passes file_name): the
list of imported files shows the department's own name, the file on disk is not renamed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from fupin.areas.models import Area
from fupin.core.actor import Actor
from fupin.core.uploads import save_upload
from fupin.jobs.models import Job
from fupin.monitoring import actions
from fupin.monitoring.models import WarningImport
from tests.conftest import COUNTY_A
from tests.test_monitoring_warnings_page_k import _cells, _client, _head, _table, _upload, people  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")

NAME = "医保局 2026年10月 住院.xlsx"


def test_the_upload_is_stored_under_its_own_name_and_listed_under_the_senders(people, make_user):
    (id1, name1) = _head(people[0])
    client = _client(make_user("county_office", COUNTY_A))
    response = _upload(client, NAME, [(id1, name1, "医疗费用", "2026-10-01", "17814", "县医院住院")])
    job = Job.objects.get()
    assert response.status_code == 302 and job.status == Job.SUCCEEDED, job.message
    assert job.params["file_name"] == NAME
    stored = Path(job.params["path"])
    assert stored.name == "upload.xlsx" and stored.exists()  # core.uploads' name, not renamed
    assert not list(stored.parent.glob("医保局*"))
    assert WarningImport.objects.get().file_name == NAME
    imports = _cells(_table(client.get(reverse("monitoring:warnings")).content.decode(), "import-list"))
    assert imports[0][3] == NAME


@pytest.mark.parametrize(("given", "kept"), [
    (NAME, NAME),
    ("C:\\部门\\预警.xlsx", "预警.xlsx"),  # a folder sent along is not part of the name
    ("dept/预警.xlsx", "预警.xlsx"),
    ("  a\x01b\x7f.xlsx ", "ab.xlsx"),  # no control characters
    (".hidden.xlsx", ".hidden.xlsx"),  # (a name only: nothing on disk is called so)
    ("预" * 300 + ".xlsx", "预" * 200),  # the list's 200 characters
    ("", "upload.xlsx"),  # none given: the stored file's
    ("\x01", "upload.xlsx"),
])
def test_the_name_sent_with_is_kept_as_data(two_counties, make_user, tmp_path, settings, given, kept):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DATA_DIR = tmp_path
    path = save_upload(SimpleUploadedFile("x.xlsx", b"x"), "monitoring")
    county = Area.objects.get(code=COUNTY_A, valid_to__isnull=True)
    job = actions.start_warning_import(Actor(make_user("county_office", COUNTY_A)), path, department="县医保局",
                                       area=county, file_name=given)
    job.refresh_from_db()
    assert job.params["file_name"] == kept
    assert job.params["path"] == str(path) and path.exists()


def test_a_job_queued_without_a_name_imports_under_the_stored_one(people, make_user, tmp_path):
    """A job queued before the name was passed as data (its params have none) still runs."""
    from fupin.core.tabular import write_xlsx
    from fupin.monitoring import importers

    (id1, name1) = _head(people[0])
    path = tmp_path / "upload.xlsx"
    write_xlsx(path, [c.header for c in importers.COLUMNS], [(id1, name1, "医疗费用", "2026-10-01", "1", "")])
    count, report = importers.import_file(Actor(make_user("county_office", COUNTY_A)), path, department="县医保局",
                                          area_code=COUNTY_A)
    assert (count, len(report)) == (1, 0)
    assert WarningImport.objects.get().file_name == "upload.xlsx"

