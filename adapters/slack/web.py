"""Slack's HTTP endpoints as Starlette routes, for bot.web's app.

`/slack/events` takes slash commands, button clicks and events (Bolt verifies the
signature and the five-minute timestamp window and answers 401 otherwise);
`/slack/install` and `/slack/oauth_redirect` run the OAuth install for many
workspaces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from adapters.slack.app import SlackApp

MAX_BODY_BYTES = 1 << 20  # Slack's payloads are a few KiB; refuse anything absurd before reading it


def routes(slack: SlackApp, *, events: bool = True) -> list[Route]:
    handler = AsyncSlackRequestHandler(slack.bolt)

    async def endpoint(request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return PlainTextResponse("request too large", status_code=413)
        return await handler.handle(request)

    found: list[Route] = []
    if events:
        found.append(Route("/slack/events", endpoint, methods=["POST"], name="slack_events"))
    if slack.bolt.oauth_flow is not None:
        found.append(Route("/slack/install", endpoint, methods=["GET"], name="slack_install"))
        found.append(Route("/slack/oauth_redirect", endpoint, methods=["GET"], name="slack_oauth_redirect"))
    return found
