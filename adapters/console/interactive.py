"""The interactive console: a prompt with line editing and history (prompt_toolkit)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from platformdirs import user_data_dir
from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory, History
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output
from prompt_toolkit.shortcuts import print_formatted_text

from adapters.console.render import render
from adapters.console.session import ConsoleSession, split_speaker, valid_name

CONSOLE_HELP = """\
You are talking to Tipbot as {user}. Type a command with or without `/tip`:

  /tip @bob 1            set your weekly tip to bob
  /tip                   your tips, balance and next payday
  help                   what Tipbot can do (`help tips`, `help admin`, ...)

Console only:
  as bob                 from now on, speak as bob
  bob: /tip @alice 2     one line as bob, then back to {user}
  later 7 days           move this console's clock on (hours, days, weeks): next week's payday
  quit                   leave (or Ctrl-D)

Anyone named is a member; admins are the names given with --admin ({admins}).
Large weekly tips ask for confirmation: type the command again with `confirm`."""


def history_file() -> FileHistory:
    path = Path(user_data_dir("tipbot", appauthor=False)) / "console_history"
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileHistory(str(path))


def interactive(session: ConsoleSession, *, user: str = "alice", history: History | None = None,
                input: Input | None = None, output: Output | None = None,
                echo: Callable[[str], None] | None = None) -> int:
    """Read commands until `quit` or end of input; each reply is printed below its command."""
    prompt = PromptSession(history=history or history_file(), input=input, output=output)

    def say(text: str = "") -> None:
        if echo is not None:
            echo(text)
        else:
            print_formatted_text(text, output=output)

    admins = ", ".join(sorted(session.admins)) or "none"
    say(f"Tipbot console, community {session.community!r}. Type `help`, or `quit` to leave.")
    while True:
        try:
            line = prompt.prompt(f"{user}> ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            return 0
        text = line.strip()
        if not text:
            continue
        if text.lower() in ("quit", "exit", "/quit", "/exit"):
            return 0
        words = text.split()
        if words[0].lower() == "as":
            if len(words) == 2 and valid_name(words[1].lstrip("@")):
                user = words[1].lstrip("@")
                say(f"You are now {user}.")
            else:
                say("Say who you want to be, like `as bob`.")
            continue
        if words[0].lower() == "later":
            result = session.run_line(text)
            if result is not None:
                say(render(result.reply))
                say()
            continue
        speaker, command = user, text
        split = split_speaker(text)
        if split is not None:
            speaker, command = split
        if command.lower() in ("help", "/tip help", "?"):
            say(CONSOLE_HELP.format(user=user, admins=admins))
            say()
        result = session.say(speaker, command)
        say(render(result.reply))
        for summary in result.summaries:
            say(summary)
        say()
