"""A new user is checked once: the user form checks in clean() (actions.check_new_user) and its
view creates what it checked (actions.create_checked_user), the users import likewise for each
row. create_user, called directly, still checks everything, and a name taken since the check is
still refused.

Before: the form view made 16 queries (the area read 3 times, the name checked twice), the
import 12 a user (the same, and two savepoints); now 13, and 7 a user."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fupin.accounts import actions
from fupin.accounts.importers import import_users
from fupin.accounts.models import User
from fupin.core.actor import Actor
from fupin.core.errors import Forbidden, Invalid
from fupin.core.tabular import write_xlsx
from tests.conftest import COUNTY_A, PASSWORD, VILLAGE_A, VILLAGE_B

pytestmark = pytest.mark.usefixtures("english")

HEADERS = ["用户名", "姓名", "角色", "区划代码", "单位", "手机", "职务", "初始密码"]
AREA_READ = re.compile(r'FROM "areas_area"')
NAME_CHECK = re.compile(r'FROM "accounts_user" WHERE "accounts_user"."username" = ')


def _count(queries, pattern) -> int:
    return sum(1 for q in queries if pattern.search(q["sql"]))


def test_the_user_form_checks_a_new_user_once(two_counties, make_user):
    client = Client()
    client.force_login(make_user("county_office", COUNTY_A))
    client.get(reverse("accounts:user_create"))
    with CaptureQueriesContext(connection) as q:
        response = client.post(reverse("accounts:user_create"), {
            "username": "good.one", "role": "helper", "area_code": VILLAGE_A, "phone": "13970010000"})
    user = User.objects.get(username="good.one")
    assert response.status_code == 302 and user.roles.get().prefix == VILLAGE_A
    assert (_count(q.captured_queries, AREA_READ), _count(q.captured_queries, NAME_CHECK)) == (1, 1)
    assert len(q) == 13  # was 16


def _import(actor, tmp_path, n: int, start: int) -> CaptureQueriesContext:
    path = tmp_path / f"users{start}.xlsx"
    write_xlsx(path, HEADERS, [[f"user{start + i}", "", "helper", VILLAGE_A, "", "13970010000", "", ""]
                               for i in range(n)])
    with CaptureQueriesContext(connection) as q:
        created, report = import_users(actor, path)
    assert len(created) == n, report.summary()
    return q


def test_the_users_import_checks_each_user_once(two_counties, make_user, tmp_path):
    actor = Actor(make_user("county_office", COUNTY_A))
    _import(actor, tmp_path, 1, 0)  # (the actor's roles, read once, now known)
    one, six = _import(actor, tmp_path, 1, 100), _import(actor, tmp_path, 6, 200)
    assert (_count(six.captured_queries, AREA_READ), _count(six.captured_queries, NAME_CHECK)) == (6, 6)
    assert (len(six) - len(one)) / 5 == 7  # a user: was 12
    assert User.objects.filter(username__startswith="user").count() == 8


# --- nothing weaker -----------------------------------------------------------------------------

def test_create_user_called_directly_checks_everything(two_counties, make_user):
    office = Actor(make_user("county_office", COUNTY_A))
    with CaptureQueriesContext(connection) as q, pytest.raises(Forbidden):
        actions.create_user(office, username="far", role="helper", area_code=VILLAGE_B)
    assert _count(q.captured_queries, AREA_READ) == 1
    with pytest.raises(Invalid) as exc:
        actions.create_user(office, username="p", role="helper", area_code=VILLAGE_A, phone="12")
    assert exc.value.field == "phone"
    user, _pw = actions.create_user(office, username="ok", role="helper", area_code=VILLAGE_A)
    assert user.roles.get().prefix == VILLAGE_A


def test_a_checked_input_is_created_as_checked_for_its_own_actor_only(two_counties, make_user):
    officer = make_user("county_office", COUNTY_A)
    office = Actor(officer)
    checked = actions.check_new_user(office, username="a.user", role="helper", area_code=VILLAGE_A)
    assert checked.problems == () and checked.area.code == VILLAGE_A
    with CaptureQueriesContext(connection) as q:
        user, password = actions.create_checked_user(office, checked)
    assert (_count(q.captured_queries, AREA_READ), _count(q.captured_queries, NAME_CHECK)) == (0, 0)
    assert user.roles.get().prefix == VILLAGE_A and user.check_password(password)
    # an input with a problem is refused with its first problem, nothing written
    bad = actions.check_new_user(office, username="b.user", role="helper", area_code=VILLAGE_A, phone="12")
    with pytest.raises(Invalid) as exc:
        actions.create_checked_user(office, bad)
    assert exc.value.field == "phone" and not User.objects.filter(username="b.user").exists()
    # another actor (another request) may not create what this one checked
    other = actions.check_new_user(office, username="c.user", role="helper", area_code=VILLAGE_A)
    with pytest.raises(ValueError):
        actions.create_checked_user(Actor(officer), other)
    assert not User.objects.filter(username="c.user").exists()


def test_a_name_taken_since_the_check_is_refused(two_counties, make_user):
    office = Actor(make_user("county_office", COUNTY_A))
    checked = actions.check_new_user(office, username="twice", role="helper", area_code=VILLAGE_A,
                                     password=PASSWORD)
    assert checked.problems == ()
    make_user("helper", VILLAGE_A, username="twice")  # meanwhile, elsewhere
    with pytest.raises(Invalid) as exc:
        actions.create_checked_user(office, checked)
    assert exc.value.field == "username" and str(exc.value.message) == "The user name “twice” is taken."
    assert User.objects.filter(username="twice").count() == 1
    # the transaction goes on (the failed insert was undone alone)
    actions.create_user(office, username="thrice", role="helper", area_code=VILLAGE_A)


def test_the_import_reports_a_name_given_twice(two_counties, tmp_path):
    from fupin.core.actor import Actor as A

    rows = [["same", "", "helper", VILLAGE_A, "", "", "", ""], ["same", "", "helper", VILLAGE_A, "", "", "", ""]]
    path = tmp_path / "same.xlsx"
    write_xlsx(path, HEADERS, rows)
    created, report = import_users(A.system(), path)
    assert created == [] and not User.objects.filter(username="same").exists()
    assert [(e.row, e.column) for e in report.errors] == [(3, "用户名")]
