"""The assistance code lists, as data (data/*.json, each naming its source): measure
types and their fields, the 六个一批 families, fund sources, standards (the 25 m² per
relocated person of seed 001), link kinds and the village platform's roles (三个一),
team roles, post kinds and pay rules (seed 003). Labels in the UI language."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.utils import translation

DATA = Path(__file__).parent / "data"


@cache
def _load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def pick(entry: dict) -> str:
    """An entry's label in the current language (Chinese unless the UI is English)."""
    lang = translation.get_language() or "zh-hans"
    return entry["en"] if lang.startswith("en") else entry["zh"]


def _index(entries) -> dict[str, dict]:
    return {e["code"]: e for e in entries}


# --- measures ---------------------------------------------------------------------------

def measure_source() -> str:
    return _load("measures")["_source"]


def families() -> list[dict]:
    return _load("measures")["families"]


def measure_types() -> list[dict]:
    return _load("measures")["types"]


@cache
def _types() -> dict[str, dict]:
    return _index(measure_types())


def measure_type(code: str) -> dict | None:
    return _types().get(code)


def measure_type_codes() -> list[str]:
    return [t["code"] for t in measure_types()]


def measure_choices() -> list[tuple[str, str]]:
    return [(t["code"], pick(t)) for t in measure_types()]


def measure_label(code: str) -> str:
    t = measure_type(code)
    return pick(t) if t else code


def family_label(code: str) -> str:
    f = _index(families()).get(code)
    return pick(f) if f else code


def fund_sources() -> list[dict]:
    return _load("measures")["fund_sources"]


def fund_choices() -> list[tuple[str, str]]:
    return [(f["code"], pick(f)) for f in fund_sources()]


def fund_label(code: str) -> str:
    f = _index(fund_sources()).get(code)
    return pick(f) if f else code


def standard(code: str) -> dict:
    return _load("measures")["standards"][code]


def standard_value(code: str) -> Decimal:
    return Decimal(str(standard(code)["value"]))


def field_label(field: dict) -> str:
    return pick(field)


def choice_label(field: dict, value) -> str:
    for code, zh, en in field.get("choices", []):
        if code == value:
            return pick({"zh": zh, "en": en})
    return "" if value is None else str(value)


# --- links, teams -------------------------------------------------------------------------

def link_kinds() -> list[dict]:
    return _load("links")["kinds"]


def link_kind(code: str) -> dict | None:
    return _index(link_kinds()).get(code)


def link_kind_label(code: str) -> str:
    k = link_kind(code)
    return pick(k) if k else code


def platform() -> dict:
    return _load("links")["village_platform"]


def platform_roles() -> list[dict]:
    return platform()["roles"]


def platform_role(code: str) -> dict | None:
    return _index(platform_roles()).get(code)


def platform_role_label(code: str) -> str:
    r = platform_role(code)
    return pick(r) if r else code


def helper_levels() -> list[str]:
    return _load("links")["helper_levels"]


def team_roles() -> list[dict]:
    return _load("links")["team_roles"]


def team_role_label(code: str) -> str:
    r = _index(team_roles()).get(code)
    return pick(r) if r else code


def needs_team_statuses() -> tuple[str, ...]:
    return tuple(_load("links")["needs_team"]["village_statuses"])


def stay_statuses() -> tuple[str, ...]:
    """Village statuses during which a contracted unit may not leave (不脱贫不脱钩)."""
    return tuple(_load("links")["stay_until_delisted"]["village_statuses"])


# --- posts ----------------------------------------------------------------------------------

def post_kinds() -> list[dict]:
    return _load("posts")["kinds"]


def post_kind_label(code: str) -> str:
    k = _index(post_kinds()).get(code)
    return pick(k) if k else code


def pay_rules() -> list[dict]:
    return _load("posts")["rules"]


def pay_rule(code: str) -> dict | None:
    return _index(pay_rules()).get(code)
