"""Projects on Discord: /project, /projects, /take and /stack from raw INTERACTION_CREATE payloads,
and project names offered by autocomplete (APPLICATION_COMMAND_AUTOCOMPLETE)."""

from __future__ import annotations

from typing import Any

from ledger.api import Ledger
from tests.adapters.discord.gateway import (
    ALICE, BOB, CAROL, GUILD, boolean, button_click, channel_option, harness, interaction, mention, run, settle,
    string,
)
from tests.dbs import dump_tables

RED = 0xE74C3C
GREEN = 0x2ECC71


def autocomplete(command: str, options: list[dict[str, Any]], focused: str, *,
                 subcommand: str | None = None, invoker: dict[str, Any] = ALICE) -> dict[str, Any]:
    """An APPLICATION_COMMAND_AUTOCOMPLETE interaction (type 4): the member is typing option `focused`."""
    for o in options:
        if o["name"] == focused:
            o["focused"] = True
    payload = interaction(command, options, subcommand=subcommand, invoker=invoker)
    payload["type"] = 4
    return payload


async def choices(h, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Send the autocomplete interaction; the choices of its callback (type 8)."""
    h.client._connection.parsers["INTERACTION_CREATE"](payload)
    await settle()
    (callback,) = h.answers(payload)
    assert callback.json["type"] == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
    return callback.json["data"]["choices"]


def test_the_project_commands_build_the_same_commands_as_the_grammar(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            assert (await h.send(interaction("receive", [string("switch", "on")], invoker=BOB)))["color"] == GREEN
            created = await h.send(interaction("project", [string("name", "pillow"), mention("maintainer", BOB)],
                                               subcommand="add", mentioned=[BOB]))
            assert created["color"] == GREEN and "Created project pillow" in created["description"]
            assert f"<@{BOB['id']}>" in created["description"]

            packages = await h.send(interaction("project", [string("name", "pillow"),
                                                            string("packages", "pypi:Pillow npm:left-pad")],
                                                subcommand="packages"))
            assert "pypi:pillow" in packages["description"] and "npm:left-pad" in packages["description"]

            take = await h.send(interaction("take", [string("name", "pillow"), string("amount", "1")], invoker=BOB))
            assert take["color"] == GREEN and "$1.00" in take["description"]

            tipped = await h.send(interaction("project", [string("name", "pillow"), string("amount", "2")],
                                              subcommand="tip", invoker=CAROL))
            assert tipped["color"] == GREEN and "pillow" in tipped["description"]
            assert "$2.00 a week" in tipped["description"]

            stacked = await h.send(interaction("stack", [string("amount", "3"), string("names", "pypi:pillow")],
                                               invoker=ALICE))
            assert stacked["color"] == GREEN and "$3.00 a week" in stacked["description"]

            listed = await h.send(interaction("projects"))
            assert listed["title"] == "Projects"
            assert "pillow: receives $5.00 a week from 2 tippers, 2 maintainers" in listed["description"]

            shown = await h.send(interaction("project", [string("name", "Pillow")], subcommand="show"))
            assert shown["title"] == "Project pillow"
            assert "Bob: $1.00" in shown["description"] and "npm:left-pad, pypi:pillow" in shown["description"]

            removed = await h.send(interaction("project", [string("name", "pillow"), mention("member", BOB)],
                                               subcommand="remove", invoker=BOB, mentioned=[BOB]))
            assert removed["color"] == GREEN and "You left pillow" in removed["description"]

    run(story())


def test_a_large_project_tip_asks_with_buttons_and_replays_apply_once(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            await h.send(interaction("receive", [string("switch", "on")], invoker=BOB))
            await h.send(interaction("project", [string("name", "pillow")], subcommand="add", invoker=BOB))
            await h.send(interaction("tipadmin", [mention("user", CAROL), string("amount", "10")],
                                     subcommand="credit", admin=True, mentioned=[CAROL]))
            carol = h.runtime.ledger.read(lambda b: b.find_member(b.space("discord", GUILD), CAROL["id"]))

            ask = await h.send(interaction("project", [string("name", "pillow"), string("amount", "30")],
                                           subcommand="tip", invoker=CAROL))
            assert "$30.00 a week to pillow is about $130.00 a month. Set it?" in ask["description"]
            assert h.runtime.ledger.read(lambda b: b.project_tips_given(carol.id)) == []
            yes = next(c for row in ask["components"] for c in row["components"] if c["style"] == 1)
            click = button_click(yes["custom_id"], invoker=CAROL)
            done = await h.send(click)
            assert done["color"] == GREEN and "You now tip pillow $30.00 a week" in done["description"]
            assert h.answers(click)[0].json["type"] == 7 and done["components"] == []  # the buttons give way
            before = dump_tables(ledger.engine)
            await h.send(click)  # a redelivered click
            assert dump_tables(ledger.engine) == before
            assert h.runtime.ledger.read(lambda b: b.project_tips_given(carol.id)) == [("pillow", 3000, False)]

            once = interaction("project", [string("name", "pillow"), string("amount", "3"), boolean("once", True)],
                               subcommand="tip", invoker=CAROL)
            first = await h.send(once)
            assert first["color"] == GREEN and "You gave pillow $3.00 as a one-off tip" in first["description"]
            before = dump_tables(ledger.engine)
            again = await h.send(once)  # the gateway redelivers the same interaction
            assert again["description"].startswith("Already recorded") and dump_tables(ledger.engine) == before
            pillow = h.runtime.ledger.read(lambda b: b.project_by_name(carol.community_id, "pillow"))
            assert pillow.balance_minor == 300

    run(story())


def test_a_stack_naming_an_unknown_project_sets_nothing(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            await h.send(interaction("project", [string("name", "pillow")], subcommand="add"))
            before = dump_tables(ledger.engine)
            refused = await h.send(interaction("stack", [string("amount", "10"),
                                                         string("names", "pillow pypi:requests nosuch")],
                                               invoker=CAROL))
            assert refused["color"] == RED
            assert "`pypi:requests`, `nosuch`" in refused["description"] and "No tip was set" in refused["description"]
            take = await h.send(interaction("take", [string("name", "nosuch"), string("amount", "1")]))
            assert take["color"] == RED and "No project named nosuch" in take["description"]
            assert dump_tables(ledger.engine) == before

    run(story())


def test_project_names_are_offered_by_autocomplete(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            for name in ("pillow", "pip-tools", "plone", "buildout"):
                reply = await h.send(interaction("project", [string("name", name)], subcommand="add"))
                assert reply["color"] == GREEN, reply
            before = dump_tables(ledger.engine)

            offered = await choices(h, autocomplete("project", [string("name", "Pi")], "name", subcommand="show"))
            assert offered == [{"name": "pillow", "value": "pillow"}, {"name": "pip-tools", "value": "pip-tools"}]

            offered = await choices(h, autocomplete("take", [string("name", ""), string("amount", "1")], "name"))
            assert [c["value"] for c in offered] == ["buildout", "pillow", "pip-tools", "plone"]

            offered = await choices(h, autocomplete("stack", [string("amount", "10"), string("names", "plone bu")],
                                                    "names"))
            assert offered == [{"name": "plone buildout", "value": "plone buildout"}]

            assert await choices(h, autocomplete("project", [string("name", "zz")], "name", subcommand="tip")) == []
            assert dump_tables(ledger.engine) == before  # suggesting writes nothing

    run(story())


SUMMARY_CHANNEL = "1400000000000000077"


def test_the_spotlight_is_posted_with_a_button_that_asks_the_clicker_to_confirm(ledger: Ledger) -> None:
    async def story() -> None:
        async with harness(ledger) as h:
            await h.send(interaction("tipadmin", [channel_option("channel", SUMMARY_CHANNEL, "payday")],
                                     subcommand="channel", admin=True))
            on = await h.send(interaction("tipadmin", [string("switch", "on")], subcommand="spotlight", admin=True))
            assert on["color"] == GREEN and "now on" in on["description"]
            await h.send(interaction("receive", [string("switch", "on")], invoker=BOB))
            await h.send(interaction("project", [string("name", "pillow")], subcommand="add", invoker=BOB))
            await h.send(interaction("tipadmin", [mention("user", CAROL), string("amount", "5")],
                                     subcommand="credit", admin=True, mentioned=[CAROL]))

            await h.send(interaction("tipadmin", [string("action", "now")], subcommand="payday", admin=True))

            summary, spotlight = h.mock.calls("POST", f"/channels/{SUMMARY_CHANNEL}/messages")
            assert summary.json["embeds"][0]["title"].startswith("Payday")
            embed = spotlight.json["embeds"][0]
            assert embed["title"] == "Back the Stack: pillow" and "/tip pillow 1" in embed["description"]
            (button,) = [c for row in spotlight.json["components"] for c in row["components"]]
            assert button["custom_id"] == "tipbot:spotlight_back:project:pillow"
            assert button["label"] == "Back pillow with $1.00 a week"

            before = dump_tables(ledger.engine)
            click = button_click(button["custom_id"], invoker=CAROL)
            click["message"] = h.mock._message(channel_id=SUMMARY_CHANNEL, body=spotlight.json)  # flags 0: public
            ask = await h.send(click)
            (callback,) = h.answers(click)
            assert callback.json["type"] == 4 and ask["flags"] & 64  # a new ephemeral answer; the post stays
            assert "Back pillow with $1.00 a week (about $4.33 a month)?" in ask["description"]
            assert dump_tables(ledger.engine).get("tips") == before.get("tips")  # asking set no tip

            yes = next(c for row in ask["components"] for c in row["components"] if c["style"] == 1)
            done = await h.send(button_click(yes["custom_id"], invoker=CAROL))
            assert done["color"] == GREEN and "You now tip pillow $1.00 a week" in done["description"]
            carol = h.runtime.ledger.read(lambda b: b.find_member(b.space("discord", GUILD), CAROL["id"]))
            assert h.runtime.ledger.read(lambda b: b.project_tips_given(carol.id)) == [("pillow", 100, False)]

    run(story())
