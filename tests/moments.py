"""Pinned moments. Tests decide what they expect from these and from the `clock`
fixture (tests/conftest.py), never from the wall clock: the suite passes on any day,
and CI also runs the time-dependent tests at fixed real moments (.ci/run)."""

from __future__ import annotations

import datetime as dt

UTC = dt.timezone.utc

# What the `clock` fixture says at the start of every test: a Wednesday morning, the day
# before the default payday (Thursday 12:00 UTC). Communities made in a test are created
# at this moment, so their first payday is DUE_PAYDAY.
PINNED = dt.datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
DUE_PAYDAY = dt.datetime(2026, 11, 26, 12, 5, tzinfo=UTC)  # five minutes after the first payday time
