"""The demo's texts that pages show (village notes, checklist sources, the key-assistance
villages' note, the file names the audit log keeps) read like the shipped data
(tests/test_shipped_wording.py): documents cited by their Chinese names, never by the
project's internal tags ("seed 001", "seed 003 第四篇", "issue 6", DESIGN.md).

Two scans: every string a demo module writes (its literals, docstrings and comments aside),
and what the registry demo's village steps actually write into the database."""

from __future__ import annotations

import ast
import random
import re
from pathlib import Path

import pytest

import fupin
from fupin.areas.models import Area
from fupin.assistance import demo as assistance_demo
from fupin.audit.models import AuditEvent
from fupin.core import demo as core_demo
from fupin.registry import demo as registry_demo
from fupin.registry.models import ChecklistItem
from tests.conftest import SYSTEM
from tests.test_registry_demo import _areas
from tests.test_shipped_wording import ENGLISH, INTERNAL

ROOT = Path(fupin.__file__).resolve().parent
DEMO_MODULES = sorted(ROOT.glob("*/demo.py"))
CJK = re.compile(r"[\u4e00-\u9fff]")
TAG = re.compile(r"seed[ _-]?\d{3}", re.IGNORECASE)  # "seed 001", "seed001_villages.csv"


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _literals(path: Path) -> list[tuple[int, str]]:
    """The string literals of a module (f-strings by their text parts), docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip]


def _check(text: str) -> None:
    assert not TAG.search(text), text
    if CJK.search(text):  # a text for people (a bare "seed" is a dict key or a random stream's name)
        assert not INTERNAL.search(text), text


def test_the_scan_covers_every_demo_module():
    names = {p.parent.name for p in DEMO_MODULES}
    assert {"registry", "assistance", "monitoring", "delisting", "core"} <= names


@pytest.mark.parametrize("path", DEMO_MODULES, ids=lambda p: p.parent.name)
def test_demo_strings_cite_documents_by_name(path):
    for line, text in _literals(path):
        try:
            _check(text)
        except AssertionError:
            pytest.fail(f"{path.parent.name}/demo.py:{line}: {text}")


def test_the_check_finds_what_it_looks_for():
    for bad in ("全南县2017年脱贫攻坚工作要点（seed 001）", "（seed 003 第四篇《乡村振兴重点帮扶村工作方案》）",
                "seed001_villages.csv", "见 issue 6"):
        with pytest.raises(AssertionError):
            _check(bad)
    _check("seed")  # a key, not a text
    _check("2021年起原贫困村列为乡村振兴重点帮扶村（《乡村振兴重点帮扶村工作方案》）")


def test_the_key_assistance_note_names_its_document():
    _check(assistance_demo.KEY_SOURCE)
    assert re.search(r"《[^》]+》", assistance_demo.KEY_SOURCE)


def test_what_the_registry_demo_writes_for_villages(db, monkeypatch):
    """The village steps of the registry demo: the real names of the poor villages (an areas
    import whose file name the audit log shows), the villages' yearly notes, the checklists'
    sources."""
    _areas(monkeypatch)
    villages = list(Area.objects.filter(code__startswith=core_demo.COUNTY_CODE[:6], level="village",
                                        valid_to__isnull=True).order_by("code"))
    townships = {t["name"]: t["code"] for t in core_demo.DEMO_COUNTY["townships"]}
    poor = registry_demo._rename_villages(SYSTEM, villages, townships)
    villages = list(Area.objects.filter(code__in=[v.code for v in villages], valid_to__isnull=True).order_by("code"))
    rng = random.Random(2017)
    profiles, _shape = registry_demo._profiles(rng, villages, {}, poor)
    registry_demo._checklist(rng, villages, poor)

    notes = {p.note for p in profiles if p.note}
    sources = set(ChecklistItem.objects.values_list("source", flat=True))
    logged = [str(v) for e in AuditEvent.objects.all() for v in (e.before, e.after, e.note, e.object_repr) if v]
    assert notes and sources and logged
    for text in [*notes, *sources, *logged]:
        _check(text)
    for text in [*notes, *sources]:  # shown on the village pages, like the shipped data's sources
        assert not ENGLISH.search(text), text
    # Where the demo cites a document, it names it (《…》).
    cited = [t for t in [*notes, *sources] if "工作要点" in t]
    assert cited and all(re.search(r"《[^》]*工作要点》", t) for t in cited)
