"""Payday summaries: the message and its chart in the space's channel, 429s retried,
and one failing workspace never stopping the others (Runtime.deliver_summary)."""

from __future__ import annotations

import pytest

from bot.reply import Summary
from tests.adapters.slack.conftest import TEAM, SlackHarness

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # what matters is that the bytes arrive unchanged


async def community_with_channel(slack: SlackHarness, channel: str = "C9") -> int:
    slack.mock.users["UADMIN"] = {"is_admin": True}
    reply = await slack.tip(f"admin channel <#{channel}|payday>", user="UADMIN")
    assert f"<#{channel}>" in reply["text"], reply
    return slack.ledger.read(lambda b: b.space("slack", TEAM).community_id)


def summary() -> Summary:
    return Summary(community_name="slack:T1", text="3 tippers gave 2 members $12.00 <!everyone>",
                   chart_png=PNG, chart_filename="payday.png", fields=(("Moved", "$12.00"), ("Tippers", "3")))


async def test_summary_is_posted_with_its_chart(slack: SlackHarness) -> None:
    community_id = await community_with_channel(slack)

    results = await slack.runtime.deliver_summary(community_id, summary())

    assert results == {f"slack:{TEAM}": "posted"}
    (message,) = slack.mock.of("chat.postMessage")
    assert message.args["channel"] == "C9" and message.token == "xoxb-test"
    assert "$12.00" in message.args["text"] and "<!everyone>" not in str(message.args)
    (upload,) = slack.mock.of("upload")
    assert upload.args["bytes"] == PNG
    (url_call,) = slack.mock.of("files.getUploadURLExternal")
    assert url_call.args["filename"] == "payday.png" and int(url_call.args["length"]) == len(PNG)
    (complete,) = slack.mock.of("files.completeUploadExternal")
    assert complete.args["channel_id"] == "C9"


async def test_rate_limited_post_is_retried_after_retry_after(slack: SlackHarness) -> None:
    community_id = await community_with_channel(slack)
    slack.mock.rate_limits = {"chat.postMessage": 1, "files.completeUploadExternal": 1}

    results = await slack.runtime.deliver_summary(community_id, summary())

    assert results == {f"slack:{TEAM}": "posted"}
    assert [c.status for c in slack.mock.of("chat.postMessage")] == [429, 200]
    assert [c.status for c in slack.mock.of("files.completeUploadExternal")] == [429, 200]
    assert len(slack.mock.of("upload")) == 1


async def test_a_failing_workspace_does_not_stop_the_others(slack: SlackHarness) -> None:
    community_id = await community_with_channel(slack, channel="CGONE")
    slack.mock.missing_channels.add("CGONE")
    # a second space of the same community (as `admin join` makes), set up through the ledger API
    def second_space(book):
        community = book.community(community_id)
        space = book.ensure_space("slack", "T3", community_name=community.name)
        book.set_summary_channel(space.id, "C3", "payday", by_admin=True)
        return space.community_id

    assert slack.ledger.run(second_space).value == community_id

    results = await slack.runtime.deliver_summary(community_id, summary())

    assert results == {f"slack:{TEAM}": "failed: SlackApiError", "slack:T3": "posted"}
    assert [c.args["channel"] for c in slack.mock.of("chat.postMessage") if c.status == 200] == ["CGONE", "C3"]
    assert len(slack.mock.of("upload")) == 1  # the chart went to the workspace that worked


async def test_a_chart_that_cannot_be_shared_does_not_fail_the_posted_summary(slack: SlackHarness) -> None:
    community_id = await community_with_channel(slack)
    slack.mock.no_files_channels.add("C9")

    results = await slack.runtime.deliver_summary(community_id, summary())

    assert results == {f"slack:{TEAM}": "posted"}  # so a retry would not post the text twice
    assert len(slack.mock.of("chat.postMessage")) == 1


async def test_payday_now_from_slack_posts_the_real_summary_and_tells_unfunded_tippers(slack: SlackHarness) -> None:
    """The whole way: admin commands in Slack, a real payday, its summary and chart in the channel."""
    await community_with_channel(slack)
    await slack.tip("admin credit <@U1|alice> 5", user="UADMIN")
    await slack.tip("receive on", user="U2", user_name="bob")
    await slack.tip("receive on", user="U3", user_name="carol")
    await slack.tip("<@U2|bob> 3")
    await slack.tip("<@U3|carol> 4")  # alice's 5.00 covers bob's 3.00, not then carol's 4.00

    reply = await slack.tip("admin payday now", user="UADMIN")

    assert reply.get("text"), reply
    posted = [c for c in slack.mock.of("chat.postMessage") if c.args["channel"] == "C9"]
    assert len(posted) == 1 and "$3.00" in posted[0].args["text"]
    (upload,) = slack.mock.of("upload")
    assert upload.args["bytes"].startswith(b"\x89PNG")
    balances = slack.ledger.read(lambda b: {
        uid: b.balance(b.find_member(b.space("slack", TEAM), uid).id).amount_minor for uid in ("U1", "U2", "U3")})
    assert balances == {"U1": 200, "U2": 300, "U3": 0}
    told = [c.args["text"] for c in slack.mock.of("chat.postMessage") if c.args["channel"] == "DU1"]
    assert len(told) == 2 and "recorded $5.00 paid in" in told[0]  # the credit's notice, then:
    assert "$4.00" in told[1]  # alice hears why carol's tip waited


async def test_a_summary_carries_its_payday_in_metadata_and_is_found_again(slack: SlackHarness) -> None:
    """After a crash between posting and recording, the taker asks the channel (conversations.history)."""
    await community_with_channel(slack)
    platform = slack.runtime.platforms["slack"]
    posted = Summary(community_name="slack:T1", text="Paid.", payday_id=7)

    await platform.post_summary(slack.runtime, TEAM, "C9", posted)

    (message,) = slack.mock.of("chat.postMessage")
    assert message.args["metadata"] == {"event_type": "tipbot_payday_summary",
                                        "event_payload": {"marker": "Tipbot payday #7"}}
    assert await platform.find_summary(slack.runtime, TEAM, "C9", posted) is True
    assert await platform.find_summary(slack.runtime, TEAM, "C9", Summary("slack:T1", "Paid.", payday_id=8)) is False
    assert await platform.find_summary(slack.runtime, TEAM, "C8", posted) is False  # another channel
    slack.mock.missing_channels.add("C9")
    assert await platform.find_summary(slack.runtime, TEAM, "C9", posted) is None  # Slack won't say: cannot tell
