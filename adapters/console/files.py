"""Where the console writes files (payday charts, `/tip history csv`): next to the SQLite
database, else in the user's data directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from platformdirs import user_data_dir

if TYPE_CHECKING:
    from bot.runtime import Runtime


def chart_directory(runtime: Runtime) -> Path:
    """The SQLite file's directory, else the user's data directory."""
    url = runtime.ledger.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().resolve().parent
    return Path(user_data_dir("tipbot", appauthor=False))
