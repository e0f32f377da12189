"""Reaction tips (docs/architecture.md, "Chat"): what a platform's reaction event does.

An adapter turns a platform's "reaction added" event into a `Reaction` and calls
`handle_reaction` in a worker thread. An emoji the community has not mapped costs one
read and writes nothing (not even a member row). A mapped one moves a one-off tip from
the reactor to the author, at most once per reactor, message and emoji (the key is
made of the platform's ids, so a redelivered event moves nothing). Reactions to one's
own message or to a bot's are ignored. A refusal (balance, author not receiving, the
daily cap) comes back as a Reply the adapter shows the reactor privately, never in the
channel. The author is told later, in one direct message per few minutes
(`tell_reaction_authors`, run by the scheduler's tick), however many reactions came.
Removing a reaction does not refund.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.invocation import Invocation, UserRef
from bot.names import emoji_shown
from bot.reply import Reply, refusal
from bot.summary import tell  # the payday's way to reach a member on any of their spaces
from ledger.book import Book
from ledger.errors import Refusal
from ledger.money import format_money

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

BATCH = dt.timedelta(minutes=5)  # an author hears of their reaction tips at most this late, in one message


@dataclass(frozen=True)
class Reaction:
    """Someone added an emoji to a member's message."""

    platform: str
    space_id: str
    reactor: UserRef
    author: UserRef
    emoji: str  # as stored by `/tip admin reactions` (bot.grammar.emoji_key)
    message_id: str  # the platform's ids of the message: channel and message
    author_is_bot: bool = False
    space_name: str | None = None

    @property
    def key(self) -> str:
        return (f"reaction:{self.platform}:{self.space_id}:{self.message_id}:{self.emoji}:"
                f"{self.reactor.platform_user_id}")


def handle_reaction(runtime: Runtime, reaction: Reaction) -> Reply | None:
    """Tip the author if the emoji is mapped. None: nothing to say to anyone now (unmapped,
    own message, a bot's, a repeat, or done: the author hears later). A Reply: a refusal for
    the reactor's eyes only."""
    if reaction.author_is_bot or reaction.author.platform_user_id == reaction.reactor.platform_user_id:
        return None
    if not runtime.ledger.read(lambda book: _mapped(book, reaction)):
        return None

    def op(book: Book) -> dict:
        invocation = Invocation(platform=reaction.platform, space_id=reaction.space_id, user=reaction.reactor,
                                space_name=reaction.space_name)
        ctx = runtime.bot.context(book, invocation, (reaction.author,))
        author = ctx.resolve(reaction.author)
        done = book.tip_by_reaction(ctx.community, ctx.member, author, reaction.emoji, reaction.key,
                                    now=runtime.clock.now())
        return {"tipped": done is not None and not done.repeated}

    try:
        runtime.ledger.run(op)
    except Refusal as error:
        return refusal(f"Your {emoji_shown(reaction.emoji)} reaction did not tip: {error.message}", error.code)
    except Exception:
        log.exception("reaction tip failed on %s %s", reaction.platform, reaction.space_id)
        return refusal("Your reaction did not tip: something went wrong on our side; nothing was changed.", "error")
    return None


def _mapped(book: Book, reaction: Reaction) -> bool:
    space = book.space(reaction.platform, reaction.space_id)
    return space is not None and book.reaction_amount(space.community_id, reaction.emoji) is not None


def author_text(tips: int, amount_minor: int, currency: str, emojis: tuple[str, ...]) -> str:
    shown = " ".join(emoji_shown(e) for e in emojis[:10])
    what = "a reaction" if tips == 1 else f"{tips} reactions"
    return (f"Your messages got {what} that tipped you {format_money(amount_minor, currency)} in all ({shown}). "
            f"It is in your balance now (`/tip balance`).")


async def tell_reaction_authors(runtime: Runtime, now: dt.datetime | None = None) -> int:
    """Tell each author whose oldest untold reaction tip is BATCH old about all of them, in one
    direct message; each tip is claimed before sending, so it is told once across processes.
    Returns how many authors were told."""
    now = now or runtime.clock.now()
    ledger = runtime.ledger
    due = await asyncio.to_thread(ledger.read, lambda book: book.untold_reaction_tips(now - BATCH))
    told = 0
    for author in due:
        claimed = await asyncio.to_thread(
            ledger.run, lambda book, a=author: book.mark_told(a.author_id, a.last_id, now))
        if not claimed.value:
            continue  # another process is telling them
        text = author_text(author.tips, author.amount_minor, author.currency, author.emojis)
        try:
            if await tell(runtime, author.author_id, text):
                told += 1
        except Exception:  # one author's message never stops the others
            log.exception("telling member %s about reaction tips failed", author.author_id)
    return told
