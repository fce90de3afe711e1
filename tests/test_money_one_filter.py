"""Brief L: one money filter. The registry's template library has no ``yuan`` of its own,
so every template — whatever libraries it loads — prints money through the core filters
(``yuan``, ``yuan_unit``: rounded half up), and templates stop loading ``registry`` only
for money."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template
from django.template.base import FilterExpression, Node
from django.template.loader import get_template
from django.utils import translation

from fupin.core.templatetags import fupin as core_tags
from fupin.registry.templatetags import registry as registry_tags

TEMPLATES = Path(core_tags.__file__).resolve().parents[2] / "templates"
MONEY = {"yuan": core_tags.yuan, "yuan_unit": core_tags.yuan_unit}
LOADS_REGISTRY = re.compile(r"{%\s*load\s[^%]*\bregistry\b[^%]*%}")
# The registry library's own filters (what a template may load it for).
REGISTRY_FILTERS = sorted(set(registry_tags.register.filters) - set(MONEY))


def _names() -> list[str]:
    return sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))


def _expressions(node: Node):
    """Every filter expression of a node and the nodes below it: variables, and the values of
    ``{% blocktranslate with %}`` / ``{% with %}``."""
    for value in vars(node).values():
        if isinstance(value, FilterExpression):
            yield value
        elif isinstance(value, dict):
            yield from (v for v in value.values() if isinstance(v, FilterExpression))
        elif isinstance(value, list | tuple):
            yield from (v for v in value if isinstance(v, FilterExpression))
    for attr in node.child_nodelists:  # {% if %}'s "nodelist" holds every branch
        for child in getattr(node, attr, None) or []:
            yield from _expressions(child)


def _money_filters(name: str) -> list:
    template = get_template(name).template
    return [func for node in template.nodelist for expr in _expressions(node) for func, _args in expr.filters
            if func.__name__ in MONEY]


def test_the_registry_library_has_no_money_filter():
    assert "yuan" not in registry_tags.register.filters
    assert "yuan_unit" not in registry_tags.register.filters


def test_a_template_loading_the_registry_library_gets_the_core_yuan():
    """Loading ``registry`` used to put its own ``yuan`` (rounding half to even, failing on a
    word) over the core one."""
    with translation.override("zh-hans"):
        out = Template("{% load registry %}{{ a|yuan }}|{{ b|yuan }}|{{ c|yuan_unit }}").render(
            Context({"a": Decimal("2.345"), "b": "n/a", "c": Decimal("0.125")}))
    assert out == "2.35|n/a|0.13 元"


@pytest.mark.parametrize("name", _names())
def test_every_amount_goes_through_the_core_filter(name):
    for func in _money_filters(name):
        assert func is MONEY[func.__name__], (name, func.__module__)


def test_the_walk_finds_the_amounts():
    """The walk above sees amounts in variables, in {% if %} branches and in
    {% blocktranslate with %} — not an empty list passing for "all core"."""
    assert len(_money_filters("registry/household_income.html")) == 5
    assert [f.__name__ for f in _money_filters("registry/register.html")] == ["yuan", "yuan"]
    assert [f.__name__ for f in _money_filters("delisting/criteria.html")] == ["yuan_unit"]
    assert [f.__name__ for f in _money_filters("delisting/villages.html")] == ["yuan_unit"]


def _loads_registry_for_money_only(name: str) -> bool:
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    if not LOADS_REGISTRY.search(text) or not re.search(r"\|\s*yuan", text):
        return False
    return not any(re.search(rf"\|\s*{f}\b", text) for f in REGISTRY_FILTERS)


@pytest.mark.parametrize("name", _names())
def test_no_template_loads_the_registry_library_only_for_money(name):
    assert not _loads_registry_for_money_only(name), f"{name}: drop `registry` from its {{% load %}}"


def test_the_register_page_no_longer_loads_yuan_from_fupin():
    text = (TEMPLATES / "registry/register.html").read_text(encoding="utf-8")
    assert "load yuan from fupin" not in text


def test_collective_income_is_shown_with_its_unit(two_counties, make_user, login):
    from django.conf import settings

    from fupin.delisting.models import VillageCriteria

    c = VillageCriteria.objects.order_by("pk").first()
    c.collective_income_min = Decimal("1234.5")
    c.save(update_fields=["collective_income_min"])
    client = login(make_user("county_office", "360729000000"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    body = client.get("/delisting/criteria/").content.decode()
    row = body[body.index(f"/delisting/criteria/village/{c.pk}/"):]
    row = row[:row.index("</tr>")]
    assert "<td>1,234.50 元</td>" in row
