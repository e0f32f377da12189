"""End-to-end stories, written as console scripts with the answers they must get.

A story file (tests/acceptance/stories/*.story) is a console script: each message line
(`alice: /tip @bob 1`) is followed by indented expectations, as fragments of the reply:
`ok: TEXT`, `refused CODE: TEXT`, `dm NAME: TEXT`. Blank lines and `#` comments are skipped.

Each story runs twice: line by line through the console session (checking, around every
refused line, that the ledger is exactly as before, and after every line what `tipbot
ledger check` checks), and whole through the installed `tipbot console --json` as a
subprocess; then `tipbot ledger check` must pass.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.adapters.console.support import ADMIN, Console
from tests.moments import PINNED

STORIES = sorted((Path(__file__).parent / "stories").glob("*.story"))
TIPBOT = str(Path(sys.executable).parent / "tipbot")


@dataclass
class Step:
    line: str
    ok: bool | None = None
    code: str | None = None
    texts: list[str] = field(default_factory=list)
    dms: list[tuple[str, str]] = field(default_factory=list)


def load(path: Path) -> list[Step]:
    steps: list[Step] = []
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if not raw[0].isspace():
            steps.append(Step(raw))
            continue
        kind, _, text = raw.strip().partition(": ")
        step = steps[-1]
        if kind == "ok":
            step.ok = True
            step.texts.append(text)
        elif kind.startswith("refused "):
            step.ok, step.code = False, kind.split()[1]
            step.texts.append(text)
        elif kind.startswith("dm "):
            step.dms.append((kind.split()[1], text))
        else:
            raise AssertionError(f"{path.name}:{number}: unknown expectation {raw!r}")
    for step in steps:
        assert step.ok is not None, f"{path.name}: no expectation for {step.line!r}"
    return steps


def check(step: Step, ok: bool, code: str | None, text: str, dms: list[tuple[str, str]]) -> None:
    where = f"{step.line!r} -> {text!r}"
    assert ok is step.ok, where
    if step.code is not None:
        assert code == step.code, where
    for fragment in step.texts:
        assert fragment in text, f"{where} lacks {fragment!r}"
    for user, fragment in step.dms:
        assert any(u == user and fragment in t for u, t in dms), f"{where}: no DM to {user} with {fragment!r}"


@pytest.mark.parametrize("story", STORIES, ids=[p.stem for p in STORIES])
def test_story_line_by_line(console: Console, story: Path) -> None:
    for step in load(story):
        before = console.tables() if step.ok is False else None
        result = console.session.run_line(step.line)
        assert result is not None
        reply = result.reply
        check(step, reply.ok, reply.code, reply.text, [(d.user_id, d.text) for d in reply.direct_messages])
        if before is not None:
            assert console.tables() == before, f"{step.line!r} was refused but changed the ledger"
        assert console.runtime.ledger.read(lambda book: book.check()) == [], f"ledger check after {step.line!r}"


@pytest.mark.parametrize("story", STORIES, ids=[p.stem for p in STORIES])
def test_story_through_the_tipbot_command(db_url: str, story: Path) -> None:
    steps = load(story)
    done = subprocess.run(
        [TIPBOT, "console", "--database", db_url, "--community", "test", "--admin", ADMIN, "--json",
         "--at", PINNED.isoformat()],  # the same moment as the line-by-line run, whatever the day
        input="".join(f"{step.line}\n" for step in steps), capture_output=True, text=True, timeout=120, check=True)
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(replies) == len(steps)
    for step, reply in zip(steps, replies, strict=True):
        assert reply["input"] == step.line
        check(step, reply["ok"], reply["code"], reply["text"],
              [(d["user_id"], d["text"]) for d in reply["direct_messages"]])
    ledger_check = subprocess.run([TIPBOT, "ledger", "check", "--database", db_url], capture_output=True,
                                  text=True, timeout=120)
    assert ledger_check.returncode == 0, ledger_check.stderr
