"""The signed session cookie of /me: what it holds and how it is set.

Starlette's SessionMiddleware signs the cookie with itsdangerous (the `session_secret`
setting), scoped to /me, HttpOnly, SameSite=Lax, and Secure when the public URL is https.
It holds the proven platform identity (never a member id: the member is looked up from
the identity on each request, so a link or a merge in chat is seen at once), the CSRF
token, the OAuth state while a sign-in is under way, and one flash message.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from bot.config import Settings
from bot.webme.oauth import ProvenIdentity

COOKIE = "tipbot_me"
PATH = "/me"
FLASH_MAX_JSON_CHARS = 1500  # the cookie (base64 of the session's JSON, signed) must stay under 4 KB


class SessionNotConfigured(RuntimeError):
    """Sign-in is on but no session secret is set: `tipbot run` refuses to start."""


def with_session(app: ASGIApp, settings: Settings) -> ASGIApp:
    secret = Settings.secret(settings.session_secret)
    if not secret or len(secret) < 32:
        raise SessionNotConfigured(
            "Sign-in is on (a Slack or Discord sign-in client id is set) but TIPBOT_SESSION_SECRET is missing or "
            "shorter than 32 characters. Set it to a long random value kept out of the repository, e.g. "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`.")
    return SessionMiddleware(app, secret_key=secret, session_cookie=COOKIE, path=PATH, same_site="lax",
                             https_only=settings.public_url.startswith("https://"),
                             max_age=settings.session_max_age_seconds)


def sign_in(session: dict[str, Any], identity: ProvenIdentity) -> None:
    """Start a fresh session for `identity` (a new CSRF token; nothing of the old one kept)."""
    session.clear()
    session.update({"platform": identity.platform, "user": identity.platform_user_id,
                    "space": identity.space_external_id, "name": identity.name,
                    "csrf": secrets.token_urlsafe(32)})


def signed_in(session: dict[str, Any]) -> ProvenIdentity | None:
    platform, user = session.get("platform"), session.get("user")
    if not isinstance(platform, str) or not isinstance(user, str):
        return None
    return ProvenIdentity(platform, user, session.get("space"), session.get("name"))


def flash(session: dict[str, Any], text: str, ok: bool) -> None:
    """Keep a reply to show once on the next page; a long one is cut so the cookie stays small."""
    while len(json.dumps(text)) > FLASH_MAX_JSON_CHARS:
        text = text[:len(text) * 3 // 4].rstrip() + " …"
    session["flash"] = {"text": text, "ok": ok}


def take_flash(session: dict[str, Any]) -> dict[str, Any] | None:
    return session.pop("flash", None)
