"""`tipbot ledger export` in a Stripe community (issue 16): every transfer with its kind,
payday, note and Stripe ids, read back with Python's csv and json equal to the ledger's
rows; `--since` keeps the transfers made on or after the date."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
import sqlalchemy as sa

from bot.cli import main
from ledger.models import accounts, members, paydays, transfers
from ledger.money import decimal_string
from tests.adapters.stripe.conftest import SECRET_KEY
from tests.adapters.stripe.helpers import StripeTown, event, week
from tests.adapters.stripe.test_refunds import TIPS, deliver, refund_events, three_recipients, transfer_of


@pytest.fixture
def t(ledger, client, config, fake):
    return StripeTown(ledger, client, config, fake)


@pytest.fixture
def export(monkeypatch, fake, db_url, capsys):
    monkeypatch.setenv("STRIPE_SECRET_KEY", SECRET_KEY)  # the Stripe adapter adds its ids
    monkeypatch.setenv("TIPBOT_STRIPE_API_URL", fake.url)

    def run(*args: str) -> str:
        code = main(["ledger", "export", "--community", "town", *args, "--database", db_url])
        out = capsys.readouterr().out
        assert code == 0, out
        return out

    return run


def ledger_rows(t: StripeTown) -> list:
    def read(book):
        f, to = members.alias("f"), members.alias("t")
        fa, ta = accounts.alias("fa"), accounts.alias("ta")
        return book.conn.execute(
            sa.select(transfers, paydays.c.week_start,
                      sa.func.coalesce(f.c.display_name, fa.c.kind).label("from_name"),
                      sa.func.coalesce(to.c.display_name, ta.c.kind).label("to_name"))
            .join(fa, fa.c.id == transfers.c.from_account_id).join(ta, ta.c.id == transfers.c.to_account_id)
            .outerjoin(f, f.c.id == transfers.c.from_account_id).outerjoin(to, to.c.id == transfers.c.to_account_id)
            .outerjoin(paydays, paydays.c.id == transfers.c.payday_id)
            .where(transfers.c.community_id == t.community_id).order_by(transfers.c.id)).all()
    return t.ledger.read(read)


def utc_iso(moment: dt.datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def test_the_export_gives_every_transfer_with_its_payday_note_and_stripe_ids(t, web, export):
    charge = three_recipients(t)
    [partial] = refund_events(t, charge, [400])
    assert deliver(web, partial).json()["outcome"] == "refund recorded"
    rows = ledger_rows(t)
    payouts = {transfer_of(t, name)["id"]: name for name in TIPS}
    weeks = dict(t.ledger.read(lambda book: book.conn.execute(sa.select(paydays.c.id, paydays.c.week_start)).all()))
    paid_in = {line.ledger_transfer_id: weeks[line.payday_id] for line in t.lines()}  # payouts carry no payday_id

    read_back = list(csv.DictReader(io.StringIO(export("--format", "csv"), newline="")))

    ids = [r.pop("external_ids") for r in read_back]
    assert read_back == [{
        "transfer_id": str(r.id), "created_at": utc_iso(r.created_at), "kind": r.kind,
        "amount": decimal_string(r.amount_minor, r.currency), "currency": r.currency,
        "from": r.from_name, "to": r.to_name, "payday_week": str(r.week_start or paid_in.get(r.id) or ""),
        "note": r.note or ""} for r in rows]
    by_kind: dict[str, list[tuple[dict, str]]] = {}
    for row, found in zip(read_back, ids):
        by_kind.setdefault(row["kind"], []).append((row, found))
    [(money_in, charge_ids)] = by_kind["charge"]
    assert money_in["payday_week"] == week(0).isoformat() and money_in["to"] == "alice"
    assert set(charge_ids.split()) == {charge.payment_intent_id, charge.charge_id}
    assert all(set(found.split()) == {charge.payment_intent_id, charge.charge_id} for _, found in by_kind["fee"])
    paid = {row["from"]: found for row, found in by_kind["payout"]}
    assert paid == {name: tr for tr, name in payouts.items()}  # each payout names its Stripe Transfer
    assert all(row["payday_week"] == week(0).isoformat() for row, _ in by_kind["payout"])
    assert by_kind["refund"] and by_kind["reversal"]
    assert all(charge.charge_id in found.split() for _, found in by_kind["refund"] + by_kind["reversal"])

    lines = [json.loads(line) for line in export("--format", "jsonl").splitlines()]
    assert [line.pop("external_ids") for line in lines] == ids
    assert lines == [{**row, "transfer_id": int(row["transfer_id"])} for row in read_back]


@pytest.mark.clock
def test_since_keeps_the_transfers_made_on_or_after_the_date(t, web, export, clock):
    charge = three_recipients(t)  # payday 0's transfers, at the pinned moment
    clock.advance(dt.timedelta(days=10))
    later = clock.now().date()
    deliver(web, event("charge.dispute.created", {
        "id": "dp_1", "object": "dispute", "charge": charge.charge_id, "amount": charge.amount_minor,
        "currency": "usd", "status": "needs_response", "reason": "fraudulent"}))
    rows = ledger_rows(t)
    after = [r.id for r in rows if r.created_at.date() >= later]
    assert after and len(after) < len(rows)
    assert {r.kind for r in rows if r.id in after} >= {"reversal", "dispute"}

    since = list(csv.DictReader(io.StringIO(export("--since", later.isoformat()), newline="")))
    day_before = list(csv.DictReader(io.StringIO(export("--since", (later - dt.timedelta(days=1)).isoformat()),
                                                 newline="")))

    assert [int(r["transfer_id"]) for r in since] == after
    assert [int(r["transfer_id"]) for r in day_before] == after  # the payday was ten days earlier
    assert len(list(csv.DictReader(io.StringIO(export(), newline="")))) == len(rows)
