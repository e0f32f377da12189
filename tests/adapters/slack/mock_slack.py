"""A mock Slack Web API on 127.0.0.1 that answers like Slack and records every call.

It answers the methods Tipbot uses (auth.test, users.info, chat.postMessage,
chat.postEphemeral, views.publish, views.open, conversations.open, the three steps of
files_upload_v2, oauth.v2.access, apps.connections.open), the response URLs it
hands out, and a Socket Mode WebSocket. It can answer any method with 429 and a
Retry-After header, like Slack's rate limiter, a given number of times.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.loopback import serve


@dataclass
class Call:
    method: str  # "chat.postMessage", "response_url", "upload", ...
    args: dict[str, Any]
    token: str | None
    status: int = 200


@dataclass
class MockSlack:
    # token -> team id: which workspace each bot token belongs to
    tokens: dict[str, str] = field(default_factory=lambda: {"xoxb-test": "T1"})
    # user id -> users.info fields (is_admin, is_owner, name, ...)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # oauth.v2.access answer: which workspace an install code installs into
    oauth_team: tuple[str, str] = ("T2", "Second Workspace")
    calls: list[Call] = field(default_factory=list)
    rate_limits: dict[str, int] = field(default_factory=dict)  # method -> how many 429s to answer first
    retry_after_seconds: int = 1
    missing_channels: set[str] = field(default_factory=set)  # chat.postMessage answers channel_not_found
    no_files_channels: set[str] = field(default_factory=set)  # files.completeUploadExternal: not_in_channel
    expired_response_urls: bool = False  # response URLs answer 404 expired_url, as after 30 minutes

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self.url = ""
        self.history: dict[str, list[dict[str, Any]]] = {}  # channel -> messages posted there, oldest first

    # -- lifecycle ---------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{id}", self._response_url)
        app.router.add_post("/upload/{id}", self._upload)
        app.router.add_get("/link", self._socket)
        self._runner, port = await serve(app)
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        for socket in self._sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self) -> str:
        return f"{self.url}/response/{next(self._ids)}"

    # -- what tests read ---------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait until `count` successful calls of `method` arrived (for work done after the ack)."""
        async def enough() -> None:
            async with self._changed:
                await self._changed.wait_for(
                    lambda: len([c for c in self.of(method) if c.status == 200]) >= count)

        await asyncio.wait_for(enough(), timeout)
        return [c for c in self.of(method) if c.status == 200]

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # -- handlers ----------------------------------------------------------------

    @staticmethod
    async def _args(request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(await request.post())
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.get("token")
        if self.rate_limits.get(method, 0) > 0:
            self.rate_limits[method] -= 1
            await self._record(Call(method, args, token, status=429))
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(self.retry_after_seconds)})
        await self._record(Call(method, args, token))
        if method == "oauth.v2.access":
            return web.json_response(self._oauth_access(args))
        if method == "apps.connections.open":
            return web.json_response({"ok": True, "url": self.url.replace("http", "ws", 1) + "/link"})
        team = self.tokens.get(token or "")
        if team is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response(self._answer(method, args, team))

    def _answer(self, method: str, args: dict[str, Any], team: str) -> dict[str, Any]:
        n = next(self._ids)
        if method == "auth.test":
            return {"ok": True, "url": "https://test.slack.com/", "team": team, "user": "tipbot",
                    "team_id": team, "user_id": f"UBOT{team}", "bot_id": f"B{team}", "is_enterprise_install": False}
        if method == "users.info":
            user_id = args["user"]
            fields = {"name": user_id.lower(), "is_admin": False, "is_owner": False, **self.users.get(user_id, {})}
            return {"ok": True, "user": {"id": user_id, "team_id": team, "real_name": fields["name"],
                                         "profile": {"display_name": fields["name"]}, **fields}}
        if method in ("chat.postMessage", "chat.postEphemeral") and args.get("channel") in self.missing_channels:
            return {"ok": False, "error": "channel_not_found"}
        if method == "chat.postMessage":
            metadata = args.get("metadata")
            message = {"type": "message", "ts": f"1700000000.{n:06d}", "text": args.get("text"), "bot_id": f"B{team}",
                       **({"metadata": json.loads(metadata) if isinstance(metadata, str) else metadata}
                          if metadata else {})}
            self.history.setdefault(args.get("channel") or "", []).append(message)
            return {"ok": True, "channel": args.get("channel"), "ts": message["ts"], "message": message}
        if method == "conversations.history":
            if args.get("channel") in self.missing_channels:
                return {"ok": False, "error": "channel_not_found"}
            messages = self.history.get(args.get("channel") or "", [])[::-1][:int(args.get("limit") or 100)]
            include = str(args.get("include_all_metadata")).lower() in ("1", "true")
            return {"ok": True, "has_more": False, "messages": [
                m if include else {k: v for k, v in m.items() if k != "metadata"} for m in messages]}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{n:06d}"}
        if method == "views.publish":
            return {"ok": True, "view": {"id": f"V{n}", **(json.loads(args["view"]) if isinstance(
                args.get("view"), str) else args.get("view") or {})}}
        if method == "views.open":
            view = json.loads(args["view"]) if isinstance(args.get("view"), str) else args.get("view") or {}
            return {"ok": True, "view": {"id": f"V{n}", "team_id": team, **view}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": f"D{args.get('users')}"}}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "upload_url": f"{self.url}/upload/F{n}", "file_id": f"F{n}"}
        if method == "files.completeUploadExternal" and args.get("channel_id") in self.no_files_channels:
            return {"ok": False, "error": "not_in_channel"}
        if method == "files.completeUploadExternal":
            files = args.get("files")
            files = json.loads(files) if isinstance(files, str) else files
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        return {"ok": False, "error": "unknown_method"}

    def _oauth_access(self, args: dict[str, Any]) -> dict[str, Any]:
        team_id, team_name = self.oauth_team
        token = f"xoxb-{team_id}"
        self.tokens[token] = team_id
        return {"ok": True, "app_id": "A1", "authed_user": {"id": "UINSTALLER"}, "scope": "commands,chat:write",
                "token_type": "bot", "access_token": token, "bot_user_id": f"UBOT{team_id}",
                "team": {"id": team_id, "name": team_name}, "enterprise": None, "is_enterprise_install": False}

    async def _response_url(self, request: web.Request) -> web.Response:
        if self.expired_response_urls:
            await self._record(Call("response_url", await request.json(), None, status=404))
            return web.Response(status=404, text="expired_url")
        await self._record(Call("response_url", await request.json(), None))
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        body = await request.read()
        await self._record(Call("upload", {"bytes": body, "path": request.path}, None))
        return web.Response(text=f"OK - {len(body)}")

    # -- Socket Mode -------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                await self._record(Call("socket_ack", json.loads(message.data), None))
        return socket

    async def send_envelope(self, envelope: dict[str, Any]) -> None:
        """Push an envelope to every connected Socket Mode client, as Slack does."""
        for socket in self._sockets:
            if not socket.closed:
                await socket.send_str(json.dumps(envelope))

    async def wait_connected(self, timeout: float = 10.0) -> None:
        async def connected() -> None:
            while not any(not s.closed for s in self._sockets):
                await asyncio.sleep(0.01)

        await asyncio.wait_for(connected(), timeout)
