"""Sign in with Slack (OpenID Connect) and with Discord (OAuth2 `identify`).

Each provider makes the URL the browser is sent to (with `state`, and a `nonce` for
OpenID Connect, kept in the session), then turns the callback's code into a proven
platform identity: authorize -> token -> userinfo (Slack) or /users/@me (Discord). Base
URLs come from the settings, so tests run both against mock servers on 127.0.0.1.
Client secrets are sent only to the providers' token endpoints, and never logged.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.config import Settings

TIMEOUT_SECONDS = 10.0


class SigninFailed(Exception):
    """The provider refused, answered nonsense, or the answer does not match what we asked:
    the message is for the person signing in, and holds no secret."""


@dataclass(frozen=True)
class ProvenIdentity:
    """Who the provider says signed in: a platform user (in one Slack workspace)."""

    platform: str  # "slack" | "discord"
    platform_user_id: str
    space_external_id: str | None  # the Slack team id; None on Discord (a user spans servers)
    name: str | None


@dataclass(frozen=True)
class Provider:
    """One sign-in provider, configured from the settings."""

    platform: str
    label: str
    client_id: str
    client_secret: str
    redirect_url: str
    base_url: str

    def authorize_url(self, state: str, nonce: str) -> str:
        raise NotImplementedError

    async def identity(self, code: str, nonce: str) -> ProvenIdentity:
        raise NotImplementedError

    async def _post_json(self, client: httpx.AsyncClient, url: str, **kwargs: Any) -> dict[str, Any]:
        return _json(await client.post(url, **kwargs), self.label)

    async def _get_json(self, client: httpx.AsyncClient, url: str, **kwargs: Any) -> dict[str, Any]:
        return _json(await client.get(url, **kwargs), self.label)


class SlackOpenID(Provider):
    """Sign in with Slack: scopes `openid profile`; the user is the `sub` claim and the
    workspace the `https://slack.com/team_id` claim."""

    TEAM_CLAIM = "https://slack.com/team_id"

    def authorize_url(self, state: str, nonce: str) -> str:
        query = urlencode({"response_type": "code", "scope": "openid profile", "client_id": self.client_id,
                           "state": state, "nonce": nonce, "redirect_uri": self.redirect_url})
        return f"{self.base_url}/openid/connect/authorize?{query}"

    async def identity(self, code: str, nonce: str) -> ProvenIdentity:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            token = await self._post_json(client, f"{self.base_url}/api/openid.connect.token", data={
                "client_id": self.client_id, "client_secret": self.client_secret, "code": code,
                "redirect_uri": self.redirect_url, "grant_type": "authorization_code"})
            if not token.get("ok") or not token.get("access_token") or not token.get("id_token"):
                raise SigninFailed(f"Slack did not accept the sign-in ({_error(token)}). Please try again.")
            claims = id_token_claims(str(token["id_token"]))
            # The ID token came straight from Slack's token endpoint over TLS (OpenID Connect
            # Core 3.1.3.7): its issuer, audience and our nonce are checked, not a signature.
            if claims.get("iss") != self.base_url or not _audience_has(claims.get("aud"), self.client_id):
                raise SigninFailed("Slack's answer was not meant for this site. Please try again.")
            if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(claims["nonce"].encode(), nonce.encode()):
                raise SigninFailed("That sign-in was not started here (its nonce does not match). Please try again.")
            info = await self._post_json(client, f"{self.base_url}/api/openid.connect.userInfo",
                                         headers={"Authorization": f"Bearer {token['access_token']}"})
        user, team = info.get("sub"), info.get(self.TEAM_CLAIM)
        if not info.get("ok") or not isinstance(user, str) or not isinstance(team, str) or not user or not team:
            raise SigninFailed(f"Slack did not say who you are ({_error(info)}). Please try again.")
        if claims.get("sub") != user or claims.get(self.TEAM_CLAIM, team) != team:
            raise SigninFailed("Slack's answers disagree about who you are. Please try again.")
        name = info.get("name") if isinstance(info.get("name"), str) else None
        return ProvenIdentity("slack", user, team, name)


class DiscordOAuth(Provider):
    """Sign in with Discord: scope `identify`; the user is /users/@me's `id`."""

    def authorize_url(self, state: str, nonce: str) -> str:
        query = urlencode({"response_type": "code", "scope": "identify", "client_id": self.client_id,
                           "state": state, "redirect_uri": self.redirect_url, "prompt": "none"})
        return f"{self.base_url}/oauth2/authorize?{query}"

    async def identity(self, code: str, nonce: str) -> ProvenIdentity:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            token = await self._post_json(client, f"{self.base_url}/api/oauth2/token", data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_url},
                auth=(self.client_id, self.client_secret))
            if not token.get("access_token"):
                raise SigninFailed(f"Discord did not accept the sign-in ({_error(token)}). Please try again.")
            me = await self._get_json(client, f"{self.base_url}/api/users/@me",
                                      headers={"Authorization": f"Bearer {token['access_token']}"})
        user = me.get("id")
        if not isinstance(user, str) or not user.isdigit():
            raise SigninFailed("Discord did not say who you are. Please try again.")
        name = me.get("global_name") or me.get("username")
        return ProvenIdentity("discord", user, None, name if isinstance(name, str) else None)


def providers(settings: Settings) -> dict[str, Provider]:
    """The providers whose client id and secret are set, by platform name."""
    found: dict[str, Provider] = {}
    public = settings.public_url.rstrip("/")
    secret = Settings.secret(settings.slack_signin_client_secret)
    if settings.slack_signin_client_id and secret:
        found["slack"] = SlackOpenID(
            "slack", "Slack", settings.slack_signin_client_id, secret,
            settings.slack_signin_redirect_url or f"{public}/me/signin/slack/callback",
            settings.slack_openid_url.rstrip("/"))
    secret = Settings.secret(settings.discord_signin_client_secret)
    if settings.discord_signin_client_id and secret:
        found["discord"] = DiscordOAuth(
            "discord", "Discord", settings.discord_signin_client_id, secret,
            settings.discord_signin_redirect_url or f"{public}/me/signin/discord/callback",
            settings.discord_oauth_url.rstrip("/"))
    return found


def id_token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT (its middle part), refused when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        raise SigninFailed("Slack's ID token is malformed. Please try again.")
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError) as error:
        raise SigninFailed("Slack's ID token is malformed. Please try again.") from error
    if not isinstance(claims, dict):
        raise SigninFailed("Slack's ID token is malformed. Please try again.")
    return claims


def _audience_has(aud: Any, client_id: str) -> bool:
    return aud == client_id or (isinstance(aud, list) and client_id in aud)


def _json(response: httpx.Response, label: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise SigninFailed(f"{label} answered {response.status_code} without JSON. Please try again later.")
    return data


def _error(answer: dict[str, Any]) -> str:
    """The provider's error code, short and without anything secret."""
    code = answer.get("error")
    return str(code)[:60] if isinstance(code, str) and code else "no reason given"
