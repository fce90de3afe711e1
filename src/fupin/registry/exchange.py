"""The flat national exchange format (one row per member, the household's columns
repeated, 户编号 ties the rows; Chinese headers; code values as Chinese labels).

This column list is the single contract for the template, the import, the export
and the data checks: a column's ``kind`` says how a cell is parsed and validated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext as _

from fupin.areas import rules as area_rules
from fupin.core import clock, dates

from . import codes
from .rules import PHONE_RULE, parse_id_number, phone_cell_problem, statuses_not_needing

HOUSEHOLD, MEMBER = "household", "member"


@dataclass(frozen=True)
class Column:
    header: str  # Chinese column header, as in the file
    field: str  # model field
    level: str  # household | member
    kind: str  # text | code:<list> | bool | int | decimal | date | id | area | phone | year
    required: bool = False
    help: str = ""
    max_length: int = 200
    # A required household column that may still be left empty for a household of one of these
    # statuses (rules.FIELDS_NOT_NEEDED). parse_cell reads its empty cell as optional; whoever knows
    # the household's status checks it (empty_cell_problem: the import's row rule on both of its
    # paths, the household form and the API); the template's sheet says it.
    unless_status: tuple[str, ...] = ()


def C(header, field, level, kind, required=False, help="", max_length=200, unless_status=()):
    return Column(header, field, level, kind, required, help, max_length, unless_status)


def C_ID(header, field, kind):
    """A required household column that says how the household was identified as poor
    (rules.IDENTIFICATION_FIELDS: 贫困户属性, 识别标准, 主要致贫原因, 识别年度): a household of a status
    that does not need it (rules.FIELDS_NOT_NEEDED: off the register) may leave it empty."""
    return C(header, field, HOUSEHOLD, kind, True, unless_status=statuses_not_needing(field))


COLUMNS: list[Column] = [
    C("户编号", "number", HOUSEHOLD, "text", True, "全国唯一的户编号；同一户的各行相同", 32),
    C("区划代码", "area_code", HOUSEHOLD, "area", True, "所在村（12 位）或村民小组（15 位）的统计用区划代码"),
    C("家庭住址", "address", HOUSEHOLD, "text", False, "", 200),
    C("联系电话", "phone", HOUSEHOLD, "phone"),
    C("开户银行", "bank_name", HOUSEHOLD, "text", False, "", 60),
    C("银行账号", "bank_account", HOUSEHOLD, "text", False, "一卡通账号", 32),
    C_ID("贫困户属性", "category", "code:category"),
    C_ID("识别标准", "standard", "code:standard"),
    C_ID("主要致贫原因", "main_cause", "code:cause"),
    C("其他致贫原因1", "cause2", HOUSEHOLD, "code:cause"),
    C("其他致贫原因2", "cause3", HOUSEHOLD, "code:cause"),
    C("住房面积", "housing_area", HOUSEHOLD, "decimal", False, "平方米"),
    C("住房结构", "housing_structure", HOUSEHOLD, "code:housing_structure"),
    C("危房等级", "danger_grade", HOUSEHOLD, "code:danger_grade", False, "A/B/C/D 级；非危房留空"),
    C("危房改造年份", "renovated_year", HOUSEHOLD, "year"),
    C("是否饮水困难", "water_difficult", HOUSEHOLD, "bool"),
    C("是否饮水安全", "water_safe", HOUSEHOLD, "bool"),
    C("是否通生活用电", "power", HOUSEHOLD, "bool"),
    C("是否易地扶贫搬迁", "relocated", HOUSEHOLD, "bool"),
    C("搬迁方式", "relocation_mode", HOUSEHOLD, "code:relocation_mode"),
    C("安置地点", "relocation_place", HOUSEHOLD, "text", False, "", 100),
    C("是否有卫生厕所", "sanitary_toilet", HOUSEHOLD, "bool"),
    C("距主干路距离", "road_distance_km", HOUSEHOLD, "decimal", False, "公里"),
    C("耕地面积", "arable_mu", HOUSEHOLD, "decimal", False, "亩"),
    C("有效灌溉面积", "irrigated_mu", HOUSEHOLD, "decimal", False, "亩"),
    C("林地面积", "forest_mu", HOUSEHOLD, "decimal", False, "亩"),
    C("退耕还林面积", "returned_forest_mu", HOUSEHOLD, "decimal", False, "亩"),
    C("是否加入农民专业合作社", "cooperative", HOUSEHOLD, "bool"),
    C_ID("识别年度", "identified_year", "year"),
    C("计划脱贫年度", "planned_exit_year", HOUSEHOLD, "year"),
    C("脱贫年度", "exit_year", HOUSEHOLD, "year"),
    C("返贫年度", "return_year", HOUSEHOLD, "year"),
    C("返贫原因", "return_reason", HOUSEHOLD, "text", False, "", 200),
    C("贫困户状态", "status", HOUSEHOLD, "code:status", True),
    C("状态日期", "status_date", HOUSEHOLD, "date", False, "当前状态开始的日期，如 2017-12-31"),
    C("姓名", "name", MEMBER, "text", True, "", 60),
    C("证件号码", "id_number", MEMBER, "id", False, "18 位居民身份证号码；无证件的留空并填写无证件原因"),
    C("无证件原因", "no_id_reason", MEMBER, "code:no_id_reason"),
    C("性别", "sex", MEMBER, "code:sex", True),
    C("出生日期", "birth_date", MEMBER, "date", False, "有身份证号的可留空，自动取号码中的日期"),
    C("与户主关系", "relation", MEMBER, "code:relation", True),
    C("民族", "ethnicity", MEMBER, "code:ethnicity", True),
    C("文化程度", "education", MEMBER, "code:education"),
    C("在校生状况", "school_status", MEMBER, "code:school_status", True),
    C("健康状况", "health", MEMBER, "code:health", True),
    C("残疾等级", "disability_grade", MEMBER, "code:disability_grade"),
    C("劳动技能", "labour", MEMBER, "code:labour"),
    C("务工状况", "work_status", MEMBER, "code:work_status"),
    C("务工区域", "work_place", MEMBER, "code:work_place"),
    C("务工时间（月）", "work_months", MEMBER, "int"),
    C("成员联系电话", "phone", MEMBER, "phone"),
    C("是否参加城乡居民基本医疗保险", "medical_insurance", MEMBER, "bool"),
    C("是否参加大病保险", "serious_illness_insurance", MEMBER, "bool"),
    C("是否参加城乡居民基本养老保险", "pension_insurance", MEMBER, "bool"),
    C("是否享受低保", "dibao", MEMBER, "bool"),
    C("是否特困供养", "tekun", MEMBER, "bool"),
]
BY_HEADER = {c.header: c for c in COLUMNS}
HOUSEHOLD_COLUMNS = [c for c in COLUMNS if c.level == HOUSEHOLD]
MEMBER_COLUMNS = [c for c in COLUMNS if c.level == MEMBER]
HEADERS = [c.header for c in COLUMNS]

# Land areas (亩): an empty cell means none (0), not unknown.
ZERO_WHEN_EMPTY = frozenset({"arable_mu", "irrigated_mu", "forest_mu", "returned_forest_mu"})
# The year columns (识别年度, 计划脱贫年度, 脱贫年度, 返贫年度, 危房改造年份) are years of the
# poverty-alleviation work itself, so none is earlier than its beginning — a fact of history, not a
# threshold an office sets: the central budget's first fund for poor areas (支援经济不发达地区发展
# 资金) was set up in 1980. The registry itself (建档立卡) began in 2014, but it also keeps households
# taken over from the rounds before it (seed 000: 惠州's 2013—2015 规划到户责任到人), so 识别年度 is
# not bounded by 2014. A year before this one is a typing error (often a birth year in the wrong
# column); birth dates are dates, bounded like every date by core.dates.FIRST_YEAR.
PROGRAMME_FIRST_YEAR = 1980
# … and the year columns go up to this year + YEARS_AHEAD (a planned exit year is ahead).
YEARS_AHEAD = 10


def last_year(this_year: int | None = None) -> int:
    """The last year a year of the work may be (a year column, an income's or a village
    profile's year): this year (``this_year``, default today's) + YEARS_AHEAD."""
    return (this_year or clock.today().year) + YEARS_AHEAD


# A date cell is read by core.dates.cell_date, and only by it: 2017-01-05, 2017/1/5, 2017年1月5日,
# 20170105, an Excel date, each optionally followed by a time of day (ignored); anything else after
# the date (2017-01-015, 2017-01-05abc) is refused. The PostgreSQL fast path of the import
# (importers._cell_sql) accepts a subset of these in SQL and sends every other cell here.
DATE_EXAMPLES = ("2017-01-05", "2017/1/5", "2017.1.5", "2017年1月5日", "20170105")


def date_help() -> str:
    """The one sentence saying how a date may be written in an import file (the template's
    explanation sheet and the import page)."""
    return _("a date written as %(examples)s, or an Excel date cell (a time of day after it is ignored)") % {
        "examples": " / ".join(DATE_EXAMPLES)}


TRUE_WORDS = {"是", "有", "y", "yes", "true", "1", "√"}
FALSE_WORDS = {"否", "无", "n", "no", "false", "0", ""}


def _places(col: Column) -> int:
    """The decimal places the model keeps for a decimal column."""
    from django.apps import apps  # (the models import this module's codes)

    model = apps.get_model("registry", "Household" if col.level == HOUSEHOLD else "Member")
    return model._meta.get_field(col.field).decimal_places


def parse_cell(col: Column, text: str, *, this_year: int | None = None):
    """The value of one cell for the model, or ValueError with a Chinese reason."""
    text = (text or "").strip()
    if text == "":
        if col.required and not col.unless_status:  # (one with unless_status: empty_cell_problem)
            raise ValueError(_("required, but empty"))
        if col.kind == "bool":
            return None  # the model default applies
        if col.kind in ("decimal",) and col.field in ZERO_WHEN_EMPTY:
            return Decimal(0)
        return None if col.kind in ("int", "decimal", "date", "year", "id") else ""
    kind = col.kind
    if kind == "text" or kind == "phone":
        if len(text) > col.max_length:
            raise ValueError(_("longer than %(n)s characters") % {"n": col.max_length})
        if kind == "phone" and (problem := phone_cell_problem(text)):
            raise ValueError(problem)
        return text
    if kind.startswith("code:"):
        name = kind[5:]
        code = codes.zh_to_code(name).get(text)
        if code is None:
            raise ValueError(_("not one of the allowed values (see the sheet 填写说明)"))
        return code
    if kind == "bool":
        low = text.lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        raise ValueError(_("write 是 or 否"))
    if kind == "int":
        if not text.isdecimal():
            raise ValueError(_("not a whole number"))
        return int(text)
    if kind == "year":
        if not (text.isdecimal() and len(text) == 4
                and PROGRAMME_FIRST_YEAR <= int(text) <= last_year(this_year)):
            raise ValueError(_("not a year"))
        return int(text)
    if kind == "decimal":
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(_("not a number")) from None
        if not value.is_finite():  # (NaN cannot even be compared)
            raise ValueError(_("not a number"))
        if value < 0 or value >= Decimal("1e8"):
            raise ValueError(_("out of range"))
        # once, half up, to the places the registry keeps (one for the housing area and the
        # distance, two for land): as the import's SQL and the API (api.base.Quantity) round
        return value.quantize(Decimal(1).scaleb(-_places(col)), ROUND_HALF_UP)
    if kind == "date":
        return dates.cell_date(text)
    if kind == "id":
        return parse_id_number(text).number
    if kind == "area":
        if not area_rules.is_valid_code(text) or area_rules.level_of(text) not in ("village", "group"):
            raise ValueError(_("not a village (12 digits) or village group (15 digits) code"))
        return text
    raise AssertionError(kind)


def empty_cell_problem(col: Column, status: str) -> str | None:
    """Why ``col`` may not be left empty for a household of ``status`` (the reason names the
    status), or None when it may: a column with ``unless_status`` is required of every other
    status. (parse_cell reads such an empty cell as optional: the import checks it with the row's
    status, the household form and the API with the household's, through empty_fields_problems.)"""
    if status in col.unless_status:
        return None
    return _("required for a household whose status is “%(status)s”") % {"status": codes.label("status", status)}


def empty_fields_problems(status: str | None, values: dict) -> list[tuple[Column, str]]:
    """The household columns with ``unless_status`` that ``values`` (model field → value) leaves
    empty (None, or text of spaces only) although a household of ``status`` needs them, each with
    its reason (empty_cell_problem). Fields not in ``values`` are not looked at."""
    return [(col, problem) for col in HOUSEHOLD_COLUMNS
            if col.unless_status and col.field in values and _empty(values[col.field])
            and (problem := empty_cell_problem(col, status or ""))]


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def required_wording(col: Column, *, sheet: bool = True) -> str:
    """Whether ``col`` is required, in words: 必填 / 选填, or, for a column with ``unless_status``,
    required but for those statuses, named in Chinese for the template's sheet (``sheet``), in
    the language of the request otherwise (a form's help)."""
    if col.unless_status:
        from fupin.core import present

        statuses = [f"“{codes.zh('status', s) if sheet else codes.label('status', s)}”" for s in col.unless_status]
        with translation.override("zh-hans" if sheet else translation.get_language()):  # (the sheet is Chinese)
            return _("required, except for a household whose status is %(statuses)s") % {
                "statuses": "、".join(statuses) if sheet else present.join(statuses)}
    return "必填" if col.required else "选填"


def format_cell(col: Column, value) -> str:
    """A model value as the text of the exchange file (the inverse of parse_cell)."""
    if value is None or value == "":
        return ""
    if col.kind.startswith("code:"):
        return codes.zh(col.kind[5:], value)
    if col.kind == "bool":
        return "是" if value else "否"
    if col.kind == "decimal":
        return format(Decimal(value).normalize(), "f") if Decimal(value) != 0 else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def explanation_rows() -> list[list[str]]:
    """The 填写说明 sheet: every column, required or not, and its allowed values."""
    rows = []
    for c in COLUMNS:
        if c.kind.startswith("code:"):
            allowed = "、".join(e["zh"] for e in codes.entries(c.kind[5:]))
        else:
            allowed = {"bool": "是 / 否", "int": "整数", "year": "四位年份", "decimal": "数字", "date": date_help(),
                       "id": "18 位身份证号（校验位正确）", "area": "12 或 15 位区划代码", "phone": str(PHONE_RULE),
                       "text": f"文字，最多 {c.max_length} 字"}[c.kind]
        rows.append([c.header, "户" if c.level == HOUSEHOLD else "人", required_wording(c), allowed, c.help])
    return rows
