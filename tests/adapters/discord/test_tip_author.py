""""Tip the author" on Discord: raw INTERACTION_CREATE payloads into a real discord.py client
logged in against the mock Discord: the message command (type 2, command type 3, the target
message resolved) answers with a modal; the modal's submission (type 5) runs the /tip command."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.api import Ledger
from tests.adapters.discord.gateway import (
    ALICE, BOB, GUILD, harness, interaction, mention, message, message_command, modal_submit, run, settle, string,
)
from tests.adapters.discord.mock_discord import APP_ID
from tests.adapters.discord.test_commands import GREEN, RED, _balance, _credit, _opt_in
from tests.dbs import dump_tables

NAME = "Tip the author"


async def open_form(h, target: dict[str, Any], invoker: dict[str, Any] = ALICE) -> dict[str, Any]:
    """The message command; returns the modal callback's data (interaction response type 9)."""
    payload = message_command(NAME, target, invoker=invoker)
    h.client._connection.parsers["INTERACTION_CREATE"](payload)
    await settle()
    (callback,) = h.mock.calls("POST", f"/interactions/{payload['id']}/")
    assert callback.json["type"] == 9, callback.json  # MODAL
    return callback.json["data"]


def fields(form: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["custom_id"]: c for row in form["components"] for c in row.get("components", [row.get("component")])}


def test_the_message_command_is_synced_with_the_others(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            (put,) = h.mock.calls("PUT", f"/applications/{APP_ID}/commands")
            (command,) = [c for c in put.json if c["name"] == NAME]
            assert command["type"] == 3 and command.get("dm_permission") is False  # a message command, in servers

    run(story())


def test_the_form_opens_then_its_submission_tips_the_author_once(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            await _credit(h, ALICE, "10")
            await _opt_in(h, BOB)
            before = dump_tables(h.runtime.ledger.engine)
            form = await open_form(h, message(BOB))
            assert dump_tables(h.runtime.ledger.engine) == before  # the form changes nothing
            assert form["custom_id"] == f"tipbot:tip_author:{BOB['id']}:Bob"
            assert set(fields(form)) == {"amount", "how", "note"} and fields(form)["how"]["value"] == "once"
            assert fields(form)["note"]["required"] is False

            submit = modal_submit(form["custom_id"], {"amount": "2.50", "how": "once", "note": "thanks!"})
            reply = await h.send(submit)
            assert reply["color"] == GREEN and reply["flags"] & 64  # only the tipper sees it
            assert "one-off tip" in reply["description"] and "$2.50" in reply["description"]
            assert _balance(h, ALICE).format() == "$7.50" and _balance(h, BOB).format() == "$2.50"
            dm = [r for r in h.mock.calls("POST", "/channels/") if r.path.endswith("/messages")]
            assert "gave you a one-off tip of $2.50" in dm[-1].json["embeds"][0]["description"]

            state = dump_tables(h.runtime.ledger.engine)
            again = await h.send(modal_submit(form["custom_id"], {"amount": "2.50", "how": "once", "note": "thanks!"},
                                              interaction_id=submit["id"]))  # the same submission, redelivered
            assert "Already recorded" in again["description"]
            assert dump_tables(h.runtime.ledger.engine) == state

    run(story())


def test_a_weekly_tip_from_the_form_is_the_same_as_slash_tip(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            form = await open_form(h, message(BOB))
            reply = await h.send(modal_submit(form["custom_id"], {"amount": "1", "how": "weekly", "note": ""}))
            slash = await h.send(interaction("tip", [mention("user", BOB), string("amount", "1")], mentioned=[BOB]))
            assert "$1.00 a week" in reply["description"]
            assert "already $1.00" in slash["description"]  # the same tip, set by the form

    run(story())


@pytest.mark.parametrize("values, refusal", [
    ({"amount": "abc", "how": "once"}, "is not an amount"),
    ({"amount": "1 2", "how": "once"}, "Type only an amount"),
    ({"amount": "1e3", "how": "once"}, ""),
    ({"amount": "1", "how": "sometimes"}, "Choose once"),
    ({"amount": "50", "how": "once"}, "balance"),
])
def test_a_refused_submission_says_why_and_changes_nothing(ledger: Ledger, values, refusal: str) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            await _credit(h, ALICE, "10")
            await _opt_in(h, BOB)
            form = await open_form(h, message(BOB))
            before = dump_tables(h.runtime.ledger.engine)
            reply = await h.send(modal_submit(form["custom_id"], values))
            assert reply["color"] == RED and reply["flags"] & 64 and refusal in reply["description"]
            assert dump_tables(h.runtime.ledger.engine) == before

    run(story())


@pytest.mark.parametrize("target, refusal", [
    (message(ALICE), "You can't tip yourself."),
    (message(BOB, bot=True), "Bots can't receive tips"),
])
def test_ones_own_or_a_bots_message_gets_no_form(ledger: Ledger, target, refusal: str) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            before = dump_tables(h.runtime.ledger.engine)
            reply = await h.send(message_command(NAME, target))
            assert reply["color"] == RED and reply["flags"] & 64 and refusal in reply["description"]
            assert dump_tables(h.runtime.ledger.engine) == before

    run(story())


def test_the_form_works_without_the_process_that_opened_it(ledger: Ledger) -> None:
    """The author rides in the custom id: a submission reaching a fresh client (another shard or
    process, or after a restart) still tips."""
    async def story() -> None:
        async with harness(ledger) as h:
            await _credit(h, ALICE, "5")
            await _opt_in(h, BOB)
            custom_id = f"tipbot:tip_author:{BOB['id']}:Bob"
            reply = await h.send(modal_submit(custom_id, {"amount": "1", "how": "once", "note": None}))
            assert reply["color"] == GREEN and _balance(h, BOB).format() == "$1.00"

    run(story())
