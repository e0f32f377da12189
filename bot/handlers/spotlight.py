"""A click on the spotlight's "Back ..." button: ask the clicker to confirm a weekly tip.

The spotlight post (bot/spotlight.py) is seen by a whole channel, so its button only
asks, with the confirmation a large weekly tip gets (bot/handlers/tips.py `confirmation`):
the "Yes" button then runs the ordinary tip (bot.handlers.tips / bot.handlers.projects
`confirm`), with its limits, replies and idempotency. Asking writes nothing but the
request's idempotency record.
"""

from __future__ import annotations

from bot.commands import Tip
from bot.context import Context
from bot.handlers import HandlerSpec
from bot.handlers import projects as project_handlers
from bot.handlers import tips as tip_handlers
from bot.handlers.members import who
from bot.invocation import Action, Invocation, UserRef
from bot.reply import Reply, refusal
from bot.spotlight import BACK_ACTION, BACK_AMOUNT_TEXT, BackFeatured, parse_button_value
from ledger.errors import InvalidRequest, SelfTip, UnknownMember
from ledger.projects import UnknownProject


def back(ctx: Context, cmd: BackFeatured) -> Reply:
    amount = ctx.money(BACK_AMOUNT_TEXT)
    monthly = ctx.fmt(tip_handlers.about_monthly_minor(amount.amount_minor))
    if cmd.kind == "project":
        project = ctx.book.project_by_name(ctx.community.id, cmd.ref)
        if project is None:
            raise UnknownProject(f"There is no project named {cmd.ref[:40]} here any more; nothing changed.")
        value = f"{project.name} {BACK_AMOUNT_TEXT}"
        return tip_handlers.confirmation(
            ctx, f"Back {project.name} with {amount.format()} a week (about {monthly} a month)?", amount, value,
            f"{value} confirm", project_handlers.CONFIRM_ACTION, project_handlers.CANCEL_ACTION)
    member = ctx.book.member(int(cmd.ref)) if cmd.ref.isdigit() else None
    if member is None or member.community_id != ctx.community.id:
        raise UnknownMember("That member is not part of this community.")
    if member.id == ctx.member.id:
        raise SelfTip("That's you in the spotlight: you can't tip yourself.")
    user_id = next((uid for space, uid in ctx.book.identities_of(member.id) if space.id == ctx.space.id), None)
    if user_id is None:
        raise InvalidRequest(f"{member.display_name} is not on this {ctx.platform.label} space; tip them from a "
                             f"space you share. Nothing changed.")
    ref = UserRef(user_id, member.display_name)
    value = tip_handlers.command_text(Tip(recipients=(ref,), amount_text=BACK_AMOUNT_TEXT))
    return tip_handlers.confirmation(
        ctx, f"Back {who(ctx, ref, member)} with {amount.format()} a week (about {monthly} a month)?", amount,
        value, f"{value} confirm", tip_handlers.CONFIRM_ACTION, tip_handlers.CANCEL_ACTION)


def back_action(tipbot, action: Action) -> Reply:
    """The spotlight button: its value names what it features (bot.spotlight.button_value)."""
    command = parse_button_value(action.value)
    if command is None:
        return refusal("That button is no longer valid; nothing changed.", "invalid")
    return tipbot.handle(Invocation(
        platform=action.platform, space_id=action.space_id, user=action.user, command=command,
        is_admin=action.is_admin, request_id=f"action:{action.request_id}" if action.request_id else None))


COMMANDS = {BackFeatured: HandlerSpec(back)}
ACTIONS = {BACK_ACTION: back_action}
