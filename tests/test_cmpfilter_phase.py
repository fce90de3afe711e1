"""The hit list filters the undated hits as a matching run counts them (rules.MATCH_COUNTS):
``phase=no_cutoff`` lists those with no cut-off date set for their area, ``phase=undated``
those whose record has no date while a cut-off is set; its dropdown offers both, and the data
set page links each of its rows to its own filter."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fupin.comparison import matching, queries, rules
from fupin.comparison.models import Hit
from tests.conftest import SYSTEM
from tests.test_cmpcount_match_counts import B_UNDATED, CITY, mixed  # noqa: F401 (a fixture)
from tests.test_comparison import B_PERSON, Y

pytestmark = pytest.mark.usefixtures("english")


def _ids(page: str) -> set[int]:
    """The hits the hit list shows."""
    return {int(pk) for pk in re.findall(r'<td><a href="/comparison/hits/(\d+)/">', page)}


def _hits(*people) -> set[int]:
    return set(Hit.objects.filter(member__id_number__in=[p[1] for p in people]).values_list("id", flat=True))


@pytest.fixture
def officer(mixed, make_user, login):
    matching.match_dataset(mixed, SYSTEM)
    return login(make_user("county_office", CITY))  # an office over both counties


def test_the_filters_tell_no_cut_off_from_date_unknown(mixed, make_user):
    matching.match_dataset(mixed, SYSTEM)
    user = make_user("county_office", CITY)
    no_cutoff = queries.filtered_hits(user, {"phase": rules.NO_CUTOFF})
    undated = queries.filtered_hits(user, {"phase": rules.UNDATED})
    assert sorted(no_cutoff.values_list("member__id_number", flat=True)) == sorted([B_PERSON[1], B_UNDATED[1]])
    assert list(undated.values_list("member__id_number", flat=True)) == [Y[1]]
    assert not no_cutoff.filter(cutoff__isnull=False).exists() and not undated.filter(cutoff__isnull=True).exists()
    # the other phases as stored; together they are every hit, once
    every = sum(queries.filtered_hits(user, {"phase": p}).count() for p in rules.MATCH_COUNTS)
    assert every == Hit.objects.filter(dataset=mixed).count() == 5


def test_the_hit_list_filters_and_offers_both(officer, mixed):
    url = reverse("comparison:hits")
    page = officer.get(url, {"dataset": mixed.pk, "phase": "no_cutoff"}).content.decode()
    assert _ids(page) == _hits(B_PERSON, B_UNDATED) and len(_ids(page)) == 2
    assert '<option value="no_cutoff" selected>No cut-off date set (needs a decision)</option>' in page
    page = officer.get(url, {"dataset": mixed.pk, "phase": "undated"}).content.decode()
    assert _ids(page) == _hits(Y) and len(_ids(page)) == 1
    assert '<option value="undated" selected>Date unknown (needs a decision)</option>' in page
    select = re.search(r'<select [^>]*name="phase">(.*?)</select>', page, re.S).group(1)
    assert re.findall(r'<option value="(\w*)"', select) == ["", *rules.MATCH_COUNTS]


def test_the_data_set_page_links_each_row_to_its_own_filter(officer, mixed):
    page = officer.get(reverse("comparison:dataset", args=[mixed.pk])).content.decode()
    links = dict(re.findall(r'<tr data-count="(\w+)"><td><a href="[^"]*phase=(\w+)">', page))
    assert links == {code: code for code in rules.MATCH_COUNTS}
    # each link lists as many hits as its row counts
    rows = dict(re.findall(r'<tr data-count="(\w+)"><td><a [^>]*>[^<]*</a></td><td class="text-end">(\d+)</td>', page))
    assert set(rows) == set(rules.MATCH_COUNTS) and any(int(n) for n in rows.values()), rows
    for code, n in rows.items():
        listed = officer.get(reverse("comparison:hits"), {"dataset": mixed.pk, "phase": code}).content.decode()
        assert len(_ids(listed)) == int(n), code
