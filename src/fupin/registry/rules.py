"""Pure policy and validation functions of the registry. No ORM here."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from fupin.core import dates

from . import codes


@dataclass(frozen=True)
class IdInfo:
    number: str
    birth_date: dt.date
    sex: str  # "1" male, "2" female (GB 11643: 17th digit odd = male)


ID_FIRST_BIRTH_YEAR = dates.FIRST_YEAR  # an ID number's birth date before this year is impossible


def parse_id_number(value: str) -> IdInfo:
    """Validate an 18-digit resident ID number (GB 11643-1999): format, birth date,
    check digit. Raises ValueError with a message naming what is wrong."""
    number = (value or "").strip().upper().replace(" ", "")
    if len(number) != 18:
        raise ValueError(_("an ID number has 18 characters; this one has %(n)s") % {"n": len(number)})
    if not number.isascii() or not number[:17].isdecimal() or not (number[17].isdecimal() or number[17] == "X"):
        raise ValueError(_("an ID number is 17 digits and a final digit or X"))
    try:
        birth = ric.get_birth_date(number)
    except (StdnumError, ValueError):
        raise ValueError(_("the birth date %(date)s in the ID number is not a real date") % {"date": number[6:14]}) from None
    if birth > dt.date.today() or birth.year < ID_FIRST_BIRTH_YEAR:
        raise ValueError(_("the birth date %(date)s in the ID number is impossible") % {"date": birth.isoformat()})
    if ric.calc_check_digit(number) != number[17]:
        raise ValueError(_("the check digit is wrong (expected %(digit)s)") % {"digit": ric.calc_check_digit(number)})
    sex = "1" if int(number[16]) % 2 == 1 else "2"
    return IdInfo(number=number, birth_date=birth, sex=sex)


def age_on(birth_date: dt.date | None, on: dt.date) -> int | None:
    if birth_date is None:
        return None
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


INCOME_ITEMS = {
    # field: (group, Chinese label)
    "wages": ("wages", "工资性收入"),
    "crops": ("production", "种植业收入"),
    "forestry": ("production", "林业收入"),
    "livestock": ("production", "畜牧业收入"),
    "poultry": ("production", "家禽养殖收入"),
    "fisheries": ("production", "渔业收入"),
    "other_production": ("production", "其他生产经营性收入"),
    "land_rent": ("property", "土地流转/入股收入"),
    "dividends": ("property", "资产收益分红"),
    "other_property": ("property", "其他财产性收入"),
    "dibao": ("transfer", "低保金"),
    "tekun": ("transfer", "特困供养金"),
    "pensions": ("transfer", "养老金"),
    "eco_compensation": ("transfer", "生态补偿金"),
    "subsidies": ("transfer", "各类补贴"),
    "other_transfer": ("transfer", "其他转移性收入"),
}
INCOME_GROUPS = {
    "wages": "工资性收入",
    "production": "生产经营性收入",
    "property": "财产性收入",
    "transfer": "转移性收入",
}


def per_capita_net_income(items: dict[str, Decimal], production_costs: Decimal, household_size: int) -> dict:
    """人均纯收入 = (total income − production costs) ÷ household size, with its breakdown.
    Amounts in yuan, rounded to the fen."""
    if household_size <= 0:
        raise ValueError(_("the household has no members"))
    groups = {g: Decimal(0) for g in INCOME_GROUPS}
    for field, (group, _label) in INCOME_ITEMS.items():
        groups[group] += Decimal(items.get(field) or 0)
    total = sum(groups.values(), Decimal(0))
    net = total - Decimal(production_costs or 0)
    per_capita = (net / household_size).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {"groups": groups, "total": total, "costs": Decimal(production_costs or 0), "net": net,
            "size": household_size, "per_capita": per_capita}


# --- the household fields a status needs ----------------------------------------------------
# 贫困户属性 (category), 识别标准 (standard), 主要致贫原因 (main_cause) and 识别年度 (identified_year) say
# how a household was identified as poor (建档立卡): as which kind of poor household, against which
# poverty line, why and when. A household off the 建档立卡 register (codes.OFF_REGISTER_STATUSES) need
# not have them: a rural household only monitored (``rural``, 一般农户) was never identified; a removed
# one (``removed``, 已清退/销号) was on the register and may keep them, but need not (it may have been
# removed as wrongly identified, and 主要致贫原因 and 识别年度 have been optional for it since they first
# were for ``rural``: the four go together). Every other status (being identified, registered,
# exited, returned) needs them. This table is the one place that says so: the exchange columns'
# ``unless_status`` (the import on both of its paths and the template's sheet), the household form
# and the API read it.
IDENTIFICATION_FIELDS = ("category", "standard", "main_cause", "identified_year")
FIELDS_NOT_NEEDED: dict[str, tuple[str, ...]] = {status: IDENTIFICATION_FIELDS
                                                 for status in codes.OFF_REGISTER_STATUSES}


def needs_field(status: str | None, field: str) -> bool:
    """Whether a household of ``status`` needs ``field`` filled (FIELDS_NOT_NEEDED); an unknown
    or missing status needs it."""
    return field not in FIELDS_NOT_NEEDED.get(status or "", ())


def statuses_not_needing(field: str) -> tuple[str, ...]:
    """The statuses whose households may leave ``field`` empty, in the code list's order."""
    return tuple(s for s in codes.codes("status") if not needs_field(s, field))


# --- phone numbers ---------------------------------------------------------------------------
# The rule, its wording and its refusals in one place: every form, action and import that takes
# a phone number refuses one in these words (quality._phone_bad is the same test in SQL).

PHONE_RULE = gettext_lazy("An 11-digit mobile number or a 7–12 digit landline number.")


def is_valid_phone(value: str) -> bool:
    """PHONE_RULE: an 11-digit mobile number or a 7–12 digit landline number, ASCII digits,
    hyphens and spaces allowed between them."""
    v = (value or "").replace("-", "").replace(" ", "")
    return v.isascii() and ((len(v) == 11 and v.startswith("1") and v.isdecimal()) or (7 <= len(v) <= 12 and v.isdecimal()))


def phone_problem(value: str) -> str | None:
    """Why ``value`` is not a phone number, naming it and the rule; None when it is one."""
    if is_valid_phone(value):
        return None
    return _("“%(phone)s” is not a phone number: give an 11-digit mobile number or a 7–12 digit "
             "landline number.") % {"phone": value}


def phone_cell_problem(value: str) -> str | None:
    """The same for a cell of an import file, whose error report names the row, the column
    and the value itself; None when it is a phone number."""
    if is_valid_phone(value):
        return None
    return _("not a phone number: give an 11-digit mobile number or a 7–12 digit landline number")


# --- the years of a re-check round (一年一核) -------------------------------------------------

@functools.cache
def _recheck_data() -> dict:
    import json
    from pathlib import Path

    return json.loads((Path(__file__).parent / "data" / "recheck.json").read_text(encoding="utf-8"))


def recheck_years(this_year: int) -> tuple[int, int]:
    """The first and last year a re-check round may be opened for in ``this_year``
    (data/recheck.json, with its sources): from the registry's first year to this year +
    ``years_ahead``."""
    data = _recheck_data()
    return int(data["first_year"]["value"]), this_year + int(data["years_ahead"]["value"])


# --- pinyin of names, fast ------------------------------------------------------------------

@functools.cache
def _char_pinyin(char: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0]


def pinyin_of(name: str) -> str:
    """The pinyin of a name exactly as ``" ".join(lazy_pinyin(name))`` (actions.pinyin), about
    twenty times faster: a name of Chinese characters none of whose runs of two or more is a
    pypinyin phrase (almost every personal name) is read character by character, each
    character's reading remembered; anything else (a phrase inside, a non-Chinese character)
    goes through pypinyin whole. A test keeps the two in step."""
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

    if not name:
        return ""
    n = len(name)
    if not any(name[i:j] in PHRASES_DICT for i in range(n - 1) for j in range(i + 2, n + 1)) \
            and all(ord(c) in PINYIN_DICT for c in name):
        return " ".join([_char_pinyin(c) for c in name])
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(name))
