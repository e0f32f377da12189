"""Console platform registration (the `tipbot console` command is added in issue 3)."""

from bot.platform import Platform


class ConsolePlatform(Platform):
    name = "console"


platform = ConsolePlatform()
