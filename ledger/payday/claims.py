"""Sharing the paydays due at one moment among every process that runs the scheduler.

A claim says "this process runs and announces this community's due payday now".
On PostgreSQL it is a session advisory lock (`CLAIM_NAMESPACE`, community id) taken
with `pg_try_advisory_lock` on one connection the process keeps for its claims:
- a claim held elsewhere is skipped, never waited for (SKIP LOCKED, for locks that
  outlive a transaction: a payday spans many), so processes spread over the due list;
- it dies with the session: when a claimant is killed (or its machine vanishes and
  TCP keepalives end its connection) the server releases its claims at once, and the
  next look of any other process takes those communities over (the payday resumes from
  its last committed stage; the announcement is taken over, see schedule.py).
Claims only spread the work: exactly once is still the unique (community, week) payday
row, the driver's advisory lock and the stage checks (engine.py).

SQLite: one process writes (BEGIN IMMEDIATE), so every claim is granted.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

import sqlalchemy as sa

from ledger.api import Ledger

log = logging.getLogger(__name__)

CLAIM_NAMESPACE = 7_461_013  # first key of pg_advisory_lock(int, int): "payday claim"


_CLAIM = sa.text("SELECT pg_try_advisory_lock(:ns, :id)")
_RELEASE = sa.text("SELECT pg_advisory_unlock(:ns, :id)")
# PostgreSQL evaluates only the CASE branch it needs: no lock is taken for a finished payday.
_CLAIM_UNLESS_ANNOUNCED = sa.text("""
SELECT CASE WHEN EXISTS (
    SELECT 1 FROM paydays p JOIN payday_stages s ON s.payday_id = p.id AND s.stage = 'announced'
    WHERE p.community_id = :id AND p.week_start = :week_start AND p.stage = 'done')
THEN NULL ELSE pg_try_advisory_lock(:ns, :id) END
""").bindparams(sa.bindparam("week_start", type_=sa.Date))


class PaydayClaims:
    """This process's claims; thread-safe (scheduler workers claim from worker threads)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._lock = threading.Lock()
        self._conn: sa.Connection | None = None
        self._held: set[int] = set()

    @property
    def shared(self) -> bool:
        """Whether other processes may claim too (PostgreSQL)."""
        return self.ledger.dialect == "postgresql"

    def try_claim(self, community_id: int, week_start: dt.date | None = None) -> bool | None:
        """True when this process now holds the community's claim; False when another one
        does; None, with `week_start`, when that week's payday is already done and announced
        (another process ran it since this one listed what was due): nothing left to claim.
        One statement either way: with several processes each walks the whole due list, and
        about half of it was done by the others."""
        if not self.shared:
            return True
        with self._lock:
            if community_id in self._held:
                return False  # another worker of this process has it
            if week_start is None:
                got = self._execute(_CLAIM, community_id)
            else:
                got = self._execute(_CLAIM_UNLESS_ANNOUNCED, community_id, week_start=week_start)
                if got is None:
                    return None
            if got:
                self._held.add(community_id)
            return bool(got)

    def release(self, community_id: int) -> None:
        if not self.shared:
            return
        with self._lock:
            if community_id not in self._held:
                return
            self._held.discard(community_id)
            self._execute(_RELEASE, community_id)

    def close(self) -> None:
        """Give every claim back (closing the session releases them all)."""
        with self._lock:
            if self._conn is not None:
                try:  # a pooled connection keeps its session: unlock before giving it back
                    self._conn.execute(sa.text("SELECT pg_advisory_unlock_all()"))
                finally:
                    self._conn.close()
            self._conn = None
            self._held.clear()

    def _execute(self, statement: sa.TextClause, community_id: int, **params: object) -> object:
        try:
            if self._conn is None:
                self._conn = self.ledger.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            return self._conn.execute(statement, {"ns": CLAIM_NAMESPACE, "id": community_id, **params}).scalar()
        except sa.exc.DBAPIError:
            # The session is gone, and every claim with it: start again on a new one.
            log.warning("the payday claims connection failed; its claims are released")
            if self._conn is not None:
                self._conn.invalidate()
                self._conn.close()
            self._conn = None
            self._held.clear()
            raise
