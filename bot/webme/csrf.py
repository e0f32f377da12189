"""CSRF tokens and idempotency keys for every form on /me.

The CSRF token is made at sign-in and kept in the signed session; every form carries it
in a hidden field, and a post whose field is missing or differs is refused (403) before
anything runs. Each rendered form also carries a fresh idempotency key: the bot records a
command under it, so a form sent twice (a double click, the back button) applies once.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def token_matches(session: dict[str, Any], sent: object) -> bool:
    expected = session.get("csrf")
    return isinstance(expected, str) and isinstance(sent, str) and secrets.compare_digest(expected.encode(), sent.encode())


def new_form_key() -> str:
    return secrets.token_urlsafe(18)


def form_key(sent: object) -> str | None:
    """The form's idempotency key, or None when it is missing or malformed."""
    return sent if isinstance(sent, str) and KEY_PATTERN.fullmatch(sent) else None
