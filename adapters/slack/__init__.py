"""The Slack adapter: `/tip` over HTTP or Socket Mode, App Home, payday summaries."""

from adapters.slack.platform import platform

__all__ = ["platform"]
