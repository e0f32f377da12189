"""Projects in chat: list and show them, maintainers, packages, takes, tips and stacks.

Each handler runs inside the command's one ledger transaction (a refusal changes
nothing; a platform's retry of the same request is answered "already recorded").
Tips to a project follow the member tips' rules: the same limits, the same
confirmation of a large weekly tip, the same pledges when nobody can receive yet.
"""

from __future__ import annotations

from bot.context import Context
from bot.grammar_words import check_text
from bot.handlers import HandlerSpec
from bot.handlers.members import resolve, who
from bot.handlers.tips import about_monthly_minor, cancel, confirmation, cost, given_totals_line, run_confirmed
from bot.invocation import Action
from bot.project_commands import (
    AddProject, AdminSpotlight, ListProjects, RemoveMaintainer, SetPackages, SetTake, ShowProject, Stack, TipProject,
)
from bot.reply import Reply, refusal
from ledger.errors import InvalidRequest, OverLimit
from ledger.money import Money
from ledger.projects import Project, UnknownProject
from ledger.records import TipChange

CONFIRM_ACTION = "project_tip_confirm"
CANCEL_ACTION = "project_tip_cancel"


def _no_project(name: str) -> UnknownProject:
    return UnknownProject(f"no project named {name}; to tip a member, mention them: @{name}")


def _project(ctx: Context, name: str) -> Project:
    found = ctx.book.project_by_name(ctx.community.id, name)
    if found is None:
        raise UnknownProject(f"No project named {name} here. `/tip projects` lists them; "
                             f"`/tip project add {name}` creates it.")
    return found


def tip_project(ctx: Context, cmd: TipProject) -> Reply:
    project = ctx.book.project_by_name(ctx.community.id, cmd.name)
    if cmd.amount_text is None:  # one bare word: a project shown, or a command mistyped
        if project is None:
            raise InvalidRequest(f"I don't know the command `{cmd.name}`. Try `/tip help`.")
        return show_project(ctx, ShowProject(project.name))
    if project is None:
        raise _no_project(cmd.name)
    if cmd.note:
        check_text(cmd.note)
    amount = ctx.money(cmd.amount_text)
    if cmd.once:
        result = ctx.book.tip_project_once(ctx.member, project, ctx.community, amount, note=cmd.note)
        balance = ctx.book.balance(ctx.member.id)
        note = f' ("{cmd.note}")' if cmd.note else ""
        return Reply(text=f"You gave {project.name} {amount.format()} as a one-off tip{note}; it is shared among "
                          f"its maintainers at the next payday. Your balance is now {balance.format()}.",
                     fields=(("Transfer", str(result["transfer_ids"][0])),))
    if amount.amount_minor > ctx.community.max_weekly_minor:
        raise OverLimit(f"A weekly tip is at most {ctx.fmt(ctx.community.max_weekly_minor)} here.")
    current = ctx.book.current_tip(ctx.member.id, project.id)
    current_minor = 0 if current is None else current.weekly_amount_minor
    if (not cmd.confirmed and amount.amount_minor > ctx.runtime.settings.confirm_weekly_over_minor
            and current_minor != amount.amount_minor):
        return _ask_to_confirm(ctx, cmd, amount, project)
    change = ctx.book.set_project_tip(ctx.member, project, ctx.community, amount, note=cmd.note)
    return Reply(text="\n".join([change_line(ctx, change), given_totals_line(ctx)]))


def change_line(ctx: Context, change: TipChange) -> str:
    name, new, old = change.tippee_name, change.new_weekly_minor, change.old_weekly_minor
    if change.unchanged:
        return f"Your weekly tip to {name} is already {ctx.fmt(new)}; nothing changed."
    if new == 0:
        return f"You ended your weekly tip to {name} (it was {ctx.fmt(old)} a week)."
    line = (f"You now tip {name} {cost(ctx, new)}." if old == 0
            else f"Your weekly tip to {name} is now {cost(ctx, new)} (it was {ctx.fmt(old)}).")
    if change.pledge:
        line += (f" {name} has no maintainer who receives tips yet, so this is a pledge: recorded and shown, "
                 f"and paid from the first payday after one does.")
    return line


def _ask_to_confirm(ctx: Context, cmd: TipProject, amount: Money, project: Project) -> Reply:
    text = (f"{amount.format()} a week to {project.name} is about "
            f"{ctx.fmt(about_monthly_minor(amount.amount_minor))} a month. Set it?")
    note = [cmd.note] if cmd.note else []
    value = " ".join([project.name, cmd.amount_text or "", *note])
    typed = " ".join([project.name, cmd.amount_text or "", "confirm", *note])
    return confirmation(ctx, text, amount, value, typed, CONFIRM_ACTION, CANCEL_ACTION)


def confirm(tipbot, action: Action) -> Reply:
    """Set the weekly tip to a project the button confirms (a repeated click changes nothing)."""
    return run_confirmed(tipbot, action, lambda command: isinstance(command, TipProject) and not command.once
                         and command.amount_text is not None)


def stack(ctx: Context, cmd: Stack) -> Reply:
    amount = ctx.money(cmd.amount_text)
    result = ctx.book.tip_stack(ctx.member, ctx.community, amount, cmd.names)
    changes = [TipChange(**t) for t in result["tips"]]
    head = f"You back {len(changes)} projects with {amount.format()} a week: {ctx.fmt(result['each_minor'])} each"
    if result["remainder_minor"]:
        head += (f", and the {ctx.fmt(result['remainder_minor'])} that doesn't split evenly goes to "
                 f"{changes[0].tippee_name}, named first")
    return Reply(text="\n".join([head + ".", *(change_line(ctx, c) for c in changes), given_totals_line(ctx)]))


def list_projects(ctx: Context, cmd: ListProjects) -> Reply:
    summaries = ctx.book.projects_of(ctx.community.id)
    if not summaries:
        return Reply(text="No projects here yet. Create one with `/tip project add NAME` "
                          "(you become its first maintainer).")
    lines = []
    for s in summaries:
        line = f"{s.project.name}: receives {ctx.fmt(s.weekly_minor)} a week"
        if s.pledged_minor:
            line += f" ({ctx.fmt(s.pledged_minor)} pledged, waiting for a maintainer who receives)"
        line += f" from {s.tippers} tipper{'s' if s.tippers != 1 else ''}, {s.maintainers} maintainer" \
                f"{'s' if s.maintainers != 1 else ''}"
        if s.project.balance_minor:
            line += f", {ctx.fmt(s.project.balance_minor)} carried"
        packages = ctx.book.packages(s.project.id)
        if packages:
            line += f"; publishes {', '.join(packages)}"
        lines.append(line)
    return Reply(title="Projects", text="\n".join(lines) + "\nBack one with `/tip NAME 1`, "
                 "or several with `/tip stack 10 NAME NAME`.")


def show_project(ctx: Context, cmd: ShowProject) -> Reply:
    project = _project(ctx, cmd.name)
    summary = ctx.book.project_summary(project)
    maintainers = ctx.book.maintainers(project.id)
    last = ctx.book.last_payday_of(project)
    lines = [f"{project.name} receives {ctx.fmt(summary.weekly_minor)} a week from {summary.tippers} "
             f"tipper{'s' if summary.tippers != 1 else ''}"
             + (f", plus {ctx.fmt(summary.pledged_minor)} pledged" if summary.pledged_minor else "") + "."]
    if maintainers:
        lines.append("Maintainers (oldest first), with their weekly takes:")
        for m in maintainers:
            line = f"  {m.display_name}: {ctx.fmt(m.take_minor)}"
            if m.asked_minor > m.take_minor:
                line += f" (asked {ctx.fmt(m.asked_minor)}; capped this week)"
            if not m.receiving:
                line += " (not receiving: no share until they say `/tip receive on`)"
            if last is not None and m.member_id in last.shares:
                line += f", got {ctx.fmt(last.shares[m.member_id])} last payday"
            lines.append(line)
    else:
        lines.append("No maintainers: tips to it are pledges until someone maintains it "
                     f"(an admin can add one: `/tip project add {project.name} @name`).")
    if last is not None:
        lines.append(f"Last payday (week of {last.week_start:%-d %B}): received {ctx.fmt(last.income_minor)}, "
                     f"paid {ctx.fmt(last.paid_minor)} to maintainers, carried {ctx.fmt(last.carried_minor)}.")
    lines.append(f"Leftover carried now: {ctx.fmt(project.balance_minor)}.")
    packages = ctx.book.packages(project.id)
    lines.append(f"Packages: {', '.join(packages)}." if packages else
                 f"No packages declared (`/tip project {project.name} packages pypi:NAME`).")
    return Reply(title=f"Project {project.name}", text="\n".join(lines))


def add_project(ctx: Context, cmd: AddProject) -> Reply:
    members = [(ref, resolve(ctx, ref)) for ref in cmd.users]
    result = ctx.book.add_project(ctx.community, ctx.member, cmd.name, [m.id for _, m in members],
                                  by_admin=ctx.is_admin)
    names = {m.display_name: who(ctx, ref, m) for ref, m in members}
    added = [names.get(n, n) for n in result["added"]]
    already = [names.get(n, n) for n in result["already"]]
    if result["created"]:
        text = (f"Created project {cmd.name}, maintained by {', '.join(added)}. Set your weekly take with "
                f"`/tip take {cmd.name} AMOUNT`; anyone can back it with `/tip {cmd.name} 1`.")
    else:
        text = f"{', '.join(added)} now maintain{'s' if len(added) == 1 else ''} {cmd.name}." if added else ""
    if already:
        text += f" Already maintaining {cmd.name}: {', '.join(already)}."
    return Reply(text=text.strip())


def remove_maintainer(ctx: Context, cmd: RemoveMaintainer) -> Reply:
    member = resolve(ctx, cmd.user)
    result = ctx.book.remove_maintainer(ctx.community, ctx.member, cmd.name, member.id, by_admin=ctx.is_admin)
    name = who(ctx, cmd.user, member)
    text = (f"You left {cmd.name}." if result["left"] else f"{name} no longer maintains {cmd.name}.")
    if result["maintainers_left"] == 0:
        text += f" {cmd.name} has no maintainers now: tips to it wait as pledges."
    return Reply(text=text)


def set_packages(ctx: Context, cmd: SetPackages) -> Reply:
    result = ctx.book.set_packages(ctx.community, ctx.member, cmd.name, cmd.packages)
    if not result["packages"]:
        return Reply(text=f"{cmd.name} declares no packages now.")
    return Reply(text=f"{cmd.name} publishes {', '.join(result['packages'])}. "
                      f"A stack can name them: `/tip stack 10 {result['packages'][0]}`.")


def set_take(ctx: Context, cmd: SetTake) -> Reply:
    change = ctx.book.set_take(ctx.community, ctx.member, cmd.name, ctx.money(cmd.amount_text))
    if change.capped:
        return Reply(text=(
            f"Your weekly take from {change.project} is now {ctx.fmt(change.new_minor)}, not the "
            f"{ctx.fmt(change.asked_minor)} you asked: a take rises at most to twice what you got from the project "
            f"last payday, or {ctx.fmt(change.cap_minor or 0)}, in one week. Ask again after the next payday."))
    if change.new_minor == change.old_minor:
        return Reply(text=f"Your weekly take from {change.project} is already {ctx.fmt(change.new_minor)}; "
                          f"nothing changed.")
    return Reply(text=f"Your weekly take from {change.project} is now {ctx.fmt(change.new_minor)} "
                      f"(it was {ctx.fmt(change.old_minor)}).")


def admin_spotlight(ctx: Context, cmd: AdminSpotlight) -> Reply:
    changed = ctx.book.set_spotlight(ctx.community.id, cmd.on, by_admin=ctx.is_admin)
    state = "on" if cmd.on else "off"
    return Reply(text=f"The Back the Stack spotlight is {'now' if changed else 'already'} {state}.")


COMMANDS = {
    TipProject: HandlerSpec(tip_project),
    Stack: HandlerSpec(stack),
    ListProjects: HandlerSpec(list_projects),
    ShowProject: HandlerSpec(show_project),
    AddProject: HandlerSpec(add_project),
    RemoveMaintainer: HandlerSpec(remove_maintainer),
    SetPackages: HandlerSpec(set_packages),
    SetTake: HandlerSpec(set_take),
    AdminSpotlight: HandlerSpec(admin_spotlight),
}
ACTIONS = {CONFIRM_ACTION: confirm, CANCEL_ACTION: cancel}
