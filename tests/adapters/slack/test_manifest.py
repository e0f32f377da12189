"""The app manifest admins paste matches what the code serves and asks for."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.slack.app import SCOPES
from adapters.slack.tip_author import CALLBACK_ID

MANIFEST = Path(__file__).parents[3] / "adapters" / "slack" / "manifest.yml"


def bot_scopes(text: str) -> list[str]:
    block = text.split("    bot:\n", 1)[1].split("\nsettings:", 1)[0]
    return re.findall(r"^      - ([\w:.]+)", block, flags=re.M)


def test_manifest_matches_the_code() -> None:
    text = MANIFEST.read_text()
    assert sorted(bot_scopes(text)) == sorted(SCOPES)
    assert "- command: /tip" in text and "should_escape: true" in text
    assert "home_tab_enabled: true" in text and "- app_home_opened" in text
    events = re.findall(r"^      - (\w+)", text.split("    bot_events:\n", 1)[1], flags=re.M)
    assert {"reaction_added", "reaction_removed"} <= set(events) and "reactions:read" in SCOPES  # reaction tips
    urls = re.findall(r"(?:url|request_url): (\S+)", text)
    assert urls and all(u.endswith("/slack/events") for u in urls)
    assert "/slack/oauth_redirect" in text
    shortcuts = text.split("  shortcuts:\n", 1)[1].split("\noauth_config:", 1)[0]
    assert "type: message" in shortcuts and f"callback_id: {CALLBACK_ID}" in shortcuts
    assert "interactivity:\n    is_enabled: true" in text  # shortcuts and modals arrive as interactions
