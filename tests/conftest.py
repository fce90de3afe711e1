"""Shared fixtures: two counties side by side (A = 全南县 360729, B = 龙南市 360783),
a user for any role at any area, logged-in web and API clients."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, settings

from fupin.accounts import actions as accounts
from fupin.areas import actions as areas
from fupin.areas.models import Area, Unit
from fupin.core.actor import Actor

# CI machines are small and busy: judge properties, not speed.
settings.register_profile("fupin", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("fupin")

SYSTEM = Actor.system()
PASSWORD = "Test-pass-2026!"
COUNTY_A, COUNTY_B = "360729000000", "360783000000"
TOWNSHIP_A, TOWNSHIP_B = "360729100000", "360783100000"
VILLAGE_A, VILLAGE_B = "360729100201", "360783100201"


def pytest_configure(config):
    """A test database that cannot be dropped at the end of the run (PostgreSQL: "… is being
    accessed by other users": a connection some test left open) fails the run instead of
    leaving a warning pytest-django's teardown prints and everyone scrolls past."""
    config.addinivalue_line("filterwarnings",
                            "error:Error when trying to teardown test databases:pytest.PytestWarning")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Let Django empty the append-only audit tables between transactional tests
    (see audit migration 0002). The append-only test removes this row in its own
    transaction to prove the triggers refuse."""
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO audit_maintenance (reason) VALUES ('test suite')")


@pytest.fixture
def two_counties(db):
    """The real divisions of 赣州市 (3607), plus one village with two groups in each of
    county A and county B, and a unit in each county."""
    areas.load_divisions(SYSTEM, prefix="3607")
    areas._insert_levels(
        [
            {"code": VILLAGE_A, "name": "石桥村"},
            {"code": VILLAGE_A + "001", "name": "第1村民小组"},
            {"code": VILLAGE_A + "002", "name": "第2村民小组"},
            {"code": VILLAGE_B, "name": "龙岗村"},
            {"code": VILLAGE_B + "001", "name": "第1村民小组"},
        ],
        source="test",
        valid_from=None,
    )
    for code, name in ((COUNTY_A, "全南县乡村振兴局"), (COUNTY_B, "龙南市乡村振兴局")):
        areas.save_unit(SYSTEM, None, name=name, kind="government", level="county",
                        area=Area.objects.get(code=code))
    return {"A": COUNTY_A, "B": COUNTY_B}


@pytest.fixture
def english(settings):
    """For tests that read messages in their English originals (the UI default is Chinese):
    ``pytestmark = pytest.mark.usefixtures("english")``."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def make_user(db):
    counter = {"n": 0}

    def make(role: str, area_code: str | None, **extra):
        counter["n"] += 1
        username = extra.pop("username", f"{role}_{area_code or 'all'}_{counter['n']}")
        unit = extra.pop("unit", None)
        if unit is None and area_code:
            unit = Unit.objects.filter(area_code__startswith=area_code[:6]).first()
        user, _pw = accounts.create_user(SYSTEM, username=username, role=role, area_code=area_code,
                                         unit=unit, password=PASSWORD, **extra)
        return user

    return make


@pytest.fixture
def login(client):
    def do(user) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return do


@pytest.fixture
def api(db):
    """An API client for a user: api(user).get('/api/v1/...')."""

    def make(user):
        token = accounts.create_token(SYSTEM, user)
        return Client(headers={"Authorization": f"Bearer {token}"})

    return make


@pytest.fixture
def browser():
    """Debian's chromium for one browser test (see tests/browser.py; imported here lazily
    so that a machine without Playwright still runs every other test)."""
    from .browser import launch

    yield from launch()
