"""A payday nobody can jam (issue 11): what a round plans is reserved on the members'
accounts until settlement, so members and admins spending meanwhile spend only the
rest, every tip of the snapshot ends paid or reported unfunded, and a plan made
without reservations (an older version's, left at `planned`) is planned again."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from ledger.api import Ledger
from ledger.check import check_reservations
from ledger.errors import InsufficientBalance
from ledger.models import accounts, paydays, transfers
from ledger.money import Money
from ledger.payday.crash import PaydayCrash
from ledger.payday.preview import payday_status
from ledger.payday.stats import unfunded_notices
from ledger.payday.tables import payday_members, payday_rounds
from tests.ledger.payday_helpers import WEEK, Town, book_state

WAIT_SECONDS = 120  # generous bound on waiting for the spender threads; never an expectation
RESERVED = "reserved for the payday in progress"


def exact_town(ledger: Ledger, *, tips: int = 20, amount: int = 25, extra: int = 0) -> Town:
    """ann's balance exactly covers her `tips` weekly tips of `amount` (plus `extra`);
    sink receives the one-off tips she makes on the side."""
    town = Town(ledger)
    town.member("ann", balance=tips * amount + extra)
    town.member("sink")
    for n in range(tips):
        town.tip("ann", f"t{n}", amount)
    return town


def reserved(ledger: Ledger, member_id: int) -> int:
    return ledger.read(lambda book: book.conn.execute(
        sa.select(accounts.c.reserved_minor).where(accounts.c.id == member_id)).scalar_one())


def paid_from(ledger: Ledger, member_id: int, payday_id: int) -> int:
    return ledger.read(lambda book: book.conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(transfers.c.amount_minor), 0))
        .where(transfers.c.payday_id == payday_id, transfers.c.from_account_id == member_id)).scalar_one())


class Spenders:
    """Threads, each with its own Ledger, spending one member's balance a cent at a time
    (one-off tips to `sink`, admin debits) until stopped; they count what they got."""

    def __init__(self, url: str, member_id: int, sink_id: int) -> None:
        self.url, self.member_id, self.sink_id = url, member_id, sink_id
        self.stop = threading.Event()
        self.changed = threading.Condition()
        self.spent_minor = 0
        self.attempts = 0
        self.refused_for_payday: list[str] = []
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._spend, args=(kind,), daemon=True) for kind in ("once", "debit")]

    def start(self) -> Spenders:
        for thread in self.threads:
            thread.start()
        return self

    def _spend(self, kind: str) -> None:
        ledger = Ledger.connect(self.url, upgrade=False)
        cent = Money(1, "USD")
        try:
            while not self.stop.is_set():
                spent = 0
                message = None
                try:
                    if kind == "once":
                        ledger.tip_once(self.member_id, [(self.sink_id, cent)], key=None)
                    else:
                        ledger.debit(self.member_id, cent, by_admin=True, key=None)
                    spent = 1
                except InsufficientBalance as refusal:
                    message = refusal.message
                with self.changed:
                    self.attempts += 1
                    self.spent_minor += spent
                    if message is not None and RESERVED in message:
                        self.refused_for_payday.append(message)
                    self.changed.notify_all()
                self.stop.wait(0.002)  # pacing, so SQLite's writer lock also reaches the payday
        except BaseException as error:  # noqa: BLE001 - reported by finish()
            self.errors.append(error)
            with self.changed:
                self.changed.notify_all()
        finally:
            ledger.dispose()

    def wait_until(self, predicate: Callable[[Spenders], bool]) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: predicate(self) or bool(self.errors), timeout=WAIT_SECONDS)
        assert not self.errors, self.errors

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=WAIT_SECONDS)
        assert not self.errors, self.errors


def test_what_the_plan_spends_is_reserved_and_only_the_rest_is_spendable(ledger):
    town = exact_town(ledger, tips=10, amount=5, extra=10)  # ann: 60, of which her tips need 50
    ann, sink = town.ids["ann"], town.ids["sink"]
    seen: dict[str, object] = {}

    def meanwhile(point: str) -> None:
        if point != "planned":
            return
        seen["reserved"] = reserved(ledger, ann)
        seen["check"] = ledger.read(lambda book: check_reservations(book.conn))
        ledger.tip_once(ann, [(sink, Money(10, "USD"))], key=None)  # the free part: fine
        with pytest.raises(InsufficientBalance) as once:
            ledger.tip_once(ann, [(sink, Money(1, "USD"))], key=None)
        with pytest.raises(InsufficientBalance) as debit:
            ledger.debit(ann, Money(1, "USD"), by_admin=True, key=None)
        seen["once"], seen["debit"] = once.value.message, debit.value.message

    result = town.payday(crash=meanwhile)
    assert seen["reserved"] == 50 and seen["check"] == []
    assert seen["once"] == ("Not enough balance: this needs $0.01, and $0.50 of your balance of $0.50 is "
                            "reserved for the payday in progress, so $0.00 can be spent until it has paid.")
    assert "$0.50 of the balance of $0.50 is reserved for the payday in progress" in seen["debit"]
    assert result.status == "ran" and result.stats["tips_paid"] == 10 and result.stats["unfunded_tips"] == 0
    assert town.balances()["ann"] == 0 and town.balances()["sink"] == 10
    assert reserved(ledger, ann) == 0
    assert ledger.read(lambda book: check_reservations(book.conn)) == []
    book_state(ledger)


def test_members_spending_from_other_threads_during_the_payday_never_jam_it(db_url):
    """The jam of issue 11, smaller: ann's balance exactly covers her weekly tips and two
    threads spend it a cent at a time (one-off tips, admin debits) through the whole payday.
    Every stage is held until the spenders have had their go at it."""
    ledger = Ledger.connect(db_url, upgrade=False)
    town = exact_town(ledger)  # 20 tips of 0.25 from a balance of 5.00
    ann, sink = town.ids["ann"], town.ids["sink"]
    spenders = Spenders(db_url, ann, sink)
    marks: dict[str, int] = {}

    def meanwhile(point: str) -> None:
        if ":" in point:
            return
        if point == "snapshotted":  # spending the snapshotted balance before any round reserved it
            spenders.start()
            spenders.wait_until(lambda s: s.attempts >= 3)
        elif point == "planned":  # reserved: refused, and told why
            base = len(spenders.refused_for_payday)
            spenders.wait_until(lambda s: len(s.refused_for_payday) >= base + 2)
            marks[point] = reserved(ledger, ann)

    try:
        result = town.payday(crash=meanwhile)
    finally:
        spenders.finish()
    assert result.status == "ran"
    stats = result.stats
    assert stats["tips_paid"] + stats["unfunded_tips"] == 20 and stats["tips_paid"] > 0
    paid = paid_from(ledger, ann, result.payday_id)
    assert paid == 25 * stats["tips_paid"] and paid == marks["planned"]
    assert town.balances()["ann"] == 500 - paid - spenders.spent_minor >= 0
    assert spenders.refused_for_payday and all("this needs $0.01" in m for m in spenders.refused_for_payday)
    assert reserved(ledger, ann) == 0
    assert ledger.read(lambda book: check_reservations(book.conn)) == []
    book_state(ledger)
    ledger.dispose()


@pytest.mark.parametrize("left_at", ["planned", "round 1"])
def test_a_payday_left_with_an_unreserved_plan_resumes_to_completion(ledger, left_at):
    """What the version before reservations left behind: a payday stopped at `planned` (or
    mid-rounds) with a plan and no reservations, and a member who then spent money the
    plan counts on. Settling that plan would break the balance CHECK on every rerun; the
    payday instead plans again from the snapshot and finishes."""
    town = exact_town(ledger, tips=10, amount=5)
    ann, sink = town.ids["ann"], town.ids["sink"]

    def stop(point: str) -> None:
        if point == "planned":
            raise PaydayCrash(point)

    with pytest.raises(PaydayCrash):
        town.payday(crash=stop)
    with ledger.begin() as book:  # behind the ledger's back: the older version reserved nothing
        book.conn.execute(accounts.update().values(reserved_minor=0))
        book.conn.execute(payday_members.update().values(reserved_minor=0))
        if left_at != "planned":  # ... and committed round by round: it stopped after the first
            book.conn.execute(paydays.update().values(stage=left_at))
            book.conn.execute(payday_rounds.delete().where(payday_rounds.c.round > 1))
    assert ledger.read(lambda book: check_reservations(book.conn))  # the stale plan shows
    ledger.tip_once(ann, [(sink, Money(7, "USD"))], key=None)  # unreserved: spendable, as it was

    result = town.payday(crash=None)
    assert result.status == "resumed"
    log = [stage for stage, _ in payday_status(ledger, town.community_id, WEEK)["this_week"]["log"]]
    assert log.count("replanned") == 1 and log[-1] == "done"
    assert result.stats["tips_paid"] == 8 and result.stats["unfunded_tips"] == 2  # 43 covers 8 tips of 5
    assert town.balances()["ann"] == 3
    [notice] = ledger.read(lambda book: unfunded_notices(book.conn, result.payday_id))
    assert (notice.tips, notice.balance_minor) == (2, 3)  # what she really had left, not the snapshot's
    assert town.payday(crash=None).status == "already_ran"
    assert ledger.read(lambda book: check_reservations(book.conn)) == []
    book_state(ledger)


def test_ledger_check_finds_reservations_that_no_plan_explains(ledger):
    town = exact_town(ledger, tips=2, amount=5, extra=5)
    ann = town.ids["ann"]
    found: list[str] = []

    def meanwhile(point: str) -> None:
        if point == "planned":  # consistent mid-payday; one cent less held than the plan spends is not
            assert ledger.read(lambda book: check_reservations(book.conn)) == []
            with ledger.begin() as book:
                book.conn.execute(accounts.update().where(accounts.c.id == ann)
                                  .values(reserved_minor=accounts.c.reserved_minor - 1))
            found.extend(ledger.read(lambda book: check_reservations(book.conn)))
            with ledger.begin() as book:
                book.conn.execute(accounts.update().where(accounts.c.id == ann)
                                  .values(reserved_minor=accounts.c.reserved_minor + 1))

    town.payday(crash=meanwhile)
    assert found == [f"community 'town' account {ann} (member ann): $0.09 is reserved but unsettled "
                     f"paydays' plans spend $0.10 from it (they hold $0.10)"]
    with ledger.begin() as book:  # a reservation left after the payday settled
        book.conn.execute(accounts.update().where(accounts.c.id == ann).values(reserved_minor=5))
    assert ledger.read(lambda book: check_reservations(book.conn)) == [
        f"community 'town' account {ann} (member ann): $0.05 is reserved but no running payday plans to spend it"]
