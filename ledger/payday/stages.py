"""Stage bookkeeping: the paydays row holds the current stage, payday_stages the log.

A payday moves through: started -> snapshotted -> [funded] -> round 1 -> round 2 ...
-> planned -> settled -> split -> [paid_out] -> done (bracketed stages only with a
processor). The rounds and `planned` are one transaction, which reserves what
the plan spends on the members' accounts, so the plan always settles; `replanned` is logged only when a plan without its
reservations (left by a version before them) was dropped and planning went back
to round 1. Every
stage is recorded in the same transaction as its effects, and every stage
transaction first locks the paydays row and checks it is still at the stage it
expects, so a rerun or a second process never does a stage twice.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ledger.clock import clock_of
from ledger.models import paydays
from ledger.payday.tables import payday_stages

STARTED = "started"
SNAPSHOTTED = "snapshotted"
FUNDED = "funded"
PLANNED = "planned"
REPLANNED = "replanned"
SETTLED = "settled"
SPLIT = "split"  # projects' money shared among their maintainers
PAID_OUT = "paid_out"
DONE = "done"
ROUND_PREFIX = "round "


class StageMoved(Exception):
    """The payday is no longer at the stage this transaction expected (done elsewhere)."""


def now(conn: sa.Connection) -> dt.datetime:
    """What time it is by the ledger's clock (the one the connection's ledger carries)."""
    return clock_of(conn).now()


def round_stage(number: int) -> str:
    return f"{ROUND_PREFIX}{number}"


def round_of(stage: str) -> int:
    """The last settled round a stage implies (0 before settlement)."""
    return int(stage[len(ROUND_PREFIX):]) if stage.startswith(ROUND_PREFIX) else 0


def lock_stage(conn: sa.Connection, payday_id: int) -> str:
    """The payday's current stage, with its row locked for this transaction.

    PostgreSQL: SELECT ... FOR UPDATE serialises stage transactions of one payday
    across processes. SQLite: BEGIN IMMEDIATE already serialises every writer.
    """
    query = sa.select(paydays.c.stage).where(paydays.c.id == payday_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).scalar_one()


def advance(conn: sa.Connection, payday_id: int, expected: str, stage: str, **values) -> None:
    """Move from `expected` to `stage`, logging it; StageMoved if someone else moved it."""
    done = conn.execute(
        paydays.update().where(paydays.c.id == payday_id, paydays.c.stage == expected).values(stage=stage, **values)
    ).rowcount
    if done != 1:
        raise StageMoved(f"payday {payday_id} is no longer at {expected!r}")
    record(conn, payday_id, stage)


def advance_through(conn: sa.Connection, payday_id: int, expected: str, moves: list[tuple[str, dt.datetime]],
                    **values) -> None:
    """Several moves at once, as `advance` one by one would leave them: the row goes from
    `expected` to the last stage and each stage is logged, in order, at its own time (a small
    payday's one transaction: two statements instead of two per stage)."""
    assert moves, "nothing to advance through"
    done = conn.execute(
        paydays.update().where(paydays.c.id == payday_id, paydays.c.stage == expected)
        .values(stage=moves[-1][0], **values)
    ).rowcount
    if done != 1:
        raise StageMoved(f"payday {payday_id} is no longer at {expected!r}")
    conn.execute(payday_stages.insert(),
                 [{"payday_id": payday_id, "stage": stage, "recorded_at": at} for stage, at in moves])


def record(conn: sa.Connection, payday_id: int, stage: str) -> None:
    conn.execute(payday_stages.insert().values(payday_id=payday_id, stage=stage, recorded_at=now(conn)))


def stage_log(conn: sa.Connection, payday_id: int) -> list[tuple[str, dt.datetime]]:
    rows = conn.execute(
        sa.select(payday_stages.c.stage, payday_stages.c.recorded_at)
        .where(payday_stages.c.payday_id == payday_id).order_by(payday_stages.c.id)  # as logged: clocks may tie
    )
    return [(r.stage, r.recorded_at) for r in rows]


def times_logged(conn: sa.Connection, payday_id: int, stage: str) -> int:
    return conn.execute(sa.select(sa.func.count()).where(
        payday_stages.c.payday_id == payday_id, payday_stages.c.stage == stage)).scalar_one()
