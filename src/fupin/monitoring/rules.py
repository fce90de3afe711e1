"""Monitoring policy as data (data/*.json) and pure functions over it. No ORM here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext as _

from fupin.core import present
from fupin.core.errors import Invalid
from fupin.exits import rules as exits_rules
from fupin.identification import rules as id_rules
from fupin.registry import codes as registry_codes

DATA = Path(__file__).parent / "data"


@cache
def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def risk_data() -> dict:
    return _load("risk_types.json")


def warning_data() -> dict:
    return _load("warning_rules.json")


CLEARANCE_FILE = "clearance.json"


@cache
def clearance_data() -> dict:
    """The risk-clearance data, checked when it is loaded (``check_clearance_data``)."""
    return check_clearance_data(_load(CLEARANCE_FILE), f"{DATA.parent.name}/{DATA.name}/{CLEARANCE_FILE}")


def check_clearance_data(data: dict, name: str) -> dict:
    """Refuse (Invalid, naming the file ``name``, the criterion and the item) clearance data
    whose criterion names under ``exit_items`` an item the exit criteria do not define: the
    exit check's items besides income (fupin.exits.rules.GUARANTEE_ITEMS, the items of
    exits/data/exit_criteria.json that fupin.exits.queries.guarantee_checks answers). An
    unknown name would fail every household for ever. Returns ``data``."""
    known = exits_rules.GUARANTEE_ITEMS
    for n, criterion in enumerate(data.get("criteria") or [], start=1):
        if "exit_items" not in criterion:
            continue
        items = criterion["exit_items"]
        where = {"file": name, "code": criterion.get("code") or n, "known": ", ".join(known)}
        if not isinstance(items, list) or not items:
            raise Invalid(_("%(file)s, risk-clearance criterion “%(code)s”: exit_items is a list of the exit "
                            "check's items (%(known)s).") % where, field="exit_items")
        unknown = [str(i) for i in items if not isinstance(i, str) or i not in known]
        if unknown:
            raise Invalid(_("%(file)s, risk-clearance criterion “%(code)s”: exit_items names %(items)s, not an "
                            "item of the exit criteria besides income (%(known)s).")
                          % {**where, "items": ", ".join(unknown)}, field="exit_items")
    return data


def application_data() -> dict:
    return _load("applications.json")


def _pick(entry: dict) -> str:
    lang = translation.get_language() or "zh-hans"
    return entry["en"] if lang.startswith("en") else entry["zh"]


# --- kinds and risks -------------------------------------------------------------------

def max_risks() -> int:
    return int(risk_data()["max_per_household"])


@cache
def _risk_index() -> dict[str, dict]:
    out = {}
    for t in risk_data()["types"]:
        out[t["code"]] = t
        for s in t.get("sub", []):
            out[s["code"]] = {**s, "parent": t["code"], "sudden": t.get("sudden", False)}
    return out


def risk_codes() -> list[str]:
    return list(_risk_index())


def risk_label(code: str) -> str:
    e = _risk_index().get(code)
    if e is None:
        return code
    if e.get("parent"):
        return f"{_pick(_risk_index()[e['parent']])} · {_pick(e)}"
    return _pick(e)


def risk_choices() -> list[tuple[str, str]]:
    return [(c, risk_label(c)) for c in risk_codes()]


def is_sudden_risk(code: str) -> bool:
    return bool(_risk_index().get(code, {}).get("sudden"))


def warning_kind_codes() -> list[str]:
    return [k["code"] for k in risk_data()["warning_kinds"]]


def warning_kind_label(code: str) -> str:
    for k in risk_data()["warning_kinds"]:
        if k["code"] == code:
            return _pick(k)
    return code


def warning_kind_by_text(text: str) -> str | None:
    text = (text or "").strip()
    for k in risk_data()["warning_kinds"]:
        if text in (k["code"], k["zh"], k["en"], *k.get("aliases", [])):
            return k["code"]
    return None


# --- warning rules ---------------------------------------------------------------------

def warning_rules() -> list[dict]:
    return warning_data()["rules"]


def warning_rule(code: str) -> dict | None:
    return next((r for r in warning_rules() if r["code"] == code), None)


def warning_rule_label(code: str) -> str:
    r = warning_rule(code)
    return _pick(r) if r else code


def rule_statuses(rule: dict) -> list[str]:
    """The registry statuses of the households a warning rule looks at: the rule's own
    "statuses", else the data file's "statuses" (the documented default for every rule).
    The list is data only: a rule with neither, or naming a status the registry does not
    know, is refused with a message naming the rule (nothing runs)."""
    statuses = rule.get("statuses", warning_data().get("statuses"))
    label = warning_rule_label(rule.get("code", ""))
    if not statuses or not isinstance(statuses, list):
        raise Invalid(_("The warning rule “%(rule)s” names no household statuses to look at, and the rules' data "
                        "file gives no default: add “statuses” to the data file.") % {"rule": label},
                      field="statuses")
    known = {c for c, _label in registry_codes.choices("status")}
    unknown = [s for s in statuses if s not in known]
    if unknown:
        raise Invalid(_("The warning rule “%(rule)s” names household statuses the registry does not know: "
                        "%(codes)s.") % {"rule": label, "codes": ", ".join(map(str, unknown))}, field="statuses")
    return list(statuses)


def check_warning_rules() -> None:
    """Refuse (Invalid) when a rule of the data file cannot run: no statuses, or unknown ones."""
    for rule in warning_rules():
        rule_statuses(rule)



def _number(value) -> str:
    """A decimal as people write it: 50, 0.5, 12.5 (no trailing zeros, no exponent)."""
    d = Decimal(str(value)).normalize()
    return f"{d:f}"



def describe_rule_params(rule: dict) -> list[tuple[str, str]]:
    """A warning rule's parameters as (label, value) pairs for people: the line by its
    name, departments' warning kinds by their labels, shares and percentages with %,
    amounts in yuan (the page showed the Python dict)."""
    p = dict(rule.get("params") or {})
    out: list[tuple[str, str]] = []
    if "line_kind" in p:
        kind = p.pop("line_kind")
        out.append((_("Line"), str(id_rules.LINE_KINDS.get(kind, kind))))
    if "warning_kinds" in p:
        kinds = p.pop("warning_kinds") or []
        out.append((_("Kinds of department warning"), present.join(warning_kind_label(k) for k in kinds) or "—"))
    if "ratio" in p:
        out.append((_("Share of the yearly household net income"),
                    f"{_number(Decimal(str(p.pop('ratio'))) * 100)}%"))
    if "min_amount" in p:
        out.append((_("At least"), _("%(amount)s yuan") % {"amount": id_rules.money(p.pop("min_amount"))}))
    if "percent" in p:
        out.append((_("Drop on the year before, at least"), f"{_number(p.pop('percent'))}%"))
    out += [(str(key), present.plain(value)) for key, value in p.items()]
    return out


def describe_rule_statuses(rule: dict) -> str:
    """The statuses a rule looks at, by their registry labels ("—" when the data gives none)."""
    try:
        statuses = rule_statuses(rule)
    except Invalid:
        return "—"
    return present.join(registry_codes.label("status", s) for s in statuses)


# --- risk clearance --------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    code: str
    label: str
    met: bool
    detail: str


def clearance_criteria() -> list[dict]:
    return clearance_data()["criteria"]


def stable_years() -> int:
    return int(clearance_data()["stable_years"])


def exit_items_met(entries: list[dict], codes: list[str]) -> tuple[bool, str]:
    """(met, detail) of a clearance criterion made of the exit check's items ``codes``
    (``entries``: fupin.exits.queries.guarantee_checks's entries of one household): met
    when each of them passes; the detail says the exit check's sentence of each failed one
    (an item missing from ``entries`` fails)."""
    by_code = {e["code"]: e for e in entries}
    texts = []
    for code in codes:
        e = by_code.get(code)
        if e is not None and e["ok"]:
            continue
        if e is None or not e["enabled"]:  # no criteria apply (the same sentence for every item)
            texts.append(e["text"] if e else code)
        else:
            texts.append(f"{e['label']}: {e['text']}" if len(codes) > 1 else e["text"])
    return not texts, "; ".join(dict.fromkeys(texts))


def evaluate_clearance(*, incomes: dict[int, Decimal | None], lines: dict[int, Decimal | None], last_year: int,
                       exit_items: list[dict], open_risks: list[str], without_labour: bool,
                       social_protection: bool) -> list[Item]:
    """The risk-clearance criteria, item by item. ``incomes`` and ``lines``: per-capita
    income and the monitoring line by year; the last ``stable_years`` years up to
    ``last_year`` must each be above their line. A criterion naming ``exit_items`` in the
    data (两不愁三保障, safe water) is judged by those items of the exit check
    (``exit_items``: the household's entries from fupin.exits.queries.guarantee_checks)."""
    labels = {c["code"]: _pick(c) for c in clearance_criteria()}
    years = list(range(last_year - stable_years() + 1, last_year + 1))
    parts, income_ok = [], True
    for y in years:
        inc, line = incomes.get(y), lines.get(y)
        if inc is None:
            income_ok = False
            parts.append(_("%(y)s: no income recorded") % {"y": y})
        elif line is None:
            income_ok = False
            parts.append(_("%(y)s: no monitoring line") % {"y": y})
        else:
            above = inc > line
            income_ok = income_ok and above
            parts.append(f"{y}: {inc} {'>' if above else '≤'} {line}")
    items = [
        Item("income_stable", labels["income_stable"], income_ok, "; ".join(parts)),
        Item("risks_gone", labels["risks_gone"], not open_risks,
             _("still open: %(list)s") % {"list": ", ".join(risk_label(c) for c in open_risks)} if open_risks else ""),
        Item("not_social_protection", labels["not_social_protection"], not (without_labour and social_protection),
             _("No member can work and the household lives under social protection (兜底保障): it stays monitored.")
             if without_labour and social_protection else ""),
    ]
    for c in clearance_criteria():
        if c.get("exit_items"):
            met, detail = exit_items_met(exit_items, c["exit_items"])
            items.append(Item(c["code"], labels[c["code"]], met, detail))
    order = list(labels)
    return sorted((i for i in items if i.code in labels), key=lambda i: order.index(i.code))


def clearance_refusal(items: list[Item]) -> str:
    """One sentence naming every unmet criterion (empty when all are met)."""
    unmet = [i for i in items if not i.met]
    return "; ".join(f"{i.label}{'：' + i.detail if i.detail else ''}" for i in unmet)
