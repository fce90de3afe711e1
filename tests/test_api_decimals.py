"""Numbers a client sends that are not money — a household's housing area, distance to the road
and land areas — are read by fupin.api.base.Quantity: as the household page's form reads them
(never negative; NaN, infinity and text refused; at most the model's digits), rounded half up
to the model's decimal places. A refusal is a 422 naming the field, whose message names the
field too and says what the page says, all in the language of the answer."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import translation

from fupin.registry import actions
from fupin.registry.forms import HouseholdForm
from fupin.registry.models import Household
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A

FIELDS = ["housing_area", "road_distance_km", "arable_mu", "irrigated_mu", "forest_mu", "returned_forest_mu"]
EN, ZH = {"Accept-Language": "en"}, {"Accept-Language": "zh-hans"}
NUMBER = "3607291002010009"


@pytest.fixture
def client(two_counties, make_user, api):
    return api(make_user("county_office", COUNTY_A))


def _create(client, field, raw: str, headers):
    body = (f'{{"number": "{NUMBER}", "area_code": "{VILLAGE_A}", "main_cause": "01", "identified_year": 2016, '
            f'"{field}": {raw}}}')  # raw JSON: NaN and Infinity as Python's json reads them
    return client.post("/api/v1/households", body, content_type="application/json", headers=headers)


def _page_says(field: str, typed: str, language: str) -> str:
    """What the household page's form says about ``typed`` in ``field``."""
    with translation.override(language):
        form = HouseholdForm({field: typed})
        form.is_valid()
        return str(form.errors[field][0])


def _label(field: str, language: str) -> str:
    with translation.override(language):
        return str(Household._meta.get_field(field).verbose_name)


@pytest.mark.parametrize("field", ["housing_area", "arable_mu"])  # (every field: the next test)
@pytest.mark.parametrize(("raw", "typed", "reason"), [
    ("-1", "-1", "Ensure this value is greater than or equal to 0."),
    ('"-0.5"', "-0.5", "Ensure this value is greater than or equal to 0."),
    ("NaN", "NaN", "Enter a number."), ('"NaN"', "NaN", "Enter a number."),
    ("Infinity", "Infinity", "Enter a number."), ('"-Infinity"', "-Infinity", "Enter a number."),
    ("1e400", "Infinity", "Enter a number."), ('"abc"', "abc", "Enter a number."), ("true", "是", "Enter a number."),
])
def test_a_bad_number_is_refused_naming_the_field_in_english(client, field, raw, typed, reason):
    response = _create(client, field, raw, EN)
    assert response.status_code == 422, response.content
    out = response.json()
    message = f"{_label(field, 'en')}: {reason}"
    assert (out["code"], out["field"], out["message"]) == ("invalid", field, message)
    assert [(e["field"], e["type"], e["msg"]) for e in out["errors"]] == [(field, "invalid_number", message)]
    assert _page_says(field, typed, "en") == reason  # the page says the same
    assert not Household.objects.filter(number=NUMBER).exists()


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize(("raw", "typed"), [("-1", "-1"), ("NaN", "NaN"), ('"abc"', "abc"), ("1e9", "1000000000")])
def test_the_message_is_in_chinese_unless_english_is_asked_for(client, field, raw, typed):
    zh = _create(client, field, raw, ZH).json()
    en = _create(client, field, raw, EN).json()
    assert zh["field"] == en["field"] == field
    label, says = _label(field, "zh-hans"), _page_says(field, typed, "zh-hans")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in label + says), (label, says)  # (both are translated)
    assert zh["message"].startswith(label) and zh["message"].endswith(says), zh["message"]
    assert not any(word in zh["message"] for word in ("Ensure", "Enter", "number", "out of range")), zh["message"]
    assert en["message"] == f"{_label(field, 'en')}: {_page_says(field, typed, 'en')}"
    assert zh["errors"][0]["msg"] == zh["message"]


@pytest.mark.parametrize(("field", "raw"), [("housing_area", "1e7"), ("road_distance_km", "100000"),
                                            ("arable_mu", "1000000"), ("arable_mu", '"999999.996"')])
def test_a_number_too_large_for_the_field_is_refused_as_the_page_refuses_it(client, field, raw):
    out = _create(client, field, raw, EN).json()
    assert out["field"] == field
    assert out["message"].startswith(f"{_label(field, 'en')}: Ensure that there are no more than ")
    assert out["message"].endswith(" digits in total.") or out["message"].endswith(" before the decimal point.")


@pytest.mark.parametrize(("field", "raw", "stored"), [
    ("housing_area", "86.55", "86.6"), ("housing_area", '"86.45"', "86.5"), ("road_distance_km", "1.25", "1.3"),
    ("arable_mu", "2.345", "2.35"), ("forest_mu", '" 10 "', "10.00"), ("irrigated_mu", "0", "0.00"),
    ("returned_forest_mu", "0.005", "0.01"), ("housing_area", "null", None),
])
def test_a_number_is_rounded_half_up_to_the_fields_places(client, field, raw, stored):
    response = _create(client, field, raw, EN)
    assert response.status_code == 201, response.content
    assert response.json()[field] == stored
    value = getattr(Household.objects.get(number=NUMBER), field)
    assert (None if value is None else str(value)) == stored


def test_a_change_is_read_the_same_way(client):
    h = actions.create_household(SYSTEM, number=NUMBER, area_code=VILLAGE_A, category="1", standard="1",
                                 main_cause="01", identified_year=2016, status="registered",
                                 status_date=dt.date(2016, 3, 1), arable_mu="2")
    url = f"/api/v1/households/{h.pk}"
    response = client.patch(url, json.dumps({"arable_mu": -2}), content_type="application/json", headers=EN)
    assert response.status_code == 422
    assert (response.json()["field"], response.json()["message"]) == (
        "arable_mu", "arable land (mu): Ensure this value is greater than or equal to 0.")
    response = client.patch(url, json.dumps({"housing_area": ""}), content_type="application/json", headers=EN)
    assert (response.json()["field"], response.json()["message"]) == ("housing_area", "housing area (m²): Enter a number.")
    response = client.patch(url, json.dumps({"arable_mu": "3.125"}), content_type="application/json")
    assert response.status_code == 200 and response.json()["arable_mu"] == "3.13"
    h.refresh_from_db()
    assert str(h.arable_mu) == "3.13"


def test_openapi_says_a_number_or_text_never_negative(db):
    from django.test import Client

    schemas = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]
    for model in ("HouseholdIn", "HouseholdPatch"):
        for field in FIELDS:
            prop = schemas[model]["properties"][field]
            (number,) = [s for s in prop["anyOf"] if s.get("type") != "null"]
            assert number == {"anyOf": [{"type": "number"}, {"type": "string"}], "minimum": 0}, (model, field)
