"""/top, /profile, /tip's anonymous option and /tipadmin reactions on Discord: raw
INTERACTION_CREATE payloads into a real discord.py client logged in against the mock Discord."""

from __future__ import annotations

from ledger.api import Ledger
from tests.adapters.discord.gateway import (
    ALICE, BOB, CAROL, boolean, harness, interaction, mention, run, string,
)
from tests.adapters.discord.test_commands import GREEN, RED, _credit, _opt_in


def test_leaderboard_profiles_and_an_anonymous_tip(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            await _credit(h, ALICE, "10")
            await _credit(h, CAROL, "10")
            await _opt_in(h, BOB)
            assert "private" in (await h.send(interaction("profile", invoker=BOB)))["description"]
            public = await h.send(interaction("profile", [string("visibility", "public")], invoker=BOB))
            assert public["color"] == GREEN and "public" in public["description"]

            tip = interaction("tip", [mention("user", BOB), string("amount", "2"), boolean("once", True),
                                      boolean("anonymous", True)], mentioned=[BOB])
            assert "anonymous one-off tip" in (await h.send(tip))["description"]
            await h.send(interaction("tip", [mention("user", BOB), string("amount", "1"), boolean("once", True)],
                                     invoker=CAROL, mentioned=[BOB]))

            received = (await h.send(interaction("top", [string("period", "all")], invoker=BOB)))["description"]
            assert "1. Bob: $3.00" in received
            given = (await h.send(interaction("top", [string("period", "all"), string("side", "given")],
                                              invoker=BOB)))["description"]
            assert given.endswith("\n  1 other with a private profile")  # carol; alice's tip was anonymous
            history = (await h.send(interaction("history", invoker=BOB)))["description"]
            assert "one-off tip from someone (anonymous)" in history

            dms = [r.json for r in h.mock.calls("POST", "/channels/") if r.path.endswith("/messages")]
            to_bob = [d["embeds"][0]["description"] for d in dms if "$2.00" in d["embeds"][0]["description"]]
            assert to_bob and all("Alice" not in text and "alice" not in text for text in to_bob)
            assert "Alice" not in received + given + history and "alice" not in received + given + history

    run(story())


def test_tipadmin_reactions_maps_lists_and_removes(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            def admin(*options):
                return interaction("tipadmin", list(options), subcommand="reactions", admin=True)

            assert (await h.send(admin(string("emoji", "🌮"), string("amount", "0.50"))))["color"] == GREEN
            custom = await h.send(admin(string("emoji", "<:partyparrot:1800000000000000001>"), string("amount", "1")))
            assert custom["color"] == GREEN
            assert (await h.send(admin(string("cap", "3"))))["color"] == GREEN
            listed = (await h.send(admin()))["description"]
            assert "🌮 $0.50" in listed and "$3.00" in listed and "does not refund" in listed
            assert (await h.send(admin(string("emoji", "🌮"), boolean("remove", True))))["color"] == GREEN
            assert "🌮" not in (await h.send(admin()))["description"]
            refused = await h.send(interaction("tipadmin", [string("emoji", "🌮"), string("amount", "1")],
                                               subcommand="reactions", invoker=BOB))
            assert refused["color"] == RED  # not an admin

    run(story())
