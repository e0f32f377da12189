"""Bot replies and payday summaries as Discord embeds, buttons and file attachments."""

from __future__ import annotations

import io

import discord

from bot.reply import Button, Reply, Summary

OK_COLOUR = discord.Colour.green()
REFUSED_COLOUR = discord.Colour.red()
SUMMARY_COLOUR = discord.Colour.blurple()

# Discord's embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELDS_LIMIT = 25
CUSTOM_ID_LIMIT = 100
BUTTON_LABEL_LIMIT = 80
ACTION_PREFIX = "tipbot:"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def embed(reply: Reply) -> discord.Embed:
    """One embed per reply: green for done, red for a refusal (nothing changed)."""
    title = reply.title or ("Tipbot" if reply.ok else "Not done")
    result = discord.Embed(title=_cut(title, TITLE_LIMIT), description=_cut(reply.text, DESCRIPTION_LIMIT),
                           colour=OK_COLOUR if reply.ok else REFUSED_COLOUR)
    for name, value in reply.fields[:FIELDS_LIMIT]:
        result.add_field(name=_cut(name, FIELD_NAME_LIMIT) or "\u200b",
                         value=_cut(value, FIELD_VALUE_LIMIT) or "\u200b", inline=True)
    return result


def custom_id(button: Button) -> str | None:
    """`tipbot:ACTION:VALUE`, or None when it would not fit Discord's 100 characters."""
    value = f"{ACTION_PREFIX}{button.action_id}:{button.value}"
    return value if len(value) <= CUSTOM_ID_LIMIT else None


def parse_custom_id(value: str) -> tuple[str, str] | None:
    if not value.startswith(ACTION_PREFIX):
        return None
    action_id, sep, rest = value[len(ACTION_PREFIX):].partition(":")
    return (action_id, rest) if sep else None


def view(reply: Reply) -> discord.ui.View | None:
    """Buttons, or None when there are none or one's value can't ride in a custom id.

    The view is stopped before it is sent: clicks are dispatched by custom id in
    `on_interaction`, so they work after a restart and in any shard's process, and
    nothing is kept in memory per message.
    """
    if not reply.buttons:
        return None
    ids = [custom_id(b) for b in reply.buttons]
    if any(i is None for i in ids):
        return None
    result = discord.ui.View(timeout=None)
    styles = {"primary": discord.ButtonStyle.primary, "danger": discord.ButtonStyle.danger}
    for button, cid in zip(reply.buttons, ids):
        result.add_item(discord.ui.Button(label=_cut(button.label, BUTTON_LABEL_LIMIT), custom_id=cid,
                                          style=styles.get(button.style or "", discord.ButtonStyle.secondary)))
    result.stop()
    return result


def buttons_dropped_note(reply: Reply) -> str | None:
    """What to say when buttons could not be attached (a long note in the value)."""
    if reply.buttons and view(reply) is None:
        return "To confirm, send the same `/tip` again with the option `confirm: True`."
    return None


def summary_message(summary: Summary) -> tuple[discord.Embed, discord.File | None]:
    """The payday summary embed, with the chart attached and shown inside it."""
    result = discord.Embed(title=_cut(f"Payday: {summary.community_name}", TITLE_LIMIT),
                           description=_cut(summary.text, DESCRIPTION_LIMIT), colour=SUMMARY_COLOUR)
    for name, value in summary.fields[:FIELDS_LIMIT]:
        result.add_field(name=_cut(name, FIELD_NAME_LIMIT) or "\u200b",
                         value=_cut(value, FIELD_VALUE_LIMIT) or "\u200b", inline=True)
    if summary.payday_id is not None:
        result.set_footer(text=summary.marker)  # platform.find_summary looks for it after a crash
    if summary.chart_png is None:
        return result, None
    chart = discord.File(io.BytesIO(summary.chart_png), filename=summary.chart_filename)
    result.set_image(url=f"attachment://{summary.chart_filename}")
    return result, chart
