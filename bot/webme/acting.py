"""How /me acts: as the signed-in member's own chat identity, through the bot's commands.

Every write on /me is the same `bot.commands` object chat builds, dispatched through
`runtime.bot.handle` as an Invocation of the member's identity (platform, space, user id),
with the web as its surface (`WEB`: no direct messages, replies shown as HTML, files
downloaded) and a request id made of the member and the form's idempotency key. So the
ledger API, limits, refusals and idempotency are chat's, and nobody acts as another: the
identity comes from the session only, never from a form.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from bot.invocation import Invocation, UserRef
from bot.platform import Platform
from bot.reply import Reply
from bot.runtime import Runtime
from bot.webme.oauth import ProvenIdentity
from ledger.book import Book
from ledger.records import Community, Member, Space
from ledger.signin import Route, SignedIdentity, members_of_identity, routes_from

log = logging.getLogger(__name__)


class WebSurface(Platform):
    """The web as a surface for replies: names as text, files as downloads, buttons as forms."""

    name = "web"
    label = "the web"
    buttons = True  # a confirmation is a form on the page
    confirm_by_text = False
    files = True
    who_are_admins = "Admin commands are run from chat."


WEB = WebSurface()


@dataclass(frozen=True)
class Me:
    """The signed-in member in one community, with the identity they act as there."""

    identity: SignedIdentity
    community: Community
    communities: tuple[tuple[int, str], ...]  # every community this identity is in: (id, name)

    @property
    def member(self) -> Member:
        return self.identity.member

    @property
    def space(self) -> Space:
        return self.identity.space


def whoami(book: Book, proven: ProvenIdentity, community_id: int | None = None) -> Me | None:
    """The member behind the session's identity (in `community_id` when they are in several),
    or None when the ledger does not know the identity."""
    found = members_of_identity(book, proven.platform, proven.platform_user_id, proven.space_external_id)
    if not found:
        return None
    chosen = next((one for one in found if one.member.community_id == community_id), found[0])
    names = tuple((one.member.community_id, book.community(one.member.community_id).name) for one in found)
    return Me(chosen, book.community(chosen.member.community_id), names)


def route_to(book: Book, me: Me, other_member_id: int) -> Route | None:
    """Where `me` can tip `other_member_id` in chat: a space both are in (None: nowhere)."""
    found = routes_from(book, me.member.id, other_member_id)
    return found[0] if found else None


def invocation(me: Me, command: object, form_key: str | None, *, space: Space | None = None,
               my_user_id: str | None = None) -> Invocation:
    """The command as the member's identity in `space` (default: the signed-in one)."""
    space = space or me.space
    return Invocation(platform=space.platform, space_id=space.external_id,
                      user=UserRef(my_user_id or me.identity.platform_user_id, me.member.display_name),
                      command=command, space_name=space.name, surface=WEB,
                      request_id=None if form_key is None else f"web:{me.member.id}:{form_key}")


async def dispatch(runtime: Runtime, inv: Invocation) -> Reply:
    """Run the command as chat does, then send its notices (a recipient's direct message)
    through the identity's platform when it runs in this process and can."""
    reply = await asyncio.to_thread(runtime.bot.handle, inv)
    platform = runtime.platforms.get(inv.platform)
    if reply.direct_messages and platform is not None and platform.direct_messages:
        for message in reply.direct_messages:
            try:
                await _on_platform_loop(runtime, platform.send_direct(runtime, inv.space_id, message.user_id,
                                                                      message.text))
            except Exception:  # a notice that can't be sent never undoes the command
                log.exception("sending a notice after a web command failed")
    return reply


async def _on_platform_loop(runtime: Runtime, coroutine) -> None:
    """Platform clients live on the scheduler's loop when it runs (`runtime.loop`)."""
    loop = runtime.loop
    if loop is None or loop is asyncio.get_running_loop() or not loop.is_running():
        await coroutine
        return
    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, loop))
