""""Tip the author" on Slack: a message shortcut, a modal, and its submission (bot/tip_form.py).

The shortcut (callback id `tip_author`, in manifest.yml) acks, refuses a bot's or one's own
message privately, and otherwise opens a modal (`views.open`) whose private metadata
names the author and the channel. The submission is checked with the `/tip` grammar and
then run as the very `/tip @author AMOUNT [once] note` command, before the ack: a refusal
the form can fix comes back next to its field (`response_action: errors`, the modal stays
open, nothing changed); anything else closes the modal and the tipper is told privately
(an ephemeral message in the channel), with the large-tip confirmation buttons as in chat.
The view id is the idempotency key, so a replayed submission applies once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.invocation import Invocation, UserRef
from bot.reply import Reply, Visibility
from bot.tip_form import AMOUNT, HOW, NOTE, NOTE_LENGTH, ONCE, WEEKLY, FormError, TipForm, author_refusal, \
    form_errors, tip_command

if TYPE_CHECKING:
    from adapters.slack.app import SlackApp

log = logging.getLogger(__name__)

CALLBACK_ID = "tip_author"


def modal(author_id: str, author_name: str | None, channel_id: str | None) -> dict[str, Any]:
    """The modal: amount, once or weekly (once preselected), an optional note."""
    def option(value: str, text: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": text}, "value": value}

    once = option(ONCE, "Once, now, from my balance")
    return {
        "type": "modal", "callback_id": CALLBACK_ID,
        "title": {"type": "plain_text", "text": "Tip the author"},
        "submit": {"type": "plain_text", "text": "Tip"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"author": author_id, "channel": channel_id}),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"Tip <@{author_id}> for this message."}},
            {"type": "input", "block_id": AMOUNT, "label": {"type": "plain_text", "text": "Amount"},
             "element": {"type": "plain_text_input", "action_id": AMOUNT, "max_length": 40,
                         "placeholder": {"type": "plain_text", "text": "like 1, 1.50 or $1.50"}}},
            {"type": "input", "block_id": HOW, "label": {"type": "plain_text", "text": "How"},
             "element": {"type": "radio_buttons", "action_id": HOW, "initial_option": once,
                         "options": [once, option(WEEKLY, "Every week, until I change it")]}},
            {"type": "input", "block_id": NOTE, "optional": True, "label": {"type": "plain_text", "text": "Note"},
             "element": {"type": "plain_text_input", "action_id": NOTE, "max_length": NOTE_LENGTH,
                         "placeholder": {"type": "plain_text", "text": f"{author_name or 'they'} will see it"}}},
        ],
    }


def submitted_form(view: dict[str, Any]) -> TipForm:
    """The values of a submitted modal (`view.state.values[block][action]`)."""
    values = (view.get("state") or {}).get("values") or {}

    def field(block: str) -> dict[str, Any]:
        return (values.get(block) or {}).get(block) or {}

    how = (field(HOW).get("selected_option") or {}).get("value")
    return TipForm(amount=field(AMOUNT).get("value"), how=how, note=field(NOTE).get("value"))


class TipTheAuthor:
    """The shortcut's and the modal's listeners, on one SlackApp."""

    def __init__(self, app: SlackApp) -> None:
        self.app = app

    def register(self) -> None:
        self.app.bolt.shortcut(CALLBACK_ID)(self.on_shortcut)
        self.app.bolt.view(CALLBACK_ID)(self.on_submission)

    async def on_shortcut(self, ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        app = self.app
        async with app.answering():
            client = app._use_session(client)
            team_id = (body.get("team") or {}).get("id", "")
            tipper_id = (body.get("user") or {}).get("id", "")
            channel_id = (body.get("channel") or {}).get("id")
            message = body.get("message") or {}
            author_id = message.get("user") if not message.get("bot_id") else None
            author = await app.users.get(client, team_id, author_id) if author_id else None
            refused = author_refusal(author_id, author is None or author.is_bot, tipper_id)
            if refused is not None:
                await app.respond_or_post(app.responder(body.get("response_url")), client,
                                          {"response_type": "ephemeral", "text": refused},
                                          user_id=tipper_id, channel_id=channel_id)
                return
            assert author_id is not None and author is not None
            await client.views_open(trigger_id=body["trigger_id"], view=modal(author_id, author.name, channel_id))

    async def on_submission(self, ack, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        app = self.app
        async with app.answering():
            client = app._use_session(client)
            team_id = (body.get("team") or {}).get("id") or view.get("team_id", "")
            user = body.get("user") or {}
            tipper_id = user.get("id", "")
            metadata = json.loads(view.get("private_metadata") or "{}")
            author_id, channel_id = metadata.get("author", ""), metadata.get("channel")
            me = await app.users.get(client, team_id, tipper_id)
            author = await app.users.get(client, team_id, author_id)
            try:
                command = tip_command(UserRef(author_id, author.name), submitted_form(view))
            except FormError as error:
                await ack(response_action="errors", errors={error.field: error.message})
                return
            if not app.take():
                await ack(response_action="errors", errors={AMOUNT: app.busy_message()["text"]})
                return
            try:
                invocation = Invocation(platform="slack", space_id=team_id,
                                        user=UserRef(tipper_id, user.get("username") or user.get("name") or me.name),
                                        command=command, request_id=f"view:{view.get('id')}", is_admin=me.is_admin,
                                        space_name=(body.get("team") or {}).get("domain"), channel_id=channel_id)
                reply = await app.in_thread(app.runtime.bot.handle, invocation)
            except Exception:
                log.exception("Tip the author failed in %s", team_id)
                reply = Reply(text="Something went wrong on our side; nothing was changed. Please try again.",
                              ok=False, code="error")
            finally:
                app.done()
            errors = form_errors(reply)
            if errors is not None:
                await ack(response_action="errors", errors=errors)
                return
            await ack()  # the modal closes; the outcome comes as a message only the tipper sees
            await app.deliver(replace(reply, visibility=Visibility.EPHEMERAL), client=client,
                              respond=None, user_id=tipper_id, channel_id=channel_id)
