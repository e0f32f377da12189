"""Projects from Slack: signed `/tip` slash commands and button clicks through the real web app
(Bolt inside Starlette)."""

from __future__ import annotations

import pytest

from tests.adapters.slack.conftest import TEAM, SlackHarness
from tests.adapters.slack.test_interactions import click
from tests.dbs import dump_tables

pytestmark = pytest.mark.anyio


def _project_tips(slack: SlackHarness, tipper: str) -> list[tuple[str, int, bool]]:
    def read(book):
        member = book.find_member(book.space("slack", TEAM), tipper)
        return book.project_tips_given(member.id)

    return slack.ledger.read(read)


async def test_projects_from_slack_add_show_tip_take_stack_and_list(slack: SlackHarness) -> None:
    await slack.tip("receive on", user="U2", user_name="bob")
    created = await slack.tip("project add pillow <@U2|bob>")
    assert "Created project pillow" in created["text"] and "<@U2>" in created["text"]
    await slack.tip("project add requests")
    await slack.tip("project pillow packages pypi:Pillow")

    take = await slack.tip("take pillow 1", user="U2", user_name="bob")
    assert "Your weekly take from pillow is now $1.00" in take["text"]

    tipped = await slack.tip("pillow 2", user="U3", user_name="carol")
    assert "You now tip pillow $2.00 a week" in tipped["text"]

    stacked = await slack.tip("stack 5 pypi:pillow requests", user="U3", user_name="carol")
    assert "You back 2 projects with $5.00 a week: $2.50 each" in stacked["text"]
    assert _project_tips(slack, "U3") == [("pillow", 250, False), ("requests", 250, True)]  # a pledge

    shown = await slack.tip("project pillow")
    blocks = str(shown["blocks"])
    assert "Project pillow" in blocks and "bob: $1.00" in shown["text"] and "pypi:pillow" in shown["text"]

    listed = await slack.tip("projects")
    assert "pillow: receives $2.50 a week from 1 tipper, 2 maintainers" in listed["text"]
    # alice maintains requests but does not receive yet: its tips wait as pledges
    assert "requests: receives $0.00 a week ($2.50 pledged, waiting for a maintainer who receives)" in listed["text"]


async def test_a_bare_word_naming_no_project_is_refused_and_changes_nothing(slack: SlackHarness) -> None:
    await slack.tip("project add pillow")
    before = dump_tables(slack.ledger.engine)

    refused = await slack.tip("pilow 1")
    assert refused["text"].startswith("no project named pilow; to tip a member, mention them: @pilow")
    not_maintainer = await slack.tip("take pillow 1", user="U3", user_name="carol")
    assert "maintain" in not_maintainer["text"]
    stack = await slack.tip("stack 10 pillow nosuch")
    assert "Nothing here matches `nosuch`" in stack["text"]
    assert dump_tables(slack.ledger.engine) == before


async def test_a_large_project_tip_asks_with_buttons_a_retry_applies_once_and_a_maintainer_leaves(
        slack: SlackHarness) -> None:
    slack.mock.users["UADMIN"] = {"is_admin": True}
    await slack.tip("admin credit <@U3|carol> 10", user="UADMIN", user_name="treasurer")
    await slack.tip("receive on", user="U2", user_name="bob")
    await slack.tip("project add pillow", user="U2", user_name="bob")

    ask = await slack.tip("pillow 30", user="U3", user_name="carol")  # over the $25.00 that asks to confirm
    assert "$30.00 a week to pillow is about $130.00 a month. Set it?" in ask["text"]
    assert _project_tips(slack, "U3") == []
    confirm = next(e for b in ask["blocks"] if b["type"] == "actions" for e in b["elements"]
                   if e.get("style") == "primary")
    done = await click(slack, confirm["action_id"], confirm["value"], user="U3")
    assert done["replace_original"] is True and "You now tip pillow $30.00 a week" in done["text"]
    assert _project_tips(slack, "U3") == [("pillow", 3000, False)]
    state = dump_tables(slack.ledger.engine)
    again = await click(slack, confirm["action_id"], confirm["value"], user="U3")  # a double click
    assert "Already recorded" in again["text"] and dump_tables(slack.ledger.engine) == state

    once = await slack.tip("pillow 3 once", user="U3", user_name="carol", trigger_id="7.1700000000.same")
    assert "You gave pillow $3.00 as a one-off tip" in once["text"]
    state = dump_tables(slack.ledger.engine)
    retried = await slack.tip("pillow 3 once", user="U3", user_name="carol", trigger_id="7.1700000000.same")
    assert "Already recorded" in retried["text"] and dump_tables(slack.ledger.engine) == state
    pillow = slack.ledger.read(lambda b: b.project_by_name(b.space("slack", TEAM).community_id, "pillow"))
    assert pillow.balance_minor == 300  # shared among its maintainers at the next payday

    left = await slack.tip("project remove pillow <@U2|bob>", user="U2", user_name="bob")
    assert "You left pillow. pillow has no maintainers now: tips to it wait as pledges." in left["text"]
    shown = await slack.tip("project pillow", user="U3", user_name="carol")
    assert "No maintainers: tips to it are pledges" in shown["text"]
