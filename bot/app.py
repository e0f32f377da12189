"""TipBot: turns an Invocation into a Reply, inside one ledger transaction.

The whole command is idempotent on the platform's request id: its reply is stored
with the key, and a repeat gets that reply back marked "already recorded" while
the ledger stays as it was. A refusal raises inside the transaction, so it rolls
back and changes nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.context import Context
from bot.grammar import parse
from bot.logs import REQUEST_ID
from bot.invocation import Action, Invocation, UserRef
from bot.reply import Reply, refusal
from ledger.book import Book
from ledger.errors import InvalidRequest, Refusal
from ledger.records import Community, Member

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

ALREADY_RECORDED = "Already recorded: this request was received before, and nothing changed now."


class RefusedReply(Exception):
    """A handler's refusal reply: raised to roll the transaction back."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.text)
        self.reply = reply


class TipBot:
    """The command dispatcher over the runtime's command table (built by bot/compose.py)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def handle(self, invocation: Invocation) -> Reply:
        """Run one command. Never raises for anything a member can cause. Counted and timed
        (bot/metrics.py) by platform, command class and outcome, never by its text."""
        started = time.perf_counter()
        token = REQUEST_ID.set(invocation.request_id)
        try:
            reply, command = self._handle(invocation)
        finally:
            REQUEST_ID.reset(token)
        metrics = self.runtime.metrics
        metrics.command_seconds.labels(invocation.platform).observe(time.perf_counter() - started)
        outcome = "ok" if reply.ok else (reply.code or "refused")
        metrics.commands.labels(invocation.platform, command, outcome).inc()
        return reply

    def _handle(self, invocation: Invocation) -> tuple[Reply, str]:
        """The reply, and the command's class name ("unparsed" when the text was not one)."""
        name = "unparsed"
        try:
            command = invocation.command if invocation.command is not None else parse(invocation.text)
            name = type(command).__name__
            spec = self.runtime.commands.commands.get(type(command))
            if spec is None:
                raise InvalidRequest("That command is not available here. Try `/tip help`.")
            if not spec.transactional:
                return spec.fn(self.runtime, invocation, command), name
            return self._in_transaction(invocation, lambda ctx: spec.fn(ctx, command), mentions(command)), name
        except Refusal as error:
            return refusal(error.message, error.code), name
        except RefusedReply as refused:
            return refused.reply, name
        except Exception:
            log.exception("command failed: %s %s", invocation.platform, type(invocation.command).__name__)
            return refusal("Something went wrong on our side; nothing was changed. Please try again.", "error"), name

    def handle_action(self, action: Action) -> Reply:
        """A button click: its value is the text of the command it confirms."""
        fn = self.runtime.commands.actions.get(action.action_id)
        if fn is None:
            return refusal("That button is no longer valid.", "invalid")
        return fn(self, action)

    def context(self, book: Book, invocation: Invocation, mentioned: tuple[UserRef, ...] = ()) -> Context:
        """Resolve the space, community and member behind an invocation (created on first use).

        One statement when they exist, which also reads the members `mentioned`."""
        user = invocation.user
        user_ids = [user.platform_user_id, *(ref.platform_user_id for ref in mentioned)]
        found = book.space_with_members(invocation.platform, invocation.space_id, user_ids)
        if found is None:
            space = book.ensure_space(invocation.platform, invocation.space_id, name=invocation.space_name,
                                      currency=self.runtime.settings.currency)
            community, known = book.community(space.community_id), {}
        else:
            space, community, known = found
        member = known.get(user.platform_user_id) or book.ensure_member(
            space, user.platform_user_id, user.name, refuse_lookalikes=invocation.typed_names)
        return Context(self.runtime, invocation, book, space, community, member, known_members=known)

    def whoami(self, invocation: Invocation) -> tuple[Community, Member]:
        """The asker's community and member, in one short transaction (created on first use);
        for handlers that run outside the command transaction."""
        def op(book: Book) -> tuple[Community, Member]:
            ctx = self.context(book, invocation)
            return ctx.community, ctx.member

        return self.runtime.ledger.run(op).value

    def _in_transaction(self, invocation: Invocation, fn, mentioned: tuple[UserRef, ...] = ()) -> Reply:
        key = None
        if invocation.request_id:
            key = f"{invocation.platform}:{invocation.space_id}:{invocation.request_id}"
        after: list = []
        attachments: list = []  # a reply's file is not stored with it: a replay gets the text only

        def op(book: Book) -> dict[str, Any]:
            ctx = self.context(book, invocation, mentioned)
            reply = fn(ctx)
            if not reply.ok:
                raise RefusedReply(reply)
            after.extend(ctx.after_commit)
            attachments[:] = [reply.attachment]
            return reply.to_json()

        outcome = self.runtime.ledger.run(op, key=key)
        for callback in after:
            try:
                callback()
            except Exception:
                log.exception("after-commit work failed")
        value = outcome.value
        if outcome.repeated:
            value = {**value, "text": f"{ALREADY_RECORDED}\n{value['text']}"}
        reply = Reply.from_json(value, repeated=outcome.repeated)
        if attachments and attachments[0] is not None and not outcome.repeated:
            reply = replace(reply, attachment=attachments[0])
        return reply


def mentions(command: object) -> tuple[UserRef, ...]:
    """The members a parsed command names (fields holding a UserRef or a tuple of them)."""
    found: list[UserRef] = []
    for value in getattr(command, "__dict__", {}).values():
        if isinstance(value, UserRef):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(item for item in value if isinstance(item, UserRef))
    return tuple(found)
