"""Payday summaries and notices reaching Discord channels, with the chart attached."""

from __future__ import annotations

import datetime as dt
import re

from bot.reply import Summary
from bot.summary import chart_png
from ledger.api import Ledger
from tests.adapters.discord.gateway import (
    ALICE, BOB, CHANNEL, GUILD, OTHER_GUILD, channel_option, harness, interaction, mention, run, settle, string,
)
from tests.dbs import dump_tables

SUMMARY_CHANNEL = "1400000000000000077"
OTHER_CHANNEL = "1400000000000000088"
CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def _set_channel(h, guild: str, channel_id: str) -> None:
    reply = await h.send(interaction("tipadmin", [channel_option("channel", channel_id, "payday")],
                                     subcommand="channel", admin=True, guild_id=guild))
    assert reply["color"] == 0x2ECC71, reply


def _community_id(h, guild: str) -> int:
    return h.runtime.ledger.read(lambda book: book.space("discord", guild).community_id)


def test_the_summary_reaches_every_guild_of_the_community_and_a_failing_one_stops_none(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            invite = await h.send(interaction("tipadmin", subcommand="invite", admin=True))
            code = CODE.search(invite["description"]).group()
            joined = await h.send(interaction("tipadmin", [string("code", code)], subcommand="join", admin=True,
                                              guild_id=OTHER_GUILD))
            assert joined["color"] == 0x2ECC71, joined
            await _set_channel(h, GUILD, SUMMARY_CHANNEL)
            await _set_channel(h, OTHER_GUILD, OTHER_CHANNEL)
            h.mock.failing_channels.add(SUMMARY_CHANNEL)  # the bot lost its permission in the first guild
            h.mock.rate_limits[f"/channels/{OTHER_CHANNEL}/"] = 1  # and the other answers 429 once
            week = dt.date(2026, 11, 16)
            png = chart_png([(week - dt.timedelta(weeks=1), 0), (week, 12345)], "USD")
            summary = Summary(community_name="Acme", text="3 tippers gave $123.45 to 2 members.", chart_png=png,
                              chart_filename="payday-2026-11-16.png", fields=(("Given", "$123.45"),))
            results = await h.runtime.deliver_summary(_community_id(h, GUILD), summary)
            assert results == {f"discord:{GUILD}": "failed: Forbidden", f"discord:{OTHER_GUILD}": "posted"}
            limited, posted = h.mock.calls("POST", f"/channels/{OTHER_CHANNEL}/messages")
            assert limited.files[0]["data"] == png  # refused with 429, then sent again whole
            (chart,) = posted.files
            assert chart["filename"] == "payday-2026-11-16.png" and chart["data"] == png
            assert chart["data"].startswith(PNG_MAGIC)
            embed = posted.json["embeds"][0]
            assert embed["image"]["url"] == "attachment://payday-2026-11-16.png"
            assert "$123.45" in embed["description"] and embed["title"] == "Payday: Acme"
            assert posted.json["attachments"][0]["filename"] == "payday-2026-11-16.png"

    run(story())


def test_payday_now_posts_the_summary_from_the_handler_thread(ledger: Ledger) -> None:
    """/tipadmin payday now runs in a worker thread; the summary still goes out on the client's loop."""
    async def story() -> None:
        async with harness(ledger) as h:
            await h.send(interaction("receive", [string("switch", "on")], invoker=BOB))
            await h.send(interaction("tipadmin", [mention("user", ALICE), string("amount", "20")],
                                     subcommand="credit", admin=True, mentioned=[ALICE]))
            await h.send(interaction("tip", [mention("user", BOB), string("amount", "5")], mentioned=[BOB]))
            await _set_channel(h, GUILD, SUMMARY_CHANNEL)
            payload = interaction("tipadmin", [string("action", "now")], subcommand="payday", admin=True)
            reply = await h.send(payload)
            callback = h.answers(payload)[0]
            assert callback.json["type"] == 5  # a payday may take a while: deferred before any work
            assert reply["color"] == 0x2ECC71, reply
            (posted,) = h.mock.calls("POST", f"/channels/{SUMMARY_CHANNEL}/messages")
            assert posted.files and posted.files[0]["data"].startswith(PNG_MAGIC)
            assert posted.json["embeds"][0]["image"]["url"].startswith("attachment://")
            bob = h.runtime.ledger.read(lambda b: b.find_member(b.space("discord", GUILD), BOB["id"]))
            assert h.runtime.ledger.read(lambda b: b.balance(bob.id)).amount_minor == 500

    run(story())


def test_a_payday_notice_reaches_the_member_by_direct_message(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            await h.platform.send_direct(h.runtime, GUILD, BOB["id"], "Your tips waited this week.")
            (opened,) = h.mock.calls("POST", "/users/@me/channels")
            assert str(opened.json["recipient_id"]) == BOB["id"]
            (sent,) = [r for r in h.mock.calls("POST", "/channels/") if r.path != f"/channels/{CHANNEL}/messages"]
            assert sent.json["embeds"][0]["description"] == "Your tips waited this week."

    run(story())


def test_a_payday_asked_for_in_an_interaction_discord_already_expired_does_not_run(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            await _set_channel(h, GUILD, SUMMARY_CHANNEL)
            payload = interaction("tipadmin", [string("action", "now")], subcommand="payday", admin=True)
            h.mock.expired_interactions.add(payload["id"])
            before = dump_tables(ledger.engine)
            h.client._connection.parsers["INTERACTION_CREATE"](payload)
            await settle()
            assert [r.path.split("/")[-1] for r in h.answers(payload)] == ["callback"]  # refused: nothing else
            assert dump_tables(ledger.engine) == before  # no payday ran: the admin saw it fail and may retry
            assert not h.mock.calls("POST", f"/channels/{SUMMARY_CHANNEL}/messages")

    run(story())


def test_a_summary_carries_its_payday_in_the_footer_and_is_found_again(ledger: Ledger) -> None:
    """After a crash between posting and recording, the taker reads the channel's recent messages."""
    async def story() -> None:
        async with harness(ledger) as h:
            posted = Summary(community_name="Acme", text="Paid.", payday_id=7)
            await h.platform.post_summary(h.runtime, GUILD, SUMMARY_CHANNEL, posted)
            (post,) = h.mock.calls("POST", f"/channels/{SUMMARY_CHANNEL}/messages")
            assert post.json["embeds"][0]["footer"]["text"] == "Tipbot payday #7"
            assert await h.platform.find_summary(h.runtime, GUILD, SUMMARY_CHANNEL, posted) is True
            other = Summary(community_name="Acme", text="Paid.", payday_id=8)
            assert await h.platform.find_summary(h.runtime, GUILD, SUMMARY_CHANNEL, other) is False
            assert await h.platform.find_summary(h.runtime, GUILD, OTHER_CHANNEL, posted) is False

    run(story())
