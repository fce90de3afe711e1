"""Helpers shared by the record pages: the area chooser, the household's fields as
labelled values, the income table of several years."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fupin.accounts.scoping import Scope
from fupin.areas import queries as area_queries
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.core import masking
from fupin.core.pii import PII_FIELDS

from .. import codes, rules
from ..codes import change_source  # noqa: F401  (the pages' name for it)
from ..exchange import COLUMNS, HOUSEHOLD, MEMBER
from ..forms import HouseholdForm
from ..models import Household, Income

BY_FIELD = {(c.level, c.field): c for c in COLUMNS}
HOUSEHOLD_PII = PII_FIELDS.get("registry.household", {"phone": "phone", "bank_account": "bank_account"})


# --- choosing an area ------------------------------------------------------------------

def _area(code: str) -> Area | None:
    return Area.objects.filter(code=code, valid_to__isnull=True).first()


def chosen_area(request, scope: Scope, param: str = "area") -> Area | None:
    """The deepest area of the chooser's selects (one ``area`` parameter per level, top
    first). A level changed by the user makes the selects below it stale: they are
    dropped. An area outside the scope is ignored."""
    chosen = None
    for value in request.GET.getlist(param):
        value = value.strip()
        if not value or not area_rules.is_valid_code(value):
            break
        if chosen is not None and (value == chosen.code or not value.startswith(chosen.prefix)):
            break
        area = _area(value)
        if area is None or not scope.contains(area.code) or area.level == area_rules.GROUP:
            break
        chosen = area
    return chosen


def chooser(scope: Scope, area: Area | None) -> list[dict]:
    """Selects from the top of the user's area down to the village: each has the
    children of the one above as options and the chosen one marked."""
    roots = list(area_queries.children(scope, None).exclude(level=area_rules.GROUP).order_by("code"))
    path = [a for a in ([*area.ancestors(), area] if area else []) if scope.contains(a.code)]
    if not path and len(roots) == 1:
        path = [roots[0]]
    selects, options = [], roots
    for node in path:
        selects.append({"options": options, "selected": node.code, "level": node.get_level_display()})
        if node.level == area_rules.VILLAGE:
            return selects
        options = list(Area.objects.filter(parent=node, valid_to__isnull=True).exclude(
            level=area_rules.GROUP).order_by("code"))
    if options:
        level = area_rules.LEVEL_LABELS.get(options[0].level, "")
        selects.append({"options": options, "selected": "", "level": level})
    return selects


def top_area(scope: Scope) -> Area | None:
    """The user's one area, when they have exactly one."""
    roots = list(area_queries.children(scope, None).exclude(level=area_rules.GROUP)[:2])
    return roots[0] if len(roots) == 1 else None


# --- a household's fields --------------------------------------------------------------

def display_value(obj, level: str, field: str):
    col = BY_FIELD[(level, field)]
    value = getattr(obj, field)
    if col.kind.startswith("code:"):
        return codes.label(col.kind[5:], value)
    if col.kind == "bool":
        return _("Yes") if value else _("No")
    if col.kind == "area" and isinstance(obj, Household):
        return " ".join(a.name for a in (obj.village, obj.group) if a is not None)
    if value is None:
        return ""
    return value


def household_sections(h: Household, *, reveal: bool | None = None) -> list[dict]:
    """The household's fields in the form's groups, each {label, value, pii}. With
    ``reveal`` None personal fields are left to the ``sensitive`` tag (pii = field name);
    True/False puts the value in, unmasked or masked (for the PDF)."""
    sections = []
    for title, names in HouseholdForm.FIELDSETS:
        items = []
        for name in names:
            if name in ("number", "status", "status_date", "status_reason"):
                continue
            label = Household._meta.get_field(name).verbose_name
            if name in HOUSEHOLD_PII:
                raw = getattr(h, name) or ""
                if reveal is None:
                    items.append({"label": label, "value": raw, "pii": name})
                else:
                    items.append({"label": label, "value": raw if reveal else masking.mask(HOUSEHOLD_PII[name], raw),
                                  "pii": None})
                continue
            items.append({"label": label, "value": display_value(h, HOUSEHOLD, name), "pii": None})
        sections.append({"title": title, "items": items, "names": names})
    return sections


MEMBER_TABLE = ["relation", "sex", "birth_date", "ethnicity", "education", "school_status", "health",
                "disability_grade", "labour", "work_status", "work_place", "work_months"]


def member_cells(m) -> list:
    out = []
    for f in MEMBER_TABLE:
        value = display_value(m, MEMBER, f)
        out.append(value.isoformat() if isinstance(value, dt.date) else value)
    return out


def member_headers() -> list:
    from ..models import Member

    return [Member._meta.get_field(f).verbose_name for f in MEMBER_TABLE]


def member_flags(m) -> list[str]:
    from ..models import Member

    return [str(Member._meta.get_field(f).verbose_name) for f in FLAGS if getattr(m, f)]


FLAGS = ("medical_insurance", "serious_illness_insurance", "pension_insurance", "dibao", "tekun")

# The card's member table: these columns; the other fields of MEMBER_TABLE open under the
# row on demand, so the table fits the page (a phone's width for the rest).
CARD_MEMBER_COLUMNS = ["relation", "sex", "birth_date", "health", "labour", "work_status"]
CARD_WRAPPING = {"labour", "work_status"}  # long labels; the other cells stay on one line


def _badge_labels() -> dict[str, str]:
    return {"medical_insurance": pgettext("insurance badge", "Medical"),
            "serious_illness_insurance": pgettext("insurance badge", "Serious illness"),
            "pension_insurance": pgettext("insurance badge", "Pension"),
            "dibao": pgettext("insurance badge", "Dibao"), "tekun": pgettext("insurance badge", "Tekun")}


def member_badges(m) -> list[dict]:
    """The member's insurance and support as short badges, the full name as their title."""
    from ..models import Member

    short = _badge_labels()
    return [{"short": short[f], "title": str(Member._meta.get_field(f).verbose_name)} for f in FLAGS if getattr(m, f)]


def card_member_headers() -> list:
    from ..models import Member

    return [Member._meta.get_field(f).verbose_name for f in CARD_MEMBER_COLUMNS]


def card_member_row(m) -> tuple[list, list[tuple[str, object]]]:
    """(the card's cells, [(label, value)] of the other fields) of a member."""
    from ..models import Member

    def value(f):
        v = display_value(m, MEMBER, f)
        return v.isoformat() if isinstance(v, dt.date) else v

    cells = [{"value": value(f), "wrap": f in CARD_WRAPPING} for f in CARD_MEMBER_COLUMNS]
    details = [(Member._meta.get_field(f).verbose_name, value(f)) for f in MEMBER_TABLE
               if f not in CARD_MEMBER_COLUMNS]
    return cells, details


# Where a status change came from (StatusChange.source): a label; "procedure:<id>" names
# the batch of the procedure that decided it. (The data comparison changes no status: its
# "comparison:<hit id>" is the source of an identification fact, labelled there.)
# --- income by year --------------------------------------------------------------------

def income_breakdown(income: Income) -> dict:
    """rules.per_capita_net_income of a stored year (its groups, total, net, per capita)."""
    items = {f: getattr(income, f) for f in rules.INCOME_ITEMS}
    return rules.per_capita_net_income(items, income.production_costs, income.household_size or 1)


def income_table(incomes: list[Income]) -> dict:
    """Years side by side: a row per group (with its items below, leaving out items that
    are zero in every year), then total, costs, net, size and per-capita net income. A
    group of one item (工资性收入: wages) is its item: shown once, as the group."""
    years = [i.year for i in incomes]
    results = [income_breakdown(i) for i in incomes]
    rows = []
    for group, label in rules.INCOME_GROUPS.items():
        rows.append({"label": label, "values": [r["groups"][group] for r in results], "kind": "group"})
        fields = [f for f, (g, _label) in rules.INCOME_ITEMS.items() if g == group]
        if len(fields) < 2:
            continue
        for field in fields:
            values = [getattr(i, field) for i in incomes]
            if any(values):
                rows.append({"label": Income._meta.get_field(field).verbose_name, "values": values, "kind": "item"})
    rows.append({"label": _("Total income"), "values": [r["total"] for r in results], "kind": "total"})
    rows.append({"label": _("Production costs"), "values": [r["costs"] for r in results], "kind": "item"})
    rows.append({"label": _("Net income"), "values": [r["net"] for r in results], "kind": "total"})
    rows.append({"label": _("Household size"), "values": [r["size"] for r in results], "kind": "size"})
    rows.append({"label": _("Per-capita net income"), "values": [i.per_capita for i in incomes], "kind": "result"})
    return {"years": years, "rows": rows}
