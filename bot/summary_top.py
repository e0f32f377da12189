"""The weekly summary's "top receivers" line (docs/architecture.md, "Chat").

Kept out of bot/summary.py so the summary's own text stays one job: this reads the
payday week's leaderboard (ledger/chat.py) and names at most three receivers, only
members whose profile is public, showing amounts or numbers of tips as the community
chose for leaderboards (`/tip admin top`). Receivers only: no tipper is ever named
here, so an anonymous tip stays anonymous. No public receiver, no line.
"""

from __future__ import annotations

import datetime as dt

from ledger.book import Book
from ledger.money import format_money

SUMMARY_TOP_RECEIVERS = 3


def week_bounds(week_start: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The payday's Monday 00:00 UTC to the next Monday 00:00 UTC."""
    start = dt.datetime.combine(week_start, dt.time(), tzinfo=dt.timezone.utc)
    return start, start + dt.timedelta(weeks=1)


def top_receivers_line(book: Book, community_id: int, currency: str, week_start: dt.date) -> str | None:
    """"Top receivers this week: bob ($3.00), carol ($2.00)." or None when nobody public received."""
    since, until = week_bounds(week_start)
    board = book.leaderboard(community_id, received=True, since=since, until=until, limit=SUMMARY_TOP_RECEIVERS)
    if not board.named:
        return None

    def shown(amount_minor: int, tips: int) -> str:
        if board.shows == "counts":
            return f"{tips} tip" if tips == 1 else f"{tips} tips"
        return format_money(amount_minor, currency)

    names = ", ".join(f"{s.name} ({shown(s.amount_minor, s.tips)})" for s in board.named)
    return f"Top receivers this week: {names}."
