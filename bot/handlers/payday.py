"""`/tip admin payday [status|dry-run|now]` (admins only).

Not transactional: the payday manages its own transactions (one per stage), and a
dry run rolls its own back, so no command transaction may stay open around them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from bot.commands import AdminPayday
from bot.handlers.admin import require_admin
from bot.handlers import HandlerSpec
from bot.invocation import Invocation
from bot.reply import Reply
from bot.scheduler import run_coroutine_from_thread
from bot.summary import announce, summary_text
from ledger.money import format_money
from ledger.payday.engine import run_payday
from ledger.payday.preview import dry_run, payday_status
from ledger.payday.run import PaydayResult
from ledger.payday.schedule import BadSchedule, next_scheduled
from ledger.payday.weeks import week_start_of

if TYPE_CHECKING:
    from bot.runtime import Runtime

NOTICES_SHOWN = 10


def admin_payday(runtime: Runtime, invocation: Invocation, cmd: AdminPayday) -> Reply:
    with runtime.ledger.begin() as book:
        ctx = runtime.bot.context(book, invocation)
        require_admin(ctx, "run or inspect the payday")
        community = ctx.community
    now = runtime.clock.now()
    week = week_start_of(now)
    if cmd.action == "dry-run":
        return _dry_run(runtime, community.id, week)
    if cmd.action == "now":
        return _run_payday_now(runtime, community.id, week)
    return _status(runtime, community, week, now)


def _status(runtime: Runtime, community, week: dt.date, now: dt.datetime) -> Reply:
    status = payday_status(runtime.ledger, community.id, week)
    try:
        upcoming = f"{next_scheduled(community.payday_cron, now):%A %-d %B %Y, %H:%M} UTC"
    except BadSchedule:
        upcoming = f"unknown: the schedule `{community.payday_cron}` can't be read"
    fields = [("Schedule", f"`{community.payday_cron}` (cron, UTC)"), ("Next payday", upcoming)]
    this_week = status["this_week"]
    if this_week is None:
        fields.append(("This week", "not run yet"))
    elif this_week["stage"] == "done":
        fields.append(("This week", f"done at {this_week['finished_at']:%A %H:%M} UTC"))
    else:
        fields.append(("This week", f"in progress (stage: {this_week['stage']}); it resumes by itself"))
    last = status["last_done"]
    text = "No payday has run in this community yet."
    if last is not None:
        result = PaydayResult("ran", community.id, community.name, community.currency, last["week_start"],
                              last["payday_id"], "done", last["stats"])
        text = "Last payday: " + summary_text(result)[0]
    return Reply(title=f"Payday in {community.name}", text=text, fields=tuple(fields))


def _dry_run(runtime: Runtime, community_id: int, week: dt.date) -> Reply:
    result = dry_run(runtime.ledger, community_id, week)
    stats = result.stats or {}
    lines = ["Dry run: nothing was paid. If the payday ran now: " + summary_text(result)[0]]
    if result.notices:
        lines.append("Waiting for funds:")
        for notice in result.notices[:NOTICES_SHOWN]:
            lines.append(f"  {notice.tipper_name}: {notice.tips} tip(s), "
                         f"{format_money(notice.unfunded_minor, result.currency)} "
                         f"(balance {format_money(notice.balance_minor, result.currency)})")
        more = stats.get("unfunded_tippers", 0) - NOTICES_SHOWN
        if more > 0:
            lines.append(f"  and {more} more")
    return Reply(title=f"Payday dry run (week of {result.week_start:%-d %B})", text="\n".join(lines))


def _run_payday_now(runtime: Runtime, community_id: int, week: dt.date) -> Reply:
    result = run_payday(runtime.ledger, community_id, week, processors=runtime.processors)
    if result.status == "running_elsewhere":
        return Reply(text="This week's payday is running right now in another Tipbot process; "
                          "its summary will be posted when it is done.")
    if result.status == "already_ran":
        return Reply(text="This week's payday already ran, so nothing was paid again. "
                          + summary_text(result)[0])
    announcement = run_coroutine_from_thread(runtime, announce(runtime, result))
    posted = ""
    if announcement is not None and announcement.summary is not None:
        count = sum(1 for v in announcement.delivered.values() if v == "posted")
        posted = f"\nThe summary was posted to {count} of {len(announcement.delivered)} space(s)."
        if announcement.notified:
            posted += f" {_n_tippers(announcement.notified)} told by direct message why tips waited."
        if announcement.not_notified:
            posted += (f" No direct message could reach {', '.join(announcement.not_notified[:NOTICES_SHOWN])}"
                       f"{' and others' if len(announcement.not_notified) > NOTICES_SHOWN else ''}.")
    return Reply(title="Payday done", text=summary_text(result)[0] + posted)


def _n_tippers(count: int) -> str:
    return "1 tipper was" if count == 1 else f"{count} tippers were"


COMMANDS = {AdminPayday: HandlerSpec(admin_payday, transactional=False)}
