"""Amounts of money as integers of a currency's minor unit (cents), the way StockGuard stores them.

Channels send prices as decimal strings in the store's currency (Shopify's ``Money`` scalar
"19.99", WooCommerce's ``price`` "19.99"); ISO 4217 says how many decimals each currency has
(JPY none, KWD three). No exchange rates anywhere: an amount only ever meets amounts of its own
currency.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# fmt: off
ZERO_DECIMAL = frozenset(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                          "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"))
THREE_DECIMAL = frozenset(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"))
# fmt: on
MAX_MINOR = 2**31 - 1  # the INTEGER columns amounts are kept in


def exponent(currency: str | None) -> int:
    """Decimals of ``currency``'s minor unit (2 when unknown, as most currencies have)."""
    code = (currency or "").upper()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def to_minor(amount, currency: str | None) -> int | None:
    """ "19.99" (EUR) → 1999; None for an empty, unreadable, negative or oversized amount."""
    if amount is None or isinstance(amount, bool):
        return None
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0:
        return None
    minor = int((value * 10 ** exponent(currency)).to_integral_value(ROUND_HALF_UP))
    return minor if minor <= MAX_MINOR else None


def currency_code(value) -> str | None:
    """A three-letter ISO 4217 code, upper-cased; None for anything else."""
    if isinstance(value, str) and len(value.strip()) == 3 and value.strip().isalpha():
        return value.strip().upper()
    return None


def to_text(minor: int | None, currency: str | None) -> str:
    """1999 (EUR) → "19.99"; "" for None (what a CSV cell shows)."""
    if minor is None:
        return ""
    places = exponent(currency)
    return f"{Decimal(minor).scaleb(-places):.{places}f}"
