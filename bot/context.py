"""Context: what a command handler gets (the open book, who asked, where)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.invocation import Invocation, UserRef
from bot.platform import Platform
from ledger.book import Book
from ledger.errors import InvalidRequest
from ledger.money import Money, parse_money
from ledger.records import Community, Member, Space

if TYPE_CHECKING:
    from bot.runtime import Runtime


@dataclass
class Context:
    runtime: Runtime
    invocation: Invocation
    book: Book  # the command's one transaction
    space: Space
    community: Community
    member: Member  # who asked
    # Members already read with the space, by platform user id: the invoker and the
    # command's mentions, so resolving a mention usually costs no statement.
    known_members: dict[str, Member] = field(default_factory=dict)
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def platform(self) -> Platform:
        """What the asker's platform can do (mentions, buttons, who admins are): the surface
        the reply is shown on, when it is not the identity's platform (the web)."""
        if self.invocation.surface is not None:
            return self.invocation.surface
        return self.runtime.platform(self.invocation.platform)

    @property
    def is_admin(self) -> bool:
        inv = self.invocation
        return inv.is_admin or f"{inv.platform}:{inv.user.platform_user_id}" in self.runtime.settings.admins

    def money(self, text: str) -> Money:
        """Parse an amount a member typed, in the community's currency."""
        return parse_money(text, self.community.currency)

    def fmt(self, amount_minor: int) -> str:
        return Money(amount_minor, self.community.currency).format()

    def resolve(self, user: UserRef) -> Member:
        """The member behind a mention in this space, created on first mention."""
        if user.platform_user_id == self.invocation.user.platform_user_id:
            return self.member
        if not user.platform_user_id.strip():
            raise InvalidRequest("Mention a member, like @name.")
        known = self.known_members.get(user.platform_user_id)
        if known is not None:
            return known
        return self.book.ensure_member(self.space, user.platform_user_id, user.name,
                                       refuse_lookalikes=self.invocation.typed_names)
