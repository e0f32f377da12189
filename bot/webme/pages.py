"""Rendering /me: its pages in the web app's one layout and environment (bot/webpages/render.py),
never kept by a browser or proxy (Cache-Control: no-store)."""

from __future__ import annotations

from typing import Any

from starlette.responses import HTMLResponse

from bot.webpages.render import environment, uncached_html


class Pages:
    def __init__(self) -> None:
        self.env = environment(signin=True)  # /me exists only when sign-in is configured

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return uncached_html(self.env.get_template(template).render(**context), status_code)

    def message(self, title: str, text: str, status_code: int, **context: Any) -> HTMLResponse:
        """A page that only says something (an unknown identity, a refused form)."""
        return self.render("me_message.html", status_code, title=title, text=text, **context)
