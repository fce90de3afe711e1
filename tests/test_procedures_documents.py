"""The documents of a procedure (issue 6): seed 003's eight documents of an exit, rendered
as PDF from the batch's record — names and villages shown, ID numbers masked, the dates
of the notices, the votes, the objections and how they were decided — and the same
machinery for the identification types. Snapshots at the step, a stored file that
regenerating never changes, downloads logged as exports, scoped like the batch."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import tempfile
import zipfile
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from fupin.audit.models import AuditEvent
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import Forbidden, Invalid
from fupin.procedures import actions, documents, rules
from fupin.procedures.models import ProcedureType, StepDocument
from fupin.registry import actions as registry
from fupin.registry.models import Income, Member
from tests.conftest import COUNTY_A, SYSTEM, TOWNSHIP_A, VILLAGE_A, VILLAGE_B
from tests.test_procedures import RULE, advance, do, make_households, start

D = dt.date
EXIT_JSON = Path(__file__).resolve().parents[1] / "src/fupin/exits/data/procedure_types.json"
EIGHT = ["exit_application", "appraisal_minutes", "vote_tally", "village_notice", "township_report",
         "township_notice", "county_report", "county_announcement"]
RARE = "𪚥"  # U+2A6A5: in no Noto CJK SC face; HanaMin has it


def _notice(code, name, days, level, perm, docs, **extra):
    return {"code": code, "name": name, "name_en": code, "kind": "notice", "days": days, "level": level,
            "permission": perm, "documents": docs, "days_source": "seed 003 三、标准程序", **extra}


# The exit type as contracts.md fixes it (the exits engineer ships the real one).
EXIT_DEF = {
    "code": "exit_doc_test", "name": "贫困户退出（测试）", "name_en": "Exit (test)", "purpose": "exit",
    "source": "seed 003 泗水县退出工作方案 三、标准程序",
    "start": {"statuses": ["registered", "returned"], "permission": "procedures.village"},
    "documents": [
        {"code": "exit_application", "name": "建档立卡贫困户退出申请书", "name_en": "Exit application"},
        {"code": "appraisal_minutes", "name": "村民代表大会民主评议会议记录", "name_en": "Appraisal minutes"},
        {"code": "vote_tally", "name": "村民代表大会民主评议统计表", "name_en": "Vote tally"},
        {"code": "village_notice", "name": "村建档立卡贫困户退出初选名单公示", "name_en": "Village notice"},
        {"code": "township_report", "name": "关于审核确认建档立卡贫困户退出的报告", "name_en": "Township report"},
        {"code": "township_notice", "name": "乡（镇）建档立卡贫困户退出名单公示", "name_en": "Township notice"},
        {"code": "county_report", "name": "关于送审建档立卡贫困户退出的报告", "name_en": "County report"},
        {"code": "county_announcement", "name": "县建档立卡贫困户退出名单公告", "name_en": "County announcement"},
    ],
    "steps": [
        {"code": "nomination", "name": "村民小组提名", "name_en": "Nomination", "kind": "task", "level": "group",
         "permission": "procedures.village", "documents": ["exit_application"]},
        {"code": "appraisal", "name": "村民代表大会民主评议", "name_en": "Appraisal", "kind": "appraisal",
         "level": "village", "permission": "procedures.village", "documents": ["appraisal_minutes", "vote_tally"],
         "pass_rule": RULE},
        {"code": "verification", "name": "村委会和驻村工作队核实", "name_en": "Verification", "kind": "task",
         "level": "village", "permission": "procedures.village", "documents": []},
        _notice("village_notice", "村内第一次公示", 7, "village", "procedures.village", ["village_notice"]),
        {"code": "township_review", "name": "乡（镇）审核", "name_en": "Township review", "kind": "review",
         "level": "township", "permission": "procedures.township", "documents": ["township_report"]},
        _notice("township_notice", "在各行政村第二次公示", 7, "township", "procedures.township", ["township_notice"]),
        {"code": "county_approval", "name": "县扶贫开发领导小组审批", "name_en": "County approval", "kind": "review",
         "level": "county", "permission": "procedures.county", "documents": ["county_report"]},
        _notice("announcement", "在村内公告", 5, "county", "procedures.county", ["county_announcement"],
                announcement=True),
        {"code": "filing", "name": "逐级报市、省备案", "name_en": "Filing", "kind": "task", "level": "county",
         "permission": "procedures.county", "documents": []},
    ],
    "on_complete": {"hook": "registry.set_status", "params": {"status": "exited_policy"}},
}


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in their English originals (documents render in zh-hans)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings):
    with tempfile.TemporaryDirectory(prefix="fupin-docs-") as path:
        settings.MEDIA_ROOT = path
        yield Path(path)


def make_type(definition: dict) -> ProcedureType:
    d = copy.deepcopy(definition)
    d.get("start", {}).pop("checks", None)  # the exit criteria are the exits engineer's (tested there)
    return ProcedureType.objects.update_or_create(
        code=d["code"], defaults={"name": d["name"], "name_en": d["name_en"], "purpose": d["purpose"],
                                  "source": d["source"], "definition": d})[0]


# --- reading a PDF ---------------------------------------------------------------------------

def layout_text(html: str) -> str:
    """The text WeasyPrint lays out for the PDF, box by box (a table cell's wrapped lines
    stay together), with every space removed."""
    import weasyprint

    parts = []

    def walk(box):
        if hasattr(box, "text"):
            parts.append(box.text)
        for child in getattr(box, "children", []):
            walk(child)

    for page in weasyprint.HTML(string=html).render().pages:
        walk(page._page_box)
    return "".join("".join(parts).split())


def extracted_text(body: bytes) -> str | None:
    """The text a PDF reader extracts (pdftotext, when poppler-utils is installed), with
    every space removed; None without it."""
    if not shutil.which("pdftotext"):
        return None
    text = subprocess.run(["pdftotext", "-", "-"], input=body, capture_output=True, check=True).stdout.decode()
    return "".join(text.split())


def pdf_fonts(body: bytes) -> set[str]:
    """The base fonts embedded in a PDF (its object streams inflated with zlib)."""
    chunks = [body]
    for m in re.finditer(rb"stream\r?\n", body):
        try:
            chunks.append(zlib.decompressobj().decompress(body[m.end():m.end() + 4_000_000]))
        except zlib.error:
            continue
    return {f.decode() for c in chunks for f in re.findall(rb"/BaseFont\s*/(?:[A-Z]{6}\+)?([\w-]+)", c)}


def squash(name: str) -> str:
    return name.replace("-", "").replace(" ", "")


# --- the exit run ---------------------------------------------------------------------------

NAMES = {1: "张三丰", 2: "李四", 3: "王" + RARE, 4: "赵六", 5: "孙七"}


def run_exit(ptype_code: str):
    """Five households of 石桥村 through the exit: 李四 fails the appraisal (5 for, 15
    against), 孙七 leaves on an upheld objection, 张三丰's objection is answered and he
    stays, 赵六 is not confirmed by the township; 张三丰 and 王𪚥 exit."""
    hh = make_households(VILLAGE_A, 5, status="registered", names=NAMES)
    for h in hh:
        registry.save_income(SYSTEM, h, 2024, wages="9000", crops="1000")
    batch = start(SYSTEM, hh, code=ptype_code, area=VILLAGE_A, on=D(2024, 2, 1))
    m = {h.head_name: batch.members.get(household=h) for h in hh}
    do(SYSTEM, batch, "complete", D(2024, 2, 1), notes="各村民小组提名")
    votes = {mm.pk: [18, 1, 1] for mm in m.values()}
    votes[m["李四"].pk] = [5, 15, 0]
    do(SYSTEM, batch, "appraise", D(2024, 2, 2), held_on=D(2024, 2, 2), total=30, present=20,
       minutes="村民代表大会于村委会召开，对提名的5户逐户评议表决。", votes=votes)
    do(SYSTEM, batch, "complete", D(2024, 2, 3))
    do(SYSTEM, batch, "publish", D(2024, 3, 1), notes="村务公开栏")
    with clock.frozen(D(2024, 3, 3)):
        o1 = actions.raise_objection(SYSTEM, batch, m["张三丰"].pk, content="反映该户收入未达标",
                                     objector_name="匿名群众", objector_contact="13800001111")
        o2 = actions.raise_objection(SYSTEM, batch, m["孙七"].pk, content="家中仍有因贫辍学学生")
    with clock.frozen(D(2024, 3, 5)):
        actions.resolve_objection(SYSTEM, o1, upheld=False, text="经入户核实，该户务工收入稳定，异议不成立")
        actions.resolve_objection(SYSTEM, o2, upheld=True, text="经核实，该户子女确因贫辍学")
    do(SYSTEM, batch, "close", D(2024, 3, 8))
    do(SYSTEM, batch, "decide", D(2024, 3, 9), rejected={m["赵六"].pk: "住房安全未达标"})
    advance(SYSTEM, batch, on=D(2024, 3, 10))
    batch.refresh_from_db()
    return batch, hh


@pytest.fixture
def exit_run(two_counties):
    make_type(EXIT_DEF)
    return run_exit(EXIT_DEF["code"])


def _docs(batch) -> dict[str, StepDocument]:
    return {d.code: d for d in documents.latest(documents.documents_of(batch))}


def read(doc) -> bytes:
    """The PDF as a download gets it: rendered and stored by the action the first time."""
    return documents.read_file(actions.render_document(SYSTEM, doc))


def _head_ids(hh) -> dict[str, str]:
    return {h.head_name: Member.objects.get(household=h, relation="01").id_number for h in hh}


def test_the_eight_documents_of_an_exit_are_pdfs_from_the_record(exit_run):
    batch, hh = exit_run
    assert batch.status == rules.DONE
    docs = _docs(batch)
    assert sorted(docs) == sorted(EIGHT)
    ids = _head_ids(hh)
    texts, fonts = {}, set()
    for code, doc in docs.items():
        assert not doc.file and doc.data["code"] == code  # a snapshot now, the PDF at the first download
        body = read(doc)
        doc.refresh_from_db()
        assert body.startswith(b"%PDF") and doc.file and len(doc.sha256) == 64
        texts[code] = layout_text(documents.render_html(doc))
        extracted = extracted_text(body)
        fonts |= {squash(f) for f in pdf_fonts(body)}
        for name, number in ids.items():  # never a full ID number anywhere
            assert number not in texts[code], (code, name)
            assert extracted is None or number not in extracted
        if extracted is not None:  # what a reader gets from the file itself
            assert "石桥村" in extracted and "张三丰" in extracted and "2024年" in extracted, code
            if code != "appraisal_minutes":  # the minutes name the households, with no ID number
                assert ids["张三丰"][:6] + "********" + ids["张三丰"][-4:] in extracted, code
    assert any("NotoSerifCJK" in f for f in fonts) and any("NotoSansCJK" in f for f in fonts), fonts
    assert any("HanaMin" in f for f in fonts), fonts  # 王𪚥

    masked = {n: v[:6] + "*" * 8 + v[-4:] for n, v in ids.items()}
    t = texts
    # 1. exit application: one page per nominated household, income and signature lines.
    for name in NAMES.values():
        assert name in t["exit_application"] and masked[name] in t["exit_application"]
    income = str(Income.objects.get(household=hh[0], year=2024).per_capita)
    assert income == "10000.00"  # 9,000 wages + 1,000 crops, one person
    assert "石桥村" in t["exit_application"] and income in t["exit_application"]
    assert "签字" in t["exit_application"]  # documents are always in Chinese
    # 2-3. the appraisal: meeting date, 20 of 30 present, the votes per household.
    assert "2024年2月2日" in t["appraisal_minutes"] and "应到30人，实到20人" in t["appraisal_minutes"]
    assert "村民代表大会于村委会召开" in t["appraisal_minutes"]
    assert f"李四{masked['李四']}1515020未通过" in t["vote_tally"]  # size, for, against, abstain, present
    assert f"张三丰{masked['张三丰']}1181120通过" in t["vote_tally"]
    assert "通过：4户。未通过：1户。" in t["vote_tally"]
    # 4. first notice: 1 March, 7 days, last day 7 March; the four who passed the appraisal.
    vn = t["village_notice"]
    assert "2024年3月1日" in vn and "2024年3月7日" in vn and "公示期7天" in vn
    for name in ("张三丰", "王" + RARE, "赵六", "孙七"):
        assert name in vn and masked[name] in vn
    assert "李四" not in vn and "石桥村建档立卡贫困户退出初选名单公示" in vn
    # 5. township report: the objections and their decisions, 赵六 not confirmed with the reason.
    tr = t["township_report"]
    assert "经入户核实，该户务工收入稳定，异议不成立" in tr and "经核实，该户子女确因贫辍学" in tr
    assert "反映该户收入未达标" in tr and "匿名群众" not in tr and "13800001111" not in tr
    assert "赵六" in tr and "住房安全未达标" in tr and "张三丰" in tr
    assert "2024年3月9日" in tr and "2024年3月8日" in tr
    # 6. township notice: 10 to 16 March, the two confirmed households.
    tn = t["township_notice"]
    assert "2024年3月10日" in tn and "2024年3月16日" in tn and "城厢镇建档立卡贫困户退出名单公示" in tn
    assert "张三丰" in tn and "王" + RARE in tn and "赵六" not in tn and "孙七" not in tn
    # 7. county report: submitted after the second notice, approved.
    assert "张三丰" in t["county_report"] and "2024年3月16日" in t["county_report"]
    # 8. county announcement: 5 days, exit year 2024, income, ID masked.
    ca = t["county_announcement"]
    assert "公告期5天" in ca and "2024" in ca and "张三丰" in ca and masked["张三丰"] in ca and income in ca
    assert "赵六" not in ca and "李四" not in ca and "全南县建档立卡贫困户退出名单公告" in ca
    assert "石桥村村民代表大会民主评议会议记录" in t["appraisal_minutes"]


def test_titles_name_the_area():
    areas = {"village": "石桥村", "township": "城厢镇", "county": "全南县"}
    assert documents.title("村贫困户初选名单公示", areas) == "石桥村贫困户初选名单公示"
    assert documents.title("村民代表大会民主评议统计表", areas) == "石桥村村民代表大会民主评议统计表"
    assert documents.title("乡（镇）贫困户名单公示", areas) == "城厢镇贫困户名单公示"
    assert documents.title("县贫困户名单公告", areas) == "全南县贫困户名单公告"
    assert documents.title("关于送审建档立卡贫困户退出的报告", areas) == "关于送审建档立卡贫困户退出的报告"
    assert documents.title("村贫困户初选名单公示", {"county": "全南县"}) == "村贫困户初选名单公示"


def test_a_stored_document_never_changes_regenerating_adds_a_version(exit_run, make_user):
    batch, hh = exit_run
    doc = _docs(batch)["village_notice"]
    first = read(doc)
    doc.refresh_from_db()
    sha, name = doc.sha256, doc.file.name
    # The record changes after the notice: the stored document does not.
    registry.update_member(SYSTEM, Member.objects.get(household=hh[0], relation="01"), name="张三丰改")
    assert read(doc) == first
    doc.refresh_from_db()
    assert (doc.sha256, doc.file.name) == (sha, name)
    village = Actor(make_user("village_cadre", VILLAGE_A))
    with pytest.raises(Invalid):
        actions.regenerate_document(village, doc, note="")
    with pytest.raises(Forbidden):
        actions.regenerate_document(Actor(make_user("village_cadre", VILLAGE_B)), doc, note="x")
    new = actions.regenerate_document(village, doc, note="户主姓名更正")
    assert new.version == 2 and new.note == "户主姓名更正" and not new.file
    assert StepDocument.objects.filter(record=doc.record, code="village_notice").count() == 2
    event = AuditEvent.objects.filter(action="procedures.document.regenerate").latest("id")
    assert event.after["version"] == 2 and event.after["reason"] == "户主姓名更正"
    # After the notice closed, the new version also says how the notice went.
    assert read(new).startswith(b"%PDF")
    text = layout_text(documents.render_html(new))
    assert "张三丰改" in text and "经入户核实，该户务工收入稳定，异议不成立" in text
    doc.refresh_from_db()
    assert doc.sha256 == sha


def test_a_failing_snapshot_never_blocks_the_step(two_counties, monkeypatch):
    make_type(EXIT_DEF)
    hh = make_households(VILLAGE_A, 1, status="registered")

    def boom(*args, **kwargs):
        raise RuntimeError("no")

    monkeypatch.setattr(documents, "snapshot", boom)
    batch = start(SYSTEM, hh, code=EXIT_DEF["code"])
    do(SYSTEM, batch, "complete", D(2024, 2, 1))
    batch.refresh_from_db()
    assert batch.step_index == 1
    doc = StepDocument.objects.get(record__batch=batch, code="exit_application")
    assert doc.data == {}
    monkeypatch.undo()
    assert read(doc).startswith(b"%PDF")  # the snapshot is taken at the first download
    doc.refresh_from_db()
    assert doc.data["members"][0]["head_name"] == "户主1"


def test_identification_documents_use_the_same_machinery(two_counties):
    hh = make_households(VILLAGE_A, 2)
    batch = start(SYSTEM, hh)
    advance(SYSTEM, batch, on=D(2024, 2, 1))
    docs = _docs(batch)
    codes = [d["code"] for d in batch.definition["documents"]]
    assert sorted(docs) == sorted(codes)
    assert documents.template_for("household_form").endswith("household_form.html")
    assert documents.template_for("no_such_code") == documents.GENERIC
    for code in ("application", "household_form", "check_report", "county_approval"):
        html = documents.render_html(docs[code])
        assert "户主1" in html and "户主2" in html, code
        assert Member.objects.filter(household=hh[0]).first().id_number not in html


def test_a_type_with_a_document_code_without_its_own_template_renders_generically(two_counties):
    definition = copy.deepcopy(EXIT_DEF)
    definition["code"] = "exit_generic"
    definition["documents"].append({"code": "filing_record", "name": "备案表", "name_en": "Filing record"})
    definition["steps"][-1]["documents"] = ["filing_record"]
    make_type(definition)
    hh = make_households(VILLAGE_A, 1, status="registered")
    batch = start(SYSTEM, hh, code="exit_generic")
    advance(SYSTEM, batch, on=D(2024, 2, 1))
    doc = _docs(batch)["filing_record"]
    html = documents.render_html(doc)
    assert "备案表" in html and "户主1" in html


def test_the_shipped_exit_type_produces_the_eight_documents(two_counties):
    types = json.loads(EXIT_JSON.read_text(encoding="utf-8"))["types"]
    shipped = next(t for t in types if t["code"] == "exit_2016")
    assert [d["code"] for d in shipped["documents"]] == EIGHT
    make_type(shipped)
    batch, hh = run_exit("exit_2016")
    docs = _docs(batch)
    assert sorted(docs) == sorted(EIGHT)
    ids = _head_ids(hh)
    for code in ("village_notice", "county_announcement"):
        html = documents.render_html(docs[code])
        assert "张三丰" in html and ids["张三丰"] not in html and ids["张三丰"][-4:] in html


# --- pages ---------------------------------------------------------------------------------

def test_pages_list_download_zip_and_regenerate(exit_run, make_user, login):
    batch, _hh = exit_run
    viewer = make_user("county_office", COUNTY_A)
    client = login(viewer)
    page = client.get(reverse("procedures:batch", args=[batch.pk]))
    assert page.status_code == 200
    doc = _docs(batch)["village_notice"]
    url = reverse("procedures:document", args=[batch.pk, doc.pk])
    assert url in page.content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF") if response.streaming else \
        response.content.startswith(b"%PDF")
    event = AuditEvent.objects.filter(action="procedures.document.download").latest("id")
    assert event.kind == "export" and event.count == 4 and "village_notice v1" in event.note
    # the zip of every document (the latest versions), logged once: the seven not rendered
    # yet are rendered by a background job first (test_procedures_documents_jobs)
    zip_url = reverse("procedures:documents_zip", args=[batch.pk])
    prepare = reverse("procedures:documents_prepare", args=[batch.pk])
    assert client.get(zip_url)["Location"] == prepare
    ready = client.get(prepare)
    assert (ready.context["ready"], ready.context["total"]) == (1, 8)
    assert client.post(prepare).status_code == 302
    response = client.get(zip_url)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content) if response.streaming
                                         else response.content))
    assert len(archive.namelist()) == 8 and all(n.endswith(".pdf") for n in archive.namelist())
    # regenerating: the step's permission (the county office has procedures.village too)
    township = make_user("township_officer", TOWNSHIP_A)
    r = login(township).post(reverse("procedures:document_regenerate", args=[batch.pk, doc.pk]),
                             {"note": "更正"})
    assert r.status_code == 302
    assert StepDocument.objects.filter(record=doc.record, code=doc.code).count() == 2
    helper = make_user("helper", VILLAGE_A)
    assert login(helper).post(reverse("procedures:document_regenerate", args=[batch.pk, doc.pk]),
                              {"note": "x"}).status_code == 403
    # outside the area: 404
    other = make_user("county_office", "360783000000")
    assert login(other).get(url).status_code == 404


def test_income_is_the_latest_year_up_to_the_document(two_counties):
    make_type(EXIT_DEF)
    hh = make_households(VILLAGE_A, 1, status="registered")
    registry.save_income(SYSTEM, hh[0], 2023, wages="4000")
    registry.save_income(SYSTEM, hh[0], 2025, wages="99999")
    batch = start(SYSTEM, hh, code=EXIT_DEF["code"], on=D(2024, 2, 1))
    do(SYSTEM, batch, "complete", D(2024, 2, 1))
    row = StepDocument.objects.get(record__batch=batch).data["members"][0]
    assert row["per_capita"] == str(Decimal("4000.00")) and row["income_year"] == 2023
    assert row["exit_year"] == 2024


def test_garbage_document_requests_are_answered_not_crashed(two_counties, make_user, login):
    hh = make_households(VILLAGE_A, 1)
    batch = start(SYSTEM, hh)
    advance(SYSTEM, batch, on=D(2024, 2, 1))
    doc = _docs(batch)["application"]
    client = login(make_user("county_office", COUNTY_A))
    huge = 99999999999999999999
    for url in (reverse("procedures:document", args=[batch.pk, huge]),
                reverse("procedures:document", args=[huge, doc.pk]),
                reverse("procedures:documents_zip", args=[huge])):
        assert client.get(url).status_code == 404, url
    regenerate = reverse("procedures:document_regenerate", args=[batch.pk, doc.pk])
    assert client.get(regenerate).status_code == 405
    assert client.post(reverse("procedures:document_regenerate", args=[batch.pk, huge]), {"note": "x"}).status_code == 404
    for note in ("", "   ", "长" * 5000):
        assert client.post(regenerate, {"note": note}).status_code == 302, note
    versions = sorted(StepDocument.objects.filter(record=doc.record, code=doc.code).values_list("version", "note"))
    assert [v for v, _n in versions] == [1, 2] and versions[-1][1] == "长" * 200  # "" and spaces refused
    assert client.post(regenerate, {"note": "\x00"}).status_code in (302, 400)  # PostgreSQL refuses NUL: a 400 page
