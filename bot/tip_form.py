""""Tip the author": a form (amount, weekly or once, note) that ends in the `/tip` command.

The Slack message shortcut and the Discord message command open a form on a member's
message; its values become exactly the `bot.commands.Tip` that `/tip @author AMOUNT
[once] note` parses to. The amount goes through the `/tip` grammar itself (bot/grammar.py)
and the note through the same check (`check_note`), so the form accepts and refuses what
chat does; the handler then applies the community's limits. `form_errors` says which
field a refusal belongs to, so a platform that can show errors next to a field (Slack's
`response_action: errors`) does, and the rest say it in a private reply.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands import Tip
from bot.grammar import parse
from bot.grammar_words import check_note
from bot.invocation import UserRef
from bot.reply import Reply
from ledger.errors import Refusal

AMOUNT = "amount"
HOW = "how"
NOTE = "note"
ONCE, WEEKLY = "once", "weekly"
NOTE_LENGTH = 500
AMOUNT_LENGTH = 40
NOT_AN_AMOUNT = "Type only an amount here, like 1, 1.50, $1.50 or 1.50 USD."
BOT_AUTHOR = "Bots can't receive tips; pick a member's message."
OWN_MESSAGE = "You can't tip yourself."
# Refusals the form's amount can fix: shown next to the amount rather than as a message.
AMOUNT_CODES = frozenset({"malformed_amount", "over_limit", "insufficient_balance", "invalid"})


class FormError(Exception):
    """One field's value is refused; `field` is AMOUNT, HOW or NOTE."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class TipForm:
    """What the member filled in, as the platform handed it over (untrusted text)."""

    amount: str | None
    how: str | None  # ONCE | WEEKLY
    note: str | None


def author_refusal(author_id: str | None, author_is_bot: bool, tipper_id: str) -> str | None:
    """Why this message's author can't be tipped from it (as `/tip` would say), or None."""
    if not author_id or author_is_bot:
        return BOT_AUTHOR
    if author_id == tipper_id:
        return OWN_MESSAGE
    return None


def tip_command(author: UserRef, form: TipForm) -> Tip:
    """The `/tip @author AMOUNT [once] note` command the form means; FormError when a field is refused."""
    amount = (form.amount or "").strip()
    if not amount:
        raise FormError(AMOUNT, "How much? For example 1 or 1.50.")
    if len(amount) > AMOUNT_LENGTH:
        raise FormError(AMOUNT, NOT_AN_AMOUNT)
    how = (form.how or "").strip().lower()
    if how not in (ONCE, WEEKLY):
        raise FormError(HOW, "Choose once (a one-off tip now) or weekly.")
    note = (form.note or "").strip() or None
    if note is not None:
        if len(note) > NOTE_LENGTH:
            raise FormError(NOTE, f"A note is at most {NOTE_LENGTH} characters.")
        try:
            check_note(note)
        except Refusal as error:
            raise FormError(NOTE, error.message) from None
    mention = f"<@{author.platform_user_id}>"
    try:
        parsed = parse(f"{mention} {amount}" + (f" {ONCE}" if how == ONCE else ""))
    except Refusal as error:
        raise FormError(AMOUNT, error.message) from None
    if (not isinstance(parsed, Tip) or len(parsed.recipients) != 1 or parsed.note is not None
            or parsed.anonymous is not None or parsed.confirmed or parsed.once != (how == ONCE)):
        raise FormError(AMOUNT, NOT_AN_AMOUNT)  # more than an amount: `1 2`, `1 anonymous`, ...
    return Tip(recipients=(author,), amount_text=parsed.amount_text, once=how == ONCE, note=note)


def form_errors(reply: Reply) -> dict[str, str] | None:
    """The field a refused reply belongs to, with its text; None for a refusal no field can fix."""
    if reply.ok or reply.code not in AMOUNT_CODES:
        return None
    return {AMOUNT: reply.text}

