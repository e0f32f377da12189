"""Stripe's HTTP endpoints in the web app: the webhook and the page people return to.

POST /stripe/webhook verifies Stripe's signature (bad, missing, or dated more than
the tolerance in the past or the future: 400, nothing is recorded), then applies the
event once (adapters/stripe/webhooks.py `process`) in a worker thread, then sends the
Transfer reversals a refund or dispute needs (adapters/stripe/reversals.py; what fails
there stays pending and is retried by `tipbot stripe reconcile --fix` and the next payday). An event about a
row still pending answers 503, so Stripe sends it again later; any other failure answers
500 for the same reason. A refund or dispute of a charge Tipbot has no row for answers
200 and is recorded as such (retrying would never help): `tipbot stripe reconcile`
lists it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import BaseRoute, Route

from adapters.stripe.reversals import settle_reversals
from adapters.stripe.webhooks import NotYet, process, verify

if TYPE_CHECKING:
    from adapters.stripe.handlers import StripeFunding
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

RETURN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Tipbot</title></head>
<body style="font-family: sans-serif; max-width: 30em; margin: 3em auto">
<h1>Tipbot</h1><p>{message}</p><p>You can close this tab and go back to your chat.</p></body></html>"""

RETURN_MESSAGES = {
    ("checkout", "done"): "Your card is saved with Stripe. Your weekly tips are charged from it at payday.",
    ("checkout", "cancelled"): "Nothing was saved. Run <code>/tip fund</code> again whenever you like.",
    ("payout", "done"): "Thanks! Once Stripe confirms your account can be paid, tips reach it at each payday.",
    ("payout", "refresh"): "That link expired. Run <code>/tip payout</code> again for a fresh one.",
}


def routes(runtime: Runtime, funding: StripeFunding) -> list[BaseRoute]:
    return [
        Route("/stripe/webhook", _webhook(runtime, funding), methods=["POST"], name="stripe_webhook"),
        Route("/stripe/return", _return_page, methods=["GET"], name="stripe_return"),
    ]


def _webhook(runtime: Runtime, funding: StripeFunding):
    async def webhook(request: Request) -> JSONResponse:
        config = funding.config
        if config is None or not config.webhook_secret:
            return JSONResponse({"error": "Stripe webhooks are not configured here"}, status_code=404)
        payload = await request.body()
        try:
            event = verify(payload, request.headers.get("stripe-signature"), config.webhook_secret)
        except ValueError:
            log.warning("stripe webhook with a bad signature refused")
            runtime.metrics.webhooks.labels("stripe", "bad_signature").inc()
            return JSONResponse({"error": "bad signature"}, status_code=400)
        client = funding.client(config)
        try:
            outcome = await asyncio.to_thread(process, runtime.ledger, event, client)
        except NotYet as error:
            log.info("stripe event %s not applicable yet: %s", event.get("id"), error)
            runtime.metrics.webhooks.labels("stripe", "not_yet").inc()
            return JSONResponse({"error": "not yet: send again later"}, status_code=503)
        except Exception:
            log.exception("stripe event %s failed", event.get("id"))
            runtime.metrics.webhooks.labels("stripe", "failed").inc()
            return JSONResponse({"error": "failed: send again later"}, status_code=500)
        runtime.metrics.webhooks.labels("stripe", "applied").inc()
        try:  # the Transfer reversals a refund or dispute needs; reconcile and paydays retry them
            await asyncio.to_thread(settle_reversals, runtime.ledger, client, config)
        except Exception:
            log.exception("stripe reversals after event %s: left pending, retried later", event.get("id"))
        return JSONResponse({"received": True, "outcome": outcome})

    return webhook


async def _return_page(request: Request) -> HTMLResponse:
    message = "Done."
    for (flow, state), text in RETURN_MESSAGES.items():
        if request.query_params.get(flow) == state:
            message = text
    return HTMLResponse(RETURN_PAGE.format(message=message))
