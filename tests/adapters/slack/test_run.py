"""`tipbot run`: uvicorn and the platforms on one loop, real HTTP on loopback, clean stop."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode

import httpx
import pytest

from adapters.slack.platform import SlackPlatform
from bot.cli_run import serve
from bot.compose import build_runtime
from tests.adapters.slack.conftest import sign, slack_settings, slash_payload
from tests.adapters.slack.test_slash_command import weekly_tip_minor

pytestmark = pytest.mark.anyio


async def test_serve_answers_slack_over_http_and_stops_cleanly(mock_slack, ledger) -> None:
    runtime = build_runtime(slack_settings(mock_slack, host="127.0.0.1", port=0), ledger=ledger,
                      platforms={"slack": SlackPlatform()})
    stop = asyncio.Event()
    ports: list[int] = []
    running = asyncio.create_task(serve(runtime, stop=stop, started=ports.append))
    while not ports:
        assert not running.done(), running.result()
        await asyncio.sleep(0.02)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[0]}") as http:
        assert (await http.get("/healthz")).json() == {"ok": True}
        body = urlencode(slash_payload(mock_slack, "<@U2|bob> 1"))
        response = await http.post("/slack/events", content=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", **sign(body)})
        assert response.status_code == 200
        (reply,) = await mock_slack.wait_for("response_url")
    assert "$1.00 a week" in reply.args["text"]
    assert weekly_tip_minor(ledger, "U1", "U2") == 100

    stop.set()
    assert await asyncio.wait_for(running, 20) == 0


async def test_serve_starts_socket_mode_and_stops_it(mock_slack, ledger) -> None:
    runtime = build_runtime(slack_settings(mock_slack, port=0, slack_app_token="xapp-1-A1-test"), ledger=ledger,
                      platforms={"slack": SlackPlatform()})
    stop = asyncio.Event()
    running = asyncio.create_task(serve(runtime, stop=stop))
    await mock_slack.wait_connected()
    await mock_slack.send_envelope({"envelope_id": "e1", "type": "slash_commands",
                                    "payload": slash_payload(mock_slack, "<@U2|bob> 2")})
    await mock_slack.wait_for("response_url")
    assert weekly_tip_minor(ledger, "U1", "U2") == 200

    stop.set()
    assert await asyncio.wait_for(running, 20) == 0
    assert runtime.platforms["slack"]._sockets == []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_tipbot_run_exits_cleanly_on_sigterm(tmp_path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "STRIPE_", "TIPBOT_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--port", str(port), "--no-scheduler",
         "--database", f"sqlite:///{tmp_path}/run.sqlite3"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.05)
        else:
            pytest.fail("tipbot run did not start")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0, process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()


@pytest.mark.clock  # also run at fixed moments (.ci/run)
async def test_serve_runs_the_payday_scheduler_which_posts_to_slack(mock_slack, ledger, clock) -> None:
    def due_community(book):  # a community with a summary channel, paid every minute
        space = book.ensure_space("slack", "T1")
        book.set_summary_channel(space.id, "C9", "payday", by_admin=True)
        book.set_payday_cron(space.community_id, "* * * * *", by_admin=True)

    ledger.run(due_community)
    clock.advance(dt.timedelta(minutes=5))  # its payday time has passed since it was created
    runtime = build_runtime(slack_settings(mock_slack, port=0, scheduler=True), ledger=ledger,
                      platforms={"slack": SlackPlatform()})
    stop = asyncio.Event()
    running = asyncio.create_task(serve(runtime, stop=stop))

    (posted,) = await mock_slack.wait_for("chat.postMessage", timeout=30)
    assert posted.args["channel"] == "C9" and "Payday" in posted.args["text"]

    stop.set()
    assert await asyncio.wait_for(running, 30) == 0
