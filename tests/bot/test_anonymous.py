"""Anonymous tips (`/tip @user AMOUNT [once] anonymous`): nothing the tippee can see names the
tipper (direct messages, `/tip`, history and its CSV file, `/tip receive on`, receipts after a
payday, the payday summary, leaderboards, the home view); the ledger, `ledger check`, admins'
export and the tipper still know."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import sqlalchemy as sa

from bot.home import home_reply
from bot.summary import announce, build_summary
from ledger.exports import export_transfers
from ledger.models import tips, transfers
from ledger.payday.engine import run_payday
from tests.adapters.console.support import Console
from tests.bot.test_receipts import RecordingConsole, announcer
from tests.ledger.payday_helpers import WEEK

TIPPER = "alice"


def _seen_by_bob(console: Console) -> list[str]:
    """Everything bob can read about his tips."""
    return [console.ok(f"bob: {line}").text for line in (
        "/tip", "/tip history", "/tip top all received", "/tip top all given", "/tip top week")]


def _csv_text(console: Console, name: str) -> str:
    """The file `/tip history csv` gives NAME (the console writes it instead of attaching it)."""
    reply = console.ok(f"{name}: /tip history csv")
    return Path(re.search(r"Written to (.+)$", reply.text, re.M)[1]).read_text(encoding="utf-8")


def test_nothing_the_tippee_sees_names_an_anonymous_tipper(console: Console, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # where the console writes files without SQLite
    console.script("""
        treasurer: /tip admin credit @alice 20
        alice: /tip profile public
        bob: /tip profile public
        bob: /tip receipts on
    """)
    pledge = console.ok("alice: /tip @bob 2 anonymous")
    assert "anonymously (they are not told who)" in pledge.text
    [dm] = pledge.direct_messages
    assert dm.user_id == "bob" and dm.text.startswith("Someone (anonymously) pledged $2.00") and TIPPER not in dm.text
    on = console.ok("bob: /tip receive on")
    assert "someone (anonymous) ($2.00)" in on.text and TIPPER not in on.text

    once = console.ok("alice: /tip @bob 3 once anonymous thanks!")
    assert "an anonymous one-off tip" in once.text
    [dm] = once.direct_messages
    assert dm.text.startswith("Someone gave you an anonymous one-off tip of $3.00") and TIPPER not in dm.text

    # Changing the weekly tip keeps it anonymous; the tipper sees it is theirs.
    change = console.ok("alice: /tip @bob 2.5")
    assert "anonymously" in change.text and not change.direct_messages
    assert "bob: $2.50 a week (anonymous)" in console.ok("alice: /tip").text

    community_id = console.runtime.ledger.read(lambda book: book.community_by_name("test")).id
    platform = RecordingConsole()
    runtime = announcer(console, platform)
    result = run_payday(console.runtime.ledger, community_id, WEEK)
    assert result.status == "ran"
    asyncio.run(announce(runtime, result))
    [receipt] = platform.receipts()["bob"]
    assert "You received $2.50:\n  someone (anonymous): $2.50" in receipt

    seen = _seen_by_bob(console)
    listing, history, top_received, top_given, top_week = seen
    assert "someone (anonymous): $2.50 a week" in listing
    assert "+$2.50  weekly tip from someone (anonymous)" in history
    assert "+$3.00  one-off tip from someone (anonymous)" in history
    assert "1. bob: $5.50" in top_received
    assert "no tips yet" in top_given  # anonymous tips never count for their giver
    home = home_reply(console.runtime, "console", "test", "bob")
    csv_file = _csv_text(console, "bob")
    assert "someone (anonymous)" in csv_file
    summary = build_summary(runtime, result)
    assert "Top receivers this week: bob ($5.50)." in summary.text  # bob is public; his tipper goes unnamed
    every_text = [*seen, receipt, home.text, *(v for _, v in home.fields), csv_file, summary.text,
                  *(v for _, v in summary.fields),
                  *(text for _space, user, text in platform.direct if user == "bob")]
    assert not [text for text in every_text if TIPPER in text]

    # The ledger still knows who paid, and says so to the tipper and to `ledger check`.
    with console.runtime.ledger.engine.connect() as connection:
        hidden = connection.execute(sa.select(transfers.c.from_account_id, transfers.c.kind)
                                    .where(transfers.c.anonymous).order_by(transfers.c.id)).all()
        assert [kind for _, kind in hidden] == ["once", "tip"]
        assert connection.execute(sa.select(sa.func.count()).where(tips.c.anonymous)).scalar_one() == 2
        exported = [(row["from"], row["to"], row["kind"]) for row in export_transfers(connection, community_id)]
        assert ("alice", "bob", "once") in exported and ("alice", "bob", "tip") in exported  # admins' export
    assert "-$3.00  one-off tip to bob (anonymous)" in console.ok("alice: /tip history").text
    assert ",bob," in _csv_text(console, "alice")  # the tipper's own file names bob
    assert console.runtime.ledger.read(lambda book: book.check()) == []


def test_named_makes_a_tip_visible_again_and_a_new_tip_is_named(console: Console) -> None:
    console.script("""
        bob: /tip receive on
        alice: /tip @bob 1 anonymous
    """)
    assert "someone (anonymous): $1.00" in console.ok("bob: /tip").text
    again = console.ok("alice: /tip @bob 1 named")
    assert "stays $1.00 and is now named" in again.text
    assert "alice: $1.00 a week" in console.ok("bob: /tip").text
    assert "already $1.00; nothing changed" in console.ok("alice: /tip @bob 1").text
    console.ok("alice: /tip @bob 1 anonymous")
    console.ok("alice: /tip @bob 0")
    console.ok("alice: /tip @bob 1")  # a fresh tip after ending one: named unless said
    assert "alice: $1.00 a week" in console.ok("bob: /tip").text
    console.refused("alice: /tip @bob 2 anonymous named", "invalid", "not both")
