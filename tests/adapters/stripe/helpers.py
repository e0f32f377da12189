"""A small Stripe-mode community for tests, built through the real code paths:
the ledger API, adapters.stripe's calls to Stripe (localstripe behind the recording
server) and signed webhook events."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

import sqlalchemy as sa
import stripe

from ledger.api import Ledger
from ledger.money import Money
from ledger.payday.engine import run_payday
from adapters.stripe.client import StripeConfig
from adapters.stripe.onboarding import ensure_account, ensure_customer
from adapters.stripe.processor import StripeProcessor
from adapters.stripe.tables import stripe_accounts, stripe_charges, stripe_customers, stripe_dues, stripe_transfers
from adapters.stripe.webhooks import process
from tests.moments import PINNED
from tests.adapters.stripe.conftest import WEBHOOK_SECRET
from tests.adapters.stripe.fake_stripe import FakeStripe

WEEK = dt.date(2026, 11, 23)  # a Monday
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
STRIPE_NOW = int(PINNED.timestamp())  # when Stripe says its events happened (the ledger's pinned time)


def week(n: int) -> dt.date:
    return WEEK + dt.timedelta(weeks=n)


def event(kind: str, obj: dict[str, Any], *, created: int | None = None, event_id: str | None = None) -> dict:
    return {"id": event_id or f"evt_{secrets.token_hex(10)}", "object": "event", "type": kind,
            "created": created if created is not None else STRIPE_NOW, "livemode": False,
            "api_version": "2024-06-20", "data": {"object": obj}}


def signed(evt: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    payload = json.dumps(evt)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    return payload.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}


class StripeTown:
    def __init__(self, ledger: Ledger, client: stripe.StripeClient, config: StripeConfig, fake: FakeStripe,
                 name: str = "town") -> None:
        self.ledger, self.client, self.config, self.fake = ledger, client, config, fake
        with ledger.begin() as book:
            self.space = book.ensure_space("console", name, community_name=name)
            book.set_funding_mode(self.space.community_id, "stripe", by_admin=True)
        self.community_id = self.space.community_id
        self.ids: dict[str, int] = {}
        self.accounts: dict[str, str] = {}
        self.clock = T0

    @property
    def community(self):
        return self.ledger.read(lambda book: book.community(self.community_id))

    def member(self, name: str, *, receiving: bool = True) -> int:
        with self.ledger.begin() as book:
            member = book.ensure_member(self.space, name, name)
            book.set_receiving(member.id, receiving)
        self.ids[name] = member.id
        return member.id

    def card(self, name: str, payment_method: str = "pm_card_visa") -> str:
        """A Customer (adapters.stripe), a SetupIntent confirmed at localstripe, and its
        setup_intent.succeeded event applied."""
        member_id = self.ids.get(name) or self.member(name, receiving=False)
        customer_id = ensure_customer(self.ledger, self.client, self.config, member_id)
        intent = self.client.v1.setup_intents.create(params={"customer": customer_id,
                                                             "metadata": {"tipbot_member_id": str(member_id)}})
        intent = self.client.v1.setup_intents.confirm(intent.id, params={"payment_method": payment_method})
        process(self.ledger, event("setup_intent.succeeded", intent.to_dict()))
        return intent.payment_method

    def recipient(self, name: str) -> str:
        """A connected account (adapters.stripe) that Stripe then says can be paid."""
        member_id = self.ids.get(name) or self.member(name)
        account_id = ensure_account(self.ledger, self.client, self.config, member_id)
        process(self.ledger, event("account.updated", self.fake.activate(account_id)))
        self.accounts[name] = account_id
        return account_id

    def tip(self, tipper: str, tippee: str, amount: int) -> None:
        self.clock += dt.timedelta(minutes=1)
        for name in (tipper, tippee):
            if name not in self.ids:
                self.member(name)
        with self.ledger.begin() as book:
            book.set_tip(self.ids[tipper], self.ids[tippee], Money(amount, "USD"), now=self.clock)

    def processor(self, **kwargs) -> StripeProcessor:
        return StripeProcessor(self.config, self.community, client=self.client, **kwargs)

    def payday(self, n: int = 0, **kwargs):
        kwargs.setdefault("crash", None)
        processor = kwargs.pop("processor", None) or self.processor()
        return run_payday(self.ledger, self.community_id, week(n), processor=processor, **kwargs)

    # --- reading the book ---

    def balances(self) -> dict[str, int]:
        with self.ledger.begin(readonly=True) as book:
            return {name: book.balance(member_id).amount_minor for name, member_id in self.ids.items()}

    def rows(self, table: sa.Table, *where) -> list:
        return self.ledger.read(lambda book: book.conn.execute(sa.select(table).where(*where)).all())

    def charges(self) -> list:
        return self.rows(stripe_charges, stripe_charges.c.community_id == self.community_id)

    def lines(self) -> list:
        return self.rows(stripe_transfers, stripe_transfers.c.community_id == self.community_id)

    def dues(self, tipper: str) -> int:
        return sum(r.due_minor for r in self.rows(stripe_dues, stripe_dues.c.tipper_id == self.ids[tipper]))

    def customer(self, name: str):
        return self.rows(stripe_customers, stripe_customers.c.member_id == self.ids[name])[0]

    def account(self, name: str):
        return self.rows(stripe_accounts, stripe_accounts.c.member_id == self.ids[name])[0]

    def transfers_of_kind(self, kind: str) -> list:
        from ledger.models import transfers

        return self.rows(transfers, transfers.c.kind == kind, transfers.c.community_id == self.community_id)

    def check(self) -> None:
        """`tipbot ledger check`: balances, sums, current tips, payday reservations."""
        problems = self.ledger.read(lambda book: book.check())
        assert problems == [], problems
