"""Card fee arithmetic: integers only; the charge covers the amount plus Stripe's fee."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from adapters.stripe.fees import BP, fee_of, gross_up, plan_charge, split_pro_rata

amounts = st.integers(min_value=1, max_value=10**12)
rates = st.integers(min_value=0, max_value=BP - 1)
fixed = st.integers(min_value=0, max_value=10_000)


@given(amounts, rates, fixed)
def test_the_gross_up_is_the_smallest_charge_whose_net_covers_the_amount(amount, rate_bp, fixed_minor):
    charge = gross_up(amount, rate_bp=rate_bp, fixed_minor=fixed_minor)
    assert type(charge) is int
    # net = charge * (1 - rate) - fixed >= amount, compared exactly in integers
    assert charge * (BP - rate_bp) - fixed_minor * BP >= amount * BP
    assert (charge - 1) * (BP - rate_bp) - fixed_minor * BP < amount * BP


@given(amounts, st.integers(min_value=0, max_value=1000), st.integers(min_value=0, max_value=100))
def test_the_charge_covers_the_amount_and_stripes_rounded_fee(amount, rate_bp, fixed_minor):
    charge, fee = plan_charge(amount, fees_paid_by="tipper", rate_bp=rate_bp, fixed_minor=fixed_minor)
    assert charge == amount + fee and fee >= 0
    # Stripe rounds its percentage to the nearest minor unit: at most half a unit above the exact fee.
    stripe_fee = (charge * rate_bp + BP // 2) // BP + fixed_minor
    assert charge - stripe_fee >= amount


def test_gittips_example():
    assert gross_up(1000, rate_bp=290, fixed_minor=30) == 1061  # (10.00 + 0.30) / 0.971 = 10.6076...
    assert fee_of(1061, rate_bp=290, fixed_minor=30) == 31 + 30


@given(st.dictionaries(st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=10**9),
                       min_size=1, max_size=30), st.data())
def test_a_pro_rata_split_sums_exactly_and_stays_proportional(shares, data):
    total = data.draw(st.integers(min_value=0, max_value=sum(shares.values())))
    parts = split_pro_rata(shares, total)
    assert sum(parts.values()) == total and set(parts) == set(shares)
    whole = sum(shares.values())
    for key, share in shares.items():
        assert type(parts[key]) is int
        assert share * total // whole <= parts[key] <= share * total // whole + 1  # floor, or one more


@given(amounts, st.integers(min_value=0, max_value=1000), st.integers(min_value=0, max_value=100))
def test_when_recipients_bear_the_fee_the_charge_is_the_dues(amount, rate_bp, fixed_minor):
    charge, fee = plan_charge(amount, fees_paid_by="recipients", rate_bp=rate_bp, fixed_minor=fixed_minor)
    assert charge == amount and 0 <= fee <= amount
