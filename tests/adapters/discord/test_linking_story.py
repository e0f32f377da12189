"""One community on Slack and Discord: an admin joins the spaces, a member links identities.

The Slack side goes through TipBot.handle with platform="slack" invocations (the
text grammar Slack's /tip uses); the Discord side through the real client.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import re

from bot.invocation import Invocation, UserRef
from bot.reply import Reply
from ledger.api import Ledger
from ledger.clock import FixedClock
from tests.adapters.discord.gateway import (
    BOB, CAROL, GUILD, OTHER_GUILD, boolean, harness, interaction, mention, run, string,
)
from tests.dbs import dump_tables
from tests.moments import PINNED

CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}")
GREEN, RED = 0x2ECC71, 0xE74C3C
THIRD_GUILD = "1300000000000000003"
_requests = itertools.count(1)


async def slack(h, user: str, text: str, *, admin: bool = False) -> Reply:
    invocation = Invocation(platform="slack", space_id="T_ACME", user=UserRef(user, user.lower()[2:]), text=text,
                            request_id=f"trigger-{next(_requests)}", is_admin=admin, space_name="Acme Slack")
    return await asyncio.to_thread(h.runtime.bot.handle, invocation)


def _code(text: str) -> str:
    return CODE.search(text).group()


async def refused(h, payload: dict, words: str) -> None:
    before = dump_tables(h.runtime.ledger.engine)
    reply = await h.send(payload)
    assert reply["color"] == RED and words in reply["description"], reply
    assert dump_tables(h.runtime.ledger.engine) == before


def test_one_community_on_slack_and_discord(ledger: Ledger, clock: FixedClock) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            # Slack: a treasurer credits alice, alice tips bob weekly, an admin invites the Discord server
            assert (await slack(h, "U_ADMIN", "admin credit <@U_ALICE|alice> 10", admin=True)).ok
            assert (await slack(h, "U_BOB", "receive on")).ok
            assert (await slack(h, "U_ALICE", "<@U_BOB|bob> 1")).ok
            invite = await slack(h, "U_ADMIN", "admin invite", admin=True)
            assert invite.ok, invite
            code = _code(invite.text)

            # Discord: carol used the bot before the join (a member, no activity)
            assert (await h.send(interaction("balance", invoker=CAROL)))["color"] == GREEN
            join = lambda text, **kw: interaction("tipadmin", [string("code", text)], subcommand="join", **kw)  # noqa: E731
            await refused(h, join("WXYZ-2345", admin=True, invoker=CAROL), "not valid")
            await refused(h, join(code, admin=False, invoker=CAROL), "admin")
            # an expired invite: issued two days ago by the ledger's clock
            clock.set(PINNED - dt.timedelta(days=2))
            stale = _code((await slack(h, "U_ADMIN", "admin invite", admin=True)).text)
            clock.set(PINNED)
            await refused(h, join(stale, admin=True, invoker=CAROL), "expired")
            # a server that already has tips or transfers cannot join
            busy = await h.send(interaction("tipadmin", [mention("user", BOB), string("amount", "1")],
                                            subcommand="credit", admin=True, guild_id=OTHER_GUILD, mentioned=[BOB]))
            assert busy["color"] == GREEN
            await refused(h, join(code, admin=True, guild_id=OTHER_GUILD), "already has tips or transfers")

            # the join
            first = join(code, admin=True, invoker=CAROL)
            joined = await h.send(first)
            assert joined["color"] == GREEN and "slack Acme Slack" in joined["description"], joined
            again = await h.send(first)  # the same interaction redelivered
            assert again["description"].startswith("Already recorded")
            await refused(h, join(code, admin=True, invoker=CAROL), "already used")
            fresh = _code((await slack(h, "U_ADMIN", "admin invite", admin=True)).text)
            await refused(h, join(fresh, admin=True, invoker=CAROL), "already part of that community")
            with ledger.begin() as book:
                slack_space, discord_space = book.space("slack", "T_ACME"), book.space("discord", GUILD)
                assert slack_space.community_id == discord_space.community_id

            # alice links her Discord account to her Slack one
            link_code = _code((await slack(h, "U_ALICE", "link")).text)
            await refused(h, interaction("link", [string("code", "ABCD-EFGH")]), "not valid")
            await refused(h, interaction("link", [string("code", link_code)], guild_id=THIRD_GUILD),
                          "another community")
            linked = await h.send(interaction("link", [string("code", link_code)]))
            assert linked["color"] == GREEN and "$10.00" in str(linked["fields"]), linked
            await refused(h, interaction("link", [string("code", link_code)], invoker=BOB), "already used")
            second = _code((await slack(h, "U_ALICE", "link")).text)
            await refused(h, interaction("link", [string("code", second)]), "already linked")

            # one balance, one set of tips, whichever platform she asks on
            balance = await h.send(interaction("balance"))
            assert "$10.00" in balance["description"] + str(balance.get("fields")), balance
            listing = await h.send(interaction("tips"))
            assert "bob" in (listing["description"] + str(listing.get("fields"))).lower(), listing
            # she tips carol once from Discord; Slack sees the same balance
            assert (await h.send(interaction("receive", [string("switch", "on")], invoker=CAROL)))["color"] == GREEN
            once = await h.send(interaction("tip", [mention("user", CAROL), string("amount", "2"),
                                                    boolean("once", True)], mentioned=[CAROL]))
            assert once["color"] == GREEN, once
            slack_balance = await slack(h, "U_ALICE", "balance")
            assert "$8.00" in slack_balance.text + str(slack_balance.fields), slack_balance

            # shared settings: a limit set on Discord holds on Slack
            limits = await h.send(interaction("tipadmin", [string("max_weekly", "5")], subcommand="limits",
                                              admin=True, invoker=CAROL))
            assert limits["color"] == GREEN, limits
            over = await slack(h, "U_ALICE", "<@U_BOB|bob> 6")
            assert not over.ok and over.code == "over_limit", over

            # someone with activity of their own can't be merged into another member
            carol_code = _code((await h.send(interaction("link", invoker=CAROL)))["description"])
            carol_on_slack = await slack(h, "U_ALICE_TWIN", f"link {carol_code}")
            assert carol_on_slack.ok  # no activity on Slack yet: linked
            bob_code = _code((await slack(h, "U_BOB", "link")).text)
            before = dump_tables(ledger.engine)
            reply = await slack(h, "U_ALICE_TWIN", f"link {bob_code}")
            assert not reply.ok and reply.code == "already_linked", reply
            assert dump_tables(ledger.engine) == before

    run(story())


def test_an_identity_with_its_own_activity_is_not_merged(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            code = _code((await slack(h, "U_ADMIN", "admin invite", admin=True)).text)
            assert (await h.send(interaction("tipadmin", [string("code", code)], subcommand="join",
                                             admin=True)))["color"] == GREEN
            # on Discord, alice already set a (pledged) weekly tip to bob
            assert (await h.send(interaction("tip", [mention("user", BOB), string("amount", "1")],
                                             mentioned=[BOB])))["color"] == GREEN
            link_code = _code((await slack(h, "U_ALICE", "link")).text)
            await refused(h, interaction("link", [string("code", link_code)]), "tips or transfers of its own")
            # the other way round works: the Slack identity has no activity
            discord_code = _code((await h.send(interaction("link")))["description"])
            reply = await slack(h, "U_ALICE", f"link {discord_code}")
            assert reply.ok, reply
            tips_on_slack = await slack(h, "U_ALICE", "list")
            assert "bob" in (tips_on_slack.text + str(tips_on_slack.fields)).lower()

    run(story())


def test_link_in_a_space_that_shares_its_community_with_no_other_says_so(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            await refused(h, interaction("link"), "nothing to link yet")

    run(story())
