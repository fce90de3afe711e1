"""The home page counts only the area levels the user has below them (a village cadre saw
"0 乡镇")."""

from __future__ import annotations

import pytest

from tests.conftest import COUNTY_A, VILLAGE_A

pytestmark = pytest.mark.usefixtures("english")


def _labels(client):
    html = client.get("/").content.decode()
    return {label for label in ("Townships", "Villages", "Village groups") if f">{label}</div>" in html}


def test_a_village_cadre_sees_no_township_count(two_counties, make_user, login):
    assert "Townships" not in _labels(login(make_user("village_cadre", VILLAGE_A)))


def test_a_county_office_sees_its_townships_and_villages(two_counties, make_user, login):
    assert {"Townships", "Villages"} <= _labels(login(make_user("county_office", COUNTY_A)))
