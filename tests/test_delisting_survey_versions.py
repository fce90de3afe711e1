"""A sampled household's survey record has a version (optimistic concurrency): the form
carries the version it was shown, a save with an older one (another surveyor saved in
between) is refused with the Conflict message and writes nothing, every save and the
survey import add one. Before, the second of two surveyors silently overwrote the first."""

from __future__ import annotations

import pytest

from fupin.areas.models import Area
from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.core.errors import Conflict
from fupin.core.tabular import write_csv
from fupin.delisting import actions, importers
from fupin.delisting.models import SampleHousehold
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A
from tests.test_delisting import TODAY, YEAR, household, profile, survey_rows
from tests.test_delisting_concurrency import at_once, concurrent, postgresql_only

pytestmark = pytest.mark.usefixtures("english")  # messages read in their English originals

CONFLICT = "Someone else changed this at the same time; nothing was done. Reload and try again."


@pytest.fixture
def sample(two_counties):
    with clock.frozen(TODAY):
        profile(VILLAGE_A, 1000)
        for i, status in enumerate(["registered"] * 2 + ["exited_policy"] * 2 + ["removed"] * 2):
            household(f"{VILLAGE_A}8{i:03d}", VILLAGE_A, status=status, people=2)
        rnd = actions.start_round(SYSTEM, Area.objects.get(code=COUNTY_A), YEAR, seed=42, sample_villages=1,
                                  sample_registered=2, sample_non_registered=1)
        yield rnd.households.filter(stratum=SampleHousehold.REGISTERED).order_by("order").first()


def _saves() -> int:
    return AuditEvent.objects.filter(action="delisting.survey.save").count()


def _save(s, **values):
    with clock.frozen(TODAY):
        return actions.save_survey(SYSTEM, s, **{"surveyed_on": TODAY, "approves": True, **values})


def test_a_fresh_save_adds_one_to_the_version(sample):
    assert sample.version == 1
    saved = _save(sample, version=1, respondent="户主")
    sample.refresh_from_db()
    assert saved.version == sample.version == 2 and sample.respondent == "户主"
    _save(sample, version="2", respondent="配偶")  # as a form posts it
    sample.refresh_from_db()
    assert sample.version == 3 and sample.respondent == "配偶"


@pytest.mark.parametrize("stale", [1, "1", "abc", "-5", "99999999999999999999999"])
def test_a_stale_version_is_refused_and_nothing_is_written(sample, stale):
    _save(sample, version=1, respondent="第一位调查员", note="第一次")
    before = (_saves(), SampleHousehold.objects.filter(pk=sample.pk).values().get())
    with pytest.raises(Conflict) as exc:
        _save(sample, version=stale, respondent="第二位调查员", approves=False, note="覆盖")
    assert str(exc.value.message) == CONFLICT
    assert (_saves(), SampleHousehold.objects.filter(pk=sample.pk).values().get()) == before


def test_the_survey_import_adds_one_to_the_version(sample, tmp_path):
    """A form shown before an import is stale after it."""
    rnd = sample.round
    rows = survey_rows(rnd)
    path = tmp_path / "survey.csv"
    write_csv(path, importers.HEADERS, rows)
    _save(sample, version=1)
    with clock.frozen(TODAY):
        count, report = importers.import_survey(SYSTEM, rnd, path)
    assert not report and count == len(rows)
    versions = dict(rnd.households.values_list("pk", "version"))
    assert versions.pop(sample.pk) == 3 and set(versions.values()) == {2}
    with pytest.raises(Conflict):
        _save(sample, version=2, note="导入前打开的表单")


# --- the page -------------------------------------------------------------------------------------

@pytest.fixture
def inspectors(sample, make_user, login):
    return login(make_user("inspector", COUNTY_A)), login(make_user("inspector", COUNTY_A))


def _form(s, version, **values) -> dict:
    return {"version": version, "surveyed_on": str(TODAY), "respondent": "", "people": "2", "approves": "yes",
            "note": "", **values}


def test_the_page_round_trip_saves_and_a_stale_form_gets_the_message(sample, inspectors):
    first, second = inspectors
    url = f"/delisting/rounds/{sample.round_id}/survey/{sample.pk}/"
    with clock.frozen(TODAY):
        assert first.get(url).status_code == 200 and second.get(url).status_code == 200  # both shown version 1
        r = first.post(url, _form(sample, "1", respondent="户主"))
        assert r.status_code == 302
        r = second.post(url, _form(sample, "1", respondent="邻居", approves="no"))
    assert r.status_code == 200 and CONFLICT in r.content.decode()
    sample.refresh_from_db()
    assert (sample.version, sample.respondent, sample.approves) == (2, "户主", True)
    assert _saves() == 1
    # Reloaded (the page now shows the first surveyor's record), the second saves over it knowingly.
    assert "户主" in r.content.decode()
    with clock.frozen(TODAY):
        assert second.post(url, _form(sample, "2", respondent="邻居", approves="no")).status_code == 302
    sample.refresh_from_db()
    assert (sample.version, sample.respondent, sample.approves) == (3, "邻居", False)


def test_the_survey_form_carries_the_version_it_was_shown(sample, inspectors):
    url = f"/delisting/rounds/{sample.round_id}/survey/{sample.pk}/"
    _save(sample, version=1)
    with clock.frozen(TODAY):
        body = inspectors[0].get(url).content.decode()
    assert '<input type="hidden" name="version" value="2">' in body


@postgresql_only
@concurrent
def test_two_surveyors_saving_the_same_household_at_once(sample):
    def surveyor():
        _save(SampleHousehold.objects.get(pk=sample.pk), version=1, respondent="同时")

    assert at_once(surveyor) == ["conflict", "ok"]
    sample.refresh_from_db()
    assert sample.version == 2 and _saves() == 1
