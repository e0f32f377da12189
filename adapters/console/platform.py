"""The console platform: `tipbot console`, and payday summaries printed to the terminal."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import TYPE_CHECKING


from adapters.console import cli
from adapters.console.files import chart_directory  # noqa: F401  (tests and callers import it from here)
from adapters.console.render import render, render_summary
from bot.config import Settings
from bot.platform import Platform

if TYPE_CHECKING:
    from bot.reply import Reply, Summary
    from bot.runtime import Runtime


class ConsolePlatform(Platform):
    """Plain text: mentions are bare names, no buttons (a large tip is confirmed by typing
    `confirm`), no direct messages, summaries printed (no channel needed)."""

    name = "console"
    label = "the console"
    files = True  # the chart is written next to the database
    who_are_admins = "On the console, admins are the names given with `tipbot console --admin NAME`."

    def __init__(self) -> None:
        # While a console session handles a line, summaries go to it (so --json output
        # stays one object per line); otherwise they are printed.
        self.sink: Callable[[str], None] | None = None

    def add_cli(self, subparsers: argparse._SubParsersAction) -> None:
        cli.register(subparsers)

    async def post_summary(self, runtime: Runtime, space_external_id: str, channel_id: str,
                           summary: Summary) -> None:
        """Print the summary; write its chart as a PNG next to the database (or in the data dir)."""
        chart_path = None
        if summary.chart_png:
            safe = re.sub(r"[^\w.\-]+", "_", f"{space_external_id}-{summary.chart_filename}")
            chart_path = chart_directory(runtime) / safe
            chart_path.parent.mkdir(parents=True, exist_ok=True)
            chart_path.write_bytes(summary.chart_png)
        text = render_summary(summary, channel_id, chart_path)
        (self.sink or print)(text)


    async def post_message(self, runtime: Runtime, space_external_id: str, channel_id: str, reply: Reply) -> None:
        """Print it (the spotlight): its command is in the text, since the console has no buttons."""
        (self.sink or print)(render(reply))


def platform(settings: Settings) -> ConsolePlatform:
    """The `tipbot.platforms` entry point's factory."""
    return ConsolePlatform()
