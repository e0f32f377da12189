"""Projects from Slack: signed `/tip` slash commands through the real web app (Bolt inside Starlette)."""

from __future__ import annotations

import pytest

from tests.adapters.slack.conftest import TEAM, SlackHarness
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
