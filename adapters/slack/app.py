"""The async Bolt app: `/tip`, buttons and the App Home tab, wired to the TipBot.

Every listener acks first (Slack wants an answer within 3 seconds), then runs the
synchronous ledger work in a worker thread and answers through the response URL,
so a slow database never makes Slack show "operation timed out". The same app
serves HTTP (`/slack/events`) and Socket Mode.

Modes, from the settings:
- `SLACK_CLIENT_ID` + `SLACK_CLIENT_SECRET`: many workspaces, OAuth install; bot
  tokens live in slack_sdk's SQLAlchemy installation store in Tipbot's database.
- `SLACK_BOT_TOKEN`: one workspace.
- `SLACK_APP_TOKEN` on top of either: Socket Mode instead of HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import render
from adapters.slack.mentions import name_mentions
from adapters.slack.pacing import Pacer
from adapters.slack.stores import ThreadedInstallationStore, ThreadedOAuthStateStore
from adapters.slack.tip_author import TipTheAuthor
from adapters.slack.users import SlackUsers
from bot.config import Settings
from bot.home import home_reply
from bot.invocation import Action, Invocation, UserRef
from bot.reactions import Reaction, handle_reaction
from bot.reply import DirectMessage, Reply, Visibility

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

PLATFORM = "slack"
SLACK_API_URL = "https://slack.com/api/"
# reactions:read: `reaction_added` events (they carry the message's author as `item_user`,
# so reading channel history is not needed for them). channels:history, groups:history: only
# after a crash mid-announcement, to see whether the summary was posted (summaries.find_summary).
SCOPES = ["commands", "chat:write", "chat:write.public", "users:read", "im:write", "files:write", "reactions:read",
          "channels:history", "groups:history"]
RATE_LIMIT_RETRIES = 3
# Threads that run commands against the (synchronous) ledger. Few on purpose: a command is
# about 2 ms, half of it Python, so two threads keep the database busy while more only
# fight over the GIL with the event loop (bench/README.md, "Slack HTTP"). Scale out with
# processes.
COMMAND_THREADS = 2
SORRY = "Something went wrong on our side; nothing was changed. Please try again."
BUSY = "Tipbot is busy right now, so nothing was changed. Please try again in a minute."


class _ClientGivenFilter(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN (read from the environment by itself) is unused when a
    client is given; the client carries that very token, so the warning only confuses operators."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_ClientGivenFilter())


def web_client(settings: Settings, token: str | None = None) -> AsyncWebClient:
    """A Web API client at TIPBOT_SLACK_API_URL (or Slack's), retrying connection errors and 429s."""
    base_url = settings.slack_api_url or SLACK_API_URL
    if not base_url.endswith("/"):
        base_url += "/"
    return AsyncWebClient(token=token, base_url=base_url, retry_handlers=[
        AsyncConnectionErrorRetryHandler(),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ])


def oauth_mode(settings: Settings) -> bool:
    return bool(settings.slack_client_id and settings.slack_client_secret)


class SlackApp:
    """One process's Slack wiring for one Runtime: the Bolt app and its helpers."""

    def __init__(self, runtime: Runtime, *, process_before_response: bool = False) -> None:
        self.runtime = runtime
        settings = runtime.settings
        self.settings = settings
        self.users = SlackUsers()
        self.pacer = Pacer()  # summaries and notices within Slack's per-channel and per-workspace limits
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._answering_now = 0  # listeners still answering: close() waits for them
        self._idle: asyncio.Event | None = None
        self._closing = False
        self.queued = 0  # commands taken and not yet through the ledger (bounded by slack_command_queue)
        runtime.metrics.queue_depth.labels("slack_commands").set_function(lambda: self.queued)
        self.executor = ThreadPoolExecutor(max_workers=COMMAND_THREADS, thread_name_prefix="slack-command")
        self.installation_store: ThreadedInstallationStore | None = None
        engine = runtime.ledger.engine
        kwargs: dict[str, Any] = {
            "name": "tipbot",
            "signing_secret": Settings.secret(settings.slack_signing_secret) or "",
            "process_before_response": process_before_response,
        }
        if oauth_mode(settings):
            self.installation_store = ThreadedInstallationStore(settings.slack_client_id or "", engine)
            public_url = settings.public_url.rstrip("/")
            kwargs["client"] = web_client(settings)
            kwargs["oauth_settings"] = AsyncOAuthSettings(
                client_id=settings.slack_client_id,
                client_secret=Settings.secret(settings.slack_client_secret),
                scopes=SCOPES,
                redirect_uri=f"{public_url}/slack/oauth_redirect",
                install_path="/slack/install",
                redirect_uri_path="/slack/oauth_redirect",
                installation_store=self.installation_store,
                installation_store_bot_only=True,
                state_store=ThreadedOAuthStateStore(engine),
            )
            kwargs["user_facing_authorize_error_message"] = (
                f"Tipbot is not installed in this workspace (or was removed). "
                f"An admin can add it at {public_url}/slack/install")
        else:
            kwargs["client"] = web_client(settings, Settings.secret(settings.slack_bot_token))
        self.bolt = AsyncApp(**kwargs)
        self.bolt.command("/tip")(self.on_tip)
        self.bolt.action(re.compile(".+"))(self.on_action)
        self.bolt.event("app_home_opened")(self.on_home_opened)
        self.bolt.event("reaction_added")(self.on_reaction_added)
        self.bolt.event("reaction_removed")(self.on_reaction_removed)
        TipTheAuthor(self).register()  # the "Tip the author" message shortcut and its modal
        if self.installation_store is not None:
            self.bolt.enable_token_revocation_listeners()  # app_uninstalled, tokens_revoked: forget the tokens

    # -- one HTTP connection pool for every call to Slack ---------------------------

    def http(self) -> aiohttp.ClientSession:
        """The process's aiohttp session (keep-alive to Slack), made on the serving loop at first use.

        Without it slack_sdk opens a new session, and a new TLS connection, per call.
        """
        if self._session is None or self._session.closed:
            if self._closing:
                raise RuntimeError("the Slack app is shutting down")
            self._session = aiohttp.ClientSession()
            self._session_loop = asyncio.get_running_loop()
            self.bolt.client.session = self._session  # per-request clients copy it from here
        return self._session

    def _use_session(self, client: AsyncWebClient) -> AsyncWebClient:
        """Share the session: listeners always run on the serving loop."""
        if client.session is None:
            client.session = self.http()
        return client

    def _maybe_share_session(self, client: AsyncWebClient) -> AsyncWebClient:
        """Share the session only on the loop it belongs to (a summary may be posted from
        another thread's loop, e.g. `/tip admin payday now` without a scheduler running)."""
        session = self._session
        if session is not None and not session.closed and self._session_loop is asyncio.get_running_loop():
            client.session = session
        return client

    async def close(self, timeout: float = 10.0) -> None:
        """Let listeners that are still answering finish (their ledger work is done), then close."""
        self._closing = True
        if self._answering_now:
            self._idle = asyncio.Event()
            try:
                await asyncio.wait_for(self._idle.wait(), timeout)
            except asyncio.TimeoutError:
                log.warning("%s Slack replies still unsent after %s s; closing anyway", self._answering_now, timeout)
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
        self.executor.shutdown(wait=False)

    async def in_thread(self, fn, *args: Any):
        """Run synchronous ledger work on the command threads, keeping the event loop free."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, functools.partial(fn, *args))

    def has_room(self) -> bool:
        return self.queued < self.settings.slack_command_queue

    @staticmethod
    def busy_message() -> dict[str, Any]:
        """The ack that turns a command away: only the member sees it."""
        return {"response_type": "ephemeral", "text": BUSY}

    def take(self) -> bool:
        """Take a command into the queue for the command threads, unless it is full.

        Beyond capacity a member gets "busy, try again" at once rather than an ack Slack
        gives up on after 3 s; nothing of a refused command is recorded, so trying again
        (the same request, or a new one) works once the queue drains."""
        if not self.has_room():
            return False
        self.queued += 1
        return True

    def done(self) -> None:
        self.queued -= 1

    @contextlib.asynccontextmanager
    async def answering(self) -> AsyncIterator[None]:
        """Count a listener at work, so close() can wait for its reply to go out."""
        self._answering_now += 1
        try:
            yield
        finally:
            self._answering_now -= 1
            if self._answering_now == 0 and self._idle is not None:
                self._idle.set()

    # -- listeners ---------------------------------------------------------------

    async def on_tip(self, ack, command: dict[str, Any], client: AsyncWebClient) -> None:
        if not self.take():
            await ack(**self.busy_message())
            return
        async with self.answering():
            try:
                await ack()
                client = self._use_session(client)
                team_id, user_id = command["team_id"], command["user_id"]
                try:
                    invocation = await self.invocation(command, client)
                    reply = await self.in_thread(self.runtime.bot.handle, invocation)
                except Exception:  # the ledger rolled back; tell the member rather than go silent
                    log.exception("/tip failed in %s", team_id)
                    reply = Reply(text=SORRY, ok=False, code="error")
            finally:
                self.done()
            await self.deliver(reply, client=client, respond=self.responder(command.get("response_url")),
                               user_id=user_id, channel_id=command.get("channel_id"))

    async def invocation(self, command: dict[str, Any], client: AsyncWebClient) -> Invocation:
        team_id, user_id = command["team_id"], command["user_id"]

        async def lookup_name(other_id: str) -> str | None:
            return (await self.users.get(client, team_id, other_id)).name

        me, text = await asyncio.gather(self.users.get(client, team_id, user_id),
                                        name_mentions(command.get("text") or "", lookup_name))
        return Invocation(
            platform=PLATFORM, space_id=team_id,
            user=UserRef(user_id, command.get("user_name") or me.name),
            text=text.strip(),
            request_id=command.get("trigger_id") or None,
            is_admin=me.is_admin,
            space_name=command.get("team_domain"),
            channel_id=command.get("channel_id"),
        )

    async def on_action(self, ack, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        async with self.answering():
            await ack()
            client = self._use_session(client)
            user = body.get("user") or {}
            user_id = user.get("id", "")
            team_id = (body.get("team") or {}).get("id") or user.get("team_id", "")
            container = body.get("container") or {}
            # One click per member per button per message: a double click or a retry carries the same key
            # (a message the whole channel sees, the spotlight, is clicked by many members).
            message_ts = container.get("message_ts")
            request_id = f"{message_ts}:{user_id}:{action['action_id']}" if message_ts else body.get("trigger_id")
            # A click on the clicker's own (ephemeral) message replaces it with the outcome; a click on a
            # message everyone sees gets an answer only the clicker sees, and the message stays.
            replace = container.get("is_ephemeral", True) is not False
            if not self.take():  # a click's ack carries no message: say it through the response URL
                await self.respond_or_post(self.responder(body.get("response_url")), client,
                                           render.reply_message(Reply(text=BUSY, ok=False, code="busy")),
                                           user_id=user_id, channel_id=container.get("channel_id"))
                return
            try:
                me = await self.users.get(client, team_id, user_id)
                clicked = Action(platform=PLATFORM, space_id=team_id,
                                 user=UserRef(user_id, user.get("username") or user.get("name") or me.name),
                                 action_id=action["action_id"], value=action.get("value") or "",
                                 request_id=request_id, is_admin=me.is_admin)
                reply = await self.in_thread(self.runtime.bot.handle_action, clicked)
            except Exception:
                log.exception("button %s failed in %s", action.get("action_id"), team_id)
                reply = Reply(text=SORRY, ok=False, code="error")
            finally:
                self.done()
            await self.deliver(reply, client=client, respond=self.responder(body.get("response_url")),
                               user_id=user_id, channel_id=container.get("channel_id"), replace_original=replace)

    async def on_home_opened(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab") not in (None, "home"):
            return
        if not self.take():  # the Home tab keeps its last view; the next visit refreshes it
            return
        async with self.answering():
            team_id = body.get("team_id") or event.get("view", {}).get("team_id", "")
            try:
                reply = await self.in_thread(home_reply, self.runtime, PLATFORM, team_id, event["user"])
            finally:
                self.done()
            await self._use_session(client).views_publish(user_id=event["user"], view=render.home_view(reply))

    async def on_reaction_added(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        """A reaction to a message: a one-off tip to its author when the emoji is mapped
        (bot/reactions.py). Refusals go to the reactor as an ephemeral message, never to the channel."""
        item = event.get("item") or {}
        reactor_id, author_id = event.get("user") or "", event.get("item_user") or ""
        if item.get("type") != "message" or not reactor_id or not author_id or not item.get("ts"):
            return  # a file or a message with no member author (a bot's, an integration's)
        async with self.answering():
            client = self._use_session(client)
            team_id = body.get("team_id") or ""
            emoji = (event.get("reaction") or "").split("::")[0].lower()  # `thumbsup::skin-tone-2` -> thumbsup
            reactor, author = await asyncio.gather(self.users.get(client, team_id, reactor_id),
                                                   self.users.get(client, team_id, author_id))
            if reactor.is_bot:
                return
            reaction = Reaction(platform=PLATFORM, space_id=team_id, reactor=UserRef(reactor_id, reactor.name),
                                author=UserRef(author_id, author.name), emoji=emoji,
                                message_id=f"{item.get('channel')}:{item['ts']}", author_is_bot=author.is_bot)
            reply = await self.in_thread(handle_reaction, self.runtime, reaction)
            if reply is not None:
                try:
                    await client.chat_postEphemeral(channel=item.get("channel"), user=reactor_id, text=reply.text)
                except Exception:
                    log.exception("telling %s why their reaction did not tip failed", reactor_id)

    async def on_reaction_removed(self) -> None:
        """Removing a reaction does not refund the tip it gave (README, "Tipping in the conversation")."""

    # -- replies -----------------------------------------------------------------

    def responder(self, response_url: str | None):
        """Post to the request's response URL over the shared session (Bolt's respond() opens a new one)."""
        async def respond(**message: Any):
            if not response_url:
                raise LookupError("no response_url in this request")
            return await AsyncWebhookClient(url=response_url, session=self.http()).send_dict(message)

        return respond

    async def deliver(self, reply: Reply, *, client: AsyncWebClient, respond, user_id: str,
                      channel_id: str | None, replace_original: bool = False) -> None:
        """Send the reply where it belongs, then the recipients' notices."""
        if reply.attachment is not None:
            reply = await self.send_file(client, user_id, reply)
        message = render.reply_message(reply)
        if reply.visibility is Visibility.DM:
            await self.send_dm(client, user_id, message)
        else:
            if replace_original:
                message = {**message, "replace_original": True}
                message.pop("response_type")
            await self.respond_or_post(respond, client, message, user_id=user_id, channel_id=channel_id)
        if reply.direct_messages:
            await asyncio.gather(*(self.notify(client, dm) for dm in reply.direct_messages))

    async def respond_or_post(self, respond, client: AsyncWebClient, message: dict[str, Any], *, user_id: str,
                              channel_id: str | None) -> None:
        """The response URL first; if it is gone (expired, used up), or the request had none
        (`respond` None: a modal's submission), a direct ephemeral message."""
        if respond is not None:
            try:
                response = await respond(**message)
                if response.status_code == 200:
                    return
                log.warning("response_url answered %s", response.status_code)
            except Exception as error:  # network failure to the response URL
                log.warning("response_url failed: %s", error)
        if not channel_id:
            await self.send_dm(client, user_id, message)
            return
        body = {k: v for k, v in message.items() if k in ("text", "blocks")}
        if message.get("response_type") == "in_channel":
            await client.chat_postMessage(channel=channel_id, **body)
        else:
            await client.chat_postEphemeral(channel=channel_id, user=user_id, **body)

    async def send_file(self, client: AsyncWebClient, user_id: str, reply: Reply) -> Reply:
        """A reply's file, uploaded (files.getUploadURLExternal, the upload, files.completeUploadExternal)
        into the member's direct messages with the bot: Slack can't show a file to one member of a channel."""
        attachment = reply.attachment
        assert attachment is not None
        try:
            opened = await client.conversations_open(users=user_id)
            await client.files_upload_v2(channel=opened["channel"]["id"], file=attachment.content,
                                         filename=attachment.filename, title=attachment.filename)
        except Exception:
            log.exception("uploading %s to %s failed", attachment.filename, user_id)
            return replace(reply, text="Tipbot could not send you the file just now. Try again in a minute.",
                           attachment=None)
        return replace(reply, text=f"{reply.text}\nSent as `{attachment.filename}` in your direct messages "
                                   f"with Tipbot.", attachment=None)

    async def send_dm(self, client: AsyncWebClient, user_id: str, message: dict[str, Any]) -> None:
        opened = await client.conversations_open(users=user_id)
        body = {k: v for k, v in message.items() if k in ("text", "blocks")}
        await client.chat_postMessage(channel=opened["channel"]["id"], **body)

    async def notify(self, client: AsyncWebClient, dm: DirectMessage) -> None:
        """A recipient's notice: best effort, the ledger change is already committed."""
        try:
            await self.send_dm(client, dm.user_id, render.reply_message(Reply(text=dm.text)))
        except Exception:
            log.exception("direct message to %s failed", dm.user_id)

    # -- outside a request (summaries, payday notices) -------------------------------

    async def client_for_team(self, team_id: str) -> AsyncWebClient:
        if self.installation_store is None:
            token = Settings.secret(self.settings.slack_bot_token)
            return self._maybe_share_session(web_client(self.settings, token))
        bot = await self.installation_store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            raise LookupError(f"Tipbot is not installed in Slack workspace {team_id}")
        return self._maybe_share_session(web_client(self.settings, bot.bot_token))
