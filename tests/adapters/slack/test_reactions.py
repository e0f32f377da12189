"""Reaction tips through the real Bolt app: signed `reaction_added` events (as Slack posts them)
into /slack/events, the Web API a mock on loopback. Mapped, unmapped, own message, a bot's
message, over the daily cap, and the same event delivered again; the author told in one DM."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from bot.reactions import BATCH, tell_reaction_authors
from ledger.clock import FixedClock
from tests.adapters.slack.conftest import SlackHarness, event_payload
from tests.dbs import dump_tables

pytestmark = pytest.mark.anyio


def reaction_event(reactor: str = "U1", author: str = "U2", emoji: str = "taco", ts: str = "1700000000.000100",
                   channel: str = "C1") -> dict:
    return {"type": "reaction_added", "user": reactor, "reaction": emoji, "item_user": author,
            "item": {"type": "message", "channel": channel, "ts": ts}, "event_ts": "1700000100.000200"}


async def react(slack: SlackHarness, event_id: str, **kwargs) -> None:
    body = json.dumps(event_payload(reaction_event(**kwargs), event_id=event_id))
    response = await slack.post_signed(body, content_type="application/json")
    assert response.status_code == 200


def balances(slack: SlackHarness) -> dict[str, str]:
    return {row["member"]: row["balance"] for row in slack.ledger.read(lambda book: book.balances())}


async def setup(slack: SlackHarness) -> int:
    """Returns how many chat.postMessage calls setting up made (the credit's DM)."""
    slack.mock.users["UADMIN"] = {"is_admin": True}
    slack.mock.users["U1"] = {"name": "alice"}
    slack.mock.users["U2"] = {"name": "bob"}
    slack.mock.users["UB"] = {"name": "robot", "is_bot": True}
    await slack.tip("admin credit <@U1|alice> 3", user="UADMIN")
    await slack.tip("admin reactions :taco: 1", user="UADMIN")
    await slack.tip("admin reactions cap 2", user="UADMIN")
    await slack.tip("receive on", user="U2", user_name="bob")
    return len(slack.mock.of("chat.postMessage"))


async def test_a_mapped_reaction_tips_the_author_once(slack: SlackHarness) -> None:
    posted = await setup(slack)
    await react(slack, "Ev1")
    assert balances(slack)["alice"] == "2.00" and balances(slack)["bob"] == "1.00"
    before = dump_tables(slack.ledger.engine)
    await react(slack, "Ev1")  # Slack delivering the same event again
    await react(slack, "Ev1b", emoji="taco::skin-tone-2")  # the same reaction, seen again
    assert dump_tables(slack.ledger.engine) == before
    assert slack.mock.of("chat.postEphemeral") == [] and len(slack.mock.of("chat.postMessage")) == posted


async def test_unmapped_own_and_bot_messages_move_nothing_and_say_nothing(slack: SlackHarness) -> None:
    posted = await setup(slack)
    before = dump_tables(slack.ledger.engine)
    await react(slack, "Ev2", emoji="smile")
    await react(slack, "Ev3", author="U1")  # alice's own message
    await react(slack, "Ev4", author="UB")  # a bot's message
    await react(slack, "Ev5", reactor="UB")  # a bot reacting
    await asyncio.sleep(0)
    assert dump_tables(slack.ledger.engine) == before
    assert slack.mock.of("chat.postEphemeral") == [] and len(slack.mock.of("chat.postMessage")) == posted


async def test_over_the_cap_the_reactor_is_told_privately(slack: SlackHarness) -> None:
    posted = await setup(slack)
    await react(slack, "Ev6", ts="1700000000.000001")
    await react(slack, "Ev7", ts="1700000000.000002")
    before = dump_tables(slack.ledger.engine)
    await react(slack, "Ev8", ts="1700000000.000003")
    assert dump_tables(slack.ledger.engine) == before
    (told,) = await slack.mock.wait_for("chat.postEphemeral")
    assert told.args["user"] == "U1" and told.args["channel"] == "C1"
    assert "did not tip" in told.args["text"] and "daily cap" in told.args["text"]
    assert len(slack.mock.of("chat.postMessage")) == posted  # nothing in the channel
    assert balances(slack)["bob"] == "2.00"


async def test_the_author_hears_of_many_reactions_in_one_dm(slack: SlackHarness, clock: FixedClock) -> None:
    posted = await setup(slack)
    await slack.tip("admin reactions cap 5", user="UADMIN")
    for n in range(3):
        await react(slack, f"Ev1{n}", ts=f"1700000000.00002{n}")
    assert balances(slack)["bob"] == "3.00"
    assert await tell_reaction_authors(slack.runtime, clock.now() + BATCH - dt.timedelta(seconds=1)) == 0
    assert await tell_reaction_authors(slack.runtime, clock.now() + BATCH) == 1
    dms = slack.mock.of("chat.postMessage")[posted:]
    assert [dm.args["channel"] for dm in dms] == ["DU2"]
    assert dms[0].args["text"].startswith("Your messages got 3 reactions that tipped you $3.00 in all")
    assert await tell_reaction_authors(slack.runtime, clock.now() + 2 * BATCH) == 0  # told once
