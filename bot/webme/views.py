"""What /me shows, read from the ledger in one read transaction per page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.handlers.info import history_what
from bot.names import shown_name
from bot.webme.acting import Me
from ledger.book import Book
from ledger.money import decimal_string, format_money
from ledger.records import HistoryLine, TipLine
from ledger.signin import routes_from


@dataclass(frozen=True)
class TipRow:
    other_id: int
    name: str
    weekly: str  # formatted, e.g. "$1.00"
    weekly_decimal: str  # for the change form, e.g. "1.00"
    pledge: bool
    anonymous: bool


@dataclass(frozen=True)
class HistoryRow:
    transfer_id: int
    day: dt.date
    amount: str  # signed, formatted: "-$1.00"
    what: str
    note: str | None


@dataclass(frozen=True)
class Dashboard:
    balance: str
    receiving: bool
    profile_public: bool
    given: list[TipRow]
    received: list[TipRow]
    tippable: list[tuple[int, str]]  # (member id, name) of members I can tip
    history: list[HistoryRow]
    more_history: bool


@dataclass(frozen=True)
class HistoryPage:
    rows: list[HistoryRow]
    older_than: int | None  # the id to page on from, when there may be older rows


def dashboard(book: Book, me: Me, *, history_limit: int) -> Dashboard:
    member, currency = me.member, me.community.currency
    lines = book.history(member.id, history_limit + 1)
    return Dashboard(
        balance=book.balance(member.id).format(),
        receiving=member.receiving,
        profile_public=book.profile_public(member.id),
        given=[_tip_row(line, currency) for line in book.tips_given(member.id)],
        received=[_tip_row(line, currency) for line in book.tips_received(member.id)],
        tippable=[(route.member_id, route.their_name) for route in routes_from(book, member.id)],
        history=[history_row(line, currency) for line in lines[:history_limit]],
        more_history=len(lines) > history_limit,
    )


def history_page(book: Book, me: Me, size: int, before_id: int | None) -> HistoryPage:
    lines = book.history(me.member.id, size + 1, before_id=before_id)
    rows = [history_row(line, me.community.currency) for line in lines[:size]]
    return HistoryPage(rows, rows[-1].transfer_id if len(lines) > size else None)


def history_row(line: HistoryLine, currency: str) -> HistoryRow:
    return HistoryRow(line.transfer_id, line.created_at.date(), format_money(line.amount_minor, currency),
                      history_what(line), line.note)


def _tip_row(line: TipLine, currency: str) -> TipRow:
    return TipRow(line.other_id, shown_name(line.other_name), format_money(line.weekly_amount_minor, currency),
                  decimal_string(line.weekly_amount_minor, currency), line.pledge, line.anonymous)

