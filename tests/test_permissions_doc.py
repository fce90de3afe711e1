"""docs/permissions.md is the permission contract: its table must equal
fupin.accounts.rules.PERMISSIONS cell for cell (and its roles table must list every role)."""

from pathlib import Path

import pytest
from django.utils import translation

from fupin.accounts import rules

DOC = Path(__file__).resolve().parents[1] / "docs" / "permissions.md"


def _tables(text: str) -> list[list[list[str]]]:
    """Every Markdown table in the text, as rows of stripped cells (separator rows dropped)."""
    tables, current = [], []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("|") and line.endswith("|"):
            cells = [c.strip() for c in line[1:-1].split("|")]
            if not all(set(c) <= set("-: ") for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def _unquote(cell: str) -> str:
    return cell.strip().strip("`")


def parse_permission_table(text: str) -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    """{role: permissions} and {permission: meaning} from the table headed 'permission | meaning | roles…'."""
    tables = [t for t in _tables(text) if t[0][:2] == ["permission", "meaning"]]
    assert len(tables) == 1, "docs/permissions.md needs exactly one table headed | permission | meaning | <roles> |"
    header, *rows = tables[0]
    roles = [_unquote(c) for c in header[2:]]
    granted: dict[str, set[str]] = {role: set() for role in roles}
    meanings = {}
    for row in rows:
        assert len(row) == len(header), f"row {row[0]} has {len(row)} cells, the header {len(header)}"
        perm = _unquote(row[0])
        assert perm not in meanings, f"permission {perm} appears twice"
        meanings[perm] = row[1]
        for role, cell in zip(roles, row[2:], strict=True):
            assert cell in ("", "✓"), f"cell {perm}/{role} is {cell!r}: use ✓ or leave it empty"
            if cell == "✓":
                granted[role].add(perm)
    return {role: frozenset(perms) for role, perms in granted.items()}, meanings


@pytest.fixture(scope="module")
def doc_text():
    assert DOC.exists(), "docs/permissions.md is missing"
    return DOC.read_text(encoding="utf-8")


def test_table_equals_the_code(doc_text):
    granted, _meanings = parse_permission_table(doc_text)
    assert list(granted) == list(rules.ROLES), "the table's columns must be the role codes, in order"
    for role in rules.ROLES:
        missing = rules.PERMISSIONS[role] - granted[role]
        extra = granted[role] - rules.PERMISSIONS[role]
        assert not missing and not extra, (
            f"{role}: the code grants {sorted(missing)} that the doc does not; the doc grants {sorted(extra)} "
            "that the code does not")
    assert granted == dict(rules.PERMISSIONS)


def test_every_permission_has_a_row_with_its_meaning(doc_text):
    _granted, meanings = parse_permission_table(doc_text)
    assert list(meanings) == list(rules.PERMISSION_LABELS), "one row per permission, in the order of PERMISSION_LABELS"
    with translation.override("en"):
        for perm, label in rules.PERMISSION_LABELS.items():
            assert meanings[perm] == str(label), f"{perm}: the meaning differs from PERMISSION_LABELS"


def test_the_code_grants_only_known_permissions():
    assert set(rules.PERMISSIONS) == set(rules.ROLES)
    for role, perms in rules.PERMISSIONS.items():
        assert perms <= set(rules.PERMISSION_LABELS), f"{role} has permissions without a label"


def test_roles_table_lists_every_role(doc_text):
    tables = [t for t in _tables(doc_text) if t[0][0] == "code"]
    assert tables, "docs/permissions.md needs the roles table (| code | 中文 | who |)"
    codes = [_unquote(row[0]) for row in tables[0][1:]]
    assert codes == list(rules.ROLES)
    for role in rules.ADMIN_GRANTED_ROLES:
        assert f"`{role}`" in doc_text.split("## How scoping works", 1)[1].split("## Roles", 1)[0], (
            f"the prose must say that only an administrator grants {role}")


def test_parser_sees_a_change():
    """The parser is not blind: one cell changed is one difference."""
    text = DOC.read_text(encoding="utf-8")
    granted, _ = parse_permission_table(text)
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("| `audit.view`"))
    cells = lines[i].split("|")
    cells[-2] = " "  # take audit.view away from admin (the last column)
    lines[i] = "|".join(cells)
    changed, _ = parse_permission_table("\n".join(lines))
    assert granted["admin"] - changed["admin"] == {"audit.view"}
