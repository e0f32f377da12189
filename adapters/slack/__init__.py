"""The slack adapter (being built)."""

from bot.platform import Platform


class _Pending(Platform):
    name = "slack"


platform = _Pending()
