"""The words every part of the `/tip` grammar reads (bot/grammar.py, bot/project_grammar.py):
what text a command may hold, member mentions, amounts, notes, and what is left over."""

from __future__ import annotations

import re
import unicodedata

from bot.invocation import UserRef
from ledger.errors import InvalidRequest, MalformedAmount
from ledger.money import CURRENCY_EXPONENTS

MAX_TEXT = 4000  # Slack's own limit for a message; nothing longer is a command
MAX_NAME = 80  # identities hold 100 characters; names longer than this are typos
# Slack `<@U123|name>` / `<@U123>`, Discord `<@123>` / `<@!123>`.
_ESCAPED_USER = re.compile(r"<@!?([A-Za-z0-9_.\-]{1,64})(?:\|([^<>|]{0,80}))?>\Z")
_BARE_USER = re.compile(r"@([^\W][\w.\-']*)\Z")
AMOUNT_START = re.compile(r"[$€£¥₹]?[0-9]")
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}
# Bidirectional formatting characters (UAX #9) that reorder how the text around them is
# shown ("Trojan Source"): embeddings, overrides and isolates, refused anywhere in a
# command; with the marks (LRM, RLM, ALM), escaped wherever the console prints them.
BIDI_OVERRIDES = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
BIDI_CONTROLS = BIDI_OVERRIDES | {"\u200e", "\u200f", "\u061c"}
# Invisible format characters a note may keep: joiners (emoji sequences, Persian) and
# tag characters (subdivision flags such as Scotland's).
_NOTE_FORMAT_ALLOWED = frozenset({"\u200c", "\u200d", *(chr(c) for c in range(0xE0020, 0xE0080))})


def check_text(text: str) -> None:
    """Refuse text no command contains: control characters, lone surrogates, or too much of it.

    Handlers also call it on notes that platforms with typed options (Discord) pass directly.
    """
    if len(text) > MAX_TEXT:
        raise InvalidRequest(f"That is too long for a command (at most {MAX_TEXT} characters).")
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc" and char not in _ALLOWED_CONTROLS or category == "Cs":
            raise InvalidRequest("That command contains control characters; type it again as plain text.")
        if char in BIDI_OVERRIDES:
            raise InvalidRequest(_invisible_refusal(char))


def check_note(note: str) -> None:
    """Refuse a note that could show other than it reads: everything `check_text` refuses,
    plus direction marks and other invisible format characters (zero-width space, BOM...).
    Every platform's note passes here, typed (Discord) or parsed from text (Slack, console)."""
    check_text(note)
    for char in note:
        if char in BIDI_CONTROLS or (unicodedata.category(char) in ("Cf", "Zl", "Zp")
                                     and char not in _NOTE_FORMAT_ALLOWED):
            raise InvalidRequest(_invisible_refusal(char))


def _invisible_refusal(char: str) -> str:
    name = unicodedata.name(char, "a format character")
    return (f"That contains an invisible character that can change how text is shown (U+{ord(char):04X} {name}); "
            f"type it again without it.")


def shown(token: str) -> str:
    token = token.replace("`", "'")
    return token if len(token) <= 30 else token[:27] + "..."


def is_mention(token: str) -> bool:
    return token.startswith("<@") or token.startswith("@")


def mention(token: str) -> UserRef:
    """One member mention, escaped by the platform or bare (`@name`)."""
    token = token.rstrip(",;")
    m = _ESCAPED_USER.match(token)
    if m:
        name = (m[2] or "").strip() or None
        return UserRef(platform_user_id=m[1], name=name)
    m = _BARE_USER.match(token)
    if m:
        name = m[1].rstrip(".'")
        if len(name) > MAX_NAME:
            raise InvalidRequest(f"That name is too long (at most {MAX_NAME} characters).")
        if name:
            return UserRef(platform_user_id=name, name=name, bare=True)
    raise InvalidRequest(f"`{shown(token)}` is not a member mention. Mention someone like `@name`.")


def amount(tokens: list[str], usage: str) -> tuple[str, list[str]]:
    """The amount at the front of `tokens` (`1.50 USD` is two words); returns it and the rest."""
    if not tokens:
        raise InvalidRequest(f"How much? For example `{usage}`.")
    first = tokens[0]
    if is_mention(first):
        raise InvalidRequest(f"Put the amount after the members, like `{usage}`.")
    if first.startswith("-"):
        raise MalformedAmount("Amounts cannot be negative. Use 0 to end a weekly tip.")
    if first.lower() in TIP_FLAGS:
        raise InvalidRequest(f"Put `{first.lower()}` after the amount, like `{usage} {first.lower()}`.")
    if not AMOUNT_START.match(first):
        raise MalformedAmount(f"`{shown(first)}` is not an amount. For example `{usage}`.")
    if len(tokens) > 1 and tokens[1].upper() in CURRENCY_EXPONENTS and not first[-1].isalpha():
        return f"{first} {tokens[1]}", tokens[2:]
    return first, tokens[1:]


def note(tokens: list[str]) -> str | None:
    return " ".join(tokens) or None


def no_more(tokens: list[str], usage: str) -> None:
    if tokens:
        raise InvalidRequest(f"I didn't expect `{shown(' '.join(tokens))}` there. Usage: `{usage}`.")


TIP_FLAGS = ("once", "confirm", "anonymous", "named")
