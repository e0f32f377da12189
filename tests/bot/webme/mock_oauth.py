"""Mock Slack OpenID Connect and Discord OAuth2 servers on 127.0.0.1, answering like the
real ones (Slack: openid/connect/authorize, openid.connect.token with an ID token,
openid.connect.userInfo; Discord: oauth2/authorize, oauth2/token with HTTP Basic client
auth, users/@me) and recording each call.

The authorize pages sign in whoever the test says is at the keyboard (`slack_user`,
`discord_user`) and redirect straight back, as a provider does once the person agreed.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.loopback import serve

SLACK_CLIENT = ("slack-client-id", "slack-client-secret")
DISCORD_CLIENT = ("discord-client-id", "discord-client-secret")
TEAM_CLAIM = "https://slack.com/team_id"


def unsigned_jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


@dataclass
class MockOAuth:
    slack_user: tuple[str, str, str] = ("U1", "T1", "alice")  # (sub, team, name)
    discord_user: tuple[str, str] = ("1001", "alice")  # (id, username)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._codes: dict[str, dict[str, Any]] = {}
        self._tokens: dict[str, dict[str, Any]] = {}
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/openid/connect/authorize", self._slack_authorize)
        app.router.add_post("/api/openid.connect.token", self._slack_token)
        app.router.add_route("*", "/api/openid.connect.userInfo", self._slack_userinfo)
        app.router.add_get("/oauth2/authorize", self._discord_authorize)
        app.router.add_post("/api/oauth2/token", self._discord_token)
        app.router.add_get("/api/users/@me", self._discord_me)
        self._runner, port = await serve(app)
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def of(self, name: str) -> list[dict[str, Any]]:
        return [args for called, args in self.calls if called == name]

    # -- Slack -------------------------------------------------------------------

    async def _slack_authorize(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.calls.append(("slack.authorize", query))
        if query.get("client_id") != SLACK_CLIENT[0] or query.get("scope") != "openid profile":
            return web.Response(status=400, text="bad client or scope")
        code = secrets.token_hex(8)
        sub, team, name = self.slack_user
        self._codes[code] = {"sub": sub, "team": team, "name": name, "nonce": query.get("nonce"),
                             "redirect_uri": query["redirect_uri"]}
        raise web.HTTPFound(f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}")

    async def _slack_token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.calls.append(("slack.token", form))
        grant = self._codes.pop(str(form.get("code")), None)
        if (form.get("client_id"), form.get("client_secret")) != SLACK_CLIENT:
            return web.json_response({"ok": False, "error": "invalid_client"})
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return web.json_response({"ok": False, "error": "invalid_code"})
        token = secrets.token_hex(8)
        self._tokens[token] = grant
        id_token = unsigned_jwt({"iss": self.url, "aud": SLACK_CLIENT[0], "sub": grant["sub"],
                                 TEAM_CLAIM: grant["team"], "nonce": grant["nonce"], "name": grant["name"]})
        return web.json_response({"ok": True, "access_token": token, "token_type": "Bearer", "id_token": id_token})

    async def _slack_userinfo(self, request: web.Request) -> web.Response:
        self.calls.append(("slack.userinfo", {}))
        grant = self._tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        if grant is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response({"ok": True, "sub": grant["sub"], TEAM_CLAIM: grant["team"], "name": grant["name"],
                                  "https://slack.com/user_id": grant["sub"]})

    # -- Discord -----------------------------------------------------------------

    async def _discord_authorize(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.calls.append(("discord.authorize", query))
        if query.get("client_id") != DISCORD_CLIENT[0] or query.get("scope") != "identify":
            return web.Response(status=400, text="bad client or scope")
        code = secrets.token_hex(8)
        user_id, username = self.discord_user
        self._codes[code] = {"id": user_id, "username": username, "redirect_uri": query["redirect_uri"]}
        raise web.HTTPFound(f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}")

    async def _discord_token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.calls.append(("discord.token", form))
        expected = "Basic " + base64.b64encode(":".join(DISCORD_CLIENT).encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response({"error": "invalid_client"}, status=401)
        grant = self._codes.pop(str(form.get("code")), None)
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return web.json_response({"error": "invalid_grant"}, status=400)
        token = secrets.token_hex(8)
        self._tokens[token] = grant
        return web.json_response({"access_token": token, "token_type": "Bearer", "scope": "identify"})

    async def _discord_me(self, request: web.Request) -> web.Response:
        self.calls.append(("discord.me", {}))
        grant = self._tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        if grant is None:
            return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        return web.json_response({"id": grant["id"], "username": grant["username"], "global_name": grant["username"],
                                  "discriminator": "0", "avatar": None})
