"""The one clock Tipbot reads: every "what time is it" in the product asks a `Clock`.

The `Ledger` carries one (`Ledger(engine, clock=...)`, default the system clock) and
hands it to every `Book` (`book.clock`); the `Runtime` exposes the same one
(`runtime.clock`). Code that only holds a connection (payday stage bookkeeping)
finds it with `clock_of(conn)`: the ledger's engine carries it as an execution option.
Times the database would otherwise fill in (`created_at` and the like) are written from
this clock too, so a test can pin the time and PostgreSQL's own clock never decides
anything. Only library-internal checks stay on real time: Slack's and Stripe's
signature timestamp tolerance and slack_sdk's OAuth state and installation times.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol

import sqlalchemy as sa

EXECUTION_OPTION = "tipbot_clock"


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current moment, timezone-aware, in UTC."""
        ...


class SystemClock:
    """Real time: what production runs on."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM_CLOCK = SystemClock()


class FixedClock:
    """A clock that says what it is told: tests pin it and move it by hand."""

    def __init__(self, moment: dt.datetime) -> None:
        self._lock = threading.Lock()
        self._moment = _utc(moment)

    def now(self) -> dt.datetime:
        with self._lock:
            return self._moment

    def set(self, moment: dt.datetime) -> None:
        with self._lock:
            self._moment = _utc(moment)

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move on by `delta`; returns the new moment."""
        with self._lock:
            self._moment += delta
            return self._moment

    def __repr__(self) -> str:
        return f"FixedClock({self._moment.isoformat()})"


class ShiftedClock:
    """Another clock, moved on by hand: the console's `later 7 days` (time travel in a sandbox,
    so a script can show next week's payday). Only moves forward."""

    def __init__(self, base: Clock, start: dt.datetime | None = None) -> None:
        """`start`: the moment this clock says now (it runs on from there); default `base`'s now."""
        self._lock = threading.Lock()
        self._base = base
        self._offset = _utc(start) - base.now() if start is not None else dt.timedelta(0)

    def now(self) -> dt.datetime:
        with self._lock:
            return self._base.now() + self._offset

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move on by `delta`; returns the new moment."""
        if delta < dt.timedelta(0):
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._offset += delta
            return self._base.now() + self._offset

    def __repr__(self) -> str:
        return f"ShiftedClock({self._base!r} + {self._offset})"


def with_clock(engine: sa.Engine, clock: Clock) -> sa.Engine:
    """`engine` (same pool) whose connections carry `clock` for `clock_of`."""
    return engine.execution_options(**{EXECUTION_OPTION: clock})


def clock_of(conn: sa.Connection | sa.Engine) -> Clock:
    """The clock of the ledger this connection (or engine) came from; else the system clock."""
    return conn.get_execution_options().get(EXECUTION_OPTION, SYSTEM_CLOCK)


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("a clock's moments are timezone-aware (UTC)")
    return moment.astimezone(dt.timezone.utc)
