"""The command -> handler table. Handler modules register with @handles(CommandType)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.reply import Reply


@dataclass(frozen=True)
class HandlerSpec:
    fn: Callable[..., Reply]
    # True: fn(ctx, cmd) runs inside the command's ledger transaction, and the
    # request id makes the whole command idempotent.
    # False: fn(runtime, invocation, cmd) manages its own transactions (payday,
    # calls to outside services that must not hold a database transaction open).
    transactional: bool = True


HANDLERS: dict[type, HandlerSpec] = {}


def handles(command_type: type, *, transactional: bool = True) -> Callable[[Callable[..., Reply]], Any]:
    def register(fn: Callable[..., Reply]) -> Callable[..., Reply]:
        assert command_type not in HANDLERS, f"two handlers for {command_type.__name__}"
        HANDLERS[command_type] = HandlerSpec(fn, transactional)
        return fn

    return register


# Button actions: action_id -> fn(tipbot, action) -> Reply
ACTIONS: dict[str, Callable[..., Reply]] = {}


def on_action(action_id: str) -> Callable[[Callable[..., Reply]], Any]:
    def register(fn: Callable[..., Reply]) -> Callable[..., Reply]:
        assert action_id not in ACTIONS, f"two handlers for action {action_id}"
        ACTIONS[action_id] = fn
        return fn

    return register
