"""PDF rendering (the household card, the registers, the procedures' documents) is fast
without losing anything: one renderer (core.pdf) keeps its URL fetcher and its font
configuration from one document to the next (one per rendering at the same moment,
never shared between threads) and gives the same bytes as a fresh one; the tables whose
columns are given are laid out fixed, the register's grid is drawn one rectangle a cell
with its lines as thick as before; the PDF templates are rendered without the pages'
context processors. Unchanged and guarded here: the CJK faces and HanaMin (a name's
rare character) are embedded and extracted, and the register's queries do not grow with
its households."""

from __future__ import annotations

import shutil
import subprocess
import threading

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fupin.core import pdf as core_pdf
from fupin.procedures import documents
from fupin.registry import actions
from fupin.registry import pdf as registry_pdf
from tests.conftest import SYSTEM, VILLAGE_A
from tests.test_registry_pages import make_household, pdf_fonts, world  # noqa: F401  (the fixture)

RARE_HANAMIN = "𪚥"  # U+2A6A5: in no Noto CJK SC face, HanaMinA has it
RARE = "𠮷㵘"  # U+20BB7 (Ext. B) and U+3D58 (Ext. A): in Noto CJK SC
CJK_HTML = ('<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><style>'
            f"html {{ font-family: {registry_pdf.FONT_STACK}; }} h1 {{ font-family: \"Noto Serif CJK SC\", serif; }}"
            f"</style></head><body><h1>户卡</h1><p>王{RARE_HANAMIN} 吉{RARE} <b>村册</b></p></body></html>")


@pytest.fixture(autouse=True)
def empty_pool():
    """Each test starts with no idle renderer (and leaves none of its own behind)."""
    core_pdf._idle.clear()
    yield
    core_pdf._idle.clear()


@pytest.fixture
def renderings(monkeypatch):
    """Every WeasyPrint rendering: its font configuration and URL fetcher."""
    import weasyprint

    seen = []
    real = weasyprint.HTML.write_pdf

    def spy(self, *args, **kwargs):
        seen.append({"font_config": kwargs.get("font_config"), "fetcher": self.url_fetcher})
        return real(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", spy)
    return seen


def extracted_text(body: bytes) -> str | None:
    if not shutil.which("pdftotext"):
        return None
    return "".join(subprocess.run(["pdftotext", "-", "-"], input=body, capture_output=True, check=True)
                   .stdout.decode().split())


# --- one renderer, kept ---------------------------------------------------------------------

def test_a_renderer_is_kept_from_one_document_to_the_next(renderings, monkeypatch):
    """The font configuration (fontconfig, a Pango font map with the faces open) and the
    URL fetcher (an SSL context) are made once, not once per document; the registry's
    PDFs and the procedures' documents share them."""
    from weasyprint.text.fonts import FontConfiguration

    monkeypatch.setattr(documents, "render_html", lambda doc, data=None: CJK_HTML)
    for _ in range(2):
        assert registry_pdf.html_to_pdf(CJK_HTML).startswith(b"%PDF")
    assert documents.render_pdf(None).startswith(b"%PDF")
    assert len(renderings) == 3
    first = renderings[0]
    assert isinstance(first["font_config"], FontConfiguration)
    assert all(r["font_config"] is first["font_config"] and r["fetcher"] is first["fetcher"] for r in renderings)


def test_renderings_at_the_same_moment_each_have_their_own_renderer(renderings, monkeypatch):
    """Pango is not thread-safe: two threads rendering at once never share a font
    configuration; both renderers are kept for the next documents."""
    import weasyprint

    barrier = threading.Barrier(2, timeout=60)
    spied = weasyprint.HTML.write_pdf

    def together(self, *args, **kwargs):
        barrier.wait()  # both renderings are under way at the same time
        return spied(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", together)
    bodies, errors = [], []

    def render():
        try:
            bodies.append(core_pdf.html_to_pdf(CJK_HTML))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=render) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and len(bodies) == 2 and bodies[0] == bodies[1]
    configs = [r["font_config"] for r in renderings]
    assert configs[0] is not None and configs[1] is not None and configs[0] is not configs[1]
    assert len(core_pdf._idle) == 2
    monkeypatch.setattr(weasyprint.HTML, "write_pdf", spied)
    core_pdf.html_to_pdf(CJK_HTML)
    assert renderings[-1]["font_config"] in configs  # taken from the pool, not made again


def test_a_failed_rendering_does_not_give_its_renderer_back(renderings, monkeypatch):
    import weasyprint

    spied = weasyprint.HTML.write_pdf
    calls = []

    def fail_once(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            renderings.append({"font_config": kwargs.get("font_config"), "fetcher": self.url_fetcher})
            raise RuntimeError("pango said no")
        return spied(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", fail_once)
    with pytest.raises(RuntimeError):
        core_pdf.html_to_pdf(CJK_HTML)
    assert core_pdf._idle == []
    core_pdf.html_to_pdf(CJK_HTML)
    assert renderings[-1]["font_config"] is not renderings[0]["font_config"]


def test_a_renderer_is_replaced_after_its_share_of_documents(renderings, monkeypatch):
    monkeypatch.setattr(core_pdf, "RENDERS_PER_RENDERER", 2)
    for _ in range(3):
        core_pdf.html_to_pdf(CJK_HTML)
    configs = [r["font_config"] for r in renderings]
    assert configs[0] is configs[1] and configs[2] is not configs[0]


def test_warm_up_leaves_a_renderer_with_the_faces_open(renderings):
    core_pdf.warm_up()
    assert len(core_pdf._idle) == 1
    core_pdf.html_to_pdf(CJK_HTML)
    assert renderings[-1]["font_config"] is renderings[0]["font_config"]


def test_a_kept_renderer_gives_the_bytes_a_fresh_one_gives():
    """Same faces, same fallbacks (HanaMin for 𪚥), same file: keeping the renderer
    changes nothing in the PDF."""
    import weasyprint

    fresh = weasyprint.HTML(string=CJK_HTML).write_pdf()
    core_pdf.html_to_pdf("<p>另一份文件 <b>粗体</b></p>")  # the renderer has served another document
    kept = core_pdf.html_to_pdf(CJK_HTML)
    assert kept == fresh
    fonts = pdf_fonts(kept)
    assert any("HanaMin" in f for f in fonts) and any("NotoSansCJK" in f.replace("-", "") for f in fonts), fonts
    text = extracted_text(kept)
    if text is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the text cannot be read back")
    assert "王" + RARE_HANAMIN in text and "吉" + RARE in text, text


# --- the registry's PDFs --------------------------------------------------------------------

def test_household_card_pdf_embeds_cjk_faces_and_a_name_s_rare_characters(world):
    h = make_household("3607291002010009", head="王" + RARE_HANAMIN)
    actions.add_member(SYSTEM, h, name="吉" + RARE, relation="02", sex="2", no_id_reason="3", ethnicity="01",
                       school_status="00", health="1")
    response = world["client"].get(reverse("registry:household_pdf", args=[h.pk]))
    assert response.status_code == 200
    fonts = {f.replace("-", "") for f in pdf_fonts(response.content)}
    assert any("NotoSansCJK" in f for f in fonts) and any("NotoSerifCJK" in f for f in fonts), fonts
    assert any("HanaMin" in f for f in fonts), fonts
    text = extracted_text(response.content)
    assert text is None or ("王" + RARE_HANAMIN in text and "吉" + RARE in text), text


def _boxes(html: str):
    import weasyprint

    def walk(box):
        yield box
        for child in getattr(box, "children", []):
            yield from walk(child)

    for page in weasyprint.HTML(string=html).render().pages:
        yield from walk(page._page_box)


def _html_of(client, url, monkeypatch) -> str:
    seen = {}
    monkeypatch.setattr(registry_pdf, "html_to_pdf", lambda html: seen.setdefault("html", html) and b"%PDF")
    assert client.get(url).status_code == 200
    return seen["html"]


def test_card_tables_with_given_widths_are_laid_out_fixed(world, monkeypatch):
    """The fields tables (labels 22 % of the table with their padding, as the automatic
    layout made them; values 24 % and 32 %), the income and the history tables take their
    columns' widths from the first row or the colgroup: no cell is measured to size them.
    The members' table keeps sizing its columns to its content."""
    from weasyprint.formatting_structure import boxes

    client = world["client"]
    assert client.post(reverse("registry:household_income", args=[world["h"].pk]),
                       {"year": "2020", "wages": "9000"}).status_code == 302
    html = _html_of(client, reverse("registry:household_pdf", args=[world["h"].pk]), monkeypatch)
    tables = [b for b in _boxes(html) if isinstance(b, boxes.TableBox)]
    layouts = [t.style["table_layout"] for t in tables]
    assert layouts.count("auto") == 1 and layouts.count("fixed") == len(tables) - 1 >= 4, layouts
    fields = next(t for t in tables if "fields" in (t.element.get("class") or ""))
    widths = [w / fields.width * 100 for w in fields.column_widths]
    assert widths == [pytest.approx(22), pytest.approx(24), pytest.approx(22), pytest.approx(32)], widths


def test_register_grid_is_one_rectangle_a_cell_with_lines_as_thick_as_before(world, monkeypatch):
    """Every cell has the same border on its four sides (WeasyPrint draws it as one
    rectangle; two sides are two clipped strokes each): 0.25pt, so that two neighbours
    make the register's 0.5pt line, and the table's own 0.25pt the outer line. Only the
    cells kept on one line (names, numbers) are clipped to their box."""
    from weasyprint.formatting_structure import boxes

    html = _html_of(world["client"], reverse("registry:register_pdf", args=[VILLAGE_A]), monkeypatch)
    quarter_point = 0.25 * 96 / 72  # CSS px
    all_boxes = list(_boxes(html))
    cells = [b for b in all_boxes if isinstance(b, boxes.TableCellBox)]
    assert len(cells) >= 3 * 14
    for cell in cells:
        sides = [cell.border_top_width, cell.border_right_width, cell.border_bottom_width, cell.border_left_width]
        assert sides == [pytest.approx(quarter_point)] * 4, sides
        # clipped (a drawing state each) only where the text is kept on one line
        assert (cell.style["overflow"] == "hidden") == (cell.style["white_space"] == "nowrap"), cell.element.text
    table = next(b for b in all_boxes if isinstance(b, boxes.TableBox))
    assert table.style["border_collapse"] == "separate" and table.style["border_spacing"] == (0, 0)
    assert [table.border_top_width, table.border_left_width] == [pytest.approx(quarter_point)] * 2


def test_register_queries_do_not_grow_with_its_households(world, monkeypatch):
    monkeypatch.setattr(registry_pdf, "html_to_pdf", lambda html: b"%PDF")
    client = world["client"]
    url = reverse("registry:register_pdf", args=[VILLAGE_A])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for n in range(10):
        h = make_household(f"36072910020100{20 + n}", head=f"户主{n}")
        actions.save_income(SYSTEM, h, 2020, wages="9000")
    assert queries() == few


# --- no context processors --------------------------------------------------------------------

CALLS = []


def recording_processor(request):
    CALLS.append(request.path)
    return {}


def test_pdf_templates_are_rendered_without_the_pages_context_processors(world, monkeypatch):
    """The menu, the user's permissions, the CSP nonce: nothing a PDF template uses."""
    templates = [dict(t, OPTIONS={**t["OPTIONS"], "context_processors": [
        *t["OPTIONS"]["context_processors"], "tests.test_pdf_render.recording_processor"]})
        for t in django_settings.TEMPLATES]
    monkeypatch.setattr(registry_pdf, "html_to_pdf", lambda html: b"%PDF")
    client = world["client"]
    CALLS.clear()
    with override_settings(TEMPLATES=templates):
        assert client.get(reverse("registry:household", args=[world["h"].pk])).status_code == 200
        assert CALLS  # the card's page has them
        CALLS.clear()
        assert client.get(reverse("registry:household_pdf", args=[world["h"].pk])).status_code == 200
        assert client.get(reverse("registry:register_pdf", args=[VILLAGE_A])).status_code == 200
    assert CALLS == []
