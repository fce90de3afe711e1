"""The kinds of data set are named in the reader's language only (they read
"车辆登记信息 (Vehicles)" in both), on the import page, in the filters and on a hit; the
cut-off explanations speak of the document's rule, not of the project's seed numbers."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from fupin.comparison import rules
from tests import test_comparison as base
from tests.conftest import COUNTY_A
from tests.test_comparison import Y, hit_of

world, vehicles = base.world, base.vehicles


def test_kind_label_is_in_one_language():
    vehicle = rules.kind("vehicle")
    with translation.override("en"):
        assert vehicle.label == "Vehicles"
        assert dict(rules.kind_choices())["dibao"] == "Minimum living allowance (dibao) list"
    with translation.override("zh-hans"):
        assert vehicle.label == "车辆登记信息"
        assert all(not any("a" <= ch.lower() <= "z" for ch in label) for _code, label in rules.kind_choices())


@pytest.mark.parametrize(("language", "shown", "absent"), [("en", "Vehicles", "车辆登记信息"),
                                                            ("zh-hans", "车辆登记信息", "Vehicles")])
def test_import_page_names_kinds_in_the_users_language(world, make_user, login, settings, language, shown, absent):
    settings.LANGUAGE_CODE = language
    client = login(make_user("county_office", COUNTY_A))
    body = client.get(reverse("comparison:import"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f"<strong>{shown}</strong>" in body and f'<option value="vehicle">{shown}</option>' in body
    assert f"<strong>{absent}</strong>" not in body and f">{absent}</option>" not in body
    assert "车辆登记信息 (Vehicles)" not in body and "(Vehicles)" not in body


@pytest.mark.usefixtures("english")
def test_hit_page_and_filters_in_english(vehicles, make_user, login):
    client = login(make_user("county_office", COUNTY_A))
    hits = client.get(reverse("comparison:hits"), {"status": "info"}).content.decode()
    assert '<option value="vehicle">Vehicles</option>' in hits
    hit = hit_of(vehicles, Y)  # dated after the cut-off
    body = client.get(reverse("comparison:hit", args=[hit.pk])).content.decode()
    assert '<h1 class="h4 mb-3">Vehicles: ' in body
    assert "Dated after the identification cut-off date: this never vetoes" in body
    assert "seed" not in body


@pytest.mark.usefixtures("english")
def test_cutoffs_page_explains_without_internal_references(world, make_user, login):
    body = login(make_user("county_office", COUNTY_A)).get(reverse("comparison:cutoffs")).content.decode()
    assert "a fact dated after it never vetoes (识别后发生的情况不适用“一票否决”)" in body
    assert "seed" not in body.lower() and "issue" not in body.lower()
