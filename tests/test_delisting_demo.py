"""The demo county's delisting: a village delisted in a past year, one in its township
notice, and a county round with a sample and survey records."""

from __future__ import annotations

import datetime as dt

from fupin.assistance import demo as assistance_demo
from fupin.core import clock
from fupin.core import demo as core_demo
from fupin.delisting import demo as delisting_demo
from fupin.delisting import queries
from fupin.delisting.models import CountyRound, VillageAssessment
from fupin.registry import demo as registry_demo
from fupin.registry.models import VillageProfile
from tests.conftest import SYSTEM
from tests.test_registry_demo import _areas

TODAY = dt.date(2026, 6, 1)


def test_the_demo_county_delisting(db, monkeypatch):
    from fupin.areas import actions as area_actions

    area_actions.load_divisions(SYSTEM, prefix="530100000000")
    villages = _areas(monkeypatch)
    with clock.frozen(TODAY):
        units = core_demo._build_units(villages)
        core_demo._build_users(villages, units)
        context = {"villages": villages, "units": units, "seed": 2017}
        context["registry"] = registry_demo.build(SYSTEM, 2017)
        assistance_demo.build(SYSTEM, 2017, context)
        delisting_demo.delisting_demo(SYSTEM, None, context)
        result = context["delisting"]
        assert result["delisted"] is not None and result["in_notice"] is not None
        name, year = result["delisted"]
        done = VillageAssessment.objects.get(state=VillageAssessment.ANNOUNCED)
        assert done.village.name == name and done.year == year < TODAY.year
        profile = VillageProfile.objects.get(village=done.village, year=year)
        assert (profile.status, profile.status_year) == ("delisted", year)
        up = VillageAssessment.objects.get(state=VillageAssessment.NOTICE)
        notice = up.steps.get()
        assert notice.started_on <= TODAY <= notice.last_day
        rnd = CountyRound.objects.get()
        check = queries.county_check(rnd)
        assert check["counts"]["total"] == result["sampled"] > 0
        assert 0 < check["counts"]["surveyed"] < check["counts"]["total"]
        assert {i["code"] for i in check["items"]} == {"incidence", "wrong_exit", "missed", "approval"}
