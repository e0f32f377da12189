"""The payday scheduler, summaries, `/tip admin payday` and `tipbot payday`, through
their real interfaces on both databases."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from bot.cli import main as tipbot
from bot.commands import AdminPayday
from bot.config import Settings
from bot.invocation import Invocation, UserRef
from bot.platform import Platform
from bot.compose import build_runtime
from bot.runtime import Runtime
from bot.scheduler import run_due_paydays, seconds_until_next
from ledger.api import Ledger
from ledger.payday.preview import payday_status
from ledger.payday.schedule import last_scheduled
from ledger.payday.weeks import week_start_of
from tests.dbs import dump_tables
from tests.ledger.payday_helpers import Town, book_state, chained_town
from tests.moments import DUE_PAYDAY, PINNED

pytestmark = pytest.mark.clock  # CI runs these again at fixed moments (.ci/run)


class RecordingPlatform(Platform):
    """A platform that keeps what the bot sends it: summaries per channel and DMs."""

    name = "console"

    def __init__(self, *, direct: bool = True) -> None:
        self.summaries: list[tuple[str, str, object]] = []
        self.direct: list[tuple[str, str, str]] = []
        self.can_dm = direct

    async def post_summary(self, runtime, space_external_id, channel_id, summary) -> None:
        self.summaries.append((space_external_id, channel_id, summary))

    async def send_direct(self, runtime, space_external_id, user_id, text) -> None:
        if not self.can_dm:
            raise NotImplementedError
        self.direct.append((space_external_id, user_id, text))


@pytest.fixture
def runtime(ledger):
    platform = RecordingPlatform()
    runtime = build_runtime(Settings(database_url=str(ledger.engine.url)), ledger=ledger, platforms={"console": platform})
    runtime.recording = platform  # type: ignore[attr-defined]
    return runtime


def test_due_payday_runs_once_posts_one_summary_and_tells_the_unfunded_tipper(runtime, ledger):
    town = chained_town(ledger)  # created at PINNED, the Wednesday before DUE_PAYDAY
    now = DUE_PAYDAY

    runs = asyncio.run(run_due_paydays(runtime, now))

    assert [run.result.status for run in runs] == ["ran"]
    assert town.balances() == {"alice": 0, "homer": 30, "janet": 15, "david": 5}
    platform = runtime.recording
    [(space, _channel, summary)] = platform.summaries
    assert space == "town" and summary.chart_png.startswith(b"\x89PNG")
    assert "3 tippers gave $0.75 to 3 members" in summary.text and "1 tip ($0.20) could not be funded" in summary.text
    [(dm_space, dm_user, dm_text)] = platform.direct
    assert (dm_space, dm_user) == ("town", "david")
    assert "$0.20 to homer" in dm_text and "balance of $0.05" in dm_text

    before = dump_tables(ledger.engine)
    assert asyncio.run(run_due_paydays(runtime, now + dt.timedelta(minutes=1))) == []
    assert asyncio.run(run_due_paydays(runtime, now + dt.timedelta(days=3))) == []
    assert len(platform.summaries) == 1 and len(platform.direct) == 1
    assert dump_tables(ledger.engine) == before


def test_each_community_follows_its_own_schedule(runtime, ledger):
    town = chained_town(ledger)  # created Wednesday 2026-11-25 09:30
    with ledger.begin() as book:
        book.set_payday_cron(town.community_id, "0 9 * * 1", by_admin=True)  # Mondays 09:00
    assert asyncio.run(run_due_paydays(runtime, DUE_PAYDAY)) == []  # Thursday: not its day, and its
    # last Monday (11-23) was before it existed
    first_monday = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone.utc)
    assert last_scheduled("0 9 * * 1", first_monday) == first_monday
    next_monday = first_monday + dt.timedelta(days=7)
    [late] = asyncio.run(run_due_paydays(runtime, next_monday - dt.timedelta(minutes=1)))
    assert (late.result.status, late.result.week_start) == ("ran", dt.date(2026, 11, 30))  # caught up
    runs = asyncio.run(run_due_paydays(runtime, next_monday + dt.timedelta(minutes=1)))
    assert [(r.result.status, r.result.week_start) for r in runs] == [("ran", dt.date(2026, 12, 7))]
    assert week_start_of(next_monday) == dt.date(2026, 12, 7)
    assert seconds_until_next(runtime, next_monday - dt.timedelta(seconds=30)) == 30
    assert seconds_until_next(runtime, next_monday + dt.timedelta(minutes=1)) == 60  # a week away: poll


def test_a_community_created_after_the_payday_time_waits_for_the_next_one(runtime, ledger):
    chained_town(ledger)  # created at PINNED, by the ledger's clock
    just_before_creation = PINNED - dt.timedelta(minutes=1)
    with ledger.begin() as book:
        book.set_payday_cron(1, "* * * * *", by_admin=True)
    assert asyncio.run(run_due_paydays(runtime, just_before_creation)) == []


def test_an_unreadable_schedule_is_skipped_not_fatal(runtime, ledger):
    chained_town(ledger)
    with ledger.begin() as book:
        book.set_payday_cron(1, "every thursday", by_admin=True)
    assert asyncio.run(run_due_paydays(runtime, DUE_PAYDAY)) == []


def admin_payday(runtime: Runtime, action: str, user: str = "alice", admin: bool = True):
    return runtime.bot.handle(Invocation("console", "town", UserRef(user, user), command=AdminPayday(action),
                                         is_admin=admin, request_id=None))


def test_admin_payday_status_dry_run_and_now(runtime, ledger):
    town = chained_town(ledger)
    before = dump_tables(ledger.engine)
    refused = admin_payday(runtime, "now", user="homer", admin=False)
    assert not refused.ok and refused.code == "not_admin"
    assert dump_tables(ledger.engine) == before

    status = admin_payday(runtime, "status")
    assert status.ok and "No payday has run" in status.text
    assert dict(status.fields)["This week"] == "not run yet"

    preview = admin_payday(runtime, "dry-run")
    assert preview.ok and "nothing was paid" in preview.text and "$0.75" in preview.text
    assert "david: 1 tip(s), $0.20 (balance $0.05)" in preview.text
    assert dump_tables(ledger.engine) == before  # a dry run leaves no trace

    done = admin_payday(runtime, "now")
    assert done.ok and "$0.75" in done.text and "posted to 1 of 1 space" in done.text
    assert town.balances() == {"alice": 0, "homer": 30, "janet": 15, "david": 5}
    after = dump_tables(ledger.engine)
    again = admin_payday(runtime, "now")
    assert again.ok and "already ran" in again.text
    assert dump_tables(ledger.engine) == after
    assert len(runtime.recording.summaries) == 1
    assert "Last payday" in admin_payday(runtime, "status").text


def run_cli(capsys, *args: str) -> list[dict]:
    assert tipbot(["payday", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_tipbot_payday_runs_several_weeks_in_a_row_with_at(capsys, db_url, ledger):
    town = Town(ledger)
    town.member("ann", balance=100)
    town.member("bob")
    town.tip("ann", "bob", 30)
    base = ["--database", db_url, "--community", "town", "--json", "--no-summary"]

    preview = run_cli(capsys, *base, "--dry-run", "--at", "2026-11-26T12:00Z")
    assert preview[0]["status"] == "dry_run" and preview[0]["stats"]["paid_minor"] == 30
    first = run_cli(capsys, *base, "--at", "2026-11-26T12:00Z")
    assert (first[0]["status"], first[0]["week_start"]) == ("ran", "2026-11-23")
    town.tip("ann", "bob", 50)
    second = run_cli(capsys, *base, "--at", "2026-12-03T12:00")
    assert second[0]["stats"]["paid_minor"] == 50 and second[0]["stats"]["change_minor"] == 20
    third = run_cli(capsys, *base, "--at", "2026-12-10")
    assert third[0]["stats"]["unfunded_tips"] == 1  # 20 left, 50 due: waits
    assert town.balances() == {"ann": 20, "bob": 80}
    state = book_state(ledger)
    again = run_cli(capsys, *base, "--at", "2026-11-29T23:59")
    assert again[0]["status"] == "already_ran" and again[0]["week_start"] == "2026-11-23"
    assert book_state(ledger) == state
    status = payday_status(ledger, town.community_id, dt.date(2026, 12, 7))
    assert status["this_week"]["stage"] == "done"
    assert tipbot(["payday", "--database", db_url, "--community", "nobody"]) == 2


def test_run_scheduler_pays_when_due_and_stops_when_asked(runtime, ledger, clock):
    from bot.scheduler import run_scheduler

    town = chained_town(ledger)
    clock.set(DUE_PAYDAY)  # the scheduler reads runtime.clock, the ledger's

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(run_scheduler(runtime, stop))
        for _ in range(2000):  # the first tick runs the payday; wait for its summary
            if runtime.recording.summaries:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, timeout=30)

    asyncio.run(scenario())
    assert len(runtime.recording.summaries) == 1
    assert town.balances() == {"alice": 0, "homer": 30, "janet": 15, "david": 5}


def test_a_database_that_does_not_answer_is_one_log_line_per_try_not_a_traceback(caplog):
    """`tipbot run` keeps going while the database is away, and says so in one line each time."""
    from bot.scheduler import run_scheduler
    from ledger.clock import FixedClock

    url = "postgresql://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1
    ledger = Ledger.connect(url, upgrade=False, clock=FixedClock(DUE_PAYDAY))
    runtime = build_runtime(Settings(database_url=url, scheduler_retry_seconds=0.05), ledger=ledger, platforms={})
    caplog.set_level("WARNING", logger="bot.scheduler")

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(run_scheduler(runtime, stop))
        for _ in range(3000):
            if len(caplog.records) >= 2:  # it tried again after the first failure
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, timeout=30)

    try:
        asyncio.run(scenario())
    finally:
        ledger.dispose()
    assert len(caplog.records) >= 2
    for record in caplog.records:
        assert record.exc_info is None, "a traceback was logged"
        assert "the database did not answer" in record.getMessage() and "\n" not in record.getMessage()


def test_tippers_a_platform_cannot_message_are_reported_not_lost(ledger):
    platform = RecordingPlatform(direct=False)
    runtime = build_runtime(Settings(database_url=str(ledger.engine.url)), ledger=ledger, platforms={"console": platform})
    chained_town(ledger)
    [run] = asyncio.run(run_due_paydays(runtime, DUE_PAYDAY))
    assert run.announcement.notified == 0 and run.announcement.not_notified == ["david"]
    assert run.announcement.delivered == {"console:town": "posted"} and len(platform.summaries) == 1
