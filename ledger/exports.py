"""Statements and exports: a member's history as rows, given and received by month, and a
community's every transfer, streamed.

`export_transfers` is one SELECT read with a server-side cursor (`stream_results`,
`yield_per`): PostgreSQL sends rows in batches and SQLite steps its cursor, so memory
stays flat whatever the number of transfers, and the rows are one consistent snapshot.
Each batch can be given what the ledger itself knows nothing about: `references` (a
funding adapter's ids for the transfers, e.g. Stripe's) and `payday_of` (the payday of a
transfer recorded without one, e.g. a Stripe payout).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ledger.models import accounts, members, paydays, transfers
from ledger.money import decimal_string

BATCH_ROWS = 10_000
EXPORT_FIELDS = ("transfer_id", "created_at", "kind", "amount", "currency", "from", "to", "payday_week",
                 "note", "external_ids")
HISTORY_FIELDS = ("transfer_id", "created_at", "kind", "amount", "currency", "other", "note")
ANONYMOUS = "someone (anonymous)"  # the `other` of a tip received anonymously
MEMBER_KINDS = ("tip", "once")  # what a statement counts as given and received

# (rows of one batch) -> {transfer id: "ch_... pi_..."}: ids outside the ledger
References = Callable[[sa.Connection, Sequence[Mapping[str, Any]]], Mapping[int, str]]
# (rows of one batch) -> {transfer id: payday id}, for transfers whose payday_id is empty
Paydays = Callable[[sa.Connection, Sequence[Mapping[str, Any]]], Mapping[int, int]]


def _side(alias_member: sa.Alias, alias_account: sa.Alias) -> sa.ColumnElement[str]:
    """A transfer end as people read it: the member's name, else the outside account's kind."""
    return sa.func.coalesce(alias_member.c.display_name, alias_account.c.kind)


def export_transfers(conn: sa.Connection, community_id: int, *, since: dt.date | None = None,
                     references: References | None = None,
                     payday_of: Paydays | None = None) -> Iterator[dict[str, Any]]:
    """Every transfer of the community (from `since`, a UTC date), oldest first, as dicts of
    EXPORT_FIELDS. A generator: read it while `conn` stays open."""
    from_member, to_member = members.alias("from_member"), members.alias("to_member")
    from_account, to_account = accounts.alias("from_account"), accounts.alias("to_account")
    query = (
        sa.select(transfers.c.id, transfers.c.created_at, transfers.c.kind, transfers.c.amount_minor,
                  transfers.c.currency, transfers.c.from_account_id, transfers.c.to_account_id,
                  transfers.c.payday_id, transfers.c.note, paydays.c.week_start,
                  _side(from_member, from_account).label("from_name"), _side(to_member, to_account).label("to_name"))
        .join(from_account, from_account.c.id == transfers.c.from_account_id)
        .join(to_account, to_account.c.id == transfers.c.to_account_id)
        .outerjoin(from_member, from_member.c.id == transfers.c.from_account_id)
        .outerjoin(to_member, to_member.c.id == transfers.c.to_account_id)
        .outerjoin(paydays, paydays.c.id == transfers.c.payday_id)
        .where(transfers.c.community_id == community_id)
        .order_by(transfers.c.id)
    )
    if since is not None:
        query = query.where(transfers.c.created_at >= dt.datetime.combine(since, dt.time(), dt.timezone.utc))
    weeks: dict[int, dt.date] = {}  # payday id -> week, for what `payday_of` names
    result = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(query)
    for batch in result.partitions():
        rows = [row._mapping for row in batch]
        refs = references(conn, rows) if references is not None else {}
        named = payday_of(conn, rows) if payday_of is not None else {}
        if missing := set(named.values()) - set(weeks):
            weeks.update((row.id, row.week_start) for row in conn.execute(
                sa.select(paydays.c.id, paydays.c.week_start).where(paydays.c.id.in_(sorted(missing)))))
        for row in rows:
            week = row["week_start"] or weeks.get(named.get(row["id"]))
            yield {
                "transfer_id": row["id"], "created_at": _iso(row["created_at"]), "kind": row["kind"],
                "amount": decimal_string(row["amount_minor"], row["currency"]), "currency": row["currency"],
                "from": row["from_name"], "to": row["to_name"],
                "payday_week": week.isoformat() if week else "",
                "note": row["note"] or "", "external_ids": refs.get(row["id"], ""),
            }


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def member_history(conn: sa.Connection, member_id: int) -> list[dict[str, Any]]:
    """All of a member's transfers, oldest first, signed from their point of view (HISTORY_FIELDS).
    An anonymous tip's payee never sees its payer's name: "other" is `ANONYMOUS` there."""
    other_member, other_account = members.alias("other_member"), accounts.alias("other_account")
    other_id = sa.case((transfers.c.from_account_id == member_id, transfers.c.to_account_id),
                       else_=transfers.c.from_account_id)
    # An anonymous tip's payee never sees its payer's name (as in the chat history, ledger/queries.py).
    hidden = sa.and_(transfers.c.anonymous, transfers.c.to_account_id == member_id)
    other_name = sa.case((hidden, ANONYMOUS), else_=_side(other_member, other_account))
    rows = conn.execute(
        sa.select(transfers, other_name.label("other_name"))
        .join(other_account, other_account.c.id == other_id)
        .outerjoin(other_member, other_member.c.id == other_id)
        .where(sa.or_(transfers.c.from_account_id == member_id, transfers.c.to_account_id == member_id))
        .order_by(transfers.c.id))
    return [
        {"transfer_id": r.id, "created_at": _iso(r.created_at), "kind": r.kind,
         "amount": decimal_string(-r.amount_minor if r.from_account_id == member_id else r.amount_minor, r.currency),
         "currency": r.currency, "other": r.other_name, "note": r.note or ""}
        for r in rows
    ]


def statement(conn: sa.Connection, member_id: int, year: int) -> list[tuple[int, int, int]]:
    """(month, given_minor, received_minor) for each month of `year` (UTC) with either:
    weekly and one-off tips, given and received."""
    start = dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.timezone.utc)
    month = sa.extract("month", transfers.c.created_at).label("month")
    given = sa.func.sum(sa.case((transfers.c.from_account_id == member_id, transfers.c.amount_minor), else_=0))
    received = sa.func.sum(sa.case((transfers.c.to_account_id == member_id, transfers.c.amount_minor), else_=0))
    rows = conn.execute(
        sa.select(month, given.label("given"), received.label("received"))
        .where(sa.or_(transfers.c.from_account_id == member_id, transfers.c.to_account_id == member_id),
               transfers.c.kind.in_(MEMBER_KINDS), transfers.c.created_at >= start, transfers.c.created_at < end)
        .group_by(month).order_by(month))
    return [(int(r.month), int(r.given), int(r.received)) for r in rows]


def write_csv(rows: Iterable[Mapping[str, Any]], fields: Sequence[str], out: io.TextIOBase) -> int:
    """Rows as CSV with a header line (RFC 4180 quoting); returns how many rows."""
    # extrasaction="ignore": no per-row check for unknown keys (the rows are ours).
    writer = csv.DictWriter(out, fieldnames=list(fields), lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def write_jsonl(rows: Iterable[Mapping[str, Any]], out: io.TextIOBase) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count
