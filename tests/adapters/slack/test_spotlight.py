"""The "Back the Stack" spotlight in Slack: posted after the payday summary with a button; a signed
block_actions click on it asks the clicker alone to confirm, and the confirmation sets the tip."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tests.adapters.slack.conftest import TEAM, SlackHarness, block_actions_payload
from tests.adapters.slack.test_summaries import community_with_channel
from tests.dbs import dump_tables

pytestmark = pytest.mark.anyio


async def click(slack: SlackHarness, action_id: str, value: str, *, user: str, message_ts: str,
                on_channel_message: bool) -> dict:
    before = len(slack.mock.of("response_url"))
    payload = block_actions_payload(slack.mock, action_id, value, user=user, message_ts=message_ts)
    payload["container"]["is_ephemeral"] = not on_channel_message
    response = await slack.post_signed(urlencode({"payload": json.dumps(payload)}))
    assert response.status_code == 200, response.text
    return (await slack.mock.wait_for("response_url", before + 1))[before].args


def _buttons(message: dict) -> list[dict]:
    blocks = message["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def _project_tips(slack: SlackHarness, user: str) -> list[tuple[str, int, bool]]:
    return slack.ledger.read(lambda b: b.project_tips_given(b.find_member(b.space("slack", TEAM), user).id))


async def test_the_spotlight_follows_the_summary_and_its_button_confirms_before_tipping(slack: SlackHarness) -> None:
    await community_with_channel(slack)
    on = await slack.tip("admin spotlight on", user="UADMIN")
    assert "spotlight is now on" in on["text"]
    await slack.tip("receive on", user="U2", user_name="bob")
    await slack.tip("project add pillow", user="U2", user_name="bob")
    await slack.tip("project pillow packages pypi:pillow", user="U2", user_name="bob")

    await slack.tip("admin payday now", user="UADMIN")

    summary, spotlight = [c for c in slack.mock.of("chat.postMessage") if c.args["channel"] == "C9"]
    assert "Payday" in summary.args["text"]
    assert "Back the Stack: pillow" in spotlight.args["text"]
    assert "pypi:pillow" in spotlight.args["text"] and "/tip pillow 1" in spotlight.args["text"]
    (button,) = _buttons(spotlight.args)
    assert button["text"]["text"] == "Back pillow with $1.00 a week"
    post_ts = "1700000000.000200"  # the posted message's ts, as Slack sends it back with a click

    before = dump_tables(slack.ledger.engine)
    ask = await click(slack, button["action_id"], button["value"], user="U3", message_ts=post_ts,
                      on_channel_message=True)
    assert ask.get("replace_original") is not True and ask["response_type"] == "ephemeral"  # the post stays
    assert "Back pillow with $1.00 a week (about $4.33 a month)?" in ask["text"]
    assert _project_tips(slack, "U3") == []  # asking set nothing
    other = await click(slack, button["action_id"], button["value"], user="U4", message_ts=post_ts,
                        on_channel_message=True)
    assert "Already recorded" not in other["text"]  # each member's click is their own

    yes = next(b for b in _buttons(ask) if b.get("style") == "primary")
    done = await click(slack, yes["action_id"], yes["value"], user="U3", message_ts="1700000099.000001",
                       on_channel_message=False)
    assert done["replace_original"] is True and "You now tip pillow $1.00 a week" in done["text"]
    assert _project_tips(slack, "U3") == [("pillow", 100, False)]
    assert dump_tables(slack.ledger.engine) != before


async def test_the_spotlight_is_not_posted_when_it_is_off(slack: SlackHarness) -> None:
    await community_with_channel(slack)
    await slack.tip("receive on", user="U2", user_name="bob")
    await slack.tip("project add pillow", user="U2", user_name="bob")

    await slack.tip("admin payday now", user="UADMIN")

    posted = [c for c in slack.mock.of("chat.postMessage") if c.args["channel"] == "C9"]
    assert len(posted) == 1 and "Back the Stack" not in posted[0].args["text"]


async def test_a_member_in_the_spotlight_is_mentioned_and_backed_through_the_tips_confirmation(
        slack: SlackHarness) -> None:
    await community_with_channel(slack)
    await slack.tip("admin spotlight on", user="UADMIN")
    await slack.tip("receive on", user="U2", user_name="bob")  # no project receives: a member is featured
    await slack.tip("profile public", user="U2", user_name="bob")

    await slack.tip("admin payday now", user="UADMIN")

    _, spotlight = [c for c in slack.mock.of("chat.postMessage") if c.args["channel"] == "C9"]
    assert "Back the Stack: bob" in spotlight.args["text"] and "<@U2>" in spotlight.args["text"]
    assert "They receive $0.00 a week from 0 tippers." in spotlight.args["text"]  # a public profile
    (button,) = _buttons(spotlight.args)
    post_ts = "1700000000.000300"

    own = await click(slack, button["action_id"], button["value"], user="U2", message_ts=post_ts,
                      on_channel_message=True)
    assert "you can't tip yourself" in own["text"]
    ask = await click(slack, button["action_id"], button["value"], user="U3", message_ts=post_ts,
                      on_channel_message=True)
    assert "Back <@U2> with $1.00 a week (about $4.33 a month)?" in ask["text"]
    yes = next(b for b in _buttons(ask) if b.get("style") == "primary")
    done = await click(slack, yes["action_id"], yes["value"], user="U3", message_ts="1700000099.000002",
                       on_channel_message=False)
    assert "$1.00 a week" in done["text"]
    tips = slack.ledger.read(lambda b: b.tips_given(b.find_member(b.space("slack", TEAM), "U3").id))
    assert [(t.other_name, t.weekly_amount_minor) for t in tips] == [("bob", 100)]
