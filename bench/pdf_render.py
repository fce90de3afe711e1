"""Benchmark of the PDFs: the household card (户卡) and a village register (村册) as
their views render them, and a procedure document, on the demo county (SQLite).

    FUPIN_DATA_DIR=/tmp/var-pdf .venv/bin/fupin migrate
    FUPIN_DATA_DIR=/tmp/var-pdf .venv/bin/fupin demo
    FUPIN_DATA_DIR=/tmp/var-pdf .venv/bin/python bench/pdf_render.py [--repeat 5]
        [--household ID] [--village CODE] [--document ID] [--user demo_county] [--json FILE]

What it measures, in this one process:

- **card**: ``registry.views.households.household_pdf`` for the demo household with the
  most members (or ``--household``): the card's queries, its template and WeasyPrint,
  the masked PDF;
- **register**: ``registry.views.registers.register_pdf`` for the village with the most
  households (or ``--village``; in the demo 88 households, four A4 landscape pages);
- **document**: ``procedures.documents.render_pdf`` of the procedure document with the
  most households (or ``--document``; in the demo the exit application of batch #1, a
  page per household), as the rendering action and the zip's job call it.

The views are called with a RequestFactory request of ``--user`` (default
``demo_county``), each inside a transaction that is rolled back (the export's audit
event is not kept). First one rendering of each, reported apart as "first" (the
process's first PDF pays for importing WeasyPrint and opening the fonts), then
``--repeat`` rounds, each rendering the three once in turn. For each: the best and the
median of the wall time and of the process's CPU time, the queries, the pages and the
size of the PDF. The machine's load average is printed before and after (on a shared
machine the wall time grows with the load; the CPU time much less).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")


def _setup():
    import logging

    import django

    django.setup()
    for name in ("weasyprint", "weasyprint.progress", "fontTools"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _pages(body: bytes) -> int | None:
    """The PDF's page count as pdfinfo (poppler-utils) reads it; None without pdfinfo."""
    pdfinfo = shutil.which("pdfinfo")
    if not pdfinfo:
        return None
    out = subprocess.run([pdfinfo, "-"], input=body, capture_output=True, check=True).stdout.decode()  # noqa: S603
    found = re.search(r"^Pages:\s+(\d+)", out, re.M)
    return int(found.group(1)) if found else None


def _subjects(args):
    from django.db.models import Count, Q
    from django.db.models.functions import Substr

    from fupin.procedures.models import StepDocument
    from fupin.registry.models import Household

    household = args.household or (
        Household.objects.annotate(n=Count("members", filter=Q(members__active=True)))
        .order_by("-n", "pk").values_list("pk", flat=True).first())
    village = args.village or (
        Household.objects.annotate(village_code=Substr("area_code", 1, 12)).values("village_code")
        .annotate(n=Count("id")).order_by("-n", "village_code").values_list("village_code", flat=True).first())
    if args.document:
        document = StepDocument.objects.get(pk=args.document)
    else:
        docs = list(StepDocument.objects.select_related("record__batch").order_by("pk"))
        document = max(docs, key=lambda d: (len((d.data or {}).get("members", [])), -d.pk)) if docs else None
    if household is None or village is None:
        sys.exit("no households: build the demo county first (fupin migrate && fupin demo)")
    return household, village, document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--household", type=int)
    parser.add_argument("--village")
    parser.add_argument("--document", type=int)
    parser.add_argument("--user", default="demo_county")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    _setup()

    from django.db import connection, transaction
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from fupin.accounts.models import User
    from fupin.procedures import documents
    from fupin.registry.views import households as household_views
    from fupin.registry.views import registers as register_views

    user = User.objects.get(username=args.user)
    household, village, document = _subjects(args)
    factory = RequestFactory()

    def view(call):
        def run() -> bytes:
            request = factory.get("/")
            request.user = user
            with transaction.atomic():
                response = call(request)
                transaction.set_rollback(True)
            assert response.status_code == 200, response.status_code
            return response.content
        return run

    subjects = {
        "card": view(lambda r: household_views.household_pdf(r, household)),
        "register": view(lambda r: register_views.register_pdf(r, village)),
    }
    if document is not None:
        subjects["document"] = lambda: documents.render_pdf(document)

    def measure(run):
        with translation.override("zh-hans"), CaptureQueriesContext(connection) as queries:
            wall, cpu = time.perf_counter(), time.process_time()
            body = run()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return {"wall": wall, "cpu": cpu, "queries": len(queries), "pages": _pages(body), "bytes": len(body)}

    load_before = os.getloadavg()
    first = {name: measure(run) for name, run in subjects.items()}
    runs: dict[str, list[dict]] = {name: [] for name in subjects}
    for _ in range(args.repeat):
        for name, run in subjects.items():
            runs[name].append(measure(run))
    load_after = os.getloadavg()

    result = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(), "load_before": load_before, "load_after": load_after,
        "repeat": args.repeat, "household": household, "village": village,
        "document": None if document is None else {"id": document.pk, "code": document.code},
        "first": first, "results": {},
    }
    print(f"household {household}, village {village}, document "
          f"{'-' if document is None else f'{document.pk} ({document.code})'}; load {load_before[0]:.1f}")
    print(f"{'':10} {'first wall':>10} {'wall best':>10} {'median':>8} {'cpu best':>9} {'median':>8}"
          f" {'queries':>8} {'pages':>6} {'bytes':>9}")
    for name, rows in runs.items():
        wall = [r["wall"] for r in rows]
        cpu = [r["cpu"] for r in rows]
        summary = {"wall_best": min(wall), "wall_median": statistics.median(wall), "cpu_best": min(cpu),
                   "cpu_median": statistics.median(cpu), "queries": rows[-1]["queries"],
                   "pages": rows[-1]["pages"], "bytes": rows[-1]["bytes"]}
        result["results"][name] = summary
        print(f"{name:10} {first[name]['wall']:9.2f}s {summary['wall_best']:9.3f}s {summary['wall_median']:7.3f}s"
              f" {summary['cpu_best']:8.3f}s {summary['cpu_median']:7.3f}s {summary['queries']:8d}"
              f" {summary['pages'] or '?':>6} {summary['bytes']:9d}")
    print(f"load average after: {load_after[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
