"""Bulk import of users from Excel: all or nothing."""

from __future__ import annotations

import io
from pathlib import Path

from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from fupin.areas.models import Area, Unit
from fupin.core import present
from fupin.core.actor import Actor
from fupin.core.errors import ActionError, Invalid
from fupin.core.tabular import EXCEL_SUFFIXES, ErrorReport, Table, read_table, require_headers, write_xlsx
from fupin.registry.rules import PHONE_RULE

from . import actions, rules
from .models import User

DATA_SHEET = "用户"  # the only sheet an Excel file is imported from
EXPLAIN_SHEET = "说明"  # the template's explanations and its example: never imported
COLUMNS = ["用户名", "姓名", "角色", "区划代码", "单位", "手机", "职务", "初始密码"]
REQUIRED = ["用户名", "角色", "区划代码"]
# The example user the template shows on its 说明 sheet (never on the data sheet). Its
# role is a code here and shown by its label; a data row that is this example (an old
# template had it on the data sheet) is refused.
EXAMPLE = {"用户名": "wang.xiaoming", "姓名": "王小明", "角色": "village_cadre", "区划代码": "360729100201",
           "单位": "", "手机": "13800000000", "职务": "村支书", "初始密码": ""}
# The field an accounts.actions error names -> the column.
ACTION_COLUMNS = {"username": "用户名", "full_name": "姓名", "role": "角色", "area": "区划代码", "unit": "单位",
                  "phone": "手机", "post": "职务", "password": "初始密码"}


def role_labels() -> list[str]:
    """The roles by their names in the current language, as the template lists them."""
    return [str(label) for label in rules.ROLES.values()]


def explanation_rows() -> list[list[str]]:
    """The 说明 sheet: each column, whether it is required, what goes in it, an example — in
    Chinese, like the file's column headers (the format), whatever the user's language (the
    import reads Chinese role names in any language)."""
    from django.utils import translation

    with translation.override("zh-hans"):
        roles = "、".join(f"{label}（{code}）" for code, label in rules.ROLES.items())
        example_role = str(rules.ROLES[EXAMPLE["角色"]])
        phone_rule = str(PHONE_RULE)
    notes = {
        "用户名": "登录名，字母、数字或 @.+-_，全系统唯一。",
        "姓名": "",
        "角色": "下列之一，填名称（或括号中的代码）：" + roles,
        "区划代码": "角色所在区划的 12 位统计用区划代码，如县 360729000000。",
        "单位": "已在系统中的单位名称：该区划、其下级或上级区划的单位（如驻村工作队员所在的县直部门）。",
        "手机": phone_rule,
        "职务": "",
        "初始密码": "留空则随机生成，导入后在结果文件中给出。",
    }
    example = {**EXAMPLE, "角色": example_role}
    rows = [[c, "是" if c in REQUIRED else "否", notes[c], example[c]] for c in COLUMNS]
    rows.append(["", "", f"只导入“{DATA_SHEET}”工作表，从第 2 行起每行一个用户；本表（包括示例）不导入。", ""])
    return rows


# The names offices use for the roles (docs/permissions.md), accepted whatever the
# translation catalogue calls them.
ROLE_ALIASES = {
    "村干部": "village_cadre",
    "村两委干部": "village_cadre",
    "驻村工作队员": "work_team",
    "驻村工作队": "work_team",
    "第一书记": "work_team",
    "帮扶责任人": "helper",
    "帮扶干部": "helper",
    "乡镇干部": "township_officer",
    "乡镇扶贫干部": "township_officer",
    "县扶贫办": "county_office",
    "县乡村振兴局": "county_office",
    "行业部门干部": "department_officer",
    "部门干部": "department_officer",
    "督查审计人员": "inspector",
    "督查人员": "inspector",
    "审计人员": "inspector",
    "市省领导": "leader",
    "领导": "leader",
    "系统管理员": "admin",
}


def _role_code(value: str) -> str | None:
    """A role given by its code, or its name in the user's language, Chinese or English."""
    from django.utils import translation

    value = value.strip()
    if value.casefold() in rules.ROLES:
        return value.casefold()
    if value in ROLE_ALIASES:
        return ROLE_ALIASES[value]
    for language in dict.fromkeys((translation.get_language() or "zh-hans", "zh-hans", "en")):
        with translation.override(language):
            for code, label in rules.ROLES.items():
                if value.casefold() == str(label).casefold():
                    return code
    return None


def _is_example(row: dict[str, str], role: str | None) -> bool:
    """The template's example user (an old template had it on the data sheet)."""
    return (role == EXAMPLE["角色"]
            and all(row.get(c, "") == EXAMPLE[c] for c in ("用户名", "姓名", "区划代码")))


def _read(path: str | Path) -> Table:
    """The data sheet of an Excel file (or its only sheet), or a CSV file. A workbook of
    several sheets without the data sheet is refused: no other sheet is ever read."""
    path = Path(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        try:
            names = list(CalamineWorkbook.from_path(str(path)).sheet_names)
        except Exception:  # unreadable: read_table says why
            names = []
        if DATA_SHEET in names:
            return read_table(path, sheet=DATA_SHEET)
        if len(names) > 1:
            raise Invalid(_("The workbook has no sheet named “%(sheet)s”, the only sheet imported (it has: "
                            "%(sheets)s).") % {"sheet": DATA_SHEET, "sheets": "、".join(names)})
    return read_table(path)


def _find_unit(name: str, area_code: str) -> Unit | None:
    """The unit of that name in the role's area, under it, or above it (a village's work
    team comes from a county department): the nearest one."""
    area = Area.objects.filter(code=area_code, valid_to__isnull=True).first()
    if area is None:
        return None
    below = Unit.objects.filter(name=name, area_code__startswith=area.prefix).order_by("area_code").first()
    if below is not None:
        return below
    ancestors = [a.code for a in reversed(area.ancestors())]
    found = {u.area_code: u for u in Unit.objects.filter(name=name, area_code__in=ancestors)}
    return next((found[c] for c in ancestors if c in found), None)


def import_users(actor: Actor, path: str | Path) -> tuple[list[tuple[str, str]], ErrorReport]:
    """Create every user in the file, or none. Returns [(username, password)] and the
    report, which names every wrong column of every wrong row."""
    table = _read(path)
    require_headers(table, REQUIRED)
    report = ErrorReport()
    created: list[tuple[str, str]] = []
    units = {}
    try:
        with transaction.atomic():
            for number, row in table.rows:
                wrong: set[str] = set()

                def add(column: str, reason: str, number=number, row=row, wrong=wrong) -> None:
                    if column not in wrong:
                        wrong.add(column)
                        report.add(number, column, row.get(column, ""), reason)

                role = _role_code(row.get("角色", ""))
                if role is None:
                    add("角色", _("not one of the roles: %(roles)s") % {"roles": present.join(role_labels())})
                elif _is_example(row, role):
                    add("用户名", _("this is the template's example user: delete this row"))
                    continue
                unit = None
                if row.get("单位"):
                    key = (row["单位"], row.get("区划代码", ""))
                    if key not in units:
                        units[key] = _find_unit(*key)
                    unit = units[key]
                    if unit is None:
                        add("单位", _("no unit of this name in that area"))
                fields = {"username": row.get("用户名", ""), "area_code": row.get("区划代码") or None,
                          "unit": unit, "password": row.get("初始密码") or None,
                          "full_name": row.get("姓名", ""), "phone": row.get("手机", ""), "post": row.get("职务", "")}
                checked = actions.check_new_user(actor, role=role, **fields)
                for problem in checked.problems:
                    add(ACTION_COLUMNS.get(problem.field or "", "用户名"), str(problem.message))
                if wrong:
                    continue
                try:  # (what was checked just now: a user is checked once)
                    user, password = actions.create_checked_user(actor, checked)
                except ActionError as exc:
                    add(ACTION_COLUMNS.get(exc.field or "", "用户名"), str(exc.message))
                    continue
                created.append((user.username, password))
            if report:
                raise _Rollback
    except _Rollback:
        return [], report
    return created, report


class _Rollback(Exception):
    pass


def template_response() -> HttpResponse:
    """The empty template: the headers on the data sheet, the explanations and the
    example on the 说明 sheet (which the importer never reads)."""
    buffer = io.BytesIO()
    write_xlsx(buffer, COLUMNS, [], sheet_name=DATA_SHEET,
               extra_sheets={EXPLAIN_SHEET: (["列", "必填", "说明", "示例"], explanation_rows())})
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="users-template.xlsx"'
    return response


__all__ = ["COLUMNS", "User", "import_users", "template_response"]
