"""Money shown one way: the core filters ``yuan`` and ``yuan_unit``
(fupin.core.templatetags.fupin, built into every template) — used by the assistance
pages, the registers' pages and the registers' PDF."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.template.base import VariableNode
from django.template.loader import get_template
from django.utils import translation

from fupin.core.templatetags import fupin as core_tags
from fupin.core.templatetags.fupin import yuan, yuan_unit
from fupin.registry.views import registers


@pytest.mark.parametrize(("value", "shown"), [
    (None, ""),
    ("", ""),
    (0, "0.00"),
    (Decimal("0"), "0.00"),
    (Decimal("-0.001"), "0.00"),  # never "-0.00"
    (-5, "-5.00"),
    (Decimal("-1234.5"), "-1,234.50"),
    (1234.5, "1,234.50"),
    (Decimal("1234.5"), "1,234.50"),
    ("1234.5", "1,234.50"),
    (Decimal("1000000"), "1,000,000.00"),
    # rounded half up (四舍五入), not to the even cent
    (Decimal("0.125"), "0.13"),
    (Decimal("2.345"), "2.35"),
    (Decimal("-2.345"), "-2.35"),
    (Decimal("0.124"), "0.12"),
    (1.005, "1.01"),  # the float as written, not its binary value 1.00499…
])
def test_yuan(value, shown):
    assert yuan(value) == shown


def test_yuan_leaves_what_is_not_a_number_as_it_is():
    assert yuan("n/a") == "n/a"
    assert yuan(Decimal("NaN")).is_nan()
    assert yuan(True) is True
    assert yuan_unit("n/a") == "n/a"  # no unit after a word


@pytest.mark.parametrize(("language", "value", "shown"), [
    ("en", Decimal("1234.5"), "1,234.50 yuan"),
    ("zh-hans", Decimal("1234.5"), "1,234.50 元"),
    ("zh-hans", 0, "0.00 元"),
    ("zh-hans", Decimal("-20"), "-20.00 元"),
    ("zh-hans", Decimal("0.125"), "0.13 元"),
    ("zh-hans", None, ""),
    ("zh-hans", "", ""),
])
def test_yuan_unit(language, value, shown):
    with translation.override(language):
        assert yuan_unit(value) == shown


def test_every_template_has_them_without_loading_anything():
    with translation.override("zh-hans"):
        out = Template("{{ a|yuan }}|{{ b|yuan_unit }}").render(Context({"a": Decimal("1234.5"), "b": 1000}))
    assert out == "1,234.50|1,000.00 元"


def test_the_assistance_pages_show_amounts_as_before():
    """The assistance templates load their own library and get the core ``yuan_unit``:
    ``1,000.00 元`` as they always showed it, rounded half up (a half-even twin would show 0.12)."""
    with translation.override("zh-hans"):
        out = Template("{% load i18n assistance %}{{ v|yuan_unit }}|{{ w|yuan_unit }}").render(
            Context({"v": Decimal("1000"), "w": Decimal("0.125")}))
    assert out == "1,000.00 元|0.13 元"


def test_the_register_page_uses_the_core_filter():
    """The register page's amounts go through the core ``yuan`` filter."""
    template = get_template("registry/register.html").template
    used = [func for node in template.nodelist.get_nodes_by_type(VariableNode)
            for func, _args in node.filter_expression.filters if func.__name__ == "yuan"]
    assert len(used) == 2 and all(func is core_tags.yuan for func in used)


def test_the_register_pdf_prints_amounts_as_the_pages_do():
    columns = registers.pdf_columns(["n", "money", "text"], [(10, "num"), (20, "money"), (20, "")])
    cells = registers.pdf_cells([7, Decimal("1234.565"), "x"], columns)
    assert [c["value"] for c in cells] == [7, "1,234.57", "x"]  # half up: 1,234.57, not 1,234.56
    assert [c["kind"] for c in cells] == ["num", "num", ""]
    assert registers.pdf_cells([1, None, ""], columns)[1]["value"] == ""
    assert registers.pdf_cells([1, Decimal("0.125"), ""], columns)[1]["value"] == yuan(Decimal("0.125")) == "0.13"


def test_sentences_show_money_as_the_pages_do():
    """The exit check's and identification's sentences print amounts through the same
    formatter as the pages (they rounded half to even: 0.125 → 0.12)."""
    from fupin.core.money import format_amount
    from fupin.exits import rules as exit_rules
    from fupin.identification import rules as ident_rules

    for value, shown in ((Decimal("0.125"), "0.13"), (Decimal("2.345"), "2.35"), (Decimal("-0.001"), "0.00"),
                         (4600, "4,600.00"), (None, "—"), ("", "—")):
        assert exit_rules.money(value) == ident_rules.money(value) == (format_amount(value) or "—") == shown
