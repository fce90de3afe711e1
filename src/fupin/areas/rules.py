"""Pure functions on statistical division codes (统计用区划代码). No ORM here.

A code is 12 digits: province 2, city 4, county 6, township 9, village 12 significant
digits, zero-padded. A village group (村民小组) adds three digits: 15 in all.
The *prefix* of a code is its significant digits; an area contains every code that
starts with its prefix.
"""

import re

from django.utils.translation import gettext_lazy as _

PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE, GROUP = "province", "city", "county", "township", "village", "group"
LEVELS = (PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE, GROUP)
LEVEL_LABELS = {
    PROVINCE: _("Province"),
    CITY: _("City"),
    COUNTY: _("County"),
    TOWNSHIP: _("Township"),
    VILLAGE: _("Village"),
    GROUP: _("Village group"),
}
PREFIX_LENGTH = {PROVINCE: 2, CITY: 4, COUNTY: 6, TOWNSHIP: 9, VILLAGE: 12, GROUP: 15}
CODE_RE = re.compile(r"^\d{12}(\d{3})?$")


def is_valid_code(code: str) -> bool:
    return bool(code) and bool(CODE_RE.match(code)) and code[:2] != "00"


def level_of(code: str) -> str:
    """The level a code denotes, from its trailing zeros."""
    if not is_valid_code(code):
        raise ValueError(f"not a division code: {code!r}")
    if len(code) == 15:
        return GROUP
    if code[2:] == "0" * 10:
        return PROVINCE
    if code[4:] == "0" * 8:
        return CITY
    if code[6:] == "0" * 6:
        return COUNTY
    if code[9:] == "000":
        return TOWNSHIP
    return VILLAGE


def prefix_of(code: str, level: str | None = None) -> str:
    return code[: PREFIX_LENGTH[level or level_of(code)]]


def parent_code(code: str) -> str | None:
    """The code of the area directly above (None for a province)."""
    level = level_of(code)
    if level == PROVINCE:
        return None
    if level == GROUP:
        return code[:12]
    up = LEVELS[LEVELS.index(level) - 1]
    return prefix_of(code, up).ljust(12, "0")


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest digit string of the same length above every code starting with
    ``prefix``, so that ``prefix <= code < bound`` is an indexable range.
    None when the prefix is all nines (no upper bound needed)."""
    if not prefix:
        return None
    if set(prefix) == {"9"}:
        return None
    return str(int(prefix) + 1).zfill(len(prefix))


def contains(prefix: str, code: str | None) -> bool:
    return code is not None and code.startswith(prefix)


def common_area_code(codes) -> str:
    """The code of the smallest area containing all ``codes`` ("" when they span provinces)."""
    codes = list(codes)
    if not codes:
        return ""
    first, last = min(codes), max(codes)  # the common prefix of all is that of these two
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    common = first[:n]
    for length in sorted(set(PREFIX_LENGTH.values()), reverse=True):
        if len(common) >= length and length <= 12:
            return common[:length].ljust(12, "0")
    return ""
