"""Log formats: plain text by default, one JSON object a line with `TIPBOT_LOG_FORMAT=json`.

Each record carries the request id of the command being handled when there is one
(the Invocation's `request_id`, set by TipBot.handle for the duration of the command,
in a context variable so threads and tasks never mix them up). Secrets never reach a
log: settings hold them as SecretStr, and nothing here adds fields beyond the record's.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import os

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("tipbot_request_id", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: int) -> None:
    """Root logging for `tipbot`: JSON when TIPBOT_LOG_FORMAT=json, text otherwise."""
    handler = logging.StreamHandler()
    if os.environ.get("TIPBOT_LOG_FORMAT", "text").lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])


def first_line(error: BaseException) -> str:
    """An error as one log or terminal line: its message's first line, else its type."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
