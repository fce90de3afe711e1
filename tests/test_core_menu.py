"""The menu marks one item as the current page: the one whose address is the longest
prefix of the page's."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from fupin.core.context import shell
from tests.conftest import COUNTY_A


def _active(user, path):
    request = RequestFactory().get(path)
    request.user = user
    return [i["href"] for s in shell(request)["menu"] for i in s["items"] if i["active"]]


@pytest.mark.parametrize(("page", "item"), [
    ("registry:duplicates", "registry:duplicates"),  # under registry:quality's address too
    ("registry:quality", "registry:quality"),
])
def test_one_menu_item_is_current(two_counties, make_user, page, item):
    user = make_user("county_office", COUNTY_A)
    assert _active(user, reverse(page)) == [reverse(item)]


def test_a_page_under_an_item_marks_that_item(two_counties, make_user):
    user = make_user("county_office", COUNTY_A)
    quality = reverse("registry:quality")
    assert _active(user, quality + "no-such-subpage/") == [quality]


def test_the_home_page_marks_only_home(two_counties, make_user):
    user = make_user("county_office", COUNTY_A)
    assert _active(user, "/") == ["/"]
