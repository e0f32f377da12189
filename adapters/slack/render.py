"""Replies and summaries as Block Kit (https://api.slack.com/block-kit).

The bot names Slack members as `<@U123>` mentions; everything else it says is
plain text and is escaped for mrkdwn, so a note that contains `<!channel>` is
shown, never sent as a ping. Slack's size limits are
respected (3000 characters a section, 10 fields a section, 150 a header) by
splitting rather than failing.
"""

from __future__ import annotations

import re
from typing import Any

from bot.reply import Button, Reply, Summary, Visibility

SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
HEADER_LIMIT = 150
FIELDS_PER_SECTION = 10
BUTTONS_PER_BLOCK = 25
FALLBACK_LIMIT = 3000


# Member and channel references are kept; any other `<...>` (`<!channel>`, links) is escaped.
KEPT_MARKUP = re.compile(r"(<[@#][UWC][A-Z0-9]{1,30}(?:\|[^<>|]{0,80})?>)")


def escape(text: str) -> str:
    """Slack's three control characters, so user text never becomes markup."""
    parts = KEPT_MARKUP.split(text)
    return "".join(part if i % 2 else _escape(part) for i, part in enumerate(parts))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chunks(text: str, limit: int) -> list[str]:
    """Split on line breaks where possible, hard-cut only lines that are too long themselves."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def _header(title: str) -> dict[str, Any]:
    text = title if len(title) <= HEADER_LIMIT else title[:HEADER_LIMIT - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _sections(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
            for chunk in _chunks(escape(text), SECTION_LIMIT) if chunk.strip()]


def _fields(fields: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
    rendered = [{"type": "mrkdwn", "text": f"*{_escape(name)}*\n{escape(value)}"[:FIELD_LIMIT]}
                for name, value in fields]
    return [{"type": "section", "fields": rendered[i:i + FIELDS_PER_SECTION]}
            for i in range(0, len(rendered), FIELDS_PER_SECTION)]


def _button(button: Button) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button", "action_id": button.action_id, "value": button.value,
        "text": {"type": "plain_text", "text": button.label[:75], "emoji": True},
    }
    if button.style in ("primary", "danger"):
        element["style"] = button.style
    return element


def _actions(buttons: tuple[Button, ...]) -> list[dict[str, Any]]:
    """Action blocks; Slack wants action ids unique within a block, so repeats start a new one."""
    blocks: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    seen: set[str] = set()
    for button in buttons:
        if button.action_id in seen or len(current) == BUTTONS_PER_BLOCK:
            blocks.append({"type": "actions", "elements": current})
            current, seen = [], set()
        current.append(_button(button))
        seen.add(button.action_id)
    if current:
        blocks.append({"type": "actions", "elements": current})
    return blocks


def reply_blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.title:
        blocks.append(_header(reply.title))
    blocks += _sections(reply.text)
    blocks += _fields(reply.fields)
    blocks += _actions(reply.buttons)
    return blocks


def fallback_text(reply: Reply | Summary) -> str:
    """The notification text (and what screen readers and old clients show)."""
    title = getattr(reply, "title", None)
    text = f"{title}: {reply.text}" if title else reply.text
    return escape(text)[:FALLBACK_LIMIT]


def reply_message(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for `respond()` (response_url) or chat.postMessage."""
    message: dict[str, Any] = {"text": fallback_text(reply), "blocks": reply_blocks(reply)}
    message["response_type"] = "in_channel" if reply.visibility is Visibility.IN_CHANNEL else "ephemeral"
    return message


def home_view(reply: Reply) -> dict[str, Any]:
    """The App Home tab (views.publish)."""
    blocks = reply_blocks(reply)
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": "Use `/tip help` in any channel to see every command."}]})
    return {"type": "home", "blocks": blocks[:100]}


def summary_message(summary: Summary) -> dict[str, Any]:
    blocks = [_header(f"Payday: {summary.community_name}")]
    blocks += _sections(summary.text)
    blocks += _fields(summary.fields)
    text = escape(f"Payday for {summary.community_name}: {summary.text}")
    return {"text": text[:FALLBACK_LIMIT], "blocks": blocks}
