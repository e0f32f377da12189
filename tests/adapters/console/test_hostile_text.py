"""Text that could fool a terminal or a reader: control characters are printed escaped
(as --json does), and a new name that looks like a member's is refused; both databases."""

from __future__ import annotations

import json

from bot.invocation import Invocation, UserRef
from ledger.models import members
from tests.adapters.console.support import Console, run_console_entry
from tests.adapters.console.test_interactive import run

HOSTILE = "\x1b[2J\x1b]0;pwned\x07\x00\r\u202e"  # clear screen, retitle the window, BEL, NUL, CR, RLO
ESCAPED = "\\u001b[2J\\u001b]0;pwned\\u0007\\u0000\\r\\u202e"


def no_raw_controls(text: str) -> bool:
    return not any(char in text for char in "\x1b\x07\x00\r\u202e")


def test_script_text_mode_escapes_control_characters_as_json_does(db_url: str) -> None:
    line = f"alice: /tip @bob 1 {HOSTILE}"
    out = run_console_entry(db_url, line + "\n")
    as_json = json.loads(run_console_entry(db_url, line + "\n", "--json"))

    assert no_raw_controls(out)
    assert out.startswith(f"alice: /tip @bob 1 {ESCAPED}\n")
    assert json.dumps(as_json["input"]).strip('"') == f"alice: /tip @bob 1 {ESCAPED}"  # the same escapes
    assert "control characters" in out  # and the command itself was refused


def test_a_name_with_control_characters_from_another_platform_is_printed_escaped(console: Console) -> None:
    console.ok("alice: /tip @bob 1")
    bob = console.runtime.ledger.read(lambda b: b.find_member_by_name(b.space("console", "test").community_id, "bob"))
    hostile = HOSTILE.replace("\x00", "")  # PostgreSQL stores no NUL
    with console.runtime.ledger.engine.begin() as connection:  # as a name synced from another platform would be
        connection.execute(members.update().where(members.c.id == bob.id).values(display_name=f"bob{hostile}"))

    out = run(console, "/tip\rquit\r")  # the interactive path

    assert no_raw_controls(out)
    expected = "bob" + ESCAPED.replace("\\u0000", "")
    assert expected in out, out


def test_a_new_name_confusable_with_a_members_is_refused_with_a_hint(console: Console) -> None:
    console.ok("alice: /tip @bob 1")

    cyrillic = console.refused("\u0430lice: /tip", "lookalike_name", "looks like the name of the member `alice`",
                               "`@alice`")
    assert "\u0430lice" in cyrillic.text
    console.refused("alice: /tip @b0b 1", "lookalike_name", "member `bob`")  # a zero for an o
    console.refused("alice: /tip @Bob 1", "lookalike_name", "member `bob`")
    console.refused("alice: /tip @ｂｏｂ 1", "lookalike_name")  # fullwidth

    assert "tip to bob is now $2.00" in console.ok("alice: /tip @bob 2").text  # the member themself: fine
    assert "You now tip bób" in console.ok("alice: /tip @bób 1").text  # an accent is a different name
    assert "You now tip carol" in console.ok("alice: /tip @carol 1").text


def test_platforms_whose_ids_are_not_typed_names_are_not_held_to_it(console: Console) -> None:
    """Slack and Discord ids are opaque: two members may share a display name there."""
    handle = console.runtime.bot.handle
    assert handle(Invocation("slack", "T1", UserRef("U1", "alice"), text="<@U2|аlice> 1")).ok
    assert handle(Invocation("slack", "T1", UserRef("U3", "Alice"), text="<@U1|alice> 1")).ok
