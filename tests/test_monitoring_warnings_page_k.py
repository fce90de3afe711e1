"""The department warnings page: an uploaded file is listed under its own name, amounts
in 元 with separators (none: "—"), both tables with column headers, the template's
sheet named; the worklist names the warning rules by their labels, never their codes;
a refused warning file's job counts its rows and its errors apart."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from python_calamine import CalamineWorkbook

from fupin.core.tabular import write_xlsx
from fupin.jobs.models import Job
from fupin.monitoring import importers, rules
from fupin.monitoring.models import DepartmentWarning, WarningImport
from tests.conftest import COUNTY_A

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals

HEADERS = [c.header for c in importers.COLUMNS]


@pytest.fixture
def people(two_counties):
    from tests.test_monitoring import household

    return [household(61), household(62)]


def _head(h):
    m = h.members.get()
    return m.id_number, m.name


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _upload(client, name: str, rows) -> object:
    buf = io.BytesIO()
    write_xlsx(buf, HEADERS, rows)
    f = SimpleUploadedFile(name, buf.getvalue(),
                           content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return client.post(reverse("monitoring:warnings"), {"area_code": COUNTY_A, "department": "县医疗保障局",
                                                        "file": f})


def _table(html: str, ident: str) -> str:
    m = re.search(rf'<table[^>]*id="{ident}">(.*?)</table>', html, re.S)
    assert m, ident
    return m.group(1)


def _headers(table: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", th).strip() for th in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]


def _cells(table: str) -> list[list[str]]:
    return [[htmllib.unescape(re.sub(r"<[^>]+>", "", td)).strip() for td in re.findall(r"<td[^>]*>(.*?)</td>", tr,
                                                                                         re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S) if "<td" in tr]


def test_the_page_lists_the_file_under_its_name_with_amounts_in_yuan(people, make_user):
    (id1, name1), (id2, name2) = _head(people[0]), _head(people[1])
    client = _client(make_user("county_office", COUNTY_A))
    response = _upload(client, "w_ok.xlsx", [(id1, name1, "医疗费用", "2026-10-01", "17814", "县医院住院"),
                                             (id2, name2, "失业", "2026-09-15", "", "务工企业停产")])
    job = Job.objects.get()
    assert response.status_code == 302 and job.status == Job.SUCCEEDED, job.message
    assert WarningImport.objects.get().file_name == "w_ok.xlsx"
    assert sorted(DepartmentWarning.objects.values_list("amount", flat=True)) == [Decimal("0"), Decimal("17814")]

    html = client.get(reverse("monitoring:warnings")).content.decode()
    imports = _table(html, "import-list")
    assert _headers(imports) == ["Imported", "Department", "Area", "File", "Rows"]
    assert _cells(imports)[0][1:] == ["县医疗保障局", "全南县", "w_ok.xlsx", "2"]
    recent = _table(html, "warning-list")
    assert _headers(recent) == ["Date", "Kind", "Household", "Full name", "ID number", "Amount (yuan)", "Detail",
                                "Department"]
    amounts = {row[3]: row[5] for row in _cells(recent)}
    assert amounts == {name1: "17,814.00", name2: "—"}


def test_the_template_sheet_is_named(db, tmp_path):
    for lang, name in (("en", "Department warnings"), ("zh-hans", "部门预警")):
        out = Path(tmp_path) / f"{lang}.xlsx"
        with translation.override(lang):
            importers.template(out)
        names = CalamineWorkbook.from_path(str(out)).sheet_names
        assert names[0] == name and "Sheet1" not in names


def test_a_refused_warning_file_counts_rows_and_errors_apart(people, make_user):
    (id1, name1), _second = _head(people[0]), _head(people[1])
    user = make_user("county_office", COUNTY_A)
    client = _client(user)
    _upload(client, "w_bad.xlsx", [(id1, name1, "医疗费用", "2026-10-01", "12,000.50", "住院"),
                                   (id1[:-1] + "0" if id1[-1] != "0" else id1[:-1] + "1", "张三", "医疗",
                                    "2026-13-01", "abc", ""),
                                   ("", "王雪敏", "受灾", "2030-01-01", "-5", "")])
    job = Job.objects.get()
    assert job.status == Job.FAILED
    assert (job.error_count, job.error_rows) == (5, 2)  # ID, date, amount on row 3; ID, amount on row 4
    page = client.get(reverse("jobs:detail", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    m = re.search(r'id="job-errors">(.*?)</div>', page, re.S)
    assert m and m.group(1).strip() == "5 errors in 2 rows"
    assert not WarningImport.objects.exists()


def test_import_file_reports_the_rows_it_read(people, make_user, tmp_path):
    from fupin.core.actor import Actor

    class Recorder:
        def __init__(self):
            self.total, self.done = None, None

        def set_total(self, total):
            self.total = total

        def update(self, done, **kwargs):
            self.done = done

        def log(self, line):
            pass

    (id1, name1) = _head(people[0])
    path = tmp_path / "w.xlsx"
    write_xlsx(path, HEADERS, [(id1, name1, "医疗费用", "2026-10-01", "1", ""), ("1", "x", "医疗", "2026-10-01", "", ""),
                               ("2", "y", "医疗", "2026-10-01", "", "")])
    seen = Recorder()
    count, report = importers.import_file(Actor(make_user("county_office", COUNTY_A)), path, department="县医保局",
                                          area_code=COUNTY_A, progress=seen)
    assert (count, len(report), seen.total, seen.done) == (0, 2, 3, 3)


def test_the_worklist_names_the_rules_by_their_labels(people, make_user):
    client = _client(make_user("county_office", COUNTY_A))
    html = client.get(reverse("monitoring:worklist")).content.decode()
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", html))  # what is read, not the attributes
    codes = [r["code"] for r in rules.warning_rules()]
    assert codes and not [c for c in codes if re.search(rf"\b{c}\b", text)]
    for code in codes:
        assert rules.warning_rule_label(code) in text


def test_a_dated_warning_is_shown_with_its_date(people, make_user):
    (id1, name1) = _head(people[0])
    client = _client(make_user("county_office", COUNTY_A))
    _upload(client, "日期.xlsx", [(id1, name1, "受灾", "2026-08-02", "1234567.5", "")])
    recent = _cells(_table(client.get(reverse("monitoring:warnings")).content.decode(), "warning-list"))
    assert recent[0][0] == dt.date(2026, 8, 2).isoformat() and recent[0][5] == "1,234,567.50"
