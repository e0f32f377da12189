"""Plain records the ledger API returns: no SQLAlchemy objects leak out."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from ledger.money import Money


@dataclass(frozen=True)
class Community:
    id: int
    name: str
    currency: str
    funding_mode: str
    payday_cron: str
    max_weekly_minor: int
    max_once_minor: int
    min_charge_minor: int

    def money(self, amount_minor: int) -> Money:
        return Money(amount_minor, self.currency)


@dataclass(frozen=True)
class Space:
    id: int
    community_id: int
    platform: str
    external_id: str
    name: str | None
    summary_channel_id: str | None
    summary_channel_name: str | None


@dataclass(frozen=True)
class Member:
    """A member of one community; `id` is also their account's id."""

    id: int
    community_id: int
    display_name: str
    receiving: bool


@dataclass(frozen=True)
class TipChange:
    tipper_id: int
    tippee_id: int
    tippee_name: str
    old_weekly_minor: int
    new_weekly_minor: int
    currency: str
    pledge: bool  # the tippee does not receive yet: recorded, not paid
    notify_pledge: bool  # first pledge to this tippee: tell them once
    unchanged: bool = False
    anonymous: bool = False  # the tippee is not told who tips them

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TipLine:
    """A current weekly tip as members see it."""

    other_id: int  # 0 for a tip received anonymously
    other_name: str | None  # None for a tip received anonymously
    weekly_amount_minor: int
    ctime: dt.datetime
    pledge: bool
    anonymous: bool = False


@dataclass(frozen=True)
class HistoryLine:
    transfer_id: int
    created_at: dt.datetime
    kind: str
    amount_minor: int  # signed, from the member's point of view
    other_name: str | None  # None for an anonymous tip received
    note: str | None
    anonymous: bool = False


@dataclass(frozen=True)
class Outcome:
    """What a repeatable call returned; `repeated` when a replay found it recorded."""

    value: Any
    repeated: bool = False
