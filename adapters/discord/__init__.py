"""The discord adapter (being built)."""

from bot.platform import Platform


class _Pending(Platform):
    name = "discord"


platform = _Pending()
