"""Accounts: creating users and granting roles, password rules, sign-in lock-out,
sessions, CSRF and CSP, the users list, the Excel import, and the commands."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from fupin.accounts import actions
from fupin.accounts.importers import import_users
from fupin.accounts.models import ApiToken, User
from fupin.accounts.validators import CharacterClassValidator
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Forbidden, Invalid
from fupin.core.tabular import write_xlsx
from fupin.jobs.models import Job
from tests.conftest import COUNTY_A, COUNTY_B, PASSWORD, SYSTEM, TOWNSHIP_A, VILLAGE_A, VILLAGE_B

LOGIN = "/accounts/login/"


def as_user(user) -> Actor:
    return Actor(user=user, ip="127.0.0.1", channel="web")


# --- create_user ----------------------------------------------------------------------

def test_create_user_with_a_role_at_an_area(two_counties):
    user, password = actions.create_user(SYSTEM, username="zhong", role="village_cadre", area_code=VILLAGE_A,
                                         full_name="钟秀英", phone="13970010000")
    assert user.check_password(password)
    role = user.roles.get()
    assert (role.role, role.area.code, role.prefix) == ("village_cadre", VILLAGE_A, VILLAGE_A)
    assert not user.is_staff


def test_generated_password_passes_the_rules(two_counties):
    for i in range(20):
        _user, password = actions.create_user(SYSTEM, username=f"gen{i}", role="helper", area_code=VILLAGE_A)
        assert len(password) >= 10
        CharacterClassValidator().validate(password)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"role": "mayor", "area_code": COUNTY_A}, "role"),
        ({"role": "helper", "area_code": "360729999999"}, "area"),  # no such area
        ({"role": "helper", "area_code": "not-a-code"}, "area"),
        ({"role": "helper", "area_code": None}, "area"),  # only the administrator has no area
        ({"role": "helper", "area_code": VILLAGE_A, "username": "  "}, "username"),
        ({"role": "helper", "area_code": VILLAGE_A, "username": "has space"}, "username"),
        ({"role": "helper", "area_code": VILLAGE_A, "username": "x" * 151}, "username"),
        ({"role": "helper", "area_code": VILLAGE_A, "phone": "1" * 21}, "phone"),
        ({"role": "helper", "area_code": VILLAGE_A, "full_name": "名" * 61}, "full_name"),
    ],
)
def test_create_user_rejects_bad_input(two_counties, kwargs, field):
    kwargs = {"username": "newuser", "password": PASSWORD, **kwargs}
    with pytest.raises(Invalid) as exc:
        actions.create_user(SYSTEM, **kwargs)
    assert exc.value.field == field
    assert not User.objects.filter(username=kwargs["username"].strip()).exists()


def test_duplicate_username_is_refused(two_counties):
    actions.create_user(SYSTEM, username="dup", role="helper", area_code=VILLAGE_A, password=PASSWORD)
    with pytest.raises(Invalid) as exc:
        actions.create_user(SYSTEM, username="dup", role="helper", area_code=VILLAGE_B, password=PASSWORD)
    assert exc.value.field == "username"
    assert User.objects.filter(username="dup").count() == 1


@pytest.mark.parametrize(
    ("password", "code_words"),
    [
        ("Zhangwei-2026", "similar"),  # UserAttributeSimilarityValidator (the user name)
        ("Ab1!xyz", "at least 10"),  # MinimumLengthValidator
        ("Password1!", "common"),  # CommonPasswordValidator
        ("20261122334455", "numeric"),  # NumericPasswordValidator
        ("abcdefghijkz", "three of"),  # CharacterClassValidator: one class
        ("abcdefgh12xx", "three of"),  # CharacterClassValidator: two classes
    ],
)
def test_weak_passwords_are_refused(two_counties, password, code_words):
    from django.utils import translation

    with translation.override("en"), pytest.raises(Invalid) as exc:
        actions.create_user(SYSTEM, username="zhangwei", role="helper", area_code=VILLAGE_A, password=password)
    assert exc.value.field == "password"
    assert code_words in str(exc.value.message)
    assert not User.objects.filter(username="zhangwei").exists()


@pytest.mark.parametrize(("password", "ok"), [("abcdefgh1!", True), ("ABCDEFGH1x", True), ("abcd!@#$%^", False),
                                              ("ABCDEFGHIJ", False), ("abcDEFghiJ", False), ("Abcdefg 12", True)])
def test_character_class_validator(password, ok):
    from django.core.exceptions import ValidationError

    if ok:
        CharacterClassValidator().validate(password)
    else:
        with pytest.raises(ValidationError):
            CharacterClassValidator().validate(password)


def test_settings_use_every_password_validator():
    names = [v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == ["UserAttributeSimilarityValidator", "MinimumLengthValidator", "CommonPasswordValidator",
                     "NumericPasswordValidator", "CharacterClassValidator"]


# --- who may grant what ----------------------------------------------------------------

@pytest.mark.parametrize("role", ["admin", "leader", "inspector"])
def test_county_office_cannot_grant_admin_granted_roles(two_counties, make_user, role):
    office = make_user("county_office", COUNTY_A)
    with pytest.raises(Forbidden):
        actions.create_user(as_user(office), username="x1", role=role, area_code=COUNTY_A, password=PASSWORD)
    target = make_user("helper", VILLAGE_A)
    with pytest.raises(Forbidden):
        actions.grant_role(as_user(office), target, role, COUNTY_A)
    assert not User.objects.filter(username="x1").exists()
    assert list(target.roles.values_list("role", flat=True)) == ["helper"]


def test_admin_may_grant_them(two_counties, make_user):
    admin = make_user("admin", None)
    user, _ = actions.create_user(as_user(admin), username="insp", role="inspector", area_code=COUNTY_A,
                                  password=PASSWORD)
    assert user.roles.get().role == "inspector"


def test_county_office_creates_only_inside_its_county(two_counties, make_user):
    office = make_user("county_office", COUNTY_A)
    user, _ = actions.create_user(as_user(office), username="in_a", role="village_cadre", area_code=VILLAGE_A,
                                  password=PASSWORD)
    assert user.roles.get().prefix == VILLAGE_A
    for code in (VILLAGE_B, COUNTY_B, "360700000000"):
        with pytest.raises(Forbidden):
            actions.create_user(as_user(office), username="out", role="village_cadre", area_code=code,
                                password=PASSWORD)
    with pytest.raises(Forbidden):
        actions.grant_role(as_user(office), user, "helper", VILLAGE_B)
    assert not User.objects.filter(username="out").exists()


def test_township_officer_cannot_create_users(two_counties, make_user):
    officer = make_user("township_officer", TOWNSHIP_A)
    with pytest.raises(Forbidden):
        actions.create_user(as_user(officer), username="t1", role="helper", area_code=VILLAGE_A, password=PASSWORD)


def test_county_office_cannot_take_over_a_user_with_a_role_elsewhere(two_counties, make_user):
    """A user who also holds a role in county B is not county A's to manage."""
    office = make_user("county_office", COUNTY_A)
    both = make_user("helper", VILLAGE_A)
    actions.grant_role(SYSTEM, both, "helper", VILLAGE_B)
    with pytest.raises(Exception) as exc:
        actions.set_password(as_user(office), both, "Another-pass-2026!")
    assert exc.type.__name__ == "NotFound"


# --- sign-in and lock-out ------------------------------------------------------------

def _post_login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def _messages(response) -> str:
    return " ".join(str(e) for e in response.context["form"].non_field_errors())


def test_login_with_the_right_password(two_counties, make_user):
    user = make_user("county_office", COUNTY_A)
    client = Client()
    response = _post_login(client, user.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("core:home")
    assert client.get(reverse("core:home")).status_code == 200
    assert AuditEvent.objects.filter(action="accounts.login", object_id=str(user.pk), area_code=COUNTY_A).exists()


def test_login_refuses_a_foreign_next_url(two_counties, make_user):
    user = make_user("county_office", COUNTY_A)
    response = Client().post(LOGIN + "?next=https://evil.example/", {"username": user.username, "password": PASSWORD})
    assert response["Location"] == reverse("core:home")
    response = Client().post(LOGIN + "?next=/jobs/", {"username": user.username, "password": PASSWORD})
    assert response["Location"] == "/jobs/"


def test_lockout_after_max_failures(two_counties, make_user):
    user = make_user("county_office", COUNTY_A)
    client = Client()
    n = settings.LOGIN_MAX_FAILURES
    assert n >= 2
    moment = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0))
    with clock.frozen(moment):
        for _ in range(n - 1):
            response = _post_login(client, user.username, "Wrong-pass-2026!")
            assert response.status_code == 200
            assert str(n) in _messages(response)  # "after 5 failures the account is locked"
        user.refresh_from_db()
        assert user.failed_logins == n - 1 and user.locked_until is None

        response = _post_login(client, user.username, "Wrong-pass-2026!")
        user.refresh_from_db()
        until = moment + dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
        assert user.locked_until == until
        shown = timezone.localtime(until).strftime("%Y-%m-%d %H:%M")
        assert shown in _messages(response), "the message shows when the lock ends, in local time"
        assert shown == "2026-03-02 10:15"

        # The right password is refused while locked, with the lock message only.
        response = _post_login(client, user.username, PASSWORD)
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
        assert len(response.context["form"].non_field_errors()) == 1
        assert shown in _messages(response)
        assert AuditEvent.objects.filter(action="accounts.login.locked", object_id=str(user.pk)).count() == 1

    # Time passes: the lock is over.
    with clock.frozen(until + dt.timedelta(seconds=1)):
        response = _post_login(client, user.username, PASSWORD)
        assert response.status_code == 302
    user.refresh_from_db()
    assert user.failed_logins == 0 and user.locked_until is None


def test_unlock_ends_the_lock(two_counties, make_user):
    user = make_user("village_cadre", VILLAGE_A)
    office = make_user("county_office", COUNTY_A)
    for _ in range(settings.LOGIN_MAX_FAILURES):
        _post_login(Client(), user.username, "Wrong-pass-2026!")
    assert actions.locked_until(user.username) is not None
    assert _post_login(Client(), user.username, PASSWORD).status_code == 200  # still locked

    web = Client()
    web.force_login(office)
    response = web.post(reverse("accounts:user_unlock", args=[user.pk]))
    assert response.status_code == 302
    assert actions.locked_until(user.username) is None
    assert AuditEvent.objects.filter(action="accounts.user.unlock", object_id=str(user.pk),
                                     area_code=VILLAGE_A).exists()
    assert _post_login(Client(), user.username, PASSWORD).status_code == 302


def test_failures_of_an_unknown_user_are_logged_without_error(db):
    response = _post_login(Client(), "nobody", "Wrong-pass-2026!")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="accounts.login.failed")
    assert event.object_repr == "nobody" and event.object_id == ""


def test_login_needs_csrf(two_counties, make_user):
    user = make_user("county_office", COUNTY_A)
    client = Client(enforce_csrf_checks=True)
    assert _post_login(client, user.username, PASSWORD).status_code == 403
    page = client.get(LOGIN)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_forged_forwarded_for_is_not_logged_as_the_address(two_counties, make_user):
    user = make_user("county_office", COUNTY_A)
    client = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.9.9.9")
    _post_login(client, user.username, PASSWORD)
    assert AuditEvent.objects.get(action="accounts.login").ip == "203.0.113.9"
    # Behind a local reverse proxy the address it added (the last one) is used; junk is dropped.
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.7")
    _post_login(client, user.username, "Wrong-pass-2026!")
    assert AuditEvent.objects.get(action="accounts.login.failed").ip == "198.51.100.7"
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="not-an-address")
    assert _post_login(client, user.username, "Wrong-pass-2026!").status_code == 200


# --- sessions, CSP ---------------------------------------------------------------------

def test_session_settings():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_session_is_renewed_on_every_request_and_ends_after_inactivity(two_counties, make_user):
    user = make_user("county_office", COUNTY_A)
    client = Client()
    _post_login(client, user.username, PASSWORD)
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    assert abs((first - timezone.now()).total_seconds() - settings.SESSION_COOKIE_AGE) < 60
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + dt.timedelta(minutes=1))
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    assert "sessionid" in response.cookies, "every request renews the session"
    renewed = Session.objects.get(session_key=key).expire_date
    assert renewed - timezone.now() > dt.timedelta(minutes=29)
    # 30 minutes without a request: the session is gone.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_csp_header_with_nonce_on_every_script(two_counties, make_user):
    client = Client()
    client.force_login(make_user("county_office", COUNTY_A))
    for url in (reverse("core:home"), reverse("accounts:users"), LOGIN):
        response = client.get(url) if url != LOGIN else Client().get(url)
        policy = response["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert f"'nonce-{nonce}'" in directives["script-src"]
        assert "'unsafe-inline'" not in directives["script-src"]
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
        html = response.content.decode()
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts, url
        for tag in scripts:
            assert f'nonce="{nonce}"' in tag, f"{url}: a script without the request's nonce: {tag}"
        assert not re.search(r"\son[a-z]+=", html), f"{url}: an inline event handler (the CSP blocks it)"
    # A new nonce for each response.
    assert Client().get(LOGIN)["Content-Security-Policy"] != Client().get(LOGIN)["Content-Security-Policy"]


def test_security_headers(db):
    response = Client().get(LOGIN)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


# --- the users list -------------------------------------------------------------------

def test_users_list_is_scoped(two_counties, make_user):
    a_cadre = make_user("village_cadre", VILLAGE_A, full_name="全南 钟秀英")
    b_cadre = make_user("village_cadre", VILLAGE_B, full_name="龙南 刘建华")
    other_township = make_user("village_cadre", "360729101000", full_name="全南 城厢镇")
    office = make_user("county_office", COUNTY_A)
    township = make_user("township_officer", TOWNSHIP_A)

    def listed(viewer, **query):
        client = Client()
        client.force_login(viewer)
        response = client.get(reverse("accounts:users"), query)
        assert response.status_code == 200
        return {u.username for u in response.context["page_obj"]}

    assert {a_cadre.username, other_township.username, office.username, township.username} <= listed(office)
    assert b_cadre.username not in listed(office)
    assert listed(township) == {a_cadre.username, township.username}
    assert listed(office, q="刘建华") == set()
    assert listed(office, role="village_cadre") == {a_cadre.username, other_township.username}


def test_user_create_page(two_counties, make_user):
    office = make_user("county_office", COUNTY_A)
    client = Client()
    client.force_login(office)
    response = client.post(reverse("accounts:user_create"), {
        "username": "li.mei", "full_name": "李梅", "role": "helper", "area_code": VILLAGE_A, "phone": "13970019999"})
    user = User.objects.get(username="li.mei")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:user", args=[user.pk])
    assert user.roles.get().prefix == VILLAGE_A
    # The grant of an administrator-only role shows as a form error.
    response = client.post(reverse("accounts:user_create"), {
        "username": "wang", "role": "inspector", "area_code": COUNTY_A})
    assert response.status_code in (200, 403)
    assert not User.objects.filter(username="wang").exists()


def test_token_revoke_does_not_redirect_off_site(two_counties, make_user):
    user = make_user("county_office", COUNTY_A)
    actions.create_token(SYSTEM, user)
    client = Client()
    client.force_login(user)
    token = ApiToken.objects.get(user=user)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]), {"back": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:profile")
    token.refresh_from_db()
    assert token.revoked_at is not None


# --- bulk import --------------------------------------------------------------------------

HEADERS = ["用户名", "姓名", "角色", "区划代码", "单位", "手机", "职务", "初始密码"]


def _xlsx(tmp_path: Path, rows) -> Path:
    path = tmp_path / "users.xlsx"
    write_xlsx(path, HEADERS, rows)
    return path


GOOD_ROWS = [
    ["zhong.xy", "钟秀英", "village_cadre", VILLAGE_A, "", "13970010001", "村支书", ""],
    ["liu.jh", "刘建华", "驻村工作队员", VILLAGE_A, "全南县乡村振兴局", "", "队员", "Given-pass-2026"],
    ["chen.zq", "陈志强", "Helper", VILLAGE_A, "", "", "", ""],
]


def test_import_all_good(two_counties, tmp_path):
    from django.utils import translation

    with translation.override("zh-hans"):
        created, report = import_users(SYSTEM, _xlsx(tmp_path, GOOD_ROWS))
    assert not report
    assert [u for u, _pw in created] == ["zhong.xy", "liu.jh", "chen.zq"]
    assert dict(created)["liu.jh"] == "Given-pass-2026"
    assert User.objects.get(username="liu.jh").check_password("Given-pass-2026")
    assert User.objects.get(username="liu.jh").unit.name == "全南县乡村振兴局"
    assert User.objects.get(username="chen.zq").roles.get().role == "helper"


def test_import_is_all_or_nothing(two_counties, tmp_path):
    rows = [*GOOD_ROWS,
            ["bad.role", "", "村长", VILLAGE_A, "", "", "", ""],
            ["bad.area", "", "helper", "360729999999", "", "", "", ""],
            ["weak.pw", "", "helper", VILLAGE_A, "", "", "", "123456"],
            ["zhong.xy", "", "helper", VILLAGE_A, "", "", "", ""],
            ["no.unit", "", "helper", VILLAGE_A, "没有的单位", "", "", ""]]
    created, report = import_users(SYSTEM, _xlsx(tmp_path, rows))
    assert created == []
    assert not User.objects.exists(), "one bad row: no user is created"
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(5, "角色"), (6, "区划代码"), (7, "初始密码"), (8, "用户名"), (9, "单位")}
    assert all(e.reason for e in report.errors)


def test_import_by_a_county_office_stays_in_its_county(two_counties, make_user, tmp_path):
    office = make_user("county_office", COUNTY_A)
    rows = [GOOD_ROWS[0], ["b.user", "", "helper", VILLAGE_B, "", "", "", ""]]
    created, report = import_users(as_user(office), _xlsx(tmp_path, rows))
    assert created == [] and [(e.row, e.column) for e in report.errors] == [(3, "区划代码")]
    assert not User.objects.filter(username__in=["zhong.xy", "b.user"]).exists()


def _upload(client, path: Path):
    return client.post(reverse("accounts:users_import"),
                       {"file": SimpleUploadedFile(path.name, path.read_bytes())})


def test_import_page_runs_a_job_with_passwords_file(two_counties, make_user, tmp_path):
    office = make_user("county_office", COUNTY_A)
    client = Client()
    client.force_login(office)
    response = _upload(client, _xlsx(tmp_path, GOOD_ROWS))
    job = Job.objects.get(kind="accounts.import_users")
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.status == Job.SUCCEEDED, job.message
    assert job.area_code == COUNTY_A
    assert (job.done, job.total) == (3, 3)
    assert User.objects.filter(username__in=["zhong.xy", "liu.jh", "chen.zq"]).count() == 3
    jf = job.files.get()
    assert jf.contains_personal_data
    rows = CalamineWorkbook.from_filelike(io.BytesIO(jf.file.read())).get_sheet_by_index(0).to_python()
    passwords = dict((str(r[0]), str(r[1])) for r in rows[1:])
    assert set(passwords) == {"zhong.xy", "liu.jh", "chen.zq"}
    assert User.objects.get(username="zhong.xy").check_password(passwords["zhong.xy"])


def test_import_page_with_a_bad_row_fails_with_an_error_report(two_counties, make_user, tmp_path):
    office = make_user("county_office", COUNTY_A)
    client = Client()
    client.force_login(office)
    _upload(client, _xlsx(tmp_path, [*GOOD_ROWS, ["bad.role", "", "村长", VILLAGE_A, "", "", "", ""]]))
    job = Job.objects.get(kind="accounts.import_users")
    assert job.status == Job.FAILED and job.error_count == 1
    assert not User.objects.filter(username__in=["zhong.xy", "bad.role"]).exists()
    jf = job.files.get()
    assert not jf.contains_personal_data
    rows = CalamineWorkbook.from_filelike(io.BytesIO(jf.file.read())).get_sheet_by_index(0).to_python()
    assert len(rows) == 2
    row, column, value, reason = rows[1]
    assert (int(row), column, value) == (5, "角色", "村长") and reason


def test_import_template_downloads(two_counties, make_user):
    client = Client()
    client.force_login(make_user("county_office", COUNTY_A))
    response = client.get(reverse("accounts:users_template"))
    assert response.status_code == 200
    wb = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert wb.get_sheet_by_index(0).to_python()[0][:4] == HEADERS[:4]


# --- commands --------------------------------------------------------------------------

def test_create_user_command(two_counties):
    out = io.StringIO()
    call_command("create_user", "cmd.user", "--role", "county_office", "--area", COUNTY_A,
                 "--unit", "全南县乡村振兴局", "--full-name", "黄国平", stdout=out)
    text = out.getvalue()
    user = User.objects.get(username="cmd.user")
    password = re.search(r"Password: (\S+)", text).group(1)
    assert user.check_password(password)
    assert user.unit.name == "全南县乡村振兴局" and user.full_name == "黄国平"
    assert user.roles.get().prefix == "360729"
    event = AuditEvent.objects.get(action="accounts.user.create", object_id=str(user.pk))
    assert event.channel == "cli" and event.username == "<cli>"

    out = io.StringIO()
    call_command("create_user", "cmd.admin", "--role", "admin", "--password", PASSWORD, stdout=out)
    assert "Password" not in out.getvalue()
    admin = User.objects.get(username="cmd.admin")
    assert admin.is_staff and admin.check_password(PASSWORD) and admin.roles.get().prefix == ""


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "helper", "--area", "360729999999"], "does not exist"),
    (["--role", "helper", "--area", VILLAGE_A, "--password", "short"], "short"),
    (["--role", "helper", "--area", VILLAGE_A, "--unit", "没有的单位"], "No unit"),
])
def test_create_user_command_errors(two_counties, args, message):
    from django.utils import translation

    with translation.override("en"), pytest.raises(CommandError, match=message):
        call_command("create_user", "cmd.bad", *args, stdout=io.StringIO())
    assert not User.objects.filter(username="cmd.bad").exists()


def test_create_token_command(two_counties, make_user):
    user = make_user("county_office", COUNTY_A)
    out = io.StringIO()
    call_command("create_token", user.username, "--label", "etl", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("fp_")
    token = ApiToken.objects.get(user=user)
    assert token.key_hash == ApiToken.hash(raw) and raw not in (token.key_hash, token.prefix)
    assert token.label == "etl"
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me")
    assert response.status_code == 200 and response.json()["username"] == user.username
    with pytest.raises(CommandError):
        call_command("create_token", "nobody", stdout=io.StringIO())


def test_import_users_command(two_counties, tmp_path):
    out_file = tmp_path / "passwords.xlsx"
    call_command("import_users", str(_xlsx(tmp_path, GOOD_ROWS)), "--passwords", str(out_file), stdout=io.StringIO())
    assert User.objects.filter(username__in=["zhong.xy", "liu.jh", "chen.zq"]).count() == 3
    assert out_file.exists()
    with pytest.raises(CommandError, match="no user was created"):
        call_command("import_users", str(_xlsx(tmp_path, [["x.y", "", "村长", VILLAGE_A, "", "", "", ""]])),
                     stdout=io.StringIO())


# --- changing one's own password -----------------------------------------------------

PROFILE = "/accounts/me/"
NEW_PASSWORD = "Brand-new-pass-2026!"


@pytest.fixture
def english(settings):
    """Read messages in their English originals (the UI default is Chinese)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _change(client, current, new=NEW_PASSWORD, again=None):
    return client.post(PROFILE, {"current_password": current, "password": new,
                                 "password2": new if again is None else again})


def test_profile_asks_for_the_current_password(two_counties, make_user, english):
    user = make_user("village_cadre", VILLAGE_A)
    client = Client()
    assert _post_login(client, user.username, PASSWORD).status_code == 302
    page = client.get(PROFILE)
    assert 'name="current_password"' in page.content.decode()
    # Without it the form is refused.
    response = client.post(PROFILE, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 200 and "current_password" in response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_wrong_current_password_changes_nothing_and_counts(two_counties, make_user, english):
    user = make_user("village_cadre", VILLAGE_A)
    client = Client()
    _post_login(client, user.username, PASSWORD)
    response = _change(client, "Not-my-pass-2026!")
    assert response.status_code == 200
    assert response.context["form"].errors["current_password"] == ["The current password is wrong."]
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and not user.check_password(NEW_PASSWORD)
    assert user.failed_logins == 1, "counted like a failed sign-in"
    event = AuditEvent.objects.get(action="accounts.password.wrong_current")
    assert (event.kind, event.object_id, event.area_code) == ("auth", str(user.pk), VILLAGE_A)
    assert not AuditEvent.objects.filter(action="accounts.user.change_password").exists()


def test_wrong_current_passwords_and_failed_sign_ins_share_the_lock_out(two_counties, make_user, english):
    user = make_user("village_cadre", VILLAGE_A)
    client = Client()
    n = settings.LOGIN_MAX_FAILURES
    moment = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0))
    with clock.frozen(moment):
        _post_login(client, user.username, PASSWORD)
        _post_login(Client(), user.username, "Wrong-pass-2026!")  # one failed sign-in elsewhere
        for _ in range(n - 2):
            assert _change(client, "Not-my-pass-2026!").status_code == 200
        user.refresh_from_db()
        assert user.failed_logins == n - 1 and user.locked_until is None
        # The last wrong one locks the account and ends this session.
        response = _change(client, "Not-my-pass-2026!")
        assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
        assert "_auth_user_id" not in client.session
        user.refresh_from_db()
        assert user.locked_until == moment + dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
        assert user.check_password(PASSWORD)
        assert AuditEvent.objects.filter(action="accounts.password.locked", object_id=str(user.pk)).count() == 1
        # Locked: even the right password does not sign in.
        assert _post_login(Client(), user.username, PASSWORD).status_code == 200


def test_a_locked_account_cannot_change_its_password(two_counties, make_user, english):
    """A session opened before the lock: nothing is checked, nothing counted, nothing changed."""
    user = make_user("village_cadre", VILLAGE_A)
    client = Client()
    _post_login(client, user.username, PASSWORD)
    for _ in range(settings.LOGIN_MAX_FAILURES):
        _post_login(Client(), user.username, "Wrong-pass-2026!")
    # The backend refuses a locked user's session too: the page sends to the login form.
    response = _change(client, PASSWORD)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    # The action itself refuses while locked, without checking or counting.
    with pytest.raises(actions.WrongPassword) as exc:
        actions.change_own_password(as_user(user), PASSWORD, NEW_PASSWORD)
    assert exc.value.locked_until == user.locked_until and exc.value.field == "current_password"
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.failed_logins == 0


def test_changing_ones_own_password(two_counties, make_user, english):
    user = make_user("village_cadre", VILLAGE_A)
    client, other = Client(), Client()
    _post_login(client, user.username, PASSWORD)
    _post_login(other, user.username, PASSWORD)  # the same user on another computer
    _post_login(Client(), user.username, "Wrong-pass-2026!")
    response = _change(client, PASSWORD)
    assert response.status_code == 302 and response["Location"] == PROFILE
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert user.failed_logins == 0 and user.failed_since is None
    assert AuditEvent.objects.filter(action="accounts.user.change_password", object_id=str(user.pk),
                                     area_code=VILLAGE_A).count() == 1
    # This session stays valid; the other one ends.
    assert client.get(reverse("core:home")).status_code == 200
    response = other.get(reverse("core:home"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert _post_login(Client(), user.username, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(("new", "again", "field"), [
    (NEW_PASSWORD, "Other-pass-2026!", None),  # the two differ
    ("short1!", None, "password"),  # too weak
    (PASSWORD, None, "password"),  # the same as the current one
])
def test_a_bad_new_password_is_refused(two_counties, make_user, english, new, again, field):
    user = make_user("village_cadre", VILLAGE_A)
    client = Client()
    _post_login(client, user.username, PASSWORD)
    response = _change(client, PASSWORD, new, again)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[field or "__all__"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.failed_logins == 0, "a right current password is no failure"


def test_an_office_sets_another_users_password_without_the_current_one(two_counties, make_user):
    user = make_user("village_cadre", VILLAGE_A)
    office = make_user("county_office", COUNTY_A)
    web = Client()
    web.force_login(office)
    response = web.post(reverse("accounts:user_password", args=[user.pk]),
                        {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="accounts.user.set_password", object_id=str(user.pk)).exists()


def test_the_office_route_does_not_change_ones_own_password(two_counties, make_user):
    office = make_user("county_office", COUNTY_A)
    web = Client()
    web.force_login(office)
    assert 'name="password2"' not in web.get(reverse("accounts:user", args=[office.pk])).content.decode()
    response = web.post(reverse("accounts:user_password", args=[office.pk]),
                        {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    office.refresh_from_db()
    assert office.check_password(PASSWORD)
    with pytest.raises(Invalid):
        actions.set_password(as_user(office), office, NEW_PASSWORD)


# --- the lock-out window -------------------------------------------------------------

def _fail_at(username, moment):
    with clock.frozen(moment):
        return _post_login(Client(), username, "Wrong-pass-2026!")


@pytest.mark.parametrize(("value", "minutes"), [(None, 15), ("30", 30)])
def test_lockout_window_setting(monkeypatch, value, minutes):
    """FUPIN_LOCKOUT_WINDOW_MINUTES sets the window, 15 minutes when unset — whatever the
    environment running the tests says: the variable is set (or removed) here and the
    settings module is read afresh."""
    import importlib.util

    import fupin.settings

    if value is None:
        monkeypatch.delenv("FUPIN_LOCKOUT_WINDOW_MINUTES", raising=False)
    else:
        monkeypatch.setenv("FUPIN_LOCKOUT_WINDOW_MINUTES", value)
    spec = importlib.util.spec_from_file_location("fupin_settings_fresh", fupin.settings.__file__)
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    assert fresh.LOCKOUT_WINDOW_MINUTES == minutes


def test_failures_count_only_within_the_window(two_counties, make_user):
    user = make_user("village_cadre", VILLAGE_A)
    n, window = settings.LOGIN_MAX_FAILURES, dt.timedelta(minutes=settings.LOCKOUT_WINDOW_MINUTES)
    start = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0))
    for i in range(n - 1):
        _fail_at(user.username, start + dt.timedelta(minutes=i))
    user.refresh_from_db()
    assert user.failed_logins == n - 1 and user.failed_since == start
    # The next failure comes when the window has passed: a new count, no lock.
    later = start + window
    _fail_at(user.username, later)
    user.refresh_from_db()
    assert (user.failed_logins, user.failed_since, user.locked_until) == (1, later, None)
    # n - 1 more within the new window: locked.
    for i in range(1, n):
        _fail_at(user.username, later + window - dt.timedelta(seconds=n - i))
    user.refresh_from_db()
    assert user.locked_until == later + window - dt.timedelta(seconds=1) + dt.timedelta(
        minutes=settings.LOGIN_LOCK_MINUTES)
    assert (user.failed_logins, user.failed_since) == (0, None)


def test_failures_spread_over_a_day_never_lock(two_counties, make_user):
    user = make_user("village_cadre", VILLAGE_A)
    start = timezone.make_aware(dt.datetime(2026, 3, 2, 8, 0))
    for i in range(3 * settings.LOGIN_MAX_FAILURES):
        _fail_at(user.username, start + i * dt.timedelta(minutes=settings.LOCKOUT_WINDOW_MINUTES // 2 + 1))
    user.refresh_from_db()
    assert user.locked_until is None and user.failed_logins <= 2


def test_a_successful_sign_in_resets_the_count(two_counties, make_user):
    user = make_user("village_cadre", VILLAGE_A)
    n = settings.LOGIN_MAX_FAILURES
    start = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0))
    for i in range(n - 1):
        _fail_at(user.username, start + dt.timedelta(minutes=i))
    with clock.frozen(start + dt.timedelta(minutes=n)):
        assert _post_login(Client(), user.username, PASSWORD).status_code == 302
    user.refresh_from_db()
    assert (user.failed_logins, user.failed_since) == (0, None)
    _fail_at(user.username, start + dt.timedelta(minutes=n + 1))
    user.refresh_from_db()
    assert user.failed_logins == 1 and user.locked_until is None


def test_the_window_follows_its_setting(two_counties, make_user, settings):
    settings.LOCKOUT_WINDOW_MINUTES = 60
    user = make_user("village_cadre", VILLAGE_A)
    start = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0))
    for i in range(settings.LOGIN_MAX_FAILURES):
        _fail_at(user.username, start + dt.timedelta(minutes=14 * i))  # 56 minutes in all
    user.refresh_from_db()
    assert user.locked_until == start + dt.timedelta(minutes=56 + settings.LOGIN_LOCK_MINUTES)
