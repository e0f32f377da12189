"""A Stripe-mode payday charging 2,000 tippers through a local server that answers
each Stripe call after 200 ms.

    .venv/bin/python bench/stripe_payday.py [--tippers 2000] [--recipients 50] [--delay 0.2]
                                            [--concurrency 16] [--only sqlite|postgresql]

The server is tests/adapters/stripe/fake_stripe.py without an upstream (PaymentIntents,
Transfers and idempotency replay, on 127.0.0.1), in a process of its own, as Stripe
would be. Each tipper has a saved card
(stripe_customers rows seeded directly: onboarding is not what is measured) and one
weekly tip of 10.00 to one of the recipients, whose Express accounts can be paid.
The payday runs exactly as `tipbot payday` runs it (ledger.payday.run_payday with
the Stripe processor); the figures come from its progress reports:

- charges per second: the charge stage (accrual, planning, every PaymentIntent and
  its local write) from the snapshot to the last charge recorded, and the calls
  alone (from the end of planning);
- transfers per second: the payout stage (every Stripe Transfer and its local write);
- the whole payday, and whether `ledger check` holds afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from concurrent.futures import ThreadPoolExecutor

import httpx
import sqlalchemy as sa
import stripe

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger import db  # noqa: E402
from bench.scratch import scratch_postgres  # noqa: E402
from ledger.api import Ledger  # noqa: E402
from ledger.check import check_ledger  # noqa: E402
from ledger.models import accounts, members, tips  # noqa: E402
from ledger.payday.engine import run_payday  # noqa: E402
from ledger.records import Community  # noqa: E402
from adapters.stripe.client import StripeConfig, make_client  # noqa: E402
from adapters.stripe.processor import StripeProcessor  # noqa: E402
from adapters.stripe.tables import stripe_accounts, stripe_charges, stripe_customers, stripe_transfers  # noqa: E402

WEEK = dt.date(2026, 11, 23)


def start_server(delay: float) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen([sys.executable, "-m", "tests.adapters.stripe.fake_stripe", "--delay", str(delay)],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    url = server.stdout.readline().strip()  # type: ignore[union-attr]
    if not url.startswith("http://127.0.0.1:"):
        server.kill()
        raise RuntimeError("the Stripe server did not start")
    return server, url


def connected_accounts(client: stripe.StripeClient, api_url: str, count: int) -> list[str]:
    """Express accounts at the server, created and activated concurrently."""
    def one(_: int) -> str:
        account = client.v1.accounts.create(params={"type": "express"})
        httpx.post(f"{api_url}/_test/accounts/{account.id}/activate", timeout=30)
        return account.id

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(one, range(count)))


def seed(ledger: Ledger, account_ids: list[str], tippers: int, recipients: int) -> Community:
    with ledger.begin() as book:
        space = book.ensure_space("console", "bench", community_name="bench")
        community = book.set_funding_mode(space.community_id, "stripe", by_admin=True)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    with ledger.begin() as book:
        conn = book.conn
        ids = conn.execute(accounts.insert().returning(accounts.c.id, sort_by_parameter_order=True),
                           [{"community_id": community.id, "currency": "USD", "kind": "member"}
                            for _ in range(tippers + recipients)]).scalars().all()
        conn.execute(members.insert(), [
            {"id": member_id, "community_id": community.id, "display_name": f"m{n}", "receiving": n >= tippers}
            for n, member_id in enumerate(ids)])
        tipper_ids, recipient_ids = ids[:tippers], ids[tippers:]
        conn.execute(stripe_customers.insert(), [
            {"member_id": member_id, "customer_id": f"cus_bench{member_id}", "payment_method_id": "pm_card_visa"}
            for member_id in tipper_ids])
        conn.execute(stripe_accounts.insert(), [
            {"member_id": member_id, "account_id": account_id, "payable": True}
            for member_id, account_id in zip(recipient_ids, account_ids)])
        conn.execute(tips.insert(), [
            {"community_id": community.id, "tipper_id": tipper, "tippee_id": recipient_ids[n % recipients],
             "weekly_amount_minor": 1000, "ctime": now, "mtime": now}
            for n, tipper in enumerate(tipper_ids)])
    return community


def bench(url: str, label: str, args: argparse.Namespace) -> None:
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    ledger = Ledger.connect(url, upgrade=False)
    server, api_url = start_server(args.delay)
    try:
        config = StripeConfig(secret_key="sk_test_bench", api_url=api_url, concurrency=args.concurrency)
        community = seed(ledger, connected_accounts(make_client(config), api_url, args.recipients),
                         args.tippers, args.recipients)
        run(ledger, config, community, label, args, api_url)
    finally:
        server.kill()
        server.wait()
        ledger.dispose()


def run(ledger: Ledger, config: StripeConfig, community: Community, label: str, args: argparse.Namespace,
        api_url: str) -> None:
    marks: dict[str, float] = {}
    processor = StripeProcessor(config, community)
    started = time.perf_counter()
    result = run_payday(ledger, community.id, WEEK, processor=processor, crash=None,
                        progress=lambda stage, detail: marks.setdefault(stage, time.perf_counter()))
    total = time.perf_counter() - started
    with ledger.begin(readonly=True) as book:
        charged = book.conn.execute(sa.select(sa.func.count()).select_from(stripe_charges)
                                    .where(stripe_charges.c.status == "succeeded")).scalar_one()
        sent = book.conn.execute(sa.select(sa.func.count()).select_from(stripe_transfers)
                                 .where(stripe_transfers.c.status == "succeeded")).scalar_one()
        problems = check_ledger(book.conn)
    charge_seconds = marks["stripe charges"] - marks["snapshotted"]
    plan_seconds = marks["stripe planned"] - marks["snapshotted"]
    calling_seconds = marks["stripe charges"] - marks["stripe planned"]
    transfer_seconds = marks["stripe transfers"] - marks["settled"]
    calls = httpx.get(f"{api_url}/_test/stats", timeout=30).json()["requests"] - args.recipients * 2 - 1
    print(f"{label}: {args.tippers} tippers, {args.recipients} recipients, {args.delay * 1000:.0f} ms per call, "
          f"concurrency {args.concurrency}")
    print(f"  charges:   {charged} in {charge_seconds:.1f} s = {charged / charge_seconds:.1f} charges/s "
          f"(accrual and planning {plan_seconds:.1f} s, then {charged / calling_seconds:.1f} charges/s)")
    print(f"  transfers: {sent} in {transfer_seconds:.1f} s = {sent / transfer_seconds:.1f} transfers/s")
    print(f"  payday:    {result.status}, {total:.1f} s in all, {calls} Stripe calls, "
          f"tips paid {result.stats['tips_paid']}, ledger check {'ok' if not problems else problems[:3]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tippers", type=int, default=2000)
    parser.add_argument("--recipients", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds before the server answers each call")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as directory:
            bench(f"sqlite:///{directory}/bench.sqlite3", "SQLite", args)
    if args.only in (None, "postgresql"):
        with scratch_postgres("stripe") as url:
            bench(url, "PostgreSQL", args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
