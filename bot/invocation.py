"""What an adapter hands the bot: one platform-neutral request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.platform import Platform


@dataclass(frozen=True)
class UserRef:
    """A person on one platform: Slack `U123`, a Discord snowflake, a console name."""

    platform_user_id: str
    name: str | None = None
    # A plain `@name` the platform did not turn into a mention. The console's way to
    # mention; on Slack and Discord it names nobody for sure, so handlers say how to mention.
    bare: bool = False


@dataclass(frozen=True)
class Invocation:
    """One `/tip` request.

    `text` is the `/tip` grammar (docs/architecture.md, "Commands") as typed (Slack, console). A
    platform with typed options (Discord) may instead pass `command`, already built
    from `bot.commands`; the bot validates it the same way.
    `request_id` is the idempotency key the platform repeats on a retry (Slack:
    team + trigger id; Discord: interaction id). None means "not repeatable".
    `typed_names`: user ids are names people type (the console), so a new one that looks
    like an existing member's name (same Unicode skeleton) is refused.
    `surface`: where the reply is shown when that is not the identity's platform (the
    signed-in web pages act as a member's Slack or Discord identity, and render the reply
    as HTML); its capabilities are what the handlers ask about.
    """

    platform: str  # "slack" | "discord" | "console"
    space_id: str  # Slack team id, Discord guild id, console community name
    user: UserRef
    text: str = ""
    command: object | None = None  # a bot.commands.Command, when the platform parsed already
    request_id: str | None = None
    is_admin: bool = False
    space_name: str | None = None
    channel_id: str | None = None
    typed_names: bool = False
    surface: Platform | None = None


@dataclass(frozen=True)
class Action:
    """A button click on a reply (e.g. confirming a large weekly tip)."""

    platform: str
    space_id: str
    user: UserRef
    action_id: str
    value: str
    request_id: str | None = None
    is_admin: bool = False
