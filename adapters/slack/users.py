"""Who a Slack user is: display name and admin flag from `users.info`, cached.

Admin rights come from Slack itself (workspace admins and owners), so they are
looked up rather than trusted from the request. A lookup that fails counts as
"not an admin" (fail closed) and is not cached, so the next request asks again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 300.0


@dataclass(frozen=True)
class SlackUser:
    user_id: str
    name: str | None
    is_admin: bool
    is_bot: bool = False


class SlackUsers:
    """A per-process TTL cache of users.info answers, keyed by (team, user)."""

    def __init__(self, ttl_seconds: float = DEFAULT_TTL_SECONDS, max_entries: int = 50_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._cache: dict[tuple[str, str], tuple[float, SlackUser]] = {}  # key -> (looked up at, answer)

    async def get(self, client: AsyncWebClient, team_id: str, user_id: str) -> SlackUser:
        key = (team_id, user_id)
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self.ttl_seconds:
            return hit[1]
        try:
            response = await client.users_info(user=user_id)
        except (SlackApiError, asyncio.TimeoutError, OSError) as error:
            log.warning("users.info %s failed: %s", user_id, getattr(error, "response", error))
            return SlackUser(user_id, None, False)
        found = response.get("user") or {}
        profile = found.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or found.get("real_name") or found.get("name")
        user = SlackUser(user_id, name or None,
                         bool(found.get("is_admin") or found.get("is_owner") or found.get("is_primary_owner")),
                         is_bot=bool(found.get("is_bot")) or user_id == "USLACKBOT")
        if len(self._cache) >= self.max_entries:
            self._cache.clear()
        self._cache[key] = (now, user)
        return user
