"""TIPBOT_LOG_FORMAT=json: one JSON object a line, with the request id of the command
being handled."""

from __future__ import annotations

import json
import logging

from bot.compose import build_runtime
from bot.config import Settings
from bot.invocation import Invocation, UserRef
from bot.logs import JsonFormatter


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_a_log_line_written_while_a_command_runs_carries_its_request_id(ledger, monkeypatch):
    runtime = build_runtime(Settings(database_url=str(ledger.engine.url)), ledger=ledger, platforms={}, funding={})
    capture = Capture()
    logging.getLogger("bot").addHandler(capture)

    def boom(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(runtime.bot, "_in_transaction", boom)
    try:
        reply = runtime.bot.handle(Invocation("console", "town", UserRef("alice", "alice"), text="@bob 1",
                                              request_id="req-123"))
        logging.getLogger("bot.test").warning("outside any command")
    finally:
        logging.getLogger("bot").removeHandler(capture)

    assert not reply.ok
    inside, outside = (json.loads(line) for line in capture.lines)
    assert inside["request_id"] == "req-123" and inside["level"] == "ERROR" and "a bug" in inside["exception"]
    assert "request_id" not in outside and outside["message"] == "outside any command"
