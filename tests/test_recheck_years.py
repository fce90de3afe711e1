"""The years a re-check round (一年一核) may be opened for are data (registry/data/recheck.json,
with their sources), checked by the action whoever calls it and by the round form with the same
bounds and message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse

from fupin.areas.models import Area
from fupin.core import clock
from fupin.core.errors import Invalid
from fupin.registry import actions, rules
from fupin.registry.models import RecheckRound
from fupin.registry.views_recheck import OpenForm
from tests.conftest import COUNTY_A, SYSTEM

DATA = json.loads((Path(rules.__file__).parent / "data" / "recheck.json").read_text(encoding="utf-8"))


def test_the_bounds_are_the_data_file_s_with_a_source():
    first, last = rules.recheck_years(2026)
    assert first == DATA["first_year"]["value"] == 2014  # 国开办发〔2014〕24号
    assert last == 2026 + DATA["years_ahead"]["value"] == 2027
    assert all(DATA[k]["source"] for k in ("first_year", "years_ahead"))


def _county():
    return Area.objects.get(code=COUNTY_A, valid_to__isnull=True)


@pytest.mark.parametrize("offset", ["before_first", "after_last", "long_before", "far_ahead"])
def test_the_action_refuses_a_year_outside_them(two_counties, offset):
    first, last = rules.recheck_years(clock.today().year)
    year = {"before_first": first - 1, "after_last": last + 1, "long_before": 1970, "far_ahead": 3000}[offset]
    with pytest.raises(Invalid) as exc:
        actions.open_recheck(SYSTEM, _county(), year)
    message = str(exc.value.message)
    assert exc.value.field == "year" and str(year) in message
    assert str(first) in message and str(last) in message  # the round's own bounds, whatever the year
    assert not RecheckRound.objects.exists()


def test_the_action_takes_the_first_and_the_last_year(two_counties):
    first, last = rules.recheck_years(clock.today().year)
    assert actions.open_recheck(SYSTEM, _county(), first).year == first
    assert actions.open_recheck(SYSTEM, _county(), last).year == last


def test_the_form_has_the_action_s_bounds_and_message(two_counties):
    first, last = rules.recheck_years(clock.today().year)
    area = _county()
    form = OpenForm(areas=[area])
    assert (form.fields["year"].widget.attrs["min"], form.fields["year"].widget.attrs["max"]) == (first, last)
    for year in (first - 1, last + 1):
        bound = OpenForm({"area": area.code, "year": year}, areas=[area])
        assert not bound.is_valid()
        with pytest.raises(Invalid) as exc:
            actions.check_recheck_year(year)
        assert bound.errors["year"] == [str(exc.value.message)]
    assert OpenForm({"area": area.code, "year": first}, areas=[area]).is_valid()


def test_the_page_refuses_a_year_before_the_registry_with_the_message(two_counties, make_user, login):
    office = login(make_user("county_office", COUNTY_A))
    first, _last = rules.recheck_years(clock.today().year)
    page = office.post(reverse("registry:recheck_open"), {"area": COUNTY_A, "year": first - 1}, follow=True)
    assert not RecheckRound.objects.exists()
    assert any(str(first - 1) in str(m) for m in page.context["messages"])
