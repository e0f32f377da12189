"""Socket Mode: the same Bolt app and handlers over a WebSocket (SLACK_APP_TOKEN).

The mock answers apps.connections.open with a ws:// URL on loopback and pushes
envelopes the way Slack does; the client must ack each envelope by its id.
"""

from __future__ import annotations

import pytest
from slack_sdk.socket_mode.request import SocketModeRequest

from adapters.slack.platform import SlackPlatform
from bot.compose import build_runtime
from bot.runtime import Runtime
from bot.web import build_app
from tests.adapters.slack.conftest import slack_settings, slash_payload
from tests.adapters.slack.test_slash_command import weekly_tip_minor

pytestmark = pytest.mark.anyio


@pytest.fixture
async def socket_runtime(mock_slack, ledger):
    runtime = build_runtime(slack_settings(mock_slack, slack_app_token="xapp-1-A1-test", slack_signing_secret=None),
                      ledger=ledger, platforms={"slack": SlackPlatform()})
    platform = runtime.platforms["slack"]
    await platform.start(runtime)
    yield runtime
    await platform.stop()


async def test_slash_command_over_the_socket(socket_runtime, mock_slack) -> None:
    await mock_slack.wait_connected()
    (opened,) = mock_slack.of("apps.connections.open")
    assert opened.token == "xapp-1-A1-test"

    payload = slash_payload(mock_slack, "<@U2|aclark4life> 1")
    await mock_slack.send_envelope({"envelope_id": "env-1", "type": "slash_commands", "payload": payload,
                                    "accepts_response_payload": True, "retry_attempt": 0, "retry_reason": ""})

    (ack,) = await mock_slack.wait_for("socket_ack")
    assert ack.args["envelope_id"] == "env-1"
    (reply,) = await mock_slack.wait_for("response_url")
    assert "$1.00 a week" in reply.args["text"]
    assert weekly_tip_minor(socket_runtime.ledger, "U1", "U2") == 100


async def test_redelivered_envelope_is_applied_once(socket_runtime, mock_slack) -> None:
    """Slack redelivers an envelope it saw no ack for: same trigger id, applied once."""
    await mock_slack.wait_connected()
    payload = slash_payload(mock_slack, "<@U2|bob> 2", trigger_id="7.1700000000.socket")
    for attempt in range(2):
        await mock_slack.send_envelope({"envelope_id": f"env-{attempt}", "type": "slash_commands",
                                        "payload": {**payload, "response_url": mock_slack.response_url()},
                                        "accepts_response_payload": True, "retry_attempt": attempt})
        await mock_slack.wait_for("response_url", attempt + 1)

    first, second = [c.args["text"] for c in mock_slack.of("response_url")]
    assert "$2.00 a week" in first and "Already recorded" in second
    tips = socket_runtime.ledger.read(lambda b: b.tips_given(b.find_member(b.space("slack", "T1"), "U1").id))
    assert [t.weekly_amount_minor for t in tips] == [200]


async def test_handler_driven_directly_with_a_socket_mode_request(socket_runtime, mock_slack) -> None:
    """The request handler itself: a SocketModeRequest in, the same listener runs."""
    socket = socket_runtime.platforms["slack"]._sockets[0]
    request = SocketModeRequest(type="slash_commands", envelope_id="env-direct",
                                payload=slash_payload(mock_slack, "balance"))
    await socket.handler.handle(socket.handler.client, request)

    (reply,) = await mock_slack.wait_for("response_url")
    assert "$0.00" in reply.args["text"]
    (ack,) = await mock_slack.wait_for("socket_ack")
    assert ack.args["envelope_id"] == "env-direct"


async def test_socket_mode_serves_no_http_events(socket_runtime) -> None:
    paths = [getattr(r, "path", None) for r in build_app(socket_runtime).routes]
    assert "/slack/events" not in paths and "/healthz" in paths


async def test_http_mode_without_signing_secret_serves_no_events(mock_slack, ledger) -> None:
    runtime = build_runtime(slack_settings(mock_slack, slack_signing_secret=None), ledger=ledger,
                      platforms={"slack": SlackPlatform()})
    paths = [getattr(r, "path", None) for r in build_app(runtime).routes]
    assert "/slack/events" not in paths
    await runtime.platforms["slack"].stop()
