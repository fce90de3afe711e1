"""Benchmark of the registry exchange at province scale, on PostgreSQL.

    FUPIN_DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/fupin \\
        .venv/bin/python bench/registry_import.py [--members 1000000] [--keep-db]

(``make bench`` runs exactly this.) It creates a dedicated database (``fupin_bench``
on the same server, dropped at the end unless --keep-db), migrates it, loads the real
divisions of 江西省 (36) and synthetic villages and village groups under its 1,581
real townships, then generates a province file in the flat national exchange format:
by default 1,000,000 members in about 330,000 households with realistic values (valid
ID numbers with correct check digits, birth dates consistent with the relation to the
head, code labels, status histories), and a second variant with a few percent of bad
rows. Then it measures:

1. raw ``COPY`` of the same CSV into an unindexed table of text columns (the physical
   limit of getting these bytes into the database);
2. ``fupin import_registry`` of the good file into the empty registry: wall time and
   peak memory (maxrss of the importing process, from wait4);
3. the error variant against the loaded registry: time to refuse, errors reported,
   and that nothing changed;
4. re-importing the good file (every household matched, nothing changes);
5. ``fupin export_registry`` of the province to CSV;
6. search latency (queries.search_households: name, full ID number, last 4 digits,
   household number; 200 queries each for a province-wide and a county scope), p50/p95;
7. the statistics page (if it exists) or else a count by status and township. The set-up
   gives every village profiles (``VillageProfile``, years 2014–2020, a plausible rural
   registered population; 1 % of the villages never profiled and 4 % only from 2017), so
   the page's incidence rate does its real work: each village's latest profile, and the poor
   people of the villages it leaves out in every year of its table.

Results go to stdout and to <work-dir>/results.json (default var/bench/registry_import/).
``--stats-only`` measures only the statistics page (7) on a database a previous run kept
(``--setup-only``, then ``fupin import_registry`` of its province.csv, or ``--keep-db``) and
writes <work-dir>/stats.json.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
from stdnum.cn import ric

ROOT = Path(__file__).resolve().parent.parent
FUPIN = ROOT / ".venv" / "bin" / "fupin"
sys.path.insert(0, str(ROOT / "src"))

from fupin.registry import exchange  # noqa: E402  (pure data: no Django setup needed)

PROVINCE = "36"  # 江西省
VILLAGES_PER_TOWNSHIP = 10
GROUPS_PER_VILLAGE = 3

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢钟廖邹熊")
GIVEN = list("国华明建平秀英桂兰玉珍文军伟芳丽强磊洋勇艳杰娟涛超霞鹏辉春燕红梅小金水生福德贵荣海林凤云志永亮")
BANKS = ["中国农业银行", "江西农商银行", "中国邮政储蓄银行", "中国建设银行", "中国工商银行"]
SCHOOL_BY_AGE = {3: "学前教育", 4: "学前教育", 5: "学前教育", 6: "小学一年级", 7: "小学二年级", 8: "小学三年级",
                 9: "小学四年级", 10: "小学五年级", 11: "小学六年级", 12: "七年级", 13: "八年级", 14: "九年级",
                 15: "高中一年级", 16: "高中二年级", 17: "高中三年级"}
AS_OF = dt.date(2020, 12, 31)


def pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def labels(name: str) -> list[str]:
    import json as _json

    data = _json.loads((ROOT / "src/fupin/registry/data/codes.json").read_text(encoding="utf-8"))
    return [e["zh"] for e in data[name]]


# --- the synthetic province ------------------------------------------------------------------

class Generator:
    def __init__(self, seed: int, villages: list[tuple[str, str, list[str]]]):
        self.rng = random.Random(seed)
        self.villages = villages  # (village code, village name, [group codes])
        self.id_counter: dict[tuple[str, dt.date], int] = {}
        self.causes = labels("cause")
        self.samples = {"name": [], "id": [], "number": []}

    def id_number(self, county: str, birth: dt.date, male: bool) -> str:
        key = (county, birth)
        n = self.id_counter.get(key, 0)
        self.id_counter[key] = n + 1
        seq = (n * 2 + (1 if male else 0)) % 1000
        body = f"{county}{birth:%Y%m%d}{seq:03d}"
        return body + ric.calc_check_digit(body + "0")

    def birth(self, year_from: int, year_to: int) -> dt.date:
        year = self.rng.randint(year_from, max(year_from, year_to))
        return dt.date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))

    def name(self, surname: str | None = None) -> str:
        rng = self.rng
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.75 else "")
        return (surname or rng.choice(SURNAMES)) + given

    def household(self, number: str, area: str, village_name: str) -> dict:
        rng = self.rng
        status = pick(rng, [("已脱贫（不再享受政策）", 30), ("已脱贫（享受政策）", 55), ("贫困户（未脱贫）", 10),
                            ("返贫", 3), ("识别中", 2)])
        identified = rng.randint(2014, 2016)
        exit_year = rng.randint(max(identified + 1, 2016), 2020) if "已脱贫" in status or status == "返贫" else None
        category = pick(rng, [("一般贫困户", 75), ("低保贫困户", 20), ("特困供养贫困户", 5)])
        causes = rng.sample(self.causes[:11], 3)
        danger = pick(rng, [("", 88), ("A级", 3), ("B级", 4), ("C级（局部危险）", 3), ("D级（整体危险）", 2)])
        relocated = rng.random() < 0.08
        status_date = {"贫困户（未脱贫）": dt.date(identified, 10, rng.randint(1, 28)),
                       "识别中": dt.date(2020, 11, rng.randint(1, 28))}.get(
            status, dt.date(exit_year or 2020, 12, rng.randint(1, 28)))
        if status == "返贫":
            status_date = dt.date(2020, rng.randint(1, 11), rng.randint(1, 28))
        return {
            "户编号": number, "区划代码": area, "家庭住址": f"{village_name}{rng.randint(1, 300)}号",
            "联系电话": f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}" if rng.random() < 0.7 else "",
            "开户银行": rng.choice(BANKS), "银行账号": f"62{rng.randint(0, 10**17 - 1):017d}",
            "贫困户属性": category, "识别标准": pick(rng, [("国家扶贫标准", 90), ("省定扶贫标准", 10)]),
            "主要致贫原因": causes[0], "其他致贫原因1": causes[1] if rng.random() < 0.5 else "",
            "其他致贫原因2": causes[2] if rng.random() < 0.2 else "",
            "住房面积": f"{rng.randint(60, 320) / 2:g}", "住房结构": pick(rng, [("砖混", 50), ("砖木", 25), ("钢混", 10),
                                                                          ("土木", 12), ("其他", 3)]),
            "危房等级": danger, "危房改造年份": str(rng.randint(2015, 2020)) if danger else "",
            "是否饮水困难": "否" if rng.random() < 0.95 else "是", "是否饮水安全": "是" if rng.random() < 0.97 else "否",
            "是否通生活用电": "是", "是否易地扶贫搬迁": "是" if relocated else "否",
            "搬迁方式": rng.choice(["集中安置", "分散安置"]) if relocated else "",
            "安置地点": f"{village_name[:2]}安置点" if relocated else "",
            "是否有卫生厕所": "是" if rng.random() < 0.9 else "否", "距主干路距离": f"{rng.randint(0, 150) / 10:g}",
            "耕地面积": f"{rng.randint(0, 800) / 100:g}", "有效灌溉面积": f"{rng.randint(0, 400) / 100:g}",
            "林地面积": f"{rng.randint(0, 3000) / 100:g}", "退耕还林面积": f"{rng.randint(0, 200) / 100:g}",
            "是否加入农民专业合作社": "是" if rng.random() < 0.6 else "否", "识别年度": str(identified),
            "计划脱贫年度": str(rng.randint(identified + 1, 2020)), "脱贫年度": str(exit_year) if exit_year else "",
            "返贫年度": "2020" if status == "返贫" else "", "返贫原因": "因病返贫" if status == "返贫" else "",
            "贫困户状态": status, "状态日期": status_date.isoformat(),
        }

    def member(self, county: str, relation: str, birth: dt.date, male: bool, name: str, category: str) -> dict:
        rng = self.rng
        age = AS_OF.year - birth.year
        no_id = (age <= 1 and rng.random() < 0.5) or rng.random() < 0.002
        health = pick(rng, [("健康", 80), ("长期慢性病", 10), ("患有大病", 4), ("残疾", 6)])
        school = SCHOOL_BY_AGE.get(age, "非在校生")
        if age < 16 or age > 70:
            labour = "无劳动力"
        else:
            labour = pick(rng, [("普通劳动力", 60), ("技能劳动力", 15), ("弱劳动力或半劳动力", 15), ("丧失劳动力", 10)])
        if school != "非在校生" and school != "学前教育":
            work, place, months = "在校", "", ""
        elif labour in ("普通劳动力", "技能劳动力"):
            work = pick(rng, [("务工", 45), ("务农", 40), ("公益岗位", 8), ("个体经营", 7)])
            place = pick(rng, [("乡（镇）内", 25), ("县内乡外", 25), ("省内县外", 20), ("省外", 30)]) if work == "务工" else ""
            months = str(rng.randint(3, 12)) if work == "务工" else ""
        else:
            work, place, months = ("无业" if age >= 16 else ""), "", ""
        education = ("学龄前儿童" if age < 6 else "小学" if age < 12 else "初中" if age < 15 else
                     pick(rng, [("文盲或半文盲", 10), ("小学", 35), ("初中", 40), ("高中", 10), ("中专", 3),
                                ("大专及以上", 2)]))
        return {
            "姓名": name, "证件号码": "" if no_id else self.id_number(county, birth, male),
            "无证件原因": ("新生儿尚未办证" if age <= 1 else "未落户") if no_id else "",
            "性别": "男" if male else "女", "出生日期": birth.isoformat(), "与户主关系": relation,
            "民族": "汉族" if rng.random() < 0.98 else "畲族", "文化程度": education, "在校生状况": school,
            "健康状况": health, "残疾等级": rng.choice(["一级", "二级", "三级", "四级"]) if health == "残疾" else "",
            "劳动技能": labour, "务工状况": work, "务工区域": place, "务工时间（月）": months,
            "成员联系电话": f"13{rng.randint(0, 999999999):09d}" if age >= 18 and rng.random() < 0.3 else "",
            "是否参加城乡居民基本医疗保险": "是" if rng.random() < 0.99 else "否",
            "是否参加大病保险": "是" if rng.random() < 0.97 else "否",
            "是否参加城乡居民基本养老保险": "是" if age >= 16 and rng.random() < 0.9 else "否",
            "是否享受低保": "是" if category == "低保贫困户" else "否",
            "是否特困供养": "是" if category == "特困供养贫困户" else "否",
        }

    def members(self, county: str, size: int, category: str) -> list[dict]:
        rng = self.rng
        surname = rng.choice(SURNAMES)
        head_male = rng.random() < 0.78
        head_birth = self.birth(1936, 1988)
        out = [self.member(county, "户主", head_birth, head_male, self.name(surname), category)]
        if size >= 2 and rng.random() < 0.85:
            spouse_birth = self.birth(head_birth.year - 5, head_birth.year + 6)
            out.append(self.member(county, "配偶", spouse_birth, not head_male, self.name(), category))
        while len(out) < size:
            kind = rng.random()
            if head_birth.year > 1962 and kind < 0.15 and not any(m["与户主关系"] in ("之父", "之母") for m in out):
                male = rng.random() < 0.5
                birth = self.birth(head_birth.year - 35, head_birth.year - 20)
                out.append(self.member(county, "之父" if male else "之母", birth, male, self.name(surname if male else None),
                                       category))
            elif head_birth.year < 1962 and kind < 0.4:
                male = rng.random() < 0.5
                birth = self.birth(head_birth.year + 42, min(head_birth.year + 70, AS_OF.year))
                out.append(self.member(county, "之孙子" if male else "之孙女", birth, male, self.name(surname), category))
            else:
                male = rng.random() < 0.52
                birth = self.birth(head_birth.year + 20, min(head_birth.year + 40, AS_OF.year))
                out.append(self.member(county, "之子" if male else "之女", birth, male, self.name(surname), category))
        return out

    def rows(self, members: int):
        """Households, one list of rows each, until ``members`` members are written."""
        rng = self.rng
        written = 0
        seq: dict[str, int] = {}
        while written < members:
            village, village_name, groups = rng.choice(self.villages)
            seq[village] = seq.get(village, 0) + 1
            number = f"{village}{seq[village]:04d}"
            area = rng.choice(groups) if groups and rng.random() < 0.3 else village
            size = min(members - written, int(pick(rng, [("1", 18), ("2", 24), ("3", 22), ("4", 20), ("5", 10),
                                                          ("6", 6)])))
            household = self.household(number, area, village_name)
            people = self.members(village[:6], size, household["贫困户属性"])
            rows = [{**household, **m} for m in people]
            if len(self.samples["number"]) < 5000 and rng.random() < 0.05:
                self.samples["number"].append(number)
                self.samples["name"].append(people[0]["姓名"])
                ids = [m["证件号码"] for m in people if m["证件号码"]]
                if ids:
                    self.samples["id"].append(ids[0])
            written += size
            yield rows


def write_files(work: Path, villages, members: int, error_rate: float, seed: int) -> dict:
    gen = Generator(seed, villages)
    err = random.Random(seed + 1)
    good_path, bad_path = work / "province.csv", work / "province-errors.csv"
    stats = {"households": 0, "members": 0, "bad_rows": 0}
    recent_ids: list[str] = []
    with good_path.open("w", encoding="utf-8", newline="") as g, bad_path.open("w", encoding="utf-8", newline="") as b:
        good, bad = csv.writer(g), csv.writer(b)
        good.writerow(exchange.HEADERS)
        bad.writerow(exchange.HEADERS)
        for rows in gen.rows(members):
            stats["households"] += 1
            stats["members"] += len(rows)
            for r in rows:
                good.writerow([r.get(h, "") for h in exchange.HEADERS])
            spoiled = [dict(r) for r in rows]
            if err.random() < error_rate * 0.25:  # a household-level error: every row of the household
                kind = err.choice(["village", "disagree", "two_heads"])
                if kind == "village":
                    for r in spoiled:
                        r["区划代码"] = r["区划代码"][:6] + "999999"
                elif kind == "disagree" and len(spoiled) > 1:
                    spoiled[-1]["家庭住址"] += "（另）"
                elif len(spoiled) > 1:
                    spoiled[1]["与户主关系"] = "户主"
                stats["bad_rows"] += 1
            for r in spoiled:
                if err.random() < error_rate * 0.75:
                    kind = err.choice(["check", "date", "label", "required", "duplicate", "birth"])
                    if kind == "check" and r["证件号码"]:
                        r["证件号码"] = r["证件号码"][:17] + ("0" if r["证件号码"][17] != "0" else "1")
                    elif kind == "date" and r["证件号码"]:
                        body = r["证件号码"][:10] + "13" + r["证件号码"][12:17]
                        r["证件号码"] = body + ric.calc_check_digit(body + "0")
                    elif kind == "label":
                        r["民族"] = "火星族"
                    elif kind == "duplicate" and recent_ids:
                        r["证件号码"] = err.choice(recent_ids)
                    elif kind == "birth" and r["证件号码"]:
                        r["出生日期"] = (dt.date.fromisoformat(r["出生日期"]) + dt.timedelta(days=1)).isoformat()
                    else:
                        r["姓名"] = ""
                    stats["bad_rows"] += 1
                if r["证件号码"] and err.random() < 0.01:
                    recent_ids = [*recent_ids[-50:], r["证件号码"]]
                bad.writerow([r.get(h, "") for h in exchange.HEADERS])
    stats["samples"] = gen.samples
    stats["good_bytes"] = good_path.stat().st_size
    return stats


# The village profiles of the set-up: the years, and the share of villages (in hundredths, by a
# hash of the code) never profiled and profiled only from PROFILES_LATE_FROM.
PROFILE_YEARS = (2014, 2020)
PROFILES_NEVER, PROFILES_LATE, PROFILES_LATE_FROM = 1, 4, 2017


def village_profiles(url: str) -> dict:
    """Every village of the province gets a profile for each of PROFILE_YEARS, in one
    set-based INSERT … SELECT: a rural registered population of 800–3,500 (by a hash of the
    code), 1 % less each year (people leave); the whole population 5–15 % more, households
    a third of it, collective income, land. By the hash modulo 100, 1 % of the
    villages have no profile at all and 4 % only from 2017, so that the rate leaves villages
    out (and counts their poor people) in every year of the statistics page's table."""
    table = "registry_villageprofile"
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute(f"""
            INSERT INTO {table} (village_id, area_code, year, households, population, rural_population,
                                 collective_income, arable_mu, forest_mu, main_industries, special_industries,
                                 status, status_year, note)
            SELECT v.id, v.code, y.year,
                   (v.rural * (100 + MOD(v.h, 11)) / 100 * POWER(0.99, y.year - %(first)s))::int / 3,
                   (v.rural * (105 + MOD(v.h, 11)) / 100 * POWER(0.99, y.year - %(first)s))::int,
                   (v.rural * POWER(0.99, y.year - %(first)s))::int,
                   20000 + MOD(v.h, 180000) + (y.year - %(first)s) * 5000, 500 + MOD(v.h, 2500),
                   1000 + MOD(v.h, 19000),
                   '', '', 'none', NULL, ''
            FROM (SELECT a.id, a.code, ('x' || SUBSTR(MD5(a.code), 1, 7))::bit(28)::int AS h,
                         800 + MOD(('x' || SUBSTR(MD5(a.code), 9, 7))::bit(28)::int, 2701) AS rural
                  FROM areas_area a
                  WHERE a.level = 'village' AND a.valid_to IS NULL AND a.code LIKE %(province)s) v
            CROSS JOIN generate_series(%(first)s::int, %(last)s::int) AS y (year)
            WHERE MOD(v.h, 100) >= %(never)s AND (MOD(v.h, 100) >= %(never)s + %(late)s OR y.year >= %(late_from)s)
        """, {"first": PROFILE_YEARS[0], "last": PROFILE_YEARS[1], "province": PROVINCE + "%",
              "never": PROFILES_NEVER, "late": PROFILES_LATE, "late_from": PROFILES_LATE_FROM})
        rows, villages, never = conn.execute(f"""
            SELECT (SELECT COUNT(*) FROM {table}), (SELECT COUNT(DISTINCT village_id) FROM {table}),
                   (SELECT COUNT(*) FROM areas_area a WHERE a.level = 'village' AND a.valid_to IS NULL
                      AND NOT EXISTS (SELECT 1 FROM {table} p WHERE p.village_id = a.id))""").fetchone()
        late = conn.execute(f"SELECT COUNT(*) FROM (SELECT village_id FROM {table} GROUP BY village_id "
                            "HAVING MIN(year) > %s) x", [PROFILE_YEARS[0]]).fetchone()[0]
    return {"rows": rows, "villages_profiled": villages, "villages_never_profiled": never,
            "villages_profiled_late": late, "years": list(PROFILE_YEARS),
            "seconds": round(time.perf_counter() - started, 1)}


# --- running things --------------------------------------------------------------------------------

def _skip_checks(cmd: list[str]) -> list[str]:
    """Django's system checks import every app's URLs: not part of what is measured (and a
    half-edited app elsewhere in the checkout must not stop the benchmark)."""
    return [*cmd, "--skip-checks"] if cmd and cmd[0] == str(FUPIN) else cmd


def run(cmd: list[str], env: dict, *, check: bool = True) -> dict:
    """Run a command (set-up steps): wall time and output."""
    cmd = _skip_checks(cmd)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out}\n{err}")
    return {"seconds": round(wall, 2), "returncode": proc.returncode, "stdout": out.strip()[-2000:],
            "stderr": err.strip()[-2000:]}


def measure(cmd: list[str], env: dict, *, check: bool = True) -> dict:
    """Like run(), with the CPU time and peak memory of the process. The peak comes from
    /usr/bin/time (a child started straight from this process would report at least this
    process's own size: Linux carries maxrss over fork and exec)."""
    cmd = _skip_checks(cmd)
    started = time.perf_counter()
    out_path = Path(env["FUPIN_DATA_DIR"]) / "last-output.txt"
    time_path = Path(env["FUPIN_DATA_DIR"]) / "last-time.txt"
    wrapper = ["/usr/bin/time", "-f", "%M", "-o", str(time_path)] if Path("/usr/bin/time").exists() else []
    with out_path.open("w") as out_fh:
        proc = subprocess.Popen([*wrapper, *cmd], env=env, stdout=out_fh, stderr=out_fh)  # noqa: S603
        _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    stdout = out_path.read_text()
    if check and code != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({code}):\n{stdout}")
    peak_kb = usage.ru_maxrss
    if wrapper and time_path.exists():
        lines = [x for x in time_path.read_text().split() if x.isdigit()]
        peak_kb = int(lines[-1]) if lines else peak_kb
    return {"seconds": round(wall, 2), "peak_mb": round(peak_kb / 1024, 1), "returncode": code,
            "cpu_user_s": round(usage.ru_utime, 1), "cpu_sys_s": round(usage.ru_stime, 1),
            "load_avg_1m_after": round(os.getloadavg()[0], 1), "stdout": stdout.strip()[-3000:]}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(q / 100 * (len(values) - 1))))
    return values[k]


def raw_copy(url: str, path: Path) -> float:
    cols = ", ".join(f"c{i} text" for i in range(len(exchange.HEADERS)))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw_copy")
        conn.execute(f"CREATE TABLE bench_raw_copy ({cols})")
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY bench_raw_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as cp, \
                path.open("rb") as fh:
            while block := fh.read(1 << 20):
                cp.write(block)
        seconds = time.perf_counter() - started
        rows = conn.execute("SELECT COUNT(*) FROM bench_raw_copy").fetchone()[0]
        conn.execute("DROP TABLE bench_raw_copy")
    return seconds, rows


def table_counts(url: str) -> dict:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in (
            "registry_household", "registry_member", "registry_statuschange", "audit_auditevent", "audit_audititem")}


def machine(url: str) -> dict:
    mem_kb = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with psycopg.connect(url) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        settings = {k: conn.execute(f"SHOW {k}").fetchone()[0] for k in (
            "shared_buffers", "work_mem", "maintenance_work_mem", "max_wal_size", "synchronous_commit")}
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "postgresql": version, "pg_settings": settings, "python": platform.python_version(),
            "kernel": platform.release()}


# --- search and statistics (in-process, Django on the bench database) ----------------------

def latency(env: dict, samples: dict, province_prefix: str, county_prefix: str) -> dict:
    os.environ.update({k: env[k] for k in ("FUPIN_DATABASE_URL", "FUPIN_DATA_DIR")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    import django

    django.setup()
    from django.db import connection

    from fupin.accounts.scoping import Scope
    from fupin.registry.queries import search_households

    rng = random.Random(7)
    queries = {
        "name": rng.sample(samples["name"], 50),
        "full ID": rng.sample(samples["id"], 50),
        "last 4 digits": [i[-4:] for i in rng.sample(samples["id"], 50)],
        "household number": rng.sample(samples["number"], 50),
    }
    out = {}
    for label, prefix, search in (("province", province_prefix, search_households),
                                  ("county", county_prefix, search_households)):
        scope = Scope([prefix])
        times = {}
        for kind, qs in queries.items():
            for q in qs:
                started = time.perf_counter()
                base = search(scope, q)
                total = base.count()
                page = list(base.order_by("area_code", "number")[:20])
                times.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
                del total, page
        every = [t for ts in times.values() for t in ts]
        out[label] = {"p50_ms": round(pct(every, 50), 1), "p95_ms": round(pct(every, 95), 1),
                      "max_ms": round(max(every), 1), "n": len(every),
                      "by_kind": {k: {"p50_ms": round(pct(v, 50), 1), "p95_ms": round(pct(v, 95), 1)}
                                  for k, v in times.items()}}
    connection.close()
    return out


def stats_latency(env: dict, province_prefix: str, runs: int = 20) -> dict:
    """The statistics page when it exists (after its rollup is refreshed, unless it is
    current already), else a count of households by status and township over the province.
    The page's incidence rate reads the village profiles of the set-up; its parts are timed
    alone too (``incidence``)."""
    from django.db import connection
    from django.db.models import Count
    from django.db.models.functions import Substr
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from fupin.accounts.scoping import Scope
    from fupin.registry.models import Household

    def timed(fn, n=runs):
        times = []
        for _ in range(n):
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        return {"p50_ms": round(pct(times, 50), 1), "p95_ms": round(pct(times, 95), 1), "n": n}

    result = {}
    scope = Scope([province_prefix])
    result["count_by_status_and_township"] = timed(lambda: list(
        scope.filter(Household.objects.all()).annotate(t=Substr("area_code", 1, 9)).values("t", "status")
        .annotate(n=Count("id")).order_by()))
    try:
        url = reverse("registry:stats")
    except NoReverseMatch:
        result["page"] = "no statistics page exists yet"
        return result
    try:
        from fupin.accounts import actions as accounts
        from fupin.core.actor import Actor

        code = province_prefix.ljust(12, "0")
        user, _pw = accounts.create_user(Actor.system(), username=f"bench_leader_{int(time.time())}", role="leader",
                                         area_code=code, password="Bench-pass-2026!")  # noqa: S106
        try:
            from fupin.registry import stats

            state = stats.rollup_state(province_prefix)
            if state is None or not state["current"]:
                started = time.perf_counter()
                stats.refresh(Actor.system(), code)
                result["rollup_refresh_s"] = round(time.perf_counter() - started, 1)
            else:
                result["rollup_refresh"] = f"current (refreshed at {state['refreshed_at']:%Y-%m-%d %H:%M})"
        except Exception as exc:
            result["rollup_refresh"] = f"not refreshed: {exc}"
        from django.conf import settings

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        client = Client()
        client.force_login(user)
        first = client.get(url, {"area": code})
        result["page_status"] = first.status_code
        result["page_source"] = stats._choose_source(province_prefix, "")[0]
        result["load_avg_before_page"] = [round(x, 1) for x in os.getloadavg()]
        result["page"] = timed(lambda: client.get(url, {"area": code}))
        result["load_avg_after_page"] = [round(x, 1) for x in os.getloadavg()]
        result["incidence"] = incidence_parts(province_prefix, timed)
        # the province's unfiltered household list and register: their counts from the rollup
        for key, page, params in (("household_list", reverse("registry:households"), {"area": code}),
                                  ("register", reverse("registry:register", args=[code]), {})):
            status = client.get(page, params).status_code
            result[key] = {**timed(lambda page=page, params=params: client.get(page, params)), "status": status}
    except Exception as exc:
        result["page"] = f"failed: {exc!r}"
    connection.close()
    return result


def incidence_parts(prefix: str, timed) -> dict:
    """The incidence rate's own work on the province page, timed alone. From the rollup
    (``incidence.FromRollup``, since 2026-11-23): reading the area's rollup rows
    (``stats.rollup_facts``, the page's one read of them) and summing the denominator's
    changes (``FromRollup``). Counted live (``incidence.Live``): reading the profiles
    (``incidence.Profiles``) and the poor people of the villages left out in every year of the
    table (``incidence.left_out_poor``)."""
    from fupin.core import clock
    from fupin.registry import incidence, stats

    this_year = clock.today().year
    years = list(range(PROFILE_YEARS[0], PROFILE_YEARS[1] + 1))
    if stats.rollup_state(prefix) and hasattr(incidence, "FromRollup"):
        lengths = {lv: stats.LENGTH[lv] for lv in stats.LEVELS}
        facts = stats.rollup_facts(prefix)

        def from_rollup():
            inc = incidence.FromRollup(facts, prefix, lengths, this_year)
            for y in years:
                inc.rate(y, len(prefix), {prefix: 0})
            return inc.rate(incidence.NOW, len(prefix), {prefix: 0})

        now = from_rollup()[prefix]
        return {"source": "rollup", "villages_profiled_now": now["villages"], "missing_now": now["missing"],
                "rural_now": now["rural"], "rollup_facts": timed(lambda: stats.rollup_facts(prefix)),
                "from_rollup": timed(from_rollup)}
    profiles = incidence.Profiles(prefix)
    out = {"source": "live", "villages": len(profiles.villages),
           "profile_rows": sum(len(r) for r in profiles.by_village.values()),
           "missing_now": len(profiles.missing(this_year)), "missing_first_year": len(profiles.missing(years[0])),
           "profiles": timed(lambda: incidence.Profiles(prefix))}
    left = incidence.left_out_poor(profiles, years, now_year=this_year)
    out["left_out_poor_people"] = {str(k): sum(v.values()) for k, v in sorted(left.items())}
    out["left_out_poor"] = timed(lambda: incidence.left_out_poor(profiles, years, now_year=this_year), n=3)
    return out


def stats_only(work: Path, env: dict, runs: int) -> None:
    """The statistics page alone, against a database a previous run left loaded."""
    os.environ.update({k: env[k] for k in ("FUPIN_DATABASE_URL", "FUPIN_DATA_DIR")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("collectstatic", "--no-input", verbosity=0)  # the page's static manifest
    result = {"started": dt.datetime.now().isoformat(timespec="seconds"),
              "load_avg_at_start": [round(x, 1) for x in os.getloadavg()],
              "stats": stats_latency(env, PROVINCE, runs)}
    (work / "stats.json").write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    print(json.dumps(result, ensure_ascii=False, indent=1, default=str))


def search_only(work: Path, env: dict) -> None:
    """The search latency alone, against a database a previous run left loaded."""
    samples = json.loads((work / "samples.json").read_text())
    with psycopg.connect(env["FUPIN_DATABASE_URL"]) as conn:
        county = conn.execute("SELECT county_code FROM registry_household ORDER BY county_code "
                              "OFFSET (SELECT count(*) / 2 FROM registry_household) LIMIT 1").fetchone()[0]
    result = {"load_avg_at_start": [round(x, 1) for x in os.getloadavg()],
              "search": latency(env, samples, PROVINCE, county)}
    (work / "search.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(json.dumps(result, ensure_ascii=False, indent=1))


# --- main ----------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--error-rate", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=2014)
    parser.add_argument("--work-dir", default=str(ROOT / "var" / "bench" / "registry_import"),
                        help="emptied first: the generated files, the export and results.json go here")
    parser.add_argument("--db-name", default="fupin_bench")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--copy-runs", type=int, default=3)
    parser.add_argument("--setup-only", action="store_true",
                        help="stop after the database, the files and the raw COPY (keeps the database)")
    parser.add_argument("--search-only", action="store_true",
                        help="only the search latency, on the database and samples a previous run kept "
                             "(--setup-only, then `fupin import_registry` of its province.csv, or --keep-db)")
    parser.add_argument("--stats-only", action="store_true",
                        help="only the statistics page, on the database a previous run kept (as --search-only); "
                             "refreshes the province's rollup first unless it is current")
    parser.add_argument("--stats-runs", type=int, default=20, help="page views timed for p50/p95")
    args = parser.parse_args()
    if args.setup_only:
        args.keep_db = True

    base = os.environ.get("FUPIN_DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/fupin")
    parts = urlparse(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("The benchmark runs on PostgreSQL: set FUPIN_DATABASE_URL to a postgres:// URL.")
    bench_url = urlunparse(parts._replace(path="/" + args.db_name))
    admin_url = urlunparse(parts._replace(path="/postgres"))
    work = Path(args.work_dir)
    if args.search_only:
        search_only(work, {**os.environ, "FUPIN_DATABASE_URL": bench_url, "FUPIN_DATA_DIR": str(work / "data")})
        return
    if args.stats_only:
        stats_only(work, {**os.environ, "FUPIN_DATABASE_URL": bench_url, "FUPIN_DATA_DIR": str(work / "data")},
                   args.stats_runs)
        return
    shutil.rmtree(work, ignore_errors=True)
    (work / "data").mkdir(parents=True)
    env = {**os.environ, "FUPIN_DATABASE_URL": bench_url, "FUPIN_DATA_DIR": str(work / "data"),
           "DJANGO_SETTINGS_MODULE": "fupin.settings", "FUPIN_TASKS_BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    results: dict = {"started": dt.datetime.now().isoformat(timespec="seconds"), "members_requested": args.members,
                     "load_avg_at_start": [round(x, 1) for x in os.getloadavg()]}

    t0 = time.monotonic()

    def say(text):
        print(f"[+{time.monotonic() - t0:7.1f}s] {text}", flush=True)

    def save():
        (work / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.db_name}"')
    try:
        results["machine"] = machine(bench_url)
        say(f"machine: {results['machine']}")
        run([str(FUPIN), "migrate", "--no-input", "-v", "0"], env)
        say(run([str(FUPIN), "load_divisions", "--prefix", PROVINCE], env)["stdout"])
        with psycopg.connect(bench_url) as conn:
            townships = conn.execute("SELECT code, name FROM areas_area WHERE level = 'township' AND code LIKE %s "
                                     "AND valid_to IS NULL ORDER BY code", [PROVINCE + "%"]).fetchall()
        villages, area_rows = [], []
        for code, name in townships:
            for v in range(1, VILLAGES_PER_TOWNSHIP + 1):
                vcode = f"{code[:9]}{200 + v:03d}"
                vname = f"{name[:2]}{'东南西北中上下前后新'[v - 1]}村"
                groups = [f"{vcode}{g:03d}" for g in range(1, GROUPS_PER_VILLAGE + 1)]
                villages.append((vcode, vname, groups))
                area_rows.append((vcode, vname))
                area_rows += [(g, f"第{i}村民小组") for i, g in enumerate(groups, 1)]
        areas_csv = work / "villages.csv"
        with areas_csv.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["统计用区划代码", "名称"])
            w.writerows(area_rows)
        say(run([str(FUPIN), "import_areas", str(areas_csv)], env)["stdout"])
        results["village_profiles"] = village_profiles(bench_url)
        say(f"village profiles: {results['village_profiles']}")
        with psycopg.connect(bench_url, autocommit=True) as conn:
            conn.execute("ANALYZE")  # what autovacuum does after a load (the test server runs without it)
        results["areas"] = {"townships": len(townships), "villages": len(villages),
                            "groups": len(villages) * GROUPS_PER_VILLAGE}

        say(f"generating {args.members} members …")
        started = time.perf_counter()
        generated = write_files(work, villages, args.members, args.error_rate, args.seed)
        samples = generated.pop("samples")
        (work / "samples.json").write_text(json.dumps(samples, ensure_ascii=False))  # for --search-only
        results["file"] = {**generated, "generate_s": round(time.perf_counter() - started, 1),
                           "good_mb": round(generated["good_bytes"] / 1e6, 1)}
        say(f"file: {results['file']}")
        save()
        good, bad = work / "province.csv", work / "province-errors.csv"

        copies = []
        for _ in range(args.copy_runs):
            seconds, rows = raw_copy(bench_url, good)
            copies.append(seconds)
        results["raw_copy"] = {"seconds": round(min(copies), 2), "runs": [round(c, 2) for c in copies], "rows": rows}
        say(f"raw COPY: {results['raw_copy']}")
        save()
        if args.setup_only:
            return

        say("import (empty registry) …")
        # the job that refreshes the statistics rollup afterwards is queued, not run in the
        # importing process (a worker runs it; its time is measured with the statistics below)
        queued = {**env, "FUPIN_TASKS_BACKEND": "django.tasks.backends.dummy.DummyBackend"}
        results["import"] = measure([str(FUPIN), "import_registry", str(good), "--quiet-progress", "-v", "2"], queued)
        results["import"]["ratio_to_copy"] = round(results["import"]["seconds"] / results["raw_copy"]["seconds"], 2)
        results["after_import"] = table_counts(bench_url)
        say(f"import: {results['import']} {results['after_import']}")
        save()

        say("error variant …")
        before = table_counts(bench_url)
        refused = measure([str(FUPIN), "import_registry", str(bad), "--quiet-progress", "-v", "2", "--errors",
                           str(work / "errors.xlsx")], env, check=False)
        refused["unchanged"] = table_counts(bench_url) == before
        refused["refused"] = refused["returncode"] != 0
        refused["stdout"] = refused["stdout"][:300]
        results["error_variant"] = refused
        say(f"error variant: {refused}")
        save()

        say("re-import of the unchanged file …")
        results["reimport_unchanged"] = measure([str(FUPIN), "import_registry", str(good), "--quiet-progress", "-v",
                                                 "2"], queued)
        results["after_reimport"] = table_counts(bench_url)
        say(f"re-import: {results['reimport_unchanged']}")
        save()

        say("export …")
        export = measure([str(FUPIN), "export_registry", "--area", PROVINCE.ljust(12, "0"), "-o",
                          str(work / "export.csv")], env)
        export["mb"] = round((work / "export.csv").stat().st_size / 1e6, 1)
        results["export"] = export
        say(f"export: {export}")
        save()

        with psycopg.connect(bench_url, autocommit=True) as conn:
            started = time.perf_counter()
            conn.execute("VACUUM ANALYZE")
            results["vacuum_analyze_s"] = round(time.perf_counter() - started, 1)
        county = villages[len(villages) // 2][0][:6]
        say("search latency …")
        results["search"] = latency(env, samples, PROVINCE, county)
        say(f"search: {results['search']}")
        save()
        run([str(FUPIN), "collectstatic", "--no-input", "-v", "0"], env)  # the page's static manifest
        say("statistics …")
        results["stats"] = stats_latency(env, PROVINCE, args.stats_runs)
        say(f"stats: {results['stats']}")
        results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
        save()
    finally:
        if not args.keep_db:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:  # noqa: S110 - Django may not be set up
                pass
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
    print(json.dumps(results, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
