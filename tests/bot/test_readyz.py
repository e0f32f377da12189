"""/healthz says the process is alive; /readyz says it may take traffic: the database
answers and its schema is at every migration head."""

from __future__ import annotations

import asyncio

import httpx

from bot import web
from bot.compose import build_runtime
from bot.config import Settings
from ledger.api import Ledger


def get(runtime, path: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=web.build_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://tipbot.test") as http:
            return await http.get(path)
    return asyncio.run(go())


def runtime_for(ledger: Ledger):
    return build_runtime(Settings(database_url=str(ledger.engine.url)), ledger=ledger, platforms={}, funding={})


def test_ready_when_the_schema_is_current(ledger):
    runtime = runtime_for(ledger)
    assert get(runtime, "/healthz").status_code == 200
    answer = get(runtime, "/readyz")
    assert answer.status_code == 200 and answer.json() == {"ready": True}


def test_not_ready_before_the_migrations_ran(tmp_path):
    ledger = Ledger.connect(f"sqlite:///{tmp_path}/empty.sqlite3", upgrade=False)
    runtime = runtime_for(ledger)
    assert get(runtime, "/healthz").status_code == 200  # alive: the database answers
    answer = get(runtime, "/readyz")
    assert answer.status_code == 503 and "tipbot db upgrade" in answer.json()["migrations"]
    ledger.dispose()


def test_not_ready_when_the_database_is_away():
    ledger = Ledger.connect("postgresql://nobody@127.0.0.1:9/nothing", upgrade=False, connect_args={"connect_timeout": 2})
    runtime = runtime_for(ledger)
    answer = get(runtime, "/readyz")
    assert answer.status_code == 503 and answer.json()["database"] == "unreachable"
    ledger.dispose()
