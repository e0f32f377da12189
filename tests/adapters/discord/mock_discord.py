"""A mock of Discord's REST API on 127.0.0.1, answering what Tipbot's client calls.

Responses follow Discord's documented shapes and carry exactly
`Content-Type: application/json` (discord.py only decodes JSON when the header is
exactly that). Every request is recorded (method, path, query, JSON body, files)
for the tests to assert on.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

from tests.loopback import serve

APP_ID = "1100000000000000001"
BOT_USER = {"id": APP_ID, "username": "Tipbot", "discriminator": "0", "global_name": None, "avatar": None,
            "bot": True}
OWNER = {"id": "1100000000000000009", "username": "owner", "discriminator": "0", "global_name": "Owner",
         "avatar": None}
TIMESTAMP = "2026-11-19T12:00:00.000000+00:00"


@dataclass
class Recorded:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any = None
    files: list[dict[str, Any]] = field(default_factory=list)  # {"name", "filename", "content_type", "data"}
    at: float = field(default_factory=time.perf_counter)  # when it arrived (benchmarks only)


class MockDiscord:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.failing_channels: set[str] = set()  # POST /channels/{id}/messages answers 403 here
        self.closed_dms: set[str] = set()  # users whose DMs are closed (50007)
        self.rate_limits: dict[str, int] = {}  # path prefix -> how many 429s to answer there first
        self.expired_interactions: set[str] = set()  # callbacks answer 10062 Unknown interaction
        self._ids = itertools.count(1200000000000000001)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.gateway_url = ""
        self.gateway_received: list[dict[str, Any]] = []  # what clients sent over the gateway
        self._sockets: list[web.WebSocketResponse] = []
        self._sequence = itertools.count(1)
        self.channel_messages: dict[str, list[dict[str, Any]]] = {}  # channel -> messages posted, oldest first

    # lifecycle

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("GET", "/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self._runner, port = await serve(app)
        self.base_url = f"http://127.0.0.1:{port}/api/v10"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway"
        return self.base_url

    async def stop(self) -> None:
        for socket in self._sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # what tests look at

    def calls(self, method: str, prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    async def wait_for(self, predicate: Callable[[list[Recorded]], bool], timeout: float = 20) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self.requests)), timeout)

    # the gateway: HELLO, IDENTIFY -> READY, then whatever a test dispatches

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 45000}, "s": None, "t": None})
        async for message in socket:
            payload = json.loads(message.data)
            self.gateway_received.append(payload)
            if payload["op"] == 2:  # IDENTIFY
                shard = {"shard": payload["d"]["shard"]} if "shard" in payload["d"] else {}
                await self.dispatch("READY", {**shard,
                    "v": 10, "user": BOT_USER, "guilds": [], "session_id": "mock-session",
                    "resume_gateway_url": self.gateway_url, "application": {"id": APP_ID, "flags": 0},
                    "private_channels": [], "relationships": []})
            elif payload["op"] == 1:  # heartbeat
                await socket.send_json({"op": 11, "d": None, "s": None, "t": None})
            async with self._changed:
                self._changed.notify_all()
        self._sockets.remove(socket)
        async with self._changed:
            self._changed.notify_all()
        return socket

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH (op 0) to every connected client, as Discord's gateway does."""
        for socket in list(self._sockets):
            await socket.send_json({"op": 0, "t": event, "s": next(self._sequence), "d": data})

    def connected(self) -> int:
        return len(self._sockets)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 20) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), timeout)

    # the API

    def _id(self) -> str:
        return str(next(self._ids))

    async def _handle(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        recorded = Recorded(request.method, path, dict(request.query))
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                data = await part.read()
                if part.name == "payload_json":
                    recorded.json = json.loads(data)
                else:
                    recorded.files.append({"name": part.name, "filename": part.filename,
                                           "content_type": part.headers.get("Content-Type"), "data": bytes(data)})
        elif request.can_read_body:
            recorded.json = await request.json()
        self.requests.append(recorded)
        try:
            limited = next((p for p, n in self.rate_limits.items() if n > 0 and path.startswith(p)), None)
            if limited is not None:  # Discord's 429, as documented: headers and a JSON body
                self.rate_limits[limited] -= 1
                return web.Response(status=429, body=json.dumps(
                    {"message": "You are being rate limited.", "retry_after": 0.05, "global": False}).encode(),
                    headers={"Content-Type": "application/json", "Via": "1.1 google", "Retry-After": "1",
                             "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                             "X-RateLimit-Reset-After": "0.05", "X-RateLimit-Bucket": "mock",
                             "X-RateLimit-Scope": "user"})
            status, body = self._answer(recorded)
        finally:
            async with self._changed:
                self._changed.notify_all()
        if body is None:
            return web.Response(status=status)
        return web.Response(status=status, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})

    def _answer(self, r: Recorded) -> tuple[int, Any]:
        parts = r.path.strip("/").split("/")
        if r.method == "GET" and r.path == "/gateway/bot":
            return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}
        if r.method == "GET" and r.path == "/users/@me":
            return 200, BOT_USER
        if r.method == "GET" and r.path in ("/oauth2/applications/@me", "/applications/@me"):
            return 200, {"id": APP_ID, "name": "Tipbot", "description": "", "icon": None, "bot_public": True,
                         "bot_require_code_grant": False, "owner": OWNER, "verify_key": "00" * 32, "flags": 0,
                         "team": None, "summary": "", "rpc_origins": []}
        if r.method == "PUT" and parts[0] == "applications" and parts[-1] == "commands":
            guild_id = parts[3] if len(parts) == 5 else None
            # Discord answers message commands with an empty description (they are sent without one)
            return 200, [{"description": "", **command, "id": self._id(), "application_id": APP_ID, "version": self._id(),
                          **({"guild_id": guild_id} if guild_id else {})} for command in r.json]
        if r.method == "POST" and parts[0] == "interactions" and parts[-1] == "callback":
            if parts[1] in self.expired_interactions:
                return 404, {"message": "Unknown interaction", "code": 10062}
            return 200, self._callback(parts[1], r.json)
        if parts[0] == "webhooks":
            if r.method == "DELETE":
                return 204, None
            flags = (r.json or {}).get("flags", 0)
            return 200, self._message(channel_id="0", body=r.json or {}, flags=flags, webhook_id=parts[1])
        if r.method == "POST" and r.path == "/users/@me/channels":
            user_id = str(r.json["recipient_id"])
            return 200, {"id": f"9{user_id}"[:19], "type": 1, "last_message_id": None,
                         "recipients": [{"id": user_id, "username": f"user{user_id[-4:]}", "discriminator": "0",
                                         "global_name": None, "avatar": None}]}
        if r.method == "POST" and parts[0] == "channels" and parts[-1] == "messages":
            channel_id = parts[1]
            if channel_id in self.failing_channels:
                return 403, {"code": 50013, "message": "Missing Permissions"}
            if channel_id[1:] in self.closed_dms:
                return 403, {"code": 50007, "message": "Cannot send messages to this user"}
            attachments = [{"id": self._id(), "filename": f["filename"], "size": len(f["data"]),
                            "url": f"https://cdn.invalid/{f['filename']}", "proxy_url": "https://cdn.invalid/x",
                            "content_type": f["content_type"]} for f in r.files]
            message = self._message(channel_id=channel_id, body=r.json or {}, attachments=attachments)
            self.channel_messages.setdefault(channel_id, []).append(message)
            return 200, message
        if r.method == "GET" and parts[0] == "channels" and parts[-1] == "messages":
            return 200, self.channel_messages.get(parts[1], [])[::-1][:int(r.query.get("limit", 50))]
        return 404, {"code": 0, "message": f"404: Not Found ({r.method} {r.path})"}

    def _callback(self, interaction_id: str, body: dict[str, Any]) -> dict[str, Any]:
        kind = body["type"]
        data = body.get("data") or {}
        flags = data.get("flags", 0)
        message = self._message(channel_id="0", body=data, flags=flags, webhook_id=APP_ID)
        return {
            "interaction": {"id": interaction_id, "type": 2, "response_message_id": message["id"],
                            "response_message_loading": kind == 5, "response_message_ephemeral": bool(flags & 64)},
            "resource": {"type": kind, **({"message": message} if kind in (4, 5) else {})},
        }

    def _message(self, *, channel_id: str, body: dict[str, Any], flags: int = 0, webhook_id: str | None = None,
                 attachments: list | None = None) -> dict[str, Any]:
        message = {
            "id": self._id(), "channel_id": channel_id, "author": BOT_USER, "content": body.get("content") or "",
            "timestamp": TIMESTAMP, "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": [], "mention_roles": [], "attachments": attachments or [], "embeds": body.get("embeds") or [],
            "components": body.get("components") or [], "pinned": False, "type": 0, "flags": flags,
        }
        if webhook_id:
            message["webhook_id"] = webhook_id
        return message
