"""Money: integer minor units plus a currency; parsing and formatting are exact.

Property-based (hypothesis) over every currency Tipbot knows, so each exponent
(0, 2 and 3 decimals) is covered. Expected values are computed with Decimal, an
exact decimal type, never with floats.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import MalformedAmount
from ledger.money import (
    CURRENCY_EXPONENTS, MAX_AMOUNT_MINOR, SYMBOLS, Money, decimal_string, exponent, format_money, parse_money,
)

currencies = st.sampled_from(sorted(CURRENCY_EXPONENTS))
amounts_minor = st.integers(min_value=0, max_value=MAX_AMOUNT_MINOR)
signed_minor = st.integers(min_value=-MAX_AMOUNT_MINOR, max_value=MAX_AMOUNT_MINOR)


@st.composite
def typed_amounts(draw) -> tuple[str, str, int]:
    """(text, currency, expected minor units): digits, at most the currency's decimals."""
    currency = draw(currencies)
    exp = exponent(currency)
    whole = draw(st.integers(min_value=0, max_value=MAX_AMOUNT_MINOR // 10**exp))
    decimals = draw(st.integers(min_value=0, max_value=exp))
    frac = draw(st.integers(min_value=0, max_value=10**decimals - 1)) if decimals else 0
    text = f"{whole}.{frac:0{decimals}d}" if decimals else str(whole)
    expected = int(Decimal(text).scaleb(exp))
    if expected > MAX_AMOUNT_MINOR:
        expected = -1  # refused: over the limit
    return text, currency, expected


# Round trips: machine and human forms come back as the same integer.

@given(currencies, amounts_minor)
def test_decimal_string_round_trips_exactly(currency: str, amount_minor: int) -> None:
    text = decimal_string(amount_minor, currency)
    assert parse_money(text, currency) == Money(amount_minor, currency)
    assert Decimal(text) == Decimal(amount_minor).scaleb(-exponent(currency))
    exp = exponent(currency)
    assert ("." in text) == (exp > 0) and (exp == 0 or len(text.split(".")[1]) == exp)


@given(currencies, amounts_minor)
def test_format_round_trips_exactly(currency: str, amount_minor: int) -> None:
    money = Money(amount_minor, currency)
    shown = money.format()
    assert str(money) == shown
    if currency in SYMBOLS:
        assert shown.startswith(SYMBOLS[currency])
    else:
        assert shown.endswith(f" {currency}")
    assert parse_money(shown, currency) == money
    assert parse_money(f"{money.decimal_string()} {currency.lower()}", currency) == money


@given(currencies, signed_minor)
def test_negative_amounts_format_with_a_leading_sign(currency: str, amount_minor: int) -> None:
    text = decimal_string(amount_minor, currency)
    assert Decimal(text) == Decimal(amount_minor).scaleb(-exponent(currency))
    assert format_money(amount_minor, currency).startswith("-") == (amount_minor < 0)


@given(typed_amounts())
def test_parse_is_exact_for_every_accepted_spelling(case: tuple[str, str, int]) -> None:
    text, currency, expected = case
    if expected < 0:
        with pytest.raises(MalformedAmount, match="more than Tipbot handles"):
            parse_money(text, currency)
        return
    for spelling in (text, f"  {text}\t", f"{text} {currency}", f"{text}{currency}"):
        money = parse_money(spelling, currency)
        assert type(money.amount_minor) is int  # never a float
        assert money == Money(expected, currency)


@given(st.text(max_size=30), currencies)
def test_any_text_is_either_an_exact_int_or_a_malformed_amount(text: str, currency: str) -> None:
    try:
        money = parse_money(text, currency)
    except MalformedAmount as refusal:
        assert refusal.message  # something a member can act on
        return
    assert type(money.amount_minor) is int and 0 <= money.amount_minor <= MAX_AMOUNT_MINOR
    assert money.currency == currency


# Refusals

MALFORMED = [
    "1e3", "1E3", "1e-2", "NaN", "nan", "inf", "Infinity", "-inf", "-1", "-0.50", "+1", "1,5", "1,000",
    "1,000.00", "1.000,00", "0x10", "0b1", "0o7", "1_000", "1.2.3", ".5", "1.", "١", "١٢", "１", "½", "²",
    "", "   ", "\t\n", "$", "USD", "1 2", "one", "1.5.", "$-1", "1/2", "1 000",
    "9" * 17, "9" * 5000, "1" + "0" * 30 + ".00",
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_amounts_are_refused(text: str) -> None:
    with pytest.raises(MalformedAmount) as refusal:
        parse_money(text, "USD")
    assert refusal.value.message and refusal.value.code == "malformed_amount"


@pytest.mark.parametrize(("text", "says"), [
    ("-1", "negative"), ("1,5", "ambiguous"), ("1,000", "ambiguous"), ("1.005", "2 decimals"),
    ("9" * 17, "more than Tipbot handles"), ("1.50 EUR", "another currency"), ("€1", "another currency"),
    ("1e3", "not an amount"),
])
def test_refusals_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(MalformedAmount, match=says):
        parse_money(text, "USD")


@given(currencies, st.integers(min_value=1, max_value=4))
def test_more_decimals_than_the_currency_has_are_refused(currency: str, extra: int) -> None:
    text = "1." + "5" * (exponent(currency) + extra)
    with pytest.raises(MalformedAmount, match="decimal"):
        parse_money(text, currency)


def test_just_over_the_maximum_is_refused_and_the_maximum_is_not() -> None:
    assert parse_money(decimal_string(MAX_AMOUNT_MINOR, "USD"), "USD").amount_minor == MAX_AMOUNT_MINOR
    with pytest.raises(MalformedAmount, match="more than"):
        parse_money(decimal_string(MAX_AMOUNT_MINOR + 1, "USD"), "USD")


def test_unknown_currencies_are_refused() -> None:
    with pytest.raises(MalformedAmount):
        Money(1, "XXX")
    with pytest.raises(MalformedAmount):
        parse_money("1", "usd")


def test_parse_takes_only_text() -> None:
    for value in (1.5, 1, Decimal("1.5"), b"1"):
        with pytest.raises(TypeError):
            parse_money(value, "USD")  # type: ignore[arg-type]


# Money refuses floats and mixed currencies

@pytest.mark.parametrize("value", [1.0, 0.1, float("nan"), True, False, Decimal("1"), "1", None])
def test_money_takes_only_int_minor_units(value) -> None:
    with pytest.raises(TypeError):
        Money(value, "USD")


@given(currencies, signed_minor, signed_minor, st.integers(min_value=-1000, max_value=1000))
def test_arithmetic_is_exact_integer_arithmetic(currency: str, a: int, b: int, k: int) -> None:
    x, y = Money(a, currency), Money(b, currency)
    assert x + y == Money(a + b, currency)
    assert x - y == Money(a - b, currency)
    assert (x + y) - y == x
    assert x * k == k * x == Money(a * k, currency)
    assert -x == Money(-a, currency)
    assert bool(x) == (a != 0)
    assert (x < y) == (a < b) and (x <= y) == (a <= b) and (x > y) == (a > b) and (x >= y) == (a >= b)
    for result in (x + y, x - y, x * k, -x):
        assert type(result.amount_minor) is int
    assert Money.zero(currency) + x == x


@given(st.sampled_from(sorted(CURRENCY_EXPONENTS)), st.sampled_from(sorted(CURRENCY_EXPONENTS)), amounts_minor)
def test_mixing_currencies_is_refused(first: str, second: str, amount_minor: int) -> None:
    x, y = Money(amount_minor, first), Money(amount_minor, second)
    if first == second:
        assert x + y == Money(2 * amount_minor, first)
        return
    assert x != y
    for combine in (lambda: x + y, lambda: x - y, lambda: x < y, lambda: x <= y, lambda: x > y,
                    lambda: x >= y):
        with pytest.raises(ValueError):
            combine()


@pytest.mark.parametrize("other", [1, 1.5, True, Decimal("1"), "1"])
def test_money_does_not_combine_with_plain_numbers(other) -> None:
    money = Money(150, "USD")
    with pytest.raises(TypeError):
        money + other  # type: ignore[operator]
    with pytest.raises(TypeError):
        money - other  # type: ignore[operator]
    if type(other) is not int:
        with pytest.raises(TypeError):
            money * other  # type: ignore[operator]


def test_money_is_immutable() -> None:
    money = Money(1, "USD")
    with pytest.raises(AttributeError):
        money.amount_minor = 2  # type: ignore[misc]


def test_examples_people_type() -> None:
    assert parse_money("1", "USD") == Money(100, "USD")
    assert parse_money("1.5", "USD") == Money(150, "USD")
    assert parse_money("$1.50", "USD") == Money(150, "USD")
    assert parse_money("1.50 USD", "USD") == Money(150, "USD")
    assert parse_money("0", "USD") == Money(0, "USD")
    assert parse_money("¥500", "JPY") == Money(500, "JPY")
    assert parse_money("1.5", "BHD") == Money(1500, "BHD")
    assert Money(1250, "USD").decimal_string() == "12.50"
    assert Money(1250, "USD").format() == "$12.50"
    assert Money(1500, "BHD").format() == "1.500 BHD"
    assert Money(-5, "EUR").format() == "-€0.05"
    assert Money(7, "JPY").decimal_string() == "7"
