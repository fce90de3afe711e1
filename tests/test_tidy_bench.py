"""The identification benchmark takes its year, its lines and the school ages from the policy
data the system ships (identification/data/standards.json), not from literals: the provincial
line it adds, the run and its hand-written statement are all of that year."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fupin.identification.rules import birth_bounds
from tests.test_registry_bench import _load

STANDARDS = Path(__file__).resolve().parent.parent / "src" / "fupin" / "identification" / "data" / "standards.json"


def test_the_bench_year_and_lines_come_from_the_policy_data():
    bench = _load("identification_rules")
    data = json.loads(STANDARDS.read_text())
    national = {row["year"]: row["value"] for row in data["lines"] if row["kind"] == "national" and not row["area_prefix"]}
    assert bench.YEAR == max(national) and bench.NATIONAL_LINE == national[bench.YEAR]
    sql = bench.HAND_WRITTEN
    assert f"i.year = {bench.YEAR}" in sql and f"DATE '{bench.YEAR}-12-31'" in sql
    assert f"identified_year > {bench.YEAR}" in sql and f"renovated_year > {bench.YEAR}" in sql
    assert f"'national', {national[bench.YEAR]}::numeric" in sql
    assert f"'provincial', {bench.PROVINCIAL_LINE}::numeric" in sql
    assert f"value > {bench.CAR_AMOUNT}" in sql and f"as_of <= DATE '{bench.CUTOFF}'" in sql
    after, on_or_before = birth_bounds(bench.YEAR, 6, 15, "09-01")
    assert f"birth_date > DATE '{after}' AND birth_date <= DATE '{on_or_before}'" in sql


def test_the_bench_source_writes_no_year_of_its_run():
    source = (Path(__file__).resolve().parent.parent / "bench" / "identification_rules.py").read_text()
    assert not re.search(r"^YEAR = \d", source, re.M)
    assert "2952" not in source and "2016" not in source.split("HAND_WRITTEN = ", 1)[1].split('"""', 2)[1]
