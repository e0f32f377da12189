"""Payday receipts (docs/architecture.md, "Payday"): `/tip receipts on|off` through the console, and after a
payday exactly one direct-message receipt per member who asked, with the right amounts."""

from __future__ import annotations

import asyncio

import pytest

from bot.platform import Platform
from bot.compose import build_runtime
from bot.runtime import Runtime
from bot.summary import announce, receipt_text
from ledger.payday.engine import run_payday
from ledger.payday.receipts import payday_receipts
from tests.adapters.console.support import Console
from tests.ledger.payday_helpers import WEEK


class RecordingConsole(Platform):
    """The console platform, able to send direct messages (recorded); `failing` users raise."""

    name = "console"

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.direct: list[tuple[str, str, str]] = []
        self.failing = failing

    async def post_summary(self, runtime, space_external_id, channel_id, summary) -> None:
        pass

    async def send_direct(self, runtime, space_external_id: str, user_id: str, text: str) -> None:
        if user_id in self.failing:
            raise ConnectionError("the platform is down for this user")
        self.direct.append((space_external_id, user_id, text))

    def receipts(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for _space, user, text in self.direct:
            if text.startswith("Your receipt"):
                found.setdefault(user, []).append(text)
        return found


def wants_receipts(console: Console, name: str) -> bool:
    community = console.runtime.ledger.read(lambda book: book.community_by_name("test"))
    space = console.runtime.ledger.read(lambda book: book.space("console", "test"))
    member = console.runtime.ledger.read(lambda book: book.find_member(space, name))
    assert member is not None and member.community_id == community.id
    return console.runtime.ledger.read(lambda book: book.wants_receipts(member.id))


def test_receipts_on_and_off_with_a_clear_reply(console: Console) -> None:
    console.ok("alice: /tip receive on")  # alice is a member now
    assert wants_receipts(console, "alice") is False
    assert dict(console.ok("alice: /tip").fields)["Receipts"].startswith("off (`/tip receipts on`")

    on = console.ok("alice: /tip receipts on")
    assert on.text.startswith("Receipts on.") and "direct message" in on.text
    assert wants_receipts(console, "alice") is True
    assert dict(console.ok("alice: /tip").fields)["Receipts"].startswith("on")
    assert console.ok("alice: receipts ON").text.startswith("Receipts were already on.")

    off = console.ok("alice: /tip receipts off")
    assert off.text.startswith("Receipts off.") and "`/tip receipts on`" in off.text
    assert wants_receipts(console, "alice") is False
    assert console.ok("alice: /tip receipts off").text.startswith("Receipts were already off.")
    assert "/tip receipts on" in console.ok("alice: /tip help receipts").text


@pytest.mark.parametrize("line", ["receipts", "receipts yes", "receipts on please", "receipts 1"])
def test_a_bad_receipts_argument_is_refused_and_changes_nothing(console: Console, line: str) -> None:
    console.ok("alice: /tip receipts on")
    console.refused(f"alice: /tip {line}", None, "`/tip receipts on`", "`/tip receipts off`")
    console.refused(f"newcomer: /tip {line}", None, "`/tip receipts on`")  # not even a member row
    assert wants_receipts(console, "alice") is True


def payday_town(console: Console) -> int:
    """alice and carol fund homer; homer tips janet from what he receives; janet tips david;
    david's tip to homer stays unfunded. Returns the community id."""
    console.script("""
        treasurer: /tip admin credit @alice 0.53
        treasurer: /tip admin credit @carol 0.10
        homer: /tip receive on
        janet: /tip receive on
        david: /tip receive on
        alice: /tip @homer 0.50
        carol: /tip @homer 0.10
        homer: /tip @janet 0.20
        janet: /tip @david 0.05
        david: /tip @homer 0.20
        treasurer: /tip admin credit @david 0.03
        alice: /tip @homer 0.03 once
        homer: /tip receipts on
        david: /tip receipts on
        eve: /tip receipts on
    """)
    return console.runtime.ledger.read(lambda book: book.community_by_name("test")).id


def announcer(console: Console, platform: RecordingConsole) -> Runtime:
    return build_runtime(console.runtime.settings, ledger=console.runtime.ledger, platforms={"console": platform})


@pytest.mark.clock  # also run at fixed moments (.ci/run)
def test_after_a_payday_each_member_who_asked_gets_one_receipt(console: Console) -> None:
    community_id = payday_town(console)
    platform = RecordingConsole()
    runtime = announcer(console, platform)

    result = run_payday(console.runtime.ledger, community_id, WEEK)
    assert result.status == "ran"
    first = asyncio.run(announce(runtime, result))

    receipts = platform.receipts()
    assert sorted(receipts) == ["david", "homer"]  # alice, carol, janet didn't ask; eve had no tips
    [homer] = receipts["homer"]
    assert homer.splitlines()[1:] == [
        "You gave $0.20:",
        "  janet: $0.20",
        "You received $0.60:",
        "  alice: $0.50",
        "  carol: $0.10",
        "Your balance is now $0.43.",  # the one-off $0.03 is in the balance, not in the payday
        "(`/tip receipts off` stops these receipts.)",
    ]
    assert "week of 23 November 2026 in test" in homer.splitlines()[0]
    [david] = receipts["david"]
    assert "You gave" not in david  # his tip to homer went unfunded: nothing given
    assert "You received $0.05:\n  janet: $0.05\n" in david and "Your balance is now $0.08." in david
    assert first.receipts == 2 and first.receipts_unsent == []

    sent = list(platform.direct)
    second = asyncio.run(announce(runtime, result))  # another process, or a rerun: already announced
    assert second.skipped and second.receipts == 0
    rerun = run_payday(console.runtime.ledger, community_id, WEEK)
    assert rerun.status == "already_ran"
    asyncio.run(announce(runtime, rerun))
    assert platform.direct == sent


def test_a_failed_receipt_is_counted_and_the_others_still_go(console: Console) -> None:
    community_id = payday_town(console)
    platform = RecordingConsole(failing=frozenset({"homer"}))
    result = run_payday(console.runtime.ledger, community_id, WEEK)

    outcome = asyncio.run(announce(announcer(console, platform), result))

    assert sorted(platform.receipts()) == ["david"]
    assert outcome.receipts == 1 and outcome.receipts_unsent == ["homer"]
    assert outcome.skipped is None and outcome.delivered  # the announcement itself finished


def test_receipts_name_the_largest_counterparties_and_count_the_rest(console: Console) -> None:
    community_id = payday_town(console)
    result = run_payday(console.runtime.ledger, community_id, WEEK)
    assert result.payday_id is not None
    payday_id = result.payday_id

    receipts = console.runtime.ledger.read(lambda book: payday_receipts(book.conn, payday_id, max_lines=1))

    by_name = {r.member_name: r for r in receipts}
    assert sorted(by_name) == ["david", "homer"]
    homer = by_name["homer"]
    assert (homer.given_minor, homer.received_minor, homer.balance_minor) == (20, 60, 43)
    assert [(line.other_name, line.amount_minor) for line in homer.received] == [("alice", 50)]
    assert homer.received_unlisted == 1 and homer.gave_unlisted == 0
    assert "You received $0.60:\n  alice: $0.50\n  and 1 other member\n" in receipt_text(homer, result)
    [first] = console.runtime.ledger.read(lambda book: payday_receipts(book.conn, payday_id, max_receipts=1))
    assert first.member_name == "homer" and first.received_minor == 60 and len(first.received) == 2
