"""Who a mention names, and how replies name members, on every platform."""

from __future__ import annotations

from bot.context import Context
from bot.invocation import UserRef
from ledger.errors import InvalidRequest
from ledger.records import Member

# Platforms whose mentions arrive escaped (`<@U123|name>`); a bare `@name` there names nobody for sure.
ESCAPING_PLATFORMS = {"slack": "Slack", "discord": "Discord"}


def resolve(ctx: Context, user: UserRef) -> Member:
    """The member a mention names, created on first mention; a bare `@name` only on the console."""
    platform = ESCAPING_PLATFORMS.get(ctx.invocation.platform)
    if user.bare and platform is not None:
        raise InvalidRequest(
            f"`@{user.name}` reached me as plain text, so I can't tell who you mean. "
            f"Type @ and pick the member from the list {platform} offers, so it becomes a real mention "
            f"(it turns into a link), then send the command again."
        )
    return ctx.resolve(user)


def who(ctx: Context, user: UserRef, member: Member) -> str:
    """How a reply names a mentioned member: a mention where the platform renders one."""
    if ctx.invocation.platform in ESCAPING_PLATFORMS and not user.bare:
        return f"<@{user.platform_user_id}>"
    return member.display_name
