"""What the administrator's browser walk found in accounts: the users import template's
example row was imported, roles only by code, phones unchecked, the user form checked
in two rounds."""

import io
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from python_calamine import CalamineWorkbook

from fupin.accounts import actions, importers, rules
from fupin.accounts.importers import import_users
from fupin.accounts.models import User
from fupin.core.errors import Invalid
from fupin.core.tabular import write_xlsx
from fupin.jobs.models import Job
from tests.conftest import COUNTY_A, PASSWORD, SYSTEM, VILLAGE_A, VILLAGE_B

HEADERS = ["用户名", "姓名", "角色", "区划代码", "单位", "手机", "职务", "初始密码"]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _template(client) -> bytes:
    response = client.get(reverse("accounts:users_template"))
    assert response.status_code == 200
    return response.content


def _sheets(content: bytes) -> dict[str, list[list]]:
    wb = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def _xlsx(tmp_path: Path, rows, **kwargs) -> Path:
    path = tmp_path / "users.xlsx"
    write_xlsx(path, HEADERS, rows, **kwargs)
    return path


def _job_import(client, path: Path) -> Job:
    client.post(reverse("accounts:users_import"), {"file": SimpleUploadedFile(path.name, path.read_bytes())})
    return Job.objects.filter(kind="accounts.import_users").latest("pk")


# --- 1. the template's example is never imported -------------------------------------------

def test_the_template_data_sheet_holds_only_the_headers(two_counties, make_user):
    sheets = _sheets(_template(_client(make_user("county_office", COUNTY_A))))
    assert list(sheets) == [importers.DATA_SHEET, importers.EXPLAIN_SHEET]
    assert sheets[importers.DATA_SHEET] == [HEADERS], "no example user on the data sheet"
    explain = sheets[importers.EXPLAIN_SHEET]
    assert explain[0] == ["列", "必填", "说明", "示例"]
    by_column = {r[0]: r for r in explain[1:] if r[0]}
    assert list(by_column) == HEADERS
    # Required columns are marked, and only they.
    assert {c for c, r in by_column.items() if r[1] == "是"} == set(importers.REQUIRED)
    # The example is on the 说明 sheet, its role by its name (the UI default is Chinese).
    assert by_column["用户名"][3] == importers.EXAMPLE["用户名"]
    assert by_column["角色"][3] == "村干部"
    for label in ("村干部", "驻村工作队员", "帮扶责任人", "系统管理员"):
        assert label in by_column["角色"][2]


def test_the_downloaded_template_with_one_row_added_creates_one_user(two_counties, make_user, tmp_path):
    client = _client(make_user("county_office", COUNTY_A))
    template = tmp_path / "template.xlsx"
    template.write_bytes(_template(client))
    # The office fills the template in Excel: one row on its first (data) sheet, the rest untouched.
    wb = openpyxl.load_workbook(template)
    wb.worksheets[0].append(["li.si", "李四", "村干部", VILLAGE_A, "", "13800138001", "", ""])
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    before = set(User.objects.values_list("username", flat=True))
    job = _job_import(client, filled)
    assert job.status == Job.SUCCEEDED, job.message
    assert set(User.objects.values_list("username", flat=True)) - before == {"li.si"}
    assert User.objects.get(username="li.si").roles.get().role == "village_cadre"


def test_the_old_templates_example_row_is_refused(two_counties, tmp_path):
    """Templates downloaded before had the example on the data sheet: that row is refused
    (nothing is created) instead of creating the example user."""
    old = ["wang.xiaoming", "王小明", "village_cadre", "360729100201", "", "", "村支书", ""]
    rows = [old, ["li.si", "李四", "村干部", VILLAGE_A, "", "13800138001", "", ""]]
    created, report = import_users(SYSTEM, _xlsx(tmp_path, rows, sheet_name="用户"))
    assert created == [] and not User.objects.exists()
    assert [(e.row, e.column, e.value) for e in report.errors] == [(2, "用户名", "wang.xiaoming")]
    # The example copied from the 说明 sheet (its role by name) is refused the same way.
    created, report = import_users(SYSTEM, _xlsx(tmp_path, [["wang.xiaoming", "王小明", "村干部", "360729100201",
                                                             "", "", "", ""]]))
    assert created == [] and [(e.row, e.column) for e in report.errors] == [(2, "用户名")]


def _workbook(path: Path, sheets: list[tuple[str, list[list[str]]]]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets:
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                ws.write_string(r, c, value)
    wb.close()
    return path


def test_only_the_data_sheet_is_read_wherever_it_is(two_counties, tmp_path):
    decoy = [HEADERS, ["decoy", "", "helper", VILLAGE_A, "", "", "", ""]]
    data = [HEADERS, ["real.one", "", "helper", VILLAGE_A, "", "", "", ""]]
    path = _workbook(tmp_path / "two.xlsx", [("说明", decoy), ("用户", data)])
    created, report = import_users(SYSTEM, path)
    assert not report and [u for u, _pw in created] == ["real.one"]
    assert not User.objects.filter(username="decoy").exists()


def test_a_workbook_of_several_sheets_without_the_data_sheet_is_refused(two_counties, tmp_path):
    rows = [HEADERS, ["x.user", "", "helper", VILLAGE_A, "", "", "", ""]]
    path = _workbook(tmp_path / "other.xlsx", [("说明", rows), ("Sheet2", rows)])
    with pytest.raises(Invalid) as exc:
        import_users(SYSTEM, path)
    assert "用户" in str(exc.value.message)
    assert not User.objects.exists()
    # A workbook of one sheet (a list of one's own) is still read.
    path = _workbook(tmp_path / "own.xlsx", [("Sheet1", rows)])
    created, report = import_users(SYSTEM, path)
    assert not report and [u for u, _pw in created] == ["x.user"]


# --- 2. roles by their names ---------------------------------------------------------------

@pytest.mark.parametrize(("language", "given", "role"), [
    ("zh-hans", "村干部", "village_cadre"),
    ("zh-hans", "督查/审计人员", "inspector"),
    ("zh-hans", "village_cadre", "village_cadre"),
    ("en", "Village cadre", "village_cadre"),
    ("en", "village cadre", "village_cadre"),
    ("en", "County poverty office", "county_office"),
])
def test_a_role_by_its_name_or_code(two_counties, tmp_path, language, given, role):
    with translation.override(language):
        _created, report = import_users(SYSTEM, _xlsx(tmp_path, [["a.user", "", given, VILLAGE_A, "", "", "", ""]]))
    assert not report, report.summary()
    assert User.objects.get(username="a.user").roles.get().role == role


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_unknown_role_names_row_column_value_and_the_allowed_names(two_counties, tmp_path, language):
    rows = [["ok.user", "", "helper", VILLAGE_A, "", "", "", ""], ["li.si", "", "村长", VILLAGE_A, "", "", "", ""]]
    with translation.override(language):
        _created, report = import_users(SYSTEM, _xlsx(tmp_path, rows))
        labels = [str(label) for label in rules.ROLES.values()]
    [error] = report.errors
    assert (error.row, error.column, error.value) == (3, "角色", "村长")
    assert all(label in error.reason for label in labels), error.reason
    assert "村干部" in labels if language == "zh-hans" else "Village cadre" in labels


# --- 3. phones ----------------------------------------------------------------------------

@pytest.mark.parametrize("phone", ["12345", "123", "123456", "1397001000012", "phone-number", "１３９７００１００００"])
def test_a_bad_phone_is_refused(two_counties, phone):
    with pytest.raises(Invalid) as exc:
        actions.create_user(SYSTEM, username="p.user", role="helper", area_code=VILLAGE_A, phone=phone)
    assert exc.value.field == "phone"
    assert not User.objects.filter(username="p.user").exists()


@pytest.mark.parametrize("phone", ["13970010000", "0797-8321234", "8321234", ""])
def test_good_phones_are_kept(two_counties, phone):
    user, _pw = actions.create_user(SYSTEM, username="p.user", role="helper", area_code=VILLAGE_A, phone=phone)
    assert user.phone == phone


def test_the_import_refuses_a_bad_phone(two_counties, tmp_path):
    rows = [["ok.user", "", "helper", VILLAGE_A, "", "13970010000", "", ""],
            ["bad.phone", "", "helper", VILLAGE_A, "", "123", "", ""]]
    created, report = import_users(SYSTEM, _xlsx(tmp_path, rows))
    assert created == [] and not User.objects.exists()
    assert [(e.row, e.column, e.value) for e in report.errors] == [(3, "手机", "123")]


def test_the_user_form_refuses_a_bad_phone(two_counties, make_user):
    client = _client(make_user("county_office", COUNTY_A))
    response = client.post(reverse("accounts:user_create"), {
        "username": "p.user", "role": "helper", "area_code": VILLAGE_A, "phone": "12345"})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["phone"]
    assert not User.objects.filter(username="p.user").exists()


# --- 4. every error at once -----------------------------------------------------------------

def test_the_user_form_shows_every_fields_error_at_once(two_counties, make_user):
    client = _client(make_user("county_office", COUNTY_A))
    response = client.post(reverse("accounts:user_create"), {
        "username": "bad code", "full_name": "坏", "role": "village_cadre", "area_code": "3607291",
        "phone": "12345"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"username", "area_code", "phone"}
    assert not User.objects.filter(full_name="坏").exists()


def test_the_user_form_shows_a_taken_name_and_an_area_outside_ones_own_together(two_counties, make_user):
    office = make_user("county_office", COUNTY_A)
    make_user("helper", VILLAGE_A, username="taken")
    response = _client(office).post(reverse("accounts:user_create"), {
        "username": "taken", "role": "helper", "area_code": VILLAGE_B})
    assert set(response.context["form"].errors) == {"username", "area_code"}
    # An administrator-only role and a bad phone, together.
    response = _client(office).post(reverse("accounts:user_create"), {
        "username": "new.one", "role": "inspector", "area_code": COUNTY_A, "phone": "1"})
    assert set(response.context["form"].errors) == {"role", "phone"}
    assert not User.objects.filter(username="new.one").exists()


def test_the_user_form_still_creates_a_good_user(two_counties, make_user):
    response = _client(make_user("county_office", COUNTY_A)).post(reverse("accounts:user_create"), {
        "username": "good.one", "role": "helper", "area_code": VILLAGE_A, "phone": "13970010000"})
    user = User.objects.get(username="good.one")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:user", args=[user.pk])


def test_new_user_problems_lists_every_field(two_counties):
    problems = actions.new_user_problems(SYSTEM, username="has space", role="helper", area_code="360729999999",
                                         phone="123", full_name="名" * 61, password="123456")
    assert [p.field for p in problems] == ["username", "full_name", "phone", "area", "password"]
    problems = actions.new_user_problems(SYSTEM, username="ok", role="mayor", area_code="360729999999")
    assert [p.field for p in problems] == ["role", "area"]
    assert actions.new_user_problems(SYSTEM, username="ok", role="helper", area_code=VILLAGE_A,
                                     password=PASSWORD) == []


def test_the_import_reports_every_wrong_column_of_a_row(two_counties, tmp_path):
    rows = [["li.si", "李四", "村长", VILLAGE_A, "", "123", "", ""],
            ["zhao liu", "赵六", "helper", "1234", "", "13800138000", "", ""]]
    created, report = import_users(SYSTEM, _xlsx(tmp_path, rows))
    assert created == []
    assert {(e.row, e.column) for e in report.errors} == {(2, "角色"), (2, "手机"), (3, "用户名"), (3, "区划代码")}


def test_required_fields_are_marked(two_counties, make_user):
    office = make_user("county_office", COUNTY_A)
    client = _client(office)
    html = client.get(reverse("accounts:user_create")).content.decode()
    for name in ("username", "role", "area_code"):
        assert f'for="id_{name}">' in html
    marked = {name for name in ("username", "full_name", "role", "area_code", "unit", "phone", "post")
              if f'for="id_{name}">' in html and html.split(f'for="id_{name}">', 1)[1].split("</label>", 1)[0]
              .endswith('<span class="text-danger">*</span>')}
    assert marked == {"username", "role", "area_code"}
    # The inline role form on a user's page names its area box.
    target = make_user("helper", VILLAGE_A)
    html = client.get(reverse("accounts:user", args=[target.pk])).content.decode()
    assert 'name="area_code"' in html and 'placeholder="区划代码"' in html


def test_the_import_page_says_which_sheet_is_imported(two_counties, make_user):
    html = _client(make_user("county_office", COUNTY_A)).get(reverse("accounts:users_import")).content.decode()
    assert "“用户”" in html and "“说明”" in html
