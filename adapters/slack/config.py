"""The Slack adapter's own settings, read like the core's (bot/config.py FileSettings):
the environment (TIPBOT_ prefix) first, then the TOML file named by TIPBOT_CONFIG."""

from __future__ import annotations

from pydantic import Field

from bot.config import FileSettings


class SlackSettings(FileSettings):
    slack_max_body_bytes: int = Field(1024 * 1024, gt=0, description="largest request body to /slack/*")
