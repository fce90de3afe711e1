"""What a browser walk found shown in codes, English or internal keys, now shown for people:
the data-quality rules' sources (a reference to where a number comes from named for the
reader, never a model and a key), the veto facts' source, the audit log's objects and changed
values (labels, code labels, dicts as pairs; the raw value kept in a title; the log itself
unchanged), and the area names of the quality and re-check pages (areas.queries.names: a
retired village keeps its last name)."""

from __future__ import annotations

import datetime as dt
import html
import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from fupin.areas import actions as areas
from fupin.areas.models import Area
from fupin.assistance import catalog
from fupin.assistance.models import Measure
from fupin.audit import actions as audit
from fupin.audit import present
from fupin.audit.models import AuditEvent
from fupin.identification.models import MemberFact, fact_source_label
from fupin.registry import actions, codes, quality
from fupin.registry.models import Income, QualityRun, RecheckRound
from fupin.registry.rules import INCOME_ITEMS
from tests.conftest import COUNTY_A, SYSTEM, VILLAGE_A

SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # a data file's key (head_min_age)
MODEL_WORDS = re.compile(r"identification Line|kind national")
VILLAGE_2 = "360729101201"


def _cells(body: str, start: str, css: str) -> list[str]:
    table = body[body.index(start):]
    table = table[:table.index("</table>")]
    return [html.unescape(c) for c in re.findall(rf'<td class="{css}">(.*?)</td>', table, re.S)]


# --- 1. the quality rules' sources ------------------------------------------------------------

def test_every_rule_source_names_its_references_for_the_reader(db):
    for rule in quality.rules().values():
        text = rule.source_text
        assert text and "{" not in text and not SNAKE.search(text) and not MODEL_WORDS.search(text), rule.code
    rules = quality.rules()
    # A parameter's reference reads as that parameter's own source (the law it quotes) …
    assert rules["head_under_age"].source_text == quality._data()["parameters"]["head_min_age"]["source"]
    assert rules["child_labour"].source_text == quality._data()["parameters"]["working_age_from"]["source"]
    # … and the national line by its name, in the reader's language.
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            assert rules["per_capita_above_line"].source_text == str(quality.SOURCE_REFERENCES["national_line"])
    with translation.override("en"):
        assert "national poverty line" in rules["per_capita_above_line"].source_text


def test_a_reference_that_names_nothing_is_refused():
    with pytest.raises(ValueError, match="no_such_parameter"):
        quality.source_text("见{no_such_parameter}")
    assert quality.source_text("GB 11643-1999") == "GB 11643-1999"


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_quality_page_shows_no_model_name_or_key_as_a_source(two_counties, make_user, login, settings, lang):
    settings.LANGUAGE_CODE = lang
    client = login(make_user("county_office", COUNTY_A))
    with translation.override(lang):
        body = client.get(reverse("registry:quality")).content.decode()
        expected = {r.code: r.source_text for r in quality.rules().values()}
    sources = _cells(body, 'data-rule="', "small text-body-secondary")
    assert len(sources) == len(quality.rules())
    for source in sources:
        assert not SNAKE.search(source) and not MODEL_WORDS.search(source) and "{" not in source, source
    assert expected["per_capita_above_line"] in sources and expected["head_under_age"] in sources


def test_the_rule_page_and_the_export_show_the_same_source(two_counties, make_user, login):
    client = login(make_user("county_office", COUNTY_A))
    run = quality.execute(SYSTEM, Area.objects.get(code=COUNTY_A), on=dt.date(2026, 6, 1), income_year=2025)
    rule = quality.get_rule("per_capita_above_line")
    page = client.get(reverse("registry:quality_rule", args=[run.pk, rule.code])).content.decode()
    assert html.escape(rule.source_text) in page and "identification Line" not in page
    response = client.get(reverse("registry:quality_export", args=[run.pk]))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sources = {row[3]: row[6] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert sources["per_capita_above_line"] == rule.source_text
    assert sources["head_under_age"] == quality.get_rule("head_under_age").source_text
    assert not any(SNAKE.search(s) or MODEL_WORDS.search(s) for s in sources.values())


# --- 2. the veto facts' source ----------------------------------------------------------------


def test_every_fact_source_has_a_label():
    with translation.override("en"):
        assert fact_source_label("manual") == "Entered by hand"
        hit = fact_source_label("comparison:42")
        assert "42" in hit and "comparison:" not in hit and hit == str(
            translation.gettext("Data comparison (hit %(id)s)") % {"id": "42"})
    with translation.override("zh-hans"):
        assert fact_source_label("manual") == "手工录入"
    assert fact_source_label("县民政局2020年核查") == "县民政局2020年核查"  # as written


def test_the_facts_page_labels_each_fact_source(two_counties, make_user, login):
    h = actions.create_household(SYSTEM, number="F-1", area_code=VILLAGE_A + "001", main_cause="01",
                                 identified_year=2016, status="registered", status_date=dt.date(2016, 6, 1))
    from fupin.identification import actions as identification

    identification.add_fact(SYSTEM, h, kind="car", source="manual")
    identification.add_fact(SYSTEM, h, kind="business", source="comparison:7")
    page = login(make_user("county_office", COUNTY_A)).get(reverse("identification:facts"))
    shown = {f.source: f.source_label for f in page.context["page_obj"]}
    assert set(shown) == set(MemberFact.objects.values_list("source", flat=True))
    assert shown["manual"] == fact_source_label("manual") != "manual"
    assert "comparison:" not in shown["comparison:7"] and "7" in shown["comparison:7"]
    html = page.content.decode()
    assert f'title="manual">{shown["manual"]}</td>' in html and ">manual<" not in html  # the table shows the label


# --- 3. the audit log ---------------------------------------------------------------------------

MEASURE_AFTER = {"amount_spent": "3000.00", "amount_to_household": "3000.00", "area_code": VILLAGE_A + "001",
                 "date": "2026-11-01", "details": {"project": "脐橙种植", "branch": "crops"}, "fund_source": "",
                 "helper_id": 1, "household_id": 7, "income_item": "crops", "note": "", "type": "industry"}


@pytest.fixture
def logged(two_counties, make_user, login):
    measure = audit.record(SYSTEM, "assistance.measure.create", object_type="assistance.measure", object_id="10545",
                           object_repr="industry 2026-11-01", area_code=VILLAGE_A + "001", after=MEASURE_AFTER)
    household = audit.record(SYSTEM, "registry.household.update", object_type="registry.household", object_id="7",
                             object_repr="F-1 张三", area_code=VILLAGE_A + "001",
                             before={"main_cause": "01", "water_safe": False, "status": "registered"},
                             after={"main_cause": "02", "water_safe": True, "status": "exited"})
    bulk = audit.record(SYSTEM, "registry.household.status_many", kind="bulk", area_code=VILLAGE_A, count=2)
    audit.record_items(bulk, [("7", "updated"), ("8", "created")])
    client = login(make_user("inspector", COUNTY_A))
    return {"measure": measure, "household": household, "bulk": bulk, "client": client}


def _row(body: str, name: str) -> str:
    start = body.index(f'data-field="{name}"')
    return body[start:body.index("</tr>", start)]


def test_the_list_names_the_object_with_its_codes_spelt_out(logged):
    body = logged["client"].get(reverse("audit:list")).content.decode()
    label = catalog.measure_label("industry")
    assert label != "industry"
    assert f"{label} 2026-11-01" in body and ">industry 2026-11-01<" not in body
    # the kind in the object cell itself (the action list of the filter names measures too)
    assert f'<span class="text-body-secondary">{present.object_type_label("assistance.measure")}</span> {label}' in body
    assert 'title="assistance.measure #10545 industry 2026-11-01"' in body  # the log's own words, for an inspector


def test_the_detail_shows_field_labels_and_readable_values(logged):
    client = logged["client"]
    body = client.get(reverse("audit:detail", args=[logged["measure"].pk])).content.decode()
    # the field's verbose_name, the raw name in a title
    type_row = _row(body, "type")
    assert capfirst(str(Measure._meta.get_field("type").verbose_name)) in type_row and 'title="type"' in type_row
    assert f">{catalog.measure_label('industry')}<" in type_row and 'title="industry"' in type_row
    income = _row(body, "income_item")
    assert str(Measure._meta.get_field("income_item").verbose_name) != "income_item"
    assert ">crops<" not in income and "种植业收入" in income  # the income field's label (registry.Income)
    # a dict as label: value pairs, the type's field labels and choice labels
    details = html.unescape(_row(body, "details"))
    fields = {f["name"]: f for f in catalog.measure_type("industry")["fields"]}
    pairs = f"{catalog.field_label(fields['project'])}：脐橙种植；{catalog.field_label(fields['branch'])}：" \
            f"{catalog.choice_label(fields['branch'], 'crops')}"
    assert pairs in details and ">{'project'" not in details
    logged_details = AuditEvent.objects.get(pk=logged["measure"].pk).after["details"]  # (key order: the database's)
    assert f'title="{logged_details}"' in details and "'project': '脐橙种植'" in details  # the raw value, in the title
    assert ">#7<" in _row(body, "household_id")
    assert ">household_id<" not in body and ">amount_spent<" not in body
    # the object and the channel
    assert f"#10545 {catalog.measure_label('industry')} 2026-11-01" in body
    assert 'title="cli"' in body


def test_registry_codes_by_their_labels(logged):
    body = logged["client"].get(reverse("audit:detail", args=[logged["household"].pk])).content.decode()
    cause = _row(body, "main_cause")
    assert f">{codes.label('cause', '01')}<" in cause and f">{codes.label('cause', '02')}<" in cause
    assert 'title="01"' in cause and ">01<" not in cause
    status = _row(body, "status")
    assert f">{codes.label('status', 'exited')}<" in status and ">exited<" not in status
    assert ">True<" not in _row(body, "water_safe")


def test_rows_touched_by_a_bulk_event_say_what_happened(logged):
    body = logged["client"].get(reverse("audit:detail", args=[logged["bulk"].pk])).content.decode()
    assert 'title="updated"' in body and 'title="created"' in body
    assert f">{present.row_change_label('updated')}</span>" in body


def test_values_read_the_same_in_english(logged):
    with translation.override("en"):
        text = present.value_text("assistance.measure", "details", MEASURE_AFTER["details"], MEASURE_AFTER)
        assert text == "Project: 脐橙种植; Income from: Crops"
        assert present.value_text("assistance.measure", "income_item", "crops", {}) == "Crops"
        assert present.field_label("assistance.measure", "area_code") == "Area code"
        assert present.field_label("assistance.measure", "household_id") == "Household"
    assert set(INCOME_ITEMS) <= {f.name for f in Income._meta.concrete_fields}  # every item has a label
    # a value no code list names is shown as logged; an unknown object type keeps its keys
    assert present.value_text("no.such", "x", {"a": 1}) in ("a：1", "a: 1")
    assert present.field_label("no.such", "some_key") == "some_key"


def test_a_default_name_and_a_relation_keyed_by_a_code(two_counties):
    assert present.object_text("registry.income", "Income object (16616)") == ""
    assert present.object_text("registry.household", "F-1 张三") == "F-1 张三"
    assert present.value_text("procedures.procedurebatch", "area", "360729102206") == "360729102206"
    assert present.value_text("procedures.procedurebatch", "area", 12) == "#12"
    event = audit.record(SYSTEM, "registry.income.save", object_type="registry.income", object_id="16616",
                         object_repr="Income object (16616)", area_code=VILLAGE_A, after={"year": 2025})
    present.describe(event)
    assert event.object_text == "" and event.object_label == present.object_type_label("registry.income")
    assert event.object_label != "registry.income"


# --- 5. area names ------------------------------------------------------------------------------

def _retire(code: str) -> None:
    Area.objects.filter(code=code).update(valid_to=dt.date(2024, 1, 1))


def test_the_recheck_page_names_a_retired_village_by_its_last_name(two_counties, make_user, login):
    areas._insert_levels([{"code": VILLAGE_2, "name": "溪口村"}], source="test", valid_from=None)
    actions.create_household(SYSTEM, number="B1", area_code=VILLAGE_2, main_cause="01", identified_year=2016,
                             status="registered", status_date=dt.date(2016, 6, 1))
    rnd = actions.open_recheck(SYSTEM, Area.objects.get(code=COUNTY_A), 2025)
    _retire(VILLAGE_2)
    page = login(make_user("county_office", COUNTY_A)).get(reverse("registry:recheck", args=[rnd.pk]))
    assert RecheckRound.objects.count() == 1
    assert {v["code"]: v["name"] for v in page.context["villages"]} == {VILLAGE_2: "溪口村"}


def test_the_quality_pages_name_a_retired_village_by_its_last_name(two_counties, make_user, login):
    areas._insert_levels([{"code": VILLAGE_2, "name": "溪口村"}], source="test", valid_from=None)
    run = QualityRun.objects.create(area_code=VILLAGE_2, reference_date=dt.date(2026, 6, 1), income_year=2025)
    _retire(VILLAGE_2)
    client = login(make_user("county_office", COUNTY_A))
    page = client.get(reverse("registry:quality_rule", args=[run.pk, "no_members"]), {"village": VILLAGE_2})
    assert page.context["village_name"] == "溪口村"
    home = client.get(reverse("registry:quality"))
    assert [r.area_name for r in home.context["runs"]] == ["溪口村"]
