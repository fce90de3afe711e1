"""Printable documents of the registry (户卡, 村册) as PDF, through WeasyPrint
(core.pdf renders them).

The templates name the CJK fonts the system has (fonts-noto-cjk: "Noto Sans CJK SC",
"Noto Serif CJK SC"; "HanaMinA" for rare characters of names outside the common
planes), so Chinese text is set in real glyphs and embedded in the file.

The HTML is rendered without the request: the PDF templates use nothing the pages'
context processors add (the menu with its thirty-odd URLs and permission checks, the
user, the CSP nonce), which would only cost time on every PDF."""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.encoding import escape_uri_path

from fupin.core import pdf as core_pdf

FONT_STACK = '"Noto Sans CJK SC", "Noto Serif CJK SC", "HanaMinA", sans-serif'


def render_html(template: str, context: dict) -> str:
    return render_to_string(template, {"font_stack": FONT_STACK, **context})


def html_to_pdf(html: str) -> bytes:
    """The documents are self-contained (styles inline): nothing but data: URLs is fetched."""
    return core_pdf.html_to_pdf(html)


def pdf_response(template: str, context: dict, request, filename: str) -> HttpResponse:
    """``request`` is the view's (kept for the callers); the template is rendered without it."""
    response = HttpResponse(html_to_pdf(render_html(template, context)), content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{escape_uri_path(filename)}"
    return response
