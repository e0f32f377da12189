"""What a member can look at or switch for themselves: tips, balance, history, help, receiving, receipts."""

from __future__ import annotations

import calendar
import datetime as dt
import io
import re

from croniter import croniter

from bot.commands import SetReceipts, SetReceiving, ShowBalance, ShowHelp, ShowHistory, ShowList, ShowStatement
from bot.context import Context
from bot.handlers import HandlerSpec
from bot.handlers.tips import about_monthly_minor, cost
from bot.help import help_text, web_lines
from bot.names import shown_name
from bot.reply import Attachment, Reply, refusal
from ledger.exports import HISTORY_FIELDS, write_csv
from ledger.records import HistoryLine, TipLine


def next_payday(cron: str, now: dt.datetime) -> dt.datetime | None:
    """When the community's next payday is due (UTC), or None for a schedule croniter can't read."""
    try:
        return croniter(cron, now).get_next(dt.datetime)
    except (ValueError, KeyError, TypeError):
        return None


def payday_text(cron: str, now: dt.datetime) -> str:
    when = next_payday(cron, now)
    if when is None:
        return f"unknown (the schedule `{cron}` can't be read; ask an admin)"
    return f"{when:%A %-d %B %Y, %H:%M} UTC"


def _tip_lines(ctx: Context, lines: list[TipLine], pledge_note: str) -> list[str]:
    return [f"  {shown_name(line.other_name)}: {ctx.fmt(line.weekly_amount_minor)} a week"
            + (" (anonymous)" if line.anonymous and line.other_name else "")
            + (f" ({pledge_note})" if line.pledge else "") for line in lines]


def show_list(ctx: Context, cmd: ShowList) -> Reply:
    me = ctx.member
    given = ctx.book.tips_given(me.id)
    received = ctx.book.tips_received(me.id)
    lines: list[str] = []
    to_projects = ctx.book.project_tips_given(me.id)
    if given:
        lines.append("You tip every week:")
        lines += _tip_lines(ctx, given, "pledge: paid once they receive")
    elif not to_projects:
        lines.append("You don't tip anyone weekly yet. Start with `/tip @name 1`.")
    if to_projects:
        lines.append("You back these projects every week:")
        lines += [f"  {name}: {ctx.fmt(minor)} a week"
                  + (" (pledge: paid once a maintainer receives)" if pledge else "")
                  for name, minor, pledge in to_projects]
    if received and me.receiving:
        lines.append("You receive every week:")
        lines += _tip_lines(ctx, received, "")
    elif received:
        lines.append("Pledged to you (paid once you say `/tip receive on`):")
        lines += _tip_lines(ctx, received, "pledge")
    else:
        lines.append("Nobody tips you weekly yet.")
    given_total = sum(line.weekly_amount_minor for line in given) + sum(minor for _, minor, _ in to_projects)
    received_total = sum(line.weekly_amount_minor for line in received)
    fields = (
        ("Balance", ctx.book.balance(me.id).format()),
        ("You give", cost(ctx, given_total)),
        ("You receive", cost(ctx, received_total) + ("" if me.receiving or not received_total else " (pledged)")),
        ("Receiving", "on" if me.receiving else "off (`/tip receive on` to opt in)"),
        ("Receipts", "on (by direct message after each payday)" if ctx.book.wants_receipts(me.id)
         else "off (`/tip receipts on` to get them)"),
        ("Next payday", payday_text(ctx.community.payday_cron, ctx.book.clock.now())),
    )
    return Reply(title=f"Your tips in {ctx.community.name}", text="\n".join(lines), fields=fields)


def show_balance(ctx: Context, cmd: ShowBalance) -> Reply:
    balance = ctx.book.balance(ctx.member.id)
    paying = sum(line.weekly_amount_minor for line in ctx.book.tips_given(ctx.member.id) if not line.pledge)
    text = f"Your balance is {balance.format()}."
    if paying:
        text += f" Your weekly tips take {ctx.fmt(paying)} each payday"
        text += "." if balance.amount_minor >= paying else "; the balance doesn't cover them all yet."
    return Reply(text=text)


_KINDS = {
    "credit": "paid in (recorded by an admin)", "debit": "paid out (recorded by an admin)",
    "once": "one-off tip", "tip": "weekly tip", "charge": "card charge", "fee": "card fee",
    "payout": "payout", "refund": "refund", "dispute": "dispute", "reversal": "reversal",
}


def history_what(line: HistoryLine) -> str:
    """What a history line was, in words ("weekly tip to bob"); the chat history and /me share it."""
    what = _KINDS.get(line.kind, line.kind)
    if line.kind in ("once", "tip") and (line.other_name or line.anonymous):
        what += f" {'to' if line.amount_minor < 0 else 'from'} {shown_name(line.other_name)}"
        if line.anonymous and line.other_name:
            what += " (anonymous)"
    return what


def _history_line(ctx: Context, line: HistoryLine) -> str:
    what = history_what(line)
    sign = "-" if line.amount_minor < 0 else "+"
    note = f' ("{line.note}")' if line.note else ""
    return f"  {line.created_at:%Y-%m-%d}  {sign}{ctx.fmt(abs(line.amount_minor))}  {what}{note}"


def show_history(ctx: Context, cmd: ShowHistory) -> Reply:
    if cmd.csv:
        return _history_csv(ctx)
    lines = ctx.book.history(ctx.member.id, cmd.limit)
    if not lines:
        return Reply(text="No money has moved in or out of your balance yet.")
    text = "\n".join([f"Your last {len(lines)} transfer{'s' if len(lines) != 1 else ''}, newest first:"]
                     + [_history_line(ctx, line) for line in lines])
    return Reply(text=text, fields=(("Balance", ctx.book.balance(ctx.member.id).format()),))


def _history_csv(ctx: Context) -> Reply:
    """Everything that moved in or out of the member's balance, as a CSV file for them only."""
    if not ctx.platform.files:
        return refusal(f"{ctx.platform.label.capitalize()} can't send files here. `/tip history 100` shows "
                       f"your last 100 transfers.", "no_files")
    rows = ctx.book.history_rows(ctx.member.id)
    out = io.StringIO()
    write_csv(rows, HISTORY_FIELDS, out)
    filename = f"tipbot-history-{ctx.community.name}-{ctx.member.display_name}.csv"
    return Reply(
        text=(f"Your history: {len(rows)} transfer{'s' if len(rows) != 1 else ''}, oldest first, as a CSV file "
              f"(amounts signed from your side: negative is money out)."),
        attachment=Attachment(filename=re.sub(r"[^\w.\-]+", "_", filename), content=out.getvalue().encode("utf-8")),
        fields=(("Balance", ctx.book.balance(ctx.member.id).format()),))


def show_statement(ctx: Context, cmd: ShowStatement) -> Reply:
    year = cmd.year or ctx.book.clock.now().year
    months = ctx.book.statement(ctx.member.id, year)
    if not months:
        return Reply(text=f"No tips given or received in {year}.")
    given = sum(m[1] for m in months)
    received = sum(m[2] for m in months)
    lines = [f"Your tips in {year}, by month (UTC): given / received"]
    lines += [f"{calendar.month_name[month]}: {ctx.fmt(out)} / {ctx.fmt(into)}" for month, out, into in months]
    return Reply(title=f"Statement {year}", text="\n".join(lines),
                 fields=(("Given", ctx.fmt(given)), ("Received", ctx.fmt(received))))


def show_help(ctx: Context, cmd: ShowHelp) -> Reply:
    settings = ctx.runtime.settings
    web = web_lines(settings.community_page_url(ctx.community.name) if ctx.book.web_public(ctx.community.id)
                    else None, f"{settings.public_url.rstrip('/')}/me/" if settings.signin_configured else None)
    text, _known = help_text(cmd.topic, web)
    return Reply(text=text)


def set_receiving(ctx: Context, cmd: SetReceiving) -> Reply:
    changed = ctx.book.set_receiving(ctx.member.id, cmd.on)
    received = ctx.book.tips_received(ctx.member.id)
    total = sum(line.weekly_amount_minor for line in received)
    if cmd.on:
        text = "You now receive tips." if changed else "You already receive tips."
        if received:
            names = ", ".join(f"{shown_name(line.other_name)} ({ctx.fmt(line.weekly_amount_minor)})"
                              for line in received)
            text += (f" Weekly tips to you, {ctx.fmt(total)} a week (about "
                     f"{ctx.fmt(about_monthly_minor(total))} a month), are paid from the next payday: {names}.")
        return Reply(text=text)
    text = "You no longer receive tips." if changed else "You already don't receive tips."
    if received:
        text += (f" Weekly tips to you ({ctx.fmt(total)} a week) are pledges again: recorded, not paid, "
                 f"until you say `/tip receive on`.")
    return Reply(text=text)


def set_receipts(ctx: Context, cmd: SetReceipts) -> Reply:
    changed = ctx.book.set_receipts(ctx.member.id, cmd.on)
    if cmd.on:
        text = "Receipts on." if changed else "Receipts were already on."
        return Reply(text=text + " After each payday in which you give or receive tips, I'll send you a receipt "
                     "by direct message: what you gave, what you received, and your balance. "
                     "`/tip receipts off` stops them.")
    text = "Receipts off." if changed else "Receipts were already off."
    return Reply(text=text + " You won't get payday receipts; `/tip list` and `/tip history` still show "
                 "everything. `/tip receipts on` turns them back on.")


COMMANDS = {ShowList: HandlerSpec(show_list), ShowBalance: HandlerSpec(show_balance),
            ShowHistory: HandlerSpec(show_history), ShowStatement: HandlerSpec(show_statement),
            ShowHelp: HandlerSpec(show_help),
            SetReceiving: HandlerSpec(set_receiving), SetReceipts: HandlerSpec(set_receipts)}
