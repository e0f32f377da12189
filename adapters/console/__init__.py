"""The console adapter: Tipbot in a terminal, no accounts needed."""

from adapters.console.platform import platform

__all__ = ["platform"]
