"""A member's home view (Slack's App Home tab): tips, balance and next payday.

Read-only and platform-neutral: it returns a `Reply` each adapter renders. It
never creates a space or a member, so merely opening a tab writes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.handlers.info import payday_text
from bot.reply import Reply
from ledger.book import Book
from ledger.money import format_money
from ledger.records import TipLine

if TYPE_CHECKING:
    from bot.runtime import Runtime

MAX_LINES = 20


def _lines(lines: list[TipLine], currency: str, arrow: str) -> str:
    shown = [f"{arrow} {line.other_name}: {format_money(line.weekly_amount_minor, currency)} a week"
             + (" (pledge: not paid until they opt in to receive)" if line.pledge else "")
             for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        shown.append(f"… and {len(lines) - MAX_LINES} more (`/tip list`)")
    return "\n".join(shown)


def home_reply(runtime: Runtime, platform: str, space_external_id: str, platform_user_id: str) -> Reply:
    def build(book: Book) -> Reply:
        space = book.space(platform, space_external_id)
        member = book.find_member(space, platform_user_id) if space is not None else None
        if space is None or member is None:
            return Reply(title="Tipbot", text=(
                "Tip the people who make this community work: `/tip @name 1` sets a weekly tip of 1.00, "
                "paid every payday; `/tip @name 5 once` tips once from your balance.\n"
                "You have no tips or balance here yet."))
        community = book.community(space.community_id)
        currency = community.currency
        given = book.tips_given(member.id)
        received = book.tips_received(member.id)
        fields = (
            ("Balance", book.balance(member.id).format()),
            ("Giving weekly", format_money(sum(t.weekly_amount_minor for t in given if not t.pledge), currency)),
            ("Receiving weekly", format_money(sum(t.weekly_amount_minor for t in received if not t.pledge), currency)
             if member.receiving else "not receiving (`/tip receive on`)"),
            ("Next payday", payday_text(community.payday_cron, book.clock.now())),
        )
        parts = []
        parts.append("*Tips you give*\n" + (_lines(given, currency, "→") or "None yet: `/tip @name 1`."))
        parts.append("*Tips you receive*\n" + (_lines(received, currency, "←") or "None yet."))
        return Reply(title=f"Tipbot: {member.display_name}", text="\n\n".join(parts), fields=fields)

    return runtime.ledger.read(build)
