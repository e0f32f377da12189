"""How a community is funded: `/tip admin funding MODE`, `/tip fund`, `/tip payout`.

Manual mode is the core's own: admins record money in and out by hand, and `fund` /
`payout` explain that. Any other mode belongs to a funding adapter (bot/funding.py):
the core switches to it only when the adapter is installed and configured here, and
hands `fund` / `payout` to it. A mode the ledger can record (ledger/models.py
FUNDING_MODES) whose adapter is not installed is answered `not_installed`; a word that
is no mode at all, with the modes this install offers. `fund` and `payout` are not
transactional: an adapter calls an outside service, and no database transaction may
stay open meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import AdminFunding, AdminFundingMinimum, Fund, Payout
from bot.context import Context
from bot.funding import MANUAL, FundingAdapter
from bot.handlers import HandlerSpec
from bot.handlers.admin import require_admin
from bot.invocation import Invocation
from bot.reply import Reply, refusal
from ledger.models import FUNDING_MODES
from ledger.records import Community

if TYPE_CHECKING:
    from bot.runtime import Runtime


def not_installed(mode: str) -> Reply:
    return refusal(f"{mode.capitalize()} funding is not installed on this Tipbot server, so this community "
                   f"can't use it. Ask whoever runs Tipbot to install it (`pip install 'tipbot[{mode}]'`).",
                   "not_installed")


def offered(runtime: Runtime) -> list[str]:
    """The funding modes of this install: manual and each installed adapter's."""
    return [MANUAL, *sorted(runtime.funding)]


def unknown_mode(runtime: Runtime, mode: str) -> Reply | None:
    """The refusal for a word that names no funding mode here, installed or not; None otherwise."""
    if mode in FUNDING_MODES or mode in runtime.funding:
        return None
    return refusal(f"There is no funding mode named `{mode}`; this Tipbot offers: {', '.join(offered(runtime))}. "
                   f"Nothing changed.", "invalid")


def _adapter(runtime: Runtime, mode: str) -> FundingAdapter | Reply:
    """The adapter serving `mode`, or the refusal to give (not installed, not configured)."""
    adapter = runtime.funding.get(mode)
    if adapter is None:
        return not_installed(mode)
    if not adapter.configured():
        return refusal(adapter.not_configured_text(), "not_configured")
    return adapter


def admin_funding(ctx: Context, cmd: AdminFunding) -> Reply:
    require_admin(ctx, "change how the community is funded")
    unknown = unknown_mode(ctx.runtime, cmd.mode)
    if unknown is not None:
        return unknown
    adapter = None
    if cmd.mode != MANUAL:
        found = _adapter(ctx.runtime, cmd.mode)
        if isinstance(found, Reply):
            return refusal(found.text + " Nothing changed.", found.code or "refused")
        adapter = found
    if cmd.mode == ctx.community.funding_mode:
        words = f"through {adapter.label}" if adapter is not None else "by hand (manual mode)"
        return Reply(text=f"This community is already funded {words}; nothing changed.")
    community = ctx.book.set_funding_mode(ctx.community.id, cmd.mode, by_admin=True)
    if adapter is not None:
        return Reply(text=adapter.describe(ctx.book, community))
    return Reply(text=(
        "This community is now funded by hand: admins record money members paid in with "
        "`/tip admin credit @member AMOUNT` and money paid out with `/tip admin debit @member AMOUNT`. "
        "Saved cards and connected accounts stay on file in case you switch back."))


def admin_funding_minimum(ctx: Context, cmd: AdminFundingMinimum) -> Reply:
    """Show or set the minimum charge: a tipper's card is charged once their dues reach it."""
    require_admin(ctx, "see or change the minimum charge")
    community = ctx.community
    if cmd.amount_text is not None:
        community = ctx.book.set_min_charge(community.id, ctx.money(cmd.amount_text), by_admin=True)
    shown = ctx.fmt(community.min_charge_minor)
    text = (f"{'The minimum charge is now' if cmd.amount_text is not None else 'The minimum charge is'} {shown}: "
            f"with card funding, a tipper's card is charged once their weekly tips due reach it, so card "
            f"fees stay small; until then the tips wait.")
    if cmd.amount_text is None:
        text += " Change it with `/tip admin funding minimum 20`."
    if community.funding_mode == MANUAL:
        text += " (This community is funded by hand now; it applies once it uses card funding.)"
    return Reply(text=text)


def _community_of(runtime: Runtime, invocation: Invocation) -> Community | None:
    """The invocation's community, read only (None: a space Tipbot has not seen yet)."""
    def op(book):
        space = book.space(invocation.platform, invocation.space_id)
        return None if space is None else book.community(space.community_id)

    return runtime.ledger.read(op)


def _manual_answer(runtime: Runtime, community: Community | None, invocation: Invocation, what: str) -> Reply:
    """Manual mode: how the community is funded and who to ask. Writes nothing."""
    admins = runtime.platform(invocation.platform).who_are_admins or "Ask an admin of this community."
    name = community.name if community is not None else (invocation.space_name or "This community")
    if what == "fund":
        text = (f"{name} is funded by hand, not by card: you pay money in the way your community "
                f"agreed (a budget, dues collected elsewhere), and an admin records it with "
                f"`/tip admin credit`. Ask an admin to credit your balance. {admins}")
    else:
        text = (f"{name} is funded by hand, not through a payment service: your balance is paid out by an "
                f"admin, who records it with `/tip admin debit`. Ask an admin to pay you out. {admins}")
    return Reply(text=text)


def _ready(runtime: Runtime, invocation: Invocation, what: str) -> tuple[Community, FundingAdapter] | Reply:
    """The community and its funding adapter, or the answer to give instead. Writes nothing."""
    community = _community_of(runtime, invocation)
    if community is None or community.funding_mode == MANUAL:
        return _manual_answer(runtime, community, invocation, what)
    found = _adapter(runtime, community.funding_mode)
    return found if isinstance(found, Reply) else (community, found)


def fund(runtime: Runtime, invocation: Invocation, cmd: Fund) -> Reply:
    ready = _ready(runtime, invocation, "fund")
    if isinstance(ready, Reply):
        return ready
    community, adapter = ready
    return adapter.fund(runtime, invocation, community, cmd.amount_text)


def payout(runtime: Runtime, invocation: Invocation, cmd: Payout) -> Reply:
    ready = _ready(runtime, invocation, "payout")
    if isinstance(ready, Reply):
        return ready
    community, adapter = ready
    return adapter.payout(runtime, invocation, community)


COMMANDS = {AdminFunding: HandlerSpec(admin_funding), AdminFundingMinimum: HandlerSpec(admin_funding_minimum),
            Fund: HandlerSpec(fund, transactional=False),
            Payout: HandlerSpec(payout, transactional=False)}
