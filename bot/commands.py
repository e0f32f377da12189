"""The neutral command model: what `/tip ...` means, whatever platform it came from.

The text parser (bot.grammar) produces these; a platform with typed options
(Discord) may build them directly. Amounts stay text here: the handler parses them
against the community's currency, so every platform gets the same validation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

from bot.invocation import UserRef
from bot.project_commands import (
    AddProject, AdminSpotlight, ListProjects, RemoveMaintainer, SetPackages, SetTake, ShowProject, Stack, TipProject,
)


@dataclass(frozen=True)
class Tip:
    """`/tip @a [@b ...] AMOUNT [once] [note]`"""

    recipients: tuple[UserRef, ...]
    amount_text: str
    once: bool = False
    note: str | None = None
    confirmed: bool = False  # a large weekly tip, confirmed (button, or `confirm` typed)
    # `anonymous`: True; `named`: False; None: a running weekly tip keeps what it was (new: named)
    anonymous: bool | None = None


@dataclass(frozen=True)
class ShowList:
    """`/tip` or `/tip list`: tips given and received, balance, next payday."""


@dataclass(frozen=True)
class ShowBalance:
    pass


@dataclass(frozen=True)
class ShowHistory:
    limit: int = 10
    csv: bool = False  # all of it, as a CSV file


@dataclass(frozen=True)
class ShowStatement:
    year: int | None = None  # None: this year


@dataclass(frozen=True)
class ShowHelp:
    topic: str | None = None


@dataclass(frozen=True)
class SetReceiving:
    on: bool


@dataclass(frozen=True)
class SetReceipts:
    """`/tip receipts on|off`: a receipt by direct message after each payday that moved my money."""

    on: bool


@dataclass(frozen=True)
class Fund:
    amount_text: str | None = None


@dataclass(frozen=True)
class Payout:
    pass


@dataclass(frozen=True)
class Link:
    code: str | None = None


@dataclass(frozen=True)
class AdminCredit:
    user: UserRef
    amount_text: str
    note: str | None = None


@dataclass(frozen=True)
class AdminDebit:
    user: UserRef
    amount_text: str
    note: str | None = None


@dataclass(frozen=True)
class AdminChannel:
    channel_id: str
    channel_name: str | None = None


@dataclass(frozen=True)
class AdminPayday:
    action: Literal["status", "dry-run", "now"] = "status"


@dataclass(frozen=True)
class AdminLimits:
    max_weekly_text: str | None = None
    max_once_text: str | None = None


@dataclass(frozen=True)
class AdminFunding:
    mode: str


@dataclass(frozen=True)
class AdminFundingMinimum:
    amount_text: str | None = None  # None: show it


@dataclass(frozen=True)
class AdminInvite:
    pass


@dataclass(frozen=True)
class AdminJoin:
    code: str


@dataclass(frozen=True)
class SetProfile:
    """`/tip profile public|private`: whether leaderboards (and pages) name me."""

    public: bool | None = None  # None: say what it is


@dataclass(frozen=True)
class ShowTop:
    """`/tip top [week|month|year|all] [given|received]`"""

    period: Literal["week", "month", "year", "all"] = "week"
    received: bool = True


@dataclass(frozen=True)
class AdminTop:
    """`/tip admin top amounts|counts`: what leaderboards show."""

    shows: str


@dataclass(frozen=True)
class AdminWeb:
    """`/tip admin web [public|private]`: whether the community's web pages and badges are served."""

    public: bool | None = None  # None: say what it is


@dataclass(frozen=True)
class AdminReactions:
    """`/tip admin reactions [:emoji: AMOUNT | remove :emoji: | cap AMOUNT]`"""

    emoji: str | None = None  # None: list
    amount_text: str | None = None
    remove: bool = False
    cap_text: str | None = None


Command = Union[
    Tip, ShowList, ShowBalance, ShowHistory, ShowStatement, ShowHelp, SetReceiving, SetReceipts, Fund, Payout, Link,
    AdminCredit, AdminDebit, AdminChannel, AdminPayday, AdminLimits, AdminFunding, AdminFundingMinimum, AdminInvite,
    AdminJoin,
    TipProject, ListProjects, ShowProject, AddProject, RemoveMaintainer, SetPackages, SetTake, Stack, AdminSpotlight,
    SetProfile, ShowTop, AdminTop, AdminReactions, AdminWeb,
]
