"""Benchmark of the statistics refresh's list of counties at national scale, on PostgreSQL.

    FUPIN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fupin \\
        nice .venv/bin/python bench/stats_counties.py [--households 30000000] [--runs 9] [--keep-db]

``stats.counties_under(prefix)`` lists the counties a refresh rebuilds (those with
households, live villages, village profiles or county rollup rows), and
``stats.counties_changed(prefix)`` — what ``refresh_changed`` runs after every import
and edit — calls it. This creates a database of its own (``--db-name``, default
fupin_h5bench, on the server of FUPIN_DATABASE_URL; dropped at the end unless --keep-db),
migrates it and fills it with set-based SQL (INSERT … SELECT generate_series, no import):

- areas: 31 provinces (their real codes), 11 cities each, 8 or 9 counties a city (2,844),
  14 townships a county, 17 or 18 villages a township (688,779), and a retired
  village row (valid_to set) for about 1 % of the villages; ``--groups`` village groups
  a village (default none);
- households (``--households``, default 30,000,000) spread evenly over the live villages
  in code order (as a province file is imported), with the columns the statistics read
  (county_code, area_code, village, status, category, causes) and the others at their
  defaults; no members. The household table's secondary indexes are dropped for the load
  and built again afterwards;
- village profiles, 2014–2020 (1 % of the villages never profiled, 4 % only from 2017:
  ``bench/registry_import.py``'s ``village_profiles``, over the whole country);
- statistics rollup rows: 373 county rows a county (status now and at each year end,
  main cause, any cause, flows, the denominator's rural rows) and 5 village rows a village,
  refreshed two hours ago; ``--events`` audited household edits in random villages in the
  last hour (what makes a county "changed").

It checks the free disk first (0.35 kB a household, heap and indexes, measured; 0.5 kB
assumed, plus 3 GB for the rest), reports the database's size, VACUUM ANALYZEs (what
autovacuum does after a load), then times, in process, ``counties_under`` and
``counties_changed`` for the whole country, a province and a city: the first run alone,
then p50/p95 of ``--runs`` runs, and each SQL statement's time in one more run. ``--reuse-db`` measures again on the database a ``--keep-db``
run left (dropped at the end unless --keep-db). Results go to stdout and to ``--out``
(default var/bench/stats_counties.json).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import registry_import as ri  # the other bench's helpers: machine, pct, village_profiles, run

ROOT = ri.ROOT
PROVINCES = ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
             "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"]
CITIES_PER_PROVINCE = 11
TOWNSHIPS_PER_COUNTY = 14
BYTES_PER_HOUSEHOLD = 500  # heap and indexes of registry_household (measured: 347; see docs/benchmarks.md)
STATUSES = [("exited", 30), ("exited_policy", 55), ("registered", 10), ("returned", 3), ("removed", 2)]
SURNAMES = "".join(ri.SURNAMES)
GIVEN = "".join(ri.GIVEN)

# A deterministic number in [0, 2^28) from a text: the set-up's "random" choices.
HASH = "('x' || SUBSTR(MD5({}), 1, 7))::bit(28)::int"


def say(t0: float, text: str) -> None:
    print(f"[+{time.monotonic() - t0:7.1f}s] {text}", flush=True)


def lower_priority(conn) -> None:
    """Run this connection's server process at a lower CPU priority (the machine is shared):
    possible when the benchmark runs as the server's user or root, skipped otherwise."""
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    try:
        os.setpriority(os.PRIO_PROCESS, pid, 10)
    except OSError:
        pass


def free_disk(conn) -> tuple[str, int]:
    try:
        path = conn.execute("SHOW data_directory").fetchone()[0]
        return path, shutil.disk_usage(path).free
    except Exception:  # not a superuser, or the server on another machine
        return "/", shutil.disk_usage("/").free


def create_areas(conn, groups: int) -> dict:
    """Provinces, cities, counties, townships and villages, level by level, each from its parent."""
    def insert(select: str, params: dict | None = None) -> int:
        cur = conn.execute(f"""INSERT INTO areas_area (code, name, level, urban_rural_class, valid_from, valid_to,
                                                      source, parent_id) {select}""", params or {})
        return cur.rowcount

    counts = {}
    counts["province"] = insert("""
        SELECT p || '0000000000', '省' || p, 'province', '', NULL, NULL, 'bench', NULL
        FROM unnest(%(p)s::text[]) AS p""", {"p": PROVINCES})
    counts["city"] = insert(f"""
        SELECT LEFT(a.code, 2) || LPAD(c::text, 2, '0') || '00000000', '市' || c, 'city', '', NULL, NULL, 'bench', a.id
        FROM areas_area a CROSS JOIN generate_series(1, {CITIES_PER_PROVINCE}) AS c WHERE a.level = 'province'""")
    # 8 or 9 counties a city (9 for about 36 % of them): 2,844 in all, about as many as the country has
    counts["county"] = insert(f"""
        SELECT LEFT(a.code, 4) || LPAD(k::text, 2, '0') || '000000', '县' || k, 'county', '', NULL, NULL, 'bench', a.id
        FROM areas_area a
        CROSS JOIN LATERAL generate_series(1, 8 + CASE WHEN MOD({HASH.format('a.code')}, 25) < 9 THEN 1 ELSE 0 END) k
        WHERE a.level = 'city'""")
    counts["township"] = insert(f"""
        SELECT LEFT(a.code, 6) || LPAD(t::text, 3, '0') || '000', '乡' || t, 'township', '', NULL, NULL, 'bench', a.id
        FROM areas_area a CROSS JOIN generate_series(1, {TOWNSHIPS_PER_COUNTY}) AS t WHERE a.level = 'county'""")
    # 17 or 18 villages a township (18 for 30 %): about 690,000
    counts["village"] = insert(f"""
        SELECT LEFT(a.code, 9) || LPAD((200 + v)::text, 3, '0'), '村' || v, 'village', '220', NULL, NULL, 'bench', a.id
        FROM areas_area a
        CROSS JOIN LATERAL generate_series(1, 17 + CASE WHEN MOD({HASH.format('a.code')}, 100) < 30 THEN 1 ELSE 0 END) v
        WHERE a.level = 'township'""")
    counts["retired_village"] = insert(f"""
        SELECT LEFT(a.code, 9) || '1' || RIGHT(a.code, 2), '旧' || a.name, 'village', '220', NULL, DATE '2019-12-31',
               'bench', a.parent_id
        FROM areas_area a WHERE a.level = 'village' AND MOD({HASH.format('a.code')}, 100) = 0""")
    if groups:
        counts["group"] = insert(f"""
            SELECT a.code || LPAD(g::text, 3, '0'), '第' || g || '村民小组', 'group', '', NULL, NULL, 'bench', a.id
            FROM areas_area a CROSS JOIN generate_series(1, {groups}) AS g
            WHERE a.level = 'village' AND a.valid_to IS NULL""")
    return counts


def household_columns(conn) -> tuple[str, str]:
    """The INSERT's column list and SELECT list: the columns the statistics read from the
    household number ``i`` and its village ``v``, every other NOT NULL column at a neutral
    value of its type (so that a column added to the model does not break the benchmark)."""
    status = "CASE " + " ".join(
        f"WHEN MOD(i * 7919, 100) < {sum(w for _s, w in STATUSES[:k + 1])} THEN '{s}'"
        for k, (s, _w) in enumerate(STATUSES[:-1])) + f" ELSE '{STATUSES[-1][0]}' END"
    given = len(ri.GIVEN)
    known = {
        "number": "v.code || LPAD(i::text, 9, '0')", "area_code": "v.code", "county_code": "LEFT(v.code, 6)",
        "village_id": "v.id", "group_id": "NULL", "status": status, "status_date": "DATE '2020-12-01'",
        "head_name": f"SUBSTR('{SURNAMES}', 1 + MOD(i, {len(ri.SURNAMES)})::int, 1) || "
                     f"SUBSTR('{GIVEN}', 1 + MOD(i / 7, {given})::int, 1) || SUBSTR('{GIVEN}', 1 + MOD(i / 11, {given})::int, 1)",
        "category": "(1 + MOD(i, 3))::text", "standard": "'1'", "main_cause": "LPAD((1 + MOD(i, 11))::text, 2, '0')",
        "identified_year": "2014 + MOD(i, 3)", "size": "1 + MOD(i, 6)", "version": "1",
        "created_at": "now()", "updated_at": "now()",
    }
    rows = conn.execute("""SELECT column_name, data_type, is_nullable FROM information_schema.columns
                           WHERE table_name = 'registry_household' AND column_name <> 'id'
                           ORDER BY ordinal_position""").fetchall()
    neutral = {"character varying": "''", "text": "''", "boolean": "false", "numeric": "0", "smallint": "0",
               "integer": "0", "bigint": "0", "date": "CURRENT_DATE", "timestamp with time zone": "now()"}
    names, values = [], []
    for name, data_type, nullable in rows:
        if name in known:
            value = known[name]
        elif nullable == "YES":
            value = "NULL"
        else:
            value = neutral[data_type]
        names.append(name)
        values.append(value)
    return ", ".join(names), ", ".join(values)


def create_households(conn, total: int, t0: float, chunk: int = 2_000_000) -> dict:
    conn.execute("""CREATE TEMP TABLE bench_villages AS
                    SELECT (ROW_NUMBER() OVER (ORDER BY code) - 1)::bigint AS rn, id, code
                    FROM areas_area WHERE level = 'village' AND valid_to IS NULL""")
    conn.execute("CREATE UNIQUE INDEX ON bench_villages (rn)")
    conn.execute("ANALYZE bench_villages")
    n_villages = conn.execute("SELECT COUNT(*) FROM bench_villages").fetchone()[0]
    # the secondary indexes go for the load and come back after it (the constraints' stay)
    indexes = conn.execute("""SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'registry_household'
                              AND indexname NOT IN (SELECT conname FROM pg_constraint
                                                    WHERE conrelid = 'registry_household'::regclass)""").fetchall()
    for name, _definition in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    columns, values = household_columns(conn)
    started = time.perf_counter()
    for lo in range(1, total + 1, chunk):
        hi = min(total, lo + chunk - 1)
        conn.execute(f"""INSERT INTO registry_household ({columns})
                         SELECT {values} FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i
                         JOIN bench_villages v ON v.rn = (i - 1) * %(v)s / %(n)s""",
                     {"lo": lo, "hi": hi, "v": n_villages, "n": total})
        say(t0, f"households {hi:,} / {total:,}")
    insert_s = time.perf_counter() - started
    started = time.perf_counter()
    for _name, definition in indexes:
        conn.execute(definition)
    return {"rows": total, "villages": n_villages, "insert_s": round(insert_s, 1),
            "indexes_s": round(time.perf_counter() - started, 1), "indexes_rebuilt": [n for n, _d in indexes]}


def create_rollup(conn) -> int:
    """County rows like a refresh's (status now and at the end of 2014–2025, main cause by
    category, any cause, flows by year, the denominator's rural rows) and five village rows a
    village, all refreshed two hours ago."""
    statuses = [s for s, _w in STATUSES]
    cur = conn.execute("""
        INSERT INTO registry_statsrollup (county_code, level, area_code, year, dim, status, category, cause,
                                          households, people, refreshed_at)
        SELECT LEFT(c.code, 6), 'county', c.code, r.year, r.dim, r.status, r.category, r.cause,
               100 + MOD(LENGTH(r.status) * 37 + r.year, 900), 300 + MOD(LENGTH(r.status) * 53 + r.year, 2000),
               now() - interval '2 hours'
        FROM areas_area c
        CROSS JOIN (
            SELECT y AS year, 'status' AS dim, s AS status, '' AS category, '' AS cause
            FROM unnest(%(s)s::text[]) s CROSS JOIN (SELECT 0 AS y UNION ALL SELECT generate_series(2014, 2025)) y
            UNION ALL
            SELECT 0, 'main', s, k::text, LPAD(m::text, 2, '0')
            FROM unnest(%(s)s::text[]) s, generate_series(1, 3) k, generate_series(1, 11) m
            UNION ALL
            SELECT 0, 'any', s, '', LPAD(m::text, 2, '0') FROM unnest(%(s)s::text[]) s, generate_series(1, 11) m
            UNION ALL
            SELECT y, 'flow', s, '', '' FROM unnest(%(s)s::text[]) s, generate_series(2014, 2025) y
            UNION ALL
            SELECT p + d, 'rural', p::text, '', '' FROM generate_series(2014, 2020) p, generate_series(0, 1) d
            UNION ALL
            SELECT 0, 'rural', 'none', '', ''
            UNION ALL
            SELECT y, 'left', '', '', '' FROM (SELECT 0 AS y UNION ALL SELECT generate_series(2014, 2025)) y
        ) r
        WHERE c.level = 'county' AND c.valid_to IS NULL""", {"s": statuses})
    rows = cur.rowcount
    cur = conn.execute("""
        INSERT INTO registry_statsrollup (county_code, level, area_code, year, dim, status, category, cause,
                                          households, people, refreshed_at)
        SELECT LEFT(v.code, 6), 'village', v.code, 0, 'status', s, '', '', 10, 30, now() - interval '2 hours'
        FROM areas_area v CROSS JOIN unnest(%(s)s::text[]) s
        WHERE v.level = 'village' AND v.valid_to IS NULL""", {"s": statuses})
    return rows + cur.rowcount


def create_events(conn, events: int) -> int:
    """Audited household edits in the last hour, in villages picked by a hash of the event's number."""
    cur = conn.execute(f"""
        INSERT INTO audit_auditevent (at, kind, action, username, ip, channel, object_type, object_id, object_repr,
                                      area_code, before, after, count, note, user_id)
        SELECT now() - (MOD(e * 7, 60) || ' minutes')::interval, 'change', 'registry.household.update', 'bench',
               NULL, 'web', 'registry.household', e::text, '', v.code, NULL, NULL, 1, '', NULL
        FROM generate_series(1, %(n)s) e
        JOIN bench_villages v ON v.rn = MOD({HASH.format('e::text')}, (SELECT COUNT(*) FROM bench_villages))""",
                       {"n": events})
    return cur.rowcount


def sizes(conn, name: str) -> dict:
    out = {"database_gb": round(conn.execute("SELECT pg_database_size(%s)", [name]).fetchone()[0] / 1e9, 2)}
    for table in ("registry_household", "areas_area", "registry_villageprofile", "registry_statsrollup"):
        heap, total = conn.execute("SELECT pg_relation_size(%s), pg_total_relation_size(%s)", [table, table]).fetchone()
        rows = conn.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table]).fetchone()[0]
        out[table] = {"rows": rows, "heap_gb": round(heap / 1e9, 2), "with_indexes_gb": round(total / 1e9, 2)}
    return out


def set_up(url: str, admin_url: str, args, t0: float) -> dict:
    env = {**os.environ, "FUPIN_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "fupin.settings"}
    result: dict = {}
    with psycopg.connect(admin_url, autocommit=True) as conn:
        path, free = free_disk(conn)
        need = args.households * BYTES_PER_HOUSEHOLD + 3_000_000_000  # areas, profiles, rollup, WAL
        result["disk"] = {"path": path, "free_gb": round(free / 1e9, 1), "estimated_need_gb": round(need / 1e9, 1)}
        say(t0, f"disk: {result['disk']}")
        if need > 0.8 * free:
            sys.exit(f"Not enough disk for {args.households:,} households ({need / 1e9:.0f} GB needed, "
                     f"{free / 1e9:.0f} GB free at {path}): use --households.")
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.db_name}"')
    ri.run([str(ri.FUPIN), "migrate", "--no-input", "-v", "0"], env)
    say(t0, "migrated")
    with psycopg.connect(url, autocommit=True) as conn:
        lower_priority(conn)
        conn.execute("SET session_replication_role = replica")  # no FK triggers on the synthetic rows
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '512MB'")
        started = time.perf_counter()
        result["areas"] = create_areas(conn, args.groups)
        result["areas"]["seconds"] = round(time.perf_counter() - started, 1)
        say(t0, f"areas: {result['areas']}")
        result["households"] = create_households(conn, args.households, t0)
        say(t0, f"households: {result['households']}")
        ri.PROVINCE = ""  # village_profiles() profiles the villages whose code is LIKE PROVINCE || '%'
        result["village_profiles"] = ri.village_profiles(url)
        say(t0, f"village profiles: {result['village_profiles']}")
        started = time.perf_counter()
        result["rollup_rows"] = create_rollup(conn)
        result["audit_events"] = create_events(conn, args.events)
        result["rollup_and_events_s"] = round(time.perf_counter() - started, 1)
        say(t0, f"rollup rows {result['rollup_rows']:,}, audit events {result['audit_events']:,}")
        started = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        result["vacuum_analyze_s"] = round(time.perf_counter() - started, 1)
        result["sizes"] = sizes(conn, args.db_name)
        say(t0, f"sizes: {result['sizes']}")
    return result


def measure(url: str, runs: int, prefixes: list[tuple[str, str]]) -> dict:
    """counties_under and counties_changed, in process: p50/p95 of ``runs`` runs after one
    warm-up run, and the time of each SQL statement of one run."""
    os.environ["FUPIN_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fupin.registry import stats

    out = {"load_avg_before": [round(x, 1) for x in os.getloadavg()]}
    for label, prefix in prefixes:
        for name, fn in (("counties_under", stats.counties_under), ("counties_changed", stats.counties_changed)):
            started = time.perf_counter()
            counties = fn(prefix)
            first = (time.perf_counter() - started) * 1000
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                fn(prefix)
                times.append((time.perf_counter() - started) * 1000)
            with CaptureQueriesContext(connection) as queries:
                fn(prefix)
            out[f"{name}({prefix!r}) [{label}]"] = {
                "counties": len(counties), "first": counties[:1], "last": counties[-1:],
                "first_run_ms": round(first, 1), "p50_ms": round(ri.pct(times, 50), 1),
                "p95_ms": round(ri.pct(times, 95), 1), "runs": runs,
                "statements": [{"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:160]} for q in queries]}
            print(json.dumps({name: out[f"{name}({prefix!r}) [{label}]"]}, ensure_ascii=False, default=str), flush=True)
    out["load_avg_after"] = [round(x, 1) for x in os.getloadavg()]
    connection.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=30_000_000)
    parser.add_argument("--groups", type=int, default=0, help="village groups a village (areas only)")
    parser.add_argument("--events", type=int, default=500, help="audited edits in the last hour")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--db-name", default="fupin_h5bench")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--reuse-db", action="store_true",
                        help="measure only, on the database a previous --keep-db run left")
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "stats_counties.json"))
    args = parser.parse_args()

    base = os.environ.get("FUPIN_DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/fupin")
    parts = urlparse(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("The benchmark runs on PostgreSQL: set FUPIN_DATABASE_URL to a postgres:// URL.")
    url = urlunparse(parts._replace(path="/" + args.db_name))
    admin_url = urlunparse(parts._replace(path="/postgres"))
    t0 = time.monotonic()
    results: dict = {"started": dt.datetime.now().isoformat(timespec="seconds"),
                     "load_avg_at_start": [round(x, 1) for x in os.getloadavg()]}
    try:
        if not args.reuse_db:
            results["setup"] = set_up(url, admin_url, args, t0)
        results["machine"] = ri.machine(url)
        with psycopg.connect(url) as conn:
            results["households"] = conn.execute("SELECT reltuples::bigint FROM pg_class "
                                                 "WHERE relname = 'registry_household'").fetchone()[0]
            province = conn.execute("SELECT LEFT(MIN(code), 2) FROM areas_area WHERE level = 'province' "
                                    "AND code >= '36'").fetchone()[0]
        say(t0, f"machine: {results['machine']}")
        results["measure"] = measure(url, args.runs, [("country", ""), ("province", province),
                                                      ("city", province + "01")])
        results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    finally:
        if not args.keep_db:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:  # noqa: S110 - Django may not be set up
                pass
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
    print(json.dumps(results, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
