"""Commands of projects ("Back the Stack"), in the neutral command model of bot.commands.

Kept in their own module so the grammar (bot.project_grammar) and the handlers
(bot.handlers.projects) can grow without touching the member commands.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.invocation import UserRef


@dataclass(frozen=True)
class TipProject:
    """`/tip NAME AMOUNT [once] [note]`: a bare word names a project."""

    name: str
    amount_text: str | None
    once: bool = False
    note: str | None = None
    confirmed: bool = False


@dataclass(frozen=True)
class ListProjects:
    """`/tip projects`"""


@dataclass(frozen=True)
class ShowProject:
    """`/tip project NAME`"""

    name: str


@dataclass(frozen=True)
class AddProject:
    """`/tip project add NAME [@user ...]`: create it, or add maintainers."""

    name: str
    users: tuple[UserRef, ...] = ()


@dataclass(frozen=True)
class RemoveMaintainer:
    """`/tip project remove NAME @user`"""

    name: str
    user: UserRef


@dataclass(frozen=True)
class SetPackages:
    """`/tip project NAME packages pypi:pillow npm:left-pad` (none: clear them)."""

    name: str
    packages: tuple[str, ...]


@dataclass(frozen=True)
class SetTake:
    """`/tip take NAME AMOUNT`"""

    name: str
    amount_text: str


@dataclass(frozen=True)
class Stack:
    """`/tip stack AMOUNT NAME [NAME ...]`"""

    amount_text: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class AdminSpotlight:
    """`/tip admin spotlight on|off`"""

    on: bool

