"""Benchmark of the incidence rate's denominator (fupin.registry.incidence.Profiles.coverage)
at a province's scale, in Python only (no database):

    .venv/bin/python bench/stats_incidence.py [--villages 15810] [--profile-years 7] [--table-years 13]

A statistics page counted live (``incidence.Live``: a county's; a province's only when it
has no rollup — from the rollup it reads the denominator's rows instead, see
docs/benchmarks.md) asks the coverage of every year of its year-by-year table at the
area's own level, and of the current year at the two levels below. This builds the
Profiles object a province with ``--villages`` villages, each profiled in
``--profile-years`` years (but ``--unprofiled`` of them never), would load — afresh for
every run, as every page view does — and times those calls, best of 5. Not included: reading
the rows from the database, and the count of the poor people of the villages without a
profile (``incidence.left_out_poor``: one statement for every year of the table). The whole
page, with both, is timed on a loaded province by ``bench/registry_import.py`` (its set-up
gives every village profiles; ``--stats-only``)."""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=15810)
    parser.add_argument("--profile-years", type=int, default=7)
    parser.add_argument("--table-years", type=int, default=13)
    parser.add_argument("--unprofiled", type=float, default=0.01, help="share of villages without any profile")
    args = parser.parse_args()

    import django

    django.setup()
    from fupin.registry import incidence

    rng = random.Random(1)
    villages = [f"36{c:04d}{t:03d}{v:03d}" for c in range(1000) for t in range(40) for v in range(10)]
    villages = villages[:args.villages]
    rows = [(v, y, rng.randint(500, 3000)) for v in villages if rng.random() >= args.unprofiled
            for y in range(2014, 2014 + args.profile_years)]
    rows.sort(key=lambda r: r[1])  # as the database gives them (ORDER BY year)

    def page() -> float:
        """One page view: a fresh Profiles (the page builds one per request) from the rows as
        the database gives them, then the calls the page makes."""
        start = time.perf_counter()
        profiles = incidence.Profiles.__new__(incidence.Profiles)
        profiles.prefix = "36"
        # what Profiles.__init__ does with the rows (the area's villages come from the database)
        profiles._ordered = [(year, code[:incidence.VILLAGE_LENGTH], rural or 0) for code, year, rural in rows]
        profiles.by_village = defaultdict(list)
        for year, village, rural in profiles._ordered:
            profiles.by_village[village].append((year, rural))
        profiles.retired = set()
        profiles.villages = set(villages)
        profiles.years = sorted({y for y, _v, _r in profiles._ordered})
        for y in range(2014, 2014 + args.table_years):
            profiles.coverage(y, 2)
        profiles.coverage(2014 + args.table_years - 1, 4)
        profiles.coverage(2014 + args.table_years - 1, 6)
        return time.perf_counter() - start

    times = sorted(page() for _ in range(5))
    print(f"{args.villages} villages ({args.unprofiled:.0%} never profiled) × {args.profile_years} profile years, "
          f"{args.table_years} table years: "
          f"best {times[0] * 1000:.0f} ms, median {times[2] * 1000:.0f} ms of Python per statistics page")


if __name__ == "__main__":
    main()
