"""Idempotency records are kept for the retention window, then the scheduler's pruning
step deletes them in batches; on both databases, with `now` pinned (no wall clock)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.app import ALREADY_RECORDED
from bot.compose import build_runtime
from bot.config import Settings
from bot.invocation import Invocation, UserRef
from bot.runtime import Runtime
from bot.scheduler import prune_expired
from ledger.models import operations
from ledger.retention import prune_operations

NOW = dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc)


@pytest.fixture
def runtime(ledger):
    return build_runtime(Settings(database_url=str(ledger.engine.url)), ledger=ledger, platforms={})


def tip(runtime: Runtime, request_id: str, amount: str = "1"):
    invocation = Invocation("slack", "T1", UserRef("UALICE", "alice"), text=f"<@UBOB|bob> {amount}",
                            request_id=request_id)
    return runtime.bot.handle(invocation)


def record_made_at(ledger, request_id: str, when: dt.datetime) -> None:
    """Date a record as if its request had come at `when` (the database stamps the real time)."""
    ledger.run(lambda book: book.conn.execute(
        operations.update().where(operations.c.key == f"slack:T1:{request_id}").values(created_at=when)))


def keys(ledger) -> set[str]:
    return set(ledger.read(lambda book: book.conn.scalars(operations.select().with_only_columns(operations.c.key)).all()))


def test_records_older_than_the_window_are_pruned_younger_ones_still_answer_already_recorded(runtime, ledger):
    assert runtime.settings.operations_retention_days == 7
    assert tip(runtime, "old", "1").ok and tip(runtime, "young", "2").ok and tip(runtime, "edge", "3").ok
    record_made_at(ledger, "old", NOW - dt.timedelta(days=7, seconds=1))
    record_made_at(ledger, "edge", NOW - dt.timedelta(days=7))
    record_made_at(ledger, "young", NOW - dt.timedelta(days=6, hours=23))

    assert prune_expired(runtime, NOW) == 1

    assert keys(ledger) == {"slack:T1:young", "slack:T1:edge"}
    repeat = tip(runtime, "young", "2")
    assert repeat.ok and ALREADY_RECORDED in repeat.text
    again = tip(runtime, "old", "1")  # its record is gone: the request runs again (a weekly tip: unchanged)
    assert again.ok and ALREADY_RECORDED not in again.text


def test_the_running_scheduler_prunes_on_its_clock(ledger, clock):
    """`tipbot run`'s scheduler loop prunes by the runtime's clock, not only when called."""
    import asyncio

    from bot.scheduler import run_scheduler

    runtime = build_runtime(Settings(database_url=str(ledger.engine.url), scheduler_poll_seconds=1),
                            ledger=ledger, platforms={})
    clock.set(NOW)
    assert tip(runtime, "old").ok and tip(runtime, "young", "2").ok
    record_made_at(ledger, "old", NOW - dt.timedelta(days=8))
    record_made_at(ledger, "young", NOW - dt.timedelta(days=1))

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(run_scheduler(runtime, stop))
        for _ in range(3000):  # the first tick prunes; wait for it
            if "slack:T1:old" not in await asyncio.to_thread(keys, ledger):
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, timeout=30)

    asyncio.run(scenario())
    assert keys(ledger) == {"slack:T1:young"}


def test_pruning_goes_in_batches_until_nothing_is_left(ledger):
    ledger.run(lambda book: book.conn.execute(operations.insert(), [
        {"key": f"k{n}", "outcome": {"n": n}, "created_at": NOW - dt.timedelta(days=30, minutes=n)}
        for n in range(25)]))
    ledger.run(lambda book: None, key="fresh")
    record = ledger.read(lambda book: book.conn.execute(
        operations.select().where(operations.c.key == "fresh")).one())
    ledger.run(lambda book: book.conn.execute(
        operations.update().where(operations.c.id == record.id).values(created_at=NOW)))

    assert prune_operations(ledger, now=NOW, batch_rows=10) == 25

    assert keys(ledger) == {"fresh"}


def test_the_window_is_configurable_but_never_shorter_than_stripes_retries(monkeypatch, ledger):
    monkeypatch.setenv("TIPBOT_OPERATIONS_RETENTION_DAYS", "30")
    assert Settings().operations_retention_days == 30
    monkeypatch.setenv("TIPBOT_OPERATIONS_RETENTION_DAYS", "2")
    with pytest.raises(ValueError):
        Settings()
    with pytest.raises(ValueError):
        prune_operations(ledger, now=NOW, keep=dt.timedelta(days=2))


def test_the_schema_indexes_records_by_age_for_pruning(ledger):
    import sqlalchemy as sa

    indexes = {index["name"]: index["column_names"] for index in sa.inspect(ledger.engine).get_indexes("operations")}
    assert indexes.get("ix_operations_created_at") == ["created_at"]
