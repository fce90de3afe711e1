"""Amounts of money as people type them: one reader for forms, files and the API.

Amounts are yuan with two decimals, never negative, and below 10¹⁰ (the columns that
hold them have 12 digits, 2 of them decimals)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .errors import Invalid

CENT = Decimal("0.01")
LIMIT = Decimal("1e10")


def parse_amount(value) -> Decimal:
    """The amount ``value`` names (empty: 0; thousands commas allowed: 1,200.50), rounded
    to the cent (half up); ValueError with the reason when it is not a number (NaN and infinity
    included), negative or too large."""
    text = "" if value is None else str(value).strip().replace(",", "")
    try:
        amount = Decimal(text or "0").quantize(CENT, ROUND_HALF_UP)  # 四舍五入
    except (InvalidOperation, ValueError):
        raise ValueError(_("Not a number.")) from None
    if not amount.is_finite():  # "NaN" quantizes to NaN, which cannot be compared
        raise ValueError(_("Not a number."))
    if amount < 0:
        raise ValueError(_("Amounts cannot be negative."))
    if amount >= LIMIT:
        raise ValueError(_("The amount is too large."))
    return amount


def amount(value, field: str = "amount") -> Decimal:
    """``parse_amount`` for an action: Invalid naming ``field`` instead of ValueError."""
    try:
        return parse_amount(value)
    except ValueError as exc:
        raise Invalid(str(exc), field=field) from None


def format_amount(value) -> str | None:
    """An amount as every page, PDF, register and sentence prints it: rounded to the cent half
    up (四舍五入), with thousands separators — ``1,234.50``, ``-20.00`` (never ``-0.00``);
    None when ``value`` is not a number (None, "", text, NaN, a bool)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        number = number.quantize(CENT, ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return None
    if not number.is_finite():
        return None
    return f"{abs(number) if number == 0 else number:,.2f}"
