"""The `/tip` text grammar (docs/architecture.md, "Commands") -> a `bot.commands` Command.

`parse` is total: for any text it returns a Command or raises a
`ledger.errors.Refusal` whose message tells the member what to type instead.
Amounts stay text here (the handler parses them in the community's currency);
the grammar only decides which words are the amount.
"""

from __future__ import annotations

import re
import unicodedata

from bot import commands as c
from bot import grammar_words as w
from bot import project_grammar  # projects' words; a bare word names a project
from bot.grammar_words import MAX_NAME, TIP_FLAGS, check_text
from bot.invocation import UserRef
from ledger.errors import InvalidRequest
from ledger.transfers import MAX_RECIPIENTS

MAX_CODE = 100
HELP = "Try `/tip help`."

# `<...>` (a platform's escaped mention or channel) is one token, whatever it holds.
_TOKEN = re.compile(r"<[^<>]*>|[^\s<]+|<")
# Slack `<#C123|name>` / `<#C123>`, Discord `<#123>`, console `#name`.
_ESCAPED_CHANNEL = re.compile(r"<#([A-Za-z0-9_\-]{1,64})(?:\|([^<>|]{0,80}))?>\Z")
_BARE_CHANNEL = re.compile(r"#([^\W][\w.\-]*)\Z")
_NUMBER = re.compile(r"[0-9]{1,6}\Z")
_CODE = re.compile(r"[A-Za-z0-9_\-]{1,%d}\Z" % MAX_CODE)
_MODE = re.compile(r"[a-z][a-z0-9_\-]{0,29}\Z")  # a funding mode: which ones exist is the handler's to say
_PROJECT_NAME = re.compile(r"[a-z0-9._-]{1,40}\Z")  # ledger.projects checks the rest


def parse(text: str) -> c.Command:
    """Parse what a member typed after `/tip` (a leading `/tip` is accepted too)."""
    if not isinstance(text, str):
        raise InvalidRequest(f"A command is text. {HELP}")
    check_text(text)
    tokens = _TOKEN.findall(text)
    if tokens and tokens[0].lower() in ("/tip", "/tips"):
        tokens = tokens[1:]
    if not tokens:
        return c.ShowList()
    word = tokens[0].lower()
    rest = tokens[1:]
    if w.is_mention(tokens[0]):
        return _tip(tokens)
    simple = _SIMPLE.get(word)
    if simple is not None:
        return simple(rest)
    if word == "admin":
        return _admin(rest)
    projects = project_grammar.WORDS.get(word)
    if projects is not None:
        return projects(rest)
    if w.AMOUNT_START.match(tokens[0]):
        raise InvalidRequest(f"Name the member first, then the amount: `/tip @name {tokens[0]}`.")
    if _PROJECT_NAME.match(word):
        return project_grammar.parse_bare_name(tokens)
    raise InvalidRequest(f"I don't know the command `{w.shown(tokens[0])}`. {HELP}")


# characters and shapes


def _channel(token: str) -> c.AdminChannel:
    m = _ESCAPED_CHANNEL.match(token)
    if m:
        return c.AdminChannel(channel_id=m[1], channel_name=(m[2] or "").strip() or None)
    m = _BARE_CHANNEL.match(token)
    if m and len(m[1]) <= MAX_NAME:
        return c.AdminChannel(channel_id=m[1], channel_name=m[1])
    raise InvalidRequest(f"`{w.shown(token)}` is not a channel. "
                         f"Name it like `#general`: `/tip admin channel #general`.")


# /tip @a [@b ...] AMOUNT [once] [confirm] [anonymous|named] [note]



def _tip(tokens: list[str]) -> c.Tip:
    recipients: list[UserRef] = []
    index = 0
    while index < len(tokens) and w.is_mention(tokens[index]):
        recipients.append(w.mention(tokens[index]))
        index += 1
    if len(recipients) > MAX_RECIPIENTS:
        raise InvalidRequest(f"Tip at most {MAX_RECIPIENTS} members at once.")
    ids = [r.platform_user_id for r in recipients]
    if len(set(ids)) != len(ids):
        raise InvalidRequest("Each member can appear only once in one tip.")
    first = recipients[0].name or recipients[0].platform_user_id
    amount_text, rest = w.amount(tokens[index:], f"/tip @{first} 1")
    once = confirmed = False
    anonymous: bool | None = None
    while rest and rest[0].lower() in TIP_FLAGS:
        flag = rest[0].lower()
        if flag == "once":
            once = True
        elif flag == "confirm":
            confirmed = True
        else:
            if anonymous is not None and anonymous != (flag == "anonymous"):
                raise InvalidRequest("Say `anonymous` or `named`, not both.")
            anonymous = flag == "anonymous"
        rest = rest[1:]
    return c.Tip(tuple(recipients), amount_text, once=once, note=w.note(rest), confirmed=confirmed,
                 anonymous=anonymous)


# the other member commands


def _list(rest: list[str]) -> c.Command:
    w.no_more(rest, "/tip list")
    return c.ShowList()


def _balance(rest: list[str]) -> c.Command:
    w.no_more(rest, "/tip balance")
    return c.ShowBalance()


def _history(rest: list[str]) -> c.Command:
    if not rest:
        return c.ShowHistory()
    if rest[0].lower() == "csv":
        w.no_more(rest[1:], "/tip history csv")
        return c.ShowHistory(csv=True)
    w.no_more(rest[1:], "/tip history 20")
    if not _NUMBER.match(rest[0]) or not 1 <= int(rest[0]) <= 100:
        raise InvalidRequest("Show between 1 and 100 entries, like `/tip history 20`, or all of it as a file: "
                             "`/tip history csv`.")
    return c.ShowHistory(limit=int(rest[0]))


def _statement(rest: list[str]) -> c.Command:
    if not rest:
        return c.ShowStatement()
    w.no_more(rest[1:], "/tip statement 2026")
    if not re.fullmatch(r"\d{4}", rest[0]) or not 2000 <= int(rest[0]) <= 2999:
        raise InvalidRequest("Which year? For example `/tip statement 2026`.")
    return c.ShowStatement(year=int(rest[0]))


def _help(rest: list[str]) -> c.Command:
    topic = " ".join(rest).lower()[:40] or None
    return c.ShowHelp(topic=topic)


def _receive(rest: list[str]) -> c.Command:
    if len(rest) == 1 and rest[0].lower() in ("on", "off"):
        return c.SetReceiving(on=rest[0].lower() == "on")
    raise InvalidRequest("Say `/tip receive on` to receive tips, or `/tip receive off` to stop.")


def _receipts(rest: list[str]) -> c.Command:
    if len(rest) == 1 and rest[0].lower() in ("on", "off"):
        return c.SetReceipts(on=rest[0].lower() == "on")
    raise InvalidRequest("Say `/tip receipts on` to get a receipt by direct message after each payday, "
                         "or `/tip receipts off` to stop.")


def _fund(rest: list[str]) -> c.Command:
    if not rest:
        return c.Fund()
    amount_text, rest = w.amount(rest, "/tip fund 20")
    w.no_more(rest, "/tip fund [AMOUNT]")
    return c.Fund(amount_text=amount_text)


def _payout(rest: list[str]) -> c.Command:
    w.no_more(rest, "/tip payout")
    return c.Payout()


def _link(rest: list[str]) -> c.Command:
    if not rest:
        return c.Link()
    w.no_more(rest[1:], "/tip link CODE")
    if not _CODE.match(rest[0]):
        raise InvalidRequest("A link code is letters and digits, like `/tip link 4F7QX2`.")
    return c.Link(code=rest[0])


def _profile(rest: list[str]) -> c.Command:
    if not rest:
        return c.SetProfile()
    if len(rest) == 1 and rest[0].lower() in ("public", "private"):
        return c.SetProfile(public=rest[0].lower() == "public")
    raise InvalidRequest("Say `/tip profile public` to appear by name on leaderboards, "
                         "or `/tip profile private` (the default) not to.")


TOP_PERIODS = ("week", "month", "year", "all")


def _top(rest: list[str]) -> c.Command:
    usage = "/tip top [week|month|year|all] [given|received]"
    period, side = "week", "received"
    seen: set[str] = set()
    for word in (w.lower() for w in rest):
        kind = "period" if word in TOP_PERIODS else "side" if word in ("given", "received") else None
        if kind is None or kind in seen:
            raise InvalidRequest(f"Usage: `{usage}`.")
        seen.add(kind)
        if kind == "period":
            period = word
        else:
            side = word
    return c.ShowTop(period=period, received=side == "received")  # type: ignore[arg-type]


_SIMPLE = {
    "list": _list, "tips": _list, "balance": _balance, "history": _history, "statement": _statement,
    "help": _help,
    "receive": _receive, "receipts": _receipts, "fund": _fund, "payout": _payout, "link": _link,
    "profile": _profile, "top": _top,
}


# /tip admin ...

ADMIN_USAGE = (
    "Admin commands: `admin credit @name AMOUNT [note]`, `admin debit @name AMOUNT [note]`, "
    "`admin channel #channel`, `admin payday [status|dry-run|now]`, "
    "`admin limits [max-weekly AMOUNT] [max-once AMOUNT]`, `admin funding MODE`, "
    "`admin funding minimum [AMOUNT]`, "
    "`admin invite`, `admin join CODE`, `admin spotlight on|off`, `admin top amounts|counts`, "
    "`admin web public|private`, "
    "`admin reactions [:emoji: AMOUNT | remove :emoji: | cap AMOUNT]`."
)


def _admin(tokens: list[str]) -> c.Command:
    if not tokens:
        raise InvalidRequest(ADMIN_USAGE)
    sub, rest = tokens[0].lower(), tokens[1:]
    if sub in ("credit", "debit"):
        usage = f"/tip admin {sub} @name 10"
        if not rest or not w.is_mention(rest[0]):
            raise InvalidRequest(f"Whose balance? For example `{usage} [note]`.")
        user = w.mention(rest[0])
        amount_text, rest = w.amount(rest[1:], usage)
        kind = c.AdminCredit if sub == "credit" else c.AdminDebit
        return kind(user=user, amount_text=amount_text, note=w.note(rest))
    if sub == "channel":
        if len(rest) != 1:
            raise InvalidRequest("Name one channel: `/tip admin channel #general`.")
        return _channel(rest[0])
    if sub == "payday":
        action = rest[0].lower() if rest else "status"
        if len(rest) > 1 or action not in ("status", "dry-run", "now"):
            raise InvalidRequest("Usage: `/tip admin payday [status|dry-run|now]`.")
        return c.AdminPayday(action=action)  # type: ignore[arg-type]
    if sub == "limits":
        return _limits(rest)
    if sub == "funding" and rest and rest[0].lower() == "minimum":
        if len(rest) > 3:  # an amount is a number, perhaps with its currency: `10`, `10 USD`
            raise InvalidRequest("Usage: `/tip admin funding minimum` to see it, `/tip admin funding minimum 10` "
                                 "to set it.")
        return c.AdminFundingMinimum(amount_text=" ".join(rest[1:]) if len(rest) > 1 else None)
    if sub == "funding":
        if len(rest) != 1 or not _MODE.match(rest[0].lower()):
            raise InvalidRequest("Usage: `/tip admin funding MODE` (`manual`, or a payment service this "
                                 "Tipbot offers, such as `stripe`) or `/tip admin funding minimum [AMOUNT]`.")
        return c.AdminFunding(mode=rest[0].lower())
    if sub == "invite":
        w.no_more(rest, "/tip admin invite")
        return c.AdminInvite()
    if sub == "spotlight":
        return project_grammar.parse_spotlight(rest)
    if sub == "join":
        if len(rest) != 1 or not _CODE.match(rest[0]):
            raise InvalidRequest("Usage: `/tip admin join CODE`, with the code `/tip admin invite` gave you.")
        return c.AdminJoin(code=rest[0])
    if sub == "top":
        if len(rest) != 1 or rest[0].lower() not in ("amounts", "counts"):
            raise InvalidRequest("Usage: `/tip admin top amounts` or `/tip admin top counts`.")
        return c.AdminTop(shows=rest[0].lower())
    if sub == "reactions":
        return _reactions(rest)
    if sub == "web":
        if not rest:
            return c.AdminWeb()
        if len(rest) != 1 or rest[0].lower() not in ("public", "private"):
            raise InvalidRequest("Usage: `/tip admin web public` or `/tip admin web private`.")
        return c.AdminWeb(public=rest[0].lower() == "public")
    raise InvalidRequest(f"I don't know `admin {w.shown(sub)}`. {ADMIN_USAGE}")


# :emoji: (Slack, the console, a Discord unicode or custom emoji as the client sends it)
_EMOJI = re.compile(r":[a-z0-9_+\-']{1,60}:\Z|<a?:[A-Za-z0-9_]{1,40}:[0-9]{1,25}>\Z")
REACTIONS_USAGE = "/tip admin reactions :taco: 0.50"


def emoji_key(token: str) -> str:
    """The stored name of an emoji: `:taco:` -> `taco`; a Discord custom emoji `<:name:123>` -> `name:123`;
    a unicode emoji stays itself. Reaction events are matched on the same key."""
    token = token.strip()
    if token.startswith("<") and token.endswith(">"):
        return ":".join(token[1:-1].split(":")[1:])
    if token.startswith(":") and token.endswith(":") and len(token) > 2:
        return token[1:-1].lower()
    return token


def _is_emoji(token: str) -> bool:
    if _EMOJI.match(token):
        return True
    return 0 < len(token) <= 16 and all(unicodedata.category(ch) in ("So", "Sk", "Mn", "Cf") or ch == "\u200d"
                                         for ch in token) and any(unicodedata.category(ch) == "So" for ch in token)


def _reactions(rest: list[str]) -> c.AdminReactions:
    if not rest:
        return c.AdminReactions()
    first = rest[0].lower()
    if first == "remove":
        if len(rest) != 2 or not _is_emoji(rest[1]):
            raise InvalidRequest("Usage: `/tip admin reactions remove :taco:`.")
        return c.AdminReactions(emoji=emoji_key(rest[1]), remove=True)
    if first == "cap":
        amount_text, more = w.amount(rest[1:], "/tip admin reactions cap 5")
        w.no_more(more, "/tip admin reactions cap AMOUNT")
        return c.AdminReactions(cap_text=amount_text)
    if not _is_emoji(rest[0]):
        raise InvalidRequest(f"`{w.shown(rest[0])}` is not an emoji. For example `{REACTIONS_USAGE}`.")
    amount_text, more = w.amount(rest[1:], REACTIONS_USAGE)
    w.no_more(more, "/tip admin reactions :emoji: AMOUNT")
    return c.AdminReactions(emoji=emoji_key(rest[0]), amount_text=amount_text)


def _limits(rest: list[str]) -> c.AdminLimits:
    usage = "/tip admin limits max-weekly 100 max-once 50"
    values: dict[str, str] = {}
    while rest:
        key = rest[0].lower().replace("_", "-")
        if key not in ("max-weekly", "max-once"):
            raise InvalidRequest(f"Limits are `max-weekly` and `max-once`, like `{usage}`.")
        if key in values:
            raise InvalidRequest(f"`{key}` appears twice.")
        values[key], rest = w.amount(rest[1:], usage)
    return c.AdminLimits(max_weekly_text=values.get("max-weekly"), max_once_text=values.get("max-once"))
