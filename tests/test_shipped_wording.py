"""Every data file the system ships (src/fupin/<app>/data/*.json: lines, rule sets, criteria,
procedure types, code lists …) reads as officers read it: policy documents cited by their
names, never by the project's internal names ("seed 003", "issue 6", DESIGN.md), and the
sources and notes shown on the pages in Chinese (policy citations stay Chinese in both
languages). One scan over every file, so a new data file is covered without being listed.
Each app's wording migration keeps its own test (an existing database gets the wording)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import fupin

FILES = sorted((Path(fupin.__file__).resolve().parent).glob("*/data/*.json"))
INTERNAL = re.compile(r"\bseeds?\b|\bissue'?s? ?\d|\bthe issue\b|DESIGN\.md", re.IGNORECASE)
ENGLISH = re.compile(r"[A-Za-z]{3,}[ ,;]+[A-Za-z]{2,}[ ,;]+[A-Za-z]{2,}")  # three English words in a row
SHOWN = ("source", "days_source", "note")  # keys whose text the pages show ("_source": the file's own note)


def _strings(value, key=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str):
        yield key, value


def test_every_data_file_is_scanned():
    names = {f"{p.parent.parent.name}/{p.name}" for p in FILES}
    assert {"identification/standards.json", "exits/exit_criteria.json", "monitoring/warning_rules.json",
            "procedures/procedure_types.json", "delisting/county_criteria.json", "assistance/measures.json",
            "registry/codes.json"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_shipped_data_cites_documents_by_name_in_chinese(path):
    for key, text in _strings(json.loads(path.read_text(encoding="utf-8"))):
        assert not INTERNAL.search(text), (key, text)
        if key in SHOWN:
            assert not ENGLISH.search(text), (key, text)


def test_the_scan_finds_what_it_looks_for():
    assert INTERNAL.search("seed 003 第四篇") and INTERNAL.search("issue 6: west") and INTERNAL.search("the seeds give")
    assert ENGLISH.search("The national default: the line")
    assert not INTERNAL.search("《泗水县建档立卡贫困人口和省定重点村退出工作方案》") and not ENGLISH.search("C级（局部危险）")
