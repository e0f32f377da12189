"""The slash commands: typed Discord options straight into `bot.commands` objects.

Nothing here is parsed from free text, so a note can never be mistaken for an
amount or a mention. Amounts stay strings (never a Discord `number`, which is a
float) and the bot validates them like every platform's; Discord does not enforce
the min/max a command declares, so ranges are checked here or by the bot.
"""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands

from adapters.discord import tip_author as author_form
from adapters.discord.project_commands import install_projects
from adapters.discord.respond import Responder, user_ref
from bot import commands as c
from bot.grammar import emoji_key
from bot.project_commands import AdminSpotlight
from bot.tip_form import author_refusal

AMOUNT_HELP = "like 1, 1.50, $1.50 or 1.50 USD"
NOTE_LENGTH = 500
HISTORY_MAX = 100
MANAGE_SERVER = discord.Permissions(manage_guild=True)


class TextChannelOption(app_commands.Transformer):
    """A channel option that offers only text and announcement channels."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(self, interaction: discord.Interaction, value: object) -> object:
        # resolved from the payload: a cached channel, or an AppCommandChannel
        if getattr(value, "type", None) not in (discord.ChannelType.text, discord.ChannelType.news):
            raise app_commands.TransformerError(value, self.type, self)
        return value


def install(tree: app_commands.CommandTree, responder: Responder) -> None:
    """Add /tip, /top, /profile, /tips, /balance, /history, /receive, /receipts, /fund, /payout, /link and /tipadmin,
    the projects' /project, /projects, /take and /stack (adapters/discord/project_commands.py), and the
    message command "Tip the author"."""
    run = responder.run

    @tree.context_menu(name=author_form.COMMAND_NAME)
    @app_commands.guild_only()
    async def tip_the_author(interaction: discord.Interaction, message: discord.Message) -> None:
        """Right-click a message -> Apps -> Tip the author: a modal; its submission is `/tip @author ...`."""
        author = message.author
        refused = author_refusal(str(author.id), author.bot or author.system, str(interaction.user.id))
        if refused is not None:
            await responder.refuse(interaction, refused)
            return
        await interaction.response.send_modal(author_form.modal(author))

    @tree.command(name="tip", description="Tip a member every week, or once now")
    @app_commands.describe(user="who to tip", amount=f"weekly amount ({AMOUNT_HELP}); 0 ends a weekly tip",
                           note="a note the member sees", once="a one-off tip, paid now from your balance",
                           confirm="confirm a large weekly tip",
                           anonymous="True: they are never told it is you; False: named again; "
                                     "unset: a running weekly tip stays as it is")
    @app_commands.guild_only()
    async def tip(interaction: discord.Interaction, user: discord.User, amount: app_commands.Range[str, 1, 40],
                  note: app_commands.Range[str, 1, NOTE_LENGTH] | None = None, once: bool = False,
                  confirm: bool = False, anonymous: bool | None = None) -> None:
        if user.bot:
            await responder.refuse(interaction, "Bots can't receive tips; pick a member.")
            return
        await run(interaction, c.Tip(recipients=(user_ref(user),), amount_text=amount.strip(), once=once, note=note,
                                     confirmed=confirm, anonymous=anonymous))

    @tree.command(name="top", description="Leaderboard: members with public profiles who gave or received most")
    @app_commands.describe(period="week (default), month, year or all", side="received (default) or given")
    @app_commands.guild_only()
    async def top(interaction: discord.Interaction, period: Literal["week", "month", "year", "all"] = "week",
                  side: Literal["received", "given"] = "received") -> None:
        if period not in ("week", "month", "year", "all") or side not in ("received", "given"):
            await responder.refuse(interaction, "Choose a period (week, month, year, all) and received or given.")
            return
        await run(interaction, c.ShowTop(period=period, received=side == "received"))

    @tree.command(name="profile", description="Whether leaderboards name you (private by default)")
    @app_commands.describe(visibility="public: appear by name; private: counted among others")
    @app_commands.guild_only()
    async def profile(interaction: discord.Interaction,
                      visibility: Literal["public", "private"] | None = None) -> None:
        if visibility not in (None, "public", "private"):
            await responder.refuse(interaction, "Choose public or private.")
            return
        await run(interaction, c.SetProfile(public=None if visibility is None else visibility == "public"))

    @tree.command(name="tips", description="Your tips given and received, your balance and the next payday")
    @app_commands.guild_only()
    async def tips(interaction: discord.Interaction) -> None:
        await run(interaction, c.ShowList())

    @tree.command(name="balance", description="Your balance")
    @app_commands.guild_only()
    async def balance(interaction: discord.Interaction) -> None:
        await run(interaction, c.ShowBalance())

    @tree.command(name="history", description="Your latest transfers")
    @app_commands.describe(count=f"how many (1 to {HISTORY_MAX}, default 10)",
                           csv="all of it, as a CSV file only you see")
    @app_commands.guild_only()
    async def history(interaction: discord.Interaction,
                      count: app_commands.Range[int, 1, HISTORY_MAX] | None = None, csv: bool = False) -> None:
        if count is not None and not 1 <= count <= HISTORY_MAX:
            await responder.refuse(interaction, f"Ask for 1 to {HISTORY_MAX} transfers.")
            return
        await run(interaction, c.ShowHistory(limit=count or 10, csv=csv), defer_first=csv)

    @tree.command(name="statement", description="Tips you gave and received, by month")
    @app_commands.describe(year="the year (default: this year)")
    @app_commands.guild_only()
    async def statement(interaction: discord.Interaction,
                        year: app_commands.Range[int, 2000, 2999] | None = None) -> None:
        if year is not None and not 2000 <= year <= 2999:
            await responder.refuse(interaction, "Which year? For example 2026.")
            return
        await run(interaction, c.ShowStatement(year=year))

    @tree.command(name="receive", description="Opt in or out of receiving tips")
    @app_commands.describe(switch="on: receive tips; off: stop receiving")
    @app_commands.guild_only()
    async def receive(interaction: discord.Interaction, switch: Literal["on", "off"]) -> None:
        if switch not in ("on", "off"):
            await responder.refuse(interaction, "Choose `on` or `off`.")
            return
        await run(interaction, c.SetReceiving(on=switch == "on"))

    @tree.command(name="receipts", description="Get a receipt by DM after each payday that moves your money")
    @app_commands.describe(switch="on: a receipt after each payday; off: no receipts")
    @app_commands.guild_only()
    async def receipts(interaction: discord.Interaction, switch: Literal["on", "off"]) -> None:
        if switch not in ("on", "off"):
            await responder.refuse(interaction, "Choose `on` or `off`.")
            return
        await run(interaction, c.SetReceipts(on=switch == "on"))

    @tree.command(name="fund", description="Save a card to pay your tips (Stripe mode)")
    @app_commands.describe(amount=f"optional amount to add now ({AMOUNT_HELP})")
    @app_commands.guild_only()
    async def fund(interaction: discord.Interaction, amount: app_commands.Range[str, 1, 40] | None = None) -> None:
        await run(interaction, c.Fund(amount_text=amount.strip() if amount else None), defer_first=True)

    @tree.command(name="payout", description="Connect a Stripe account to receive tips (Stripe mode)")
    @app_commands.guild_only()
    async def payout(interaction: discord.Interaction) -> None:
        await run(interaction, c.Payout(), defer_first=True)

    @tree.command(name="link", description="Link your account on another Slack or Discord space of this community")
    @app_commands.describe(code="the code /tip link showed you on the other space (leave empty to get one)")
    @app_commands.guild_only()
    async def link(interaction: discord.Interaction, code: app_commands.Range[str, 1, 40] | None = None) -> None:
        await run(interaction, c.Link(code=code.strip() if code else None))

    tree.add_command(admin_group(responder))
    install_projects(tree, responder)


def admin_group(responder: Responder) -> app_commands.Group:
    """/tipadmin: hidden from members without Manage Server; the bot checks again on use."""
    group = app_commands.Group(name="tipadmin", description="Tipbot settings and manual funding (admins)",
                               default_permissions=MANAGE_SERVER, guild_only=True)
    run = responder.run

    @group.command(name="credit", description="Manual mode: record money a member paid in")
    @app_commands.describe(user="whose balance", amount=AMOUNT_HELP, note="what it was for")
    async def credit(interaction: discord.Interaction, user: discord.User, amount: app_commands.Range[str, 1, 40],
                     note: app_commands.Range[str, 1, NOTE_LENGTH] | None = None) -> None:
        await run(interaction, c.AdminCredit(user=user_ref(user), amount_text=amount.strip(), note=note))

    @group.command(name="debit", description="Manual mode: record money paid out to a member")
    @app_commands.describe(user="whose balance", amount=AMOUNT_HELP, note="what it was for")
    async def debit(interaction: discord.Interaction, user: discord.User, amount: app_commands.Range[str, 1, 40],
                    note: app_commands.Range[str, 1, NOTE_LENGTH] | None = None) -> None:
        await run(interaction, c.AdminDebit(user=user_ref(user), amount_text=amount.strip(), note=note))

    @group.command(name="channel", description="Where payday summaries go")
    @app_commands.describe(channel="a text channel Tipbot can post in")
    async def channel(interaction: discord.Interaction,
                      channel: app_commands.Transform[app_commands.AppCommandChannel, TextChannelOption]) -> None:
        await run(interaction, c.AdminChannel(channel_id=str(channel.id), channel_name=channel.name))

    @group.command(name="payday", description="Payday status, a dry run, or run it now")
    @app_commands.describe(action="status (default), dry-run (what would be paid), or now")
    async def payday(interaction: discord.Interaction,
                     action: Literal["status", "dry-run", "now"] = "status") -> None:
        if action not in ("status", "dry-run", "now"):
            await responder.refuse(interaction, "Choose status, dry-run or now.")
            return
        await run(interaction, c.AdminPayday(action=action), defer_first=action != "status")

    @group.command(name="limits", description="Show or change the largest weekly and one-off tips")
    @app_commands.describe(max_weekly=f"largest weekly tip ({AMOUNT_HELP})",
                           max_once=f"largest one-off tip ({AMOUNT_HELP})")
    async def limits(interaction: discord.Interaction, max_weekly: app_commands.Range[str, 1, 40] | None = None,
                     max_once: app_commands.Range[str, 1, 40] | None = None) -> None:
        await run(interaction, c.AdminLimits(max_weekly_text=max_weekly.strip() if max_weekly else None,
                                             max_once_text=max_once.strip() if max_once else None))

    @group.command(name="funding", description="How members fund their tips")
    @app_commands.describe(mode="manual: admins record money in and out; stripe: cards and Stripe payouts")
    async def funding(interaction: discord.Interaction, mode: Literal["manual", "stripe"]) -> None:
        if mode not in ("manual", "stripe"):
            await responder.refuse(interaction, "Choose manual or stripe.")
            return
        await run(interaction, c.AdminFunding(mode=mode))

    @group.command(name="top", description="What leaderboards show: amounts (default) or numbers of tips")
    async def top(interaction: discord.Interaction, shows: Literal["amounts", "counts"]) -> None:
        if shows not in ("amounts", "counts"):
            await responder.refuse(interaction, "Choose amounts or counts.")
            return
        await run(interaction, c.AdminTop(shows=shows))

    @group.command(name="web", description="Serve this community's web pages and badges, or not (the default)")
    async def web(interaction: discord.Interaction, switch: Literal["public", "private"] | None = None) -> None:
        if switch not in (None, "public", "private"):
            await responder.refuse(interaction, "Choose public or private.")
            return
        await run(interaction, c.AdminWeb(public=None if switch is None else switch == "public"))

    @group.command(name="reactions", description="List, map or remove the emojis that tip a message's author")
    @app_commands.describe(emoji="the emoji (unicode or this server's)", amount=f"what it tips ({AMOUNT_HELP})",
                           remove="stop this emoji tipping", cap=f"what one member's reactions tip per day at most")
    async def reactions(interaction: discord.Interaction, emoji: app_commands.Range[str, 1, 100] | None = None,
                        amount: app_commands.Range[str, 1, 40] | None = None, remove: bool = False,
                        cap: app_commands.Range[str, 1, 40] | None = None) -> None:
        if cap is not None:
            await run(interaction, c.AdminReactions(cap_text=cap.strip()))
        elif emoji is None:
            await run(interaction, c.AdminReactions())
        elif remove:
            await run(interaction, c.AdminReactions(emoji=emoji_key(emoji), remove=True))
        elif amount is None:
            await responder.refuse(interaction, "Say how much the emoji tips, or set remove.")
        else:
            await run(interaction, c.AdminReactions(emoji=emoji_key(emoji), amount_text=amount.strip()))

    @group.command(name="funding-minimum", description="Show or set the least a card is charged at once")
    @app_commands.describe(amount=f"the minimum charge ({AMOUNT_HELP}); leave out to see it")
    async def funding_minimum(interaction: discord.Interaction,
                              amount: app_commands.Range[str, 1, 40] | None = None) -> None:
        await run(interaction, c.AdminFundingMinimum(amount_text=amount.strip() if amount else None))

    @group.command(name="spotlight", description="A weekly \"Back the Stack\" post after the payday summary")
    @app_commands.describe(switch="on: feature a project or member after each payday; off: no post")
    async def spotlight(interaction: discord.Interaction, switch: Literal["on", "off"]) -> None:
        if switch not in ("on", "off"):
            await responder.refuse(interaction, "Choose `on` or `off`.")
            return
        await run(interaction, AdminSpotlight(on=switch == "on"))

    @group.command(name="invite", description="A one-time code that lets another Slack or Discord space join")
    async def invite(interaction: discord.Interaction) -> None:
        await run(interaction, c.AdminInvite())

    @group.command(name="join", description="Join this server to the community that gave you an invite code")
    @app_commands.describe(code="the code /tip admin invite showed on the other space")
    async def join(interaction: discord.Interaction, code: app_commands.Range[str, 1, 40]) -> None:
        await run(interaction, c.AdminJoin(code=code.strip()))

    return group
