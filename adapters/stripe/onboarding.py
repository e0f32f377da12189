"""Getting members onto Stripe: a Customer and a Checkout Session (setup mode) for
tippers, an Express connected account and an Account Link for recipients.

Pattern for every call: write (or find) the local row in its own short transaction,
call Stripe outside any transaction with an idempotency key derived from that row,
then complete the row. A crash in between is healed by running the same request
again: the key makes Stripe answer with the object it already made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
import stripe
from sqlalchemy.exc import IntegrityError

from ledger.api import Ledger
from ledger.book import Book
from adapters.stripe.client import StripeConfig, call
from adapters.stripe.keys import key, namespace
from adapters.stripe.tables import stripe_accounts, stripe_checkouts, stripe_customers

AfterCall = Callable[[str, int], None]  # called after each Stripe call, before its local write (tests crash here)




@dataclass(frozen=True)
class CardStatus:
    customer_id: str | None
    payment_method_id: str | None
    card_label: str | None
    declines: int


def card_status(book: Book, member_id: int) -> CardStatus:
    row = book.conn.execute(sa.select(stripe_customers).where(stripe_customers.c.member_id == member_id)).first()
    if row is None:
        return CardStatus(None, None, None, 0)
    return CardStatus(row.customer_id, row.payment_method_id, row.card_label, row.declines)


def account_status(book: Book, member_id: int) -> tuple[str | None, bool]:
    row = book.conn.execute(sa.select(stripe_accounts).where(stripe_accounts.c.member_id == member_id)).first()
    return (None, False) if row is None else (row.account_id, row.payable)


def _insert_once(book: Book, table: sa.Table, **values) -> None:
    try:
        with book.conn.begin_nested():
            stamps = {name: book.clock.now() for name in ("created_at", "updated_at") if name in table.c}
            book.conn.execute(table.insert().values(**stamps, **values))
    except IntegrityError:
        pass  # already there (or written concurrently): the row is what matters


def ensure_customer(ledger: Ledger, client: stripe.StripeClient, config: StripeConfig, member_id: int,
                    after_call: AfterCall | None = None) -> str:
    """The member's Stripe Customer id, created once."""
    def row_first(book: Book) -> tuple[str | None, str]:
        _insert_once(book, stripe_customers, member_id=member_id)
        member = book.member(member_id)
        return card_status(book, member_id).customer_id, member.display_name

    customer_id, name = ledger.run(row_first).value
    if customer_id:
        return customer_id
    customer = call(lambda: client.v1.customers.create(
        params={"name": name, "metadata": {"tipbot_member_id": str(member_id)}},
        options={"idempotency_key": key(namespace(ledger), "customer", member_id)},
    ), config=config, what="customers.create")
    if after_call:
        after_call("customer", member_id)
    ledger.run(lambda book: book.conn.execute(
        stripe_customers.update()
        .where(stripe_customers.c.member_id == member_id, stripe_customers.c.customer_id.is_(None))
        .values(customer_id=customer.id, updated_at=book.clock.now())
    ))
    return customer.id


def start_checkout(ledger: Ledger, client: stripe.StripeClient, config: StripeConfig, *, member_id: int,
                   currency: str, request_key: str, after_call: AfterCall | None = None) -> str:
    """A Checkout Session in setup mode for the member; returns its URL.

    `request_key` names the member's request: a repeat of the same request reuses
    its row, hence its idempotency key, hence the same session.
    """
    customer_id = ensure_customer(ledger, client, config, member_id, after_call)

    def row_first(book: Book) -> tuple[int, str | None]:
        _insert_once(book, stripe_checkouts, request_key=request_key, member_id=member_id)
        row = book.conn.execute(sa.select(stripe_checkouts).where(stripe_checkouts.c.request_key == request_key)).one()
        return row.id, row.url

    row_id, url = ledger.run(row_first).value
    if url:
        return url
    back = config.public_url.rstrip("/")
    session = call(lambda: client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "customer": customer_id,
            "currency": currency.lower(),
            "payment_method_types": ["card"],
            "success_url": f"{back}/stripe/return?checkout=done",
            "cancel_url": f"{back}/stripe/return?checkout=cancelled",
            "metadata": {"tipbot_member_id": str(member_id), "tipbot_checkout_id": str(row_id)},
            "setup_intent_data": {"metadata": {"tipbot_member_id": str(member_id)}},
        },
        options={"idempotency_key": key(namespace(ledger), "checkout", row_id)},
    ), config=config, what="checkout.sessions.create")
    if after_call:
        after_call("checkout", row_id)
    ledger.run(lambda book: book.conn.execute(
        stripe_checkouts.update().where(stripe_checkouts.c.id == row_id)
        .values(session_id=session.id, url=session.url)
    ))
    return session.url


def ensure_account(ledger: Ledger, client: stripe.StripeClient, config: StripeConfig, member_id: int,
                   after_call: AfterCall | None = None) -> str:
    """The member's Express connected account id, created once."""
    def row_first(book: Book) -> str | None:
        _insert_once(book, stripe_accounts, member_id=member_id)
        return account_status(book, member_id)[0]

    account_id = ledger.run(row_first).value
    if account_id:
        return account_id
    account = call(lambda: client.v1.accounts.create(
        params={
            "type": "express",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"tipbot_member_id": str(member_id)},
        },
        options={"idempotency_key": key(namespace(ledger), "account", member_id)},
    ), config=config, what="accounts.create")
    if after_call:
        after_call("account", member_id)
    ledger.run(lambda book: book.conn.execute(
        stripe_accounts.update()
        .where(stripe_accounts.c.member_id == member_id, stripe_accounts.c.account_id.is_(None))
        .values(account_id=account.id, updated_at=book.clock.now())
    ))
    return account.id


def onboarding_link(ledger: Ledger, client: stripe.StripeClient, config: StripeConfig, member_id: int,
                    after_call: AfterCall | None = None) -> str:
    """An Account Link to Stripe's Express onboarding (links are short-lived: a new one each time)."""
    account_id = ensure_account(ledger, client, config, member_id, after_call)
    back = config.public_url.rstrip("/")
    link = call(lambda: client.v1.account_links.create(params={
        "account": account_id,
        "type": "account_onboarding",
        "refresh_url": f"{back}/stripe/return?payout=refresh",
        "return_url": f"{back}/stripe/return?payout=done",
    }), config=config, what="account_links.create")
    return link.url


def account_payable(account: dict) -> bool:
    """Whether Stripe will accept Transfers to this connected account."""
    capabilities = account.get("capabilities") or {}
    if "transfers" in capabilities:
        return capabilities.get("transfers") == "active"
    return bool(account.get("payouts_enabled"))
