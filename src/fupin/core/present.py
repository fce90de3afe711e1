"""Values as people read them on a page: lists joined the way the language joins them, and
a parameter of a kind a page does not know still readable (never a Python repr)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _


def join(items, *, clauses: bool = False) -> str:
    """A list as one reads it: 、 between Chinese items, a comma between English ones;
    ``clauses=True`` for items that are clauses themselves ("2026 年：未录入收入"): ； in
    Chinese, a semicolon in English."""
    zh = (translation.get_language() or "").startswith("zh")
    sep = ("；" if zh else "; ") if clauses else ("、" if zh else ", ")
    return sep.join(str(i) for i in items)


def plain(value) -> str:
    """Any parameter value readable: yes/no, — for nothing, lists and dicts spelt out."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return join(plain(v) for v in value)
    if isinstance(value, dict):
        return join(f"{k}: {plain(v)}" for k, v in value.items())
    return str(value)
