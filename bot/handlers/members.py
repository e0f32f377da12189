"""Who a mention names, and how replies name members, on every platform."""

from __future__ import annotations

from bot.context import Context
from bot.invocation import UserRef
from ledger.errors import InvalidRequest
from ledger.records import Member


def resolve(ctx: Context, user: UserRef) -> Member:
    """The member a mention names, created on first mention; a bare `@name` only where
    mentions are plain text (the console)."""
    if user.bare and ctx.platform.escaped_mentions:
        raise InvalidRequest(
            f"`@{user.name}` reached me as plain text, so I can't tell who you mean. "
            f"Type @ and pick the member from the list {ctx.platform.label} offers, so it becomes a real mention "
            f"(it turns into a link), then send the command again."
        )
    return ctx.resolve(user)


def who(ctx: Context, user: UserRef, member: Member) -> str:
    """How a reply names a mentioned member: a mention where the platform renders one."""
    if user.bare:
        return member.display_name
    return ctx.platform.mention(user.platform_user_id, member.display_name)
