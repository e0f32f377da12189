"""Fixtures for the web pages: a console session (to tip, as members do) and an HTTP client
on the real app (bot.web.build_app over the composition root), on each database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from bot.web import build_app
from ledger.clock import FixedClock
from tests.adapters.console.support import Console, make_runtime


class Site:
    """A community `test` with its console (`say`/`ok`/`refused`) and an HTTP client on its web app."""

    def __init__(self, console: Console, client: TestClient) -> None:
        self.console = console
        self.client = client
        self.runtime = console.runtime

    def script(self, text: str) -> None:
        self.console.script(text)

    def member(self, platform_user_id: str, display_name: str, *, platform: str = "console",
               space: str = "test", space_name: str | None = None) -> int:
        """A member whose name came from a platform (Slack's users.info), not typed on the console."""
        def add(book):
            found = book.ensure_space(platform, space, name=space_name, community_name="test")
            return book.ensure_member(found, platform_user_id, display_name).id

        return self.runtime.ledger.run(add).value

    def get(self, path: str, **headers: str):
        return self.client.get(path, headers=headers)


@pytest.fixture
def site(db_url: str, clock: FixedClock) -> Iterator[Site]:
    runtime = make_runtime(db_url, clock, web_page_cache_seconds=0, public_url="https://tips.example.org")
    with TestClient(build_app(runtime), base_url="http://127.0.0.1") as client:
        yield Site(Console(runtime), client)
    runtime.ledger.dispose()
