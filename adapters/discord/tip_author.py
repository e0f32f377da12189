""""Tip the author" on Discord: a message context-menu command, a modal, and its submission.

The command (`Tip the author`, right-click a message -> Apps) refuses a bot's or one's own
message and otherwise answers with a modal. The modal carries the author in its custom id
(`tipbot:tip_author:ID:NAME`), so the submission needs no state kept in this process (any
shard, any process, a restart in between); it is handled in `on_interaction`. Its values go
through bot/tip_form.py and run as the very `/tip @author AMOUNT [once] note` command
(the Responder: the interaction id is the idempotency key). Discord modals can't show an
error next to a field, so a refused field is said in a private reply and nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import discord

from adapters.discord.render import ACTION_PREFIX, CUSTOM_ID_LIMIT
from bot.invocation import UserRef
from bot.tip_form import AMOUNT, HOW, NOTE, NOTE_LENGTH, ONCE, TipForm

ACTION = "tip_author"
COMMAND_NAME = "Tip the author"
NAME_IN_ID = 32  # of the author's display name, kept in the custom id (100 characters in all)


def modal(author: discord.abc.User) -> discord.ui.Modal:
    """The form; stopped, so discord.py keeps no copy of it (the submission is matched by custom id)."""
    name = (getattr(author, "display_name", None) or author.name or "")[:NAME_IN_ID]
    custom_id = f"{ACTION_PREFIX}{ACTION}:{author.id}:{name}"[:CUSTOM_ID_LIMIT]
    form = discord.ui.Modal(title=f"Tip {name}"[:45] if name else "Tip the author", custom_id=custom_id)
    form.add_item(discord.ui.TextInput(label="Amount", custom_id=AMOUNT, placeholder="like 1, 1.50 or $1.50",
                                       max_length=40))
    form.add_item(discord.ui.TextInput(label="Once or weekly", custom_id=HOW, default=ONCE, max_length=10,
                                       placeholder="once: now, from your balance; weekly: every payday"))
    form.add_item(discord.ui.TextInput(label="Note (they see it)", custom_id=NOTE, style=discord.TextStyle.paragraph,
                                       required=False, max_length=NOTE_LENGTH))
    form.stop()
    return form


def author_of(value: str) -> UserRef | None:
    """The author a submitted modal's custom id names (the part after `tipbot:tip_author:`)."""
    author_id, _, name = value.partition(":")
    if not author_id.isdigit():
        return None
    return UserRef(author_id, name or None)


def _inputs(components: Any) -> Iterator[dict[str, Any]]:
    """Every text input in a submission, in action rows (type 1) or labels (type 18) alike."""
    for component in components or ():
        if not isinstance(component, dict):
            continue
        if component.get("type") == 4:
            yield component
        yield from _inputs(component.get("components"))
        if isinstance(component.get("component"), dict):
            yield from _inputs([component["component"]])


def submitted_form(data: dict[str, Any]) -> TipForm:
    values = {c.get("custom_id"): c.get("value") for c in _inputs(data.get("components"))}
    return TipForm(amount=values.get(AMOUNT), how=values.get(HOW), note=values.get(NOTE))
