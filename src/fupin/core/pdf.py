"""HTML to PDF, through WeasyPrint: the one renderer of every printable document (the
registry's household card and registers, the procedures' documents).

Where a rendering's time goes (measured with cProfile on the demo county; the figures
and the command are in docs/benchmarks.md, "PDF rendering"): laying out and drawing the
boxes (each table cell is a few boxes, each line of text a Pango layout), subsetting
the CJK faces a document uses (HarfBuzz, some tens of milliseconds a face whatever the
number of glyphs: WeasyPrint keeps the faces' glyph ids) and two costs that have nothing
to do with the document, which a renderer here pays once instead of once per document:

- WeasyPrint's ``URLFetcher`` builds an SSL context when it is made, reading the
  system's certificate bundle (20–30 ms of CPU), although the documents fetch nothing;
- a ``FontConfiguration`` loads fontconfig's configuration and a new Pango font map,
  in which every face is opened and every fallback (Noto CJK → HanaMin for the rare
  characters of names) is looked up again.

A renderer (a fetcher and a font configuration) serves one rendering at a time: Pango
is not thread-safe, and the web server renders in as many threads as it has requests.
Idle renderers wait in a pool: a rendering takes the one used last (or makes one when
every renderer is busy) and gives it back when it is done; the pool keeps at most
``IDLE_RENDERERS``. A renderer is replaced after ``RENDERS_PER_RENDERER`` documents
(its caches stay small) and after a failed rendering.

The documents are self-contained: their styles are inline, they fetch nothing but
``data:`` URLs and declare no ``@font-face`` (the fonts are the system's, found through
fontconfig: fonts-noto-cjk, fonts-hanazono), so nothing a document says changes a
renderer for the next one. The output is byte for byte what a fresh renderer gives.
"""

from __future__ import annotations

import logging
import threading

RENDERS_PER_RENDERER = 500  # then a fresh one: the caches of a font configuration stay small
IDLE_RENDERERS = 4  # kept for the next documents; more renderings at once make more, dropped after

# A one-line document in the faces the documents use (sans, sans bold, serif, HanaMin
# for a rare character), for ``warm_up``.
WARM_UP_HTML = (
    '<!doctype html><html lang="zh-Hans"><body style="font-family: \'Noto Sans CJK SC\', \'HanaMinA\', sans-serif">'
    "户卡 <b>村册</b> <span style=\"font-family: 'Noto Serif CJK SC', 'HanaMinA', serif\">公示 王\U0002a6a5</span>"
    "</body></html>")

_idle: list[_Renderer] = []  # the most recently used last: it is taken first
_lock = threading.Lock()


class _Renderer:
    def __init__(self):
        import weasyprint  # imported late: loading Pango costs time every page does not need
        from weasyprint.text.fonts import FontConfiguration

        self.fetcher = weasyprint.URLFetcher(allowed_protocols=["data"])
        self.font_config = FontConfiguration()
        self.renders = 0

    def write_pdf(self, html: str) -> bytes:
        import weasyprint

        self.renders += 1
        return weasyprint.HTML(string=html, url_fetcher=self.fetcher).write_pdf(font_config=self.font_config)


def _take() -> _Renderer:
    with _lock:
        if _idle:
            return _idle.pop()
    return _Renderer()


def _give_back(renderer: _Renderer) -> None:
    if renderer.renders >= RENDERS_PER_RENDERER:
        return
    with _lock:
        if len(_idle) < IDLE_RENDERERS:
            _idle.append(renderer)


def html_to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML document (styles inline; nothing but ``data:``
    URLs is fetched)."""
    renderer = _take()
    body = renderer.write_pdf(html)  # on an error the renderer is dropped, not given back
    _give_back(renderer)
    return body


def warm_up() -> None:
    """Import WeasyPrint and leave a renderer in the pool with the faces open, for a
    server to call once, in the background, when it starts: the first PDF a user asks
    for then costs what the others do (the imports are most of a first PDF's time, and
    several seconds when Python keeps no bytecode cache)."""
    html_to_pdf(WARM_UP_HTML)


def warm_up_in_background() -> threading.Thread:
    """``warm_up`` in a daemon thread, for a long-lived process when it starts (``fupin
    serve``, the job worker: see jobs.apps): the process neither waits for it nor is kept
    alive by it. A failure is logged (the first PDF then pays the imports), never raised."""
    thread = threading.Thread(target=_warm_up_logged, name="fupin-pdf-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up_logged() -> None:
    try:
        warm_up()
    except Exception:
        logging.getLogger(__name__).warning("PDF warm-up failed", exc_info=True)
