"""How a project's money is shared among its maintainers at payday: the rule, in plain Python.

The payday runs the same rule in SQL for every project at once (ledger/payday/projects.py);
this function is its definition, tested against a reference model and against the SQL.

`pool_minor` is what the project has to give this week: its income plus the leftover
carried from earlier weeks. `takes_minor` are the maintainers' weekly takes, oldest
maintainer first.

- Every take 0 (or nobody set one): the whole pool in equal shares.
- The pool covers every take: each maintainer gets their take; the rest is carried.
- Otherwise shares are proportional to takes: pool x take / sum of takes, rounded down
  to minor units; the units left over go one at a time to the largest fractions
  (pool x take mod sum of takes), ties to the oldest maintainer. The whole pool is paid.

Integers only, deterministic, and the shares never exceed the pool nor go below zero.
"""

from __future__ import annotations

from collections.abc import Sequence


def split(pool_minor: int, takes_minor: Sequence[int]) -> list[int]:
    """Each maintainer's share of `pool_minor`, in the order of `takes_minor` (oldest first).

    What is not shared (`pool_minor - sum(result)`) stays with the project, carried over.
    """
    if pool_minor < 0 or any(take < 0 for take in takes_minor):
        raise ValueError("pools and takes are never negative")
    if not takes_minor:
        return []
    total = sum(takes_minor)
    weights = list(takes_minor) if total else [1] * len(takes_minor)
    if total and pool_minor >= total:
        return list(takes_minor)
    weight_total = sum(weights)
    shares, fractions = [], []
    for weight in weights:
        share, fraction = divmod(pool_minor * weight, weight_total)
        shares.append(share)
        fractions.append(fraction)
    left = pool_minor - sum(shares)
    by_fraction = sorted(range(len(weights)), key=lambda i: (-fractions[i], i))
    for i in by_fraction[:left]:
        shares[i] += 1
    return shares
