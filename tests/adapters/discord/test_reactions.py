"""Reaction tips on Discord: raw MESSAGE_REACTION_ADD payloads, as the gateway sends them, into a
real discord.py client logged in against a mock Discord; refusals reach the reactor by DM."""

from __future__ import annotations

import itertools

from bot.invocation import Invocation, UserRef
from ledger.api import Ledger
from tests.adapters.discord.gateway import ALICE, BOB, CHANNEL, GUILD, harness, run, settle
from tests.dbs import dump_tables

_messages = itertools.count(1700000000000000001)


def reaction(reactor: dict, author: dict, emoji: dict, message_id: str | None = None) -> dict:
    return {"user_id": reactor["id"], "channel_id": CHANNEL, "message_id": message_id or str(next(_messages)),
            "guild_id": GUILD, "emoji": emoji, "message_author_id": author["id"], "burst": False, "type": 0}


TACO = {"id": None, "name": "🌮"}
PARTY = {"id": "1800000000000000001", "name": "partyparrot", "animated": False}


def say(h, who: dict, text: str, admin: bool = False) -> None:
    reply = h.runtime.bot.handle(Invocation(platform="discord", space_id=GUILD, user=UserRef(who["id"], who["username"]),
                                            text=text, is_admin=admin))
    assert reply.ok, reply.text


def balances(ledger: Ledger) -> dict[str, str]:
    return {row["member"]: row["balance"] for row in ledger.read(lambda book: book.balances())}


def test_raw_reaction_add_tips_once_and_refusals_go_by_dm(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            say(h, ALICE, f"admin credit <@{ALICE['id']}> 1.5", admin=True)
            say(h, ALICE, "admin reactions 🌮 1", admin=True)
            say(h, ALICE, "admin reactions <:partyparrot:1800000000000000001> 0.5", admin=True)
            say(h, BOB, "receive on")
            first = reaction(ALICE, BOB, TACO)
            h.client._connection.parsers["MESSAGE_REACTION_ADD"](first)
            await settle()
            assert balances(ledger)["alice"] == "0.50"
            before = dump_tables(ledger.engine)
            h.client._connection.parsers["MESSAGE_REACTION_ADD"](first)  # delivered again
            h.client._connection.parsers["MESSAGE_REACTION_ADD"](reaction(ALICE, ALICE, TACO))  # own message
            h.client._connection.parsers["MESSAGE_REACTION_ADD"](reaction(ALICE, BOB, {"id": None, "name": "😀"}))
            await settle()
            assert dump_tables(ledger.engine) == before
            assert h.mock.calls("POST", "/users/@me/channels") == []

            h.client._connection.parsers["MESSAGE_REACTION_ADD"](reaction(ALICE, BOB, PARTY))
            await settle()
            assert balances(ledger)["alice"] == "0.00" and balances(ledger)["bob"] == "1.50"
            h.client._connection.parsers["MESSAGE_REACTION_ADD"](reaction(ALICE, BOB, TACO))  # no balance left
            await settle()
            await h.mock.wait_for(lambda requests: any(r.path.endswith("/messages") for r in requests))
            [dm] = [r for r in h.mock.calls("POST", "/channels/") if r.path.endswith("/messages")]
            assert "did not tip" in dm.json["embeds"][0]["description"]
            assert str(h.mock.calls("POST", "/users/@me/channels")[0].json["recipient_id"]) == ALICE["id"]

    run(story())
