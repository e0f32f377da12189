"""Buttons (confirming a large weekly tip), the App Home tab and recipients' DMs."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tests.adapters.slack.conftest import TEAM, SlackHarness, block_actions_payload, event_payload
from tests.adapters.slack.test_slash_command import weekly_tip_minor
from tests.dbs import dump_tables

pytestmark = pytest.mark.anyio


async def click(slack: SlackHarness, action_id: str, value: str, **kwargs) -> dict:
    before = len(slack.mock.of("response_url"))
    body = urlencode({"payload": json.dumps(block_actions_payload(slack.mock, action_id, value, **kwargs))})
    response = await slack.post_signed(body)
    assert response.status_code == 200, response.text
    return (await slack.mock.wait_for("response_url", before + 1))[before].args


async def test_large_weekly_tip_asks_with_buttons_and_the_click_is_idempotent(slack: SlackHarness) -> None:
    ask = await slack.tip("<@U2|bob> 30")

    assert weekly_tip_minor(slack.ledger, "U1", "U2") is None  # nothing set before the click
    actions = [b for b in ask["blocks"] if b["type"] == "actions"]
    assert actions, ask
    confirm = next(e for e in actions[0]["elements"] if e.get("style") == "primary")

    done = await click(slack, confirm["action_id"], confirm["value"])
    assert weekly_tip_minor(slack.ledger, "U1", "U2") == 3000
    assert done["replace_original"] is True and "$30.00 a week" in done["text"]

    state = dump_tables(slack.ledger.engine)
    again = await click(slack, confirm["action_id"], confirm["value"])  # double click on the same message
    assert "Already recorded" in again["text"]
    assert dump_tables(slack.ledger.engine) == state


async def test_cancel_button_changes_nothing(slack: SlackHarness) -> None:
    ask = await slack.tip("<@U2|bob> 30")
    state = dump_tables(slack.ledger.engine)
    cancel = next(e for b in ask["blocks"] if b["type"] == "actions" for e in b["elements"] if "style" not in e)

    done = await click(slack, cancel["action_id"], cancel["value"])
    assert "Cancelled" in done["text"]
    assert dump_tables(slack.ledger.engine) == state


async def test_forged_button_click_is_401(slack: SlackHarness) -> None:
    ask = await slack.tip("<@U2|bob> 30")
    confirm = next(e for b in ask["blocks"] if b["type"] == "actions" for e in b["elements"])
    body = urlencode({"payload": json.dumps(block_actions_payload(slack.mock, confirm["action_id"],
                                                                  confirm["value"]))})
    response = await slack.http.post("/slack/events", content=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": "1700000000",
        "X-Slack-Signature": "v0=" + "0" * 64})
    assert response.status_code == 401
    assert weekly_tip_minor(slack.ledger, "U1", "U2") is None


async def test_app_home_shows_tips_balance_and_next_payday(slack: SlackHarness) -> None:
    slack.mock.users["UADMIN"] = {"is_admin": True}
    await slack.tip("admin credit <@U1|alice> 20", user="UADMIN")
    await slack.tip("<@U2|bob> 2")
    before = dump_tables(slack.ledger.engine)

    event = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home", "event_ts": "1700000000.1"}
    response = await slack.post_signed(json.dumps(event_payload(event)), content_type="application/json")
    assert response.status_code == 200

    (published,) = await slack.mock.wait_for("views.publish")
    view = published.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    shown = json.dumps(view)
    assert published.args["user_id"] == "U1" and view["type"] == "home"
    assert "$20.00" in shown  # balance
    assert "bob" in shown and "$2.00 a week" in shown
    assert "Next payday" in shown
    assert dump_tables(slack.ledger.engine) == before  # opening the tab writes nothing


async def test_app_home_for_a_newcomer_writes_nothing(slack: SlackHarness) -> None:
    before = dump_tables(slack.ledger.engine)
    event = {"type": "app_home_opened", "user": "U9", "channel": "D9", "tab": "home", "event_ts": "1700000000.2"}
    response = await slack.post_signed(json.dumps(event_payload(event, event_id="Ev2")),
                                       content_type="application/json")
    assert response.status_code == 200
    (published,) = await slack.mock.wait_for("views.publish")
    assert "/tip @name 1" in json.dumps(published.args["view"])
    assert dump_tables(slack.ledger.engine) == before


async def test_first_weekly_pledge_sends_the_recipient_one_dm(slack: SlackHarness) -> None:
    await slack.tip("<@U2|bob> 1")
    await slack.tip("<@U2|bob> 2", user="U3", user_name="carol")
    await slack.tip("<@U2|bob> 3")  # a change, not a first pledge from alice

    await slack.mock.wait_for("chat.postMessage", 1)
    dms = [c for c in slack.mock.of("chat.postMessage") if c.args["channel"] == "DU2"]
    opened = [c for c in slack.mock.of("conversations.open") if c.args["users"] == "U2"]
    assert len(dms) == len(opened) == 1
    assert "pledged $1.00 a week" in dms[0].args["text"]


async def test_failed_recipient_dm_does_not_undo_the_tip(slack: SlackHarness) -> None:
    slack.mock.missing_channels.add("DU2")  # e.g. the recipient blocked DMs from apps
    reply = await slack.tip("<@U2|bob> 1")
    assert "$1.00 a week" in reply["text"]
    assert weekly_tip_minor(slack.ledger, "U1", "U2") == 100


async def test_first_command_creates_the_workspace_space(slack: SlackHarness) -> None:
    reply = await slack.tip("balance")
    assert "$0.00" in reply["text"]
    assert slack.ledger.read(lambda b: b.space("slack", TEAM)) is not None


async def test_expired_response_url_falls_back_to_an_ephemeral_message(slack: SlackHarness) -> None:
    slack.mock.expired_response_urls = True
    response = await slack.slash("<@U2|bob> 1", channel="C7")
    assert response.status_code == 200

    (ephemeral,) = await slack.mock.wait_for("chat.postEphemeral")
    assert ephemeral.args["channel"] == "C7" and ephemeral.args["user"] == "U1"
    assert "$1.00 a week" in ephemeral.args["text"]
    assert weekly_tip_minor(slack.ledger, "U1", "U2") == 100


async def test_events_url_verification_answers_the_challenge(slack: SlackHarness) -> None:
    """What Slack sends when an admin saves the Events request URL from the manifest."""
    body = json.dumps({"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"})
    response = await slack.post_signed(body, content_type="application/json")
    assert response.status_code == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in response.text
