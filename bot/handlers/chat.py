"""Profiles, leaderboards and reaction settings: `/tip profile`, `/tip top`, `/tip admin top`,
`/tip admin reactions` (docs/architecture.md, "Chat")."""

from __future__ import annotations

import datetime as dt

from bot.commands import AdminReactions, AdminTop, SetProfile, ShowTop
from bot.context import Context
from bot.handlers import HandlerSpec
from bot.handlers.admin import require_admin
from bot.names import emoji_shown
from bot.reply import Reply
from ledger.chat import Leaderboard

PERIOD_WORDS = {"week": "this week", "month": "this month", "year": "this year", "all": "since the start"}


def period_start(period: str, now: dt.datetime) -> dt.datetime | None:
    """The start of the calendar period holding `now` (UTC): Monday 00:00, the 1st, 1 January; None for all."""
    day = now.astimezone(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "year":
        return day.replace(month=1, day=1)
    return None


def set_profile(ctx: Context, cmd: SetProfile) -> Reply:
    if cmd.public is None:
        public = ctx.book.profile_public(ctx.member.id)
    else:
        ctx.book.set_profile(ctx.member.id, cmd.public)
        public = cmd.public
    if public:
        return Reply(text="Your profile is public: leaderboards (`/tip top`) name you with what you gave and "
                          "received. `/tip profile private` hides you again.")
    return Reply(text="Your profile is private: leaderboards count you among \"others\" and never name you. "
                      "`/tip profile public` to appear by name.")


def leaderboard_text(ctx: Context, board: Leaderboard, heading: str) -> str:
    if not board.named and not board.others:
        return f"{heading}: no tips yet."
    lines = [f"{heading}:"]
    for place, standing in enumerate(board.named, 1):
        shown = _n(standing.tips, "tip") if board.shows == "counts" else ctx.fmt(standing.amount_minor)
        lines.append(f"  {place}. {standing.name}: {shown}")
    if board.others:
        lines.append(f"  {'and ' if board.named else ''}{_n(board.others, 'other')}"
                     f"{' with a private profile' if board.others == 1 else ' with private profiles'}")
    return "\n".join(lines)


def show_top(ctx: Context, cmd: ShowTop) -> Reply:
    now = ctx.runtime.clock.now()
    board = ctx.book.leaderboard(ctx.community.id, received=cmd.received,
                                 since=period_start(cmd.period, now), until=now + dt.timedelta(microseconds=1))
    side = "Top receivers" if cmd.received else "Top givers"
    text = leaderboard_text(ctx, board, f"{side} {PERIOD_WORDS[cmd.period]}")
    if not ctx.book.profile_public(ctx.member.id):
        text += "\n(Your profile is private; `/tip profile public` to appear by name.)"
    return Reply(text=text)


def admin_top(ctx: Context, cmd: AdminTop) -> Reply:
    require_admin(ctx, "choose what leaderboards show")
    ctx.book.set_leaderboard_shows(ctx.community.id, cmd.shows)
    what = "how many tips each member gave or received" if cmd.shows == "counts" else "amounts"
    return Reply(text=f"Leaderboards now show {what}.")


def admin_reactions(ctx: Context, cmd: AdminReactions) -> Reply:
    if cmd.emoji is None and cmd.cap_text is None:
        return _list_reactions(ctx)
    require_admin(ctx, "choose which reactions tip")
    if cmd.cap_text is not None:
        cap = ctx.money(cmd.cap_text)
        ctx.book.set_reaction_cap(ctx.community, cap)
        return Reply(text=f"Each member's reactions now tip at most {cap.format()} a day (UTC).")
    assert cmd.emoji is not None
    shown = emoji_shown(cmd.emoji)
    if cmd.remove:
        old = ctx.book.unmap_reaction(ctx.community.id, cmd.emoji)
        return Reply(text=f"{shown} no longer tips (it tipped {ctx.fmt(old)}). Tips already given stay given.")
    amount = ctx.money(cmd.amount_text or "")
    old = ctx.book.map_reaction(ctx.community, cmd.emoji, amount)
    was = f" (it was {ctx.fmt(old)})" if old is not None and old != amount.amount_minor else ""
    return Reply(text=f"Reacting with {shown} to a member's message now tips its author {amount.format()} once, "
                      f"from the reactor's balance{was}. Removing the reaction does not refund.")


def _list_reactions(ctx: Context) -> Reply:
    mapped = ctx.book.reaction_map(ctx.community.id)
    cap = ctx.fmt(ctx.book.reaction_cap_minor(ctx.community.id))
    if not mapped:
        return Reply(text=f"No reaction tips here yet. An admin maps one with `/tip admin reactions :taco: 0.50`. "
                          f"Daily cap per member: {cap}.")
    lines = ["Reacting to a member's message with these tips its author once, from your balance:"]
    lines += [f"  {emoji_shown(emoji)} {ctx.fmt(amount)}" for emoji, amount in mapped]
    lines.append(f"At most {cap} a day per member; removing a reaction does not refund.")
    return Reply(text="\n".join(lines))


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


COMMANDS = {
    SetProfile: HandlerSpec(set_profile), ShowTop: HandlerSpec(show_top), AdminTop: HandlerSpec(admin_top),
    AdminReactions: HandlerSpec(admin_reactions),
}
