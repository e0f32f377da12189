"""Projects ("Back the Stack") as Discord slash commands: `/project ...`, `/projects`, `/take`, `/stack`.

They build the same neutral commands (bot.project_commands) the `/tip` grammar builds on
Slack and the console, so the handlers, limits and replies are the same. Project names
are offered as the member types (APPLICATION_COMMAND_AUTOCOMPLETE, answered from the
community's projects, bot/project_names.py); a typed name is still checked by the bot,
since autocomplete is only a suggestion.
"""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands

from adapters.discord.respond import Responder, user_ref
from bot import project_commands as pc
from bot.project_names import project_name_choices
from ledger.project_tables import NAME_MAX
from ledger.projects import MAX_STACK

log = logging.getLogger(__name__)

AMOUNT_HELP = "like 1, 1.50, $1.50 or 1.50 USD"
NOTE_LENGTH = 500
STACK_NAMES_LENGTH = 1000
Name = app_commands.Range[str, 1, NAME_MAX]
Amount = app_commands.Range[str, 1, 40]


def install_projects(tree: app_commands.CommandTree, responder: Responder) -> None:
    """Add /project (show, add, remove, packages, tip), /projects, /take and /stack."""
    run = responder.run
    runtime = responder.runtime

    async def name_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """The community's project names starting with what was typed."""
        if interaction.guild_id is None:
            return []
        try:
            found = await asyncio.to_thread(project_name_choices, runtime, "discord", str(interaction.guild_id),
                                            current or "")
        except Exception:  # a suggestion never fails the member's typing
            log.exception("project name autocomplete failed")
            return []
        return [app_commands.Choice(name=n, value=n) for n in found]

    async def stack_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Completes the last of the space-separated names, keeping the ones before it."""
        words = (current or "").split(" ")
        before, last = " ".join(w for w in words[:-1] if w), words[-1]
        if ":" in last:  # a package (pypi:pillow) is typed out in full
            return []
        choices = await name_choices(interaction, last)
        joined = [f"{before} {c.value}".strip() for c in choices]
        return [app_commands.Choice(name=j, value=j) for j in joined if len(j) <= 100]

    group = app_commands.Group(name="project", description="Projects of this community: show, add, maintain, tip",
                               guild_only=True)

    @group.command(name="show", description="One project: maintainers, takes, income, leftover, packages")
    @app_commands.describe(name="the project")
    @app_commands.autocomplete(name=name_choices)
    async def show(interaction: discord.Interaction, name: Name) -> None:
        await run(interaction, pc.ShowProject(name.strip().lower()))

    @group.command(name="add", description="Create a project (you maintain it), or add maintainers to one")
    @app_commands.describe(name="the project's name: lowercase letters, digits, - _ .",
                           maintainer="another maintainer to add", maintainer2="and another",
                           maintainer3="and another")
    @app_commands.autocomplete(name=name_choices)
    async def add(interaction: discord.Interaction, name: Name, maintainer: discord.User | None = None,
                  maintainer2: discord.User | None = None, maintainer3: discord.User | None = None) -> None:
        users = [u for u in (maintainer, maintainer2, maintainer3) if u is not None]
        if any(u.bot for u in users):
            await responder.refuse(interaction, "Bots can't maintain projects; pick members.")
            return
        await run(interaction, pc.AddProject(name.strip().lower(), tuple(user_ref(u) for u in users)))

    @group.command(name="remove", description="Leave a project, or remove a maintainer (maintainers and admins)")
    @app_commands.describe(name="the project", member="the maintainer to remove (yourself to leave)")
    @app_commands.autocomplete(name=name_choices)
    async def remove(interaction: discord.Interaction, name: Name, member: discord.User) -> None:
        await run(interaction, pc.RemoveMaintainer(name.strip().lower(), user_ref(member)))

    @group.command(name="packages", description="The packages a project publishes (leave empty to clear)")
    @app_commands.describe(name="the project", packages="space-separated, like pypi:pillow npm:left-pad")
    @app_commands.autocomplete(name=name_choices)
    async def packages(interaction: discord.Interaction, name: Name,
                       packages: app_commands.Range[str, 1, 2000] | None = None) -> None:
        await run(interaction, pc.SetPackages(name.strip().lower(), tuple((packages or "").split())))

    @group.command(name="tip", description="Tip a project every week, or once now")
    @app_commands.describe(name="the project", amount=f"weekly amount ({AMOUNT_HELP}); 0 ends a weekly tip",
                           once="a one-off tip, paid now from your balance", note="a note",
                           confirm="confirm a large weekly tip")
    @app_commands.autocomplete(name=name_choices)
    async def tip(interaction: discord.Interaction, name: Name, amount: Amount, once: bool = False,
                  note: app_commands.Range[str, 1, NOTE_LENGTH] | None = None, confirm: bool = False) -> None:
        await run(interaction, pc.TipProject(name.strip().lower(), amount.strip(), once=once, note=note,
                                             confirmed=confirm))

    tree.add_command(group)

    @tree.command(name="projects", description="The community's projects, with what each receives")
    @app_commands.guild_only()
    async def projects(interaction: discord.Interaction) -> None:
        await run(interaction, pc.ListProjects())

    @tree.command(name="take", description="Your weekly take from a project you maintain (0 = none)")
    @app_commands.describe(name="the project", amount=f"weekly take ({AMOUNT_HELP})")
    @app_commands.autocomplete(name=name_choices)
    @app_commands.guild_only()
    async def take(interaction: discord.Interaction, name: Name, amount: Amount) -> None:
        await run(interaction, pc.SetTake(name.strip().lower(), amount.strip()))

    @tree.command(name="stack", description="Split a weekly amount across projects (or their packages)")
    @app_commands.describe(amount=f"the weekly total ({AMOUNT_HELP})",
                           names="projects or packages, space-separated, like pillow pypi:requests")
    @app_commands.autocomplete(names=stack_names)
    @app_commands.guild_only()
    async def stack(interaction: discord.Interaction, amount: Amount,
                    names: app_commands.Range[str, 1, STACK_NAMES_LENGTH]) -> None:
        listed = tuple(names.split())
        if not listed or len(listed) > MAX_STACK:
            await responder.refuse(interaction, f"Name 1 to {MAX_STACK} projects or packages.")
            return
        await run(interaction, pc.Stack(amount.strip(), listed))
