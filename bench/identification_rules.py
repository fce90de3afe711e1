"""Benchmark of the eligibility rule run at province scale, on PostgreSQL.

    FUPIN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fupin \\
        .venv/bin/python bench/identification_rules.py [--households 340000] [--keep-db]
    # or on the registry benchmark's database (bench/registry_import.py --keep-db):
        .venv/bin/python bench/identification_rules.py --reuse fupin_bench

It creates a dedicated database (``fupin_bench_ident``; dropped at the end unless
--keep-db), migrates it, loads the real divisions of 江西省 (36) with ten synthetic
villages under each real township, and generates with set-based SQL (generate_series,
a fixed random seed) 347,820 households with 1,027,650 members (the default
--households 340000; 22 per village), an income ledger each of the run's year (YEAR: the
last year whose national line ships with the system), status histories and ~3 % households
with facts that veto (cars, businesses, public payroll, …). With --reuse it uses an existing
database as it is (it only adds the bench rule set, the facts and the provincial line of
YEAR when missing).

A rule set for 江西 (36) from 2014 switches on eight veto conditions (the car one with
an amount), a cut-off date for 江西 (identification CutoffDate); a provincial line for YEAR is added so both line kinds
occur. Then it measures, each ``--repeat`` times:

1. ``engine.run_rules('36', YEAR)`` — the run as the job runs it: the province's
   households cut into 10 ranges of household ids of equal size (one INSERT … SELECT
   per range: the steps of the progress bar);
2. the same with ``split=False`` (one statement for the whole province);
3. ONE hand-written SQL statement doing the same computation (status at the end of
   the year, line by standard, income, the four guarantees, the eight vetoes with
   their amount, relatives rule and cut-off, the decision and the flag) into a copy
   of the outcome table with the same indexes.

and checks that 1, 2 and 3 give the same outcome for every household. The issue's
target: the run ≤ 1.5 × the hand-written statement, and < 30 s.
Results go to stdout and to <work-dir>/identification_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg

ROOT = Path(__file__).resolve().parent.parent
FUPIN = ROOT / ".venv" / "bin" / "fupin"
sys.path.insert(0, str(ROOT / "src"))

PROVINCE = "36"
# The run's year is the last one whose national line ships with the system (the policy data the
# migrations load, identification/data/standards.json), so that households meet a line of the
# documents; the provincial line the bench adds (so both line kinds occur) is for that year too.
STANDARDS = json.loads((ROOT / "src" / "fupin" / "identification" / "data" / "standards.json").read_text())
NATIONAL_LINES = {line["year"]: line["value"] for line in STANDARDS["lines"]
                  if line["kind"] == "national" and not line["area_prefix"]}
YEAR = max(NATIONAL_LINES)
NATIONAL_LINE = NATIONAL_LINES[YEAR]
VETOES = ["public_employee", "village_cadre", "car", "urban_housing", "business", "large_farming",
          "household_split", "empty_registration"]
CAR_AMOUNT = "100000"
CUTOFF = "2015-10-26"
PROVINCIAL_LINE = "3000"


def db_url(base: str, name: str) -> str:
    parts = urlparse(base)
    return urlunparse(parts._replace(path="/" + name))


def fupin(args: list[str], env: dict) -> None:
    proc = subprocess.run([str(FUPIN), *args], env=env, capture_output=True, text=True)  # noqa: S603
    if proc.returncode != 0:
        raise RuntimeError(f"fupin {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")


def _defaults(conn, table: str, given: set[str]) -> tuple[list[str], list[str]]:
    """NOT NULL columns of ``table`` without a database default that the generator does
    not fill, with a neutral value by type (so other apps' new columns do not break it)."""
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s AND is_nullable = 'NO' "
        "AND column_default IS NULL AND is_identity = 'NO'", [table]).fetchall()
    cols, values = [], []
    for name, dtype in rows:
        if name in given:
            continue
        value = {"boolean": "FALSE", "date": "DATE '2016-01-01'", "jsonb": "'{}'::jsonb", "json": "'{}'::json"}.get(
            dtype, "now()" if "timestamp" in dtype else ("0" if dtype in ("integer", "smallint", "bigint", "numeric",
                                                                          "double precision", "real") else "''"))
        cols.append(name)
        values.append(value)
    return cols, values


def _insert(conn, table: str, columns: dict[str, str], from_sql: str, params=()) -> int:
    extra_cols, extra_vals = _defaults(conn, table, set(columns))
    cols = [*columns, *extra_cols]
    vals = [*columns.values(), *extra_vals]
    cur = conn.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(vals)} {from_sql}", params)
    return cur.rowcount


def generate(url: str, households: int) -> dict:
    """Villages, households, members, incomes and status histories, in a few statements."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT setseed(0.2016)")
        n_villages = _insert(conn, "areas_area", {
            "code": "SUBSTR(t.code, 1, 9) || LPAD(g::text, 3, '0')", "name": "'村' || g", "level": "'village'",
            "parent_id": "t.id", "source": "'bench'"},
            "FROM areas_area t CROSS JOIN generate_series(201, 210) g WHERE t.level = 'township' "
            "AND t.code LIKE %s AND t.valid_to IS NULL", [PROVINCE + "%"])
        per_village = max(1, round(households / max(n_villages, 1)))
        n_households = _insert(conn, "registry_household", {
            "number": "v.code || LPAD(g::text, 4, '0')", "area_code": "v.code", "county_code": "SUBSTR(v.code, 1, 6)",
            "village_id": "v.id", "head_name": "'户主' || g",
            "status": "(ARRAY['registered','registered','registered','exited_policy','exited','returned'])"
                      "[1 + floor(random() * 6)::int]",
            "standard": "CASE WHEN random() < 0.85 THEN '1' ELSE '2' END",
            "danger_grade": "CASE WHEN random() < 0.03 THEN 'C' WHEN random() < 0.01 THEN 'D' ELSE 'A' END",
            "water_safe": "random() > 0.02", "identified_year": "CASE WHEN random() < 0.05 THEN 2018 ELSE 2014 END",
            "size": "1 + mod(g, 5)", "category": "'1'", "version": "1", "created_at": "now()", "updated_at": "now()"},
            "FROM areas_area v CROSS JOIN generate_series(1, %s) g WHERE v.level = 'village' AND v.code LIKE %s "
            "AND v.source = 'bench'", [per_village, PROVINCE + "%"])
        n_members = _insert(conn, "registry_member", {
            "household_id": "h.id", "area_code": "h.area_code", "name": "'成员' || k", "sex": "'1'",
            "relation": "CASE WHEN k = 1 THEN '01' ELSE '03' END",
            "birth_date": "CASE WHEN k = 1 THEN DATE '1965-01-01' + (random() * 7000)::int "
                          "ELSE DATE '1998-01-01' + (random() * 5000)::int END",
            "school_status": "CASE WHEN random() < 0.97 THEN '05' ELSE '00' END",
            "medical_insurance": "random() > 0.01", "active": "TRUE", "ethnicity": "'01'", "health": "'1'",
            "created_at": "now()", "updated_at": "now()"},
            "FROM registry_household h CROSS JOIN LATERAL generate_series(1, h.size) k WHERE h.area_code LIKE %s",
            [PROVINCE + "%"])
        n_incomes = _insert(conn, "registry_income", {
            "household_id": "h.id", "area_code": "h.area_code", "year": str(YEAR), "household_size": "h.size",
            "per_capita": "round((1500 + random() * 6000)::numeric, 2)", "updated_at": "now()"},
            "FROM registry_household h WHERE h.area_code LIKE %s", [PROVINCE + "%"])
        n_status = _insert(conn, "registry_statuschange", {
            "household_id": "h.id", "area_code": "h.area_code", "status": "'registered'",
            "date": "make_date(h.identified_year, 10, 1)", "recorded_at": "now()"},
            "FROM registry_household h WHERE h.area_code LIKE %s", [PROVINCE + "%"])
        n_status += _insert(conn, "registry_statuschange", {
            "household_id": "h.id", "area_code": "h.area_code", "status": "h.status", "date": "DATE '2019-12-01'",
            "recorded_at": "now()"},
            "FROM registry_household h WHERE h.area_code LIKE %s AND h.status <> 'registered'", [PROVINCE + "%"])
        conn.execute("ANALYZE")
    return {"villages": n_villages, "households": n_households, "members": n_members, "incomes": n_incomes,
            "status_changes": n_status, "seconds": round(time.perf_counter() - started, 1)}


def add_facts(url: str) -> int:
    kinds = [*VETOES, "deceased"]
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM identification_memberfact WHERE source = 'bench' LIMIT 1").fetchone():
            return conn.execute("SELECT COUNT(*) FROM identification_memberfact WHERE source = 'bench'").fetchone()[0]
        conn.execute("SELECT setseed(0.17)")
        n = _insert(conn, "identification_memberfact", {
            "household_id": "h.id", "area_code": "h.area_code",
            "kind": f"(ARRAY[{', '.join(repr(k) for k in kinds)}])[1 + floor(random() * {len(kinds)})::int]",
            "value": "round((20000 + random() * 200000)::numeric, 2)",
            "as_of": "DATE '2014-01-01' + (random() * 1000)::int",
            "relation": "CASE WHEN random() < 0.2 THEN 'parent' ELSE '' END", "person_name": "''",
            "detail": "''", "source": "'bench'",
            "status": "(ARRAY['pending','confirmed','confirmed','kept','error'])[1 + floor(random() * 5)::int]",
            "reason": "''", "created_at": "now()"},
            "FROM registry_household h WHERE h.area_code LIKE %s AND random() < 0.03", [PROVINCE + "%"])
        conn.execute("ANALYZE identification_memberfact")
    return n


def school_bounds(year: int) -> tuple:
    """(born after, born on or before): the children of compulsory-school age in ``year`` by the
    national rule set's school_dropout parameters (standards.json), as the engine counts them."""
    from fupin.identification.rules import birth_bounds

    national = next(r for r in STANDARDS["rulesets"] if not r["area_prefix"])
    p = next(c["params"] for c in national["criteria"] if c["code"] == "school_dropout")
    return birth_bounds(year, p["min_age"], p["max_age"], p.get("on", "09-01"))


SCHOOL_AFTER, SCHOOL_ON_OR_BEFORE = school_bounds(YEAR)
HAND_WRITTEN = f"""
INSERT INTO bench_outcome (run_id, household_id, area_code, status, ruleset_id, line_kind, line_id, line_value,
                           per_capita, income_below, guarantees, vetoes, eligible, flagged)
SELECT 0, x.id, x.area_code, x.status, 0, x.line_kind, NULL, x.line_value, x.per_capita, x.income_below,
       x.g, x.v,
       (COALESCE(x.income_below, FALSE) OR x.g <> '') AND x.v = '',
       ((COALESCE(x.income_below, FALSE) OR x.g <> '') AND x.v = '') <> (x.status IN ('identified', 'registered', 'returned'))
FROM (
  SELECT h.id, h.area_code, COALESCE(sc.status, CASE WHEN h.identified_year > {YEAR} THEN '' ELSE h.status END)
         AS status, l.kind AS line_kind, l.value AS line_value, i.per_capita,
         CASE WHEN i.per_capita IS NULL OR l.value IS NULL THEN NULL ELSE i.per_capita < l.value END AS income_below,
         CASE WHEN h.danger_grade IN ('C', 'D') AND (h.renovated_year IS NULL OR h.renovated_year > {YEAR})
              THEN 'housing_unsafe,' ELSE '' END
         || CASE WHEN NOT h.water_safe THEN 'water_unsafe,' ELSE '' END
         || CASE WHEN m.school THEN 'school_dropout,' ELSE '' END
         || CASE WHEN m.medical THEN 'no_medical_insurance,' ELSE '' END AS g,
         COALESCE('public_employee:' || f.public_employee || ',', '') || COALESCE('village_cadre:' || f.village_cadre || ',', '')
         || COALESCE('car:' || f.car || ',', '') || COALESCE('urban_housing:' || f.urban_housing || ',', '')
         || COALESCE('business:' || f.business || ',', '') || COALESCE('large_farming:' || f.large_farming || ',', '')
         || COALESCE('household_split:' || f.household_split || ',', '')
         || COALESCE('empty_registration:' || f.empty_registration || ',', '') AS v
  FROM registry_household h
  LEFT JOIN (SELECT DISTINCT ON (household_id) household_id, status FROM registry_statuschange
             WHERE area_code >= '36' AND area_code < '37' AND date <= DATE '{YEAR}-12-31'
             ORDER BY household_id, date DESC, id DESC) sc ON sc.household_id = h.id
  LEFT JOIN (VALUES ('1', 'national', {NATIONAL_LINE}::numeric), ('2', 'provincial', {PROVINCIAL_LINE}::numeric))
              AS l(standard, kind, value)
         ON l.standard = h.standard
  LEFT JOIN registry_income i ON i.household_id = h.id AND i.year = {YEAR}
  LEFT JOIN (SELECT household_id,
                    bool_or(school_status = '00' AND birth_date > DATE '{SCHOOL_AFTER}' AND birth_date <= DATE '{SCHOOL_ON_OR_BEFORE}')
                      AS school,
                    bool_or(NOT medical_insurance) AS medical
             FROM registry_member WHERE active AND area_code >= '36' AND area_code < '37' GROUP BY household_id) m
         ON m.household_id = h.id
  LEFT JOIN (SELECT household_id,
                    min(id) FILTER (WHERE kind = 'public_employee') AS public_employee,
                    min(id) FILTER (WHERE kind = 'village_cadre' AND relation = '') AS village_cadre,
                    min(id) FILTER (WHERE kind = 'car' AND value > {CAR_AMOUNT} AND relation = '') AS car,
                    min(id) FILTER (WHERE kind = 'urban_housing' AND relation = '') AS urban_housing,
                    min(id) FILTER (WHERE kind = 'business' AND relation = '') AS business,
                    min(id) FILTER (WHERE kind = 'large_farming' AND relation = '') AS large_farming,
                    min(id) FILTER (WHERE kind = 'household_split' AND relation = '') AS household_split,
                    min(id) FILTER (WHERE kind = 'empty_registration' AND relation = '') AS empty_registration
             FROM identification_memberfact
             WHERE status IN ('pending', 'confirmed') AND (as_of IS NULL OR as_of <= DATE '{CUTOFF}')
             GROUP BY household_id) f
         ON f.household_id = h.id
  WHERE h.area_code >= '36' AND h.area_code < '37'
) x
WHERE x.status IN ('identified', 'registered', 'exited_policy', 'exited', 'returned') OR x.status = ''
"""


def hand_written(url: str) -> tuple[float, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_outcome")
        conn.execute("CREATE TABLE bench_outcome (LIKE identification_ruleoutcome INCLUDING ALL)")
        started = time.perf_counter()
        rows = conn.execute(HAND_WRITTEN).rowcount
        return time.perf_counter() - started, rows


def clean(url: str) -> None:
    """Remove earlier runs' outcomes, so each timed variant starts from an empty table."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM identification_ruleoutcome")
        conn.execute("VACUUM ANALYZE identification_ruleoutcome")


def _copy_outcomes(url: str, run_id: int, table: str) -> int:
    """Keep a run's outcomes aside for the comparison at the end (the next variant
    starts from an empty outcome table)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(f"CREATE TABLE {table} AS SELECT * FROM identification_ruleoutcome WHERE run_id = %s",
                     [run_id])
    return run_id


def differences(url: str, run_id: int, table: str) -> int:
    """Rows where the run and the hand-written statement disagree (0 = identical)."""
    cols = "household_id, status, eligible, flagged, guarantees, vetoes, income_below, line_value"
    with psycopg.connect(url) as conn:
        return conn.execute(f"""
            SELECT COUNT(*) FROM (
              (SELECT {cols} FROM {table} WHERE run_id = %s EXCEPT SELECT {cols} FROM bench_outcome)
              UNION ALL
              (SELECT {cols} FROM bench_outcome EXCEPT SELECT {cols} FROM {table} WHERE run_id = %s)) d""",
                            [run_id, run_id]).fetchone()[0]


def setup_django(url: str) -> None:
    os.environ["FUPIN_DATABASE_URL"] = url
    os.environ.setdefault("FUPIN_DATA_DIR", tempfile.mkdtemp(prefix="fupin-bench-ident-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "fupin.settings"
    import django

    django.setup()


def bench_rules() -> None:
    """The bench rule set and line (idempotent)."""
    from decimal import Decimal

    from fupin.core.actor import Actor
    from fupin.identification import actions, queries
    from fupin.identification.models import CutoffDate, Line, RuleSet

    actor = Actor.system()
    if not Line.objects.filter(kind="provincial", area_prefix=PROVINCE, year=YEAR).exists():
        actions.save_line(actor, None, kind="provincial", area_prefix=PROVINCE, year=YEAR,
                          value=Decimal(PROVINCIAL_LINE), source="benchmark", is_example=True)
    if not CutoffDate.objects.filter(area_prefix=PROVINCE).exists():
        actions.save_cutoff(actor, None, area_prefix=PROVINCE, date=CUTOFF, source="benchmark")
    if RuleSet.objects.filter(area_prefix=PROVINCE).exists():
        return
    base = queries.ruleset_for(PROVINCE.ljust(12, "0"), YEAR)
    rs = actions.save_ruleset(actor, None, copy_from=base, name="bench", area_prefix=PROVINCE, from_year=2014,
                              combine="or", statuses=base.statuses, source="benchmark", is_example=True)
    for c in rs.criteria.filter(code__in=VETOES):
        params = {**c.params, "min_value": CAR_AMOUNT} if c.code == "car" else c.params
        actions.save_criterion(actor, rs, c, enabled=True, params=params)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=340_000)
    parser.add_argument("--db-name", default="fupin_bench_ident")
    parser.add_argument("--reuse", help="an existing database to use as it is (e.g. fupin_bench)")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work-dir", default=str(ROOT / "var" / "bench"))
    args = parser.parse_args()
    base = os.environ.get("FUPIN_DATABASE_URL")
    if not base or not base.startswith("postgres"):
        sys.exit("Set FUPIN_DATABASE_URL to a PostgreSQL server (the database name is replaced).")
    name = args.reuse or args.db_name
    url = db_url(base, name)
    admin = db_url(base, "postgres")
    results: dict = {"database": name, "machine": {"python": platform.python_version(), "cpus": os.cpu_count()}}
    env = {**os.environ, "FUPIN_DATABASE_URL": url,
           "FUPIN_DATA_DIR": os.environ.get("FUPIN_DATA_DIR") or tempfile.mkdtemp(prefix="fupin-bench-ident-")}
    if not args.reuse:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        print(f"migrating {name} …", flush=True)
        fupin(["migrate", "-v0"], env)
        fupin(["load_divisions", "--prefix", PROVINCE], env)
        results["generated"] = generate(url, args.households)
        print("generated:", results["generated"], flush=True)
    else:
        fupin(["migrate", "-v0"], env)
    results["facts"] = add_facts(url)
    with psycopg.connect(url) as conn:
        results["postgres"] = conn.execute("SHOW server_version").fetchone()[0]
        results["households"] = conn.execute("SELECT COUNT(*) FROM registry_household WHERE area_code LIKE '36%'"
                                             ).fetchone()[0]
        results["members"] = conn.execute("SELECT COUNT(*) FROM registry_member WHERE area_code LIKE '36%'"
                                          ).fetchone()[0]
    setup_django(url)
    bench_rules()
    from fupin.identification import engine

    timings = {"run_split": [], "run_single": [], "hand_written": []}
    statement_ms = {"run_split": [], "run_single": []}
    last = {}
    # One untimed run of the hand-written statement first: every timed variant then
    # finds the tables in the cache (otherwise the first one pays for reading them).
    print(f"warm-up (hand-written, untimed): {hand_written(url)[0]:.2f} s", flush=True)
    loads = []
    variants = ["run_split", "run_single", "hand_written"]
    for i in range(args.repeat):
        # The order rotates from one repetition to the next, so that a change of the
        # machine's load (shared with other sessions) does not favour one variant.
        for key in variants[i % 3:] + variants[:i % 3]:
            loads.append(round(os.getloadavg()[0], 2))
            if key == "hand_written":
                seconds, rows = hand_written(url)
                timings["hand_written"].append(seconds)
                print(f"hand_written #{i + 1}: {seconds:.2f} s ({rows} rows; load {loads[-1]})", flush=True)
                continue
            clean(url)  # every variant writes into an empty outcome table, like the hand-written one
            started = time.perf_counter()
            run = engine.run_rules(PROVINCE, YEAR, split=key == "run_split")
            timings[key].append(time.perf_counter() - started)
            last[key] = run
            statement_ms[key].append(run.summary["timing_ms"]["statements"])
            print(f"{key} #{i + 1}: {timings[key][-1]:.2f} s ({run.households} households, {run.eligible} eligible, "
                  f"{run.flagged} flagged; {run.summary['timing_ms']}; load {loads[-1]})", flush=True)
            _copy_outcomes(url, run.pk, f"bench_{key}_outcome")
    results["load_average_1min"] = {"min": min(loads), "max": max(loads), "each": loads}
    results["paired_ratio_run_split"] = [round(a / b, 2) for a, b in zip(timings["run_split"], timings["hand_written"],
                                                                         strict=True)]
    results["timings_s"] = {k: [round(v, 3) for v in vs] for k, vs in timings.items()}
    results["statements_s"] = {k: [round(v / 1000, 3) for v in vs] for k, vs in statement_ms.items()}
    results["median_s"] = {k: round(statistics.median(vs), 3) for k, vs in timings.items()}
    results["min_s"] = {k: round(min(vs), 3) for k, vs in timings.items()}
    for stat in ("median", "min"):
        for k in ("run_split", "run_single"):
            results[f"ratio_{k}_to_hand_written_{stat}"] = round(
                results[f"{stat}_s"][k] / results[f"{stat}_s"]["hand_written"], 2)
    results["differences"] = {key: differences(url, last[key].pk, f"bench_{key}_outcome")
                              for key in ("run_single", "run_split")}
    results["outcome"] = {"households": last["run_split"].households, "eligible": last["run_split"].eligible,
                          "flagged": last["run_split"].flagged}
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    (work / "identification_results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    from django.db import connections

    connections.close_all()
    if not args.keep_db and not args.reuse:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
