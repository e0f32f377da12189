"""A real discord.py client, logged in against MockDiscord, fed raw INTERACTION_CREATE payloads."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ledger.api import Ledger
from ledger.models import tips, transfers
from ledger.money import Money
from tests.adapters.discord.gateway import (
    ALICE, BOB, CAROL, GUILD, OTHER_GUILD, boolean, button_click, channel_option, harness, integer, interaction,
    mention, run, settle, string,
)
from tests.adapters.discord.mock_discord import APP_ID
from tests.dbs import dump_tables

RED = 0xE74C3C
GREEN = 0x2ECC71


def _member(h, guild: str, user: dict):
    with h.runtime.ledger.begin() as book:
        return book.find_member(book.space("discord", guild), user["id"])


def _balance(h, user: dict, guild: str = GUILD) -> Money:
    member = _member(h, guild, user)
    return h.runtime.ledger.read(lambda book: book.balance(member.id))


async def _opt_in(h, *users: dict) -> None:
    for u in users:
        assert (await h.send(interaction("receive", [string("switch", "on")], invoker=u)))["color"] == GREEN


async def _credit(h, u: dict, amount: str) -> dict:
    return await h.send(interaction("tipadmin", [mention("user", u), string("amount", amount)], subcommand="credit",
                                    admin=True, mentioned=[u]))


def test_login_syncs_the_commands_globally(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            assert [(r.method, r.path) for r in h.mock.requests] == [
                ("GET", "/users/@me"), ("GET", "/oauth2/applications/@me"),
                ("PUT", f"/applications/{APP_ID}/commands")]
            synced = {c["name"]: c for c in h.mock.requests[-1].json}
            assert set(synced) == {"tip", "tips", "balance", "history", "statement", "receive", "receipts", "fund",
                                   "payout", "link", "tipadmin", "top", "profile", "project", "projects", "take",
                                   "stack", "Tip the author"}
            assert int(synced["tipadmin"]["default_member_permissions"]) == 32  # Manage Server
            assert {o["name"] for o in synced["tipadmin"]["options"]} == {
                "credit", "debit", "channel", "payday", "limits", "funding", "funding-minimum", "invite", "join",
                "top", "reactions", "spotlight", "web"}
            assert all(c["dm_permission"] is False for c in synced.values())
            tip = {o["name"]: o for o in synced["tip"]["options"]}
            assert tip["user"]["type"] == 6 and tip["amount"]["type"] == 3  # a string: never a float
            assert tip["once"]["type"] == 5 and not tip["note"]["required"]

    run(story())


def test_development_guilds_get_the_commands_instead(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger, discord_guild_ids=[int(GUILD)]) as h:
            puts = h.mock.calls("PUT", "/applications/")
            assert [r.path for r in puts] == [f"/applications/{APP_ID}/guilds/{GUILD}/commands"]
            assert "tipadmin" in {c["name"] for c in puts[0].json}

    run(story())


def test_tip_with_a_member_option_sets_the_tip_and_the_callback_carries_the_reply(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            # a note that reads like grammar is only a note: typed options are never re-parsed
            payload = interaction("tip", [mention("user", BOB), string("amount", "1.50"),
                                          string("note", "thanks @carol 5 once")], mentioned=[BOB])
            reply = await h.send(payload)
            (callback,) = h.answers(payload)
            assert callback.path == f"/interactions/{payload['id']}/{payload['token']}/callback"
            assert callback.json["type"] == 4  # CHANNEL_MESSAGE_WITH_SOURCE: the reply itself
            assert reply["flags"] & 64  # ephemeral
            assert reply["color"] == GREEN and f"<@{BOB['id']}>" in reply["description"]
            assert "$1.50 a week" in reply["description"]
            alice, bob = _member(h, GUILD, ALICE), _member(h, GUILD, BOB)
            with ledger.engine.connect() as connection:
                rows = connection.execute(sa.select(tips.c.tipper_id, tips.c.tippee_id, tips.c.weekly_amount_minor,
                                                    tips.c.note)).all()
            assert [tuple(r) for r in rows] == [(alice.id, bob.id, 150, "thanks @carol 5 once")]
            assert bob.display_name == "Bob"  # the member's display name from the resolved option
            # bob hears about the pledge by DM
            (dm_channel,) = h.mock.calls("POST", "/users/@me/channels")
            assert str(dm_channel.json["recipient_id"]) == BOB["id"]
            (dm,) = h.mock.calls("POST", "/channels/")
            assert "receive" in dm.json["embeds"][0]["description"]

    run(story())


def test_a_replayed_interaction_is_applied_once(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            await _opt_in(h, BOB)
            credit = interaction("tipadmin", [mention("user", ALICE), string("amount", "10")], subcommand="credit",
                                 admin=True, mentioned=[ALICE])
            once = interaction("tip", [mention("user", BOB), string("amount", "2"), boolean("once", True)],
                               mentioned=[BOB])
            for payload in (credit, once):
                first = await h.send(payload)
                dms = len(h.mock.calls("POST", "/users/@me/channels"))
                again = await h.send(payload)  # the gateway redelivers the same interaction
                assert len(h.mock.calls("POST", "/users/@me/channels")) == dms  # nobody is told twice
                assert first["color"] == GREEN and "Already recorded" not in first["description"]
                assert again["color"] == GREEN and again["description"].startswith("Already recorded")
            assert _balance(h, ALICE) == Money(800, "USD") and _balance(h, BOB) == Money(200, "USD")
            with ledger.engine.connect() as connection:
                kinds = connection.execute(sa.select(transfers.c.kind).order_by(transfers.c.id)).scalars().all()
            assert kinds == ["credit", "once"]

    run(story())


def test_an_admin_command_from_a_member_without_manage_server_is_refused(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            await h.send(interaction("balance", invoker=BOB))  # the space and members exist
            before = dump_tables(ledger.engine)
            for sub, options, mentioned in (
                ("credit", [mention("user", BOB), string("amount", "10")], [BOB]),
                ("limits", [string("max_weekly", "500")], []),
                ("invite", [], []),
            ):
                reply = await h.send(interaction("tipadmin", options, subcommand=sub, invoker=BOB, admin=False,
                                                 mentioned=mentioned))
                assert reply["color"] == RED and "admin" in reply["description"].lower(), reply
            assert dump_tables(ledger.engine) == before
            # with Manage Server it works
            assert (await _credit(h, BOB, "10"))["color"] == GREEN
            assert _balance(h, BOB) == Money(1000, "USD")

    run(story())


def test_an_admin_named_in_settings_needs_no_discord_permission(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger, admins=[f"discord:{CAROL['id']}"]) as h:
            reply = await h.send(interaction("tipadmin", [mention("user", BOB), string("amount", "3")],
                                             subcommand="credit", invoker=CAROL, mentioned=[BOB]))
            assert reply["color"] == GREEN
            assert _balance(h, BOB) == Money(300, "USD")

    run(story())


@pytest.mark.parametrize("amount", ["100.01", "-1", "1e3", "NaN", "1.505", "0.001", "1,50", "99999999999999999999"])
def test_an_amount_out_of_range_is_refused_and_changes_nothing(ledger: Ledger, amount: str) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            await _credit(h, ALICE, "500")
            await _opt_in(h, BOB)
            before = dump_tables(ledger.engine)
            for options in ([], [boolean("once", True)]):
                reply = await h.send(interaction("tip", [mention("user", BOB), string("amount", amount), *options],
                                                 mentioned=[BOB]))
                assert reply["color"] == RED, (amount, reply)
                assert reply["flags"] & 64
            assert dump_tables(ledger.engine) == before

    run(story())


def test_options_discord_does_not_enforce_are_checked(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            before = dump_tables(ledger.engine)
            for count in (0, 101, -5):  # declared min 1, max 100: Discord clients enforce it, the gateway doesn't
                reply = await h.send(interaction("history", [integer("count", count)]))
                assert reply["color"] == RED and "1 to 100" in reply["description"]
            reply = await h.send(interaction("receive", [string("switch", "maybe")]))
            assert reply["color"] == RED
            reply = await h.send(interaction("receipts", [string("switch", "maybe")]))
            assert reply["color"] == RED
            bot_user = {**CAROL, "bot": True}
            reply = await h.send(interaction("tip", [mention("user", bot_user), string("amount", "1")],
                                             mentioned=[bot_user]))
            assert reply["color"] == RED and "Bots" in reply["description"]
            assert dump_tables(ledger.engine) == before
            reply = await h.send(interaction("history", [integer("count", 5)]))
            assert reply["color"] == GREEN

    run(story())


def test_slow_work_is_deferred_first_and_the_reply_follows(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger, defer_after_seconds=0) as h:  # every command counts as slow
            payload = interaction("tip", [mention("user", BOB), string("amount", "1")], mentioned=[BOB])
            reply = await h.send(payload)
            callback, followup = h.answers(payload)[:2]
            assert callback.json["type"] == 5 and callback.json["data"]["flags"] == 64  # deferred, ephemeral
            assert (followup.method, followup.path) == (
                "PATCH", f"/webhooks/{APP_ID}/{payload['token']}/messages/@original")
            assert reply["color"] == GREEN and "$1.00 a week" in reply["description"]

    run(story())


def test_a_large_weekly_tip_asks_to_confirm_with_buttons(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            reply = await h.send(interaction("tip", [mention("user", BOB), string("amount", "40")], mentioned=[BOB]))
            buttons = [c for row in reply["components"] for c in row["components"]]
            assert [b["label"] for b in buttons][0].startswith("Yes")
            assert h.runtime.ledger.read(lambda b: b.tips_given(_member(h, GUILD, ALICE).id)) == []
            click = button_click(buttons[0]["custom_id"])
            confirmed = await h.send(click)
            assert confirmed["color"] == GREEN
            (callback,) = h.answers(click)
            assert callback.json["type"] == 7  # UPDATE_MESSAGE: the buttons give way to the outcome
            assert confirmed["components"] == []
            given = h.runtime.ledger.read(lambda b: b.tips_given(_member(h, GUILD, ALICE).id))
            assert [(t.other_name, t.weekly_amount_minor) for t in given] == [("Bob", 4000)]
            # clicking again (a redelivered click) changes nothing
            await h.send(click)
            with ledger.engine.connect() as connection:
                assert connection.execute(sa.select(sa.func.count()).select_from(tips)).scalar() == 1

    run(story())


def test_joining_a_guild_creates_its_space_and_community(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            h.guild_join(OTHER_GUILD, "Rust Club")
            await settle()
            with ledger.begin() as book:
                space = book.space("discord", OTHER_GUILD)
                assert space is not None and space.name == "Rust Club"
                assert book.community(space.community_id).currency == "USD"

    run(story())


def test_commands_outside_a_server_are_refused(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            payload = interaction("balance")
            del payload["guild_id"], payload["member"]
            payload["user"], payload["context"] = ALICE, 1
            payload["channel"] = {"id": "1800000000000000001", "type": 1, "recipients": [ALICE]}
            reply = await h.send(payload)
            assert reply["color"] == RED and "server" in reply["description"]
            assert dump_tables(ledger.engine)["spaces"] == []

    run(story())


def test_a_command_this_version_does_not_have_is_answered(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            reply = await h.send(interaction("tipjar", [string("amount", "1")]))  # an old, unsynced command
            assert reply["color"] == RED and "no longer available" in reply["description"]

    run(story())


def test_the_summary_channel_must_be_a_text_channel(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            await h.send(interaction("balance"))
            before = dump_tables(ledger.engine)
            voice = channel_option("channel", "1400000000000000099", "Lounge")
            voice["_channel"]["type"] = 2  # a voice channel, as a client older than the option's filter may send
            reply = await h.send(interaction("tipadmin", [voice], subcommand="channel", admin=True))
            assert reply["color"] == RED and "isn't valid" in reply["description"]
            assert dump_tables(ledger.engine) == before
            reply = await h.send(interaction("tipadmin", [channel_option("channel", "1400000000000000077", "payday")],
                                             subcommand="channel", admin=True))
            assert reply["color"] == GREEN
            space = h.runtime.ledger.read(lambda b: b.space("discord", GUILD))
            assert (space.summary_channel_id, space.summary_channel_name) == ("1400000000000000077", "payday")

    run(story())


def test_rate_limits_are_waited_out_and_nothing_is_applied_twice(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            await _opt_in(h, BOB)
            await _credit(h, ALICE, "10")
            h.mock.rate_limits = {"/interactions/": 1, "/users/@me/channels": 1, "/channels/": 1}
            payload = interaction("tip", [mention("user", BOB), string("amount", "3"), boolean("once", True)],
                                  mentioned=[BOB])
            start = len(h.mock.requests)
            reply = await h.send(payload)
            assert reply["color"] == GREEN
            assert [r.path.split("/")[1] for r in h.answers(payload)] == ["interactions", "interactions"]  # 429, 200
            assert _balance(h, ALICE) == Money(700, "USD") and _balance(h, BOB) == Money(300, "USD")
            assert h.mock.rate_limits == {"/interactions/": 0, "/users/@me/channels": 0, "/channels/": 0}
            sent = [(r.method, r.path.split("/")[1]) for r in h.mock.requests[start:]]
            # bob's notice: the DM channel (429, then opened) and the message (429, then sent once)
            assert sent.count(("POST", "users")) == 2 and sent.count(("POST", "channels")) == 2, sent

    run(story())


def test_receipts_switch_on_and_off(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            on = await h.send(interaction("receipts", [string("switch", "on")]))
            assert on["color"] == GREEN and "Receipts on." in on["description"]
            member = _member(h, GUILD, ALICE)
            assert h.runtime.ledger.read(lambda book: book.wants_receipts(member.id)) is True
            off = await h.send(interaction("receipts", [string("switch", "off")]))
            assert off["color"] == GREEN and "Receipts off." in off["description"]
            assert h.runtime.ledger.read(lambda book: book.wants_receipts(member.id)) is False

    run(story())


def test_history_csv_comes_back_as_an_ephemeral_attachment(ledger: Ledger) -> None:
    import csv
    import io

    async def story() -> None:
        async with harness(ledger) as h:
            await _opt_in(h, ALICE)
            await _credit(h, ALICE, "7.25")
            payload = interaction("history", [boolean("csv", True)])
            reply = await h.send(payload)
            assert reply["color"] == GREEN and "1 transfer" in reply["description"]
            [sent] = [r for r in h.answers(payload) if r.files]
            deferred = [r.json for r in h.answers(payload) if r.path.endswith("/callback")]
            assert deferred == [{"type": 5, "data": {"flags": 64}}]  # only the member sees it
            assert sent.method == "PATCH" and sent.path.endswith("/messages/@original")
            assert sent.files[0]["filename"].endswith(".csv")
            rows = list(csv.DictReader(io.StringIO(sent.files[0]["data"].decode("utf-8"), newline="")))
            assert [(r["kind"], r["amount"]) for r in rows] == [("credit", "7.25")]

    run(story())
