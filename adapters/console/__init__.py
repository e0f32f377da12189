"""The console adapter: Tipbot in a terminal, no accounts needed."""

from adapters.console.platform import ConsolePlatform, platform

__all__ = ["ConsolePlatform", "platform"]
