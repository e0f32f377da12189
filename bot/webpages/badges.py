"""README badges: a flat, shields.io-style SVG and shields.io's endpoint JSON.

A badge says what a member or project receives each week ("tips | $12.50/week"); a
private profile's badge says "private" and never an amount. Text widths are estimated
from a per-character table (Verdana 11px, as shields.io measures), close enough for a
badge; everything drawn is escaped.
"""

from __future__ import annotations

import functools
import json
from html import escape

from ledger.money import format_money
from ledger.pages import Receiving

LABEL = "tips"
GREEN, GREY = "#2e7d5b", "#555"  # 4.5:1 contrast or better with white text
_NARROW, _WIDE = set("fijlrt1I.,:;!|' "), set("mwMWOQGCD@%")


def message(receiving: Receiving) -> tuple[str, str]:
    """(message, colour) for a member's or project's badge."""
    if not receiving.shown:
        return "private", GREY
    if not receiving.receiving:
        return "not receiving", GREY
    return f"{format_money(receiving.weekly_minor, receiving.currency)}/week", GREEN


@functools.lru_cache(maxsize=4096)  # badges repeat: a few amounts, many requests
def endpoint_json(receiving: Receiving) -> bytes:
    """shields.io's endpoint format (https://shields.io/badges/endpoint-badge)."""
    text, colour = message(receiving)
    return json.dumps({"schemaVersion": 1, "label": LABEL, "message": text, "color": colour.lstrip("#")},
                      separators=(",", ":")).encode()


def _width_px(text: str) -> int:
    return sum(4 if ch in _NARROW else 10 if ch in _WIDE else 7 for ch in text) + 10


@functools.lru_cache(maxsize=4096)
def svg(receiving: Receiving) -> bytes:
    text, colour = message(receiving)
    left, right = _width_px(LABEL), _width_px(text)
    total = left + right
    label, shown = escape(LABEL), escape(text)
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" \
aria-label="{label}: {shown}"><title>{label}: {shown}</title>\
<rect width="{left}" height="20" fill="{GREY}"/><rect x="{left}" width="{right}" height="20" fill="{colour}"/>\
<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">\
<text x="{left / 2:.1f}" y="14">{label}</text>\
<text x="{left + right / 2:.1f}" y="14">{shown}</text></g></svg>""".encode()
