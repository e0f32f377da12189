"""Planning's hash joins for big rounds (ledger/payday/settle.py, HASH_JOIN_MIN_CANDIDATES):
a round with that many candidate tippers is planned with nested loops off, set back before
planning ends, and the books come out exactly as with the planner's own choice."""

from __future__ import annotations

import sqlalchemy as sa

from ledger.payday import settle
from tests.ledger.payday_helpers import book_state
from tests.ledger.test_payday_resume import backend_of, build, fresh_ledger


def test_big_rounds_are_planned_with_hash_joins_and_pay_the_same(request, db_url, tmp_path, monkeypatch):
    backend = backend_of(db_url)
    default = settle.HASH_JOIN_MIN_CANDIDATES
    outcomes, switches = {}, {}
    for threshold in (default, 1):  # 1: every round after the first counts as big
        monkeypatch.setattr(settle, "HASH_JOIN_MIN_CANDIDATES", threshold)
        ledger = fresh_ledger(request, backend, tmp_path)
        town = build(ledger)
        sent: list[str] = []
        sa.event.listen(ledger.engine, "before_cursor_execute",
                        lambda _conn, _cursor, statement, *_rest, sent=sent: sent.append(statement))
        result = town.payday(crash=None, one_transaction=False)  # the reserving, stage-by-stage path
        assert result.status == "ran" and result.stats["rounds"] == 3
        outcomes[threshold] = (book_state(ledger), result.stats)
        switches[threshold] = [statement for statement in sent if "enable_nestloop" in statement]
        ledger.dispose()

    assert outcomes[1] == outcomes[default]
    assert switches[default] == []  # a small payday sends nothing more
    # rounds 2 to 4 with nested loops off (one switch), then the planner's choice again
    expected = ["SET LOCAL enable_nestloop = off", "SET LOCAL enable_nestloop = DEFAULT"]
    assert switches[1] == (expected if backend == "postgresql" else [])
