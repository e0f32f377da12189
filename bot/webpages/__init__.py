"""The public web pages: a community's page, its members' and projects' pages, README badges.

Server-rendered with Jinja2 (autoescaped; readable without JavaScript), served by the same
web app as everything else (bot/web.py): the composition root lists `routes` among the
runtime's route providers. A community's pages exist only while an admin made them public
(`/tip admin web public`); otherwise every URL under it answers 404, exactly as for a
community that does not exist. What each page may show is decided in the ledger
(ledger/pages.py); this package only renders it. docs/architecture.md, "Web pages".
"""

from bot.webpages.routes import routes

__all__ = ["routes"]
