"""The survey records of a county round in and out of Excel. The export of the sample is
also the template of the import (same columns); the import is all or nothing: every row
is checked first, and nothing is written when any row is wrong (the error report says
row, column, value and reason)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.translation import gettext as _

from fupin.core import dates
from fupin.core.actor import Actor
from fupin.core.errors import ActionError, Invalid
from fupin.core.tabular import ErrorReport, normalise, read_table, require_headers

from . import actions
from .models import CountyRound

NUMBER, HEAD, VILLAGE, DATE, RESPONDENT, PEOPLE, EXIT, SHOULD, APPROVES, NOTE = (
    "户编号", "户主", "所在村", "调查日期", "受访人", "核实人数", "退出是否准确", "是否应纳入建档立卡", "是否认可", "备注")
HEADERS = [NUMBER, HEAD, VILLAGE, DATE, RESPONDENT, PEOPLE, EXIT, SHOULD, APPROVES, NOTE]
REQUIRED = [NUMBER, DATE, APPROVES]
YES = {"是", "y", "yes", "true", "1", "对", "准确", "认可", "应纳入"}
NO = {"否", "n", "no", "false", "0", "不", "不准确", "不认可", "不应纳入"}
FIELD_COLUMN = {"surveyed_on": DATE, "respondent": RESPONDENT, "people": PEOPLE, "exit_correct": EXIT,
                "should_register": SHOULD, "approves": APPROVES, "note": NOTE}


def yes_no(value: str) -> bool | None:
    text = normalise(value).lower()
    if not text:
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(_("write 是 or 否"))


def _text_yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def export_rows(rnd: CountyRound):
    qs = rnd.households.select_related("household", "household__village").order_by("order")
    for s in qs.iterator(chunk_size=2000):
        yield [s.household.number, s.household.head_name, s.household.village.name,
               s.surveyed_on.isoformat() if s.surveyed_on else "", s.respondent, s.people,
               _text_yes_no(s.exit_correct), _text_yes_no(s.should_register), _text_yes_no(s.approves), s.note]


def _whole(text: str) -> int:
    """A whole number ("3", or "3.0" typed in a CSV); "2.5", "inf", "nan" and absurd
    magnitudes are refused (the range itself is the survey rule's: actions.clean_survey)."""
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not d.is_finite() or d.adjusted() >= 6 or d != d.to_integral_value():
        raise ValueError(text)
    return int(d)




def _date(value) -> dt.date | None:
    """The survey date of a cell (core.dates.parse_date: a spreadsheet date, 2017-01-05,
    2017/1/5, 2017年1月5日 …, a time of day after it ignored); None when empty; ValueError
    with the reason otherwise."""
    return dates.cell_date(value if isinstance(value, dt.date) else normalise(value))


def import_survey(actor: Actor, rnd: CountyRound, path: str | Path) -> tuple[int, ErrorReport]:
    """Read every row, check it against the sample and the survey rules, and save all rows
    at once, or none (with the report of every error)."""
    table = read_table(path)
    require_headers(table, REQUIRED)
    samples = {s.household.number: s for s in rnd.households.select_related("household")}
    report, records, seen = ErrorReport(), [], set()
    for number, row in table.rows:
        key = normalise(row.get(NUMBER))
        sample = samples.get(key)
        if sample is None:
            report.add(number, NUMBER, key, _("not a household of this round's sample"))
            continue
        if key in seen:
            report.add(number, NUMBER, key, _("the household appears twice"))
            continue
        seen.add(key)
        values, ok = {}, True
        try:
            values["surveyed_on"] = _date(row.get(DATE))
        except ValueError as exc:
            report.add(number, DATE, row.get(DATE), str(exc))
            ok = False
        else:
            if values["surveyed_on"] is None:
                report.add(number, DATE, "", _("the date is required"))
                ok = False
        for field, column in ((("exit_correct", EXIT), ("should_register", SHOULD), ("approves", APPROVES))):
            try:
                values[field] = yes_no(row.get(column))
            except ValueError as exc:
                report.add(number, column, row.get(column), str(exc))
                ok = False
        people = normalise(row.get(PEOPLE))
        if people:
            try:
                values["people"] = _whole(people)
            except ValueError:
                report.add(number, PEOPLE, people, _("not a whole number"))
                ok = False
        values["respondent"] = normalise(row.get(RESPONDENT))
        values["note"] = normalise(row.get(NOTE))
        if not ok:
            continue
        try:
            records.append((sample, actions.clean_survey(sample, values)))
        except ActionError as exc:
            column = FIELD_COLUMN.get(exc.field or "", NUMBER)
            report.add(number, column, row.get(column), str(exc.message))
    if report:
        return 0, report
    if not records:
        raise Invalid(_("The file has no rows."))
    return actions.save_surveys(actor, rnd, records), report

