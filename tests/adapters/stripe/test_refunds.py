"""Refunds and disputes reach the recipients (issue 16): a refunded or disputed charge's
Transfers are reversed pro rata at Stripe (the recording server), recorded as reversing
transfers in the ledger once whatever the event order; what a recipient already took out
lands on the community's losses account and `tipbot stripe reconcile` shows it."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
import sqlalchemy as sa

from adapters.stripe.reversals import settle_reversals
from adapters.stripe.tables import stripe_charges, stripe_line_reversals, stripe_reversals
from bot.cli import main
from ledger.models import accounts
from tests.adapters.stripe.conftest import SECRET_KEY
from tests.adapters.stripe.helpers import StripeTown, event, signed

TIPS = {"bob": 500, "carol": 300, "dan": 200}  # alice's weekly tips: one charge pays all three


def deliver(web, evt: dict) -> httpx.Response:
    body, headers = signed(evt)
    return web.post("/stripe/webhook", body, headers)


@pytest.fixture
def t(ledger, client, config, fake):
    return StripeTown(ledger, client, config, fake)


def three_recipients(t: StripeTown):
    t.card("alice")
    for name, amount in TIPS.items():
        t.recipient(name)
        t.tip("alice", name, amount)
    t.payday()
    [charge] = t.charges()
    assert charge.status == "succeeded" and len(t.fake.transfers()) == 3
    return charge


def transfer_of(t: StripeTown, name: str) -> dict:
    [transfer] = [tr for tr in t.fake.transfers() if tr["destination"] == t.accounts[name]
                  and "tipbot_transfer_id" in tr["metadata"]]
    return transfer


def reversed_at_stripe(t: StripeTown) -> dict[str, int]:
    return {name: transfer_of(t, name)["amount_reversed"] for name in TIPS}


def reversal_posts(t: StripeTown) -> int:
    """Transfer reversals the server acted on (not replays)."""
    return sum(1 for r in t.fake.requests if r.method == "POST" and r.path.endswith("/reversals")
               and not r.replayed and r.status == 200)


def losses_minor(t: StripeTown) -> int:
    return -int(t.ledger.read(lambda book: book.conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(accounts.c.balance_minor), 0))
        .where(accounts.c.community_id == t.community_id, accounts.c.kind == "losses")).scalar_one()))


def ledger_reversals(t: StripeTown) -> dict[str, int]:
    """What each recipient gave back in the ledger (recipient -> alice, 'reversal')."""
    alice = t.ids["alice"]
    rows = t.transfers_of_kind("reversal")
    return {name: sum(r.amount_minor for r in rows if r.from_account_id == t.ids[name] and r.to_account_id == alice)
            for name in TIPS}


def refunded_by(t: StripeTown, name: str, kind: str) -> int:
    """What went back out to the card (member -> stripe) as `kind`."""
    return sum(r.amount_minor for r in t.transfers_of_kind(kind) if r.from_account_id == t.ids[name])


def clean(t: StripeTown) -> None:
    t.check()
    problems = t.ledger.read(lambda book: book.check())  # balances, sums to zero, tips, reservations
    assert problems == [], problems
    assert min(t.balances().values()) >= 0


def refund_events(t: StripeTown, charge, amounts: list[int]) -> list[dict]:
    """Refunds made at localstripe, and the charge.refunded event each one produced."""
    events = []
    for amount in amounts:
        t.client.v1.refunds.create(params={"charge": charge.charge_id, "amount": amount})
        events.append(event("charge.refunded", t.client.v1.charges.retrieve(charge.charge_id).to_dict()))
    return events


@pytest.mark.parametrize("order", [(0, 1, 1, 0), (1, 0, 1), (1, 1, 0, 0)])
def test_a_refunded_charge_reverses_the_three_transfers_it_funded_once_in_any_event_order(t, web, order):
    charge = three_recipients(t)
    fee = charge.amount_minor - sum(TIPS.values())
    events = refund_events(t, charge, [400, charge.amount_minor - 400])  # a partial refund, then the rest

    for n in order:  # duplicates and reordered deliveries
        assert deliver(web, events[n]).status_code == 200

    assert reversed_at_stripe(t) == TIPS  # every transfer reversed whole, however the refund arrived
    assert reversal_posts(t) == (3 if order[0] == 1 else 6)  # once per share: 1 refund or 2 partial ones
    assert ledger_reversals(t) == TIPS
    assert refunded_by(t, "alice", "refund") == charge.amount_minor
    assert t.rows(stripe_charges)[0].reversed_minor == charge.amount_minor
    assert t.balances() == {"alice": 0, "bob": 0, "carol": 0, "dan": 0}
    assert losses_minor(t) == fee  # the card fee: Stripe keeps it, and alice had nothing left to cover it
    clean(t)


def test_a_partial_refund_reverses_shares_pro_rata_largest_remainder(t, web):
    charge = three_recipients(t)
    assert charge.amount_minor == 1061  # 1000 of tips grossed up for 2.9% + 0.30

    [partial] = refund_events(t, charge, [400])
    assert deliver(web, partial).json()["outcome"] == "refund recorded"

    # 400 over bob 500, carol 300, dan 200 and the fee 61: 188.5, 113.1, 75.4, 22.99 -> the
    # two cents left go to the largest remainders, the fee's and bob's.
    assert reversed_at_stripe(t) == {"bob": 189, "carol": 113, "dan": 75}
    assert ledger_reversals(t) == {"bob": 189, "carol": 113, "dan": 75}
    [rev] = t.rows(stripe_reversals)
    assert (rev.amount_minor, rev.recovered_minor, rev.own_minor, rev.loss_minor) == (400, 377, 0, 23)
    assert deliver(web, partial).json()["outcome"] == "duplicate"
    assert reversal_posts(t) == 3
    clean(t)


def test_the_tippers_own_balance_covers_what_recipients_did_not_get_before_the_loss_account(t, web, ledger):
    charge = three_recipients(t)
    with ledger.begin() as book:  # alice had money of her own in Tipbot (say, a reinstated dispute)
        community = book.community(t.community_id)
        book.apply_moves(community, [(book.outside_account(community, "stripe"), t.ids["alice"], 50)],
                         kind="charge", overdraw=frozenset({book.outside_account(community, "stripe")}))

    [full] = refund_events(t, charge, [charge.amount_minor])
    deliver(web, full)

    [rev] = t.rows(stripe_reversals)
    assert (rev.recovered_minor, rev.own_minor, rev.loss_minor) == (1000, 50, 11)
    assert t.balances()["alice"] == 0 and losses_minor(t) == 11
    clean(t)


def dispute(charge, status: str = "needs_response", dispute_id: str = "dp_1") -> dict:
    return {"id": dispute_id, "object": "dispute", "charge": charge.charge_id, "amount": charge.amount_minor,
            "currency": "usd", "status": status, "reason": "fraudulent"}


def test_a_dispute_lost_keeps_what_it_reversed(t, web):
    charge = three_recipients(t)

    assert deliver(web, event("charge.dispute.created", dispute(charge))).json()["outcome"] == "dispute recorded"
    assert deliver(web, event("charge.dispute.closed", dispute(charge, "lost"))).json()["outcome"] == "dispute lost"
    assert deliver(web, event("charge.dispute.closed", dispute(charge, "lost"))).status_code == 200

    assert reversed_at_stripe(t) == TIPS and reversal_posts(t) == 3
    assert refunded_by(t, "alice", "dispute") == charge.amount_minor
    assert t.rows(stripe_reversals)[0].outcome == "lost"
    assert t.balances() == {"alice": 0, "bob": 0, "carol": 0, "dan": 0}
    clean(t)


def test_a_dispute_won_reinstates_what_it_reversed(t, web):
    charge = three_recipients(t)
    deliver(web, event("charge.dispute.created", dispute(charge)))
    assert losses_minor(t) == charge.amount_minor - sum(TIPS.values())

    won = event("charge.dispute.closed", dispute(charge, "won"))
    assert deliver(web, won).json()["outcome"] == "dispute won"
    assert deliver(web, won).json()["outcome"] == "duplicate"

    reinstated = [tr for tr in t.fake.transfers() if tr["metadata"].get("tipbot_reinstated")]
    assert sorted((tr["destination"], tr["amount"]) for tr in reinstated) == sorted(
        (t.accounts[name], amount) for name, amount in TIPS.items())
    assert t.balances() == {"alice": 0, "bob": 0, "carol": 0, "dan": 0}
    assert losses_minor(t) == 0  # what the loss account covered came back with the won dispute
    [rev] = t.rows(stripe_reversals)
    assert rev.reinstated and t.rows(stripe_charges)[0].reversed_minor == 0
    clean(t)


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_a_dispute_closed_before_it_was_seen_to_open(t, web, outcome):
    charge = three_recipients(t)

    deliver(web, event("charge.dispute.closed", dispute(charge, outcome)))
    assert deliver(web, event("charge.dispute.created", dispute(charge))).json()["outcome"] == \
        "dispute already recorded"

    if outcome == "won":  # nothing ever left the recipients
        assert reversal_posts(t) == 0 and t.transfers_of_kind("dispute") == []
    else:
        assert reversed_at_stripe(t) == TIPS and reversal_posts(t) == 3
        assert refunded_by(t, "alice", "dispute") == charge.amount_minor
    clean(t)


@pytest.fixture
def cli(monkeypatch, fake, db_url, capsys, clock):
    monkeypatch.setenv("STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("TIPBOT_STRIPE_API_URL", fake.url)

    def run(*args: str) -> tuple[int, str]:
        code = main(["stripe", *args, "--database", db_url], clock=clock)  # the pinned clock, as the ledger's
        return code, capsys.readouterr().out

    return run


def test_a_reversal_refused_because_the_money_was_paid_out_is_a_loss_that_reconcile_shows(t, web, cli):
    charge = three_recipients(t)
    t.fake.pay_out(t.accounts["bob"])  # bob took his 5.00 to his bank

    [full] = refund_events(t, charge, [charge.amount_minor])
    deliver(web, full)

    assert reversed_at_stripe(t) == {"bob": 0, "carol": 300, "dan": 200}
    [bob_part] = t.rows(stripe_line_reversals, stripe_line_reversals.c.recipient_id == t.ids["bob"])
    assert bob_part.status == "failed" and "paid out" in bob_part.failure_message
    fee = charge.amount_minor - sum(TIPS.values())
    assert losses_minor(t) == 500 + fee
    assert t.balances() == {"alice": 0, "bob": 0, "carol": 0, "dan": 0}  # bob's balance never below zero
    clean(t)

    code, out = cli("reconcile")
    assert code == 0, out
    assert "not fully recovered from recipients" in out
    assert f"charge {charge.id}: refund" in out and f"{500 + fee} not recovered" in out and "paid out" in out


def test_a_crash_between_a_reversal_and_its_local_write_sends_the_same_key_again(t, web, ledger, config, cli):
    charge = three_recipients(t)

    class Crash(Exception):
        pass

    def crash(what: str, row_id: int) -> None:
        raise Crash(what)

    [full] = refund_events(t, charge, [charge.amount_minor])
    with pytest.MonkeyPatch.context() as patch:  # the web process dies right after Stripe's first answer
        import adapters.stripe.web as stripe_web

        patch.setattr(stripe_web, "settle_reversals",
                      lambda ledger, client, config: settle_reversals(ledger, client, config, after_call=crash))
        assert deliver(web, full).json()["outcome"] == "refund recorded"
    assert reversal_posts(t) == 1 and t.transfers_of_kind("refund") == []  # nothing applied yet

    code, out = cli("reconcile")  # reported, not sent: reconcile alone is read-only
    assert code == 1 and "Transfer reversals still pending" in out and reversal_posts(t) == 1
    code, out = cli("reconcile", "--fix")  # sent (or the next payday sends them)
    assert code == 0 and "3 Transfer reversal(s) sent" in out  # the first one replayed by Stripe

    assert reversal_posts(t) == 3  # the first share's call was replayed, not repeated
    assert reversed_at_stripe(t) == TIPS and ledger_reversals(t) == TIPS
    settle_reversals(ledger, t.client, config)
    assert refunded_by(t, "alice", "refund") == charge.amount_minor
    clean(t)


@pytest.mark.clock
def test_a_reversal_pending_past_the_key_window_is_looked_up_not_sent_again(t, web, ledger, config, clock):
    """Stripe made the first share's reversal, the answer was lost, and a day passed: Stripe has
    forgotten the key, so the share is found by its metadata (not reversed twice) and the
    shares never sent go out with new keys."""
    charge = three_recipients(t)

    def crash(what: str, row_id: int) -> None:
        raise RuntimeError(what)

    [full] = refund_events(t, charge, [charge.amount_minor])
    with pytest.MonkeyPatch.context() as patch:  # the web process dies right after Stripe's first answer
        import adapters.stripe.web as stripe_web

        patch.setattr(stripe_web, "settle_reversals",
                      lambda ledger, client, config: settle_reversals(ledger, client, config, after_call=crash))
        assert deliver(web, full).json()["outcome"] == "refund recorded"
    assert reversal_posts(t) == 1
    now = clock.advance(dt.timedelta(hours=25))

    report = settle_reversals(ledger, t.client, config)

    assert report.reversed == 3 and reversal_posts(t) == 3  # one found, two sent: none twice
    late = [r for r in t.fake.requests if r.method == "POST" and r.path.endswith("/reversals") and r.key
            and r.key.endswith(f"-late-{now:%Y%m%d}")]
    assert len(late) == 2
    assert reversed_at_stripe(t) == TIPS and ledger_reversals(t) == TIPS
    assert refunded_by(t, "alice", "refund") == charge.amount_minor
    clean(t)


@pytest.mark.clock
def test_a_reinstatement_pending_past_the_key_window_is_looked_up_not_sent_again(t, web, ledger, config, clock):
    """A won dispute's first reinstating Transfer was made, its answer lost, and a day passed:
    it is found by its metadata, and only the two never sent go out, with new keys."""
    charge = three_recipients(t)
    deliver(web, event("charge.dispute.created", dispute(charge)))

    def crash(what: str, row_id: int) -> None:
        if what == "reinstate":
            raise RuntimeError(what)

    with pytest.MonkeyPatch.context() as patch:  # the web process dies right after Stripe's first answer
        import adapters.stripe.web as stripe_web

        patch.setattr(stripe_web, "settle_reversals",
                      lambda ledger, client, config: settle_reversals(ledger, client, config, after_call=crash))
        assert deliver(web, event("charge.dispute.closed", dispute(charge, "won"))).json()["outcome"] == "dispute won"
    reinstating = [tr for tr in t.fake.transfers() if tr["metadata"].get("tipbot_reinstated")]
    assert len(reinstating) == 1
    now = clock.advance(dt.timedelta(hours=25))

    assert settle_reversals(ledger, t.client, config).reinstated == 3

    reinstated = [tr for tr in t.fake.transfers() if tr["metadata"].get("tipbot_reinstated")]
    assert sorted((tr["destination"], tr["amount"]) for tr in reinstated) == sorted(
        (t.accounts[name], amount) for name, amount in TIPS.items())  # three, not four
    late = [r for r in t.fake.requests if r.method == "POST" and r.path == "/v1/transfers" and r.key
            and r.key.endswith(f"-late-{now:%Y%m%d}")]
    assert len(late) == 2
    assert losses_minor(t) == 0 and t.balances() == {"alice": 0, "bob": 0, "carol": 0, "dan": 0}
    clean(t)


@pytest.mark.clock
def test_a_refused_reinstating_transfer_stays_owed_and_is_sent_again_a_week_later(t, web, ledger, config, clock):
    """A won dispute's Transfer to bob is refused (his account can't take transfers): his share
    stays in his Tipbot balance, he is told once, and it goes again a week after each refusal
    with a new key, until Stripe takes it; never twice, `ledger check` clean throughout."""
    from ledger.notices import member_notices

    charge = three_recipients(t)
    deliver(web, event("charge.dispute.created", dispute(charge)))
    t.fake.objects[t.accounts["bob"]]["capabilities"]["transfers"] = "inactive"

    assert deliver(web, event("charge.dispute.closed", dispute(charge, "won"))).json()["outcome"] == "dispute won"

    def reinstated_to(name: str) -> list[int]:
        return [tr["amount"] for tr in t.fake.transfers()
                if tr["metadata"].get("tipbot_reinstated") and tr["destination"] == t.accounts[name]]

    def told_bob() -> list[str]:
        return [r.text for r in t.rows(member_notices, member_notices.c.member_id == t.ids["bob"])]

    def reinstate_posts() -> list:
        return [r for r in t.fake.requests if r.method == "POST" and r.path == "/v1/transfers"
                and "tipbot_reinstated" in str(r.params)]

    assert reinstated_to("carol") == [300] and reinstated_to("dan") == [200] and reinstated_to("bob") == []
    assert t.balances() == {"alice": 0, "bob": 500, "carol": 0, "dan": 0}  # owed to bob, in Tipbot
    [told] = told_bob()
    assert "could not be sent to your Stripe account" in told and "/tip payout" in told
    assert losses_minor(t) == 0
    clean(t)
    tries = len(reinstate_posts())

    clock.advance(dt.timedelta(days=3))
    settle_reversals(ledger, t.client, config)  # not due yet: nothing sent
    assert len(reinstate_posts()) == tries and t.balances()["bob"] == 500

    first_retry = clock.advance(dt.timedelta(days=4))
    settle_reversals(ledger, t.client, config)  # due: tried again with a new key, refused again
    assert len(reinstate_posts()) == tries + 1 and reinstate_posts()[-1].key.endswith(f"-retry-{first_retry:%Y%m%d}")
    assert t.balances()["bob"] == 500 and reinstated_to("bob") == [] and len(told_bob()) == 1
    clean(t)

    t.fake.activate(t.accounts["bob"])  # bob fixed his account
    clock.advance(dt.timedelta(days=3))
    settle_reversals(ledger, t.client, config)  # a week after the last refusal, not before
    assert len(reinstate_posts()) == tries + 1
    clock.advance(dt.timedelta(days=4))
    settle_reversals(ledger, t.client, config)
    settle_reversals(ledger, t.client, config)  # and once only

    assert reinstated_to("bob") == [500] and len(reinstate_posts()) == tries + 2
    assert t.balances() == {"alice": 0, "bob": 0, "carol": 0, "dan": 0}
    assert len(told_bob()) == 1 and losses_minor(t) == 0
    clean(t)
