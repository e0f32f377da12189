"""Rendering /me: the Jinja2 environment (autoescaped) and how a bot reply becomes HTML."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).parent / "templates"
_CODE = re.compile(r"`([^`\n]+)`")


def reply_html(text: str) -> Markup:
    """A reply's text as HTML: every character escaped, `code` spans kept, lines kept."""
    lines = []
    for line in str(text).split("\n"):
        parts = _CODE.split(line)
        lines.append(Markup("").join(Markup("<code>{}</code>").format(part) if i % 2 else escape(part)
                                     for i, part in enumerate(parts)))
    return Markup("<br>\n").join(lines)


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["reply_html"] = reply_html
    return env


class Pages:
    def __init__(self) -> None:
        self.env = environment()

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})

    def message(self, title: str, text: str, status_code: int, **context: Any) -> HTMLResponse:
        """A page that only says something (an unknown identity, a refused form)."""
        return self.render("me_message.html", status_code, title=title, text=text, **context)
