"""What the bot hands back: a platform-neutral reply each adapter renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Visibility(str, Enum):
    EPHEMERAL = "ephemeral"  # only the member who asked sees it (the default)
    IN_CHANNEL = "in_channel"
    DM = "dm"


@dataclass(frozen=True)
class Button:
    label: str
    action_id: str  # passed back in bot.invocation.Action
    value: str
    style: str | None = None  # "primary" | "danger" | None


@dataclass(frozen=True)
class DirectMessage:
    """A message to another member of the same space (a recipient's notice)."""

    user_id: str  # platform user id in the invocation's space
    text: str


@dataclass(frozen=True)
class Attachment:
    """A file for the member who asked (a CSV statement). Each platform renders it as it can
    (`Platform.files`): a Slack upload in a DM, a Discord attachment, a file the console writes.
    Not kept with the stored reply: a repeated request gets the text only."""

    filename: str
    content: bytes
    mime_type: str = "text/csv"


@dataclass(frozen=True)
class Reply:
    text: str
    ok: bool = True  # False for every refusal or error
    title: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    buttons: tuple[Button, ...] = ()
    visibility: Visibility = Visibility.EPHEMERAL
    repeated: bool = False  # a replayed request: the first outcome, nothing changed
    direct_messages: tuple[DirectMessage, ...] = ()
    code: str | None = None  # machine-readable refusal code, e.g. "insufficient_balance"
    attachment: Attachment | None = None

    def to_json(self) -> dict:
        return {
            "text": self.text, "ok": self.ok, "title": self.title,
            "fields": [list(f) for f in self.fields],
            "buttons": [b.__dict__ for b in self.buttons],
            "visibility": self.visibility.value, "repeated": self.repeated,
            "direct_messages": [d.__dict__ for d in self.direct_messages], "code": self.code,
        }

    @classmethod
    def from_json(cls, data: dict, *, repeated: bool = False) -> "Reply":
        return cls(
            text=data["text"], ok=data["ok"], title=data.get("title"),
            fields=tuple(tuple(f) for f in data.get("fields", ())),
            buttons=tuple(Button(**b) for b in data.get("buttons", ())),
            visibility=Visibility(data.get("visibility", "ephemeral")),
            repeated=repeated or data.get("repeated", False),
            direct_messages=() if repeated else tuple(DirectMessage(**d) for d in data.get("direct_messages", ())),
            code=data.get("code"),
        )


def refusal(text: str, code: str = "refused") -> Reply:
    return Reply(text=text, ok=False, code=code)


@dataclass(frozen=True)
class Summary:
    """A payday summary for one community, posted to each of its spaces."""

    community_name: str
    text: str
    chart_png: bytes | None = None
    chart_filename: str = "payday.png"
    fields: tuple[tuple[str, str], ...] = field(default=())
    payday_id: int | None = None  # which payday: platforms tag the post with `marker` to find it again

    @property
    def marker(self) -> str:
        """A tag unique to this payday's summary (Slack message metadata, a Discord embed footer)."""
        return f"Tipbot payday #{self.payday_id}"
