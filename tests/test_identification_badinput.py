"""Garbage in the query strings of the identification and comparison pages gives a page,
never a server error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fupin.identification import engine
from tests.conftest import COUNTY_A
from tests.test_identification import make_household

GARBAGE = {"year": "abc", "page": "x", "kind": "zz", "area": "abc", "village": "'\"<x>", "show": "??",
           "reason": "nope", "sort": "-nope", "status": "bad", "dataset": "abc", "list": "nope", "queue": "x",
           "phase": "x", "decision": "x", "q": "x" * 300}


@pytest.fixture
def run(two_counties):
    """A rule run of county A over one household (the pages of a run have something to show)."""
    make_household("GB1", 1000)
    return engine.run_rules(COUNTY_A[:6], 2016)


@pytest.fixture
def officer(make_user, login):
    return login(make_user("county_office", COUNTY_A))


def test_garbage_query_parameters_do_not_break_the_pages(run, officer):
    urls = [reverse("identification:standards"), reverse("identification:rules"),
            reverse("identification:run_start"), reverse("identification:simulate"),
            reverse("identification:run", args=[run.pk]), reverse("identification:outcomes", args=[run.pk]),
            reverse("identification:facts"),
            reverse("comparison:home"), reverse("comparison:import"), reverse("comparison:hits"),
            reverse("comparison:forms"), reverse("comparison:linkage"), reverse("comparison:cutoffs")]
    for url in urls:
        response = officer.get(url, GARBAGE)
        assert response.status_code in (200, 400, 404), (url, response.status_code)


def test_each_garbage_parameter_alone(run, officer):
    urls = [reverse("identification:standards"), reverse("identification:simulate"),
            reverse("identification:outcomes", args=[run.pk]), reverse("identification:facts"),
            reverse("comparison:hits"), reverse("comparison:forms"), reverse("comparison:linkage"),
            reverse("comparison:form_export", args=["check"])]
    values = ["abc", "-1", "0", "99999999999999999999", "１２", "²⁰¹⁶", "2016\x00"]  # ² passes str.isdigit()
    for url in urls:
        assert officer.get(url).status_code == 200, url
        for key in GARBAGE:
            for value in values:
                response = officer.get(url, {key: value})
                assert response.status_code in (200, 302, 400, 404), (url, key, value, response.status_code)


def test_garbage_api_parameters_get_a_client_error(run, make_user, api):
    client = api(make_user("county_office", COUNTY_A))
    urls = ["/api/v1/identification/lines", "/api/v1/identification/runs",
            f"/api/v1/identification/runs/{run.pk}/outcomes", "/api/v1/comparison/datasets",
            "/api/v1/comparison/hits"]
    for url in urls:
        assert client.get(url).status_code == 200, url
        for key in ("year", "page", "page_size", "dataset", "flagged", "kind", "village", "area"):
            for value in ("abc", "-1", "0", "99999999999999999999"):
                response = client.get(url, {key: value})
                assert response.status_code in (200, 400, 404, 422), (url, key, value, response.status_code)


@pytest.mark.django_db
def test_garbage_form_posts_are_answered_with_the_form(two_counties, make_user, login):
    from fupin.identification.models import Line, MemberFact, RuleSet

    h = make_household("GB4", 1000)
    client = login(make_user("county_office", COUNTY_A))
    rs = RuleSet.objects.get(area_prefix="")
    line = Line.objects.filter(kind="national").first()
    junk = {"year": "99999999999999999999", "area": "abc", "kind": "x", "method": "x", "value": "1e999",
            "per": "x", "params": "{not json", "enabled": "x", "version": "abc", "status": "x", "member": "abc",
            "as_of": "2016-13-45", "changes": "[", "line_value": "nan", "line_kind": "x", "from_year": "-1",
            "to_year": "abc", "combine": "x", "statuses": "x", "name": "x" * 1000, "source": "x", "code": "nope",
            "term1_kind": "x", "term1_factor": "abc", "term1_offset": "abc", "back": "x"}
    urls = [reverse("identification:line_create"), reverse("identification:line_edit", args=[line.pk]),
            reverse("identification:line_delete", args=[line.pk]), reverse("identification:ruleset_create"),
            reverse("identification:criterion_create", args=[rs.pk]), reverse("identification:run_start"),
            reverse("identification:simulate"), reverse("identification:fact_create", args=[h.pk])]
    for url in urls:
        response = client.post(url, junk)
        assert response.status_code in (200, 302, 400, 403, 404), (url, response.status_code)
    assert not MemberFact.objects.filter(household=h).exists()
    assert Line.objects.filter(pk=line.pk).exists()


@pytest.mark.django_db
def test_an_id_too_large_for_the_database_is_not_found(two_counties, make_user, login, api):
    user = make_user("county_office", COUNTY_A)
    client, token_client = login(user), api(user)
    huge = 99999999999999999999
    for url in [reverse("identification:line", args=[huge]), reverse("identification:ruleset", args=[huge]),
                reverse("identification:run", args=[huge]), reverse("identification:outcomes", args=[huge]),
                reverse("comparison:dataset", args=[huge]), reverse("comparison:hit", args=[huge]),
                reverse("comparison:cutoff_edit", args=[huge])]:
        assert client.get(url).status_code == 404, url
    for url in [f"/api/v1/identification/runs/{huge}", f"/api/v1/comparison/hits/{huge}"]:
        assert token_client.get(url).status_code in (404, 422), url


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["３６", "²²", "３６０７８１", "36０781"])
def test_an_area_prefix_in_other_digits_is_refused(two_counties, prefix):
    """Full-width or superscript digits pass str.isdigit() but match no area code: such a
    cut-off, line or run would apply nowhere, silently."""
    import datetime as dt

    from fupin.core.errors import Invalid
    from fupin.identification import actions
    from fupin.identification.models import CutoffDate, RuleRun
    from tests.conftest import SYSTEM

    with pytest.raises(Invalid) as refused:
        actions.save_cutoff(SYSTEM, None, area_prefix=prefix, date=dt.date(2015, 10, 1), source="test")
    assert refused.value.field == "area_prefix"
    with pytest.raises(Invalid) as refused:
        actions.create_run(SYSTEM, prefix, 2016)
    assert refused.value.field == "area_code"
    assert not CutoffDate.objects.filter(area_prefix=prefix).exists() and not RuleRun.objects.exists()


@pytest.mark.parametrize("params", [{"grades": 5}, {"grades": ["X"]}, {"grades": []},
                                    {"grades": ["C", "D"], "renovated_passes": "false"}])
def test_housing_params_are_checked_as_the_exit_check_checks_them(params):
    """One reading of the housing parameters for identification and the exit check: a grade
    list that is not A–D (an int made the rule run fail with a TypeError) or a renovation
    flag that is not a JSON boolean is refused with a message, by both."""
    from fupin.exits import rules as exit_rules
    from fupin.identification import rules as ident_rules

    with pytest.raises(ValueError):
        ident_rules.check_params("housing_unsafe", "guarantee", params)
    with pytest.raises(ValueError):
        exit_rules.check_housing_params(params)
