"""`/tip @a [@b ...] AMOUNT [once] [note]`: weekly tips (set, change, end) and one-off tips."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.commands import Tip
from bot.context import Context
from bot.grammar import parse
from bot.grammar_words import check_note
from bot.handlers.members import resolve, who
from bot.handlers import HandlerSpec
from bot.invocation import Action, Invocation, UserRef
from bot.reply import Button, DirectMessage, Reply, refusal
from ledger.errors import InvalidRequest, OverLimit, Refusal, SelfTip
from ledger.money import Money
from ledger.records import Member, TipChange

CONFIRM_ACTION = "tip_confirm"
CANCEL_ACTION = "tip_cancel"


def about_monthly_minor(weekly_minor: int) -> int:
    """A weekly amount as a monthly one: 52 weeks over 12 months, rounded half up, in integers."""
    return (weekly_minor * 52 + 6) // 12


def cost(ctx: Context, weekly_minor: int) -> str:
    return f"{ctx.fmt(weekly_minor)} a week, about {ctx.fmt(about_monthly_minor(weekly_minor))} a month"


def tip(ctx: Context, cmd: Tip) -> Reply:
    if cmd.note:
        check_note(cmd.note)
    amount = ctx.money(cmd.amount_text)
    targets = [(ref, resolve(ctx, ref)) for ref in cmd.recipients]
    if not targets:
        raise InvalidRequest("Name at least one member to tip, like `/tip @name 1`.")
    if any(member.id == ctx.member.id for _, member in targets):
        raise SelfTip("You can't tip yourself.")
    if len({member.id for _, member in targets}) != len(targets):
        raise InvalidRequest("Each member can appear only once in one tip.")
    if cmd.once:
        return _once(ctx, cmd, amount, targets)
    return _weekly(ctx, cmd, amount, targets)


def _note_suffix(note: str | None) -> str:
    return f' ("{note}")' if note else ""


def _once(ctx: Context, cmd: Tip, amount: Money, targets: list[tuple[UserRef, Member]]) -> Reply:
    anonymous = bool(cmd.anonymous)
    ctx.book.tip_once(ctx.member.id, [(member.id, amount) for _, member in targets], note=cmd.note,
                      anonymous=anonymous)
    names = ", ".join(who(ctx, ref, member) for ref, member in targets)
    each = f" each ({ctx.fmt(amount.amount_minor * len(targets))} in all)" if len(targets) > 1 else ""
    balance = ctx.book.balance(ctx.member.id)
    how = "an anonymous one-off tip (they are not told who)" if anonymous else "a one-off tip"
    text = (f"You gave {names} {amount.format()}{each} as {how}{_note_suffix(cmd.note)}. "
            f"Your balance is now {balance.format()}.")
    giver = "Someone" if anonymous else ctx.member.display_name
    notices = tuple(
        DirectMessage(ref.platform_user_id,
                      f"{giver} gave you a{'n anonymous' if anonymous else ''} one-off tip of {amount.format()}"
                      f"{_note_suffix(cmd.note)}. It is in your balance now (`/tip balance`).")
        for ref, _ in targets
    )
    return Reply(text=text, direct_messages=notices)


def _weekly(ctx: Context, cmd: Tip, amount: Money, targets: list[tuple[UserRef, Member]]) -> Reply:
    if amount.amount_minor > ctx.community.max_weekly_minor:
        raise OverLimit(f"A weekly tip is at most {ctx.fmt(ctx.community.max_weekly_minor)} here.")
    needs_confirming = (
        not cmd.confirmed and amount.amount_minor > ctx.runtime.settings.confirm_weekly_over_minor
        and any(_current_minor(ctx, member) != amount.amount_minor for _, member in targets)
    )
    if needs_confirming:
        return _ask_to_confirm(ctx, cmd, amount, targets)
    lines: list[str] = []
    notices: list[DirectMessage] = []
    for ref, member in targets:
        change = ctx.book.set_tip_between(ctx.member, member, ctx.community, amount, note=cmd.note,
                                          anonymous=cmd.anonymous)
        name = who(ctx, ref, member)
        lines.append(_change_line(ctx, change, name))
        if change.notify_pledge:
            giver = "Someone (anonymously)" if change.anonymous else ctx.member.display_name
            notices.append(DirectMessage(ref.platform_user_id, (
                f"{giver} pledged {amount.format()} a week to you on Tipbot. "
                f"Pledges are paid once you opt in to receive tips: `/tip receive on`.")))
    lines.append(given_totals_line(ctx))
    return Reply(text="\n".join(lines), direct_messages=tuple(notices))


def _current_minor(ctx: Context, member: Member) -> int:
    row = ctx.book.current_tip(ctx.member.id, member.id)
    return 0 if row is None else row.weekly_amount_minor


def _change_line(ctx: Context, change: TipChange, name: str) -> str:
    new, old = change.new_weekly_minor, change.old_weekly_minor
    hidden = " anonymously (they are not told who)" if change.anonymous else ""
    if change.unchanged:
        return f"Your weekly tip to {name} is already {ctx.fmt(new)}{hidden}; nothing changed."
    if new == 0:
        return f"You ended your weekly tip to {name} (it was {ctx.fmt(old)} a week)."
    if old == 0:
        line = f"You now tip {name} {cost(ctx, new)}{hidden}."
    elif old == new:
        line = (f"Your weekly tip to {name} stays {ctx.fmt(new)} and is now "
                + ("anonymous: they are not told who tips them." if change.anonymous else "named: they see it is you."))
    else:
        line = f"Your weekly tip to {name} is now {cost(ctx, new)}{hidden} (it was {ctx.fmt(old)})."
    if change.pledge:
        line += (f" {name} has not opted in to receive tips yet, so this is a pledge: recorded and shown, "
                 f"and paid from the first payday after they say `/tip receive on`.")
    return line


def given_totals_line(ctx: Context) -> str:
    """What the member's weekly tips now total, and whether the balance covers them (a tip's
    and a project tip's reply end with it)."""
    total, pledged, balance_minor = ctx.book.given_totals(ctx.member.id)
    balance = ctx.community.money(balance_minor)
    text = f"Your weekly tips now total {cost(ctx, total)}"
    text += f" ({ctx.fmt(pledged)} of it pledged)." if pledged else "."
    if total - pledged > balance.amount_minor:
        text += (f" Your balance ({balance.format()}) doesn't cover a week of them yet; tips it can't cover "
                 f"wait until it does (`/tip help funding`).")
    return text


def command_text(cmd: Tip) -> str:
    """The command as text again, short enough for a button's value (Discord: 100 characters
    with the action id): escaped mentions carry only the id, since the members exist by now."""
    mentions = [f"@{ref.platform_user_id}" if ref.bare else f"<@{ref.platform_user_id}>" for ref in cmd.recipients]
    flag = [] if cmd.anonymous is None else ["anonymous" if cmd.anonymous else "named"]
    words = [*mentions, cmd.amount_text, *(["once"] if cmd.once else []), *flag, *([cmd.note] if cmd.note else [])]
    return " ".join(words)


def _ask_to_confirm(ctx: Context, cmd: Tip, amount: Money, targets: list[tuple[UserRef, Member]]) -> Reply:
    names = ", ".join(who(ctx, ref, member) for ref, member in targets)
    each = " each" if len(targets) > 1 else ""
    text = (f"{amount.format()} a week to {names}{each} is about "
            f"{ctx.fmt(about_monthly_minor(amount.amount_minor))} a month{each}. Set it?")
    words = command_text(cmd).split(" ")
    at = len(cmd.recipients) + (1 if " " not in cmd.amount_text else 2)
    typed = " ".join(words[:at] + ["confirm"] + words[at:])
    return confirmation(ctx, text, amount, command_text(cmd), typed, CONFIRM_ACTION, CANCEL_ACTION)


def confirmation(ctx: Context, text: str, amount: Money, value: str, typed: str,
                 confirm_action: str, cancel_action: str) -> Reply:
    """Ask to confirm a large weekly tip: buttons carrying the command's text (`value`) where
    the platform has them, else the command to type again with `confirm` (`typed`)."""
    if not ctx.platform.buttons:
        return Reply(text=f"{text}\nTo set it, type the command again with `confirm`: `/tip {typed}`",
                     code="confirm")
    if ctx.platform.confirm_by_text:
        text += " (Or send the command again with `confirm` after the amount.)"
    return Reply(text=text, code="confirm", buttons=(
        Button(f"Yes, {amount.format()} a week", confirm_action, value, style="primary"),
        Button("Cancel", cancel_action, value),
    ))


def confirm(tipbot, action: Action) -> Reply:
    """Set the weekly tip the button confirms; a repeated click (same request id) changes nothing."""
    return run_confirmed(tipbot, action, lambda command: isinstance(command, Tip) and not command.once)


def run_confirmed(tipbot, action: Action, valid: Callable[[object], bool]) -> Reply:
    """Run, confirmed, the command a confirmation button carries (`action.value`, parsed again),
    when `valid` accepts it; the button's request id keeps a repeated click from acting twice."""
    try:
        command = parse(action.value)
    except Refusal:
        command = None
    if command is None or not valid(command):
        return refusal("That button is no longer valid; nothing changed.", "invalid")
    invocation = Invocation(
        platform=action.platform, space_id=action.space_id, user=action.user,
        command=replace(command, confirmed=True), is_admin=action.is_admin,
        request_id=f"action:{action.request_id}" if action.request_id else None,
    )
    return tipbot.handle(invocation)


def cancel(tipbot, action: Action) -> Reply:
    return Reply(text="Cancelled: your weekly tips are as they were.")


COMMANDS = {Tip: HandlerSpec(tip)}
ACTIONS = {CONFIRM_ACTION: confirm, CANCEL_ACTION: cancel}
