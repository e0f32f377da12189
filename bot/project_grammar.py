"""The projects' part of the `/tip` grammar (bot.grammar hands these words over).

    /tip projects
    /tip project NAME
    /tip project NAME packages pypi:pillow npm:left-pad
    /tip project add NAME [@user ...]
    /tip project remove NAME @user
    /tip take NAME AMOUNT
    /tip stack AMOUNT NAME [NAME ...]
    /tip NAME AMOUNT [once] [confirm] [note]      a bare word is a project's name
    /tip admin spotlight on|off

Names are checked here for shape only; whether a project exists is the handler's business.
"""

from __future__ import annotations

from bot import grammar_words as w
from bot import project_commands as pc
from ledger.errors import InvalidRequest
from ledger.projects import MAX_STACK, normalize_name

PROJECT_USAGE = ("Project commands: `/tip projects`, `/tip project NAME`, `/tip project add NAME [@user ...]`, "
                 "`/tip project remove NAME @user`, `/tip project NAME packages pypi:NAME npm:NAME`, "
                 "`/tip take NAME AMOUNT`, `/tip stack AMOUNT NAME [NAME ...]`.")


def parse_projects(rest: list[str]) -> pc.ListProjects:
    w.no_more(rest, "/tip projects")
    return pc.ListProjects()


def parse_project(rest: list[str]) -> object:
    if not rest:
        raise InvalidRequest(PROJECT_USAGE)
    sub = rest[0].lower()
    if sub in ("add", "remove") and len(rest) >= 2 and not w.is_mention(rest[1]):
        name = normalize_name(rest[1])
        users = []
        for token in rest[2:]:
            if not w.is_mention(token):
                raise InvalidRequest(f"Mention maintainers like `@name`: `/tip project {sub} {name} @name`.")
            users.append(w.mention(token))
        if sub == "add":
            return pc.AddProject(name, tuple(users))
        if len(users) != 1:
            raise InvalidRequest(f"Name one maintainer: `/tip project remove {name} @name` (yourself to leave).")
        return pc.RemoveMaintainer(name, users[0])
    if sub in ("add", "remove"):
        raise InvalidRequest(f"Which project? For example `/tip project {sub} pillow @name`.")
    name = normalize_name(rest[0])
    if len(rest) == 1:
        return pc.ShowProject(name)
    if rest[1].lower() == "packages":
        return pc.SetPackages(name, tuple(rest[2:]))
    raise InvalidRequest(f"I didn't expect `{w.shown(' '.join(rest[1:]))}` there. {PROJECT_USAGE}")


def parse_take(rest: list[str]) -> pc.SetTake:
    usage = "/tip take pillow 10"
    if not rest:
        raise InvalidRequest(f"From which project, and how much? For example `{usage}`.")
    name = normalize_name(rest[0])
    amount_text, more = w.amount(rest[1:], f"/tip take {name} 10")
    w.no_more(more, "/tip take NAME AMOUNT")
    return pc.SetTake(name, amount_text)


def parse_stack(rest: list[str]) -> pc.Stack:
    usage = "/tip stack 10 pillow pypi:requests"
    amount_text, names = w.amount(rest, usage)
    if not names:
        raise InvalidRequest(f"Name the projects (or packages) to back, like `{usage}`.")
    if len(names) > MAX_STACK:
        raise InvalidRequest(f"A stack has at most {MAX_STACK} projects.")
    if any(w.is_mention(n) for n in names):
        raise InvalidRequest("A stack backs projects, not members: name projects or packages, "
                             f"like `{usage}`.")
    return pc.Stack(amount_text, tuple(names))


def parse_bare_name(tokens: list[str]) -> pc.TipProject:
    """`/tip NAME AMOUNT [once] [confirm] [note]`: the first word names a project."""
    name = normalize_name(tokens[0])
    rest = tokens[1:]
    if not rest:
        return pc.TipProject(name, None)
    amount_text, rest = w.amount(rest, f"/tip {name} 1")
    once = confirmed = False
    while rest and rest[0].lower() in ("once", "confirm"):
        once = once or rest[0].lower() == "once"
        confirmed = confirmed or rest[0].lower() == "confirm"
        rest = rest[1:]
    return pc.TipProject(name, amount_text, once=once, note=w.note(rest), confirmed=confirmed)


def parse_spotlight(rest: list[str]) -> pc.AdminSpotlight:
    if len(rest) == 1 and rest[0].lower() in ("on", "off"):
        return pc.AdminSpotlight(on=rest[0].lower() == "on")
    raise InvalidRequest("Usage: `/tip admin spotlight on` or `/tip admin spotlight off`.")


WORDS = {"projects": parse_projects, "project": parse_project, "take": parse_take, "stack": parse_stack}
