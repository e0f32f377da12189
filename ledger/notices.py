"""An outbox of messages for members, written in the same transaction as their cause.

The payday runs in worker threads and may crash; chat platforms are reached later,
asynchronously. Queuing a notice in the database first means a decline's "how to fix
it" message is never lost and, with the unique key, never sent twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ledger.book import Book
from ledger.models import BigId, UtcTime, metadata

MAX_NOTICE_LENGTH = 1000

member_notices = sa.Table(
    "member_notices", metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("member_id", BigId, sa.ForeignKey("members.id"), nullable=False),
    sa.Column("dedupe_key", sa.String(255), nullable=False, unique=True),
    sa.Column("text", sa.String(MAX_NOTICE_LENGTH), nullable=False),
    sa.Column("created_at", UtcTime(), nullable=False, server_default=sa.func.current_timestamp()),
    sa.Column("sent_at", UtcTime()),
    sa.Index("ix_member_notices_unsent", "community_id", "sent_at"),
)


def queue_notices(book: Book, notices: Iterable[tuple[int, str]], *, dedupe_prefix: str) -> int:
    """Queue (member id, text) notices; a notice already queued under the same key is skipped.
    Returns how many were new."""
    queued = 0
    for member_id, text in notices:
        member = book.member(member_id)
        key = f"{dedupe_prefix}:{member_id}:{hash_text(text)}"
        try:
            with book.conn.begin_nested():
                book.conn.execute(member_notices.insert().values(
                    community_id=member.community_id, member_id=member_id, dedupe_key=key[:255],
                    text=text[:MAX_NOTICE_LENGTH], created_at=book.clock.now()))
            queued += 1
        except IntegrityError:
            pass
    return queued


def unsent_notices(book: Book, community_id: int, limit: int = 1000) -> list[tuple[int, int, str]]:
    """(notice id, member id, text) not yet handed to a platform, oldest first."""
    rows = book.conn.execute(
        sa.select(member_notices.c.id, member_notices.c.member_id, member_notices.c.text)
        .where(member_notices.c.community_id == community_id, member_notices.c.sent_at.is_(None))
        .order_by(member_notices.c.id).limit(limit)
    )
    return [(r.id, r.member_id, r.text) for r in rows]


def mark_sent(book: Book, notice_id: int) -> bool:
    """Claim a notice for sending; False if another process already did."""
    return book.conn.execute(
        member_notices.update().where(member_notices.c.id == notice_id, member_notices.c.sent_at.is_(None))
        .values(sent_at=book.clock.now())
    ).rowcount == 1


def hash_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
