"""Helpers for the /me tests: settings with both sign-in providers pointed at the mock,
chat commands to set the scene, and a client that signs in and fills the page's forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx

from bot.config import Settings
from bot.invocation import Invocation, UserRef
from bot.reply import Reply
from bot.runtime import Runtime
from tests.bot.webme.mock_oauth import DISCORD_CLIENT, SLACK_CLIENT, MockOAuth

SESSION_SECRET = "test-session-secret-0123456789-abcdefghij"


def signin_settings(db_url: str, mock: MockOAuth, public_url: str = "http://testserver", **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url, "scheduler": False, "public_url": public_url, "session_secret": SESSION_SECRET,
        "slack_signin_client_id": SLACK_CLIENT[0], "slack_signin_client_secret": SLACK_CLIENT[1],
        "slack_openid_url": mock.url,
        "discord_signin_client_id": DISCORD_CLIENT[0], "discord_signin_client_secret": DISCORD_CLIENT[1],
        "discord_oauth_url": mock.url,
    }
    values.update(overrides)
    return Settings(**values)


def say(runtime: Runtime, platform: str, space: str, user: str, name: str, text: str, *, admin: bool = False,
        ok: bool = True) -> Reply:
    """A chat command as the platform hands it to the bot (the platform's own tests cover the wire)."""
    reply = runtime.bot.handle(Invocation(platform=platform, space_id=space, user=UserRef(user, name), text=text,
                                          is_admin=admin))
    assert reply.ok == ok, (text, reply.text)
    return reply


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    selects: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # name -> [(value, label)]


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._select: str | None = None
        self._option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", "")))
        elif tag == "input" and self.forms and a.get("name") and a.get("type") != "checkbox":
            self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "select" and self.forms:
            self._select = a.get("name")
            self.forms[-1].selects[self._select or ""] = []
        elif tag == "option" and self._select is not None:
            self._option = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._option is not None and self._select is not None:
            self.forms[-1].selects[self._select].append((self._option, data))
            self._option = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def forms(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class MeClient:
    """A browser-like client of the real app: keeps cookies, follows our redirects by hand."""

    def __init__(self, http: httpx.AsyncClient, mock: MockOAuth) -> None:
        self.http = http
        self.mock = mock

    async def signin(self, provider: str, *, state: str | None = None) -> httpx.Response:
        """Sign in through the mock provider; `state` forges the callback's state."""
        start = await self.http.get(f"/me/signin/{provider}")
        assert start.status_code == 303, start.text
        async with httpx.AsyncClient() as outside:  # the provider, on 127.0.0.1
            consent = await outside.get(start.headers["location"])
        assert consent.status_code == 302, consent.text
        callback = httpx.URL(consent.headers["location"])
        if state is not None:
            callback = callback.copy_set_param("state", state)
        return await self.http.get(callback.raw_path.decode())

    async def page(self, path: str = "/me/") -> str:
        response = await self.http.get(path)
        assert response.status_code == 200, (response.status_code, response.text)
        return response.text

    async def form(self, action: str, path: str = "/me/", which: int = 0) -> Form:
        found = [f for f in forms(await self.page(path)) if f.action == action]
        return found[which]

    async def post(self, action: str, fields: dict[str, str]) -> httpx.Response:
        return await self.http.post(action, data=fields)
