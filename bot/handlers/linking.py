"""`/tip link [CODE]`, `/tip admin invite`, `/tip admin join CODE`.

One community may span a Slack workspace, a Discord server and the console; one
person may have an identity on each. The rules (single-use, expiring codes; no
merging of anything that already has ledger activity) live in ledger.linking; these
handlers only turn commands into those calls and the results into replies.
"""

from __future__ import annotations

import datetime as dt

from bot.commands import AdminInvite, AdminJoin, Link
from bot.context import Context
from bot.handlers import HandlerSpec
from bot.reply import Reply, refusal
from ledger import linking


def _until(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def link(ctx: Context, cmd: Link) -> Reply:
    if cmd.code is None:
        if len(ctx.book.spaces_of(ctx.community.id)) < 2:
            return refusal(
                "This community has only this space so far, so there is nothing to link yet. An admin can bring "
                "in another Slack workspace or Discord server with `/tip admin invite`; then link from there.",
                "nothing_to_link")
        issued = linking.create_link_code(ctx.book, ctx.member.id, ctx.space.id)
        return Reply(
            title="Link another identity",
            text=(f"Your link code is `{issued.code}`. It works once, until {_until(issued.expires_at)}.\n"
                  f"From your account on another space of this community, run `/tip link {issued.code}` "
                  f"(on Discord: `/link code:{issued.code}`). That account must not have tips or transfers "
                  f"of its own yet. Then both accounts share one balance and one set of tips."),
        )
    member = linking.link_identity(ctx.book, ctx.space.id, ctx.invocation.user.platform_user_id, cmd.code,
                                   before_merge=lambda book, old, remaining: merge_members(ctx, old, remaining))
    balance = ctx.book.balance(member.id)
    names = ", ".join(f"{space.platform} {space.name or space.external_id}"
                      for space, _ in ctx.book.identities_of(member.id))
    return Reply(
        title="Identities linked",
        text=f"This account is now linked to {member.display_name}: one balance and one set of tips.",
        fields=(("Balance", balance.format()), ("Linked on", names)),
    )


def merge_members(ctx: Context, old_member_id: int, remaining_member_id: int) -> None:
    """What each funding adapter keeps for a member (a saved card, a connected account)
    follows the member that remains when two identities are linked."""
    for adapter in ctx.runtime.funding.values():
        merge = getattr(adapter, "merge_members", None)
        if merge is not None:
            merge(ctx.book, old_member_id, remaining_member_id)


def admin_invite(ctx: Context, cmd: AdminInvite) -> Reply:
    issued = linking.create_invite(ctx.book, ctx.space.id, by_admin=ctx.is_admin)
    return Reply(
        title="Invite another space",
        text=(f"Invite code: `{issued.code}`. It works once, until {_until(issued.expires_at)}.\n"
              f"An admin of the other Slack workspace or Discord server runs `/tip admin join {issued.code}` "
              f"there (on Discord: `/tipadmin join code:{issued.code}`). That space must not have tips or "
              f"transfers yet; afterwards it shares this community's ledger, settings and payday summaries."),
    )


def admin_join(ctx: Context, cmd: AdminJoin) -> Reply:
    joined = linking.join_community(ctx.book, ctx.space.id, cmd.code, by_admin=ctx.is_admin)
    spaces = ctx.book.spaces_of(joined.community.id)
    names = ", ".join(f"{space.platform} {space.name or space.external_id}" for space in spaces)
    return Reply(
        title="Joined the community",
        text=(f"This space is now part of {joined.community.name}: balances, tips, limits and payday summaries "
              f"are shared across {names}. Members who also use another of these spaces can link their "
              f"accounts with `/tip link`."),
        fields=(("Currency", joined.community.currency), ("Members moved", str(joined.members_moved))),
    )


COMMANDS = {Link: HandlerSpec(link), AdminInvite: HandlerSpec(admin_invite), AdminJoin: HandlerSpec(admin_join)}
