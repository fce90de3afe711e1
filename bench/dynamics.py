"""Benchmark of the dynamic-management numbers (fupin.dynamics.queries) at province
scale, on PostgreSQL.

    FUPIN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fupin \\
        .venv/bin/python bench/dynamics.py [--households 300000] [--repeat 3] [--keep-db] [--reuse]
        [--db-name fupin_bench_dyn]

On the server of FUPIN_DATABASE_URL it (re)creates its own database, ``--db-name``
(``fupin_bench_dyn``; never the database the URL names; dropped at the end unless
--keep-db; --reuse keeps an existing one and its data), migrates it, loads the real
divisions of 江西省 (36) with ten synthetic villages per township, and fills it
set-based (INSERT … SELECT generate_series, no Python loop) with ``--households``
households — a fifth of them in one large county (全南县 360729), the rest spread over
every village of the province — and their status histories:

- every household registered between March 2014 and August 2016, or (6 %) identified
  and registered between 2017 and 2020 (new cases);
- 84 % exited (exited_policy) one to five years after registration; of those 5 %
  returned (returned) later and 55 % passed to exited (no longer receiving policies)
  three years after the exit;
- 3 % removed (removed) about 500 days after registration.

(about 2.4 status changes per household). Then, in-process, ``--repeat`` times each
(the median is kept):

1. the year table of the large county (a row per township) for 2019;
2. the year table of a typical county;
3. the year table of the province (a row per city) for 2019;
4. the year-by-year series of the province over every year with a change (one statement);
5. the years available for the province (MIN(date) over its range).

Results go to stdout as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg

ROOT = Path(__file__).resolve().parent.parent
FUPIN = ROOT / ".venv" / "bin" / "fupin"
sys.path.insert(0, str(ROOT / "src"))

PROVINCE = "36"
BIG_COUNTY = "360729"
YEAR = 2019


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fupin(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    proc = subprocess.run([str(FUPIN), *args], env=env, capture_output=True, text=True)  # noqa: S603
    if proc.returncode != 0:
        raise RuntimeError(f"fupin {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return round(time.perf_counter() - started, 2)


def _not_null_defaults(cur, table: str, given: set[str]) -> tuple[list[str], list[str]]:
    """Columns of ``table`` that are NOT NULL without a database default and not given:
    a neutral value of their type each (the model's defaults live in Python, not in SQL)."""
    cur.execute("""SELECT column_name, data_type FROM information_schema.columns
                   WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL
                     AND column_name <> 'id'""", [table])
    names, values = [], []
    neutral = {"boolean": "FALSE", "date": "CURRENT_DATE", "timestamp with time zone": "now()",
               "jsonb": "'{}'::jsonb"}
    for name, kind in cur.fetchall():
        if name in given:
            continue
        names.append(name)
        if kind in neutral:
            values.append(neutral[kind])
        elif kind in ("smallint", "integer", "bigint", "numeric", "double precision"):
            values.append("0")
        else:
            values.append("''")
    return names, values


def build(url: str, households: int) -> dict:
    """The villages, households and status histories, set-based."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO areas_area (code, name, level, parent_id, urban_rural_class, source)
                       SELECT substr(t.code, 1, 9) || n::text, t.name || (n - 200)::text || '村', 'village', t.id,
                              '220', 'bench'
                       FROM areas_area t CROSS JOIN generate_series(201, 210) AS n
                       WHERE t.level = 'township' AND t.code LIKE %s AND t.valid_to IS NULL
                       ON CONFLICT DO NOTHING""", [PROVINCE + "%"])
        given = {"number", "area_code", "county_code", "village_id", "status", "status_date", "size", "version",
                 "category", "standard", "main_cause", "identified_year", "created_at", "updated_at"}
        extra_names, extra_values = _not_null_defaults(cur, "registry_household", given)
        extra_cols = "".join(", " + n for n in extra_names)
        extra_vals = "".join(", " + v for v in extra_values)
        big = households // 5
        for first, count, like in ((0, big, BIG_COUNTY + "%"), (big, households - big, PROVINCE + "%")):
            cur.execute("DROP TABLE IF EXISTS bench_v")
            cur.execute("""CREATE TEMP TABLE bench_v AS
                           SELECT id, code, row_number() OVER (ORDER BY code) - 1 AS i
                           FROM areas_area WHERE level = 'village' AND code LIKE %s AND valid_to IS NULL""", [like])
            cur.execute("SELECT count(*) FROM bench_v")
            n = cur.fetchone()[0]
            cur.execute(f"""
                INSERT INTO registry_household (number, area_code, county_code, village_id, status, status_date,
                    size, version, category, standard, main_cause, identified_year, created_at, updated_at
                    {extra_cols})
                SELECT 'B' || lpad(g::text, 12, '0'), v.code || '001', substr(v.code, 1, 6), v.id, 'registered',
                       DATE '2014-03-01', 1 + (g * 7) %% 6, 1, '1', '1', '01', 2014, now(), now() {extra_vals}
                FROM generate_series(%s, %s) AS g JOIN bench_v v ON v.i = g %% %s
            """, [first, first + count - 1, n])
        # the histories: pseudo-random choices from the id (deterministic)
        steps = [
            # registered (or identified first: the new cases)
            """SELECT id, area_code, 'identified', DATE '2017-01-01' + (id * 37 % 1200)::int
               FROM registry_household WHERE (id * 7919) % 100 < 6""",
            """SELECT id, area_code, 'registered', CASE WHEN (id * 7919) % 100 < 6
                    THEN DATE '2017-01-31' + (id * 37 % 1200)::int ELSE DATE '2014-03-01' + (id * 31 % 900)::int END
               FROM registry_household""",
            # exits, one to five years after registration
            """SELECT id, area_code, 'exited_policy', DATE '2015-03-01' + (id * 31 % 900)::int + (id * 41 % 1460)::int
               FROM registry_household WHERE (id * 7919) % 100 BETWEEN 6 AND 89""",
            # returns after the exit
            """SELECT id, area_code, 'returned',
                      DATE '2015-03-01' + (id * 31 % 900)::int + (id * 41 % 1460)::int + 200 + (id % 400)::int
               FROM registry_household WHERE (id * 7919) % 100 BETWEEN 6 AND 89 AND (id * 104729) % 100 < 5""",
            # no longer receiving policies, three years after the exit
            """SELECT id, area_code, 'exited',
                      DATE '2018-03-01' + (id * 31 % 900)::int + (id * 41 % 1460)::int
               FROM registry_household WHERE (id * 7919) % 100 BETWEEN 6 AND 89
                 AND (id * 104729) % 100 BETWEEN 5 AND 59""",
            # removals
            """SELECT id, area_code, 'removed', DATE '2014-03-01' + (id * 31 % 900)::int + 500
               FROM registry_household WHERE (id * 7919) % 100 BETWEEN 90 AND 92""",
        ]
        for select in steps:
            cur.execute(f"""INSERT INTO registry_statuschange (household_id, area_code, status, date, reason, source,
                                                                recorded_at)
                            SELECT s.*, '', 'bench', now() FROM ({select}) AS s""")
        cur.execute("""UPDATE registry_household h SET status = l.status, status_date = l.date
                       FROM (SELECT DISTINCT ON (household_id) household_id, status, date
                             FROM registry_statuschange ORDER BY household_id, date DESC, id DESC) l
                       WHERE l.household_id = h.id""")
        cur.execute("ANALYZE")
        cur.execute("SELECT count(*) FROM registry_household")
        n_households = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM registry_statuschange")
        n_changes = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM areas_area WHERE level = 'village'")
        n_villages = cur.fetchone()[0]
        cur.execute("""SELECT county_code, count(*) FROM registry_household WHERE county_code <> %s
                       GROUP BY county_code ORDER BY count(*) DESC LIMIT 1""", [BIG_COUNTY])
        typical = cur.fetchone()
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size('registry_statuschange'))")
        size = cur.fetchone()[0]
    return {"households": n_households, "status_changes": n_changes, "villages": n_villages,
            "typical_county": typical[0], "typical_county_households": typical[1],
            "status_change_table": size, "seconds": round(time.perf_counter() - started, 1)}


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _i in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3), result


def measure(typical_county: str, repeat: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    django.setup()
    from fupin.dynamics import queries

    out = {}
    for label, prefix in ((f"big county {BIG_COUNTY} (townships)", BIG_COUNTY),
                          (f"typical county {typical_county} (townships)", typical_county),
                          (f"province {PROVINCE} (cities)", PROVINCE)):
        seconds, report = timed(lambda p=prefix: queries.year_report(p, YEAR), repeat)
        t = report["total"]
        out[label] = {"seconds": seconds, "rows": len(report["rows"]),
                      "numbers": {m: t[f"{m}_households"] for m in queries.MEASURES},
                      "adds_up": t["adds_up"]}
        say(f"{label}: {seconds} s")
    years = list(range(2014, 2026))
    seconds, series = timed(lambda: queries.series(PROVINCE, years), repeat)
    out[f"province series {years[0]}–{years[-1]}"] = {"seconds": seconds,
                                                      "end": [r["end_households"] for r in series]}
    say(f"series: {seconds} s")
    import datetime as dt

    seconds, _years = timed(lambda: queries.years_available(PROVINCE, dt.date(2026, 1, 1)), repeat)
    out["province years available"] = {"seconds": seconds}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="use the database as it is (built before)")
    parser.add_argument("--db-name", default="fupin_bench_dyn",
                        help="the benchmark's own database (dropped and created; not the one the URL names)")
    args = parser.parse_args()
    base = os.environ.get("FUPIN_DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("set FUPIN_DATABASE_URL to a PostgreSQL URL (its server is used)")
    name = args.db_name
    if name == urlparse(base).path.lstrip("/"):
        sys.exit(f"--db-name {name}: that is the database of FUPIN_DATABASE_URL; the benchmark drops its own")
    url = urlunparse(urlparse(base)._replace(path="/" + name))
    admin = urlunparse(urlparse(base)._replace(path="/postgres"))
    env = {**os.environ, "FUPIN_DATABASE_URL": url}
    os.environ["FUPIN_DATABASE_URL"] = url  # (measure() sets Django up in this process)
    results: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                 "load_avg_at_start": [round(x, 1) for x in os.getloadavg()]}}
    if not args.reuse:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        say("migrating …")
        results["migrate_seconds"] = fupin(["migrate", "--no-input"], env)
        results["load_divisions_seconds"] = fupin(["load_divisions", "--prefix", PROVINCE], env)
        say(f"building {args.households} households …")
        results["data"] = build(url, args.households)
        say(f"data: {results['data']}")
    else:
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            cur.execute("""SELECT county_code FROM registry_household WHERE county_code <> %s
                           GROUP BY county_code ORDER BY count(*) DESC LIMIT 1""", [BIG_COUNTY])
            results["data"] = {"typical_county": cur.fetchone()[0]}
    results["timings"] = measure(results["data"]["typical_county"], args.repeat)
    print(json.dumps(results, ensure_ascii=False, indent=2))
    from django.db import connections

    connections.close_all()
    if not args.keep_db and not args.reuse:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
