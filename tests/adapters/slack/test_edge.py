"""The HTTP edge through the real web app: body limits before buffering, malformed
unsigned requests refused without a traceback, and a full command queue answered
"busy, try again" with nothing recorded (production mode: ack first, ledger later)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
import pytest

import adapters.slack
import adapters.stripe
from adapters.slack.app import BUSY
from adapters.slack.config import SlackSettings
from bot import web
from bot.app import ALREADY_RECORDED
from adapters.stripe import StripeFunding
from adapters.stripe.config import StripeSettings
from bot.compose import build_runtime
from bot.config import Settings
from tests.adapters.slack.conftest import (
    TEAM, SlackHarness, block_actions_payload, harness, sign, slash_payload,
)
from tests.adapters.slack.test_slash_command import weekly_tip_minor
from tests.dbs import dump_tables

pytestmark = pytest.mark.anyio

FORM = "application/x-www-form-urlencoded"


class Chunks:
    """A request body sent chunked (no Content-Length), counting how much of it was taken."""

    def __init__(self, total_bytes: int, chunk_bytes: int = 64 * 1024) -> None:
        self.total_bytes, self.chunk_bytes, self.sent_bytes = total_bytes, chunk_bytes, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent_bytes < self.total_bytes:
            self.sent_bytes += self.chunk_bytes
            yield b"a" * self.chunk_bytes


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors]


async def test_a_chunked_body_over_the_slack_limit_is_413_before_it_is_read(slack: SlackHarness) -> None:
    body = Chunks(200 * 1024 * 1024)
    response = await slack.http.post("/slack/events", content=body, headers={"Content-Type": FORM})

    assert response.status_code == 413
    assert response.headers["connection"] == "close"
    assert body.sent_bytes <= 2 * 1024 * 1024  # the limit (1 MiB) and a chunk, not 200 MiB


async def test_a_declared_length_over_the_limit_is_413_without_reading(slack: SlackHarness) -> None:
    body = Chunks(2 * 1024 * 1024)
    response = await slack.http.post("/slack/events", content=body, headers={
        "Content-Type": FORM, "Content-Length": str(2 * 1024 * 1024)})

    assert response.status_code == 413
    assert body.sent_bytes == 0


def stripe_app(ledger):
    settings = Settings(scheduler=False)
    stripe = StripeFunding(settings, StripeSettings(stripe_secret_key="sk_test_x", stripe_webhook_secret="whsec_x"))
    return web.build_app(build_runtime(settings, ledger=ledger, platforms={}, funding={"stripe": stripe}))


async def test_every_route_has_a_limit(ledger) -> None:
    app = stripe_app(ledger)
    settings = app.state.runtime.settings
    stripe_limit = app.state.runtime.body_limits["/stripe/webhook"]
    stripe = Chunks(200 * 1024 * 1024)
    page = Chunks(200 * 1024 * 1024)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        assert (await http.post("/stripe/webhook", content=stripe)).status_code == 413
        # pages do not read a body at all; a declared one over their (smaller) limit is refused
        assert (await http.request("GET", "/stripe/return", content=page)).status_code == 200
        assert page.sent_bytes <= 64 * 1024
        declared = {"Content-Length": str(settings.max_body_bytes + 1)}
        assert (await http.request("GET", "/stripe/return", content=b"a" * (settings.max_body_bytes + 1),
                                   headers=declared)).status_code == 413
        # a body just under the limit still reaches its route (and is refused for its missing signature)
        under = b"a" * (stripe_limit - 1)
        assert (await http.post("/stripe/webhook", content=under)).status_code == 400
    assert stripe.sent_bytes <= stripe_limit + 64 * 1024
    assert settings.max_body_bytes < stripe_limit < SlackSettings().slack_max_body_bytes


async def test_limits_come_from_the_adapters_settings(mock_slack, ledger) -> None:
    h = await harness(mock_slack, ledger, adapter_settings=SlackSettings(slack_max_body_bytes=100))
    try:
        body = urlencode(slash_payload(mock_slack, "<@U2|bob> 1"))
        assert len(body) > 100
        assert (await h.post_signed(body)).status_code == 413
        assert mock_slack.of("response_url") == []
    finally:
        await h.close()


def test_the_limits_keep_their_environment_names_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each adapter reads its own limit, under the names the README documents."""
    for name in ("TIPBOT_MAX_BODY_BYTES", "TIPBOT_SLACK_MAX_BODY_BYTES", "TIPBOT_STRIPE_MAX_BODY_BYTES",
                 "TIPBOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.max_body_bytes, adapters.slack.platform(settings).body_limits(),
            adapters.stripe.funding(settings).body_limits()) == (
        64 * 1024, {"/slack/": 1024 * 1024}, {"/stripe/webhook": 512 * 1024})

    monkeypatch.setenv("TIPBOT_MAX_BODY_BYTES", "1000")
    monkeypatch.setenv("TIPBOT_SLACK_MAX_BODY_BYTES", "3000")
    monkeypatch.setenv("TIPBOT_STRIPE_MAX_BODY_BYTES", "2000")
    settings = Settings()
    assert (settings.max_body_bytes, adapters.slack.platform(settings).body_limits(),
            adapters.stripe.funding(settings).body_limits()) == (
        1000, {"/slack/": 3000}, {"/stripe/webhook": 2000})


async def test_the_web_app_enforces_the_limits_the_environment_gives_the_adapters(
        monkeypatch: pytest.MonkeyPatch, ledger) -> None:
    monkeypatch.setenv("TIPBOT_SLACK_MAX_BODY_BYTES", "3000")
    monkeypatch.setenv("TIPBOT_STRIPE_MAX_BODY_BYTES", "2000")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    settings = Settings(scheduler=False, slack_bot_token="xoxb-test", slack_signing_secret="s")
    runtime = build_runtime(settings, ledger=ledger, platforms={"slack": adapters.slack.platform(settings)},
                            funding={"stripe": adapters.stripe.funding(settings)})
    app = web.build_app(runtime)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        for path, limit in (("/stripe/webhook", 2000), ("/slack/events", 3000)):
            assert (await http.post(path, content=b"a" * (limit + 1))).status_code == 413, path
            # under its limit a body reaches the route (and is refused for its missing signature)
            assert (await http.post(path, content=b"a" * limit)).status_code in (400, 401), path
    await runtime.platforms["slack"].stop()


MALFORMED = {
    "non-UTF-8 body": (b"text=\xff\xfe\xfa&command=%2Ftip", FORM, {}),
    "payload= not JSON": (b"payload=%7Bnot+json", FORM, {}),
    "payload= a JSON list": (b"payload=%5B1%2C2%5D", FORM, {}),
    "garbage JSON": (b"{\"type\": \"event_callback\", ", "application/json", {}),
    "a JSON list": (b"[1, 2, 3]", "application/json", {}),
    "JSON nested 5,000 deep": (b"{\"a\":" * 5000 + b"1" + b"}" * 5000, "application/json", {}),
    "timestamp abc": (b"command=%2Ftip&text=hi", FORM, {"X-Slack-Request-Timestamp": "abc"}),
    "5,000-digit timestamp": (b"command=%2Ftip&text=hi", FORM, {"X-Slack-Request-Timestamp": "9" * 5000}),
}


@pytest.mark.parametrize("shape", MALFORMED)
async def test_a_malformed_unsigned_request_is_refused_without_a_traceback(
        slack: SlackHarness, caplog: pytest.LogCaptureFixture, shape: str) -> None:
    body, content_type, headers = MALFORMED[shape]
    before = dump_tables(slack.ledger.engine)
    caplog.set_level(logging.DEBUG)

    response = await slack.http.post("/slack/events", content=body, headers={
        "Content-Type": content_type, "X-Slack-Signature": "v0=00", **headers})

    assert response.status_code in (400, 401)
    no_errors_logged(caplog)
    assert dump_tables(slack.ledger.engine) == before


async def test_the_same_shapes_signed_are_refused_too(slack: SlackHarness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for shape in ("payload= not JSON", "payload= a JSON list", "garbage JSON", "a JSON list",
                  "JSON nested 5,000 deep"):
        body, content_type, _ = MALFORMED[shape]
        response = await slack.post_signed(body.decode(), content_type=content_type)
        assert response.status_code == 400, shape
    no_errors_logged(caplog)


@pytest.mark.parametrize("body", [b"\xff\xfe{}", b"{not json", b"{\"a\":" * 5000 + b"1" + b"}" * 5000, b"[1]"])
@pytest.mark.parametrize("signature", ["t=abc,v1=00", "t=" + "9" * 5000 + ",v1=00", "garbage", None])
async def test_a_malformed_stripe_webhook_is_400_without_a_traceback(
        ledger, caplog: pytest.LogCaptureFixture, body: bytes, signature: str | None) -> None:
    app = stripe_app(ledger)
    caplog.set_level(logging.DEBUG)
    headers = {"Content-Type": "application/json", **({"Stripe-Signature": signature} if signature else {})}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.post("/stripe/webhook", content=body, headers=headers)
    assert response.status_code == 400
    no_errors_logged(caplog)


# -- a full command queue ----------------------------------------------------------


@pytest.fixture
async def production(mock_slack, ledger) -> AsyncIterator[SlackHarness]:
    """Production mode (ack first, the ledger on the command threads) with a queue of 2."""
    h = await harness(mock_slack, ledger, process_before_response=False, slack_command_queue=2)
    yield h
    await h.close()


def block_command_threads(h: SlackHarness) -> threading.Event:
    """Occupy every command thread until the returned event is set."""
    app = h.runtime.platforms["slack"].app(h.runtime)
    release = threading.Event()
    for _ in range(app.executor._max_workers):
        app.executor.submit(release.wait)
    return release


async def test_past_the_queue_bound_a_command_is_told_busy_and_its_retry_succeeds(production: SlackHarness) -> None:
    h = production
    for member, name in (("U2", "bob"), ("U3", "carol"), ("U4", "dan")):  # first sight, out of the way
        await h.tip(f"<@{member}|{name}> 1")
    await h.mock.wait_for("response_url", 3)
    release = block_command_threads(h)
    app = h.runtime.platforms["slack"].app(h.runtime)
    try:
        first = await h.slash("<@U2|bob> 2", trigger_id="t1")
        second = await h.slash("<@U3|carol> 3", trigger_id="t2")
        assert first.status_code == second.status_code == 200 and app.queued == 2
        third_payload = slash_payload(h.mock, "<@U4|dan> 4", trigger_id="t3")
        third = await h.post_signed(urlencode(third_payload))
        click = await h.post_signed(urlencode({"payload": json.dumps(
            block_actions_payload(h.mock, "confirm_weekly", "x"))}))
    finally:
        release.set()

    assert third.status_code == 200
    assert third.json() == {"response_type": "ephemeral", "text": BUSY}
    assert click.status_code == 200
    replies = await h.mock.wait_for("response_url", 6)
    texts = [c.args["text"] for c in replies[3:]]
    assert sum(BUSY in t for t in texts) == 1  # the click was told through its response URL
    assert weekly_tip_minor(h.ledger, "U1", "U2") == 200
    assert weekly_tip_minor(h.ledger, "U1", "U3") == 300
    assert weekly_tip_minor(h.ledger, "U1", "U4") == 100  # the busy command changed nothing

    retry = await h.post_signed(urlencode(third_payload), headers={"X-Slack-Retry-Num": "1"})
    assert retry.status_code == 200 and retry.content == b""
    await h.mock.wait_for("response_url", 7)
    assert weekly_tip_minor(h.ledger, "U1", "U4") == 400
    assert app.queued == 0
    again = await h.post_signed(urlencode(third_payload))  # a second retry is answered from the record
    assert again.status_code == 200
    (*_, repeat) = await h.mock.wait_for("response_url", 8)
    assert ALREADY_RECORDED in repeat.args["text"]
    assert weekly_tip_minor(h.ledger, "U1", "U4") == 400


async def test_a_forged_command_is_401_even_when_the_queue_is_full(production: SlackHarness) -> None:
    app = production.runtime.platforms["slack"].app(production.runtime)
    app.queued = app.settings.slack_command_queue  # as if full
    try:
        body = urlencode(slash_payload(production.mock, "<@U2|bob> 1"))
        response = await production.http.post("/slack/events", content=body, headers={
            "Content-Type": FORM, **sign(body, secret="not-ours")})
    finally:
        app.queued = 0
    assert response.status_code == 401
    await asyncio.sleep(0)
    assert weekly_tip_minor(production.ledger, "U1", "U2", TEAM) is None
