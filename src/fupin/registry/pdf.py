"""Printable documents of the registry (户卡, 村册) as PDF, through WeasyPrint.

The templates name the CJK fonts the system has (fonts-noto-cjk: "Noto Sans CJK SC",
"Noto Serif CJK SC"; "HanaMinA" for rare characters of names outside the common
planes), so Chinese text is set in real glyphs and embedded in the file."""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.encoding import escape_uri_path

FONT_STACK = '"Noto Sans CJK SC", "Noto Serif CJK SC", "HanaMinA", sans-serif'


def render_html(template: str, context: dict, request=None) -> str:
    return render_to_string(template, {"font_stack": FONT_STACK, **context}, request=request)


def html_to_pdf(html: str) -> bytes:
    """The documents are self-contained (styles inline): nothing but data: URLs is fetched."""
    import weasyprint  # imported late: loading Pango costs time every page does not need

    fetcher = weasyprint.URLFetcher(allowed_protocols=["data"])
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()


def pdf_response(template: str, context: dict, request, filename: str) -> HttpResponse:
    response = HttpResponse(html_to_pdf(render_html(template, context, request)), content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{escape_uri_path(filename)}"
    return response
