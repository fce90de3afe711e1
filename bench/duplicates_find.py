"""Benchmark of the possible-duplicates search (``registry.duplicates``) at province scale, on PostgreSQL.

    # a database kept by bench/registry_import.py (--setup-only, then `fupin import_registry` of
    # its province.csv; or --keep-db), or --build to make one:
    FUPIN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fupin_dupbench \\
        .venv/bin/python bench/duplicates_find.py --db-name fupin_dupbench --work-dir var/bench/dup \\
        [--build] [--names generated|realistic] [--twins 0.002] [--sample 50] [--explain]

It measures, in-process (Django on the benchmark database), in this order:

1. ``duplicates.find`` over one township, one county (by default the county with the most
   members and its largest township) and the whole province, each the first search of its
   area (no pair stored yet; rolled back afterwards), with the load average before each;
2. ``duplicates.find_for_members`` for one member at a time — what a member's save runs in
   ``add_member``/``update_member`` — on three samples of ``--sample`` members each: drawn at
   random, drawn among the members with the commonest names, and the twins (below); each call
   in a transaction rolled back; p50/p95/max;
3. the province once more, committed (the pairs are stored, as after the job an import
   queues), and again (every pair already stored: the search of the page run once more);
4. step 2 again, the pairs stored;
5. with ``--explain``: ``EXPLAIN (ANALYZE, BUFFERS)`` of the ``INSERT … SELECT`` statements of
   the province's and the township's first search and of the per-member statements of the
   slowest member of step 2's random sample, written to <work-dir>/duplicates_explain.txt.

The names. ``bench/registry_import.py`` draws a surname among 47, uniformly, and one or two
given-name characters among 50, uniformly: no name is much commoner than another (the
commonest full names come out about 130 times in 1,000,000) and no village has a clan
surname. ``--names realistic`` rewrites every member's name (and its pinyin) before measuring:
surnames by their approximate national shares (王 7.1 %, 李 7.0 %, 张 6.7 %, 刘 5.1 %, …);
every village a clan surname (drawn by the same shares) carried by half of its households;
a tenth of the given names from lists of frequent ones (59 for men: 伟, 强, 磊, 军 …; 58 for
women: 芳, 娜, 敏, 静, 秀英 …; by rank⁻¹), the rest one or two characters of 117 name characters
(four of them listed twice),
brothers and sisters sharing a generation character (字辈) more often than not. The commonest
names then come out several hundred times (张伟, 王伟, 刘伟, 王芳 …: a few times the national
rate of 张伟, about 0.02 %, as a countryside of older people with clan villages has more
namesakes). ``--names generated`` puts the generator's names back (they are kept in the table
``bench_names`` the first time names are rewritten).

The twins. Neither generator registers anyone twice, so the search would find nothing to
store. ``--twins F`` (default 0.002) adds F × members registrations of people already
registered, without an ID number (table ``bench_twins``, removed again on the next run): two
thirds the same name and birth date in another household of the same village, one third a
homophone of the name (one character swapped for another with the same pinyin: 伟/玮,
芳/方 …) with the same birth date in another village of the same township — the two kinds of
pair the search is for. Pairs of namesakes the generator makes by chance are found as well.

Each run starts by emptying the queue of pairs and putting the names and twins asked for in
place; the database is left as the run leaves it (names, twins, the pairs of step 3). Results
go to stdout and to <work-dir>/duplicates.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import registry_import as base  # noqa: E402  (machine(), pct(), run(), FUPIN)

PROVINCE = base.PROVINCE

# --- realistic names ---------------------------------------------------------------------------

# Approximate shares (‰) of the commonest surnames in the national ranking (2020 census and the
# Ministry of Public Security's yearly name reports); the rest of the generator's 47 share what
# is left evenly.
SURNAME_SHARES = {
    "王": 71, "李": 70, "张": 67, "刘": 51, "陈": 46, "杨": 32, "黄": 25, "赵": 23, "吴": 21, "周": 20,
    "徐": 15, "孙": 14, "马": 13, "朱": 13, "胡": 12, "郭": 12, "何": 10, "林": 10, "高": 10, "罗": 9,
    "郑": 8, "梁": 8, "谢": 7, "宋": 7, "唐": 6, "许": 6, "韩": 6, "冯": 5, "邓": 5, "曹": 5,
}
MALE_FREQUENT = ("伟 强 磊 军 勇 杰 涛 明 超 平 刚 辉 华 斌 波 建华 建国 国强 志强 建平 国华 文 海 林 峰 鹏 亮 "
                 "红兵 小平 春生 水生 金生 福生 冬生 根生 建军 卫东 志明 永红 德明 国平 建新 文华 新华 小明 "
                 "俊 浩 宇 鑫 龙 斌斌 金华 桂生 火生 细毛 小军 国庆 建民 春华").split()
FEMALE_FREQUENT = ("芳 娜 敏 静 秀英 丽 艳 娟 霞 秀兰 桂英 玉兰 燕 红 梅 萍 玲 秀珍 凤英 桂兰 冬梅 小红 "
                   "春花 金花 秀梅 玉英 丽华 淑珍 秀华 桂香 小英 美华 月英 菊英 兰英 冬英 春梅 秀云 "
                   "丽娟 海燕 红梅 小燕 雪梅 金凤 玉梅 秀琴 素珍 爱华 爱英 婷 丹 慧 琴 莉 洁 颖 倩 晶").split()
NAME_CHARACTERS = list("国华明建平秀英桂兰玉珍文军伟芳丽强磊洋勇艳杰娟涛超霞鹏辉春燕红梅小金水生福德贵荣海林凤云志永亮"
                       "新立清正长家宏振嘉佳俊晓海安冬庆祥发根才树宝凤香菊莲翠彩花美爱丹婷慧琴晶雪梦欣怡雨"
                       "思子天宇浩轩博文诗涵泽一鑫龙飞腾兴旺富有德昌盛茂恒远忠孝仁义礼智信")
FREQUENT_SHARE = 0.10  # the share of given names drawn from the frequent lists (by rank⁻¹)
CLAN_SHARE = 0.5  # the share of a village's households carrying its clan surname
GENERATION_SHARE = 0.6  # how often brothers and sisters share a generation character

# Characters pronounced alike, for the homophone twins (their pinyin is checked when used).
HOMOPHONES = "伟玮炜维薇 芳方 丽莉利李 静晶菁 敏民 军君钧 娟涓 霞侠 燕艳 红宏洪鸿 萍平苹 玲铃 华桦 明鸣 建健 英瑛 兰岚 " \
             "珍贞 文雯 洋阳 勇永 杰洁 涛韬 鹏朋 辉晖 春椿 梅玫 福富 贵桂 荣蓉 林琳霖 凤峰锋 云芸 志智 亮靓 强蔷 " \
             "秀绣 金今 生升 国果 新欣 海 丹 婷亭 慧惠 琴芹勤 雪 俊峻 浩昊 宇雨羽 鑫 龙隆 斌彬 波 刚钢 平萍"
SEX_MALE = "1"
OWN_SURNAME_RELATIONS = {"01", "03", "04", "07", "08", "11", "17", "18", "19"}  # head, children, grandchildren, …


def _weights() -> tuple[list[str], list[float]]:
    surnames = list(dict.fromkeys([*SURNAME_SHARES, *base.SURNAMES]))
    rest = [s for s in surnames if s not in SURNAME_SHARES]
    left = 1000 - sum(SURNAME_SHARES.values())
    return surnames, [SURNAME_SHARES.get(s, left / max(len(rest), 1)) for s in surnames]


def realistic_names(rows: list[tuple], seed: int) -> dict[int, str]:
    """Names for ``rows`` (id, household id, village code, relation, sex), ordered by household."""
    rng = random.Random(seed)
    surnames, weights = _weights()
    frequent = {True: MALE_FREQUENT, False: FEMALE_FREQUENT}
    rank_weights = {k: [1 / (i + 1) for i in range(len(v))] for k, v in frequent.items()}
    clans: dict[str, str] = {}
    out: dict[int, str] = {}
    household, family, generation = None, "", ""
    for pk, household_id, village, relation, sex in rows:
        if household_id != household:
            household = household_id
            clan = clans.setdefault(village, rng.choices(surnames, weights)[0])
            family = clan if rng.random() < CLAN_SHARE else rng.choices(surnames, weights)[0]
            generation = rng.choice(NAME_CHARACTERS)
        surname = family if relation in OWN_SURNAME_RELATIONS else rng.choices(surnames, weights)[0]
        male = sex == SEX_MALE
        if rng.random() < FREQUENT_SHARE:
            given = rng.choices(frequent[male], rank_weights[male])[0]
        elif relation in {"03", "04", "07", "08"} and rng.random() < GENERATION_SHARE:
            given = generation + rng.choice(NAME_CHARACTERS)
        else:
            given = rng.choice(NAME_CHARACTERS) + (rng.choice(NAME_CHARACTERS) if rng.random() < 0.75 else "")
        out[pk] = surname + given
    return out


def homophone_table(pinyin_of) -> dict[str, list[str]]:
    """Each character of HOMOPHONES: the others of its group read exactly alike."""
    table: dict[str, list[str]] = {}
    for group in HOMOPHONES.split():
        for c in group:
            same = [o for o in group if o != c and pinyin_of(o) == pinyin_of(c)]
            if same:
                table[c] = same
    return table


# --- preparing the database ----------------------------------------------------------------------

def build(args, env: dict, work: Path) -> dict:
    """bench/registry_import.py --setup-only, then the import of its province file."""
    started = time.perf_counter()
    base.run([sys.executable, str(ROOT / "bench" / "registry_import.py"), "--setup-only", "--db-name",
              args.db_name, "--work-dir", str(work), "--members", str(args.members)], env)
    imported = base.run([str(base.FUPIN), "import_registry", str(work / "province.csv"), "--quiet-progress"],
                        {**env, "FUPIN_TASKS_BACKEND": "django.tasks.backends.dummy.DummyBackend"})
    return {"seconds": round(time.perf_counter() - started, 1), "import": imported["stdout"][-300:]}


def prepare(conn, names: str, twins: float, seed: int) -> dict:
    """Put the names asked for and the twins in place (module docstring); empty the pairs."""
    from fupin.registry.rules import pinyin_of

    out: dict = {"names": names}
    started = time.perf_counter()
    conn.execute("DELETE FROM registry_duplicatecandidate")
    conn.execute("CREATE TABLE IF NOT EXISTS bench_twins (id bigint PRIMARY KEY)")
    conn.execute("DELETE FROM registry_member WHERE id IN (SELECT id FROM bench_twins)")
    conn.execute("TRUNCATE bench_twins")
    conn.execute("CREATE TABLE IF NOT EXISTS bench_state (key text PRIMARY KEY, value text)")
    current = conn.execute("SELECT value FROM bench_state WHERE key = 'names'").fetchone()
    rewritten = False
    if names != (current[0] if current else "generated"):
        if not conn.execute("SELECT to_regclass('bench_names') IS NOT NULL").fetchone()[0]:
            conn.execute("CREATE TABLE bench_names AS SELECT id, name, name_pinyin FROM registry_member")
        if names == "generated":
            conn.execute("UPDATE registry_member m SET name = b.name, name_pinyin = b.name_pinyin "
                         "FROM bench_names b WHERE b.id = m.id")
        else:
            rows = conn.execute("SELECT id, household_id, SUBSTR(area_code, 1, 12), relation, sex FROM registry_member "
                                "ORDER BY household_id, id").fetchall()
            new = realistic_names(rows, seed)
            conn.execute("CREATE TEMP TABLE bench_new_names (id bigint, name text, name_pinyin text) ON COMMIT DROP")
            with conn.cursor().copy("COPY bench_new_names FROM STDIN") as cp:
                for pk, name in new.items():
                    cp.write_row((pk, name, pinyin_of(name)[:120]))
            conn.execute("UPDATE registry_member m SET name = n.name, name_pinyin = n.name_pinyin "
                         "FROM bench_new_names n WHERE n.id = m.id")
        conn.execute("INSERT INTO bench_state VALUES ('names', %s) ON CONFLICT (key) DO UPDATE SET value = %s",
                     [names, names])
        rewritten = True
    out["twins"] = add_twins(conn, twins, seed, pinyin_of) if twins else {}
    conn.commit()
    # every row rewritten: pack the table again as the import left it (autovacuum is off on the
    # benchmark server, and a table twice its size would be read twice as long)
    conn.autocommit = True
    conn.execute("VACUUM FULL registry_member" if rewritten else "VACUUM registry_member")
    conn.autocommit = False
    conn.execute("ANALYZE registry_member")
    conn.execute("ANALYZE registry_duplicatecandidate")
    conn.commit()
    out["seconds"] = round(time.perf_counter() - started, 1)
    out["distinct_names"], out["distinct_pinyin"] = conn.execute(
        "SELECT COUNT(DISTINCT name), COUNT(DISTINCT name_pinyin) FROM registry_member WHERE active").fetchone()
    out["commonest_names"] = conn.execute(
        "SELECT name, COUNT(*) FROM registry_member WHERE active GROUP BY name ORDER BY 2 DESC, 1 LIMIT 8").fetchall()
    return out


def add_twins(conn, share: float, seed: int, pinyin_of) -> dict:
    rng = random.Random(seed + 7)
    homophones = homophone_table(pinyin_of)
    rows = conn.execute("SELECT id, household_id, area_code, name FROM registry_member WHERE active "
                        "ORDER BY id").fetchall()
    by_village: dict[str, list[tuple]] = defaultdict(list)
    by_township: dict[str, list[tuple]] = defaultdict(list)
    for row in rows:
        by_village[row[2][:12]].append(row)
        by_township[row[2][:9]].append(row)
    wanted = int(len(rows) * share)
    made, kinds = [], Counter()
    for pk, household_id, code, name in rng.sample(rows, min(len(rows), wanted * 2)):
        if len(made) >= wanted:
            break
        if rng.random() < 2 / 3:  # the same name and birth date in another household of the village
            others = [r for r in rng.sample(by_village[code[:12]], min(8, len(by_village[code[:12]])))
                      if r[1] != household_id]
            if others:
                made.append((pk, others[0][1], others[0][2], name))
                kinds["same_name_village"] += 1
            continue
        places = [i for i, c in enumerate(name) if c in homophones]
        others = [r for r in rng.sample(by_township[code[:9]], min(8, len(by_township[code[:9]])))
                  if r[2][:12] != code[:12]]
        if places and others:
            i = rng.choice(places)
            variant = name[:i] + rng.choice(homophones[name[i]]) + name[i + 1:]
            made.append((pk, others[0][1], others[0][2], variant))
            kinds["homophone_township"] += 1
    columns = [r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'registry_member' "
        "ORDER BY ordinal_position").fetchall()]
    replaced = {"id", "household_id", "area_code", "name", "name_pinyin", "id_number", "id_rev", "no_id_reason",
                "relation", "created_at", "updated_at"}
    kept = [c for c in columns if c not in replaced]
    conn.execute("CREATE TEMP TABLE bench_twin_rows (src bigint, household_id bigint, area_code text, name text, "
                 "name_pinyin text) ON COMMIT DROP")
    with conn.cursor().copy("COPY bench_twin_rows FROM STDIN") as cp:
        for src, household_id, code, name in made:
            cp.write_row((src, household_id, code, name, pinyin_of(name)[:120]))
    conn.execute(f"""
        WITH added AS (
            INSERT INTO registry_member (household_id, area_code, name, name_pinyin, id_number, id_rev, no_id_reason,
                                         relation, created_at, updated_at, {", ".join(kept)})
            SELECT t.household_id, t.area_code, t.name, t.name_pinyin, NULL, '', '3', '20', NOW(), NOW(),
                   {", ".join("m." + c for c in kept)}
            FROM bench_twin_rows t JOIN registry_member m ON m.id = t.src
            RETURNING id)
        INSERT INTO bench_twins SELECT id FROM added""")
    return {"added": len(made), **kinds}


# --- measuring (Django in-process) ------------------------------------------------------------------

def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def area_run(label: str, code: str, *, keep: bool = False) -> dict:
    """``duplicates.find`` over the area ``code``, rolled back unless ``keep``."""
    from django.db import transaction

    from fupin.areas.models import Area
    from fupin.core.actor import Actor
    from fupin.registry import duplicates

    actor = Actor.system("job")  # what the job after an import runs as ("bench" is no system channel)
    area = Area.objects.get(code=code.ljust(12, "0"), valid_to__isnull=True)
    before = load()
    with transaction.atomic():
        started = time.perf_counter()
        counts = duplicates.find(actor, area)
        seconds = time.perf_counter() - started
        if not keep:
            transaction.set_rollback(True)
    result = {"area": f"{area.code} {area.name}", "seconds": round(seconds, 2), "pairs": counts,
              "load_before": before}
    print(label, json.dumps(result, ensure_ascii=False), flush=True)
    return result


def member_runs(sample: int, seed: int) -> dict:
    from django.db import connection, transaction
    from django.db.models import Count

    from fupin.core.actor import Actor
    from fupin.registry import duplicates
    from fupin.registry.models import DuplicateCandidate, Member

    rng = random.Random(seed + 11)
    actor = Actor.system("job")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM bench_twins ORDER BY id")
        twins = [r[0] for r in cursor.fetchall()]
        cursor.execute("SELECT MAX(id) FROM registry_member")
        top = cursor.fetchone()[0]
    common = list(Member.objects.filter(active=True).values("name").annotate(n=Count("id")).order_by("-n")
                  .values_list("name", flat=True)[:sample])
    samples = {"random": [], "commonest_names": [], "twins": rng.sample(twins, min(sample, len(twins)))}
    while len(samples["random"]) < sample:  # ids are dense: draw until active members are found
        pks = set(Member.objects.filter(active=True, pk__in=[rng.randint(1, top) for _ in range(sample)])
                  .values_list("pk", flat=True))
        samples["random"] += sorted(pks)[: sample - len(samples["random"])]
    samples["commonest_names"] = [Member.objects.filter(active=True, name=n).order_by("?").values_list(
        "pk", flat=True)[0] for n in common]
    out = {"load_before": load(), "pairs_stored": DuplicateCandidate.objects.count()}
    for label, pks in samples.items():
        times, pairs = [], 0
        for pk in pks:
            member = Member.objects.get(pk=pk)
            with transaction.atomic():
                started = time.perf_counter()
                counts = duplicates.find_for_members(actor, [member])
                times.append((time.perf_counter() - started) * 1000)
                pairs += sum(counts.values())
                transaction.set_rollback(True)
        slowest = pks[times.index(max(times))] if times else None
        out[label] = {"n": len(times), "p50_ms": round(base.pct(times, 50), 1) if times else None,
                      "p95_ms": round(base.pct(times, 95), 1) if times else None,
                      "max_ms": round(max(times), 1) if times else None, "new_pairs_found": pairs,
                      "slowest_member": slowest}
        print(label, json.dumps(out[label], ensure_ascii=False), flush=True)
    out["load_after"] = load()
    return out


def explain(path: Path, township: str, member_pk: int | None) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements that store pairs: those of the province's
    and the township's search (each on an empty queue, rolled back) and those of one member's."""
    from django.db import connection, transaction

    from fupin.areas.models import Area
    from fupin.core.actor import Actor
    from fupin.registry import duplicates
    from fupin.registry.models import DuplicateCandidate, Member

    candidate = connection.ops.quote_name(DuplicateCandidate._meta.db_table)
    lines: list[str] = []

    def wrapper(execute, sql, params, many, context):
        if not sql.startswith(f"INSERT INTO {candidate}"):
            return execute(sql, params, many, context)
        started = time.perf_counter()
        result = execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params, many, context)
        lines.extend(["", f"-- {sql}", f"-- parameters: {params}", f"-- {time.perf_counter() - started:.2f} s"])
        lines.extend(r[0] for r in context["cursor"].fetchall())
        return result

    class Rollback(Exception):
        pass

    def area(code: str):
        return lambda: duplicates.find(Actor.system("job"), Area.objects.get(code=code.ljust(12, "0"),
                                                                              valid_to__isnull=True))

    runs = [(f"province {PROVINCE}", area(PROVINCE)), (f"township {township}", area(township))]
    if member_pk is not None:
        runs.append((f"member {member_pk}", lambda: duplicates.find_for_members(
            Actor.system("job"), Member.objects.filter(pk=member_pk))))
    for title, run in runs:
        lines += ["", f"=== {title} (load {load()})"]
        try:
            with transaction.atomic(), connection.execute_wrapper(wrapper):
                if not title.startswith("member"):
                    with connection.cursor() as cursor:  # the search of an empty queue, as after an import
                        cursor.execute(f"DELETE FROM {candidate}")
                run()
                raise Rollback
        except Rollback:
            pass
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"plans written to {path}")


def largest_areas(conn) -> tuple[str, str]:
    county = conn.execute("SELECT SUBSTR(area_code, 1, 6) FROM registry_member WHERE active GROUP BY 1 "
                          "ORDER BY COUNT(*) DESC, 1 LIMIT 1").fetchone()[0]
    township = conn.execute("SELECT SUBSTR(area_code, 1, 9) FROM registry_member WHERE active AND area_code LIKE %s "
                            "GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1", [county + "%"]).fetchone()[0]
    return county, township


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db-name", default="fupin_dupbench")
    parser.add_argument("--work-dir", default=str(ROOT / "var" / "bench" / "dup"),
                        help="the work directory of the registry_import.py run that made the database")
    parser.add_argument("--build", action="store_true",
                        help="make the database first (registry_import.py --setup-only, then the import) when it "
                             "holds no members")
    parser.add_argument("--members", type=int, default=1_000_000, help="with --build")
    parser.add_argument("--names", choices=["generated", "realistic"], default="generated")
    parser.add_argument("--twins", type=float, default=0.002, help="share of members registered twice (0: none)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sample", type=int, default=50, help="members of each per-member sample")
    parser.add_argument("--county", help="county code (6 digits); default: the one with the most members")
    parser.add_argument("--township", help="township code (9 digits); default: the county's largest")
    parser.add_argument("--skip-areas", action="store_true", help="only the per-member search (and --explain)")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()

    url = os.environ.get("FUPIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fupin")
    parts = urlparse(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit("The benchmark runs on PostgreSQL: set FUPIN_DATABASE_URL to a postgres:// URL.")
    bench_url = urlunparse(parts._replace(path="/" + args.db_name))
    work = Path(args.work_dir)
    env = {**os.environ, "FUPIN_DATABASE_URL": bench_url, "FUPIN_DATA_DIR": str(work / "data"),
           "DJANGO_SETTINGS_MODULE": "fupin.settings"}
    result: dict = {"started": dt.datetime.now().isoformat(timespec="seconds"), "load_at_start": load(),
                    "args": vars(args)}
    with psycopg.connect(urlunparse(parts._replace(path="/postgres")), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.db_name]).fetchone()
    members = 0
    if exists:
        with psycopg.connect(bench_url) as conn:
            members = conn.execute("SELECT COUNT(*) FROM registry_member").fetchone()[0] if conn.execute(
                "SELECT to_regclass('registry_member') IS NOT NULL").fetchone()[0] else 0
    if not members:
        if not args.build:
            sys.exit(f"{args.db_name} holds no members: run with --build, or keep one from bench/registry_import.py.")
        result["build"] = build(args, env, work)
    os.environ.update({k: env[k] for k in ("FUPIN_DATABASE_URL", "FUPIN_DATA_DIR", "DJANGO_SETTINGS_MODULE")})
    import django

    django.setup()
    result["machine"] = base.machine(bench_url)
    with psycopg.connect(bench_url) as conn:
        result["prepare"] = prepare(conn, args.names, args.twins, args.seed)
        print(json.dumps(result["prepare"], ensure_ascii=False), flush=True)
        county, township = largest_areas(conn)
        result["members"] = conn.execute("SELECT COUNT(*) FROM registry_member WHERE active").fetchone()[0]
    county, township = args.county or county, args.township or township
    find, per_member = result["find"], result["find_for_members"] = {}, {}
    if not args.skip_areas:  # each the first search of its area: the queue emptied by prepare()
        find["township"] = area_run("township", township)
        find["county"] = area_run("county", county)
        find["province"] = area_run("province", PROVINCE)
    per_member["queue_empty"] = member_runs(args.sample, args.seed)
    if not args.skip_areas:
        find["province_stored"] = area_run("province, committed", PROVINCE, keep=True)
        find["province_again"] = area_run("province again", PROVINCE)
        per_member["pairs_stored"] = member_runs(args.sample, args.seed)
    if args.explain:
        explain(work / "duplicates_explain.txt", township, per_member["queue_empty"]["random"]["slowest_member"])
    result["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    (work / "duplicates.json").write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    print(json.dumps(result, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
