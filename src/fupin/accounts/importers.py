"""Bulk import of users from Excel: all or nothing."""

from __future__ import annotations

import io
from pathlib import Path

from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _

from fupin.areas.models import Area, Unit
from fupin.core.actor import Actor
from fupin.core.errors import ActionError
from fupin.core.tabular import ErrorReport, read_table, require_headers, write_xlsx

from . import actions, rules
from .models import User

COLUMNS = ["用户名", "姓名", "角色", "区划代码", "单位", "手机", "职务", "初始密码"]
REQUIRED = ["用户名", "角色", "区划代码"]
EXPLAIN = [
    ("用户名", "必填。登录名，字母、数字或 @.+-_，全系统唯一。"),
    ("姓名", "选填。"),
    ("角色", "必填。下列之一（中文名称或代码）：" + "、".join(f"{v}（{k}）" for k, v in
                                                     [(k, str(v)) for k, v in rules.ROLES.items()])),
    ("区划代码", "必填。角色所在区划的 12 位统计用区划代码，如县 360729000000。"),
    ("单位", "选填。已在系统中的单位名称：该区划、其下级或上级区划的单位（如驻村工作队员所在的县直部门）。"),
    ("手机", "选填。11 位手机号。"),
    ("职务", "选填。"),
    ("初始密码", "选填。留空则随机生成，导入后在结果文件中给出。"),
]


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
    """A role given by its code, its Chinese name or its English name."""
    from django.utils import translation

    value = value.strip()
    if value in rules.ROLES:
        return value
    if value in ROLE_ALIASES:
        return ROLE_ALIASES[value]
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for code, label in rules.ROLES.items():
                if value == str(label):
                    return code
    return None


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
    """Create every user in the file, or none. Returns [(username, password)] and the report."""
    table = read_table(path)
    require_headers(table, REQUIRED)
    report = ErrorReport()
    created: list[tuple[str, str]] = []
    units = {}
    try:
        with transaction.atomic():
            for number, row in table.rows:
                role = _role_code(row.get("角色", ""))
                if role is None:
                    report.add(number, "角色", row.get("角色", ""), _("unknown role"))
                    continue
                unit = None
                if row.get("单位"):
                    key = (row["单位"], row["区划代码"])
                    if key not in units:
                        units[key] = _find_unit(row["单位"], row["区划代码"])
                    unit = units[key]
                    if unit is None:
                        report.add(number, "单位", row["单位"], _("no unit of this name in that area"))
                        continue
                try:
                    with transaction.atomic():
                        user, password = actions.create_user(
                            actor, username=row["用户名"], role=role, area_code=row["区划代码"], unit=unit,
                            password=row.get("初始密码") or None, full_name=row.get("姓名", ""),
                            phone=row.get("手机", ""), post=row.get("职务", ""))
                except ActionError as exc:
                    column = {"username": "用户名", "area": "区划代码", "password": "初始密码",
                              "role": "角色", "unit": "单位"}.get(exc.field or "", "用户名")
                    report.add(number, column, row.get(column, ""), str(exc.message))
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
    buffer = io.BytesIO()
    write_xlsx(buffer, COLUMNS, [["wang.xiaoming", "王小明", "village_cadre", "360729100201", "", "", "村支书", ""]],
               sheet_name="用户", extra_sheets={"说明": (["列", "说明"], EXPLAIN)})
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="users-template.xlsx"'
    return response


__all__ = ["COLUMNS", "User", "import_users", "template_response"]
