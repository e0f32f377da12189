"""Payday summaries (docs/architecture.md, "Payday"): the text, the chart, and telling tippers why.

`build_summary` turns a finished payday into a platform-neutral `bot.reply.Summary`:
a short text, fields, and a PNG bar chart of what the community gave in its last
12 paydays (bot/chart.py: Pillow, a few milliseconds).
`announce` delivers it once per payday: it claims the announcement
(ledger.payday.schedule.claim_announcement), posts the summary to every space with
`runtime.deliver_summary` (each space once, even across a crash: ledger.payday.deliveries),
then the "Back the Stack" spotlight (bot/spotlight.py, when it is on), sends each tipper
whose tips went unfunded a direct
message through `Platform.send_direct` (platforms without DMs are skipped and
counted), delivers the notices the payday queued (ledger.notices: card declines,
missing cards), sends a receipt to each member who asked for receipts
(`/tip receipts on`) and gave or received a tip in it (ledger.payday.receipts),
then records the payday as announced. A failed send is logged and counted; the
others go on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.chart import chart_png
from bot.names import shown_name
from bot.reply import Summary
from bot.spotlight import TOP_PROJECTS, post_spotlight, projects_line
from bot.summary_top import top_receivers_line
from ledger.money import format_money
from ledger.notices import mark_sent, unsent_notices
from ledger.book import Book
from ledger.payday import deliveries
from ledger.payday.deliveries import DeliveryKind
from ledger.payday.receipts import MAX_RECEIPTS, Receipt
from ledger.payday.run import PaydayResult
from ledger.payday.schedule import claim_announcement, mark_announced
from ledger.payday.stats import UnfundedNotice

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

CHART_WEEKS = 12
MAX_NOTICES = 1000  # direct messages per payday; the rest are logged


@dataclass
class Announcement:
    """What announcing one payday did."""

    summary: Summary | None
    delivered: dict[str, str] = field(default_factory=dict)  # space -> "posted" | "no channel" | "failed: ..."
    notified: int = 0
    not_notified: list[str] = field(default_factory=list)  # tippers we had no way to reach
    receipts: int = 0  # payday receipts sent by direct message
    receipts_unsent: list[str] = field(default_factory=list)  # members whose receipt could not be sent
    skipped: str | None = None  # why nothing was announced (another process has it, ...)
    spotlight: dict[str, str] = field(default_factory=dict)  # space -> outcome of the spotlight post

    def to_json(self) -> dict[str, Any]:
        return {"delivered": self.delivered, "notified": self.notified, "not_notified": self.not_notified,
                "receipts": self.receipts, "receipts_unsent": self.receipts_unsent, "skipped": self.skipped,
                "spotlight": self.spotlight}


def summary_text(result: PaydayResult) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The summary's sentences and fields, from the payday's stats."""
    s = result.stats or {}
    cur = result.currency

    def money(minor: int) -> str:
        return format_money(minor, cur)

    week = dt.date.fromisoformat(s.get("week_start", result.week_start.isoformat()))
    lines = [f"Payday for the week of {week:%-d %B %Y}: "
             + (f"{_n(s['tippers'], 'tipper')} gave {money(s['paid_minor'])} to {_n(s['recipients'], 'member')} "
                f"({_n(s['tips_paid'], 'tip')})." if s.get("tips_paid") else "no tips were paid this week.")]
    if s.get("unfunded_tips"):
        lines.append(f"{_n(s['unfunded_tips'], 'tip')} ({money(s['unfunded_minor'])}) could not be funded: "
                     f"{'its tipper' if s['unfunded_tippers'] == 1 else _n(s['unfunded_tippers'], 'tipper')} "
                     f"did not have the balance, and {'waits' if s['unfunded_tippers'] == 1 else 'wait'} "
                     f"for the next payday.")
    if s.get("pledges"):
        lines.append(f"{_n(s['pledges'], 'pledge')} ({money(s['pledged_minor'])}) wait for members to say "
                     f"`/tip receive on`.")
    changes = [f"{s[k]} {label}" for k, label in (("new_tips", "new"), ("changed_tips", "changed"),
                                                   ("ended_tips", "ended")) if s.get(k)]
    if changes:
        lines.append("Tips this week: " + ", ".join(changes) + ".")
    change = s.get("change_minor")
    fields = [("Given", money(s.get("paid_minor", 0))), ("Tips paid", str(s.get("tips_paid", 0))),
              ("Tippers", str(s.get("tippers", 0))), ("Recipients", str(s.get("recipients", 0)))]
    if s.get("unfunded_tips"):
        fields.append(("Unfunded", f"{s['unfunded_tips']} ({money(s['unfunded_minor'])})"))
    if change is not None:
        sign = "+" if change > 0 else "-" if change < 0 else "±"
        fields.append(("Versus last week", f"{sign}{money(abs(change))}"))
    return "\n".join(lines), tuple(fields)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def build_summary(runtime: Runtime, result: PaydayResult) -> Summary:
    with runtime.ledger.begin(readonly=True) as book:
        recent = book.recent_paydays(result.community_id, CHART_WEEKS)
        top_projects = book.top_project_incomes(result.payday_id, TOP_PROJECTS) if result.payday_id else []
        top = top_receivers_line(book, result.community_id, result.currency, result.week_start)
    text, fields = summary_text(result)
    text += projects_line(top_projects, result.currency)
    if top:
        text += "\n" + top
    given = {week: int(stats.get("paid_minor", 0)) for week, stats in recent}
    weeks = [(week, given.get(week, 0))
             for week in (result.week_start - dt.timedelta(weeks=back) for back in range(CHART_WEEKS - 1, -1, -1))]
    png = chart_png(weeks, result.currency)
    return Summary(community_name=result.community_name, text=text, chart_png=png,
                   chart_filename=f"payday-{result.week_start.isoformat()}.png", fields=fields,
                   payday_id=result.payday_id)


def notice_text(notice: UnfundedNotice, currency: str) -> str:
    """Why a tipper's tips were not paid, in words they can act on."""
    def money(minor: int) -> str:
        return format_money(minor, currency)

    tips = "tip" if notice.tips == 1 else "tips"
    return (f"This week's payday could not pay {notice.tips} of your weekly {tips} ({money(notice.unfunded_minor)}): "
            f"your balance of {money(notice.balance_minor)} did not cover the next one, "
            f"{money(notice.first_waiting_minor)} to {notice.first_waiting_tippee}. Tips are paid whole and oldest "
            f"first, so the ones after it wait too. Add to your balance (`/tip fund`, or ask a treasurer) and they "
            f"are paid at the next payday; `/tip list` shows them.")


async def announce(runtime: Runtime, result: PaydayResult, *, takeover: bool = False) -> Announcement:
    """Post the summary and tell unfunded tippers why, once per payday across processes.

    `takeover`: the caller holds the community's payday claim, so an announcement begun by
    a process that died is taken over now (ledger.payday.schedule.claim_announcement)."""
    ledger = runtime.ledger
    if result.payday_id is None or result.stats is None:
        return Announcement(None, skipped="the payday has not finished")
    claimed = await asyncio.to_thread(claim_announcement, ledger, result.payday_id, runtime.clock.now(),
                                      takeover=takeover)
    if claimed is None:
        return Announcement(None, skipped="already announced (or being announced by another process)")
    summary = await asyncio.to_thread(build_summary, runtime, result)
    outcome = Announcement(summary)
    outcome.delivered = await runtime.deliver_summary(result.community_id, summary, resumed=claimed.resumed)
    outcome.spotlight = await post_spotlight(runtime, result)  # when the community turned it on (bot/spotlight.py)
    payday_id = result.payday_id
    notices = await asyncio.to_thread(ledger.read, lambda book: book.unfunded_notices(payday_id, limit=MAX_NOTICES))
    if result.stats.get("unfunded_tippers", 0) > len(notices):
        log.warning("payday %s: only the first %s unfunded tippers get a direct message", result.payday_id,
                    MAX_NOTICES)
    for notice in notices:
        sent = await tell_once(runtime, payday_id, "unfunded", notice.tipper_id, notice_text(notice, result.currency))
        if sent:
            outcome.notified += 1
        elif sent is not None:
            outcome.not_notified.append(notice.tipper_name)
    await deliver_notices(runtime, result.community_id, outcome)
    await send_receipts(runtime, result, outcome)
    await asyncio.to_thread(mark_announced, ledger, result.payday_id)
    return outcome


def receipt_text(receipt: Receipt, result: PaydayResult) -> str:
    """One member's payday receipt: given per recipient, received per tipper, balance now."""
    def money(minor: int) -> str:
        return format_money(minor, result.currency)

    lines = [f"Your receipt for the payday of the week of {result.week_start:%-d %B %Y} in {result.community_name}:"]
    for total, side, unlisted, heading in ((receipt.given_minor, receipt.gave, receipt.gave_unlisted, "You gave"),
                                           (receipt.received_minor, receipt.received, receipt.received_unlisted,
                                            "You received")):
        if not side:
            continue
        lines.append(f"{heading} {money(total)}:")
        lines += [f"  {'your share of ' if side is receipt.received and line.project else ''}"
                  f"{shown_name(line.other_name)}: {money(line.amount_minor)}" for line in side]
        if unlisted:
            lines.append(f"  and {_n(unlisted, 'other member')}")
    lines.append(f"Your balance is now {money(receipt.balance_minor)}.")
    lines.append("(`/tip receipts off` stops these receipts.)")
    return "\n".join(lines)


async def send_receipts(runtime: Runtime, result: PaydayResult, outcome: Announcement) -> None:
    """A receipt by direct message to each member who asked for one and had tips in this payday.

    Only the process that claimed the announcement calls it; each is sent at most once, even when
    a process takes over the announcement of one that died (bot.summary.tell_once)."""
    payday_id = result.payday_id
    if payday_id is None:
        return
    receipts = await asyncio.to_thread(runtime.ledger.read, lambda book: book.payday_receipts(payday_id))
    if len(receipts) >= MAX_RECEIPTS:
        wanted = await asyncio.to_thread(runtime.ledger.read, lambda book: book.receipts_wanted(payday_id))
        if wanted > len(receipts):
            log.warning("payday %s: only the first %s of %s receipts are sent", payday_id, len(receipts), wanted)
    for receipt in receipts:
        try:
            sent = await tell_once(runtime, payday_id, "receipt", receipt.member_id, receipt_text(receipt, result))
        except Exception:  # a receipt never stops the others, nor the announcement
            log.exception("payday %s: receipt for member %s failed", payday_id, receipt.member_id)
            sent = False
        if sent:
            outcome.receipts += 1
        elif sent is not None:
            outcome.receipts_unsent.append(receipt.member_name)


async def deliver_notices(runtime: Runtime, community_id: int, outcome: Announcement) -> None:
    """Send what the payday queued for members (card declines, missing cards), each once."""
    ledger = runtime.ledger
    queued = await asyncio.to_thread(ledger.read, lambda book: unsent_notices(book, community_id))
    for notice_id, member_id, text in queued:
        claimed = await asyncio.to_thread(ledger.run, lambda book, n=notice_id: mark_sent(book, n))
        if not claimed.value:
            continue  # another process is sending it
        if await tell(runtime, member_id, text):
            outcome.notified += 1
        else:
            name = await asyncio.to_thread(ledger.read, lambda book, m=member_id: book.member(m).display_name)
            outcome.not_notified.append(name)


async def tell_once(runtime: Runtime, payday_id: int, kind: DeliveryKind, member_id: int, text: str) -> bool | None:
    """`tell`, at most once per payday, kind and member (ledger.payday.deliveries); None when an
    earlier attempt at this announcement already did. A failed send gives its claim back."""
    def claim(book: Book) -> bool:
        return deliveries.record(book, payday_id, kind, member_id, runtime.clock.now())

    if not (await asyncio.to_thread(runtime.ledger.run, claim)).value:
        return None
    def release(book: Book) -> None:
        deliveries.release(book, payday_id, kind, member_id)

    try:
        sent = await tell(runtime, member_id, text)
    except Exception:
        await asyncio.to_thread(runtime.ledger.run, release)
        raise
    if not sent:
        await asyncio.to_thread(runtime.ledger.run, release)
    return sent


async def tell(runtime: Runtime, member_id: int, text: str) -> bool:
    """A direct message on the first of the member's spaces whose platform can send one."""
    identities = await asyncio.to_thread(runtime.ledger.read, lambda book: book.identities_of(member_id))
    for space, platform_user_id in identities:
        platform = runtime.platforms.get(space.platform)
        if platform is None:
            continue
        try:
            await platform.send_direct(runtime, space.external_id, platform_user_id, text)
            return True
        except NotImplementedError:
            continue
        except Exception:  # one failing DM never stops the others
            log.exception("direct message to %s on %s failed", platform_user_id, space.platform)
    return False
