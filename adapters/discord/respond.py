"""Running one interaction through the bot and answering it within Discord's 3 seconds.

The bot (and the ledger under it) runs in a worker thread. When it answers within
`defer_after_seconds` the interaction callback carries the reply itself; when it
doesn't, the interaction is deferred ("Tipbot is thinking...") before Discord's
3-second deadline and the reply follows as an edit of that response. Commands that
call outside services (Stripe, a payday) defer before any work starts.

The interaction id is the request id, so a redelivered interaction is applied once
and answered with the first outcome ("already recorded").
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING

import discord

from adapters.discord import render
from adapters.discord.tip_author import author_of, submitted_form
from bot.invocation import Action, Invocation, UserRef
from bot.reply import Reply, Visibility, refusal
from bot.tip_form import FormError, tip_command

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

# Discord drops an interaction not acknowledged within 3 s of sending it. A command done
# within this answers in the callback itself; later, the interaction is deferred first.
# The margin covers gateway delivery and a busy event loop (measured: bench/README.md).
DEFER_AFTER_SECONDS = 1.5
# With this many commands already running, a new one waits for a worker thread: it is
# deferred at once rather than after DEFER_AFTER_SECONDS in a queue (an overload, see bench/README.md).
BUSY_IN_FLIGHT = 64

NOT_IN_A_SERVER = "Tipbot works inside a server: use its commands in a channel of the server."


def is_admin(interaction: discord.Interaction) -> bool:
    """Manage Server (or Administrator) in the channel, as Discord resolved it for this interaction.

    The commands' default member permissions only hide them; a server can override
    that, so the bot checks the permission again on every admin command.
    """
    permissions = interaction.permissions
    return bool(permissions.manage_guild or permissions.administrator)


def user_ref(user: discord.abc.User) -> UserRef:
    return UserRef(str(user.id), getattr(user, "display_name", None) or user.name)


def _own_message(interaction: discord.Interaction) -> bool:
    """Whether the clicked message was only the clicker's (ephemeral); a message the whole channel
    sees (the spotlight) stays as it is and the clicker gets an answer of their own."""
    message = interaction.message
    return message is None or message.flags.ephemeral


class Responder:
    def __init__(self, runtime: Runtime, client: discord.Client, *, defer_after_seconds: float = DEFER_AFTER_SECONDS) -> None:
        self.runtime = runtime
        self.client = client
        self.defer_after_seconds = defer_after_seconds
        self.in_flight = 0

    def invocation(self, interaction: discord.Interaction, command: object) -> Invocation:
        guild = interaction.guild
        return Invocation(
            platform="discord", space_id=str(interaction.guild_id), user=user_ref(interaction.user),
            command=command, request_id=str(interaction.id), is_admin=is_admin(interaction),
            space_name=getattr(guild, "name", None), channel_id=str(interaction.channel_id or "") or None,
        )

    async def run(self, interaction: discord.Interaction, command: object, *, defer_first: bool = False) -> None:
        """Answer one slash command with the bot's reply."""
        if interaction.guild_id is None:
            await self.refuse(interaction, NOT_IN_A_SERVER)
            return
        invocation = self.invocation(interaction, command)
        defer_first = defer_first or self.in_flight >= BUSY_IN_FLIGHT
        if defer_first and not await self._defer(interaction):
            return  # not acknowledged: Discord already told the member it failed, so do nothing
        await self._answer(interaction, lambda: self.runtime.bot.handle(invocation), deferred=defer_first)

    async def action(self, interaction: discord.Interaction, action_id: str, value: str) -> None:
        """A button click on one of our replies."""
        if interaction.guild_id is None:
            await self.refuse(interaction, NOT_IN_A_SERVER)
            return
        action = Action(platform="discord", space_id=str(interaction.guild_id), user=user_ref(interaction.user),
                        action_id=action_id, value=value, request_id=str(interaction.id),
                        is_admin=is_admin(interaction))
        await self._answer(interaction, lambda: self.runtime.bot.handle_action(action), deferred=False)

    async def tip_author(self, interaction: discord.Interaction, value: str) -> None:
        """A submitted "Tip the author" modal (adapters/discord/tip_author.py): the same `/tip` command."""
        author = author_of(value)
        if author is None:
            await self.refuse(interaction, "That form is no longer valid; nothing changed.")
            return
        try:
            command = tip_command(author, submitted_form(dict(interaction.data or {})))
        except FormError as error:
            await self.refuse(interaction, error.message, "malformed_amount" if error.field == "amount" else "invalid")
            return
        await self.run(interaction, command)

    async def refuse(self, interaction: discord.Interaction, text: str, code: str = "invalid") -> None:
        """A refusal the adapter itself gives (wrong place, option out of range): nothing ran."""
        await self.deliver(interaction, refusal(text, code), deferred=interaction.response.is_done())

    async def _answer(self, interaction: discord.Interaction, work, *, deferred: bool) -> None:
        self.in_flight += 1
        try:
            task = asyncio.ensure_future(asyncio.to_thread(work))
            if not deferred:
                done, _ = await asyncio.wait({task}, timeout=self.defer_after_seconds)
                if not done:
                    # The work goes on either way; its outcome is recorded under the interaction id.
                    deferred = await self._defer(interaction)
            try:
                reply = await task
            except Exception:  # the bot answers member errors itself; this is ours
                log.exception("Discord command failed")
                reply = refusal("Something went wrong on our side; nothing was changed. Please try again.", "error")
        finally:
            self.in_flight -= 1
        try:
            await self.deliver(interaction, reply, deferred=deferred)
        except discord.HTTPException as error:
            log.warning("answering interaction %s failed (%s); the command itself was applied once",
                        interaction.id, error.status)
        await self.send_direct_messages(reply)

    async def _defer(self, interaction: discord.Interaction) -> bool:
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            return True
        except discord.HTTPException as error:  # expired (10062) or answered elsewhere (40060)
            log.warning("could not acknowledge interaction %s: %s", interaction.id, error)
            return False

    async def deliver(self, interaction: discord.Interaction, reply: Reply, *, deferred: bool) -> None:
        """Render the reply: ephemeral unless the bot asked for the channel (or a DM); its file attached."""
        attachment = reply.attachment
        if reply.visibility is Visibility.DM and await self._dm(interaction.user.id, reply):
            reply = Reply(text="Sent you a direct message.", ok=reply.ok, repeated=reply.repeated)
        note = render.buttons_dropped_note(reply)
        if note:
            reply = Reply(text=f"{reply.text}\n{note}", ok=reply.ok, title=reply.title, fields=reply.fields,
                          visibility=reply.visibility, repeated=reply.repeated, code=reply.code)
        embed, view = render.embed(reply), render.view(reply)
        public = reply.visibility is Visibility.IN_CHANNEL
        extra: dict = {"view": view} if view is not None else {}
        if attachment is not None:  # a file for the member who asked: attached to the (ephemeral) reply
            extra["file"] = discord.File(io.BytesIO(attachment.content), filename=attachment.filename)
        if not deferred and interaction.type is discord.InteractionType.component and not public \
                and _own_message(interaction):
            # a click on the clicker's own (ephemeral) reply: it becomes the outcome, so it can't be clicked again
            await interaction.response.edit_message(embed=embed, view=view)
        elif not deferred:
            await interaction.response.send_message(embed=embed, ephemeral=not public, **extra)
        elif public:  # the deferred response is ephemeral: replace it with a message everyone sees
            await interaction.delete_original_response()
            await interaction.followup.send(embed=embed, ephemeral=False, **extra)
        else:
            if "file" in extra:
                extra["attachments"] = [extra.pop("file")]
            await interaction.edit_original_response(embed=embed, **extra)

    async def send_direct_messages(self, reply: Reply) -> None:
        """The notices the bot addressed to other members (recipients of a tip, say)."""
        for message in reply.direct_messages:
            await self._dm(message.user_id, Reply(text=message.text, title="Tipbot"))

    async def _dm(self, user_id: int | str, reply: Reply) -> bool:
        try:
            channel = await self.client.create_dm(discord.Object(id=int(user_id)))
            await channel.send(embed=render.embed(reply))
            return True
        except (discord.HTTPException, ValueError) as error:  # DMs closed (50007) or not a user id
            log.info("could not DM user %s: %s", user_id, error)
            return False
