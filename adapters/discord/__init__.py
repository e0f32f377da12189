"""The Discord adapter: slash commands and buttons in, embeds, DMs and payday summaries out."""

from adapters.discord.platform import DiscordPlatform, platform

__all__ = ["DiscordPlatform", "platform"]
