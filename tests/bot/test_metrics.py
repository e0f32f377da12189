"""/metrics: counters move as commands and a payday run, through the real web app; no
label carries a member's text, a name or a secret."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import web
from bot.compose import build_runtime
from bot.config import Settings
from bot.invocation import Invocation, UserRef
from bot.scheduler import run_due_paydays
from tests.bot.test_scheduler import RecordingPlatform
from tests.ledger.payday_helpers import chained_town
from tests.moments import DUE_PAYDAY

pytestmark = pytest.mark.clock  # CI runs these again at fixed moments (.ci/run)

SECRET = "xoxb-very-secret-token"
USER_TEXT = "@homer 1 for the zebra-unicorn-note"


async def scrape(runtime) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    transport = httpx.ASGITransport(app=web.build_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://tipbot.test") as http:
        response = await http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_commands_and_a_payday_move_the_counters_and_no_label_carries_text_or_secrets(ledger):
    town = chained_town(ledger)
    platform = RecordingPlatform()
    settings = Settings(database_url=str(ledger.engine.url), slack_bot_token=SECRET, scheduler=False)
    runtime = build_runtime(settings, ledger=ledger, platforms={"console": platform}, funding={})
    before = asyncio.run(scrape(runtime))
    assert value(before, "tipbot_commands_total", platform="console", command="Tip", outcome="ok") == 0

    ok = runtime.bot.handle(Invocation("console", "elsewhere", UserRef("alice", "alice"), text=USER_TEXT))
    refused = runtime.bot.handle(Invocation("console", "elsewhere", UserRef("alice", "alice"), text="@homer 1000000"))
    junk = runtime.bot.handle(Invocation("console", "elsewhere", UserRef("alice", "alice"), text="zebra-unicorn gibberish"))
    assert ok.ok and not refused.ok and not junk.ok
    runs = asyncio.run(run_due_paydays(runtime, DUE_PAYDAY))  # town's and elsewhere's (created at PINNED)
    assert [run.result.status for run in runs] == ["ran", "ran"]
    after = asyncio.run(scrape(runtime))

    assert value(after, "tipbot_commands_total", platform="console", command="Tip", outcome="ok") == 1
    assert value(after, "tipbot_commands_total", platform="console", command="Tip", outcome=refused.code) == 1
    assert value(after, "tipbot_commands_total", platform="console", command="unparsed", outcome=junk.code) == 1
    assert value(after, "tipbot_command_seconds_count", platform="console") == 3
    assert value(after, "tipbot_paydays_total", status="ran") == 2
    assert value(after, "tipbot_payday_stages_total", stage="done") == 2
    assert value(after, "tipbot_payday_seconds_count", step="payday") == 2
    assert value(after, "tipbot_payday_seconds_count", step="announce") == 2
    paid = sum(run.result.stats["tips_paid"] for run in runs)
    unfunded = sum(run.result.stats["unfunded_tips"] for run in runs)
    assert value(after, "tipbot_payday_tips_total", outcome="paid") == paid > 0
    assert value(after, "tipbot_payday_tips_total", outcome="unfunded") == unfunded > 0
    assert value(after, "tipbot_payday_summaries_total", platform="console", outcome="posted") == 2

    labels = {v for (_name, pairs) in after for _k, v in pairs}
    for forbidden in (SECRET, "zebra", "unicorn", "alice", "homer", "town", "elsewhere"):
        assert not any(forbidden in label for label in labels), (forbidden, labels)
