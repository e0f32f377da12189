"""The weekly "Back the Stack" post, after each payday's summary (docs/architecture.md, "Payday").

When a community's spotlight is on (`/tip admin spotlight on`), `post_spotlight` features
one project or one receiving member, chosen and recorded once per payday by the ledger
(ledger/spotlight.py), and posts to each space's summary channel: what they build
(projects, packages), what they receive (a member's amounts only when their profile is
public), and how to back them with one unit of the currency a week: the command, and a
button where the platform has buttons. The button does not tip by itself: it asks the
clicker to confirm, with the same confirmation a large weekly tip gets
(bot/handlers/spotlight.py), so one stray click changes nothing.

`projects_line` is the payday summary's line on the projects that received most.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.reply import Button, Reply, Visibility
from ledger.money import format_money
from ledger.payday import deliveries
from ledger.projects import one_unit
from ledger.spotlight import Pick, pick_spotlight

if TYPE_CHECKING:
    from bot.platform import Platform
    from bot.runtime import Runtime
    from ledger.book import Book
    from ledger.payday.run import PaydayResult
    from ledger.records import Space

log = logging.getLogger(__name__)

TOP_PROJECTS = 3  # projects whose income the payday summary names
BACK_ACTION = "spotlight_back"
BACK_AMOUNT_TEXT = "1"  # one unit of the community's currency: $1.00, 1.00 EUR, 1 JPY


@dataclass(frozen=True)
class BackFeatured:
    """A click on the spotlight's button: ask to confirm a weekly tip of one unit to what it features.
    `kind` is "project" (`ref`: its name) or "member" (`ref`: their member id)."""

    kind: str
    ref: str


@dataclass(frozen=True)
class Featured:
    """What the post says about the pick."""

    kind: str
    member_id: int | None  # the featured member (kind "member")
    name: str  # the project's name, or the member's display name
    builds: tuple[str, ...]  # a member's projects; a project's maintainers
    packages: tuple[str, ...]
    weekly_minor: int | None  # what they receive a week; None: a private profile
    tippers: int | None
    user_ids: dict[int, str]  # a member's platform user id in each space (space id -> id)


def projects_line(incomes: list[tuple[str, int]], currency: str) -> str:
    """The payday summary's line on projects: the week's income of the top ones ("" when none had any)."""
    if not incomes:
        return ""
    return "\nProjects this week: " + ", ".join(f"{name} received {format_money(minor, currency)}"
                                                for name, minor in incomes) + "."


def button_value(featured: Featured) -> str:
    return f"{featured.kind}:{featured.name if featured.kind == 'project' else featured.member_id}"


def parse_button_value(value: str) -> BackFeatured | None:
    kind, sep, ref = value.partition(":")
    return BackFeatured(kind, ref) if sep and kind in ("project", "member") and ref else None


def describe(book: Book, pick: Pick) -> Featured:
    """The pick, with what the post shows about it (read in one transaction)."""
    if pick.kind == "project":
        project = book.project_by_id(pick.featured_id)
        summary = book.project_summary(project)
        maintainers = tuple(m.display_name for m in book.maintainers(project.id))
        return Featured("project", None, project.name, maintainers, tuple(book.packages(project.id)),
                        summary.weekly_minor, summary.tippers, {})
    member = book.member(pick.featured_id)
    names = book.projects_maintained(member.id)
    packages: list[str] = []
    for name in names:
        found = book.project_by_name(member.community_id, name)
        if found is not None:
            packages += book.packages(found.id)
    weekly = tippers = None
    if book.profile_public(member.id):
        received = book.tips_received(member.id)
        weekly, tippers = sum(t.weekly_amount_minor for t in received), len(received)
    user_ids = {space.id: user_id for space, user_id in book.identities_of(member.id)}
    return Featured("member", member.id, member.display_name, tuple(names), tuple(packages), weekly, tippers,
                    user_ids)


def spotlight_reply(featured: Featured, space: Space, platform: Platform, currency: str) -> Reply:
    """The post for one space: named as the platform names members, with a button where it has them."""
    unit = format_money(one_unit(currency), currency)
    user_id = featured.user_ids.get(space.id)
    if featured.kind == "project":
        shown, command = featured.name, f"/tip {featured.name} {BACK_AMOUNT_TEXT}"
        lines = [f"This week's spotlight is the project {featured.name}."]
        if featured.builds:
            lines.append(f"Maintained by {', '.join(featured.builds)}.")
    else:
        shown = platform.mention(user_id, featured.name) if user_id else featured.name
        command = f"/tip @{featured.name} {BACK_AMOUNT_TEXT}"
        lines = [f"This week's spotlight is {shown}."]
        if featured.builds:
            lines.append(f"They build {', '.join(featured.builds)}.")
    if featured.packages:
        lines.append(f"Packages: {', '.join(featured.packages)}.")
    if featured.weekly_minor is None:
        lines.append("What they receive is private (their profile is).")
    else:
        tippers = featured.tippers or 0
        lines.append(f"They receive {format_money(featured.weekly_minor, currency)} a week from "
                     f"{tippers} tipper{'s' if tippers != 1 else ''}.")
    can_click = platform.buttons and (featured.kind == "project" or user_id is not None)
    if featured.kind == "member" and user_id is None:
        lines.append(f"Back them with {unit} a week from a space you share with them: `{command}`.")
    else:
        lines.append(f"Back {'it' if featured.kind == 'project' else 'them'} with {unit} a week: `{command}`"
                     + (" or the button (it asks you to confirm)." if can_click else "."))
    buttons = (Button(f"Back {featured.name} with {unit} a week", BACK_ACTION, button_value(featured),
                      style="primary"),) if can_click else ()
    return Reply(title=f"Back the Stack: {featured.name}", text="\n".join(lines), buttons=buttons,
                 visibility=Visibility.IN_CHANNEL)


def _pick(runtime: Runtime, result: PaydayResult) -> tuple[Featured, list[Space]] | None:
    """Record (or read) the payday's pick; None when the spotlight is off or nobody can be featured."""
    payday_id = result.payday_id
    assert payday_id is not None

    def op(book: Book) -> tuple[Featured, list[Space]] | None:
        if not book.spotlight_on(result.community_id):
            return None
        pick = pick_spotlight(book, payday_id)
        if pick is None:
            return None
        return describe(book, pick), book.spaces_of(result.community_id)

    return runtime.ledger.run(op).value


async def post_spotlight(runtime: Runtime, result: PaydayResult) -> dict[str, str]:
    """Post this payday's spotlight to every space with a summary channel; {space: outcome}.
    Called once per payday by the announcement (bot/summary.py), after the summary; each space
    is claimed before its post (ledger.payday.deliveries), so a process taking over a dead
    one's announcement never posts it twice there."""
    payday_id = result.payday_id
    if payday_id is None:
        return {}
    picked = await asyncio.to_thread(_pick, runtime, result)
    if picked is None:
        return {}
    featured, spaces = picked
    outcomes: dict[str, str] = {}
    for space in spaces:
        key = f"{space.platform}:{space.external_id}"
        platform, unreachable = runtime.channel_poster(space)
        if platform is None:
            outcomes[key] = unreachable
            continue
        claimed = await asyncio.to_thread(runtime.ledger.run, lambda book, s=space.id: deliveries.record(
            book, payday_id, "spotlight", s, runtime.clock.now()))
        if not claimed.value:
            outcomes[key] = "already posted"  # by a process that died announcing this payday
            continue
        try:
            reply = spotlight_reply(featured, space, platform, result.currency)
            await platform.post_message(runtime, space.external_id, space.summary_channel_id or "", reply)
            outcomes[key] = "posted"
        except Exception as error:  # one space failing never stops the others
            log.exception("posting the spotlight to %s failed", key)
            outcomes[key] = f"failed: {type(error).__name__}"
            await asyncio.to_thread(runtime.ledger.run, lambda book, s=space.id: deliveries.release(
                book, payday_id, "spotlight", s))
    return outcomes
