"""Reply -> Block Kit within Slack's limits."""

from __future__ import annotations

from adapters.slack import render
from bot.reply import Button, Reply, Visibility


def test_in_channel_and_ephemeral() -> None:
    assert render.reply_message(Reply(text="hi"))["response_type"] == "ephemeral"
    assert render.reply_message(Reply(text="hi", visibility=Visibility.IN_CHANNEL))["response_type"] == "in_channel"


def test_title_fields_and_buttons() -> None:
    reply = Reply(text="Set it?", title="Confirm", fields=(("Weekly", "$30.00"),),
                  buttons=(Button("Yes", "tip_confirm", "<@U2|bob> 30", style="primary"),
                           Button("Cancel", "tip_cancel", "<@U2|bob> 30")))
    blocks = render.reply_message(reply)["blocks"]
    assert [b["type"] for b in blocks] == ["header", "section", "section", "actions"]
    assert blocks[2]["fields"][0]["text"] == "*Weekly*\n$30.00"
    yes, cancel = blocks[3]["elements"]
    assert yes == {"type": "button", "action_id": "tip_confirm", "value": "<@U2|bob> 30", "style": "primary",
                   "text": {"type": "plain_text", "text": "Yes", "emoji": True}}
    assert "style" not in cancel


def test_limits_are_respected_by_splitting() -> None:
    long_text = "\n".join(f"line {i} " + "x" * 100 for i in range(100))  # ~11,000 characters
    fields = tuple((f"f{i}", str(i)) for i in range(23))
    buttons = tuple(Button(f"b{i}", "same_action", str(i)) for i in range(3))
    blocks = render.reply_blocks(Reply(text=long_text, title="T" * 400, fields=fields, buttons=buttons))

    assert len(blocks[0]["text"]["text"]) <= 150
    sections = [b for b in blocks if b["type"] == "section" and "text" in b]
    assert len(sections) >= 4 and all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert "".join(b["text"]["text"] for b in sections).replace("\n", "") == long_text.replace("\n", "")
    assert [len(b["fields"]) for b in blocks if "fields" in b] == [10, 10, 3]
    assert len([b for b in blocks if b["type"] == "actions"]) == 3  # one action id per block


def test_markup_in_member_text_is_shown_not_obeyed() -> None:
    text = render.reply_message(Reply(text="<@U1> thanks <!here> & <https://evil|click>"))["text"]
    assert text == "<@U1> thanks &lt;!here&gt; &amp; &lt;https://evil|click&gt;"
