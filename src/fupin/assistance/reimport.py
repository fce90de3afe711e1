"""Importing an export again (measures and visits): which rows are records already there.

An export writes each record's number (its id) in the column 记录编号 (``COLUMN``). On
import a row is matched to an existing record in one of two ways:

- **by its number** (a row of an export): the number must name a measure (visit) of the
  row's household (a village measure: of the row's village) — otherwise the row is wrong
  (the error report names it), and a number given twice in one file is wrong too. The
  row is then that record's, whatever the record has become since the export:

  * the record as it is now (the same terms) — "unchanged";
  * the record was withdrawn since — skipped, noted: a withdrawn record is not restored;
  * the record differs from the row (corrected since the file was exported, or the file
    was edited) — skipped, noted with the day of the last correction: an import never
    changes a recorded measure or visit, and never overwrites a correction. A change is
    made on the record's page (a correction, audited).

  Never a new record: an export imported again cannot double a record it came from.
- **by its terms** (a row without a number: the template, a file from elsewhere, an
  export written before the column existed): a measure with the same household or
  village, type, date and money, a visit with the same helper, household, date and notes
  is "unchanged"; a row matching only withdrawn records is skipped, noted; any other row
  is a new record.

Every skipped row is named in ``ctx.notes`` (the job's log) with the record's number and
the reason. Each step is one query a chunk (the records named by number; the records of
the chunk's households and days), never one a row.

Both reads are in the importing actor's scope (``ctx.scope``, through the app's queries):
a record outside the actor's area is never matched, so its number is "no measure (visit)
with this number for this household" like a number that does not exist, and a row
without a number is never said to be an out-of-area record (nor its withdrawal reason
shown) — the file's rows cannot learn about or touch another area's records."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import queries

COLUMN = "记录编号"
HELP = {
    "measures": "导出时系统写入的措施编号（再次导入时据此认出原记录，不会重复录入）：与现在的记录相同的行不变；"
                "原记录已作废或已更正（或文件被改过）的，该行跳过并在任务日志中说明——导入不恢复作废的记录，"
                "也不覆盖更正；要更改请在措施页面更正。新增措施留空。",
    "visits": "导出时系统写入的走访记录编号（再次导入时据此认出原记录，不会重复录入）：与现在的记录相同的行不变；"
              "原记录已作废或已更正（或文件被改过）的，该行跳过并在任务日志中说明——导入不恢复作废的记录，"
              "也不覆盖更正；要更改请在走访记录页面更正。新增走访留空。",
}
IN_SCOPE = {"measures": queries.measures_in, "visits": queries.visits_in}
MAX_ID = 2**63 - 1


def _number(text: str) -> int | None:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
        return None
    return int(text)


class Named:
    """The records the chunk's rows name by number (withdrawn ones too), in the importing
    actor's scope: read in one query when first asked (``read``, which ``reference`` calls
    with ``ctx.scope``), then looked up by id like a dict."""

    def __init__(self, kind: str, ids: set[int], scope=None):
        self.kind, self.ids, self.scope = kind, ids, None
        self.records: dict = {}
        if scope is not None:
            self.read(scope)

    def read(self, scope) -> None:
        """Read the named records of ``scope`` (the first call reads; later ones keep them)."""
        if self.scope is not None:
            return
        self.scope = scope
        if self.ids:
            self.records = {r.pk: r for r in IN_SCOPE[self.kind](scope, withdrawn=True).filter(pk__in=self.ids)}

    def get(self, pk):
        return self._read().get(pk)

    def __getitem__(self, pk):
        return self._read()[pk]

    def _read(self) -> dict:
        if self.scope is None:  # never unscoped: read(scope) comes first
            raise RuntimeError("Named.read(scope) first")
        return self.records


def named(kind: str, chunk, scope=None) -> Named:
    """The records the chunk's rows name by number (see ``Named``): one query, in ``scope``
    (the actor's; given here or by ``reference``, which passes ``ctx.scope``)."""
    ids = {n for _r, row in chunk if (n := _number(row.get(COLUMN, "") or "")) is not None}
    return Named(kind, ids, scope)


def _same_subject(kind: str, found, record) -> bool:
    if kind == "visits":
        return found.household_id == record.household_id
    return found.household_id == record.household_id and (
        record.household_id is not None or found.village_id == record.village_id)


def reference(ctx, kind: str, number: int, row: dict, report, found: Named, record) -> tuple[bool, int | None]:
    """Check the row's 记录编号 against the records ``found`` (see ``named``; read in the
    actor's scope, ``ctx.scope``): (ok, the record's id or None for a row without one). A
    wrong number — a record outside the actor's area included — is added to the report."""
    text = (row.get(COLUMN, "") or "").strip()
    if not text:
        return True, None
    found.read(ctx.scope)
    pk = _number(text)
    if pk is None:
        report.add(number, COLUMN, text, _("not a record number: leave it empty for a new record"))
        return False, None
    existing = found.get(pk)
    if existing is None or not _same_subject(kind, existing, record):
        report.add(number, COLUMN, text,
                   _("no measure with this number for this household or village: leave it empty for a new "
                     "measure") if kind == "measures" else
                   _("no visit with this number for this household: leave it empty for a new visit"))
        return False, None
    if pk in ctx.referenced:
        report.add(number, COLUMN, text, _("this record number is in the file twice"))
        return False, None
    ctx.referenced.add(pk)
    return True, pk


# --- what a row holds, to compare with a record --------------------------------------------------

def measure_key(m) -> tuple:
    """The terms a row without a number is matched on."""
    return (m.household_id, m.village_id, m.type, m.date, m.amount_to_household, m.amount_spent)


def measure_terms(m) -> tuple:
    """What an export writes of a measure besides its household or village (checked
    apart): the details as the export writes them."""
    from .importers import format_details

    return (m.type, m.date, m.amount_to_household, m.amount_spent, m.fund_source, format_details(m.type, m.details),
            m.note)


def visit_key(v) -> tuple:
    return (v.helper_id, v.household_id, v.date, v.findings, v.agreements)


def visit_terms(v) -> tuple:
    return (v.helper_id, v.date, v.findings, v.agreements)


def _withdrawn_note(kind: str, number: int, gone) -> str:
    what = _("Row %(row)s: the same measure (no. %(id)s) was withdrawn (%(reason)s); a withdrawn record is "
             "not restored, the row was skipped.") if kind == "measures" else \
        _("Row %(row)s: the same visit (no. %(id)s) was withdrawn (%(reason)s); a withdrawn record is not "
          "restored, the row was skipped.")
    return what % {"row": number, "id": gone.pk, "reason": gone.void_reason}


def _changed_note(kind: str, number: int, record) -> str:
    values = {"row": number, "id": record.pk}
    if record.updated_at is not None:
        values["on"] = timezone.localtime(record.updated_at).date().isoformat()
        what = _("Row %(row)s: measure no. %(id)s was corrected on %(on)s and the row holds another version (the "
                 "file is older than the correction, or was edited); an import never overwrites a recorded "
                 "measure, the row was skipped.") if kind == "measures" else \
            _("Row %(row)s: visit no. %(id)s was corrected on %(on)s and the row holds another version (the file "
              "is older than the correction, or was edited); an import never overwrites a recorded visit, the "
              "row was skipped.")
    else:
        what = _("Row %(row)s: the row differs from measure no. %(id)s as recorded (the file was edited); an "
                 "import never changes a recorded measure — correct it on its page. The row was skipped.") \
            if kind == "measures" else \
            _("Row %(row)s: the row differs from visit no. %(id)s as recorded (the file was edited); an import "
              "never changes a recorded visit — correct it on its page. The row was skipped.")
    return what % values


# --- the rows to write ---------------------------------------------------------------------------

def new_records(ctx, kind: str, rows: list, found: Named) -> list:
    """The records of ``rows`` ((row number, new record, referenced id or None) triples) to
    write: rows naming a record are never written (unchanged, or skipped with a note);
    rows without a number are matched by their terms against the records of the actor's
    scope (one query)."""
    terms = measure_terms if kind == "measures" else visit_terms
    unnamed = []
    for number, record, pk in rows:
        if pk is None:
            unnamed.append((number, record))
            continue
        existing = found[pk]
        if existing.voided_at is not None:
            ctx.count(f"{kind}_withdrawn_skipped")
            ctx.notes.append(_withdrawn_note(kind, number, existing))
        elif terms(existing) == terms(record):
            ctx.count(f"{kind}_unchanged")
        else:
            ctx.count(f"{kind}_changed_skipped")
            ctx.notes.append(_changed_note(kind, number, existing))
    if not unnamed:
        return []
    if kind == "measures":
        existing = queries.measures_in(ctx.scope, withdrawn=True).filter(
            Q(household_id__in={m.household_id for _n, m in unnamed if m.household_id})
            | Q(household__isnull=True, village_id__in={m.village_id for _n, m in unnamed if not m.household_id}),
            date__in={m.date for _n, m in unnamed}).only(
            "household_id", "village_id", "type", "date", "amount_to_household", "amount_spent", "voided_at",
            "void_reason")
        return _by_terms(ctx, kind, unnamed, existing.order_by("pk"), measure_key)
    existing = queries.visits_in(ctx.scope, withdrawn=True).filter(
        household_id__in={v.household_id for _n, v in unnamed}, date__in={v.date for _n, v in unnamed}).only(
        "helper_id", "household_id", "date", "findings", "agreements", "voided_at", "void_reason")
    return _by_terms(ctx, kind, unnamed, existing.order_by("pk"), visit_key)


def _by_terms(ctx, kind: str, rows: list, existing, key) -> list:
    """The rows ((row number, record) pairs) not already recorded: a row whose record is
    there and in force is "unchanged"; a row matching only withdrawn records is left out
    too, with a note naming the row — a withdrawn record is never restored by importing
    an old export."""
    live, withdrawn = set(), {}
    for r in existing:
        if r.voided_at is None:
            live.add(key(r))
        else:
            withdrawn.setdefault(key(r), r)
    kept = []
    for number, r in rows:
        k = key(r)
        if k in live:
            ctx.count(f"{kind}_unchanged")
        elif k in withdrawn:
            ctx.count(f"{kind}_withdrawn_skipped")
            ctx.notes.append(_withdrawn_note(kind, number, withdrawn[k]))
        else:
            kept.append(r)
    return kept
