""""Tip the author" through the real Bolt app: the signed message shortcut opens a modal
(`views.open` on the mock Slack); signed `view_submission`s tip, answer inline errors, or
are replayed. The Web API is the mock on loopback; the ledger is real."""

from __future__ import annotations

import itertools
import json
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.adapters.slack.conftest import TEAM, SlackHarness, harness
from tests.adapters.slack.test_reactions import balances
from tests.adapters.slack.test_slash_command import weekly_tip_minor
from tests.dbs import dump_tables

pytestmark = pytest.mark.anyio
_triggers = itertools.count(1)


def shortcut_payload(slack: SlackHarness, *, tipper: str = "U1", author: str | None = "U2",
                     bot_id: str | None = None) -> dict[str, Any]:
    """A message shortcut on a message in C1, as Slack posts it (`message_action`)."""
    message: dict[str, Any] = {"type": "message", "text": "I fixed the build", "ts": "1700000000.000100"}
    if author is not None:
        message["user"] = author
    if bot_id is not None:
        message["bot_id"] = bot_id
    return {
        "type": "message_action", "token": "legacy-verification-token", "action_ts": "1700000050.000001",
        "team": {"id": TEAM, "domain": "team-t1"}, "user": {"id": tipper, "username": tipper.lower(),
                                                            "name": tipper.lower(), "team_id": TEAM},
        "channel": {"id": "C1", "name": "general"}, "is_enterprise_install": False, "enterprise": None,
        "callback_id": "tip_author", "trigger_id": f"{next(_triggers)}.1700000000.shortcut",
        "message_ts": message["ts"], "message": message, "response_url": slack.mock.response_url(),
    }


def submission_payload(view: dict[str, Any], *, amount: str | None, how: str = "once", note: str | None = None,
                       tipper: str = "U1") -> dict[str, Any]:
    """The modal submitted, as Slack posts it (`view_submission`, the values under view.state)."""
    values = {
        "amount": {"amount": {"type": "plain_text_input", "value": amount}},
        "how": {"how": {"type": "radio_buttons", "selected_option": {
            "text": {"type": "plain_text", "text": how}, "value": how}}},
        "note": {"note": {"type": "plain_text_input", "value": note}},
    }
    return {
        "type": "view_submission", "team": {"id": TEAM, "domain": "team-t1"},
        "user": {"id": tipper, "username": tipper.lower(), "name": tipper.lower(), "team_id": TEAM},
        "api_app_id": "A1", "token": "legacy-verification-token", "trigger_id": "9.1700000000.submit",
        "view": {**view, "state": {"values": values}, "hash": "1700000060.abc"}, "response_urls": [],
        "is_enterprise_install": False, "enterprise": None,
    }


async def post_payload(slack: SlackHarness, payload: dict[str, Any]) -> httpx.Response:
    response = await slack.post_signed(urlencode({"payload": json.dumps(payload)}))
    assert response.status_code == 200, response.text
    return response


async def open_modal(slack: SlackHarness, **kwargs: Any) -> dict[str, Any]:
    """The shortcut, and the view Slack opened for it (as the mock answered views.open)."""
    before = len(slack.mock.of("views.open"))
    await post_payload(slack, shortcut_payload(slack, **kwargs))
    opened = (await slack.mock.wait_for("views.open", before + 1))[before]
    view = json.loads(opened.args["view"]) if isinstance(opened.args["view"], str) else opened.args["view"]
    return {"id": f"V{before + 1}{opened.args['trigger_id'].split('.')[0]}", "team_id": TEAM, **view}


async def setup(slack: SlackHarness) -> None:
    slack.mock.users["UADMIN"] = {"is_admin": True}
    slack.mock.users["U1"] = {"name": "alice"}
    slack.mock.users["U2"] = {"name": "bob"}
    slack.mock.users["UB"] = {"name": "robot", "is_bot": True}
    await slack.tip("admin credit <@U1|alice> 10", user="UADMIN")
    await slack.tip("receive on", user="U2", user_name="bob")


async def test_the_shortcut_opens_the_modal_on_the_authors_message(slack: SlackHarness) -> None:
    await setup(slack)
    before = dump_tables(slack.ledger.engine)
    view = await open_modal(slack)
    assert view["type"] == "modal" and view["callback_id"] == "tip_author"
    assert json.loads(view["private_metadata"]) == {"author": "U2", "channel": "C1"}
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["amount"]["type"] == "plain_text_input"
    assert [o["value"] for o in inputs["how"]["options"]] == ["once", "weekly"]
    assert inputs["how"]["initial_option"]["value"] == "once"
    assert inputs["note"]["type"] == "plain_text_input"
    assert "<@U2>" in view["blocks"][0]["text"]["text"]
    assert dump_tables(slack.ledger.engine) == before  # opening the form changes nothing


@pytest.mark.parametrize("kwargs, refusal", [
    ({"author": "U1"}, "You can't tip yourself."),
    ({"author": "UB"}, "Bots can't receive tips"),
    ({"author": None, "bot_id": "B9"}, "Bots can't receive tips"),
])
async def test_ones_own_or_a_bots_message_is_refused_privately(slack: SlackHarness, kwargs, refusal) -> None:
    await setup(slack)
    replies = len(slack.mock.of("response_url"))
    await post_payload(slack, shortcut_payload(slack, **kwargs))
    told = (await slack.mock.wait_for("response_url", replies + 1))[replies].args
    assert told["response_type"] == "ephemeral" and refusal in told["text"]
    assert slack.mock.of("views.open") == []


async def test_a_valid_submission_tips_the_author_and_tells_the_tipper_privately(slack: SlackHarness) -> None:
    await setup(slack)
    view = await open_modal(slack)
    posted = len(slack.mock.of("chat.postMessage"))

    response = await post_payload(slack, submission_payload(view, amount="2.50", note="for the build fix"))
    assert response.text == ""  # an empty ack: the modal closes
    assert balances(slack) == {"alice": "7.50", "bob": "2.50"}
    (told,) = await slack.mock.wait_for("chat.postEphemeral")
    assert told.args["user"] == "U1" and told.args["channel"] == "C1"
    assert "You gave <@U2> $2.50 as a one-off tip" in told.args["text"] and "for the build fix" in told.args["text"]
    dms = (await slack.mock.wait_for("chat.postMessage", posted + 1))[posted:]
    assert [dm.args["channel"] for dm in dms] == ["DU2"]  # bob hears of it, the channel does not
    assert "gave you a one-off tip of $2.50" in dms[0].args["text"]


async def test_a_replayed_submission_applies_once(slack: SlackHarness) -> None:
    await setup(slack)
    view = await open_modal(slack)
    payload = submission_payload(view, amount="1", how="weekly")
    await post_payload(slack, payload)
    assert weekly_tip_minor(slack.ledger, "U1", "U2") == 100
    state = dump_tables(slack.ledger.engine)

    await post_payload(slack, payload)  # Slack (or a proxy) delivering the same submission again
    assert dump_tables(slack.ledger.engine) == state
    again = (await slack.mock.wait_for("chat.postEphemeral", 2))[1]
    assert "Already recorded" in again.args["text"]


@pytest.mark.parametrize("amount, error", [
    ("abc", "is not an amount"),
    ("-1", "cannot be negative"),
    ("1e3", ""),
    ("1.234", ""),
    ("1 2", "Type only an amount"),
    ("2 anonymous", "Type only an amount"),
    ("", "How much?"),
    ("11", "balance"),  # more than alice has: she can lower it
])
async def test_an_invalid_amount_answers_an_inline_error_and_changes_nothing(slack: SlackHarness, amount: str,
                                                                             error: str) -> None:
    await setup(slack)
    view = await open_modal(slack)
    before = dump_tables(slack.ledger.engine)
    response = await post_payload(slack, submission_payload(view, amount=amount))
    answer = response.json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == ["amount"], answer
    assert error in answer["errors"]["amount"]
    assert dump_tables(slack.ledger.engine) == before
    assert slack.mock.of("chat.postEphemeral") == []  # the modal stays open with the error; nothing else said


async def test_a_bad_note_is_answered_next_to_the_note(slack: SlackHarness) -> None:
    await setup(slack)
    view = await open_modal(slack)
    before = dump_tables(slack.ledger.engine)
    response = await post_payload(slack, submission_payload(view, amount="1", note="thanks\u202egnp.exe"))
    answer = response.json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == ["note"]
    assert dump_tables(slack.ledger.engine) == before


async def test_a_large_weekly_tip_asks_to_confirm_as_chat_does(slack: SlackHarness) -> None:
    await setup(slack)
    view = await open_modal(slack)
    response = await post_payload(slack, submission_payload(view, amount="30", how="weekly"))
    assert response.text == ""
    (asked,) = await slack.mock.wait_for("chat.postEphemeral")
    blocks = json.loads(asked.args["blocks"]) if isinstance(asked.args["blocks"], str) else asked.args["blocks"]
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["tip_confirm", "tip_cancel"] and "Set it?" in asked.args["text"]
    assert weekly_tip_minor(slack.ledger, "U1", "U2") is None  # nothing set before the click


async def test_in_production_mode_the_errors_still_come_back_in_the_ack(mock_slack, ledger) -> None:
    """`tipbot run` serves Bolt with process_before_response=False: the listener's work runs
    after the request is taken, and the submission's answer is still its ack."""
    slack = await harness(mock_slack, ledger, process_before_response=False)
    try:
        await setup(slack)
        view = await open_modal(slack)
        before = dump_tables(slack.ledger.engine)
        answer = (await post_payload(slack, submission_payload(view, amount="abc"))).json()
        assert answer["response_action"] == "errors" and "is not an amount" in answer["errors"]["amount"]
        assert dump_tables(slack.ledger.engine) == before
        assert (await post_payload(slack, submission_payload(view, amount="1"))).text == ""
        assert balances(slack)["bob"] == "1.00"
    finally:
        await slack.close()
