"""The maintainers' split (ledger/split.py) against a plain reference model built on fractions."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.split import split

takes = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8)
pools = st.integers(min_value=0, max_value=10**7)
incomes = leftovers = st.integers(min_value=0, max_value=5 * 10**6)
# no deadline, and no complaint that generating lists is slow: a busy CI machine must not fail these
patient = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference(pool: int, takes: list[int]) -> list[int]:
    """The rule read literally: exact fractions, floors, then one unit per largest remainder."""
    if sum(takes) == 0:
        takes = [1] * len(takes)
    elif pool >= sum(takes):
        return list(takes)
    exact = [Fraction(pool * take, sum(takes)) for take in takes]
    shares = [int(e) for e in exact]  # floor: everything here is >= 0
    order = sorted(range(len(takes)), key=lambda i: (exact[i] - shares[i], -i), reverse=True)
    for i in order[: pool - sum(shares)]:
        shares[i] += 1
    return shares


@patient
@given(incomes, leftovers, takes)
def test_split_matches_the_reference_and_pays_what_it_should(income: int, leftover: int, takes: list[int]) -> None:
    pool = income + leftover  # what the project has to give this week
    shares = split(pool, takes)
    carried = pool - sum(shares)
    assert shares == reference(pool, takes)
    assert shares == split(pool, list(takes))  # deterministic
    assert all(share >= 0 for share in shares) and carried >= 0
    if sum(takes) == 0 or pool < sum(takes):
        assert carried == 0  # not covered (or no takes): the whole pool is paid out
    else:
        assert shares == takes  # covered: each gets their take, the rest is carried


@patient
@given(pools, takes)
def test_no_share_exceeds_its_take_unless_nobody_set_one(pool: int, takes: list[int]) -> None:
    shares = split(pool, takes)
    if sum(takes):
        assert all(share <= take for share, take in zip(shares, takes))


def test_examples() -> None:
    assert split(1000, [300, 200]) == [300, 200]  # covered: 500 carried
    assert split(100, [100, 100, 100]) == [34, 33, 33]  # proportional; the extra unit to the oldest
    assert split(10, [0, 0, 0]) == [4, 3, 3]  # all zero: equal
    assert split(7, [5, 3]) == [4, 3]  # 4.375 and 2.625: the larger fraction gets the unit
    assert split(0, [5, 3]) == [0, 0]
    assert split(5, [0, 4]) == [0, 4]  # covered with a zero take: 1 carried
    assert split(3, [0, 4]) == [0, 3]
    assert split(5, []) == []
