"""A Stripe API server on 127.0.0.1 for what localstripe lacks, recording every request.

It answers, following Stripe's API reference: Checkout Sessions, Accounts (Express),
Account Links and Transfers, and it implements idempotency replay: a POST repeating
an Idempotency-Key gets the first response again (header `Idempotent-Replayed: true`)
and nothing is done twice. 429s and dropped connections it was told to inject are
never stored, like Stripe. Every other path is forwarded to `upstream` (localstripe);
with no upstream (the benchmark) it answers PaymentIntents itself, after `delay` seconds.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web


@dataclass
class Recorded:
    method: str
    path: str
    key: str | None
    params: dict[str, str]
    status: int = 0
    replayed: bool = False


@dataclass
class Fault:
    method: str
    path: str  # prefix
    kind: str  # "429" | "drop" | "500"
    remaining: int


def _error(status: int, kind: str, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": {"type": kind, "message": message, **extra}}, status=status)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


@dataclass
class FakeStripe:
    upstream: str | None = None
    delay: float = 0.0
    requests: list[Recorded] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    objects: dict[str, dict] = field(default_factory=dict)
    intents: dict[str, dict] = field(default_factory=dict)  # PaymentIntents localstripe made, for search
    _replays: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    _session: aiohttp.ClientSession | None = None

    # --- what tests look at ---

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def acted(self, path: str) -> list[Recorded]:
        """POSTs to `path` the server acted on: not replays, not injected faults."""
        return [r for r in self.calls("POST", path) if not r.replayed and r.status not in (0, 429, 500)]

    def answer_to(self, idempotency_key: str) -> dict:
        """The stored answer to the POST sent with `idempotency_key` (what a replay returns)."""
        return json.loads(self._replays[f"POST {idempotency_key}"][1])

    def fail(self, method: str, path: str, kind: str, times: int = 1) -> None:
        self.faults.append(Fault(method, path, kind, times))

    def activate(self, account_id: str) -> dict:
        """Stripe finished onboarding: the account can receive transfers."""
        account = self.objects[account_id]
        account.update(charges_enabled=True, payouts_enabled=True, details_submitted=True,
                       capabilities={"transfers": "active"})
        return dict(account)

    def transfers(self) -> list[dict]:
        return [o for o in self.objects.values() if o["object"] == "transfer"]

    def reversals(self) -> list[dict]:
        return [o for o in self.objects.values() if o["object"] == "transfer_reversal"]

    def pay_out(self, account_id: str) -> int:
        """The connected account's owner took its balance to their bank: nothing left to reverse."""
        account = self.objects[account_id]
        paid, account["balance"] = account.get("balance", 0), 0
        return paid

    def _search_intents_own(self, p: dict[str, str]) -> tuple[int, dict]:
        self.intents = {k: v for k, v in self.objects.items() if v["object"] == "payment_intent"}
        return self._search_intents(p)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    # --- the server ---

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        params = dict(request.query)
        if request.content_type == "application/x-www-form-urlencoded":
            params.update({k: v for k, v in (await request.post()).items()})
        key = request.headers.get("Idempotency-Key")
        record = Recorded(request.method, request.path, key, params)
        self.requests.append(record)
        for fault in self.faults:
            if fault.remaining > 0 and request.method == fault.method and request.path.startswith(fault.path):
                fault.remaining -= 1
                record.status = int(fault.kind) if fault.kind.isdigit() else 0
                if fault.kind == "drop":
                    request.transport.close()  # type: ignore[union-attr]
                    raise asyncio.CancelledError
                return _error(int(fault.kind), "api_error" if fault.kind == "500" else "rate_limit_error",
                              "injected", code="rate_limit" if fault.kind == "429" else None)
        replay_key = f"{request.method} {key}" if key and request.method == "POST" else None
        if replay_key and replay_key in self._replays:
            status, payload = self._replays[replay_key]
            record.status, record.replayed = status, True
            return web.Response(status=status, body=payload, content_type="application/json",
                                headers={"Idempotent-Replayed": "true", "Request-Id": _new_id("req")})
        if self.delay:
            await asyncio.sleep(self.delay)
        status, payload = await self._answer(request, body, params)
        record.status = status
        if replay_key and status != 429:
            self._replays[replay_key] = (status, payload)
        return web.Response(status=status, body=payload, content_type="application/json",
                            headers={"Request-Id": _new_id("req")})

    async def _answer(self, request: web.Request, body: bytes, params: dict[str, str]) -> tuple[int, bytes]:
        parts = request.path.strip("/").split("/")
        own = self._own(request.method, parts, params)
        if own is not None:
            status, obj = own
            return status, json.dumps(obj).encode()
        if self.upstream is None:
            return 404, json.dumps({"error": {"type": "invalid_request_error",
                                              "message": f"Unrecognized request URL ({request.path})"}}).encode()
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")}
        async with self._session.request(request.method, self.upstream + request.path_qs, data=body,
                                         headers=headers) as answer:
            status, payload = answer.status, await answer.read()
        if request.method == "POST" and parts == ["v1", "payment_intents"]:
            self._remember_intent(payload)
        return status, payload

    def _remember_intent(self, payload: bytes) -> None:
        """PaymentIntents made through localstripe, for the Search API it lacks."""
        try:
            answer = json.loads(payload)
        except ValueError:
            return
        intent = answer.get("error", {}).get("payment_intent") if "error" in answer else answer
        if isinstance(intent, dict) and intent.get("object") == "payment_intent":
            self.intents[intent["id"]] = intent

    def _search_intents(self, p: dict[str, str]) -> tuple[int, dict]:
        """GET /v1/payment_intents/search: the `metadata['key']:'value'` clause only."""
        m = re.fullmatch(r"metadata\['([^']+)'\]:'([^']*)'", p.get("query", "").strip())
        if m is None:
            return 400, {"error": {"type": "invalid_request_error", "message": "Unsupported query", "param": "query"}}
        data = [i for i in self.intents.values() if (i.get("metadata") or {}).get(m[1]) == m[2]]
        return 200, {"object": "search_result", "url": "/v1/payment_intents/search", "has_more": False,
                     "next_page": None, "data": data}

    def _own(self, method: str, parts: list[str], p: dict[str, str]) -> tuple[int, dict] | None:
        if parts[:1] == ["_test"]:  # for a server in another process (the benchmark)
            if method == "POST" and len(parts) == 4 and parts[1] == "accounts" and parts[3] == "activate":
                return (200, self.activate(parts[2])) if parts[2] in self.objects else (404, {})
            if method == "GET" and parts[1:] == ["stats"]:
                return 200, {"requests": len(self.requests), "transfers": len(self.transfers()),
                             "replayed": sum(r.replayed for r in self.requests)}
        if parts[:3] == ["v1", "checkout", "sessions"]:
            return self._checkout(method, parts[3:], p)
        if parts[:2] == ["v1", "accounts"]:
            return self._accounts(method, parts[2:], p)
        if parts == ["v1", "account_links"] and method == "POST":
            account = self.objects.get(p.get("account", ""))
            if account is None or account["object"] != "account":
                return 400, {"error": {"type": "invalid_request_error", "message": "No such account", "param": "account"}}
            if p.get("type") not in ("account_onboarding", "account_update"):
                return 400, {"error": {"type": "invalid_request_error", "message": "Invalid type", "param": "type"}}
            now = int(time.time())
            return 200, {"object": "account_link", "created": now, "expires_at": now + 300,
                         "url": f"https://connect.stripe.com/setup/e/{account['id']}/{secrets.token_urlsafe(12)}"}
        if parts[:2] == ["v1", "transfers"]:
            return self._transfers(method, parts[2:], p)
        if parts == ["v1", "payment_intents", "search"] and method == "GET":
            if self.upstream is None:
                return self._search_intents_own(p)
            return self._search_intents(p)
        if self.upstream is None and parts[:2] == ["v1", "payment_intents"]:
            return self._payment_intents(method, parts[2:], p)
        return None

    def _get(self, object_name: str, object_id: str) -> tuple[int, dict]:
        obj = self.objects.get(object_id)
        if obj is None or obj["object"] != object_name:
            return 404, {"error": {"type": "invalid_request_error", "message": f"No such {object_name}: '{object_id}'"}}
        return 200, obj

    @staticmethod
    def _metadata(p: dict[str, str]) -> dict[str, str]:
        return {k[len("metadata["):-1]: v for k, v in p.items() if k.startswith("metadata[")}

    def _checkout(self, method: str, rest: list[str], p: dict[str, str]) -> tuple[int, dict]:
        if method == "GET" and len(rest) == 1:
            return self._get("checkout.session", rest[0])
        if method != "POST" or rest:
            return 404, {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}
        if p.get("mode") not in ("payment", "setup", "subscription"):
            return 400, {"error": {"type": "invalid_request_error", "message": "Missing mode", "param": "mode"}}
        if p.get("mode") == "setup" and not p.get("currency") and "payment_method_types[0]" not in p:
            return 400, {"error": {"type": "invalid_request_error", "message": "currency is required", "param": "currency"}}
        if not p.get("success_url"):
            return 400, {"error": {"type": "invalid_request_error", "message": "Missing success_url"}}
        session_id = _new_id("cs_test")
        obj = {"id": session_id, "object": "checkout.session", "mode": p["mode"], "customer": p.get("customer"),
               "currency": p.get("currency"), "status": "open", "setup_intent": None,
               "success_url": p["success_url"], "cancel_url": p.get("cancel_url"), "metadata": self._metadata(p),
               "url": f"https://checkout.stripe.com/c/pay/{session_id}"}
        self.objects[session_id] = obj
        return 200, obj

    def _accounts(self, method: str, rest: list[str], p: dict[str, str]) -> tuple[int, dict]:
        if method == "GET" and len(rest) == 1:
            return self._get("account", rest[0])
        if method != "POST" or rest:
            return 404, {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}
        if p.get("type") not in ("express", "standard", "custom", None):
            return 400, {"error": {"type": "invalid_request_error", "message": "Invalid type", "param": "type"}}
        account_id = _new_id("acct")
        obj = {"id": account_id, "object": "account", "type": p.get("type", "standard"), "charges_enabled": False,
               "payouts_enabled": False, "details_submitted": False, "capabilities": {"transfers": "inactive"},
               "metadata": self._metadata(p)}
        self.objects[account_id] = obj
        return 200, obj

    def _transfers(self, method: str, rest: list[str], p: dict[str, str]) -> tuple[int, dict]:
        if method == "GET" and len(rest) == 1:
            return self._get("transfer", rest[0])
        if len(rest) == 2 and rest[1] == "reversals" and method == "POST":
            return self._reverse(rest[0], p)
        if len(rest) == 2 and rest[1] == "reversals" and method == "GET":
            data = [r for r in self.reversals() if r["transfer"] == rest[0]]
            return 200, {"object": "list", "url": f"/v1/transfers/{rest[0]}/reversals", "has_more": False,
                         "data": data}
        if method == "GET" and not rest:
            data = [t for t in self.transfers()
                    if p.get("transfer_group", t["transfer_group"]) == t["transfer_group"]
                    and p.get("destination", t["destination"]) == t["destination"]]
            return 200, {"object": "list", "url": "/v1/transfers", "has_more": False, "data": data}
        if method != "POST" or rest:
            return 404, {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}
        if not p.get("amount", "").isdigit() or int(p["amount"]) <= 0 or not p.get("currency"):
            return 400, {"error": {"type": "invalid_request_error", "message": "Invalid amount", "param": "amount"}}
        account = self.objects.get(p.get("destination", ""))
        if account is None or account["object"] != "account":
            return 400, {"error": {"type": "invalid_request_error", "message": "No such destination",
                                   "param": "destination"}}
        if account["capabilities"].get("transfers") != "active":
            return 400, {"error": {"type": "invalid_request_error", "code": "insufficient_capabilities_for_transfer",
                                   "message": "Your destination account needs to have the transfers capability enabled"}}
        transfer_id = _new_id("tr")
        obj = {"id": transfer_id, "object": "transfer", "amount": int(p["amount"]), "currency": p["currency"],
               "destination": account["id"], "transfer_group": p.get("transfer_group"),
               "source_transaction": p.get("source_transaction"), "metadata": self._metadata(p),
               "reversed": False, "amount_reversed": 0, "created": int(time.time())}
        self.objects[transfer_id] = obj
        account["balance"] = account.get("balance", 0) + obj["amount"]
        return 200, obj

    def _reverse(self, transfer_id: str, p: dict[str, str]) -> tuple[int, dict]:
        """POST /v1/transfers/{id}/reversals: from the connected account's balance back to the platform."""
        status, transfer = self._get("transfer", transfer_id)
        if status != 200:
            return status, transfer
        left = transfer["amount"] - transfer["amount_reversed"]
        amount = int(p["amount"]) if p.get("amount", "").isdigit() else left
        if amount <= 0 or amount > left:
            return 400, {"error": {"type": "invalid_request_error", "param": "amount",
                                   "message": f"Amount ({amount}) is greater than the unreversed amount ({left})."}}
        account = self.objects[transfer["destination"]]
        if account.get("balance", 0) < amount:
            return 400, {"error": {"type": "invalid_request_error", "code": "balance_insufficient",
                                   "message": "Insufficient funds in the destination account to reverse this "
                                              "transfer: its balance was paid out."}}
        account["balance"] -= amount
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        reversal = {"id": _new_id("trr"), "object": "transfer_reversal", "amount": amount,
                    "currency": transfer["currency"], "transfer": transfer_id, "metadata": self._metadata(p),
                    "created": int(time.time())}
        self.objects[reversal["id"]] = reversal
        return 200, reversal

    def _payment_intents(self, method: str, rest: list[str], p: dict[str, str]) -> tuple[int, dict]:
        """Only without an upstream (the benchmark): off-session confirm answers at once."""
        if method == "GET" and len(rest) == 1:
            return self._get("payment_intent", rest[0])
        if method != "POST" or rest:
            return 404, {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}
        intent_id, charge_id = _new_id("pi"), _new_id("ch")
        declined = p.get("payment_method") == "pm_card_chargeCustomerFail"
        obj = {"id": intent_id, "object": "payment_intent", "amount": int(p["amount"]), "currency": p["currency"],
               "customer": p.get("customer"), "payment_method": p.get("payment_method"),
               "status": "requires_payment_method" if declined else "succeeded", "latest_charge": charge_id,
               "metadata": self._metadata(p)}
        self.objects[intent_id] = obj
        if declined:
            return 402, {"error": {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
                                   "message": "Your card was declined.", "charge": charge_id, "payment_intent": obj}}
        return 200, obj


class LoopThread:
    """An asyncio loop in a daemon thread, serving aiohttp apps on 127.0.0.1."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="stripe-servers")
        self.thread.start()
        self._runners: list[web.AppRunner] = []

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def serve(self, app: web.Application) -> str:
        async def start() -> str:
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)  # idle keep-alives: no 60 s wait
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self._runners.append(runner)
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            return f"http://127.0.0.1:{port}"

        return self.run(start())

    def close(self) -> None:
        async def stop() -> None:
            for runner in self._runners:
                await runner.cleanup()

        self.run(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)


def main() -> None:
    """`python -m tests.adapters.stripe.fake_stripe [--port P] [--delay S]`: serve on 127.0.0.1, print the URL."""
    import argparse

    parser = argparse.ArgumentParser(description="A Stripe API server on 127.0.0.1 (no upstream).")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before answering each call")
    args = parser.parse_args()
    server = FakeStripe(delay=args.delay)

    async def serve() -> None:
        runner = web.AppRunner(server.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", args.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(f"http://127.0.0.1:{port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
