"""The data-quality report as a county officer reads it: rules by their Chinese message (the
code only in a tooltip), each issue's detail saying what it is ("2 heads", not "2"), and
the Excel export with the message first and its counts as numbers on every sheet."""

from __future__ import annotations

import html
import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from fupin.areas.models import Area
from fupin.core.tabular import write_xlsx
from fupin.registry import quality, views_quality
from fupin.registry.models import QualityIssue
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A
from tests.test_registry_quality import INCOME_YEAR, ON, M, make_household

TWO_HEADS = "户内有两名及以上户主"


@pytest.fixture
def report(two_counties, make_user, login):
    """A county's run where one household has two heads and its son's sex differs from his ID."""
    w = make_household("Q-1")
    M("spouse", relation="01")(w)
    M("son", sex="2")(w)
    run = quality.execute(SYSTEM, Area.objects.get(code=COUNTY_A), on=ON, income_year=INCOME_YEAR)
    return {"run": run, "client": login(make_user("county_office", COUNTY_A))}


def visible(page: str) -> str:
    """The text of a page as shown (tags and their attributes left out)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_the_run_page_names_rules_by_their_message_with_the_code_as_a_tooltip(report):
    page = report["client"].get(reverse("registry:quality_run", args=[report["run"].pk])).content.decode()
    shown = visible(page[page.index("<main"):] if "<main" in page else page)
    assert TWO_HEADS in shown and "户内没有户主" in shown  # a rule with issues, a rule without
    for code in ("two_heads", "sex_mismatch_id", "no_head", "no_income_last_year"):
        assert code not in shown, code
        assert f"规则代码：{code}" in page, code  # the tooltip


def test_the_rule_page_titles_the_rule_by_its_message(report):
    page = report["client"].get(reverse("registry:quality_rule", args=[report["run"].pk, "two_heads"])
                                ).content.decode()
    title = page[page.index("<title>"):page.index("</title>")]
    crumbs = page[page.index('class="breadcrumb'):page.index("</ol>")]
    assert TWO_HEADS in title and "two_heads" not in title
    assert TWO_HEADS in visible(crumbs) and "two_heads" not in visible(crumbs)
    assert "two_heads" not in visible(page)


@pytest.mark.usefixtures("english")
def test_the_rule_page_says_what_the_detail_is(report):
    client, run = report["client"], report["run"]
    page = client.get(reverse("registry:quality_rule", args=[run.pk, "two_heads"])).content.decode()
    cells = re.findall(r'<td class="small">([^<]*)</td>', page)
    assert cells == ["2 heads"], cells
    page = client.get(reverse("registry:quality_rule", args=[run.pk, "sex_mismatch_id"])).content.decode()
    assert re.findall(r'<td class="small">([^<]*)</td>', page) == ["Sex entered: Female"]  # the code's label


def test_every_rule_that_writes_a_detail_says_what_it_is(two_counties):
    """The rules whose query writes a detail (quality.py: the values after the rule's rows) are
    exactly the rules views_quality.DETAIL_TEXTS names."""
    from django.db.models import Value

    ctx = quality.Context(prefix="360729", on=ON, income_year=INCOME_YEAR)
    assert quality.national_lines().get(INCOME_YEAR)  # (per_capita_above_line checks nothing without one)
    writes = set()
    for rule in quality.rules().values():
        detail = rule.query(ctx).query.annotations["detail"]
        if not (isinstance(detail, Value) and detail.value == ""):
            writes.add(rule.code)
    assert writes == set(views_quality.DETAIL_TEXTS)
    with translation.override("en"):
        assert views_quality.detail_text("two_heads", "3") == "3 heads"
        assert views_quality.detail_text("status_history_mismatch", "returned") == "Current status: Returned to poverty"
        assert views_quality.detail_text("no_head", "") == ""


def test_the_export_leads_with_the_message_and_counts_are_numbers(report):
    response = report["client"].get(reverse("registry:quality_export", args=[report["run"].pk]))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    by_rule, by_village, issues, _about = book.worksheets
    rows = {row[3]: row for row in by_rule.iter_rows(min_row=2, values_only=True)}  # by the rule's code
    assert rows["two_heads"][0] == TWO_HEADS and rows["two_heads"][4] == 1  # message first, the code after
    assert not any(row[0] in quality.rules() for row in rows.values())
    village = next(by_village.iter_rows(min_row=2, values_only=True))
    assert village[:2] == (VILLAGE_A, "石桥村")
    issues_of = QualityIssue.objects.filter(run=report["run"])
    expected = tuple(issues_of.filter(severity=s).count() for s in ("error", "warning", "info"))
    assert village[2:] == (*expected, 1)  # errors, warnings, notes, households: numbers, not text
    assert sum(expected) >= 2
    two_heads = next(r for r in issues.iter_rows(min_row=2, values_only=True) if r[2] == "two_heads")
    assert two_heads[0] == TWO_HEADS and two_heads[-1] not in ("2", 2)  # the detail says what "2" is


def test_extra_sheets_write_numbers_as_numbers(tmp_path):
    target = tmp_path / "t.xlsx"
    write_xlsx(target, ["a", "b"], [["x", 1]], extra_sheets={"more": (["c", "d", "e"], [["y", 2, 2.5], [None, 0, ""]])})
    book = openpyxl.load_workbook(target)
    assert list(book.worksheets[0].iter_rows(min_row=2, values_only=True)) == [("x", 1)]
    assert list(book.worksheets[1].iter_rows(min_row=2, values_only=True)) == [("y", 2, 2.5), (None, 0, None)]
