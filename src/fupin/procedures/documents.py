"""The documents of a procedure (seed 003's eight documents of an exit, and those of the
identification types) as PDF, rendered from the batch's record.

When: a step *produces* its documents when it closes (a notice: when it is published,
because the notice is the document that is posted). At that moment ``snapshot`` reads
the record — the batch, its area, the step with its dates and who acted, the meeting
and votes, the households listed, the objections and decisions so far — into
``StepDocument.data`` (JSON). The PDF is rendered from that snapshot the first time
someone downloads it (actions.render_document, called by the pages and the API, or by
the zip's background job; this module only reads) and is then stored in
``StepDocument.file`` with its SHA-256 (the rendering is audited), so a
document always shows the record as it was when its step produced it, and rendering
(WeasyPrint through core.pdf, 0.15–0.5 s of CPU a document: docs/benchmarks.md, "PDF
rendering") never slows or blocks an officer's step: a failure to snapshot or to
render is logged and retried at the next download.

Regenerating never changes a stored document: it adds version n+1 with a fresh
snapshot of the record as it is now (audited, with the reason); the earlier versions
stay downloadable.

Personal data: a document shows names, villages and household sizes; ID numbers are
masked in the snapshot itself (never stored unmasked), objectors are not named.
Every download is logged as an export (audit.record_export).

Language: documents are official Chinese documents: they are rendered in
settings.LANGUAGE_CODE whatever the language of the officer's page; the template text
goes through {% translate %} with English originals like the rest of the UI.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zipfile
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock, pdf
from fupin.core.actor import Actor
from fupin.core.masking import mask
from fupin.registry import codes
from fupin.registry.models import Income, Member

from . import rules
from .models import AppraisalMeeting, BatchMember, Objection, ProcedureBatch, StepDocument, StepRecord

log = logging.getLogger(__name__)

SCHEMA = 1
TEMPLATE_DIR = "procedures/documents"
GENERIC = f"{TEMPLATE_DIR}/generic.html"
# Codes whose document is one page per household (with its people and signature lines).
PER_HOUSEHOLD = {"application", "exit_application", "household_form"}
# Keys of the snapshot that hold dates (stored as ISO strings, revived for the template).
DATE_KEYS = {"started", "closed", "last_day", "held_on", "received_on", "resolved_on", "date", "created_on",
             "birth_date"}
# How the snapshot writes a date (date.isoformat()), and the only spelling revived: not
# fromisoformat's others (20171231, 2017-W01-1), nor the ones people type (core.dates).
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# --- the snapshot ------------------------------------------------------------------------

def _user(user) -> str:
    return (user.full_name or user.username) if user is not None else ""


def _iso(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def _money(value) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def _areas(area_code: str, level: str) -> dict:
    """The names of the batch's area and the areas above it: {level: name} (village,
    township, county, city, province)."""
    code = area_code[:12].ljust(12, "0")
    wanted = {"province": code[:2], "city": code[:4], "county": code[:6], "township": code[:9], "village": code}
    order = ("province", "city", "county", "township", "village")
    wanted = {k: v.ljust(12, "0") for k, v in wanted.items()
              if level not in order or order.index(k) <= order.index(level)}
    names = dict(Area.objects.filter(code__in=set(wanted.values()), valid_to__isnull=True)
                 .values_list("code", "name"))
    return {k: names[c] for k, c in wanted.items() if c in names}


def _member_rows(batch: ProcedureBatch, ids, *, year: int, people: bool = False) -> list[dict]:
    """The households of ``ids`` (BatchMember ids): head, village/group, size, the head's
    ID number masked, the per-capita net income of the latest year up to ``year``."""
    head_id = Subquery(Member.objects.filter(household=OuterRef("household_id"), active=True, relation="01")
                       .order_by("pk").values("id_number")[:1])
    income = Income.objects.filter(household=OuterRef("household_id"), year__lte=year).order_by("-year")
    qs = (BatchMember.objects.filter(batch=batch, pk__in=list(ids))
          .select_related("household", "household__village", "household__group")
          .annotate(head_id_number=head_id, per_capita=Subquery(income.values("per_capita")[:1]),
                    income_year=Subquery(income.values("year")[:1]))
          .order_by("area_code", "household__number"))
    rows = []
    for m in qs:
        h = m.household
        rows.append({
            "id": m.pk, "household_id": h.pk, "number": h.number, "head_name": h.head_name,
            "village": h.village.name if h.village_id else "", "group": h.group.name if h.group_id else "",
            "size": h.size, "id_masked": mask("id_number", m.head_id_number), "state": m.state,
            "reason": m.reason, "left_step": m.left_step, "status": h.status,
            "per_capita": _money(m.per_capita), "income_year": m.income_year,
            "causes": h.causes(), "category": h.category, "address": h.address,
            "phone_masked": mask("phone", h.phone), "housing_area": _money(h.housing_area),
            "danger_grade": h.danger_grade, "planned_exit_year": h.planned_exit_year,
            "exit_year": h.exit_year or (year if batch.definition.get("purpose") == "exit" else None),
            "identified_year": h.identified_year,
        })
    if people and rows:
        by_household: dict[int, list] = {}
        for p in (Member.objects.filter(household_id__in=[r["household_id"] for r in rows], active=True)
                  .order_by("household_id", "relation", "pk")
                  .values("household_id", "name", "relation", "sex", "id_number", "birth_date", "health",
                          "labour", "education")):
            by_household.setdefault(p["household_id"], []).append({
                "name": p["name"], "relation": p["relation"], "sex": p["sex"],
                "id_masked": mask("id_number", p["id_number"]), "birth_date": _iso(p["birth_date"]),
                "health": p["health"], "labour": p["labour"], "education": p["education"]})
        for r in rows:
            r["people"] = by_household.get(r["household_id"], [])
    return rows


def _step_row(batch: ProcedureBatch, record: StepRecord) -> dict:
    sdef = batch.steps[record.index]
    row = {"index": record.index, "code": record.code, "name": sdef["name"], "name_en": sdef.get("name_en", ""),
           "kind": sdef["kind"], "level": sdef["level"], "started": _iso(record.started),
           "closed": _iso(record.closed), "started_by": _user(record.started_by),
           "closed_by": _user(record.closed_by), "notes": record.notes}
    if sdef["kind"] == rules.NOTICE:
        row.update(days=sdef["days"], announcement=bool(sdef.get("announcement")), listed=len(record.listed or []))
        if record.started:
            row["last_day"] = _iso(rules.notice_last_day(record.started, sdef["days"]))
    return row


def _objection_rows(qs) -> list[dict]:
    """Objections as the documents show them: the household, what was objected and how
    it was decided. The objector is not named (whoever raises one is protected)."""
    return [{"household": o.member.household.head_name, "number": o.member.household.number,
             "village": o.member.household.village.name if o.member.household.village_id else "",
             "step": o.record.code, "step_index": o.record.index, "received_on": _iso(o.received_on),
             "content": o.content, "status": o.status, "resolution": o.resolution,
             "resolved_on": _iso(o.resolved_on)}
            for o in qs.select_related("member__household__village", "record").order_by("received_on", "pk")]


def snapshot(batch: ProcedureBatch, record: StepRecord, code: str) -> dict:
    """Everything document ``code`` of step ``record`` shows, read from the record now,
    as JSON (dates as ISO strings; ID numbers already masked)."""
    sdef = batch.steps[record.index]
    kind = sdef["kind"]
    date = record.started if kind == rules.NOTICE else (record.closed or clock.today())
    date = date or clock.today()
    titles = rules.document_titles(batch.definition)
    doc = titles.get(code, {"name": code, "name_en": code})
    records = {r.index: r for r in batch.records.select_related("started_by", "closed_by").filter(
        index__lte=record.index)}
    records[record.index] = record
    data = {
        "schema": SCHEMA, "code": code, "name": doc.get("name", code), "name_en": doc.get("name_en", ""),
        "purpose": batch.definition.get("purpose", ""), "date": _iso(date), "year": date.year,
        "type": {"code": batch.type.code, "name": batch.definition.get("name", ""),
                 "name_en": batch.definition.get("name_en", ""), "source": batch.definition.get("source", "")},
        "batch": {"id": batch.pk, "title": batch.title, "parent": batch.parent_id,
                  "created_on": _iso(batch.created_at.date()) if batch.created_at else None},
        "area": {"code": batch.area_code, "name": batch.area.name, "level": batch.area.level,
                 "full_name": batch.area.full_name},
        "areas": _areas(batch.area_code, batch.area.level),
        "step": _step_row(batch, record),
        "steps": [_step_row(batch, records[i]) for i in sorted(records)],
        "taken_at": clock.now().isoformat(timespec="seconds"),
    }
    # The households the document lists.
    meeting = None
    if kind == rules.NOTICE:
        ids = record.listed or []
    elif kind == rules.APPRAISAL:
        meeting = AppraisalMeeting.objects.filter(record=record).select_related("recorded_by").first()
        ids = list(meeting.votes.values_list("member_id", flat=True)) if meeting else []
    else:
        ids = batch.members.filter(Q(state__in=[rules.ACTIVE, rules.HELD, rules.COMPLETED])
                                   | Q(state=rules.WITHDRAWN, left_step=record.index)).values_list("pk", flat=True)
    rows = _member_rows(batch, ids, year=date.year, people=code in PER_HOUSEHOLD)
    if meeting is not None:
        votes = {v.member_id: v for v in meeting.votes.all()}
        for r in rows:
            v = votes.get(r["id"])
            if v is not None:
                r.update(votes_for=v.votes_for, against=v.against, abstain=v.abstain, passed=v.passed)
        data["meeting"] = {"held_on": _iso(meeting.held_on), "total": meeting.total, "present": meeting.present,
                           "minutes": meeting.minutes, "rule": meeting.rule,
                           "recorded_by": _user(meeting.recorded_by),
                           "passed": sum(1 for v in votes.values() if v.passed),
                           "failed": sum(1 for v in votes.values() if not v.passed)}
    if kind in (rules.REVIEW, rules.TASK) or kind == rules.APPRAISAL:
        data["passed"] = [r for r in rows if r["state"] != rules.WITHDRAWN and r.get("passed", True)]
        data["rejected"] = [r for r in rows if r["state"] == rules.WITHDRAWN or r.get("passed") is False]
    data["members"] = rows
    # Earlier notices and the objections to them (a report says how the notice went);
    # a notice's own objections when its document is made after it closed.
    earlier = batch.objections.filter(record__index__lt=record.index)
    own = batch.objections.filter(record=record) if record.closed else Objection.objects.none()
    data["objections"] = _objection_rows(earlier | own)
    data["notices"] = [s for s in data["steps"] if s["kind"] == rules.NOTICE and s["index"] < record.index]
    return data


def _revive(value, key: str = ""):
    if isinstance(value, dict):
        return {k: _revive(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v, key) for v in value]
    if key in DATE_KEYS and isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


# --- producing (called by actions._produce_documents inside the step's transaction) ------

def produce(batch: ProcedureBatch, record: StepRecord) -> list[StepDocument]:
    """Version 1 of each document the step produces, with its snapshot. A failing
    snapshot never blocks the step: it is logged and taken at the first download."""
    titles = rules.document_titles(batch.definition)
    made = []
    by = record.closed_by or record.started_by
    for code in batch.steps[record.index].get("documents", []):
        if code not in titles or StepDocument.objects.filter(record=record, code=code).exists():
            continue
        try:
            with transaction.atomic():
                data = snapshot(batch, record, code)
        except Exception:  # a document must never block the step
            log.exception("snapshot of %s for batch %s step %s failed", code, batch.pk, record.index)
            data = {}
        made.append(StepDocument.objects.create(record=record, code=code, title=titles[code]["name"][:200],
                                                data=data, created_by=by))
    return made


# --- rendering -----------------------------------------------------------------------------

def template_for(code: str) -> str:
    name = f"{TEMPLATE_DIR}/{code}.html"
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return GENERIC
    return name


def _labels(data: dict) -> None:
    """Code labels in the document's language (the snapshot keeps the codes)."""
    for r in data.get("members", []):
        r["cause_labels"] = [codes.label("cause", c) for c in r.get("causes", [])]
        r["status_label"] = codes.label("status", r.get("status"))
        for p in r.get("people", []):
            p["relation_label"] = codes.label("relation", p.get("relation"))
            p["sex_label"] = codes.label("sex", p.get("sex"))
            p["health_label"] = codes.label("health", p.get("health"))
            p["labour_label"] = codes.label("labour", p.get("labour"))
    meeting = data.get("meeting")
    if meeting and meeting.get("rule"):
        try:
            meeting["rule_text"] = rules.rule_text(meeting["rule"])
            meeting["quorum"] = str(Fraction(*meeting["rule"]["quorum"]))
        except (KeyError, TypeError, ValueError):
            meeting["rule_text"] = ""


def _issuer_level(data: dict) -> str:
    level = data["step"]["level"]
    return "village" if level == "group" else level


def _issuer(level: str, name: str) -> str:
    """The unit that issues a document of a step at ``level`` (seed 003: the villagers'
    committee, the township government, the county's leading group)."""
    if level == "village":
        return _("%(name)s Villagers' Committee") % {"name": name}
    if level == "township":
        return _("People's Government of %(name)s") % {"name": name}
    if level == "county":
        return _("%(name)s Poverty Alleviation and Development Leading Group") % {"name": name}
    return name


def title(name: str, areas: dict) -> str:
    """The document's title with the area named: the type's names start with the
    generic level (“村…”, “乡（镇）…”, “县…”), replaced by the batch's own area
    (村贫困户初选名单公示 → 石桥村贫困户初选名单公示); “村民…” is a word, so the village is
    put before it."""
    if name.startswith("村民") and areas.get("village"):
        return areas["village"] + name
    for prefix, level in (("村", "village"), ("乡（镇）", "township"), ("乡(镇)", "township"), ("镇", "township"),
                          ("县", "county")):
        if name.startswith(prefix) and areas.get(level):
            return areas[level] + name[len(prefix):]
    return name


def render_html(doc: StepDocument, data: dict | None = None) -> str:
    """The document's HTML in the official language."""
    data = _revive(data if data is not None else doc.data)
    with translation.override(settings.LANGUAGE_CODE):
        _labels(data)
        members = data.get("members", [])
        level = _issuer_level(data)
        issuer_name = data["areas"].get(level) or data["area"]["name"]
        return render_to_string(template_for(doc.code), {
            "d": data, "doc": doc, "members": members, "issuer_level": level, "issuer_name": issuer_name,
            "issuer": _issuer(level, issuer_name), "title": title(data.get("name", ""), data.get("areas", {})),
            "totals": {"households": len(members), "people": sum(r.get("size") or 0 for r in members)},
            "reference": f"{data['batch']['id']}-{data['step']['index'] + 1}",
        })


def render_pdf(doc: StepDocument, data: dict | None = None) -> bytes:
    """The document's PDF (core.pdf: the renderer the registry's PDFs use)."""
    return pdf.html_to_pdf(render_html(doc, data))


def _household_count(doc: StepDocument) -> int:
    return len((doc.data or {}).get("members", []))


def filename(doc: StepDocument) -> str:
    record = doc.record
    return f"{record.batch_id}-{record.index + 1:02d}-{doc.code}-v{doc.version}.pdf"


def read_file(doc: StepDocument) -> bytes:
    """The stored PDF of ``doc`` (rendered and stored by actions.render_document, which
    the pages call first: nothing here writes)."""
    if not doc.file:
        raise ValueError(f"document {doc.pk} has no stored file: render it with actions.render_document first")
    with doc.file.open("rb") as handle:
        return handle.read()


# --- reads for the pages (rendering and regenerating are actions.render_document and .regenerate_document) --------

def documents_of(batch: ProcedureBatch) -> list[StepDocument]:
    """Every document of a batch (all versions), by step then code then version."""
    docs = list(StepDocument.objects.filter(record__batch=batch).select_related("record", "created_by")
                .order_by("record__index", "code", "version"))
    for d in docs:
        d.record.batch = batch  # read once, not once per document
    return docs


def latest(docs: list[StepDocument]) -> list[StepDocument]:
    newest: dict[tuple, StepDocument] = {}
    for d in docs:
        key = (d.record.index, d.code)
        if key not in newest or d.version > newest[key].version:
            newest[key] = d
    return sorted(newest.values(), key=lambda d: (d.record.index, d.code))


def missing(docs: list[StepDocument]) -> list[StepDocument]:
    """Of a batch's documents (``documents_of``, or their ``latest``), the latest version
    of each that has no stored PDF yet: what the zip's job renders, what the zip waits
    for and what the prepare page counts."""
    return [d for d in latest(docs) if not d.file]


def log_download(actor: Actor, batch: ProcedureBatch, docs: list[StepDocument]) -> None:
    """A document lists people (names, villages, masked ID numbers): its download is an export."""
    audit.record_export(actor, "procedures.document.download", area_code=batch.area_code,
                        count=sum(_household_count(d) for d in docs),
                        note=f"batch {batch.pk}: " + ", ".join(f"{d.code} v{d.version}" for d in docs)[:400])


def zip_bytes(docs: list[StepDocument]) -> bytes:
    """The stored PDFs of ``docs`` in one zip (each rendered before, by the zip's job:
    actions.start_rendering; nothing is rendered here)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for d in docs:
            archive.writestr(filename(d), read_file(d))
    return buffer.getvalue()
