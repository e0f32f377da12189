"""Every `tipbot` command that opens the database says in one line why it can't, and exits
non-zero, without a traceback: a server nobody listens for, and a URL naming no driver."""

from __future__ import annotations

import socket

import pytest

from bot.cli import main

COMMANDS = [
    ["db", "upgrade"],
    ["payday"],
    ["payday", "--dry-run"],
    ["ledger", "check"],
    ["ledger", "balances"],
    ["stripe", "fees", "town", "recipients"],
    ["console", "--json"],
    ["run", "--no-scheduler", "--port", "0"],  # checks the database before it serves
]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on leaving: nothing listens there


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("url", ["postgresql://tipbot:s3cret@127.0.0.1:{port}/tipbot", "foo://tipbot:s3cret@db/x"],
                         ids=["unreachable", "unknown-driver"])
def test_a_database_it_cannot_use_gets_one_clear_line_and_a_nonzero_exit(command, url, capsys, monkeypatch):
    monkeypatch.delenv("TIPBOT_DATABASE_URL", raising=False)
    database = url.format(port=closed_port())

    code = main([*command, "--database", database])

    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code != 0 and out == ""
    assert len(lines) == 1, err
    assert "Traceback" not in err and "s3cret" not in err
    if url.startswith("foo"):
        assert "foo://tipbot:***@db/x is not a database URL Tipbot can use" in lines[0]
    else:
        assert "Connection refused" in lines[0] and "127.0.0.1" in lines[0]
