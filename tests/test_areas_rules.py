"""Division codes: levels, prefixes, parents, range bounds."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin.areas import rules


@pytest.mark.parametrize(
    ("code", "level", "prefix", "parent"),
    [
        ("360000000000", "province", "36", None),
        ("360700000000", "city", "3607", "360000000000"),
        ("360729000000", "county", "360729", "360700000000"),
        ("360729100000", "township", "360729100", "360729000000"),
        ("360729100201", "village", "360729100201", "360729100000"),
        ("360729100201003", "group", "360729100201003", "360729100201"),
    ],
)
def test_levels_prefixes_parents(code, level, prefix, parent):
    assert rules.level_of(code) == level
    assert rules.prefix_of(code) == prefix
    assert rules.parent_code(code) == parent


@pytest.mark.parametrize("bad", ["", "36", "3607290000", "36072900000a", "000000000000", "3607291002011"])
def test_invalid_codes(bad):
    assert not rules.is_valid_code(bad)
    with pytest.raises(ValueError):
        rules.level_of(bad)


def test_upper_bound():
    assert rules.prefix_upper_bound("3607") == "3608"
    assert rules.prefix_upper_bound("360729") == "360730"
    assert rules.prefix_upper_bound("3609") == "3610"
    assert rules.prefix_upper_bound("99") is None


@given(st.from_regex(r"\A[1-8][0-9]{3}\Z"), st.from_regex(r"\A[0-9]{12}\Z"))
def test_range_equals_startswith(prefix, code):
    """prefix <= code < bound holds exactly when code starts with prefix."""
    bound = rules.prefix_upper_bound(prefix)
    in_range = code >= prefix and (bound is None or code < bound)
    assert in_range == code.startswith(prefix)
