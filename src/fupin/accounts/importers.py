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
    ("单位", "选填。已在系统中的单位名称（同一区划内）。"),
    ("手机", "选填。11 位手机号。"),
    ("职务", "选填。"),
    ("初始密码", "选填。留空则随机生成，导入后在结果文件中给出。"),
]


def _role_code(value: str) -> str | None:
    """A role given by its code, its Chinese name or its English name."""
    from django.utils import translation

    if value in rules.ROLES:
        return value
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for code, label in rules.ROLES.items():
                if value == str(label):
                    return code
    return None


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
                        area = Area.objects.filter(code=row["区划代码"], valid_to__isnull=True).first()
                        units[key] = Unit.objects.filter(name=row["单位"], area_code__startswith=area.prefix
                                                         ).first() if area else None
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
