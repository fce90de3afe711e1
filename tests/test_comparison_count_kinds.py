"""One definition of what a hit is counted and listed as (rules.COUNT_KINDS): before the cut-off,
no cut-off date set (stored UNDATED, no cut-off), date unknown (stored UNDATED, a cut-off set),
after, information only. Every place that counts or lists hits by it agrees, for data sets
with hits of every kind — among them an UNDATED hit with a cut-off and without, and an INFO hit
with a cut-off and without (a split on the cut-off alone would count that one as no_cutoff):
a matching run's counts, a data set's counts, the statistics of the check, the hit list's
phase filter, a hit's own count kind, the queue's badge and the hit page's notice."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from django.urls import reverse

from fupin.comparison import matching, queries, reports, rules
from fupin.comparison.models import Hit
from tests import test_comparison as base
from tests.conftest import SYSTEM
from tests.test_cmpcount_match_counts import B_UNDATED, CITY, mixed  # noqa: F401 (a fixture)
from tests.test_comparison import CUTOFF, DAY, DIBAO_HEADERS, X, Y

pytestmark = pytest.mark.usefixtures("english")

KINDS = list(rules.COUNT_KINDS)


@pytest.fixture
def dibao(mixed, tmp_path):
    """A city's 低保 list (a kind that never vetoes: information only) over the same households:
    X and Y in county A (a cut-off date set; Y's record without a date), B_UNDATED in county B
    (none set, no date)."""
    path = base.table_file(tmp_path, DIBAO_HEADERS, [
        [X[1], X[0], (CUTOFF - DAY).isoformat(), "300", ""],
        [Y[1], Y[0], "", "300", ""],
        [B_UNDATED[1], B_UNDATED[0], "", "300", ""]], name="dibao.csv")
    result = base.import_file(path, kind="dibao", area=CITY, match=False, source="民政局")
    assert result.ok, result.report.summary()
    return result.dataset


@pytest.fixture
def matched(mixed, dibao):
    """Both data sets matched: {data set: the matching run's counts}."""
    return {ds: {k: v for k, v in matching.match_dataset(ds, SYSTEM).items() if k in rules.COUNT_KINDS}
            for ds in (mixed, dibao)}


EXPECTED = {  # mixed: X before, Z after, Y date unknown, B_PERSON and B_UNDATED no cut-off set
    "vehicle": {rules.BEFORE: 1, rules.NO_CUTOFF: 2, rules.UNDATED: 1, rules.AFTER: 1, rules.INFO: 0},
    "dibao": {rules.BEFORE: 0, rules.NO_CUTOFF: 0, rules.UNDATED: 0, rules.AFTER: 0, rules.INFO: 3},
}


def test_the_definition_names_every_kind_once_in_order():
    assert KINDS == list(rules.MATCH_COUNTS) == [rules.BEFORE, rules.NO_CUTOFF, rules.UNDATED, rules.AFTER,
                                                 rules.INFO]
    assert [k for k in reports.SUMMARY_COUNTS if k in rules.COUNT_KINDS] == KINDS
    assert [k for k in reports.summary_labels() if k in rules.COUNT_KINDS] == KINDS
    # one kind for every stored phase, with a cut-off and without
    for phase in rules.PHASES:
        for cutoff in (None, dt.date(2015, 10, 26)):
            assert rules.count_kind(phase, cutoff) in rules.COUNT_KINDS, (phase, cutoff)
    assert rules.count_kind(rules.UNDATED, None) == rules.NO_CUTOFF
    assert rules.count_kind(rules.UNDATED, CUTOFF) == rules.UNDATED
    assert rules.count_kind(rules.INFO, None) == rules.INFO
    assert rules.count_kind("bogus", None) is None


def test_every_place_counts_and_lists_the_same(matched, make_user):
    officer = make_user("county_office", CITY)  # an office over both counties: every hit
    seen = Counter()
    for ds, run in matched.items():
        expected = EXPECTED[ds.kind]
        # the matching run's counts
        assert run == expected, ds.kind
        # the data set's counts
        counts = queries.dataset_counts(officer, ds)
        assert counts["phases"] == expected and counts["hits"] == sum(expected.values()), ds.kind
        # the statistics of the check (the total row)
        rows = reports.summary(queries.filtered_hits(officer, {"dataset": str(ds.pk)}))
        assert rows[-1].level == "total"
        assert {k: rows[-1].counts[k] for k in KINDS} == expected, ds.kind
        # the hit list's filter, and each hit's own count kind is the filter it falls in
        for kind in KINDS:
            listed = list(queries.filtered_hits(officer, {"dataset": str(ds.pk), "phase": kind}))
            assert len(listed) == expected[kind], (ds.kind, kind)
            assert all(h.count_kind == kind for h in listed), (ds.kind, kind)
        hits = Hit.objects.filter(dataset=ds)
        assert Counter(h.count_kind for h in hits) == +Counter(expected), ds.kind
        seen.update(expected)
    assert all(seen[k] for k in KINDS), seen  # every kind is there
    # the undated hits both with a cut-off and without, the information only ones too
    assert set(Hit.objects.filter(phase=rules.UNDATED).values_list("cutoff", flat=True)) == {None, CUTOFF}
    assert set(Hit.objects.filter(phase=rules.INFO).values_list("cutoff", flat=True)) == {None, CUTOFF}


BADGE = {rules.BEFORE: "Before the cut-off (may veto)", rules.NO_CUTOFF: "No cut-off date set",
         rules.UNDATED: "Date unknown", rules.AFTER: "After the cut-off (never vetoes)",
         rules.INFO: "Information only"}
NOTICE = {rules.BEFORE: None, rules.NO_CUTOFF: "No identification cut-off date is set for this household's area",
          rules.UNDATED: "The record has no date", rules.AFTER: "Dated after the identification cut-off date",
          rules.INFO: "This kind of data never vetoes"}


def test_the_queue_and_the_hit_page_show_the_hits_count_kind(matched, make_user, login):
    officer = login(make_user("county_office", CITY))
    for kind in KINDS:
        page = officer.get(reverse("comparison:hits"), {"phase": kind}).content.decode()
        ids = [int(pk) for pk in re.findall(r'<td><a href="/comparison/hits/(\d+)/">', page)]
        badges = re.findall(r'<span class="badge [^"]*"[^>]*>([^<]*)</span>', page)
        assert len(ids) == sum(EXPECTED[k][kind] for k in EXPECTED) > 0, kind
        assert badges == [BADGE[kind]] * len(ids), (kind, badges)
        for pk in ids:
            detail = officer.get(reverse("comparison:hit", args=[pk])).content.decode()
            shown = [k for k, text in NOTICE.items() if text and text in detail]
            assert shown == ([kind] if NOTICE[kind] else []), (kind, pk, shown)


def test_the_api_answers_each_hit_s_count_kind_as_its_phase_filter_finds_it(matched, make_user, api):
    client = api(make_user("county_office", CITY))
    for kind in KINDS:
        answer = client.get("/api/v1/comparison/hits", {"phase": kind})
        assert answer.status_code == 200
        items = answer.json()["items"]
        assert len(items) == sum(EXPECTED[k][kind] for k in EXPECTED) > 0, kind
        assert {h["count_kind"] for h in items} == {kind}, kind
        # (the stored phase stays as it was: both kinds not sorted are "undated")
        assert {h["phase"] for h in items} == {rules.UNDATED if kind == rules.NO_CUTOFF else kind}, kind
