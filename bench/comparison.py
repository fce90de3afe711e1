"""Benchmark of the data comparison at province scale, on PostgreSQL.

    FUPIN_DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/fupin \\
        .venv/bin/python bench/comparison.py [--members 1000000] [--records 1000000] [--keep-db]
    # or on a database that holds a registry already (e.g. bench/registry_import.py --keep-db):
        .venv/bin/python bench/comparison.py --reuse fupin_bench

It creates a dedicated database (``fupin_bench_cmp``; dropped at the end unless
--keep-db), migrates it, loads the real divisions of 江西省 (36) with the registry
benchmark's synthetic villages, writes the registry benchmark's province file
(bench/registry_import.py: by default 1,000,000 members with valid ID numbers) and
imports it with ``fupin import_registry``. Then three department files of
``--records`` rows each (3,000,000 by default), all with valid ID numbers:

- vehicles (车辆): 3 % of the registry's members, the rest people outside it, dates
  around the cut-off (2015-10-26, an identification CutoffDate for 36);
- businesses (工商登记): 2 % of the members, the rest outside;
- the 民政 低保 list: 85 % of the members marked 低保 in the registry (their
  household's category), 2 % of the unmarked members, the rest outside.

and measures, each with ``fupin import_dataset`` (all-or-nothing import, COPY) and
then in-process:

1. matching each data set (``matching.match_dataset``: one INSERT … SELECT, the
   re-classification and the record areas), ``--repeat`` times (all but the last
   rolled back), and a plain ``COUNT(*)`` of the same join for comparison;
2. matching the vehicles again (nothing new: the cost of a re-run);
3. the 低保 linkage report over the whole province (``reports.linkage``: every count
   both ways) and its Excel export with every list;
4. the statistics form (核查情况统计表) over the whole province.

Results go to stdout and to <work-dir>/comparison_results.json.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
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
sys.path.insert(0, str(ROOT / "bench"))

import registry_import  # noqa: E402  (the registry benchmark's generator)

PROVINCE = "36"
PROVINCE_CODE = "360000000000"
CUTOFF = dt.date(2015, 10, 26)
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"


def db_url(base: str, name: str) -> str:
    return urlunparse(urlparse(base)._replace(path="/" + name))


def fupin(args: list[str], env: dict) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run([str(FUPIN), *args], env=env, capture_output=True, text=True)  # noqa: S603
    if proc.returncode != 0:
        raise RuntimeError(f"fupin {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return round(time.perf_counter() - started, 2), proc.stdout.strip()


def id_number(body: str) -> str:
    return body + CHECK[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


class Outsiders:
    """Valid ID numbers of people not in the registry (never the same twice)."""

    def __init__(self, rng: random.Random, counties: list[str], taken: set[str]):
        self.rng, self.counties, self.taken = rng, counties, taken

    def __call__(self) -> str:
        rng = self.rng
        while True:
            birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 25000))
            number = id_number(f"{rng.choice(self.counties)}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}")
            if number not in self.taken:
                self.taken.add(number)
                return number


def build_registry(url: str, env: dict, work: Path, members: int) -> dict:
    """The registry benchmark's villages and province file, imported."""
    fupin(["migrate", "--no-input", "-v", "0"], env)
    fupin(["load_divisions", "--prefix", PROVINCE], env)
    with psycopg.connect(url) as conn:
        townships = conn.execute("SELECT code, name FROM areas_area WHERE level = 'township' AND code LIKE %s "
                                 "AND valid_to IS NULL ORDER BY code", [PROVINCE + "%"]).fetchall()
    villages, area_rows = [], []
    for code, name in townships:
        for v in range(1, registry_import.VILLAGES_PER_TOWNSHIP + 1):
            vcode = f"{code[:9]}{200 + v:03d}"
            groups = [f"{vcode}{g:03d}" for g in range(1, registry_import.GROUPS_PER_VILLAGE + 1)]
            villages.append((vcode, f"{name[:2]}{v}村", groups))
            area_rows.append((vcode, f"{name[:2]}{v}村"))
            area_rows += [(g, f"第{i}村民小组") for i, g in enumerate(groups, 1)]
    areas_csv = work / "villages.csv"
    with areas_csv.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["统计用区划代码", "名称"])
        w.writerows(area_rows)
    fupin(["import_areas", str(areas_csv)], env)
    generated = registry_import.write_files(work, villages, members, 0.0, 2014)
    generated.pop("samples")
    seconds, out = fupin(["import_registry", str(work / "province.csv"), "--quiet-progress"], env)
    (work / "province.csv").unlink()
    (work / "province-errors.csv").unlink(missing_ok=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    return {"members": generated["members"], "households": generated["households"], "import_s": seconds,
            "import_output": out[-300:]}


def write_datasets(url: str, work: Path, records: int, seed: int) -> dict:
    rng = random.Random(seed)
    with psycopg.connect(url) as conn:
        people = conn.execute(
            "SELECT m.id_number, m.name, h.category FROM registry_member m JOIN registry_household h "
            "ON h.id = m.household_id WHERE m.active AND m.id_number IS NOT NULL AND h.area_code LIKE %s",
            [PROVINCE + "%"]).fetchall()
        counties = [c for (c,) in conn.execute(
            "SELECT SUBSTR(code, 1, 6) FROM areas_area WHERE level = 'county' AND code LIKE %s",
            [PROVINCE + "%"]).fetchall()]
    taken = {p[0] for p in people}
    outsider = Outsiders(rng, counties, taken)
    files, stats = {}, {}

    def date_around() -> str:
        return (CUTOFF + dt.timedelta(days=rng.randrange(-3000, 2000))).isoformat()

    def write(kind: str, headers: list[str], chosen: list[tuple], row) -> None:
        path = work / f"{kind}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(headers)
            n = 0
            for idn, name in chosen:
                w.writerow(row(idn, name, n))
                n += 1
            while n < records:
                w.writerow(row(outsider(), "外人", n))
                n += 1
        files[kind] = path
        stats[kind] = {"rows": records, "registered": len(chosen)}

    pick = [(p[0], p[1]) for p in people if rng.random() < 0.03]
    write("vehicle", ["身份证号", "姓名", "号牌号码", "车辆类型", "初次登记日期", "车辆价值(元)"], pick,
          lambda idn, name, n: [idn, name, f"赣{chr(65 + n % 20)}{n:06d}", "小型轿车", date_around(),
                                rng.randrange(20000, 300000)])
    pick = [(p[0], p[1]) for p in people if rng.random() < 0.02]
    write("business", ["身份证号", "姓名", "统一社会信用代码", "市场主体名称", "成立日期", "注册资本(元)", "登记状态"],
          pick, lambda idn, name, n: [idn, name, f"91360{n:013d}", f"某某商行{n}", date_around(),
                                      rng.randrange(10000, 1000000), "存续"])
    marked = [(p[0], p[1]) for p in people if p[2] == "2"]
    pick = [x for x in marked if rng.random() < 0.85] + [(p[0], p[1]) for p in people
                                                         if p[2] != "2" and rng.random() < 0.02]
    stats["registry_marked_dibao"] = len(marked)
    write("dibao", ["身份证号", "姓名", "纳入日期", "月保障金(元)"], pick,
          lambda idn, name, n: [idn, name, date_around(), rng.randrange(200, 600)])
    return {"files": {k: str(v) for k, v in files.items()}, "stats": stats}


def setup_django(url: str, data_dir: str) -> None:
    os.environ["FUPIN_DATABASE_URL"] = url
    os.environ["FUPIN_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "fupin.settings"
    import django

    django.setup()


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return round(time.perf_counter() - started, 3), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=1_000_000, help="rows per data set (three data sets)")
    parser.add_argument("--db-name", default="fupin_bench_cmp")
    parser.add_argument("--reuse", help="an existing database with a registry (its data sets are added)")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument("--repeat", type=int, default=3, help="timings of matching and the plain join")
    parser.add_argument("--work-dir", default=str(ROOT / "var" / "bench"))
    args = parser.parse_args()
    base = os.environ.get("FUPIN_DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Set FUPIN_DATABASE_URL to a PostgreSQL server (the database name is replaced).")
    name = args.reuse or args.db_name
    url, admin = db_url(base, name), db_url(base, "postgres")
    work = Path(args.work_dir) / "comparison"
    work.mkdir(parents=True, exist_ok=True)
    data_dir = tempfile.mkdtemp(prefix="fupin-bench-cmp-")
    env = {**os.environ, "FUPIN_DATABASE_URL": url, "FUPIN_DATA_DIR": data_dir,
           "FUPIN_TASKS_BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    t0 = time.monotonic()

    def say(text):
        print(f"[+{time.monotonic() - t0:7.1f}s] {text}", flush=True)

    results: dict = {"started": dt.datetime.now().isoformat(timespec="seconds"), "database": name,
                     "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                 "load_avg_at_start": [round(x, 1) for x in os.getloadavg()]}}
    if not args.reuse:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        say(f"building the registry ({args.members} members) …")
        results["registry"] = build_registry(url, env, work, args.members)
        say(f"registry: {results['registry']}")
    else:
        fupin(["migrate", "--no-input", "-v", "0"], env)
    with psycopg.connect(url) as conn:
        results["postgres"] = conn.execute("SHOW server_version").fetchone()[0]
        results["members"] = conn.execute("SELECT COUNT(*) FROM registry_member WHERE active").fetchone()[0]
    say("writing the department files …")
    written = write_datasets(url, work, args.records, args.seed)
    results["datasets"] = written["stats"]
    say(f"files: {written['stats']}")

    setup_django(url, data_dir)
    from django.db import connection, transaction

    from fupin.accounts.scoping import Scope
    from fupin.comparison import matching, reports
    from fupin.comparison.models import ExternalDataset, Hit
    from fupin.identification.models import CutoffDate

    CutoffDate.objects.get_or_create(area_prefix=PROVINCE, defaults={"date": CUTOFF, "source": "benchmark"})
    sources = {"vehicle": "江西省公安厅交警总队（benchmark）", "business": "江西省市场监督管理局（benchmark）",
               "dibao": "江西省民政厅（benchmark）"}
    datasets = {}
    results["import_s"] = {}
    for kind, path in written["files"].items():
        seconds, out = fupin(["import_dataset", kind, path, "--source", sources[kind], "--as-of", "2016-06-30",
                              "--area", PROVINCE_CODE, "--no-match", "--quiet-progress",
                              "--name", f"bench {kind}"], env)
        results["import_s"][kind] = seconds
        datasets[kind] = ExternalDataset.objects.filter(name=f"bench {kind}").latest("pk")
        say(f"import {kind}: {seconds} s — {out}")
        Path(path).unlink()

    class Rollback(Exception):
        pass

    def match_rolled_back(ds) -> float:
        """One matching, undone (the hits, the audit event): a repeat on the same state."""
        started = time.perf_counter()
        try:
            with transaction.atomic():
                matching.match_dataset(ds)
                elapsed = time.perf_counter() - started
                raise Rollback
        except Rollback:
            return round(elapsed, 3)

    def plain_join(ds) -> float:
        with connection.cursor() as cursor:
            seconds, _count = timed(lambda: (cursor.execute(
                "SELECT COUNT(*) FROM comparison_externalrecord r JOIN registry_member m "
                "ON m.id_number = r.id_number JOIN registry_household h ON h.id = m.household_id "
                "WHERE r.dataset_id = %s AND m.active AND h.status <> 'removed'", [ds.pk]), cursor.fetchone())[1])
        return seconds

    results["match_s"], results["hits"], results["plain_join_s"] = {}, {}, {}
    for kind, ds in datasets.items():
        runs = [match_rolled_back(ds) for _ in range(args.repeat - 1)]
        seconds, counts = timed(lambda ds=ds: matching.match_dataset(ds))  # the last one stays
        runs.append(seconds)
        joins = [plain_join(ds) for _ in range(args.repeat)]
        results["match_s"][kind] = {"runs": runs, "median": statistics.median(runs), "min": min(runs)}
        results["plain_join_s"][kind] = {"runs": joins, "median": statistics.median(joins), "min": min(joins)}
        results["hits"][kind] = {k: v for k, v in counts.items() if k != "seconds"}
        say(f"match {kind}: {runs} s {counts} (plain COUNT of the join: {joins} s)")
    seconds, counts = timed(lambda: matching.match_dataset(datasets["vehicle"]))
    results["rematch_vehicle_s"] = seconds
    say(f"match vehicles again: {seconds} s {counts}")

    everything = Scope([""])
    runs = []
    for _ in range(args.repeat):
        seconds, link = timed(lambda: reports.linkage(everything, datasets["dibao"]))
        runs.append(seconds)
    results["linkage_s"] = {"runs": runs, "median": statistics.median(runs), "min": min(runs)}
    seconds = runs
    results["linkage"] = {"counts": link.counts, "rates": {k: str(v) for k, v in link.rates.items()}}
    say(f"linkage: {seconds} s {link.counts} {link.rates}")
    out = work / "linkage.xlsx"
    seconds, rows = timed(lambda: reports.write_linkage(out, link))
    results["linkage_export_s"] = seconds
    results["linkage_export_rows"] = rows
    say(f"linkage export: {seconds} s, {rows} rows")
    runs = []
    for _ in range(args.repeat):
        seconds, rows = timed(lambda: reports.summary(Hit.objects.all()))
        runs.append(seconds)
    results["summary_form_s"] = {"runs": runs, "median": statistics.median(runs), "min": min(runs)}
    seconds = runs
    results["summary_form_rows"] = len(rows)
    say(f"statistics form: {seconds} s, {len(rows)} rows")
    results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    (Path(args.work_dir) / "comparison_results.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    from django.db import connections

    connections.close_all()
    if not args.keep_db and not args.reuse:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
