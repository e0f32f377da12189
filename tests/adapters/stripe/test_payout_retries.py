"""A payout Stripe refuses stays owed and is sent again at later paydays with backoff;
the recipient is told once what to fix (issue 16)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from ledger.notices import member_notices
from tests.adapters.stripe.helpers import StripeTown

PAYDAY_NOON = dt.datetime(2026, 11, 23, 12, tzinfo=dt.timezone.utc)  # the clock at payday 0, pinned
pytestmark = pytest.mark.clock  # also run at fixed moments (.ci/run)


@pytest.fixture
def t(ledger, client, config, fake):
    return StripeTown(ledger, client, config, fake)


def payday(t: StripeTown, clock, n: int):
    clock.set(PAYDAY_NOON + dt.timedelta(weeks=n))  # the ledger's clock: payday n's noon
    return t.payday(n)


def notices_to(t: StripeTown, name: str) -> list[str]:
    return [r.text for r in t.rows(member_notices, member_notices.c.member_id == t.ids[name])]


def test_a_refused_payout_is_retried_with_backoff_until_it_succeeds_and_the_recipient_is_told_once(t, clock):
    t.card("alice")
    account = t.recipient("bob")
    t.tip("alice", "bob", 1000)
    t.fake.objects[account]["capabilities"]["transfers"] = "inactive"  # Stripe paused bob's account

    payday(t, clock, 0)
    t.tip("alice", "bob", 0)  # one week's tip: only its payout is left

    [line] = t.lines()
    assert (line.status, line.attempts) == ("failed", 1)
    assert t.balances()["bob"] == 1000  # still owed, in his Tipbot balance
    [told] = notices_to(t, "bob")
    assert "could not be sent to your Stripe account" in told and "/tip payout" in told

    payday(t, clock, 1)  # the next payday: tried again, refused again; not told twice
    [line] = t.lines()
    assert (line.status, line.attempts) == ("failed", 2) and len(notices_to(t, "bob")) == 1

    t.fake.activate(account)  # bob finished onboarding
    payday(t, clock, 2)  # backoff: after a second refusal, not before two weeks
    assert t.lines()[0].attempts == 2 and t.lines()[0].status == "failed"

    payday(t, clock, 3)
    [line] = t.lines()
    assert (line.status, line.attempts) == ("succeeded", 3)
    posts = [r for r in t.fake.calls("POST", "/v1/transfers") if r.status == 200]
    assert [p.params["amount"] for p in posts] == ["1000"] and posts[0].key.endswith("-attempt3")
    assert t.balances() == {"alice": 0, "bob": 0}
    assert len(notices_to(t, "bob")) == 1
    assert t.ledger.read(lambda book: book.check()) == []
