"""Slack mention syntax in `/tip` text.

With "escape channels, users and links" on (the manifest turns it on), Slack
sends a mention as `<@U123|name>`; newer clients may send only `<@U123>`. The
grammar accepts both; this module fills in the name of the bare form from
`users.info` (cached) so new members get a readable display name.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")
NAME_SAFE = re.compile(r"[|<>]")


async def name_mentions(text: str, lookup: Callable[[str], Awaitable[str | None]]) -> str:
    """`<@U123>` -> `<@U123|name>` where the name can be found; anything else unchanged."""
    ids = list(dict.fromkeys(USER_MENTION.findall(text)))
    if not ids:
        return text
    names = dict(zip(ids, await asyncio.gather(*(lookup(user_id) for user_id in ids))))

    def replace(match: re.Match[str]) -> str:
        name = names.get(match.group(1))
        if not name:
            return match.group(0)
        return f"<@{match.group(1)}|{NAME_SAFE.sub('', name)}>"

    return USER_MENTION.sub(replace, text)
