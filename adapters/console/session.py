"""One console conversation: lines like `alice: /tip @bob 1` in, replies out.

Every name is a member of the console community, created on first use (speaking or
being mentioned); a new name that looks like an existing member's (`аlice` with a
Cyrillic `а`, `Bob` beside `bob`) is refused with a hint. Console lines carry no request id: a line is never a platform
retry, so typing a command twice runs it twice (a weekly tip set twice is unchanged).

`later 7 days` (also hours, weeks) moves the console's clock on, when it is one that can
be moved (`tipbot console` runs on a ledger.clock.ShiftedClock): a script can then show
next week's payday. Only the console has it; chat platforms run on real time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from adapters.console.files import chart_directory
from bot.invocation import Invocation, UserRef
from bot.reply import Reply, refusal
from bot.runtime import Runtime

PLATFORM = "console"
_SPEAKER = re.compile(r"\s*([^\W][\w.\-']{0,79})\s*:\s*(.*)\Z", re.DOTALL)
_NAME = re.compile(r"[^\W][\w.\-']{0,79}\Z")

LINE_FORMAT = "Start each line with who is speaking, like `alice: /tip @bob 1`."
_LATER = re.compile(r"\s*later\s+(\d{1,4})\s+(hour|day|week)s?\s*\Z", re.IGNORECASE)
_UNITS = {"hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1), "week": dt.timedelta(weeks=1)}


@dataclass
class Result:
    """What one input line produced."""

    user: str | None
    line: str
    reply: Reply
    summaries: list[str] = field(default_factory=list)


def split_speaker(line: str) -> tuple[str, str] | None:
    """`alice: /tip @bob 1` -> ("alice", "/tip @bob 1"); None when the line names no speaker."""
    m = _SPEAKER.match(line)
    if m is None:
        return None
    return m[1], m[2].strip()


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


class ConsoleSession:
    """The console community `community` on `runtime`, with `admins` by name."""

    def __init__(self, runtime: Runtime, *, community: str = "console", admins: Iterable[str] = ()) -> None:
        self.runtime = runtime
        self.community = community
        self.admins = frozenset(admins)
        currency = runtime.settings.currency
        # The console space's community is called by the name given, not "console:NAME".
        runtime.ledger.run(lambda book: book.ensure_space(
            PLATFORM, community, name=community, community_name=community, currency=currency))

    def say(self, user: str, text: str) -> Result:
        """`user` sends `text` (the words after `/tip`, or with it)."""
        summaries: list[str] = []
        platform = self.runtime.platforms.get(PLATFORM)
        if platform is not None:  # the console platform prints summaries; during a line, they go to its result
            platform.sink = summaries.append  # type: ignore[attr-defined]
        try:
            invocation = Invocation(
                platform=PLATFORM, space_id=self.community, user=UserRef(user, user), text=text,
                is_admin=user in self.admins, space_name=self.community, typed_names=True,
            )
            reply = self.runtime.bot.handle(invocation)
        finally:
            if platform is not None:
                platform.sink = None  # type: ignore[attr-defined]
        if reply.attachment is not None:
            reply = self.write_attachment(reply)
        return Result(user, text, reply, summaries)

    def write_attachment(self, reply: Reply) -> Reply:
        """The console's file: written next to the database (or in the data directory), its path in the reply."""
        path = chart_directory(self.runtime) / reply.attachment.filename  # type: ignore[union-attr]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(reply.attachment.content)  # type: ignore[union-attr]
        return replace(reply, text=f"{reply.text}\nWritten to {path}", attachment=None)

    def later(self, delta: dt.timedelta) -> Reply:
        """Move the console's clock on by `delta` (a script showing next week's payday)."""
        advance = getattr(self.runtime.clock, "advance", None)
        if advance is None:
            return refusal("This console runs on real time; its clock can't be moved.", "fixed_clock")
        moment = advance(delta)
        return Reply(text=f"It is now {moment:%A %-d %B %Y, %H:%M} UTC.")

    def run_line(self, line: str) -> Result | None:
        """One script line; None for blank lines and `#` comments."""
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return None
        later = _LATER.match(stripped)
        if later is not None:
            return Result(None, line.rstrip("\r\n"), self.later(int(later.group(1)) * _UNITS[later.group(2).lower()]))
        speaker = split_speaker(line)
        if speaker is None:
            return Result(None, line.rstrip("\r\n"), refusal(LINE_FORMAT, "malformed_line"))
        user, text = speaker
        result = self.say(user, text)
        result.line = line.rstrip("\r\n")
        return result
