"""The procedure engine's pure policy: the shape of a procedure type (its data),
notice periods in natural days, and the appraisal pass rule. No ORM here.

A procedure type is data (data/procedure_types.json, editable by an administrator):

    {"code", "name", "name_en", "purpose", "source",
     "start": {"statuses": [...], "permission": "..."},
     "documents": [{"code", "name", "name_en"}, ...],
     "steps": [{"code", "name", "name_en", "kind", "level", "permission", "documents": [...],
                # kind "notice": "days", "days_source", optional "announcement",
                #                optional "objection_permission" (who records objections) and
                #                "resolve_permission" (who decides them); default: "permission"
                # kind "appraisal": "pass_rule" {quorum, quorum_inclusive, majority,
                #                   majority_inclusive, majority_of, source}
               }, ...],
     "on_complete": {"hook": "<name in hooks.HOOKS>", "params": {...}, "source"}}
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from django.utils.translation import gettext as _

# Step kinds.
TASK, APPRAISAL, NOTICE, REVIEW = "task", "appraisal", "notice", "review"
KINDS = (TASK, APPRAISAL, NOTICE, REVIEW)

# Levels that act at a step (the area levels, lowest last).
LEVELS = ("province", "city", "county", "township", "village", "group")

# What may be done on the current step, by kind ("withdraw" works on any step).
ACTIONS = {
    TASK: ("complete",),
    APPRAISAL: ("appraise",),
    NOTICE: ("publish", "close"),
    REVIEW: ("decide",),
}
WITHDRAW = "withdraw"

# Member states.
ACTIVE, HELD, WITHDRAWN, COMPLETED, MOVED = "active", "held", "withdrawn", "completed", "moved"
MEMBER_STATES = (ACTIVE, HELD, WITHDRAWN, COMPLETED, MOVED)

# Batch states.
OPEN, DONE, CANCELLED = "open", "completed", "cancelled"

MAJORITY_BASES = ("present", "total", "cast")


# --- notices --------------------------------------------------------------------------

def notice_last_day(start: dt.date, days: int) -> dt.date:
    """The last day of a notice of ``days`` natural days, the start day being day 1:
    a 7-day notice from 1 March runs to 7 March inclusive."""
    return start + dt.timedelta(days=max(days, 1) - 1)


def notice_earliest_close(start: dt.date, days: int) -> dt.date:
    """The first day a notice may be closed: the day after its last day."""
    return notice_last_day(start, days) + dt.timedelta(days=1)


def notice_may_close(start: dt.date, days: int, today: dt.date) -> bool:
    return today >= notice_earliest_close(start, days)


# --- the appraisal (民主评议) -------------------------------------------------------------

@dataclass(frozen=True)
class Appraisal:
    quorate: bool
    passed: bool
    reason: str


def _compare(value: int, fraction: Fraction, of: int, inclusive: bool) -> bool:
    """value ≥ (or >) fraction × of, in exact arithmetic."""
    left, right = value * fraction.denominator, fraction.numerator * of
    return left >= right if inclusive else left > right


def is_quorate(rule: dict, total: int, present: int) -> bool:
    quorum = Fraction(*rule["quorum"])
    return total > 0 and _compare(present, quorum, total, rule.get("quorum_inclusive", True))


def appraisal_outcome(rule: dict, total: int, present: int, votes_for: int, against: int,
                      abstain: int) -> Appraisal:
    """Whether a meeting of ``present`` of ``total`` representatives could decide, and
    whether a household with these votes passed, under ``rule`` (data: the type's step)."""
    if not is_quorate(rule, total, present):
        return Appraisal(False, False, _("The meeting was not quorate (%(present)s of %(total)s present).")
                         % {"present": present, "total": total})
    base = {"present": present, "total": total, "cast": votes_for + against + abstain}[rule.get("majority_of",
                                                                                                 "present")]
    majority = Fraction(*rule["majority"])
    passed = _compare(votes_for, majority, base, rule.get("majority_inclusive", False))
    return Appraisal(True, passed, _("%(for)s for, %(against)s against, %(abstain)s abstaining of %(present)s "
                                     "present") % {"for": votes_for, "against": against, "abstain": abstain,
                                                   "present": present})


def rule_text(rule: dict) -> str:
    """The pass rule in words, for the page."""
    q, m = Fraction(*rule["quorum"]), Fraction(*rule["majority"])
    base = {"present": _("of those present"), "total": _("of all representatives"),
            "cast": _("of the votes cast")}[rule.get("majority_of", "present")]
    return _("quorum: %(q_op)s %(q)s of all representatives present; a household passes with %(m_op)s %(m)s "
             "%(base)s voting for") % {
        "q_op": "≥" if rule.get("quorum_inclusive", True) else ">", "q": q,
        "m_op": "≥" if rule.get("majority_inclusive", False) else ">", "m": m, "base": base}


def check_votes(total: int, present: int, votes: dict[int, tuple[int, int, int]]) -> str | None:
    """A message when the meeting figures or a household's votes are impossible."""
    if total <= 0:
        return _("The number of representatives must be positive.")
    if present < 0 or present > total:
        return _("The number present must be between 0 and the number of representatives.")
    for key, (f, a, b) in votes.items():
        if min(f, a, b) < 0:
            return _("Votes cannot be negative (household %(h)s).") % {"h": key}
        if f + a + b > present:
            return _("Household %(h)s has more votes (%(n)s) than representatives present (%(p)s).") % {
                "h": key, "n": f + a + b, "p": present}
    return None


# --- the shape of a type --------------------------------------------------------------

def step_by_code(definition: dict, code: str) -> tuple[int, dict] | None:
    for i, step in enumerate(definition.get("steps", [])):
        if step.get("code") == code:
            return i, step
    return None


def document_titles(definition: dict) -> dict[str, dict]:
    return {d["code"]: d for d in definition.get("documents", []) if isinstance(d, dict) and "code" in d}


def validate_definition(definition, *, permissions=(), hooks=(), statuses=(), checks=()) -> list[str]:
    """Every problem with a type's data, as messages (empty when it is usable).
    ``permissions``, ``hooks``, ``statuses`` and ``checks`` are the known names (checked
    when given)."""
    errors: list[str] = []
    if not isinstance(definition, dict):
        return [_("The definition must be a JSON object.")]
    for key in ("code", "name", "name_en", "purpose", "source"):
        if not isinstance(definition.get(key), str) or not definition.get(key).strip():
            errors.append(_("“%(key)s” is missing.") % {"key": key})
    code = definition.get("code") or ""
    if code and (len(code) > 40 or not code.replace("_", "").replace("-", "").isalnum() or not code.isascii()):
        errors.append(_("The code may use only letters, digits, “_” and “-” (40 at most)."))
    start = definition.get("start")
    if not isinstance(start, dict) or not isinstance(start.get("statuses"), list) or not start.get("statuses"):
        errors.append(_("“start” needs the household statuses that may enter (“statuses”)."))
    else:
        for status in start["statuses"]:
            if statuses and status not in statuses:
                errors.append(_("Unknown household status “%(s)s” in “start”.") % {"s": status})
        if start.get("permission") and permissions and start["permission"] not in permissions:
            errors.append(_("Unknown permission “%(p)s” in “start”.") % {"p": start["permission"]})
        if not isinstance(start.get("checks", []), list):
            errors.append(_("“start.checks” must be a list of check names."))
        else:
            for check in start.get("checks", []):
                if checks and check not in checks:
                    errors.append(_("Unknown start check “%(c)s”.") % {"c": check})
    documents = document_titles(definition)
    if not isinstance(definition.get("documents", []), list):
        errors.append(_("“documents” must be a list."))
    steps = definition.get("steps")
    if not isinstance(steps, list) or not steps:
        errors.append(_("A type needs at least one step."))
        steps = []
    seen = set()
    for n, step in enumerate(steps, start=1):
        where = _("Step %(n)s") % {"n": n}
        if not isinstance(step, dict):
            errors.append(_("%(where)s is not an object.") % {"where": where})
            continue
        scode = step.get("code")
        if not scode or not isinstance(scode, str):
            errors.append(_("%(where)s has no code.") % {"where": where})
        elif scode in seen:
            errors.append(_("%(where)s: the code “%(c)s” is used twice.") % {"where": where, "c": scode})
        seen.add(scode)
        for key in ("name", "name_en"):
            if not isinstance(step.get(key), str) or not step.get(key):
                errors.append(_("%(where)s: “%(key)s” is missing.") % {"where": where, "key": key})
        kind = step.get("kind")
        if kind not in KINDS:
            errors.append(_("%(where)s: the kind must be one of %(kinds)s.") % {"where": where,
                                                                                 "kinds": ", ".join(KINDS)})
        if step.get("level") not in LEVELS:
            errors.append(_("%(where)s: the level must be one of %(levels)s.") % {"where": where,
                                                                                   "levels": ", ".join(LEVELS)})
        for key in ("permission", "objection_permission", "resolve_permission"):
            perm = step.get(key)
            if key == "permission" and not perm:
                errors.append(_("%(where)s: “permission” (who may act) is missing.") % {"where": where})
            elif perm and permissions and perm not in permissions:
                errors.append(_("%(where)s: unknown permission “%(p)s”.") % {"where": where, "p": perm})
        for doc in step.get("documents", []):
            if doc not in documents:
                errors.append(_("%(where)s: the document “%(d)s” is not in “documents”.") % {"where": where, "d": doc})
        if kind == NOTICE:
            days = step.get("days")
            if not isinstance(days, int) or isinstance(days, bool) or days < 1:
                errors.append(_("%(where)s: a notice needs “days”, a whole number of natural days ≥ 1.")
                              % {"where": where})
            if not step.get("days_source"):
                errors.append(_("%(where)s: a notice needs the source of its length (“days_source”).")
                              % {"where": where})
        if kind == APPRAISAL:
            errors += [f"{where}: {e}" for e in _validate_rule(step.get("pass_rule"))]
    done = definition.get("on_complete")
    if done is not None:
        if not isinstance(done, dict) or not done.get("hook"):
            errors.append(_("“on_complete” needs a “hook”."))
        elif hooks and done["hook"] not in hooks:
            errors.append(_("Unknown completion hook “%(h)s”.") % {"h": done["hook"]})
        elif statuses and done.get("hook") == "registry.set_status" and \
                (done.get("params") or {}).get("status") not in statuses:
            errors.append(_("“on_complete” sets an unknown household status."))
    return errors


def _validate_rule(rule) -> list[str]:
    if not isinstance(rule, dict):
        return [_("an appraisal needs a “pass_rule”.")]
    errors = []
    for key in ("quorum", "majority"):
        value = rule.get(key)
        ok = (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)
              and value[1] > 0 and 0 <= value[0] <= value[1])
        if not ok:
            errors.append(_("“%(key)s” must be a fraction [numerator, denominator] between 0 and 1.") % {"key": key})
    if rule.get("majority_of", "present") not in MAJORITY_BASES:
        errors.append(_("“majority_of” must be one of %(b)s.") % {"b": ", ".join(MAJORITY_BASES)})
    if not rule.get("source"):
        errors.append(_("the pass rule needs its “source”."))
    return errors
