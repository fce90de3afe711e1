"""The monitoring → dynamics contract: year_counts golden numbers and at_risk scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum.cn import ric

from fupin.monitoring import queries
from fupin.monitoring.models import MonitoredHousehold as M
from fupin.registry import actions as registry_actions
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A, VILLAGE_B

D = dt.date


def _id(seq: str, area: str = "360729") -> str:
    base = f"{area}19700315{seq}"
    return base + ric.calc_check_digit(base + "0")


def _household(number, area_code, seq):
    h = registry_actions.create_household(SYSTEM, number=number, area_code=area_code, category="1", standard="1",
                                          main_cause="01", identified_year=2016, status="exited_policy",
                                          status_date=D(2016, 3, 1))
    registry_actions.add_member(SYSTEM, h, name="户主" + seq, id_number=_id(seq, area_code[:6]), relation="01",
                                ethnicity="01", school_status="00", health="1")
    return h


def _episode(h, state, since=None, cleared=None):
    return M.objects.create(household=h, area_code=h.area_code, kind=M.UNSTABLE, state=state, since=since,
                            cleared_on=cleared)


@pytest.fixture
def episodes(two_counties):
    # (state, since, cleared) in county A; the 2022 numbers are the golden ones below.
    rows = [
        (M.MONITORED, D(2021, 6, 1), None),          # start, end
        (M.CLEARED, D(2021, 5, 1), D(2022, 3, 31)),  # start, cleared
        (M.CLEARED, D(2021, 5, 1), D(2022, 1, 1)),   # start (cleared on 1 Jan: still there at its start), cleared
        (M.CLEARED, D(2020, 5, 1), D(2021, 12, 31)),  # none (cleared the year before)
        (M.MONITORED, D(2022, 1, 1), None),          # new, end
        (M.CLEARED, D(2022, 2, 1), D(2022, 11, 30)),  # new, cleared
        (M.MONITORED, D(2022, 12, 31), None),        # new, end
        (M.CLEARED, D(2022, 4, 1), D(2023, 1, 1)),   # new, end (cleared next year)
        (M.MONITORED, D(2023, 1, 1), None),          # none (next year)
        (M.CANDIDATE, None, None),                   # never counted
        (M.REJECTED, None, None),                    # never counted
    ]
    for n, (state, since, cleared) in enumerate(rows):
        h = _household(f"36072910020100{n:02d}", VILLAGE_A + "001", f"{n:03d}")
        _episode(h, state, since, cleared)
    hb = _household("3607831002010099", VILLAGE_B + "001", "099")
    _episode(hb, M.MONITORED, D(2021, 1, 1))


def test_year_counts_golden(episodes):
    got = queries.year_counts("360729", 2022)
    assert got == {"monitored_start": 3, "newly_monitored": 4, "risk_cleared": 3, "monitored_end": 4}
    assert got["monitored_start"] + got["newly_monitored"] - got["risk_cleared"] == got["monitored_end"]
    assert queries.year_counts("360783", 2022) == {"monitored_start": 1, "newly_monitored": 0, "risk_cleared": 0,
                                                   "monitored_end": 1}
    assert queries.year_counts("36", 2022)["monitored_end"] == 5
    assert queries.year_counts(VILLAGE_A, 2021) == {"monitored_start": 1, "newly_monitored": 3, "risk_cleared": 1,
                                                    "monitored_end": 3}
    assert all(isinstance(v, int) for v in got.values())


def test_at_risk_is_scoped(episodes, make_user):
    user = make_user("village_cadre", VILLAGE_A)
    qs = queries.at_risk(user, "360729")
    assert qs.count() == 4  # the four episodes still monitored in A (state monitored)
    assert {h.area_code[:6] for h in qs} == {"360729"}
    assert queries.at_risk(user, "360783").count() == 0
    assert queries.at_risk(user, "").count() == 4
    county = make_user("county_office", COUNTY_A)
    assert queries.at_risk(county, VILLAGE_A).count() == 4
