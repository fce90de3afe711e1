"""core.money: the one reader of amounts for actions and imports."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fupin.core import money
from fupin.core.errors import Invalid

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize(("text", "value"), [
    ("", Decimal("0.00")), (None, Decimal("0.00")), ("1,200.5", Decimal("1200.50")), (" 3 ", Decimal("3.00")),
    ("0.005", Decimal("0.01")), (12, Decimal("12.00")), ("9999999999.99", Decimal("9999999999.99")),
])
def test_amounts_as_typed_are_read_to_the_cent(text, value):
    assert money.parse_amount(text) == value


@pytest.mark.parametrize(("text", "reason"), [
    ("NaN", "Not a number."), ("inf", "Not a number."), ("abc", "Not a number."), ("1..2", "Not a number."),
    ("-0.01", "Amounts cannot be negative."), ("1e10", "The amount is too large."),
    ("10000000000", "The amount is too large."),
])
def test_amounts_that_cannot_be_stored_are_refused_with_the_reason(text, reason):
    with pytest.raises(ValueError) as exc:
        money.parse_amount(text)
    assert str(exc.value) == reason


def test_an_action_gets_invalid_naming_its_field():
    with pytest.raises(Invalid) as exc:
        money.amount("-5", "amount_spent")
    assert exc.value.field == "amount_spent" and str(exc.value.message) == "Amounts cannot be negative."
