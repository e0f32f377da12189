"""Notes refuse characters that change how text is shown, on every platform: parsed from
text (Slack, console) and typed (Discord's options); nothing is recorded."""

from __future__ import annotations

import pytest

from bot.commands import Tip
from bot.invocation import Invocation, UserRef
from tests.adapters.console.support import Console
from tests.dbs import dump_tables

# (U+2028 and U+2029 are whitespace to the grammar: they separate words, never reach a note)
HIDDEN = ["\u202e", "\u202a", "\u2066", "\u2069", "\u200f", "\u200b", "\ufeff"]


def say(console: Console, platform: str, note: str):
    if platform == "discord":  # options arrive typed, never parsed
        invocation = Invocation("discord", "G1", UserRef("111", "alice"),
                                command=Tip((UserRef("222", "bob"),), "1", note=note))
    elif platform == "slack":
        invocation = Invocation("slack", "T1", UserRef("UALICE", "alice"), text=f"<@UBOB|bob> 1 {note}")
    else:
        invocation = Invocation("console", "test", UserRef("alice", "alice"), text=f"@bob 1 {note}",
                                typed_names=True)
    return console.runtime.bot.handle(invocation)


@pytest.mark.parametrize("platform", ["slack", "discord", "console"])
@pytest.mark.parametrize("char", HIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_a_note_with_a_direction_or_invisible_character_is_refused(console: Console, platform: str, char: str):
    before = dump_tables(console.runtime.ledger.engine)

    reply = say(console, platform, f"for the {char}gnp.exe fix")

    assert not reply.ok and reply.code == "invalid"
    assert f"U+{ord(char):04X}" in reply.text and "type it again without it" in reply.text
    assert dump_tables(console.runtime.ledger.engine) == before


@pytest.mark.parametrize("platform", ["slack", "discord", "console"])
def test_notes_in_any_script_and_with_emoji_sequences_are_kept(console: Console, platform: str):
    reply = say(console, platform, "شكرا 👩\u200d💻 merci")
    assert reply.ok, reply.text
