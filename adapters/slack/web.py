"""Slack's HTTP endpoints as Starlette routes, for bot.web's app.

`/slack/events` takes slash commands, button clicks and events (Bolt verifies the
signature and the five-minute timestamp window and answers 401 otherwise);
`/slack/install` and `/slack/oauth_redirect` run the OAuth install for many
workspaces. The web app limits every body (bot.edge); here a body Bolt could not
parse is refused first (400, or 401 for a timestamp that is not one), so junk never
reaches Bolt as an exception and a traceback. When the command queue is full, a signed
slash command is answered "busy, try again" here, before Bolt's far dearer dispatch.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.config import Settings

if TYPE_CHECKING:
    from adapters.slack.app import SlackApp

TIMESTAMP = re.compile(r"[0-9]{1,12}")  # Unix seconds; anything else is no signature at all


def routes(slack: SlackApp, *, events: bool = True) -> list[Route]:
    handler = AsyncSlackRequestHandler(slack.bolt)
    secret = Settings.secret(slack.settings.slack_signing_secret)
    verifier = SignatureVerifier(secret) if secret else None

    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return PlainTextResponse("the body is not UTF-8", status_code=400)
        if request.method == "POST":
            timestamp = request.headers.get("x-slack-request-timestamp")
            if timestamp is not None and not TIMESTAMP.fullmatch(timestamp):
                return PlainTextResponse("invalid request", status_code=401)
            body = _parsed(text, request.headers.get("content-type"))
            if body is None:
                return PlainTextResponse("the body is not a Slack request", status_code=400)
            if "command" in body and verifier is not None and not slack.has_room() and verifier.is_valid(
                    raw, timestamp, request.headers.get("x-slack-signature")):
                return JSONResponse(slack.busy_message())
        return await handler.handle(request)

    found: list[Route] = []
    if events:
        found.append(Route("/slack/events", endpoint, methods=["POST"], name="slack_events"))
    if slack.bolt.oauth_flow is not None:
        found.append(Route("/slack/install", endpoint, methods=["GET"], name="slack_install"))
        found.append(Route("/slack/oauth_redirect", endpoint, methods=["GET"], name="slack_oauth_redirect"))
    return found


def _parsed(text: str, content_type: str | None) -> dict[str, Any] | None:
    """The body as Bolt will read it (a form, a form with a JSON `payload`, or JSON), or None
    when Bolt could not: bad JSON, JSON nested too deep, JSON that is not an object."""
    try:
        body = parse_body(text, (content_type or "").split(";")[0].strip() or None)
    except (ValueError, RecursionError):  # json.JSONDecodeError is a ValueError
        return None
    return body if isinstance(body, dict) else None
