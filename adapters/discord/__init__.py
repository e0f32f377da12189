"""The Discord adapter: slash commands and buttons in, embeds, DMs and payday summaries out."""

from adapters.discord.platform import platform

__all__ = ["platform"]
