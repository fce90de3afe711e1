"""The registers' Excel files (村册, 乡簿, 县档) as an office files them: every column wide
enough for its values (a 16-digit household number, an 18-character ID number, Chinese
names counting two), and the title and header rows frozen."""

from __future__ import annotations

import io

import openpyxl
from django.urls import reverse
from openpyxl.utils import get_column_letter

from fupin.registry.views import registers
from tests.conftest import COUNTY_A, TOWNSHIP_A, VILLAGE_A
from tests.test_registry_pages import HEAD_ID, world  # noqa: F401  (the fixture)


def workbook(client, code):
    response = client.get(reverse("registry:register_xlsx", args=[code]))
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def widths(ws) -> dict[str, float]:
    """{header: column width} of a register sheet (the header is its second row)."""
    return {ws.cell(2, col).value: ws.column_dimensions[get_column_letter(col)].width
            for col in range(1, ws.max_column + 1)}


def test_display_width_counts_a_chinese_character_as_two():
    assert registers.display_width("3607291002010001") == 16
    assert registers.display_width("张三") == 4 and registers.display_width("第1村民小组") == 11
    assert registers.display_width(None) == 0 and registers.display_width("") == 0


def test_village_register_columns_fit_their_values_and_the_header_is_frozen(world):
    wb = workbook(world["client"], VILLAGE_A)
    ws = wb.worksheets[0]
    assert ws.freeze_panes == "A3"  # title row and header row stay in view
    w = widths(ws)
    assert w["户编号"] >= len("3607291002010001")
    assert w["户主身份证件号码"] >= len(HEAD_ID) == 18
    assert w["村民小组"] >= registers.display_width("第1村民小组")
    assert w["户主"] >= registers.display_width("张三")
    assert all(width <= registers.MAX_WIDTH + 2 for width in w.values()), w  # capped
    # a column of short values stays narrow (not as wide as the ID number's)
    assert w["家庭人口数"] < w["户主身份证件号码"]


def test_township_and_county_files_too(world):
    checked = []
    for code in (TOWNSHIP_A, COUNTY_A):
        wb = workbook(world["client"], code)
        for ws in wb.worksheets:
            assert ws.freeze_panes == "A3", (code, ws.title)
            w = widths(ws)
            if "代码" in w:  # an area sheet: 12-digit codes
                assert w["代码"] >= 12, (code, ws.title, w)
                checked.append((code, "代码"))
            if "户编号" in w:
                assert w["户编号"] >= 16, (code, ws.title, w)
                checked.append((code, "户编号"))
    # the township book's village and household sheets, the county file's two area sheets
    assert checked == [(TOWNSHIP_A, "代码"), (TOWNSHIP_A, "户编号"), (COUNTY_A, "代码"), (COUNTY_A, "代码")]
