"""Replies as plain text and as JSON lines: the console's rendering of a `bot.reply.Reply`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.reply import Reply, Summary, Visibility

INDENT = "  "


def render(reply: Reply) -> str:
    """Title, text, fields, buttons as hints, and DMs as `(DM to bob) ...`, one block of lines."""
    lines: list[str] = []
    if reply.title:
        lines.append(reply.title)
    text = reply.text if reply.ok else f"✗ {reply.text}"
    if reply.visibility is Visibility.IN_CHANNEL:
        text = f"(to the channel) {text}"
    lines.extend(text.splitlines() or [""])
    width = max((len(label) for label, _ in reply.fields), default=0)
    lines.extend(f"{INDENT}{label + ':':<{width + 1}} {value}" for label, value in reply.fields)
    if reply.buttons:
        lines.append("Buttons: " + "  ".join(f"[{button.label}]" for button in reply.buttons)
                     + " (buttons are for Slack and Discord)")
    lines.extend(f"(DM to {dm.user_id}) {dm.text}" for dm in reply.direct_messages)
    return "\n".join(lines)


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
    return "\n".join(lines)
