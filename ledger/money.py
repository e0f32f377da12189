"""Money: an integer number of minor units plus an ISO 4217 currency code.

Floats never enter: the constructor refuses them, parsing works on digit strings,
and formatting splits integers. Arithmetic across currencies is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.errors import MalformedAmount

# Minor-unit exponents (ISO 4217) for the currencies a community may choose.
CURRENCY_EXPONENTS: dict[str, int] = {
    "USD": 2, "EUR": 2, "GBP": 2, "CAD": 2, "AUD": 2, "NZD": 2, "CHF": 2,
    "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "BRL": 2, "MXN": 2,
    "INR": 2, "SGD": 2, "HKD": 2, "ZAR": 2, "JPY": 0, "KRW": 0, "BHD": 3,
    "KWD": 3,
}
SYMBOLS: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
SYMBOL_CURRENCIES: dict[str, str] = {symbol: code for code, symbol in SYMBOLS.items()}

# Explicit limit: no amount in Tipbot exceeds this many minor units (10^15, far
# below 2^63), so sums of millions of amounts still fit a BIGINT.
MAX_AMOUNT_MINOR = 10**15

_AMOUNT = re.compile(
    r"""^
    (?P<symbol>[$€£¥₹])?
    (?P<int>[0-9]+)
    (?:\.(?P<frac>[0-9]+))?
    (?:[ ]?(?P<code>[A-Za-z]{3}))?
    \Z""",
    re.VERBOSE,
)


def exponent(currency: str) -> int:
    """The number of decimals of `currency`; unknown codes are refused."""
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise MalformedAmount(f"{currency!r} is not a currency Tipbot knows.") from None


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (cents for USD) of one currency.

    Comparisons, like arithmetic, refuse a different currency: 1 USD is neither
    more nor less than 1 EUR.
    """

    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if type(self.amount_minor) is not int:  # refuses float, bool, Decimal
            raise TypeError(f"amount_minor must be int, not {type(self.amount_minor).__name__}")
        exponent(self.currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __mul__(self, factor: int) -> Money:
        if type(factor) is not int:
            raise TypeError("Money can only be multiplied by an int")
        return Money(self.amount_minor * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor < other.amount_minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor <= other.amount_minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor > other.amount_minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor >= other.amount_minor

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def __bool__(self) -> bool:
        return self.amount_minor != 0

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def decimal_string(self) -> str:
        """'12.50' for 1250 USD: exact, for JSON and machines."""
        return decimal_string(self.amount_minor, self.currency)

    def format(self) -> str:
        """'$12.50', '€3.00', '1.500 BHD': for people."""
        return format_money(self.amount_minor, self.currency)

    def __str__(self) -> str:
        return self.format()


def decimal_string(amount_minor: int, currency: str) -> str:
    exp = exponent(currency)
    sign = "-" if amount_minor < 0 else ""
    whole, frac = divmod(abs(amount_minor), 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d}" if exp else f"{sign}{whole}"


def format_money(amount_minor: int, currency: str) -> str:
    text = decimal_string(amount_minor, currency)
    symbol = SYMBOLS.get(currency)
    if symbol is None:
        return f"{text} {currency}"
    if text.startswith("-"):
        return f"-{symbol}{text[1:]}"
    return f"{symbol}{text}"


def parse_money(text: str, currency: str) -> Money:
    """Parse what a member typed ('1', '1.5', '$1.50', '1.50 USD') into Money.

    Refuses anything ambiguous: signs, exponents, commas, hex, NaN, more decimals
    than the currency has, a different currency, or more than MAX_AMOUNT_MINOR.
    """
    if not isinstance(text, str):
        raise TypeError("parse_money takes the text a member typed")
    raw = text.strip()
    shown = raw if len(raw) <= 40 else raw[:37] + "..."
    example = format_money(150 * 10 ** max(exponent(currency) - 2, 0), currency)
    m = _AMOUNT.match(raw)
    if m is None:
        if "," in raw:
            raise MalformedAmount(
                f"`{shown}` is ambiguous: use a dot for decimals and no thousands separators, like `{example}`."
            )
        if raw.startswith("-"):
            raise MalformedAmount("Amounts cannot be negative. Use 0 to end a weekly tip.")
        raise MalformedAmount(f"`{shown}` is not an amount. Try `1`, `1.50` or `{example}`.")
    code = (m["code"] or "").upper() or None
    symbol = m["symbol"]
    if code and code != currency or symbol and SYMBOL_CURRENCIES[symbol] != currency:
        raise MalformedAmount(f"This community tips in {currency}; `{shown}` is another currency.")
    exp = exponent(currency)
    whole, frac = m["int"].lstrip("0"), m["frac"] or ""
    if len(whole) > len(str(MAX_AMOUNT_MINOR)):  # before int(): no huge conversions
        raise MalformedAmount(f"`{shown}` is more than Tipbot handles.")
    if len(frac) > exp:
        raise MalformedAmount(
            f"{currency} has {exp} decimal{'s' if exp != 1 else ''}; `{shown}` has {len(frac)}."
            if exp else f"{currency} has no decimals; `{shown}` has some."
        )
    amount_minor = int(whole or "0") * 10**exp + (int(frac.ljust(exp, "0")) if exp else 0)
    if amount_minor > MAX_AMOUNT_MINOR:
        raise MalformedAmount(f"`{shown}` is more than Tipbot handles.")
    return Money(amount_minor, currency)
