"""Replies as plain text and as JSON lines: the console's rendering of a `bot.reply.Reply`.

Text mode writes to a terminal, which acts on control characters: ESC sequences clear
the screen or retitle the window, BEL rings, CR overwrites the line. Any that reach
the text (an echoed line, a display name set on another platform) are written as
the `\\u001b`-style escapes `--json` uses, and so are direction overrides, which
reorder what is shown. Line breaks and tabs stay.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

from bot.grammar_words import BIDI_CONTROLS
from bot.reply import Reply, Summary, Visibility

INDENT = "  "
_KEPT = frozenset("\n\t")


def _escaped(char: str) -> bool:
    if char in _KEPT:
        return False
    return unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in BIDI_CONTROLS


def escape_controls(text: str) -> str:
    """`text` with each control or direction character escaped as JSON escapes it (`\\r`, `\\u001b`)."""
    if not any(_escaped(char) for char in text):
        return text
    return "".join(json.dumps(char)[1:-1] if _escaped(char) else char for char in text)


def render(reply: Reply) -> str:
    """Title, text, fields, buttons as hints, and DMs as `(DM to bob) ...`, one block of lines."""
    lines: list[str] = []
    if reply.title:
        lines.append(reply.title)
    text = reply.text if reply.ok else f"✗ {reply.text}"
    if reply.visibility is Visibility.IN_CHANNEL:
        text = f"(to the channel) {text}"
    lines.extend(escape_controls(text).splitlines() or [""])  # escaped first: CR would split a line
    width = max((len(label) for label, _ in reply.fields), default=0)
    lines.extend(f"{INDENT}{label + ':':<{width + 1}} {value}" for label, value in reply.fields)
    if reply.buttons:
        lines.append("Buttons: " + "  ".join(f"[{button.label}]" for button in reply.buttons)
                     + " (buttons are for Slack and Discord)")
    lines.extend(f"(DM to {dm.user_id}) {dm.text}" for dm in reply.direct_messages)
    return escape_controls("\n".join(lines))


def to_json(user: str | None, line: str, reply: Reply, summaries: list[str] | None = None) -> dict[str, Any]:
    """One JSON object per input line: who, what they typed, and the whole reply."""
    data: dict[str, Any] = {"user": user, "input": line}
    data.update(reply.to_json())
    if summaries:
        data["summaries"] = summaries
    return data


def render_summary(summary: Summary, channel: str, chart_path: Path | None) -> str:
    title = f"Payday summary for {summary.community_name}" + (f" (to #{channel})" if channel else "")
    lines = [title, summary.text]
    width = max((len(label) for label, _ in summary.fields), default=0)
    lines.extend(f"{INDENT}{label + ':':<{width + 1}} {value}" for label, value in summary.fields)
    if chart_path is not None:
        lines.append(f"Chart: {chart_path}")
    return escape_controls("\n".join(lines))
