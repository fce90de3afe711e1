"""一年一核: an open round's status is a state ("in progress", 进行中), not the button "Open"
(打开) that opens a round: the badge has a message of its own (context "re-check round status")
that the catalogue can translate apart from the button. The test gives that message a Chinese
translation (the catalogue may not have it yet) and reads the Chinese pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.translation import trans_real

from fupin.areas.models import Area
from fupin.registry import actions
from fupin.registry.models import RecheckRecord
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A

STATUS = "进行中"


@pytest.fixture
def in_progress(monkeypatch):
    catalogue = trans_real.translation("zh-hans")._catalog._catalogs[0]
    monkeypatch.setitem(catalogue, "re-check round status\x04Open", STATUS)


def test_an_open_round_reads_in_progress_and_the_button_still_open(two_counties, make_user, login, in_progress):
    h = actions.create_household(SYSTEM, number="A1", area_code=VILLAGE_A + "001", main_cause="01",
                                 identified_year=2016)
    rnd = actions.open_recheck(SYSTEM, Area.objects.get(code=COUNTY_A), 2025)
    office = login(make_user("county_office", COUNTY_A))
    rounds = office.get(reverse("registry:rechecks")).content.decode()
    badge = rounds.split('<span class="badge text-bg-primary">')[1].split("</span>")[0]
    assert badge == STATUS
    assert '<button class="btn btn-primary btn-sm w-100">打开</button>' in rounds  # the button opens a round
    page = office.get(reverse("registry:recheck", args=[rnd.pk])).content.decode()
    assert page.split('<span class="badge text-bg-primary fs-6 align-middle">')[1].split("</span>")[0] == STATUS
    card = office.get(reverse("registry:household", args=[h.pk])).content.decode()
    section = card.split('id="rechecks"')[1]
    assert STATUS in section and RecheckRecord.objects.filter(household=h, round=rnd).exists()
