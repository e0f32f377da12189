"""The Slack adapter: `/tip` over HTTP or Socket Mode, App Home, payday summaries."""

from adapters.slack.platform import SlackPlatform, platform

__all__ = ["SlackPlatform", "platform"]
