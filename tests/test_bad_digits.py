"""Characters that str.isdigit() accepts but int() refuses (superscripts such as "²") or
that are digits of another script must give a clear answer, never a 500 or a
half-accepted ID number."""

import pytest

from fupin.registry import rules

from .conftest import COUNTY_A


def test_id_numbers_and_phones_are_ascii_digits_only():
    with pytest.raises(ValueError):
        rules.parse_id_number("36072919800101001" + "²")
    with pytest.raises(ValueError):
        rules.parse_id_number("٣٦٠٧٢٩١٩٨٠٠١٠١٠٠١٥")
    assert not rules.is_valid_phone("1397001234²")
    assert not rules.is_valid_phone("١٣٩٧٠٠١٢٣٤٥")
    assert rules.is_valid_phone("13970012345")


@pytest.mark.parametrize("url, param", [
    ("/registry/households/", "year"), ("/registry/villages/360729100201/profile/", "year"), ("/exits/", "year"),
    ("/delisting/", "year"),
])
def test_superscript_digits_in_a_query_are_ignored_not_a_500(two_counties, make_user, login, url, param):
    client = login(make_user("county_office", COUNTY_A))
    for value in ("²²²²", "²", "٢٠٢٤"):
        response = client.get(url, {param: value})
        assert response.status_code in (200, 302, 404), (url, value, response.status_code)
