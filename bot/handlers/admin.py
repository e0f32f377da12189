"""Admin commands: manual credits and debits, the summary channel, the limits."""

from __future__ import annotations

from bot.commands import AdminChannel, AdminCredit, AdminDebit, AdminLimits, AdminWeb
from bot.context import Context
from bot.grammar_words import check_note
from bot.handlers.members import resolve, who
from bot.handlers import HandlerSpec
from bot.reply import DirectMessage, Reply
from ledger.errors import NotAdmin

def require_admin(ctx: Context, what: str) -> None:
    if not ctx.is_admin:
        extra = ctx.platform.who_are_admins
        raise NotAdmin(f"Only an admin of this community can {what}; nothing changed. {extra}".strip())


def _note_suffix(note: str | None) -> str:
    return f' ("{note}")' if note else ""


def admin_credit(ctx: Context, cmd: AdminCredit) -> Reply:
    return _record_manual(ctx, cmd, incoming=True)


def admin_debit(ctx: Context, cmd: AdminDebit) -> Reply:
    return _record_manual(ctx, cmd, incoming=False)


def _record_manual(ctx: Context, cmd: AdminCredit | AdminDebit, *, incoming: bool) -> Reply:
    """Record money a member paid in (credit) or was paid out (debit), and tell them."""
    require_admin(ctx, "credit balances" if incoming else "debit balances")
    if cmd.note:
        check_note(cmd.note)
    member = resolve(ctx, cmd.user)
    amount = ctx.money(cmd.amount_text)
    record = ctx.book.credit if incoming else ctx.book.debit
    result = record(member.id, amount, by_admin=True, note=cmd.note)
    name = who(ctx, cmd.user, member)
    balance = ctx.fmt(result["balance_minor"])
    note = _note_suffix(cmd.note)
    told = (f"paid in to your Tipbot balance{note}" if incoming
            else f"paid out to you from your Tipbot balance{note}")
    notices = () if member.id == ctx.member.id else (DirectMessage(
        cmd.user.platform_user_id, f"An admin recorded {amount.format()} {told}. Your balance is {balance}."),)
    done = f"paid in by {name}" if incoming else f"paid out to {name}"
    return Reply(text=f"Recorded {amount.format()} {done}{note}. Their balance is now {balance}.",
                 direct_messages=notices)


def admin_channel(ctx: Context, cmd: AdminChannel) -> Reply:
    require_admin(ctx, "choose where payday summaries go")
    space = ctx.book.set_summary_channel(ctx.space.id, cmd.channel_id, cmd.channel_name, by_admin=True)
    shown = ctx.platform.channel_mention(space.summary_channel_id or "", space.summary_channel_name)
    return Reply(text=f"Payday summaries for this space now go to {shown}.")


def admin_limits(ctx: Context, cmd: AdminLimits) -> Reply:
    require_admin(ctx, "see or change the limits")
    changing = cmd.max_weekly_text is not None or cmd.max_once_text is not None
    community = ctx.community
    if changing:
        community = ctx.book.set_limits(
            community.id,
            max_weekly=None if cmd.max_weekly_text is None else ctx.money(cmd.max_weekly_text),
            max_once=None if cmd.max_once_text is None else ctx.money(cmd.max_once_text),
            by_admin=True,
        )
    text = (f"{'Limits are now' if changing else 'Limits'}: a weekly tip is at most "
            f"{ctx.fmt(community.max_weekly_minor)} to one member, and a one-off tip at most "
            f"{ctx.fmt(community.max_once_minor)} to one member.")
    if not changing:
        text += " Change them with `/tip admin limits max-weekly 100 max-once 50`."
    return Reply(text=text)


def admin_web(ctx: Context, cmd: AdminWeb) -> Reply:
    """Whether the community's pages and badges are served (bot/webpages; private by default)."""
    require_admin(ctx, "make the community's web pages public or private")
    address = ctx.runtime.settings.community_page_url(ctx.community.name)
    if cmd.public is not None:
        ctx.book.set_web_public(ctx.community.id, cmd.public)
    public = cmd.public if cmd.public is not None else ctx.book.web_public(ctx.community.id)
    if public:
        return Reply(text=f"This community's web pages are public: {address} (members with a private profile "
                          "show only their name). `/tip admin web private` takes them down.")
    return Reply(text="This community's web pages are private: its pages and badges answer \"not found\" to "
                      "everyone. `/tip admin web public` to publish them.")


COMMANDS = {AdminCredit: HandlerSpec(admin_credit), AdminDebit: HandlerSpec(admin_debit),
            AdminChannel: HandlerSpec(admin_channel), AdminLimits: HandlerSpec(admin_limits),
            AdminWeb: HandlerSpec(admin_web)}
