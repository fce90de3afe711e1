"""The national code lists of the registry (贫困户属性, 致贫原因, 与户主关系 …), as data:
data/codes.json names its source. Values are stored as codes; the exchange format
and the UI show labels (Chinese, or English when the UI is in English)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.utils import translation

_FILE = Path(__file__).parent / "data" / "codes.json"


@cache
def _data() -> dict:
    return json.loads(_FILE.read_text(encoding="utf-8"))


def source() -> str:
    return _data()["_source"]


def names() -> list[str]:
    return [k for k in _data() if not k.startswith("_")]


def entries(name: str) -> list[dict]:
    return _data()[name]


def codes(name: str) -> list[str]:
    return [e["code"] for e in entries(name)]


def choices(name: str) -> list[tuple[str, str]]:
    """Django choices in the current language."""
    return [(e["code"], _pick(e)) for e in entries(name)]


def _pick(entry: dict) -> str:
    lang = translation.get_language() or "zh-hans"
    return entry["en"] if lang.startswith("en") else entry["zh"]


@cache
def _by_code(name: str) -> dict[str, dict]:
    return {e["code"]: e for e in entries(name)}


@cache
def zh_to_code(name: str) -> dict[str, str]:
    """Chinese label -> code, also accepting the code itself and the English label."""
    out = {}
    for e in entries(name):
        out[e["zh"]] = e["code"]
        out[e["en"]] = e["code"]
        out[e["code"]] = e["code"]
    return out


def label(name: str, code: str | None) -> str:
    if not code:
        return ""
    e = _by_code(name).get(code)
    return _pick(e) if e else code


def zh(name: str, code: str | None) -> str:
    if not code:
        return ""
    e = _by_code(name).get(code)
    return e["zh"] if e else code


POOR_STATUSES = ("registered", "returned")  # counted as poor
EXITED_STATUSES = ("exited_policy", "exited")
# Not (or no longer) on the 建档立卡 register: removed households, and rural households
# that are only monitored (防返贫监测 边缘易致贫户, never registered as poor).
OFF_REGISTER_STATUSES = ("removed", "rural")


def change_source(source: str) -> str:
    """Where a change of status came from (``StatusChange.source``: ``manual``, ``api``,
    ``import``, ``demo``, ``procedure:<batch>``, ``exits:observation``), in words."""
    from django.utils.translation import gettext as _

    labels = {"manual": _("Entered by hand"), "api": _("API"), "import": _("Import"), "demo": _("Demo data"),
              "exits:observation": _("End of the observation period")}
    if source in labels:
        return labels[source]
    kind, _sep, ref = source.partition(":")
    if kind == "procedure" and ref:
        return _("Procedure batch %(id)s") % {"id": ref}
    return source
