"""Plain-text rendering of replies, and payday summaries posted to console spaces."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from adapters.console.platform import ConsolePlatform, chart_directory
from adapters.console.render import render
from bot.reply import Button, DirectMessage, Reply, Summary, Visibility
from tests.adapters.console.support import Console

PNG = b"\x89PNG\r\n\x1a\nnot really a chart"


def test_render_shows_title_fields_buttons_and_dms() -> None:
    reply = Reply(text="Set it?", title="Weekly tip", fields=(("Weekly", "$40.00"), ("About monthly", "$173.33")),
                  buttons=(Button("Yes", "tip_confirm", "v"), Button("Cancel", "tip_cancel", "v")),
                  direct_messages=(DirectMessage("bob", "hello"),), visibility=Visibility.IN_CHANNEL)
    assert render(reply).splitlines() == [
        "Weekly tip",
        "(to the channel) Set it?",
        "  Weekly:        $40.00",
        "  About monthly: $173.33",
        "Buttons: [Yes]  [Cancel] (buttons are for Slack and Discord)",
        "(DM to bob) hello",
    ]
    assert render(Reply(text="No.", ok=False)) == "✗ No."


def test_summary_is_printed_and_its_chart_written_next_to_the_database(
        console: Console, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # where PostgreSQL runs put charts
    assert isinstance(console.runtime.platforms["console"], ConsolePlatform)
    community_id = console.runtime.ledger.read(lambda b: b.space("console", "test").community_id)
    summary = Summary("test", "3 tippers gave $12.00 to 4 members.", chart_png=PNG, fields=(("Moved", "$12.00"),))
    results = asyncio.run(console.runtime.deliver_summary(community_id, summary))
    assert results == {"console:test": "posted"}
    chart = chart_directory(console.runtime) / "test-payday.png"
    assert chart.read_bytes() == PNG
    if console.runtime.ledger.dialect == "sqlite":
        assert chart.parent == Path(console.runtime.ledger.engine.url.database).resolve().parent
    else:
        assert chart.parent == tmp_path / "data" / "tipbot"
    assert capsys.readouterr().out.splitlines() == [
        "Payday summary for test", "3 tippers gave $12.00 to 4 members.", "  Moved: $12.00", f"Chart: {chart}"]


def test_summary_during_a_console_line_goes_into_that_line(console: Console) -> None:
    collected: list[str] = []
    platform = ConsolePlatform()
    platform.sink = collected.append
    try:
        asyncio.run(platform.post_summary(console.runtime, "test", "payday", Summary("test", "No tips this week.")))
    finally:
        platform.sink = None
    assert collected == ["Payday summary for test (to #payday)\nNo tips this week."]
