"""Command handlers, one module per area. Each module lists its own table
(`COMMANDS = {Tip: HandlerSpec(tip)}`, `ACTIONS = {...}`); the composition root
(bot/compose.py) merges them into one `CommandTable`. Importing registers nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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


# Button actions: action_id -> fn(tipbot, action) -> Reply
ActionHandler = Callable[..., Reply]


@dataclass(frozen=True)
class CommandTable:
    commands: Mapping[type, HandlerSpec] = field(default_factory=dict)
    actions: Mapping[str, ActionHandler] = field(default_factory=dict)

    @classmethod
    def merge(cls, *modules: Any) -> CommandTable:
        """One table from modules (or objects) with COMMANDS and ACTIONS; a command handled twice is a bug."""
        commands: dict[type, HandlerSpec] = {}
        actions: dict[str, ActionHandler] = {}
        for module in modules:
            for command_type, spec in getattr(module, "COMMANDS", {}).items():
                if command_type in commands:
                    raise ValueError(f"two handlers for {command_type.__name__}")
                commands[command_type] = spec
            for action_id, fn in getattr(module, "ACTIONS", {}).items():
                if action_id in actions:
                    raise ValueError(f"two handlers for action {action_id}")
                actions[action_id] = fn
        return cls(commands, actions)
