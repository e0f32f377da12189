"""Card fee arithmetic, in integers only.

Rates are basis points (2.9% = 290). The tipper pays fees on top by default, the way
Gittip did: the charge is the smallest amount whose net after the card fee covers
the tips, ceil((amount + fixed) / (1 - rate)). Or the recipients bear the fee pro
rata: the charge is the dues, and each recipient's share shrinks in proportion.
"""

from __future__ import annotations

BP = 10_000


def gross_up(amount_minor: int, *, rate_bp: int, fixed_minor: int) -> int:
    """The charge whose net after the fee (charge * rate + fixed) covers `amount_minor`."""
    if amount_minor <= 0:
        raise ValueError("amount must be positive")
    numerator = (amount_minor + fixed_minor) * BP
    denominator = BP - rate_bp
    return -(-numerator // denominator)  # ceiling division


def fee_of(charge_minor: int, *, rate_bp: int, fixed_minor: int) -> int:
    """The card fee Stripe takes from a charge (rate part rounded up, then fixed)."""
    return -(-charge_minor * rate_bp // BP) + fixed_minor


def split_pro_rata(shares: dict[int, int], total_minor: int) -> dict[int, int]:
    """Divide `total_minor` in proportion to `shares` (largest remainder; sums exactly).

    Ties go to the lowest key, so the split is deterministic.
    """
    whole = sum(shares.values())
    if whole <= 0 or total_minor < 0:
        raise ValueError("shares must be positive and the total non-negative")
    parts = {key: share * total_minor // whole for key, share in shares.items()}
    remainders = sorted(shares, key=lambda key: (-(shares[key] * total_minor % whole), key))
    for key in remainders[: total_minor - sum(parts.values())]:
        parts[key] += 1
    return parts


def plan_charge(dues_minor: int, *, fees_paid_by: str, rate_bp: int, fixed_minor: int) -> tuple[int, int]:
    """(charge, fee) for a tipper's dues. Tipper pays: charge = gross-up, fee = the difference.
    Recipients pay: charge = dues, fee = Stripe's fee on it (taken from their shares)."""
    if fees_paid_by == "tipper":
        charge = gross_up(dues_minor, rate_bp=rate_bp, fixed_minor=fixed_minor)
        return charge, charge - dues_minor
    fee = min(fee_of(dues_minor, rate_bp=rate_bp, fixed_minor=fixed_minor), dues_minor)
    return dues_minor, fee
