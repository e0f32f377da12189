"""Projects in what a payday tells people: the summary names the top projects' income, a maintainer's
receipt shows their share per project, the spotlight goes to the console as text with its command,
and `/tip list` shows weekly tips to projects."""

from __future__ import annotations

import asyncio

import pytest

from bot.summary import announce
from ledger.payday.engine import run_payday
from tests.adapters.console.support import Console
from tests.bot.test_announce_takeover import Died
from tests.bot.test_receipts import RecordingConsole, announcer
from tests.ledger.payday_helpers import WEEK


class PostingConsole(RecordingConsole):
    """Records summaries and posts (the spotlight) too."""

    def __init__(self) -> None:
        super().__init__()
        self.summaries: list[str] = []
        self.posts: list = []

    async def post_summary(self, runtime, space_external_id, channel_id, summary) -> None:
        self.summaries.append(summary.text)

    async def post_message(self, runtime, space_external_id, channel_id, reply) -> None:
        self.posts.append(reply)


def stack_town(console: Console) -> int:
    console.script("""
        treasurer: /tip admin credit @alice 50
        bob: /tip receive on
        carol: /tip receive on
        bob: /tip project add pillow @carol
        bob: /tip project pillow packages pypi:pillow
        bob: /tip take pillow 1
        carol: /tip take pillow 1
        dave: /tip receive on
        dave: /tip project add plone
        dave: /tip project add buildout
        dave: /tip project add requests
        alice: /tip stack 10 pillow plone buildout requests
        alice: /tip pillow 5
        bob: /tip receipts on
        treasurer: /tip admin spotlight on
    """)
    return console.runtime.ledger.read(lambda book: book.community_by_name("test")).id


def test_summary_receipt_spotlight_and_list_mention_projects(console: Console) -> None:
    community_id = stack_town(console)
    listed = console.ok("alice: /tip list")
    assert "You back these projects every week:" in listed.text
    assert "  pillow: $5.00 a week" in listed.text and "  plone: $2.50 a week" in listed.text
    assert dict(listed.fields)["You give"].startswith("$12.50 a week")

    platform = PostingConsole()
    result = run_payday(console.runtime.ledger, community_id, WEEK)
    outcome = asyncio.run(announce(announcer(console, platform), result))

    (summary,) = platform.summaries
    # three projects, largest first (ties by name); requests, the fourth, is not named
    assert "Projects this week: pillow received $5.00, buildout received $2.50, plone received $2.50." in summary
    (receipt,) = [text for _, _, text in platform.direct if text.startswith("Your receipt")]
    assert "  your share of project pillow: $1.00" in receipt  # the takes are covered; the rest is carried
    (post,) = platform.posts
    assert post.title == "Back the Stack: pillow" and "`/tip pillow 1`" in post.text
    assert "Maintained by bob, carol." in post.text and "Packages: pypi:pillow." in post.text
    assert not post.buttons  # the console has no buttons: the command is in the text
    assert outcome.spotlight == {"console:test": "posted"}


class DyingAtFirstDirect(PostingConsole):
    """Dies (as with kill -9) at the first direct message: after the summary and the spotlight."""

    async def send_direct(self, runtime, space_external_id, user_id, text) -> None:
        raise Died


def test_the_spotlight_is_posted_once_per_payday_even_when_its_announcement_is_taken_over(
        console: Console) -> None:
    community_id = stack_town(console)
    result = run_payday(console.runtime.ledger, community_id, WEEK)
    dying = DyingAtFirstDirect()
    with pytest.raises(Died):
        asyncio.run(announce(announcer(console, dying), result))
    assert len(dying.summaries) == 1 and [post.title for post in dying.posts] == ["Back the Stack: pillow"]

    taker = PostingConsole()
    outcome = asyncio.run(announce(announcer(console, taker), result, takeover=True))
    assert outcome.spotlight == {"console:test": "already posted"} and taker.posts == []
    assert taker.summaries == []  # nor the summary (and bob's receipt, claimed by the dead process, stays at most once)
    again = asyncio.run(announce(announcer(console, PostingConsole()), result, takeover=True))
    assert again.skipped is not None  # announced: nothing more
